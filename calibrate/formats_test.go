package calibrate_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/focaltk/focal/calibrate"
	"github.com/focaltk/focal/matio"
)

// fixture returns the path of a file of matio/testdata (written by NumPy
// and PyTorch: gen_npy.py, gen_torch.py).
func fixture(name string) string { return filepath.Join("..", "matio", "testdata", name) }

// readFixture reads the float array key of a fixture whole: its values
// and its columns.
func readFixture(t *testing.T, name, key string) ([]float64, int) {
	t.Helper()
	m, shape, _ := readAnyArray(t, fixture(name), key)
	cols := 1
	for _, d := range shape[1:] {
		cols *= d
	}
	return m, cols
}

// roundTo32 is the tolerance between a float32 output and the float64
// output of the same float64 computation: one rounding to float32, at most
// half an ulp, 2^−24 relative.
const roundTo32 = 0x1p-24

// halfSumTol is the row-sum tolerance of the round-trip runs: the fixtures'
// rows rounded to bfloat16 sum to 1 within 3·2^−8, and the float64
// reference of the same values must accept them too.
const halfSumTol = 3 * 0x1p-8

// TestFormatsRoundTrip calibrates each new input format with --out x.npy
// and compares the matrix with that of the same values given as a float64
// .npy file (the values as NumPy or PyTorch decode them: their own float64
// conversions, written beside the fixtures): equal for float64 input,
// within one float32 rounding for the others, whose output is float32.
func TestFormatsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	labels := fixture("labels_i64.npy")
	ref := func(name, key string) []float64 { m, _ := readFixture(t, name, key); return m }
	f32 := func(m []float64) []float64 {
		out := make([]float64, len(m))
		for i, x := range m {
			out[i] = float64(float32(x))
		}
		return out
	}
	p64 := ref("probs_f64.npy", "")
	cases := []struct {
		file, key, labels, labelsKey string
		values                       []float64 // the input's values in float64
		f32out                       bool
	}{
		{"torch_probs_f64.pt", "", labels, "", p64, false},
		{"torch_list.pt", "0", fixture("torch_list.pt"), "1", p64, false},
		{"torch_transposed.pt", "", fixture("torch_labels_i64.pt"), "", p64, false},
		{"torch_offset.pt", "tail", fixture("torch_labels_u8.pt"), "", p64, false},
		{"torch_probs_f32.pt", "", fixture("torch_dict.pt"), "labels", f32(p64), true},
		{"torch_dict.pt", "probs", fixture("torch_labels_i32.pt"), "", f32(p64), true},
		{"torch_probs_f16.pt", "", labels, "", ref("torch_half.pt", "f16_as_f64"), true},
		{"torch_probs_bf16.pt", "", labels, "", ref("torch_half.pt", "bf16_as_f64"), true},
		{"probs_f16.npy", "", labels, "", ref("probs_f16_as_f64.npy", ""), true},
		{"probs_f16_be.npy", "", labels, "", ref("probs_f16_as_f64.npy", ""), true},
		{"probs.npz", "probs", fixture("probs.npz"), "labels", p64, false},
		{"single.npz", "", fixture("probs_compressed.npz"), "labels", p64, false},
		{"probs_compressed.npz", "probs", labels, "", f32(p64), true},
	}
	for i, c := range cases {
		refIn := writeNpy(t, dir, "ref.npy", c.values, 3, false)
		refOut := filepath.Join(dir, "ref-out.npy")
		o := calibrate.Options{Input: refIn, Output: refOut, Labels: labels, Gamma: 2, SumTol: halfSumTol, Bins: 4}
		if _, _, err := run(t, o); err != nil {
			t.Fatalf("%s: reference: %v", c.file, err)
		}
		want, _ := readNpy(t, refOut)
		out := filepath.Join(dir, "out"+string(rune('a'+i))+".npy")
		o = calibrate.Options{Input: fixture(c.file), Key: c.key, Output: out, Labels: c.labels, LabelsKey: c.labelsKey, Gamma: 2, SumTol: halfSumTol, Bins: 4}
		if _, _, err := run(t, o); err != nil {
			t.Fatalf("%s [%s]: %v", c.file, c.key, err)
		}
		got, k := readNpy(t, out)
		if k != 3 || len(got) != len(want) {
			t.Fatalf("%s: %d values of %d columns", c.file, len(got), k)
		}
		tol := 0.0
		if c.f32out {
			tol = roundTo32
		}
		for j := range got {
			if math.Abs(got[j]-want[j]) > tol*math.Abs(want[j]) {
				t.Errorf("%s [%s]: entry %d = %v, float64 reference %v (tolerance %g relative)", c.file, c.key, j, got[j], want[j], tol)
			}
		}
		// The output's float type: float32 for every input but float64.
		f, _ := os.Open(out)
		r, err := matio.NewNpyReader(f)
		f.Close()
		if err != nil || (r.DType() == "float32") != c.f32out {
			t.Errorf("%s: output %v, %v", c.file, r, err)
		}
	}
}

