package calibrate_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/focaltk/focal/calibrate"
	"github.com/focaltk/focal/matio"
)

// readAnyArray reads a whole array of any format matio reads (key for an
// archive): its values, shape and element type.
func readAnyArray(t *testing.T, path, key string) ([]float64, []int, string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	head := make([]byte, matio.SniffLen)
	n, _ := f.ReadAt(head, 0)
	format, err := matio.Sniff(head[:n], path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := matio.OpenArray(f, fi.Size(), format, key)
	if err != nil {
		t.Fatalf("%s [%s]: %v", path, key, err)
	}
	m := make([]float64, a.Rows()*a.Cols())
	if _, err := a.ReadFloats(m); err != nil && len(m) > 0 {
		t.Fatal(err)
	}
	return m, a.Shape(), a.DType()
}

// identityUlps bounds how far Ψ^0 (p ↦ p/Σp) moves a row that already
// sums to 1 within rounding: the division by a sum within a few ulps of 1
// moves each entry by at most a few ulps of itself.
const identityUlps = 4

// TestOutputArchives: --out x.pt (or .pth) writes a torch.save file and
// --out x.npz an .npz archive (array "probs"), holding exactly the values
// and shape of the .npy output, in its float type (float32 for float32 and
// half-precision input), dense input in its own shape. Each archive
// round-trips: calibrated again at γ = 0 (Ψ^0 is the identity on rows that
// sum to 1), it gives back its values. That PyTorch and NumPy load these
// archives is matio's TestZipWriters (archives the libraries loaded).
func TestOutputArchives(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		input, key string
		axis       int
		dtype      string
	}{
		{fixture("probs_f64.npy"), "", 0, "float64"},
		{fixture("torch_probs_f16.pt"), "", 0, "float32"},
		{fixture("torch_probs_bf16.pt"), "", 0, "float32"},
		{fixture("probs.npz"), "probs", 0, "float64"},
		{denseFixture("probs.npy"), "", 0, "float64"},
		{denseFixture("probs_nhwk.npy"), "", -1, "float64"},
		{denseFixture("dense.pt"), "probs", 0, "float32"},
	}
	for i, c := range cases {
		base := calibrate.Options{Input: c.input, Key: c.key, ClassAxis: c.axis, Gamma: 2, SumTol: halfSumTol}
		ref := base
		ref.Output = filepath.Join(dir, fmt.Sprintf("ref%d.npy", i))
		calibrateDense(t, ref)
		want, wantShape, _ := readAnyArray(t, ref.Output, "")
		for _, ext := range []string{".pt", ".pth", ".npz"} {
			o := base
			o.Output = filepath.Join(dir, fmt.Sprintf("out%d%s", i, ext))
			calibrateDense(t, o)
			key := ""
			if ext == ".npz" {
				key = calibrate.OutputNpzKey
			}
			got, shape, dt := readAnyArray(t, o.Output, key)
			if !slices.Equal(shape, wantShape) || dt != c.dtype || !slices.Equal(got, want) {
				t.Errorf("%s → %s: %s %v, want the .npy output's %s %v and its values", c.input, ext, dt, shape, c.dtype, wantShape)
			}
			// Round trip: the archive as input.
			back := calibrate.Options{Input: o.Output, Key: key, ClassAxis: c.axis, Gamma: 0, SumTol: halfSumTol, Output: filepath.Join(dir, fmt.Sprintf("back%d%s.npy", i, ext))}
			calibrateDense(t, back)
			again, shape2, _ := readAnyArray(t, back.Output, "")
			if !slices.Equal(shape2, wantShape) {
				t.Fatalf("%s → %s → .npy: shape %v, want %v", c.input, ext, shape2, wantShape)
			}
			eps := 0x1p-52
			if c.dtype == "float32" {
				eps = 0x1p-23
			}
			for j := range again {
				if d := math.Abs(again[j] - want[j]); d > identityUlps*eps*want[j] {
					t.Fatalf("%s → %s → .npy: entry %d = %v, was %v (%.1f ulps)", c.input, ext, j, again[j], want[j], d/(eps*want[j]))
				}
			}
		}
	}
}
