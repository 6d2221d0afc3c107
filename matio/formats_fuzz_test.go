package matio_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/focaltk/focal/matio"
)

// addFixtures adds the bytes of testdata fixtures as seeds, with key.
func addFixtures(f *testing.F, key string, names ...string) {
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, key)
	}
}

// fuzzZip opens b as a zip archive with key and, if it opens, reads every
// row: for any bytes, OpenZip and the Array return errors, never panic,
// and the Array yields at most the rows it declares.
func fuzzZip(t *testing.T, b []byte, key string) {
	a, err := matio.OpenZip(bytes.NewReader(b), int64(len(b)), key)
	if err != nil {
		return
	}
	sh := a.Shape()
	if len(sh) == 0 || sh[0] != a.Rows() || a.Rows() < 0 || a.Cols() < 1 || a.OneD() != (len(sh) == 1) {
		t.Fatalf("shape %v, rows %d, cols %d", sh, a.Rows(), a.Cols())
	}
	if a.Cols() > fuzzMaxCols {
		return
	}
	buf := make([]float64, 7*a.Cols())
	ints := make([]int64, 7*a.Cols())
	rows := 0
	for {
		var n int
		if a.IsFloat() && len(key)%2 == 0 {
			n, err = a.ReadFloats(buf)
		} else {
			n, err = a.ReadInts(ints)
		}
		if errors.Is(err, io.EOF) {
			if rows != a.Rows() {
				t.Fatalf("EOF after %d of %d rows", rows, a.Rows())
			}
			return
		}
		if err != nil {
			return
		}
		if rows += n; n < 1 || rows > a.Rows() {
			t.Fatalf("%d rows read of %d", rows, a.Rows())
		}
	}
}

// FuzzNpzReader fuzzes the .npz reader from NumPy-written archives.
func FuzzNpzReader(f *testing.F) {
	addFixtures(f, "probs", "probs.npz", "probs_compressed.npz")
	addFixtures(f, "labels", "probs.npz", "probs_compressed.npz")
	addFixtures(f, "", "single.npz", "probs_truncated.npz")
	f.Fuzz(fuzzZip)
}

// FuzzTorchReader fuzzes the torch.save reader (the pickle, the strides,
// the storages) from PyTorch-written files.
func FuzzTorchReader(f *testing.F) {
	addFixtures(f, "", "torch_probs_f32.pt", "torch_probs_bf16.pt", "torch_transposed.pt", "torch_transposed_2col.pt", "torch_labels_i64.pt", "torch_scalar.pt")
	addFixtures(f, "tail", "torch_offset.pt")
	addFixtures(f, "probs", "torch_dict.pt")
	addFixtures(f, "1", "torch_list.pt")
	addFixtures(f, "f16", "torch_half.pt")
	f.Fuzz(fuzzZip)
}

// FuzzSniff checks that Sniff decides every input: a known format without
// error, or FormatUnknown with an *UnknownFormatError naming the formats.
func FuzzSniff(f *testing.F) {
	for _, s := range []string{"\x93NUMPY", "PK\x03\x04", "a,b\n1,2\n", "\x89PNG\r\n\x1a\n", "\x80\x02", "", "\xff\xfe"} {
		f.Add([]byte(s), "x.csv")
	}
	f.Add([]byte("junk"), "x.npy")
	f.Fuzz(func(t *testing.T, head []byte, name string) {
		if len(head) > matio.SniffLen {
			head = head[:matio.SniffLen]
		}
		format, err := matio.Sniff(head, name)
		var ue *matio.UnknownFormatError
		switch {
		case err == nil && format == matio.FormatUnknown, err != nil && format != matio.FormatUnknown:
			t.Fatalf("format %v, error %v", format, err)
		case err != nil && !errors.As(err, &ue):
			t.Fatalf("error %T %v", err, err)
		}
	})
}