// TestHalfSumTolerance checks the default row-sum tolerance of half
// precision: bfloat16 rows rounded from exact posteriors pass with the
// default (SumTolBFloat16·K), and the same values as float64 .npy are
// refused with float64's tight tolerance.
func TestHalfSumTolerance(t *testing.T) {
	dir := t.TempDir()
	o := calibrate.Options{Input: fixture("torch_probs_bf16.pt"), Output: filepath.Join(dir, "o.npy"), Gamma: 2}
	if _, _, err := run(t, o); err != nil {
		t.Fatalf("bfloat16 input refused: %v", err)
	}
	vals, _ := readFixture(t, "torch_half.pt", "bf16_as_f64")
	o.Input = writeNpy(t, dir, "bf16.npy", vals, 3, false)
	_, _, err := run(t, o)
	var ie *calibrate.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "sum") {
		t.Fatalf("float64 copy of bfloat16 rows: %v, want a row-sum error", err)
	}
	if calibrate.SumTolHalf != 0x1p-10 || calibrate.SumTolBFloat16 != 0x1p-7 {
		t.Fatal("tolerances changed: update docs/calibrate.md")
	}
}

// TestFormatErrors checks the errors of formats, keys and shapes at the
// pipeline's level: the CLI's bad-input matrix checks their messages.
func TestFormatErrors(t *testing.T) {
	dir := t.TempDir()
	png := filepath.Join(dir, "x.csv")
	os.WriteFile(png, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), 0o644)
	checkOptionErrors(t, []optionError{
		{calibrate.Options{Input: png}, "", "unknown file format (a PNG image)"},
		{calibrate.Options{Input: fixture("torch_legacy.pt")}, "", "legacy torch.save"},
		{calibrate.Options{Input: fixture("torch_dict.pt")}, "Key", "holds 2 tensors"},
		{calibrate.Options{Input: fixture("torch_dict.pt"), Key: "epoch"}, "Key", "is an int, not a tensor"},
		{calibrate.Options{Input: fixture("torch_labels_i64.pt")}, "", "element type int64"},
		{calibrate.Options{Input: fixture("probs_f64.npy"), Labels: fixture("probs.npz")}, "LabelsKey", "holds 2 arrays"},
		{calibrate.Options{Input: fixture("probs_f64.npy"), Labels: fixture("torch_probs_f32.pt")}, "", "need a 1-D array of integer labels"},
		{calibrate.Options{Input: fixture("probs_f64.npy"), Key: "probs"}, "Key", "a .npy file holds one array"},
		{calibrate.Options{Input: fixture("probs_truncated.npz"), Key: "probs"}, "", "zip"},
		{calibrate.Options{Input: fixture("torch_scalar.pt")}, "", "0-D"},
	})
}

// optionError is a run that must fail: with a UsageError of field, or
// with an InputError if field is "", whose message holds want.
type optionError struct {
	o     calibrate.Options
	field string
	want  string
}

// checkOptionErrors runs each case at γ = 2 and checks its error.
func checkOptionErrors(t *testing.T, cases []optionError) {
	t.Helper()
	for _, c := range cases {
		c.o.Gamma = 2
		_, err := calibrate.Calibrate(context.Background(), c.o, &strings.Builder{})
		var ue *calibrate.UsageError
		var ie *calibrate.InputError
		switch {
		case err == nil:
			t.Errorf("%+v: accepted", c.o)
		case c.field != "" && (!errors.As(err, &ue) || ue.Field != c.field):
			t.Errorf("%+v: %v, want a UsageError of %s", c.o, err, c.field)
		case c.field == "" && !errors.As(err, &ie):
			t.Errorf("%+v: %v, want an InputError", c.o, err)
		case !strings.Contains(err.Error(), c.want):
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
}
