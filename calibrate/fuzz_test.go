package calibrate_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/focaltk/focal/calibrate"
	"github.com/focaltk/focal/internal/npyraw"
	"github.com/focaltk/focal/matio"
)

// Fuzz targets of the calibrate pipeline's readers: the input matrix
// (.npy or CSV) and the label and validation-index files. For any file
// contents, Run must not panic, and either
//   - succeed, with an output of the input's shape whose entries are
//     probabilities (rows summing to 1 for the softmax loss), or
//   - fail with an *InputError or a *UsageError (bad input: exit code 2
//     of verify calibrate), leaving no output file and no temporary file.
// Seeds: the f.Add calls and testdata/fuzz/<target>/; CI runs each target
// briefly (.ci/run).

// fuzzRowSumTol bounds |Σ_j p_j − 1| of an output row: Ψ's rows sum to 1
// within 2(K + 4) ulps (theory's fuzz tests) for K up to the fuzz inputs'
// few columns, and a float32 output adds half an ulp of float32 per entry
// (2^−24·K); 1e-5 covers K ≤ 64 with a margin.
const fuzzRowSumTol = 1e-5

func f64s(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// runFuzz runs the pipeline on files in dir and checks the invariants
// above; inputs lists the files the test wrote.
func runFuzz(t *testing.T, dir string, o calibrate.Options, inputs ...string) {
	t.Helper()
	o.Workers, o.BlockRows = 2, 3
	var stdout, report bytes.Buffer
	rep, err := calibrate.Calibrate(context.Background(), o, &stdout)
	if err == nil && o.Labels != "" {
		if err := rep.WriteJSON(&report); err != nil {
			t.Fatalf("report: %v", err)
		}
	}
	ents, _ := os.ReadDir(dir)
	if err != nil {
		var ie *calibrate.InputError
		var ue *calibrate.UsageError
		if !errors.As(err, &ie) && !errors.As(err, &ue) {
			t.Fatalf("error %v (%T) is neither an InputError nor a UsageError", err, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("error of several lines: %q", err)
		}
		if len(ents) != len(inputs) {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Fatalf("error %v, and files left: %v", err, names)
		}
		return
	}
	f, err := os.Open(o.Output)
	if err != nil {
		t.Fatalf("no output after success: %v", err)
	}
	defer f.Close()
	var vals []float64
	var k int
	if strings.HasSuffix(o.Output, ".npy") {
		r, err := matio.NewNpyReader(f)
		if err != nil {
			t.Fatal(err)
		}
		k = r.Cols()
		vals = make([]float64, r.Rows()*k)
		if len(vals) > 0 {
			if n, err := r.ReadFloats(vals); n != r.Rows() || err != nil {
				t.Fatalf("output: %d rows of %d, %v", n, r.Rows(), err)
			}
		}
	} else {
		r, err := matio.NewCSVReader(f)
		if err != nil {
			t.Fatal(err)
		}
		k = r.Cols()
		buf := make([]float64, 64*k)
		for {
			n, err := r.ReadFloats(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("output: %v", err)
			}
			vals = append(vals, buf[:n*k]...)
		}
	}
	if len(vals) == 0 {
		t.Fatal("success with no rows")
	}
	for r := 0; r < len(vals)/k; r++ {
		var sum float64
		for j, x := range vals[r*k : (r+1)*k] {
			if !(x >= 0 && x <= 1) {
				t.Fatalf("output row %d, column %d = %v", r, j, x)
			}
			sum += x
		}
		if o.Loss != calibrate.LossSigmoid && math.Abs(sum-1) > fuzzRowSumTol {
			t.Fatalf("output row %d sums to %v", r, sum)
		}
	}
	if o.Labels != "" && !bytes.Contains(report.Bytes(), []byte(`"version": 2`)) {
		t.Fatalf("no JSON report with labels: %q", report.String())
	}
}

// fuzzOptions picks the loss and input kind from mode.
func fuzzOptions(mode uint8) calibrate.Options {
	o := calibrate.Options{Gamma: 2}
	switch mode % 4 {
	case 1:
		o.InputKind = calibrate.InputLogits
	case 2:
		o.Loss, o.Alpha = calibrate.LossSigmoid, []float64{-1}
	case 3:
		o.Renormalize = true
	}
	return o
}

func FuzzCalibrateInput(f *testing.F) {
	f.Add([]byte("a,b,c\n0.7,0.2,0.1\n0.2,0.5,0.3\n0.1,0.1,0.8\n"), false, uint8(0))
	f.Add([]byte("0.7,0.2,0.1\n0.2,0.5\n"), false, uint8(0))
	f.Add([]byte("0.7,0.2,0.1\n0.2,0.5,0.2\n"), false, uint8(0))
	f.Add([]byte("1,2,3\n-1e308,0,1e308\n"), false, uint8(1))
	f.Add([]byte("0.1\n0.9\n1\n0\n"), false, uint8(2))
	f.Add([]byte("0.1\n"), false, uint8(0))
	f.Add([]byte(""), false, uint8(0))
	f.Add([]byte("\"unterminated\n"), false, uint8(0))
	f.Add([]byte("2,2\n0,0\n"), false, uint8(3))
	f.Add(npyraw.File("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", f64s(0.5, 0.5, 0.9, 0.1)), true, uint8(0))
	f.Add(npyraw.File("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", f64s(0.5, 0.5, 0.9, 0.1)), true, uint8(0))
	f.Add(npyraw.File("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", []byte("\x00\x00\x00\x3f\x00\x00\x00\x3f")), true, uint8(0))
	f.Add(npyraw.File("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 10000000), }", nil), true, uint8(0))
	f.Add(npyraw.File("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1000000), }", nil), true, uint8(0))
	f.Add(npyraw.File("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }", f64s(0, 1)), true, uint8(0))
	f.Add(npyraw.File("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", f64s(0.2, 0.9)), true, uint8(2))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"), true, uint8(0))
	f.Add([]byte("\x93NUMPY\x01\x00\x08\x00{}     \n"), true, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, npy bool, mode uint8) {
		dir := t.TempDir()
		in := filepath.Join(dir, "in.csv")
		out := filepath.Join(dir, "out.csv")
		if npy {
			in, out = filepath.Join(dir, "in.npy"), filepath.Join(dir, "out.npy")
		}
		if err := os.WriteFile(in, data, 0o644); err != nil {
			t.Fatal(err)
		}
		o := fuzzOptions(mode)
		o.Input, o.Output = in, out
		runFuzz(t, dir, o, in)
	})
}

func FuzzCalibrateLabels(f *testing.F) {
	f.Add([]byte("y\n0\n2\n2\n1\n"), false, []byte(""), false)
	f.Add([]byte("0\n2\n"), false, []byte(""), false)
	f.Add([]byte("0\n2\n2\n1\n0\n"), false, []byte(""), false)
	f.Add([]byte("0\n3\n2\n1\n"), false, []byte(""), false)
	f.Add([]byte("0\n-1\n2\n1\n"), false, []byte(""), false)
	f.Add([]byte("y,z\n0,1\n2,1\n2,1\n1,1\n"), false, []byte(""), false)
	f.Add([]byte("0\n2.0\n2\n1\n"), false, []byte("1\n3\n"), true)
	f.Add([]byte("0\n2.5\n2\n1\n"), false, []byte(""), false)
	f.Add([]byte("0\n2\n2\n1\n"), false, []byte("idx\n7\n"), true)
	f.Add([]byte("0\n2\n2\n1\n"), false, []byte("0\n1\n2\n3\n"), true)
	f.Add([]byte("0\n2\n2\n1\n"), false, []byte("x\ny\n"), true)
	f.Add([]byte("0\n2\n2\n1\n"), false, []byte("0.5"), true)
	f.Add(npyraw.File("{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }", f64s(0, 0, 0, 0)), true, []byte(""), false)
	f.Add(npyraw.File("{'descr': '<u1', 'fortran_order': False, 'shape': (4,), }", []byte{0, 2, 2, 1}), true, []byte(""), false)
	f.Add(npyraw.File("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", f64s(0, 2, 2, 1.5)), true, []byte(""), false)
	f.Add(npyraw.File("{'descr': '<i8', 'fortran_order': False, 'shape': (4, 2), }", f64s(0, 2, 2, 1)), true, []byte(""), false)
	f.Add(npyraw.File("{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", []byte{0, 0, 0}), true, []byte(""), false)
	f.Fuzz(func(t *testing.T, labels []byte, npy bool, val []byte, useVal bool) {
		dir := t.TempDir()
		in := filepath.Join(dir, "in.csv")
		if err := os.WriteFile(in, []byte("0.7,0.2,0.1\n0.2,0.5,0.3\n0.1,0.1,0.8\n0.3,0.3,0.4\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		lab := filepath.Join(dir, "y.csv")
		if npy {
			lab = filepath.Join(dir, "y.npy")
		}
		if err := os.WriteFile(lab, labels, 0o644); err != nil {
			t.Fatal(err)
		}
		files := []string{in, lab}
		o := calibrate.Options{Input: in, Output: filepath.Join(dir, "out.csv"), Labels: lab, Gamma: 2, Bootstrap: 3}
		if useVal {
			vf := filepath.Join(dir, "val.txt")
			if err := os.WriteFile(vf, val, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, vf)
			o.Val = vf
		}
		runFuzz(t, dir, o, files...)
	})
}
