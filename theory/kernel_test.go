package theory_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/focaltk/focal/theory"
)

// The kernels of Psi, PsiRows and Logs against the code they replace: the
// portable kernel and, where this build and CPU have it, the assembly
// (theory.HaveArchKernels), each called directly on the same inputs and
// compared bit for bit with the general code and with each other
// (export_test.go exposes them).

// kernelSeed seeds the random rows of the kernel tests.
const kernelSeed = 20261126

// kernelEntry returns a random entry for the kernels' domain [2^−1022, 1):
// uniform, log-uniform over the whole domain (every exponent and every
// interval of Log's table), close to 1, or an edge.
func kernelEntry(rng *rand.Rand) float64 {
	switch rng.IntN(8) {
	case 0, 1, 2:
		return rng.Float64()*(1-0x1p-53) + 0x1p-60
	case 3, 4:
		return math.Ldexp(1+rng.Float64(), -1-rng.IntN(1022))
	case 5:
		return 1 - math.Ldexp(1+rng.Float64(), -2-rng.IntN(51))
	case 6:
		return []float64{0x1p-1022, 1 - 0x1p-53, 0.5, 0x1.6bp-1, 0x1p-1, 1 - 0x1p-9, 1 - 0x1p-8}[rng.IntN(7)]
	default:
		// Around the boundaries of Log's table intervals: bits 45–51 of
		// bits(z) − bits(0x1.6bp−1) pick the interval.
		const logOff = 0x3fe6b00000000000
		b := logOff + uint64(rng.IntN(128))<<45 + uint64(rng.IntN(5)) - 2
		z := math.Float64frombits(b) // in [0x1.6bp−1, 0x1.6bp0)
		if z >= 1 {
			z /= 2
		}
		return math.Ldexp(z, -rng.IntN(40))
	}
}

// psiKernels are the kernels this build and CPU have, each in the form of
// theory.PsiKernel.
func psiKernels() map[string]func(out, row, lv []float64, gamma float64) bool {
	ks := map[string]func(out, row, lv []float64, gamma float64) bool{"portable": theory.PsiKernel}
	if theory.HaveArchKernels {
		ks["assembly"] = theory.ArchPsiKernel
	}
	return ks
}

// kernelGuard is the number of entries past the row, with a sentinel in
// them, that the kernel tests check are left alone (the assembly stores the
// last k mod 4 entries under a mask).
const kernelGuard = 4

// Each kernel's logarithms are Log bit for bit on its whole domain, and it
// writes nothing past the row, for every row length (the assembly's masked
// tail included), with the power by binary powering (γ = 2) and by
// pow1mExp (γ = 2.5).
func TestPsiKernelLogIsLog(t *testing.T) {
	sentinel := math.Float64frombits(0x7ff8dead0000beef)
	for _, gamma := range []float64{2, 2.5} {
		testPsiKernelLogIsLog(t, sentinel, gamma)
	}
}

func testPsiKernelLogIsLog(t *testing.T, sentinel, gamma float64) {
	for name, kernel := range psiKernels() {
		rng := rand.New(rand.NewPCG(kernelSeed, 1))
		for _, k := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1000, 1001} {
			row := make([]float64, k)
			out, lv := make([]float64, k+kernelGuard), make([]float64, k+kernelGuard)
			for range 4000 / k {
				for j := range row {
					row[j] = kernelEntry(rng)
				}
				for j := k; j < k+kernelGuard; j++ {
					out[j], lv[j] = sentinel, sentinel
				}
				if !kernel(out[:k], row, lv[:k], gamma) {
					t.Fatalf("%s, seed %d, γ=%v: the kernel refused a row in [2^-1022, 1): %v", name, kernelSeed, gamma, row)
				}
				for j, x := range row {
					if want := theory.Log(x); math.Float64bits(lv[j]) != math.Float64bits(want) {
						t.Fatalf("%s, seed %d, K=%d, γ=%v: kernel log(%v) = %v, Log = %v", name, kernelSeed, k, gamma, x, lv[j], want)
					}
				}
				for j := k; j < k+kernelGuard; j++ {
					if math.Float64bits(out[j]) != math.Float64bits(sentinel) || math.Float64bits(lv[j]) != math.Float64bits(sentinel) {
						t.Fatalf("%s, K=%d, γ=%v: the kernel wrote past the row, at %d", name, k, gamma, j)
					}
				}
			}
		}
	}
}

// kernelGammas are the γ of the kernel tests: every integer of the direct
// path (γ = 1 … 9 by binary powering, 10 … 17 by pow1mExp) and non-integers
// from tiny to the direct path's limit (pow1mExp), among them AdaFocal's
// continuous γ and the ends of the power's range.
var kernelGammas = []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
	1e-9, 1e-6, 0.001, 0.3, 0.5, 0.999, 1 + 0x1p-52, 1.5, 2.5, 2.75, 3.3, 7.3, 8.999, 9.5, 12.25, 16.5, 17 - 0x1p-48}

