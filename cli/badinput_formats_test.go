package cli

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/focaltk/focal/internal/npyraw"
)

// The bad-input matrix of the input formats of verify calibrate (.npz,
// torch.save, float16, dense predictions) and their flags (--key,
// --labels-key, --class-axis). "$M/" names the fixtures NumPy and PyTorch
// wrote (matio/testdata), "$T/" those of calibrate/testdata/dense, "$F/"
// files made here from them (truncated, corrupted); the matrix's own
// fixtures are in "$D/", where nothing may be left behind.

// rewriteZip returns the zip archive b with each member's data passed
// through edit (by name).
func rewriteZip(t *testing.T, b []byte, edit func(name string, data []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(edit(f.Name, data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// writeFormatFixtures writes the derived fixtures into dir.
func writeFormatFixtures(t *testing.T, dir, m string) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(m, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pt := read("torch_probs_f32.pt")
	var zipTxt bytes.Buffer
	zw := zip.NewWriter(&zipTxt)
	w, _ := zw.Create("notes.txt")
	w.Write([]byte("no arrays here\n"))
	zw.Close()
	files := map[string][]byte{
		"trunc.pt":  pt[:len(pt)/2],
		"trunc2.pt": pt[:len(pt)-10], // the end of the central directory is cut
		"short.pt": rewriteZip(t, pt, func(name string, d []byte) []byte {
			if strings.HasSuffix(name, "/data/0") {
				return d[:40]
			}
			return d
		}),
		"badpkl.pt":  rewriteZip(t, pt, func(name string, d []byte) []byte { return withPickle(name, d, []byte("\x80\x02X\xff\xff\xff\x7f")) }),
		"class.pt":   rewriteZip(t, pt, func(name string, d []byte) []byte { return withPickle(name, d, []byte("\x80\x02cos\nsystem\n.")) }),
		"notes.zip":  zipTxt.Bytes(),
		"image.csv":  []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00"),
		"data.h5":    []byte("\x89HDF\r\n\x1a\n\x00\x00\x00\x00"),
		"probs.gz":   []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"),
		"binary.dat": []byte("\x00\x01\x02\x03probs"),
		// float16 rows summing to 0.75 and 1 (0.5, 0.25 | 0.5, 0.5).
		"sum16.npy": npyraw.File("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", []byte{0x00, 0x38, 0x00, 0x34, 0x00, 0x38, 0x00, 0x38}),
		"ylab.csv":  []byte("y\n0\n1\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// withPickle replaces the member data.pkl by p.
func withPickle(name string, d, p []byte) []byte {
	if strings.HasSuffix(name, "/data.pkl") {
		return p
	}
	return d
}

func TestBadInputFormats(t *testing.T) {
	m, err := filepath.Abs(filepath.Join("..", "matio", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	dense, err := filepath.Abs(filepath.Join("..", "calibrate", "testdata", "dense"))
	if err != nil {
		t.Fatal(err)
	}
	fdir := t.TempDir()
	writeFormatFixtures(t, fdir, m)
	c := func(args ...string) []string {
		out := []string{"calibrate", "--gamma", "2"}
		for _, a := range args {
			a = strings.ReplaceAll(a, "$M/", m+"/")
			a = strings.ReplaceAll(a, "$T/", dense+"/")
			out = append(out, strings.ReplaceAll(a, "$F/", fdir+"/"))
		}
		return out
	}
	known := "the formats read are .npy, .npz, torch.save (zip, PyTorch >= 1.6), CSV"
	cases := []badCase{
		// Formats the tool does not read: named, never a CSV parse error.
		{c("$F/image.csv"), usage, "image.csv: unknown file format (a PNG image): " + known},
		{c("$F/data.h5"), usage, "unknown file format (an HDF5 file"},
		{c("$F/probs.gz"), usage, "unknown file format (a gzip stream"},
		{c("$F/binary.dat"), usage, "unknown file format (binary data of no known format): " + known},
		{c("$M/torch_legacy.pt"), usage, "unknown file format (a legacy torch.save file, PyTorch < 1.6"},
		{c("$F/notes.zip"), usage, "a zip archive that is neither .npz (members *.npy) nor torch.save"},
		{c("--labels", "$F/image.csv", "$M/probs_f64.npy"), usage, "image.csv: unknown file format (a PNG image)"},
		{c("--labels", "$M/labels_i64.npy", "--val", "$F/data.h5", "$M/probs_f64.npy"), usage, "data.h5: unknown file format (an HDF5 file"},
		// Broken archives.
		{c("$F/trunc.pt"), usage, "trunc.pt: zip: not a valid zip file (a truncated or corrupt archive?)"},
		{c("$F/trunc2.pt"), usage, "trunc2.pt: zip:"},
		{c("--key", "probs", "$M/probs_truncated.npz"), usage, "probs_truncated.npz: zip:"},
		{c("$F/short.pt"), usage, "short.pt: torch: storage torch_probs_f32/data/0 holds 40 bytes, not the 60 of 15 float32 elements"},
		{c("$F/badpkl.pt"), usage, "badpkl.pt: torch: torch_probs_f32/data.pkl: malformed pickle: opcode at byte 2 declares"},
		{c("$F/class.pt"), usage, "class.pt: torch: torch_probs_f32/data.pkl: the pickle refers to os.system, which is not read"},
		// Keys.
		{c("$M/torch_dict.pt"), usage, `torch_dict.pt: torch: the file holds 2 tensors ("labels", "probs"): choose one with a key (--key)`},
		{c("--key", "logits", "$M/torch_dict.pt"), usage, `no tensor "logits" in the file (it holds "labels", "probs") (--key)`},
		{c("--key", "epoch", "$M/torch_dict.pt"), usage, `entry "epoch" of the dict is an int, not a tensor (--key)`},
		{c("--key", "5", "$M/torch_list.pt"), usage, `no tensor "5" in the file (it holds "0", "1") (--key)`},
		{c("--key", "x", "$M/torch_probs_f32.pt"), usage, "holds a single tensor: no key applies"},
		{c("--key", "x", "$M/probs_f64.npy"), usage, `a .npy file holds one array: no key applies (got "x") (--key)`},
		{c("--key", "x", "$D/good.csv"), usage, "good.csv is CSV text, which holds one table: --key applies to .npz and torch.save files"},
		{c("$M/probs.npz"), usage, `probs.npz: npz: the file holds 2 arrays ("labels", "probs"): choose one with a key (--key)`},
		{c("--key", "logits", "$M/probs.npz"), usage, `npz: no array "logits" in the file`},
		{c("--key", "probs", "--labels", "$M/probs.npz", "$M/probs.npz"), usage, "choose one with a key (--labels-key)"},
		{c("--labels", "$M/labels_i64.npy", "--labels-key", "y", "$M/probs_f64.npy"), usage, "a .npy file holds one array: no key applies"},
		{c("--labels", "$F/ylab.csv", "--labels-key", "y", "$D/good.csv"), usage, "ylab.csv is CSV text, which holds one table: --labels-key applies"},
		{c("--labels", "$M/torch_dict.pt", "--labels-key", "probs", "$M/probs_f64.npy"), usage, "need a 1-D array of integer labels, got shape [5 3]"},
		// Element types and shapes.
		{c("$M/torch_labels_i64.pt"), usage, "element type int64: need float16, bfloat16, float32 or float64"},
		{c("--key", "labels", "$M/probs.npz"), usage, "element type int64"},
		{c("--labels", "$M/torch_probs_f32.pt", "$M/probs_f64.npy"), usage, "need a 1-D array of integer labels, got shape [5 3]"},
		{c("--labels", "$M/torch_half.pt", "--labels-key", "f16_as_f64", "$M/probs_f64.npy"), usage, "need a 1-D array of integer labels"},
		{c("$M/torch_scalar.pt"), usage, "the tensor is 0-D (a scalar), not an array"},
		{c("--labels", "$M/labels_i32.npy", "$M/torch_logits_f32.pt"), usage, "row 0"}, // logits as probabilities
		{c("$F/sum16.npy"), usage, "sum16.npy: row 0"},
		// Soft and multi-label targets in the binary formats, and the
		// label flags that do not apply to them.
		{c("--label-kind", "soft", "--labels", "$M/probs.npz", "$M/probs_f64.npy"), usage, `probs.npz: npz: the file holds 2 arrays ("labels", "probs"): choose one with a key (--labels-key)`},
		{c("--label-kind", "soft", "--labels", "$M/torch_dict.pt", "--labels-key", "labels", "$M/probs_f64.npy"), usage, "torch_dict.pt: element type int64: need float16, bfloat16, float32 or float64 soft labels"},
		{c("--label-kind", "soft", "--labels", "$M/three_d.npy", "$M/probs_f64.npy"), usage, "three_d.npy: need an N×K array of soft labels, one row per input row, got shape [2 2 2]"},
		{c("--label-kind", "soft", "--labels", "$M/torch_logits_f32.pt", "--input", "logits", "$M/torch_logits_f32.pt"), usage, "torch_logits_f32.pt: row 0, column 0: 2.5: probability greater than 1"},
		{c("--label-kind", "soft", "--labels", "$M/torch_probs_f32.pt", "--ignore-index", "3", "$M/probs_f64.npy"), usage, "--ignore-index applies to class labels: soft labels have no index to ignore"},
		{c("--label-kind", "soft", "--labels", "$T/probs.npy", "$T/probs.npy"), usage, "--label-kind soft takes rows of labels: dense input takes class labels"},
		{c("--loss", "sigmoid", "--alpha", "-1", "--label-kind", "multi", "--labels", "$M/labels_i64.npy", "$M/probs_f64.npy"), usage, "labels_i64.npy: element type int64: need float16, bfloat16, float32 or float64 multi-label targets"},
		{c("--loss", "sigmoid", "--alpha", "-1", "--label-kind", "multi", "--labels", "$M/three_d.npy", "$M/probs_f64.npy"), usage, "need an N×K array of multi-label targets"},
		{c("--loss", "sigmoid", "--alpha", "-1", "--label-kind", "multi", "--labels", "$M/torch_probs_f32.pt", "--ignore-index", "0", "$M/probs_f64.npy"), usage, "--ignore-index applies to class labels: multi labels have no index to ignore"},
		{c("--labels", "$M/labels_i64.npy", "--label-col", "0", "$M/probs_f64.npy"), usage, `--label-col "0" names a column of CSV labels: `},
		{c("--labels", "$T/labels.npy", "--label-col", "1", "$T/probs.npy"), usage, "labels.npy is no CSV file"},
		// --class-axis.
		{c("--class-axis", "x", "$T/probs.npy"), usage, `bad --class-axis "x": want an integer axis`},
		{c("--class-axis", "0", "$T/probs.npy"), usage, "bad --class-axis 0: axis 0 holds the samples N"},
		{c("--class-axis", "4", "$T/probs.npy"), usage, "--class-axis 4 is out of range for"},
		{c("--class-axis", "-4", "$T/probs.npy"), usage, "the class axis is one of 1..3 (or -3..-1"},
		{c("--class-axis", "2", "$M/probs_f64.npy"), usage, "--class-axis 2: "},
		{c("--class-axis", "2", "$D/good.csv"), usage, "whose classes are its columns (axis 1)"},
		{c("--class-axis", "2", "$T/probs.npy"), usage, "probs.npy: row 0"}, // H is no probability axis
		{c("--labels", "$T/rows_labels.npy", "$T/probs.npy"), usage, "labels of shape [90]: the dense input of shape [3 4 5 6] with classes on axis 1 needs labels of shape [3 5 6]"},
		{c("--labels", "$T/labels.npy", "--class-axis", "-1", "$T/probs_nhwk.npy"), usage, ""},
		{c("--labels", "$T/labels.npy", "--class-axis", "2", "$T/probs_nhkw.npy", "--out", "$D/o.npy", "--plot", "$D/no/p.png"), failure, "no such file or directory"},
		{c("--labels", "$F/ylab.csv", "$T/probs.npy"), usage, "CSV labels for dense input: need an integer array of shape [3 5 6]"},
		{c("--labels", "$T/dense.pt", "$T/dense.pt"), usage, "choose one with a key (--key)"},
		{c("--labels", "$T/dense.pt", "--key", "probs", "$T/dense.pt"), usage, "choose one with a key (--labels-key)"},
		{c("--labels", "$T/dense.pt", "--key", "probs", "--labels-key", "probs", "$T/dense.pt"), usage, "needs labels of shape [3 5 6]"},
	}
	// The well-formed case above (channels last) must fail nowhere but
	// here: it is replaced by its output going to an unwritable place.
	cases = slices.DeleteFunc(cases, func(b badCase) bool { return b.want == "" })
	cases = append(cases, badCase{c("--labels", "$T/labels.npy", "--class-axis", "-1", "--out", "$D/adir", "$T/probs_nhwk.npy"), failure, "is a directory"})
	runMatrix(t, cases)
}
