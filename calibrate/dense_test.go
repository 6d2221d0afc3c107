package calibrate_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/focaltk/focal/calibrate"
)

// denseFixture returns the path of a file of testdata/dense (written by
// gen_dense.py with NumPy and PyTorch).
func denseFixture(name string) string { return filepath.Join("testdata", "dense", name) }

// readArray reads a whole array of any rank: its values (floats, or
// integers as floats) and shape.
func readArray(t *testing.T, path string) ([]float64, []int) {
	t.Helper()
	m, shape, _ := readAnyArray(t, path, "")
	return m, shape
}

func calibrateDense(t *testing.T, o calibrate.Options) *calibrate.Report {
	t.Helper()
	rep, err := calibrate.Calibrate(context.Background(), o, &strings.Builder{})
	if err != nil {
		t.Fatalf("%s (axis %d): %v", o.Input, o.ClassAxis, err)
	}
	return rep
}

// TestDenseEndToEnd calibrates N×K×H×W probabilities (and their N×H×W×K
// and N×H×K×W transposes, and a torch.save dict of them) with N×H×W labels
// and a reliability plot, and compares each output, element by element
// through NumPy's transposes (perm_*.npy), and the metrics with those of
// the same pixels given as (N·H·W)×K rows.
func TestDenseEndToEnd(t *testing.T) {
	dir := t.TempDir()
	refOut := filepath.Join(dir, "rows-out.npy")
	ref := calibrateDense(t, calibrate.Options{Input: denseFixture("rows.npy"), Output: refOut, Labels: denseFixture("rows_labels.npy"), Gamma: 2, Bins: 5})
	want, _ := readArray(t, refOut)
	wantMetrics := fmt.Sprint(ref.Variants)
	ident := make([]float64, len(want))
	for i := range ident {
		ident[i] = float64(i)
	}
	permNKHW, _ := readArray(t, denseFixture("perm_nkhw.npy"))
	permNHKW, _ := readArray(t, denseFixture("perm_nhkw.npy"))
	cases := []struct {
		file  string
		axis  int
		shape []int
		perm  []float64
	}{
		{"probs.npy", 0, []int{3, 4, 5, 6}, permNKHW},
		{"probs.npy", 1, []int{3, 4, 5, 6}, permNKHW},
		{"probs.npy", -3, []int{3, 4, 5, 6}, permNKHW},
		{"probs_nhwk.npy", -1, []int{3, 5, 6, 4}, ident},
		{"probs_nhwk.npy", 3, []int{3, 5, 6, 4}, ident},
		{"probs_nhkw.npy", 2, []int{3, 5, 4, 6}, permNHKW},
	}
	for i, c := range cases {
		out := filepath.Join(dir, fmt.Sprintf("out%d.npy", i))
		plot := filepath.Join(dir, fmt.Sprintf("rel%d.png", i))
		rep := calibrateDense(t, calibrate.Options{Input: denseFixture(c.file), ClassAxis: c.axis, Output: out, Labels: denseFixture("labels.npy"),
			Gamma: 2, Bins: 5, Plot: plot, BlockRows: 7}) // blocks that split samples
		got, shape := readArray(t, out)
		if !slices.Equal(shape, c.shape) {
			t.Fatalf("%s axis %d: output shape %v, want %v", c.file, c.axis, shape, c.shape)
		}
		for j, x := range got {
			if x != want[int(c.perm[j])] {
				t.Fatalf("%s axis %d: element %d = %v, the rows' %v", c.file, c.axis, j, x, want[int(c.perm[j])])
			}
		}
		if rep.Rows != 90 || rep.Classes != 4 || fmt.Sprint(rep.Variants) != wantMetrics {
			t.Errorf("%s axis %d: %d rows of %d classes, metrics\n%v\nwant\n%v", c.file, c.axis, rep.Rows, rep.Classes, rep.Variants, wantMetrics)
		}
		if fi, err := os.Stat(plot); err != nil || fi.Size() == 0 {
			t.Errorf("%s: plot %v", c.file, err)
		}
	}
	// A torch.save dict of float32 tensors: the same as its values
	// arranged as rows by NumPy's permutation, rounded once to float32.
	out := filepath.Join(dir, "torch-out.npy")
	calibrateDense(t, calibrate.Options{Input: denseFixture("dense.pt"), Key: "probs", Output: out, Labels: denseFixture("dense.pt"), LabelsKey: "labels", Gamma: 2, Val: "0.3"})
	got, shape := readArray(t, out)
	vals, _ := readArray(t, denseFixture("probs.npy"))
	rows := make([]float64, len(vals))
	for j, x := range vals {
		rows[int(permNKHW[j])] = float64(float32(x))
	}
	rowsOut := filepath.Join(dir, "rows32-out.npy")
	calibrateDense(t, calibrate.Options{Input: writeNpy(t, dir, "rows32.npy", rows, 4, false), Output: rowsOut, SumTol: 1e-6, Gamma: 2})
	want32, _ := readArray(t, rowsOut)
	if !slices.Equal(shape, []int{3, 4, 5, 6}) {
		t.Fatalf("torch: shape %v", shape)
	}
	for j, x := range got {
		if w := want32[int(permNKHW[j])]; math.Abs(x-w) > roundTo32*w {
			t.Fatalf("torch: element %d = %v, rows %v", j, x, w)
		}
	}
	// CSV output holds the pixel rows.
	var csv strings.Builder
	if _, err := calibrate.Calibrate(context.Background(), calibrate.Options{Input: denseFixture("probs.npy"), Gamma: 2}, &csv); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(csv.String(), "\n"); n != 90 {
		t.Errorf("CSV output of %d lines, want 90 pixel rows", n)
	}
}

// TestDenseErrors checks the errors of the class axis and of dense labels.
func TestDenseErrors(t *testing.T) {
	dir := t.TempDir()
	csvLabels := filepath.Join(dir, "y.csv")
	os.WriteFile(csvLabels, []byte("0\n1\n"), 0o644)
	checkOptionErrors(t, []optionError{
		{calibrate.Options{Input: denseFixture("probs.npy"), ClassAxis: 4}, "ClassAxis", "out of range for"},
		{calibrate.Options{Input: denseFixture("probs.npy"), ClassAxis: -4}, "ClassAxis", "one of 1..3"},
		{calibrate.Options{Input: denseFixture("rows.npy"), ClassAxis: 2}, "ClassAxis", "whose classes are its columns"},
		{calibrate.Options{Input: denseFixture("probs.npy"), Labels: denseFixture("rows_labels.npy")}, "", "labels of shape [90]: the dense input of shape [3 4 5 6] with classes on axis 1 needs labels of shape [3 5 6]"},
		{calibrate.Options{Input: denseFixture("probs_nhwk.npy"), ClassAxis: -1, Labels: denseFixture("probs.npy")}, "", "needs labels of shape [3 5 6]"},
		{calibrate.Options{Input: denseFixture("probs.npy"), Labels: csvLabels}, "", "CSV labels for dense input"},
		{calibrate.Options{Input: denseFixture("probs.npy"), ClassAxis: 2}, "", "sum"}, // axis 2 (H = 5) is no probability axis
	})
}