// The kernels take every row whose entries are all in [2^−1022, 1) and on
// it give the general code's result bit for bit, for every γ of the direct
// path they serve (kernelGammas), every row length, in place and not; and
// so do Psi and PsiRows, which run them.
func TestPsiKernelsMatchGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(kernelSeed, 2))
	for _, gamma := range kernelGammas {
		if !theory.PsiKernelGamma(gamma) {
			t.Fatalf("the kernels do not serve γ = %v", gamma)
		}
	}
	for _, g := range []float64{0, 17 + 0x1p-48, 17.5, 100, math.Inf(1), math.NaN(), -1} {
		if theory.PsiKernelGamma(g) {
			t.Errorf("the kernels serve γ = %v, outside the direct path (0, 17]", g)
		}
	}
	for _, k := range []int{1, 2, 3, 4, 5, 6, 7, 10, 31, 32, 33, 100, 1000} {
		for _, gamma := range kernelGammas {
			rows := max(4, 4000/k)
			v := make([]float64, rows*k)
			for i := range v {
				v[i] = kernelEntry(rng)
			}
			want := make([]float64, len(v))
			for i := 0; i < len(v); i += k {
				theory.PsiGeneral(want[i:i+k], v[i:i+k], gamma)
			}
			got := map[string][]float64{
				"Psi":              make([]float64, len(v)),
				"Psi in place":     append([]float64(nil), v...),
				"PsiRows":          theory.PsiRows(make([]float64, len(v)), v, k, gamma),
				"PsiRows in place": psiRowsInPlace(v, k, gamma),
			}
			for i := 0; i < len(v); i += k {
				theory.Psi(got["Psi"][i:i+k], v[i:i+k], gamma)
				theory.Psi(got["Psi in place"][i:i+k], got["Psi in place"][i:i+k], gamma)
			}
			lv := make([]float64, k)
			for name, kernel := range psiKernels() {
				out := make([]float64, len(v))
				for i := 0; i < len(v); i += k {
					if !kernel(out[i:i+k], v[i:i+k], lv, gamma) {
						t.Fatalf("%s, seed %d, K=%d γ=%v: the kernel refused row %v", name, kernelSeed, k, gamma, v[i:i+k])
					}
				}
				got[name+" kernel"] = out
			}
			// The portable kernel in place (the assembly's may not be).
			inPlace := append([]float64(nil), v...)
			for i := 0; i < len(v); i += k {
				theory.PsiKernel(inPlace[i:i+k], inPlace[i:i+k], lv, gamma)
			}
			got["portable kernel in place"] = inPlace
			for name, g := range got {
				for i := range v {
					if math.Float64bits(g[i]) != math.Float64bits(want[i]) {
						r := i / k * k
						t.Fatalf("seed %d, K=%d γ=%v: %s entry %d = %v, general code %v (row %v)", kernelSeed, k, gamma, name, i-r, g[i], want[i], v[r:r+k])
					}
				}
			}
		}
	}
}

// A row with one entry outside [2^−1022, 1) (the special cases of Psi, and
// subnormals) is refused by every kernel, and Psi and PsiRows give the
// general code's result for it.
func TestPsiKernelsRefuse(t *testing.T) {
	special := []float64{0, math.Copysign(0, -1), 0x1p-1074, 0x1p-1022 - 0x1p-1074, 1, 1 + 0x1p-52, 1.5,
		math.Inf(1), math.Inf(-1), math.NaN(), -0x1p-1022, -0.5, -1, math.MaxFloat64}
	rng := rand.New(rand.NewPCG(kernelSeed, 3))
	for _, k := range []int{1, 3, 4, 5, 10, 33, 1000} {
		for _, x := range special {
			row := make([]float64, k)
			for j := range row {
				row[j] = kernelEntry(rng)
			}
			row[rng.IntN(k)] = x
			for name, kernel := range psiKernels() {
				if kernel(make([]float64, k), row, make([]float64, k), 2) {
					t.Errorf("%s, K=%d: the kernel took a row with %v", name, k, x)
				}
			}
			want := theory.PsiGeneral(make([]float64, k), row, 2)
			for name, got := range map[string][]float64{
				"Psi":              theory.Psi(make([]float64, k), row, 2),
				"Psi in place":     theory.Psi(append([]float64(nil), row...), append([]float64(nil), row...), 2),
				"PsiRows":          theory.PsiRows(make([]float64, k), row, k, 2),
				"PsiRows in place": psiRowsInPlace(row, k, 2),
			} {
				for j := range got {
					if !alike(got[j], want[j]) {
						t.Fatalf("K=%d, entry %v: %s = %v, general code %v", k, x, name, got, want)
					}
				}
			}
		}
	}
}

