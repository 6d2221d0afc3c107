package matio_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/focaltk/focal/matio"
)

// The writers' oracle is the reader of each format's own library: the
// archives in testdata/written_* were made by these writers and then
// loaded by PyTorch (torch.load) and NumPy (numpy.load), which saved what
// they decoded as testdata/written_*_decoded.npy (testdata/check_written.py).
// The test checks that the writers still produce those archives byte for
// byte, and that what the libraries decoded is the data written (exactly
// for float64, as float32 rounds it for float32). Run with
// FOCAL_UPDATE_WRITTEN=1 to rewrite the archives after a deliberate change
// to the writers, then rerun check_written.py.

// writtenValues are n values with the edges of the data: 0, a subnormal,
// 1 − 2^−53, 1, and values that float32 rounds.
func writtenValues(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(i)/7 + 0.1
	}
	edges := []float64{0, 5e-324, 1 - 0x1p-53, 1, math.SmallestNonzeroFloat32}
	copy(v, edges[:min(n, len(edges))])
	return v
}

var writtenCases = []struct {
	file  string
	torch bool
	shape []int
	f32   bool
}{
	{"written_f32.pt", true, []int{3, 4}, true},
	{"written_f64_nchw.pt", true, []int{2, 3, 2, 2}, false},
	{"written_1d.pt", true, []int{5}, true},
	{"written_f64.npz", false, []int{3, 4}, false},
	{"written_f32_nchw.npz", false, []int{2, 3, 1, 2}, true},
}

func TestZipWriters(t *testing.T) {
	update := os.Getenv("FOCAL_UPDATE_WRITTEN") == "1"
	for _, c := range writtenCases {
		n := 1
		for _, d := range c.shape {
			n *= d
		}
		v := writtenValues(n)
		var buf bytes.Buffer
		var w *matio.ZipArrayWriter
		var err error
		if c.torch {
			w, err = matio.NewTorchWriter(&buf, c.shape, c.f32)
		} else {
			w, err = matio.NewNpzWriter(&buf, "probs", c.shape, c.f32)
		}
		if err != nil {
			t.Fatal(c.file, err)
		}
		// In two blocks of rows, as the pipeline writes.
		cols := n / c.shape[0]
		if err := w.WriteFloats(v[:cols]); err != nil {
			t.Fatal(c.file, err)
		}
		if err := w.WriteFloats(v[cols:]); err != nil {
			t.Fatal(c.file, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(c.file, err)
		}
		path := filepath.Join("testdata", c.file)
		if update {
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: the writer's archive differs from the one the library loaded (FOCAL_UPDATE_WRITTEN=1 and check_written.py after a deliberate change)", c.file)
		}
		exp := slices.Clone(v)
		if c.f32 {
			for i, x := range exp {
				exp[i] = float64(float32(x))
			}
		}
		key := ""
		if !c.torch {
			key = "probs"
		}
		dec := mustOpenArray(t, c.file[:len(c.file)-len(filepath.Ext(c.file))]+"_decoded.npy", "")
		if !slices.Equal(dec.Shape(), c.shape) {
			t.Errorf("%s: the library decoded shape %v, want %v", c.file, dec.Shape(), c.shape)
		}
		if got := readAll(t, dec, 2); !slices.Equal(got, exp) {
			t.Errorf("%s: the library decoded %v, want %v", c.file, got, exp)
		}
		a := mustOpenArray(t, c.file, key)
		if got := readAll(t, a, 1); !slices.Equal(a.Shape(), c.shape) || !slices.Equal(got, exp) {
			t.Errorf("%s: read back %v %v, want %v %v", c.file, a.Shape(), got, c.shape, exp)
		}
	}
}

// TestZipWriterRows: Close refuses an array with fewer rows than its
// shape declares, and WriteFloats one with more.
func TestZipWriterRows(t *testing.T) {
	for _, torch := range []bool{false, true} {
		var buf bytes.Buffer
		var w *matio.ZipArrayWriter
		var err error
		if torch {
			w, err = matio.NewTorchWriter(&buf, []int{2, 2}, true)
		} else {
			w, err = matio.NewNpzWriter(&buf, "probs", []int{2, 2}, true)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFloats([]float64{1, 0}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err == nil {
			t.Errorf("torch=%v: Close after 1 of 2 rows: no error", torch)
		}
		if err := w.WriteFloats([]float64{1, 0, 1, 0}); err == nil {
			t.Errorf("torch=%v: a third row: no error", torch)
		}
	}
	if _, err := matio.NewTorchWriter(&bytes.Buffer{}, nil, true); err == nil {
		t.Error("rank 0: no error")
	}
}
