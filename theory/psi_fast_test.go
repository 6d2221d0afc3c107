package theory

import (
	"math"
	"math/rand/v2"
	"testing"
)

// psiFastSeed seeds the random rows of the fast-path tests.
const psiFastSeed = 20261126

// psiFastEntry returns a random entry for the fast path's domain
// [2^−1022, 1): uniform, log-uniform over the whole domain (every exponent
// and every interval of Log's table), close to 1, or an edge.
func psiFastEntry(rng *rand.Rand) float64 {
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
		// Around the boundaries of Log's table intervals.
		b := logOff + uint64(rng.IntN(logN))<<(52-logTableBits) + uint64(rng.IntN(5)) - 2
		z := math.Float64frombits(b) // in [0x1.6bp−1, 0x1.6bp0)
		if z >= 1 {
			z /= 2
		}
		return math.Ldexp(z, -rng.IntN(40))
	}
}

// fastPaths runs f once with each implementation of psiRowFast's first
// two passes this build and CPU have: the vector kernel (psiVecOK) and the
// scalar code.
func fastPaths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	if psiVecOK {
		t.Run("vector", f)
		psiVecOK = false
		defer func() { psiVecOK = true }()
	}
	t.Run("scalar", f)
}

// fastGuard is the number of entries past the row, with a sentinel in
// them, that the fast-path tests check are left alone (the vector kernel
// stores the last k mod 4 entries under a mask).
const fastGuard = 4

// The fast path's logarithm pass is Log bit for bit on its whole domain,
// and its first two passes write nothing past the row: the vector kernel
// for every row length (its masked tail included), and the scalar code.
func TestPsiFastLogIsLog(t *testing.T) {
	sentinel := math.Float64frombits(0x7ff8dead0000beef)
	fastPaths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(psiFastSeed, 1))
		for _, k := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1000, 1001} {
			row := make([]float64, k)
			out, lv := make([]float64, k+fastGuard), make([]float64, k+fastGuard)
			for range 4000 / k {
				for j := range row {
					row[j] = psiFastEntry(rng)
				}
				for j := k; j < k+fastGuard; j++ {
					out[j], lv[j] = sentinel, sentinel
				}
				refused, ok := psiRowVec(out[:k], row, lv[:k], 1, 2)
				if ok {
					ok = !refused
				} else {
					var acc sum4
					ok = psiRowScalar(out[:k], row, lv[:k], 1, 2, &acc)
				}
				if !ok {
					t.Fatalf("seed %d: fast path refused a row in [2^-1022, 1): %v", psiFastSeed, row)
				}
				for j, x := range row {
					if want := Log(x); math.Float64bits(lv[j]) != math.Float64bits(want) {
						t.Fatalf("seed %d, K=%d: fast-path log(%v) = %v, Log = %v", psiFastSeed, k, x, lv[j], want)
					}
				}
				for j := k; j < k+fastGuard; j++ {
					if math.Float64bits(out[j]) != math.Float64bits(sentinel) || math.Float64bits(lv[j]) != math.Float64bits(sentinel) {
						t.Fatalf("K=%d: the fast path wrote past the row, at %d", k, j)
					}
				}
			}
		}
	})
}

// The fast path takes exactly the rows whose entries are all in
// [2^−1022, 1), and on them gives the general code's result bit for bit,
// for every integer γ it serves (and γ = 9, the last), every row length,
// in place and not.
func TestPsiFastMatchesGeneral(t *testing.T) { fastPaths(t, testPsiFastMatchesGeneral) }

func testPsiFastMatchesGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(psiFastSeed, 2))
	for _, k := range []int{1, 2, 3, 4, 5, 6, 7, 10, 31, 32, 33, 100, 1000} {
		for n := 0; n <= maxIntPow; n++ {
			gamma := float64(n + 1)
			rows := max(4, 4000/k)
			v := make([]float64, rows*k)
			for i := range v {
				v[i] = psiFastEntry(rng)
			}
			want := make([]float64, len(v))
			for i := 0; i < len(v); i += k {
				psiRowSlow(want[i:i+k], v[i:i+k], gamma)
			}
			out := make([]float64, len(v))
			lv := make([]float64, k)
			for i := 0; i < len(v); i += k {
				if !psiRowFast(out[i:i+k], v[i:i+k], lv, n, gamma) {
					t.Fatalf("seed %d, K=%d γ=%v: fast path refused row %v", psiFastSeed, k, gamma, v[i:i+k])
				}
			}
			psi := make([]float64, len(v))
			for i := 0; i < len(v); i += k {
				Psi(psi[i:i+k], v[i:i+k], gamma)
			}
			rowsOut := PsiRows(make([]float64, len(v)), v, k, gamma)
			inPlace := psiRowsInPlace(v, k, gamma)
			for i := range v {
				for name, got := range map[string][]float64{"psiRowFast": out, "Psi": psi, "PsiRows": rowsOut, "PsiRows in place": inPlace} {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						r := i / k * k
						t.Fatalf("seed %d, K=%d γ=%v: %s entry %d = %v, general code %v (row %v)", psiFastSeed, k, gamma, name, i-r, got[i], want[i], v[r:r+k])
					}
				}
			}
		}
	}
}

// A row with one entry outside [2^−1022, 1) (the special cases of Psi, and
// subnormals) leaves the fast path, and gets the general code's result.
func TestPsiFastRefuses(t *testing.T) { fastPaths(t, testPsiFastRefuses) }

func testPsiFastRefuses(t *testing.T) {
	special := []float64{0, math.Copysign(0, -1), 0x1p-1074, 0x1p-1022 - 0x1p-1074, 1, 1 + 0x1p-52, 1.5,
		math.Inf(1), math.Inf(-1), math.NaN(), -0x1p-1022, -0.5, -1, math.MaxFloat64}
	rng := rand.New(rand.NewPCG(psiFastSeed, 3))
	for _, k := range []int{1, 3, 4, 5, 10, 33, 1000} {
		for _, x := range special {
			row := make([]float64, k)
			for j := range row {
				row[j] = psiFastEntry(rng)
			}
			row[rng.IntN(k)] = x
			if psiRowFast(make([]float64, k), row, make([]float64, k), 1, 2) {
				t.Errorf("K=%d: fast path took a row with %v", k, x)
			}
			want := make([]float64, k)
			psiRowSlow(want, row, 2)
			for name, got := range map[string][]float64{
				"Psi":              Psi(make([]float64, k), row, 2),
				"PsiRows":          PsiRows(make([]float64, k), row, k, 2),
				"PsiRows in place": psiRowsInPlace(row, k, 2),
			} {
				for j := range got {
					if math.Float64bits(got[j]) != math.Float64bits(want[j]) && !(math.IsNaN(got[j]) && math.IsNaN(want[j])) {
						t.Fatalf("K=%d, entry %v: %s = %v, general code %v", k, x, name, got, want)
					}
				}
			}
		}
	}
}

// psiRowsInPlace returns PsiRows of a copy of v, transformed in place.
func psiRowsInPlace(v []float64, k int, gamma float64) []float64 {
	c := append([]float64(nil), v...)
	return PsiRows(c, c, k, gamma)
}