// PsiRows on matrices whose rows the kernels refuse here and there (an
// entry outside [2^−1022, 1) in the first, a middle or the last row of a
// chunk of the many-row kernel, or in every row) gives, row by row, the
// general code's result, in place and not: the kernel leaves a refused row
// to the general code and resumes after it.
func TestPsiRowsRefusedRows(t *testing.T) {
	special := []float64{0, 0x1p-1074, 1, math.NaN(), -0.5}
	rng := rand.New(rand.NewPCG(kernelSeed, 4))
	for _, gamma := range []float64{2, 2.5, 1e-9, 16.5} {
		for _, k := range []int{1, 2, 3, 4, 5, 7, 10, 16, 31, 32, 33} {
			rows := 3*64/k + 5
			for trial := range 6 {
				v := make([]float64, rows*k)
				for i := range v {
					v[i] = kernelEntry(rng)
				}
				switch trial {
				case 5: // every row
					for r := range rows {
						v[r*k+rng.IntN(k)] = special[rng.IntN(len(special))]
					}
				default: // a few rows, the first and the last among them
					for _, r := range []int{0, rows - 1, rng.IntN(rows), rng.IntN(rows), 64 / k, 64/k - 1} {
						v[r*k+rng.IntN(k)] = special[rng.IntN(len(special))]
					}
				}
				want := make([]float64, len(v))
				for i := 0; i < len(v); i += k {
					theory.PsiGeneral(want[i:i+k], v[i:i+k], gamma)
				}
				for name, got := range map[string][]float64{
					"PsiRows":          theory.PsiRows(make([]float64, len(v)), v, k, gamma),
					"PsiRows in place": psiRowsInPlace(v, k, gamma),
				} {
					for i := range got {
						if !alike(got[i], want[i]) {
							r := i / k * k
							t.Fatalf("seed %d, K=%d γ=%v: %s entry %d of row %d = %v, general code %v (row %v)", kernelSeed, k, gamma, name, i-r, i/k, got[i], want[i], v[r:r+k])
						}
					}
				}
			}
		}
	}
}

// psiRowsInPlace returns PsiRows of a copy of v, transformed in place.
func psiRowsInPlace(v []float64, k int, gamma float64) []float64 {
	c := append([]float64(nil), v...)
	return theory.PsiRows(c, c, k, gamma)
}

// Logs is Log bit for bit, and so are its portable loop and the assembly
// (where this build and CPU have it) each on its own, for every length (the
// vector blocks and the rest), with entries outside Log's main path (0,
// subnormal, negative, ±Inf, NaN, which send their block of four to the
// portable loop) at every position, and in place.
func TestLogs(t *testing.T) {
	const seed = 20261127
	rng := rand.New(rand.NewPCG(seed, 1))
	special := []float64{0, math.Copysign(0, -1), 0x1p-1074, 0x1p-1022 - 0x1p-1074, -1, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64}
	ways := map[string]func(dst, x []float64){
		"Logs":     func(dst, x []float64) { theory.Logs(dst, x) },
		"portable": theory.LogSlice,
	}
	if theory.HaveArchKernels {
		// The assembly on the prefix it takes, the portable loop after it.
		ways["assembly"] = func(dst, x []float64) { j := theory.ArchLogs(dst, x); theory.LogSlice(dst[j:], x[j:]) }
	}
	for _, k := range []int{0, 1, 3, 4, 5, 7, 8, 9, 12, 13, 1000} {
		for trial := range 200 {
			x := make([]float64, k)
			for j := range x {
				x[j] = math.Float64frombits(rng.Uint64() &^ (1 << 63))
				if rng.IntN(2) == 0 {
					x[j] = rng.Float64()
				}
			}
			if k > 0 && trial%2 == 1 {
				x[rng.IntN(k)] = special[rng.IntN(len(special))]
			}
			for name, logs := range ways {
				got := make([]float64, k)
				logs(got, x)
				for j, xj := range x {
					if want := theory.Log(xj); !alike(got[j], want) {
						t.Fatalf("seed %d, K=%d: %s at %v (entry %d) = %v, Log = %v", seed, k, name, xj, j, got[j], want)
					}
				}
				c := append([]float64(nil), x...)
				logs(c, c)
				for j := range c {
					if math.Float64bits(c[j]) != math.Float64bits(got[j]) {
						t.Fatalf("seed %d, K=%d: %s in place, entry %d = %v, want %v", seed, k, name, j, c[j], got[j])
					}
				}
			}
		}
	}
}
