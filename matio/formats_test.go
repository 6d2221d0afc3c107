package matio_test

import (
	"errors"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/focaltk/focal/matio"
)

// openArray sniffs and opens the fixture name with key.
func openArray(t *testing.T, name, key string) (matio.Array, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, matio.SniffLen)
	n, _ := io.ReadFull(f, head)
	format, err := matio.Sniff(head[:n], name)
	if err != nil {
		return nil, err
	}
	return matio.OpenArray(f, fi.Size(), format, key)
}

func mustOpenArray(t *testing.T, name, key string) matio.Array {
	t.Helper()
	a, err := openArray(t, name, key)
	if err != nil {
		t.Fatalf("%s [%s]: %v", name, key, err)
	}
	return a
}

// readInts reads all of an integer array in blocks of block rows.
func readInts(t *testing.T, a matio.Array, block int) []int64 {
	t.Helper()
	var all []int64
	buf := make([]int64, block*a.Cols())
	for {
		n, err := a.ReadInts(buf)
		if err == io.EOF {
			return all
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, buf[:n*a.Cols()]...)
	}
}

func flat(m [][]float64) []float64 {
	var out []float64
	for _, r := range m {
		out = append(out, r...)
	}
	return out
}

// TestSniff checks the format decided from leading bytes and names.
func TestSniff(t *testing.T) {
	cases := []struct {
		name string
		head string
		want matio.Format
		err  string // a substring of the UnknownFormatError, "" if none
	}{
		{"x.npy", "\x93NUMPY\x01\x00", matio.FormatNpy, ""},
		{"x.csv", "\x93NUMPY\x01\x00", matio.FormatNpy, ""}, // the bytes win over the name
		{"x", "PK\x03\x04\x14\x00", matio.FormatZip, ""},
		{"x.csv", "PK\x05\x06", matio.FormatZip, ""},
		{"x.npy", "garbage", matio.FormatNpy, ""}, // the .npy reader says what is wrong
		{"x.npz", "garbage", matio.FormatZip, ""},
		{"x.pt", "", matio.FormatZip, ""},
		{"x.csv", "a,b\n0.5,0.5\n", matio.FormatCSV, ""},
		{"x.txt", "\ufeffa,b\r\n0.5,\t0.5\n", matio.FormatCSV, ""},
		{"x", "", matio.FormatCSV, ""},
		{"x.csv", "0.5,0.5\x00", matio.FormatUnknown, "binary data of no known format"},
		{"x.png", "\x89PNG\r\n\x1a\n\x00\x00", matio.FormatUnknown, "a PNG image"},
		{"x.h5", "\x89HDF\r\n\x1a\n", matio.FormatUnknown, "HDF5"},
		{"x.csv", "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e", matio.FormatUnknown, "legacy torch.save"},
		{"x.pkl", "\x80\x04\x95", matio.FormatUnknown, "pickle"},
		{"x.csv.gz", "\x1f\x8b\x08", matio.FormatUnknown, "gzip"},
		{"x.csv", "\xff\xfe0\x00.\x005\x00", matio.FormatUnknown, "no known format"}, // UTF-16
	}
	for _, c := range cases {
		got, err := matio.Sniff([]byte(c.head), c.name)
		if got != c.want {
			t.Errorf("Sniff(%q, %q) = %v, want %v", c.head, c.name, got, c.want)
		}
		var ue *matio.UnknownFormatError
		switch {
		case c.err == "" && err != nil:
			t.Errorf("Sniff(%q, %q): %v", c.head, c.name, err)
		case c.err != "" && (!errors.As(err, &ue) || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), matio.KnownFormats)):
			t.Errorf("Sniff(%q, %q): error %v, want one naming %q and the known formats", c.head, c.name, err, c.err)
		}
	}
	// A UTF-8 sequence cut by the end of the sniffed bytes is still text.
	head := []byte(strings.Repeat("a", matio.SniffLen-1) + "é")[:matio.SniffLen]
	if f, err := matio.Sniff(head, "x.csv"); f != matio.FormatCSV || err != nil {
		t.Errorf("text cut inside a rune: %v, %v", f, err)
	}
}

