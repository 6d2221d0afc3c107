package matio_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npy"

	"github.com/focaltk/focal/internal/npyraw"
	"github.com/focaltk/focal/matio"
	"github.com/focaltk/focal/numeric"
)

// The values of testdata/gen_npy.py, which wrote the .npy fixtures with
// NumPy 1.24 (Debian's python3-numpy).
var (
	fixtureProbs = [][]float64{
		{0.7, 0.2, 0.1},
		{0.25, 0.25, 0.5},
		{1.0, 0.0, 0.0},
		{0.1, 0.6, 0.3},
		{1.0 / 3, 1.0 / 3, 1.0 / 3},
	}
	fixtureLogits = [][]float64{
		{2.5, -1.0, 0.0},
		{-3.25, 4.0, 1e-3},
		{0.0, 0.0, 0.0},
		{100.0, -100.0, 7.5},
	}
	fixtureLabels = []int64{0, 2, 0, 1, 2}
)

func openNpy(t *testing.T, name string) *matio.NpyReader {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := matio.NewNpyReader(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// readAll reads a float matrix in blocks of block rows.
func readAll(t *testing.T, r interface {
	Cols() int
	ReadFloats([]float64) (int, error)
}, block int) []float64 {
	t.Helper()
	var all []float64
	buf := make([]float64, block*r.Cols())
	for {
		n, err := r.ReadFloats(buf)
		if err == io.EOF {
			return all
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, buf[:n*r.Cols()]...)
	}
}

func TestNpyReadFloats(t *testing.T) {
	for _, c := range []struct {
		file  string
		want  [][]float64
		f32   bool
		descr string
	}{
		{"probs_f64.npy", fixtureProbs, false, "<f8"},
		{"probs_f32.npy", fixtureProbs, true, "<f4"},
		{"probs_f64_be.npy", fixtureProbs, false, ">f8"},
		{"probs_f32_v2.npy", fixtureProbs, true, "<f4"},
		{"logits_f64.npy", fixtureLogits, false, "<f8"},
		{"logits_f32.npy", fixtureLogits, true, "<f4"},
	} {
		for _, block := range []int{1, 2, 100} {
			r := openNpy(t, c.file)
			if r.Rows() != len(c.want) || r.Cols() != 3 || r.Descr() != c.descr || !r.IsFloat() {
				t.Fatalf("%s: shape (%d, %d) %s", c.file, r.Rows(), r.Cols(), r.Descr())
			}
			got := readAll(t, r, block)
			if len(got) != 3*len(c.want) {
				t.Fatalf("%s: read %d values", c.file, len(got))
			}
			for i, row := range c.want {
				for j, x := range row {
					if c.f32 {
						x = float64(float32(x))
					}
					if got[i*3+j] != x {
						t.Errorf("%s block %d: [%d,%d] = %v, want %v", c.file, block, i, j, got[i*3+j], x)
					}
				}
			}
		}
	}
}

func TestNpyReadInts(t *testing.T) {
	for _, file := range []string{"labels_i64.npy", "labels_i32.npy", "labels_u8.npy", "labels_f64.npy", "labels_col_i64.npy"} {
		r := openNpy(t, file)
		if r.Rows() != 5 || r.Cols() != 1 {
			t.Fatalf("%s: shape (%d, %d)", file, r.Rows(), r.Cols())
		}
		got := make([]int64, 0, 5)
		buf := make([]int64, 2)
		for {
			n, err := r.ReadInts(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			got = append(got, buf[:n]...)
		}
		for i := range fixtureLabels {
			if got[i] != fixtureLabels[i] {
				t.Errorf("%s: %v, want %v", file, got, fixtureLabels)
				break
			}
		}
	}
	// Non-integral floats are not labels.
	r := openNpy(t, "probs_f64.npy")
	if _, err := r.ReadInts(make([]int64, 3)); err == nil || !strings.Contains(err.Error(), "row 0, column 0") {
		t.Errorf("ReadInts of probabilities: %v", err)
	}
}

func TestNpyRejects(t *testing.T) {
	for file, want := range map[string]string{
		"probs_fortran.npy": "Fortran",
		"three_d.npy":       "1-D or 2-D",
		"complex.npy":       "unsupported element type",
	} {
		f, err := os.Open(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		_, err = matio.NewNpyReader(f)
		f.Close()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", file, err, want)
		}
	}
	// The truncated file: the header declares 5 rows, the data hold 3; the
	// error names row 3, the first missing one.
	r := openNpy(t, "probs_truncated.npy")
	buf := make([]float64, 3*2)
	var err error
	for err == nil {
		_, err = r.ReadFloats(buf)
	}
	var re *numeric.RowError
	if !errors.As(err, &re) || re.Row != 2 && re.Row != 3 {
		t.Errorf("truncated file: %v", err)
	}
	for _, bad := range []string{"", "\x93NUMPY", "not a numpy file at all"} {
		if _, err := matio.NewNpyReader(strings.NewReader(bad)); err == nil {
			t.Errorf("NewNpyReader(%q) accepted", bad)
		}
	}
}

// A malformed shape is reported in the file's terms, quoting the header,
// not with the message of the Go function that failed to parse it.
func TestNpyHeaderMessages(t *testing.T) {
	for dict, want := range map[string]string{
		"{'descr': '<f8', 'fortran_order': False, 'shape': (a, 2), }":                    "npy: header's 'shape': (a, 2) is not a tuple of integers below 2^63",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 2), }": "npy: header's 'shape': (99999999999999999999, 2) is not a tuple of integers below 2^63",
	} {
		_, err := matio.NewNpyReader(bytes.NewReader(npyraw.Header(dict)))
		if err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", dict, err, want)
		}
	}
}

