package calibrate_test

import (
	"slices"
	"testing"

	"github.com/focaltk/focal/calibrate"
)

// FuzzDenseTranspose checks, for any shape of rank 3 to 6 (dimensions 1
// to 8) and any class axis, that the transpose of a sample into pixel rows
// is a permutation (each value once) whose inverse gives the sample back,
// and that each pixel row holds K values that stood post apart in the
// sample (the stride of the class axis), in class order. Which pixel goes
// to which row is checked against NumPy's transposes by TestDenseEndToEnd.
func FuzzDenseTranspose(f *testing.F) {
	f.Add([]byte{3, 4, 5, 6}, int8(1))
	f.Add([]byte{2, 5, 6, 4}, int8(-1))
	f.Add([]byte{1, 5, 4, 6, 2}, int8(2))
	f.Add([]byte{1, 1, 1}, int8(-2))
	f.Fuzz(func(t *testing.T, dims []byte, axis int8) {
		if len(dims) < 3 || len(dims) > 6 {
			return
		}
		shape := []int{1}
		n := 1
		for _, d := range dims[1:] {
			shape = append(shape, 1+int(d%8))
			n *= shape[len(shape)-1]
		}
		sample := make([]float64, n)
		for i := range sample {
			sample[i] = float64(i)
		}
		rows, back, err := calibrate.DenseTranspose(shape, int(axis), sample)
		a := int(axis)
		if a == 0 {
			a = 1
		}
		if a < 0 {
			a += len(shape)
		}
		if a < 1 || a >= len(shape) {
			if err == nil {
				t.Fatalf("shape %v axis %d accepted", shape, axis)
			}
			return
		}
		if err != nil {
			t.Fatalf("shape %v axis %d: %v", shape, axis, err)
		}
		if !slices.Equal(back, sample) {
			t.Fatalf("shape %v axis %d: round trip %v", shape, axis, back)
		}
		seen := make([]bool, n)
		for _, x := range rows {
			if seen[int(x)] {
				t.Fatalf("shape %v axis %d: %v twice", shape, axis, x)
			}
			seen[int(x)] = true
		}
		k, post := shape[a], 1
		for _, d := range shape[a+1:] {
			post *= d
		}
		for r := 0; r < n; r += k {
			for c := 1; c < k; c++ {
				if rows[r+c]-rows[r+c-1] != float64(post) {
					t.Fatalf("shape %v axis %d: row %v", shape, axis, rows[r:r+k])
				}
			}
		}
	})
}