// TestFloat16AllBits decodes every binary16 bit pattern and compares it,
// bit for bit (signed zeros included; any NaN for a NaN), with the value
// NumPy gives it (testdata/half_table.npz, written by gen_npy.py) and with
// the value of its bit fields in exact big.Float arithmetic. (gopickle's
// own float16 conversion, pytorch.FloatBits16to32, is no oracle: it
// decodes the subnormals wrongly, 0x0001 as 6.1e-05.)
func TestFloat16AllBits(t *testing.T) {
	a := mustOpenArray(t, "half_table.npz", "value")
	if a.Rows() != 1<<16 || a.DType() != "float64" {
		t.Fatalf("half_table.npz: %d rows of %s", a.Rows(), a.DType())
	}
	table := readAll(t, a, 4096)
	subnormals := 0
	for h := range 1 << 16 {
		got := matio.Float16ToFloat64(uint16(h))
		second := bigHalf(uint16(h))
		for _, want := range []float64{table[h], second} {
			if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && math.Float64bits(want) != math.Float64bits(got)) {
				t.Fatalf("Float16ToFloat64(%#04x) = %v (%#x), NumPy %v, gopickle %v", h, got, math.Float64bits(got), table[h], second)
			}
		}
		if h&0x7c00 == 0 && h&0x3ff != 0 {
			subnormals++
		}
	}
	if subnormals != 2*1023 {
		t.Fatalf("%d subnormal patterns", subnormals)
	}
	// The edges by their known values.
	for h, want := range map[uint16]float64{0x0001: 0x1p-24, 0x03ff: 1023 * 0x1p-24, 0x0400: 0x1p-14, 0x3c00: 1, 0x3bff: 1 - 0x1p-11, 0x7bff: 65504, 0x7c00: math.Inf(1), 0xfc00: math.Inf(-1), 0x8000: math.Copysign(0, -1)} {
		if got := matio.Float16ToFloat64(h); math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("Float16ToFloat64(%#04x) = %v, want %v", h, got, want)
		}
	}
}

// bigHalf returns the value of the binary16 bits h from its fields in
// big.Float arithmetic: (−1)^s · 2^(e−15) · (1 + f/1024) for a normal
// exponent e, (−1)^s · 2^−14 · f/1024 for e = 0, ±Inf or NaN for e = 31.
func bigHalf(h uint16) float64 {
	s, e, f := h>>15, int(h>>10&31), int64(h&1023)
	if e == 31 {
		if f != 0 {
			return math.NaN()
		}
		return math.Inf(1 - 2*int(s))
	}
	v := new(big.Float).SetInt64(f)
	v.Quo(v, big.NewFloat(1024))
	exp := -14
	if e != 0 {
		v.Add(v, big.NewFloat(1))
		exp = e - 15
	}
	v.SetMantExp(v, exp)
	if s == 1 {
		v.Neg(v)
	}
	x, acc := v.Float64()
	if acc != big.Exact {
		panic("inexact")
	}
	if s == 1 && x == 0 {
		return math.Copysign(0, -1)
	}
	return x
}

// TestBFloat16Edges checks bfloat16 decoding at its special values (the
// upper half of the float32 of the same value).
func TestBFloat16Edges(t *testing.T) {
	for h, want := range map[uint16]float64{0x0001: 0x1p-133, 0x0080: 0x1p-126, 0x3f80: 1, 0x3f7f: 1 - 0x1p-8, 0x7f80: math.Inf(1), 0xff80: math.Inf(-1), 0x8000: math.Copysign(0, -1), 0x7f7f: 0x1.fep127} {
		if got := matio.BFloat16ToFloat64(h); math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("BFloat16ToFloat64(%#04x) = %v, want %v", h, got, want)
		}
	}
	if !math.IsNaN(matio.BFloat16ToFloat64(0x7fc0)) {
		t.Error("0x7fc0 is not NaN")
	}
}

// TestNpyFloat16 reads NumPy's float16 .npy files (both byte orders) and
// compares them with NumPy's own float64 conversion of the same values.
func TestNpyFloat16(t *testing.T) {
	want := readAll(t, openNpy(t, "probs_f16_as_f64.npy"), 5)
	for _, name := range []string{"probs_f16.npy", "probs_f16_be.npy"} {
		r := openNpy(t, name)
		if r.DType() != "float16" || !r.IsFloat() {
			t.Fatalf("%s: %s", name, r.DType())
		}
		if got := readAll(t, r, 2); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}

// TestNpz reads the archives numpy.savez and numpy.savez_compressed wrote.
func TestNpz(t *testing.T) {
	for _, c := range []struct{ file, key, dtype string }{
		{"probs.npz", "probs", "float64"}, {"probs_compressed.npz", "probs", "float32"}, {"single.npz", "", "float64"}, {"single.npz", "arr_0", "float64"},
	} {
		a := mustOpenArray(t, c.file, c.key)
		got := readAll(t, a, 2)
		want := flat(fixtureProbs)
		if c.dtype == "float32" {
			for i := range want {
				want[i] = float64(float32(want[i]))
			}
		}
		if a.DType() != c.dtype || !slices.Equal(got, want) {
			t.Errorf("%s [%s]: %s %v, want %v", c.file, c.key, a.DType(), got, want)
		}
	}
	for _, file := range []string{"probs.npz", "probs_compressed.npz"} {
		if got := readInts(t, mustOpenArray(t, file, "labels"), 3); !slices.Equal(got, fixtureLabels) {
			t.Errorf("%s labels: %v", file, got)
		}
	}
	for _, c := range []struct{ file, key, want string }{
		{"probs.npz", "", `holds 2 arrays ("labels", "probs"): choose one`},
		{"probs.npz", "logits", `no array "logits" in the file (it holds "labels", "probs")`},
		{"probs_f64.npy", "probs", "a .npy file holds one array"},
	} {
		_, err := openArray(t, c.file, c.key)
		var ke *matio.KeyError
		if !errors.As(err, &ke) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s [%s]: %v, want a KeyError with %q", c.file, c.key, err, c.want)
		}
	}
	if _, err := openArray(t, "probs_truncated.npz", "probs"); err == nil || !strings.Contains(err.Error(), "zip") {
		t.Errorf("truncated archive: %v", err)
	}
}