// NpyWriter's output is read back by npyio (an independent reader) and by
// NpyReader, in float32 and float64, 1-D and 2-D; its header is padded to 64
// bytes as NumPy pads it. (The same files were checked once with NumPy 1.24:
// numpy.load returns the written arrays.)
func TestNpyWriter(t *testing.T) {
	data := []float64{0.1, 0.2, 0.7, 1, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3, 5e-324, 1e300, -2}
	for _, f32 := range []bool{false, true} {
		var b bytes.Buffer
		w, err := matio.NewNpyWriter(&b, 4, 3, f32, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFloats(data[:6]); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFloats(data[6:]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		raw := b.Bytes()
		hlen := int(raw[8]) | int(raw[9])<<8
		if (10+hlen)%64 != 0 || raw[10+hlen-1] != '\n' {
			t.Errorf("header length %d not padded to 64", hlen)
		}
		if f32 {
			var got []float32
			if err := npy.Read(bytes.NewReader(raw), &got); err != nil {
				t.Fatal(err)
			}
			for i := range data {
				if got[i] != float32(data[i]) {
					t.Errorf("f32 [%d] = %v, want %v", i, got[i], float32(data[i]))
				}
			}
		} else {
			var got []float64
			if err := npy.Read(bytes.NewReader(raw), &got); err != nil {
				t.Fatal(err)
			}
			for i := range data {
				if got[i] != data[i] {
					t.Errorf("f64 [%d] = %v, want %v", i, got[i], data[i])
				}
			}
		}
		r, err := matio.NewNpyReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if r.Rows() != 4 || r.Cols() != 3 {
			t.Errorf("shape (%d, %d)", r.Rows(), r.Cols())
		}
	}
	// Row count is enforced.
	var b bytes.Buffer
	w, _ := matio.NewNpyWriter(&b, 2, 1, false, true)
	w.WriteFloats([]float64{1})
	if err := w.Close(); err == nil {
		t.Error("Close after 1 of 2 rows succeeded")
	}
	if err := w.WriteFloats([]float64{1, 2}); err == nil {
		t.Error("writing 3 rows of 2 succeeded")
	}
	r, err := matio.NewNpyReader(bytes.NewReader(b.Bytes()))
	if err != nil || r.Rows() != 2 || r.Cols() != 1 {
		t.Errorf("1-D header: %v (%d, %d)", err, r.Rows(), r.Cols())
	}
	_ = math.Pi
}