// TestTorch reads the tensors PyTorch 1.13 saved (testdata/gen_torch.py).
func TestTorch(t *testing.T) {
	p64 := flat(fixtureProbs)
	p32 := make([]float64, len(p64))
	for i, x := range p64 {
		p32[i] = float64(float32(x))
	}
	half := func(key string) []float64 { return readAll(t, mustOpenArray(t, "torch_half.pt", key), 5) }
	cases := []struct {
		file, key, dtype string
		shape            []int
		want             []float64
	}{
		{"torch_probs_f32.pt", "", "float32", []int{5, 3}, p32},
		{"torch_probs_f64.pt", "", "float64", []int{5, 3}, p64},
		{"torch_probs_f16.pt", "", "float16", []int{5, 3}, half("f16_as_f64")},
		{"torch_probs_bf16.pt", "", "bfloat16", []int{5, 3}, half("bf16_as_f64")},
		{"torch_half.pt", "f16", "float16", []int{5, 3}, half("f16_as_f64")},
		{"torch_half.pt", "bf16", "bfloat16", []int{5, 3}, half("bf16_as_f64")},
		{"torch_dict.pt", "probs", "float32", []int{5, 3}, p32},
		{"torch_list.pt", "0", "float64", []int{5, 3}, p64},
		{"torch_tuple.pt", "", "float32", []int{5, 3}, p32},
		{"torch_tuple.pt", "0", "float32", []int{5, 3}, p32},
		{"torch_transposed.pt", "", "float64", []int{5, 3}, p64},
		{"torch_offset.pt", "tail", "float64", []int{5, 3}, p64},
		{"torch_transposed_2col.pt", "", "float64", []int{2, 5}, []float64{0.7, 0.25, 1, 0.1, 1.0 / 3, 0.1, 0.5, 0, 0.3, 1.0 / 3}},
		{"torch_logits_f32.pt", "", "float32", []int{4, 3}, []float64{2.5, -1, 0, -3.25, 4, float64(float32(1e-3)), 0, 0, 0, 100, -100, 7.5}},
	}
	for _, c := range cases {
		a := mustOpenArray(t, c.file, c.key)
		for _, block := range []int{1, 2, 64} {
			if block > 1 {
				a = mustOpenArray(t, c.file, c.key)
			}
			got := readAll(t, a, block)
			if a.DType() != c.dtype || !slices.Equal(a.Shape(), c.shape) || !slices.Equal(got, c.want) {
				t.Errorf("%s [%s] blocks of %d: %s %v %v, want %s %v %v", c.file, c.key, block, a.DType(), a.Shape(), got, c.dtype, c.shape, c.want)
			}
		}
	}
	// The half values really are rounded (the test would pass vacuously
	// on float64 values).
	if h := half("bf16_as_f64"); h[0] == 0.7 || h[0] != 0.69921875 {
		t.Errorf("bf16(0.7) = %v, want 0.69921875", h[0])
	}
	for _, c := range []struct{ file, key string }{
		{"torch_labels_i64.pt", ""}, {"torch_labels_i32.pt", ""}, {"torch_labels_u8.pt", ""}, {"torch_dict.pt", "labels"}, {"torch_list.pt", "1"},
	} {
		a := mustOpenArray(t, c.file, c.key)
		if got := readInts(t, a, 2); !a.OneD() || !slices.Equal(got, fixtureLabels) {
			t.Errorf("%s [%s]: %v", c.file, c.key, got)
		}
	}
	for _, c := range []struct{ file, key, want string }{
		{"torch_dict.pt", "", `holds 2 tensors ("labels", "probs"): choose one`},
		{"torch_dict.pt", "logits", `no tensor "logits" in the file (it holds "labels", "probs")`},
		{"torch_dict.pt", "epoch", `entry "epoch" of the dict is an int, not a tensor`},
		{"torch_list.pt", "2", `no tensor "2"`},
		{"torch_probs_f32.pt", "probs", "holds a single tensor: no key applies"},
	} {
		_, err := openArray(t, c.file, c.key)
		var ke *matio.KeyError
		if !errors.As(err, &ke) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s [%s]: %v, want a KeyError with %q", c.file, c.key, err, c.want)
		}
	}
	if _, err := openArray(t, "torch_legacy.pt", ""); err == nil || !strings.Contains(err.Error(), "legacy torch.save") {
		t.Errorf("legacy file: %v", err)
	}
	if _, err := openArray(t, "torch_scalar.pt", ""); err == nil || !strings.Contains(err.Error(), "0-D") {
		t.Errorf("scalar: %v", err)
	}
}
