package numeric_test

import (
	"math"
	"testing"

	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// sameBits reports whether a and b are identical float64 slices (NaNs
// compared by being NaN).
func sameBits(a, b []float64) int {
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return i
		}
	}
	return -1
}

// The batch kernels transform every row exactly as the scalar theory
// functions do, whatever the number of workers and rows (including fewer
// rows than workers, and rows that are invalid).
func TestBatchMatchesScalar(t *testing.T) {
	const k = 5
	for _, n := range []int{0, 1, 3, 255, 256, 257, 1000, 5000} {
		src := randomRows(n, k, uint64(n)+1)
		if n > 2 {
			src[k] = math.NaN() // an invalid row becomes NaN, like theory.Psi
			src[2*k] = -0.5
		}
		alpha := []float64{0.25, 1, 2, 0.5, 4}
		for _, gamma := range []float64{0, 2, 2.5, 30} {
			want := map[string][]float64{"psi": make([]float64, n*k), "bal": make([]float64, n*k), "sig": make([]float64, n*k), "sigz": make([]float64, n*k),
				"psiz": make([]float64, n*k), "logpsiz": make([]float64, n*k), "balz": make([]float64, n*k), "logbalz": make([]float64, n*k)}
			for r := range n {
				row, d := src[r*k:(r+1)*k], want["psi"][r*k:(r+1)*k]
				theory.Psi(d, row, gamma)
				theory.PsiBalanced(want["bal"][r*k:(r+1)*k], row, alpha, gamma)
				for j, p := range row {
					want["sig"][r*k+j] = theory.SigmoidPosterior(p, 0.25, gamma)
					l := theory.SigmoidPosteriorLogit(p*10-5, alpha[j], gamma)
					want["sigz"][r*k+j] = theory.Sigmoid(l)
				}
			}
			logits := make([]float64, len(src))
			for i, p := range src {
				logits[i] = p*10 - 5
			}
			for r := range n {
				row, lo, hi := logits[r*k:(r+1)*k], r*k, (r+1)*k
				theory.PsiLogits(want["psiz"][lo:hi], row, gamma)
				theory.LogPsiLogits(want["logpsiz"][lo:hi], row, gamma)
				theory.PsiBalancedLogits(want["balz"][lo:hi], row, alpha, gamma)
				theory.LogPsiBalancedLogits(want["logbalz"][lo:hi], row, alpha, gamma)
			}
			for _, w := range []int{1, 2, 3, 0, 64} {
				got := map[string][]float64{
					"psi":     numeric.PsiRows(make([]float64, n*k), src, k, gamma, w),
					"bal":     numeric.PsiBalancedRows(make([]float64, n*k), src, k, alpha, gamma, w),
					"sig":     numeric.SigmoidRows(make([]float64, n*k), src, k, []float64{0.25}, gamma, w),
					"sigz":    numeric.SigmoidLogitRows(make([]float64, n*k), logits, k, alpha, gamma, w),
					"psiz":    numeric.PsiLogitsRows(make([]float64, n*k), logits, k, nil, gamma, w),
					"logpsiz": numeric.LogPsiLogitsRows(make([]float64, n*k), logits, k, nil, gamma, w),
					"balz":    numeric.PsiLogitsRows(make([]float64, n*k), logits, k, alpha, gamma, w),
					"logbalz": numeric.LogPsiLogitsRows(make([]float64, n*k), logits, k, alpha, gamma, w),
				}
				for name, g := range got {
					if i := sameBits(g, want[name]); i >= 0 {
						t.Errorf("%s n=%d γ=%v workers=%d: entry %d = %v, scalar %v", name, n, gamma, w, i, g[i], want[name][i])
					}
				}
			}
		}
	}
}

// dst may alias src.
func TestBatchInPlace(t *testing.T) {
	src := randomRows(600, 4, 3)
	want := numeric.PsiRows(make([]float64, len(src)), src, 4, 2, 2)
	numeric.PsiRows(src, src, 4, 2, 2)
	if i := sameBits(src, want); i >= 0 {
		t.Errorf("in-place PsiRows differs at %d", i)
	}
}

// The kernels allocate nothing per row: the allocation count of a call does
// not grow with the number of rows, and stays a small constant (the
// closures and goroutines of the call).
func TestBatchAllocs(t *testing.T) {
	// maxCallAllocs: two closures and the wait group, and a goroutine with
	// its closure per extra worker (4 workers here).
	const maxCallAllocs = 3 + 2*4
	small, big := randomRows(1000, 10, 1), randomRows(100000, 10, 2)
	ds, db := make([]float64, len(small)), make([]float64, len(big))
	if a := testing.AllocsPerRun(5, func() { numeric.PsiRows(ds, small, 10, 2, 1) }); a > maxCallAllocs {
		t.Errorf("PsiRows with one worker: %v allocations", a)
	}
	as := testing.AllocsPerRun(5, func() { numeric.PsiRows(ds, small, 10, 2, 4) })
	ab := testing.AllocsPerRun(5, func() { numeric.PsiRows(db, big, 10, 2, 4) })
	if ab > as || ab > maxCallAllocs {
		t.Errorf("PsiRows allocations grow with rows: %v for 10^3 rows, %v for 10^5", as, ab)
	}
}

func TestBatchPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"k=0":        func() { numeric.PsiRows(make([]float64, 4), make([]float64, 4), 0, 2, 1) },
		"ragged":     func() { numeric.PsiRows(make([]float64, 5), make([]float64, 5), 2, 2, 1) },
		"dst length": func() { numeric.PsiRows(make([]float64, 4), make([]float64, 6), 2, 2, 1) },
		"alpha":      func() { numeric.PsiBalancedRows(make([]float64, 4), make([]float64, 4), 2, []float64{1}, 2, 1) },
		"sig alpha":  func() { numeric.SigmoidRows(make([]float64, 4), make([]float64, 4), 2, []float64{1, 2, 3}, 2, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestSoftmaxRows(t *testing.T) {
	// softmaxULPs: an exponential, a sum of three and a division.
	const softmaxULPs = 4
	src := []float64{0, 0, 0, 1, 2, 3, 1000, 0, -1000, math.NaN(), 0, 0, math.Inf(-1), 0, 0}
	got := numeric.SoftmaxRows(make([]float64, len(src)), src, 3, 1)
	e := math.Exp(1)
	s := 1 + e + e*e
	want := []float64{1.0 / 3, 1.0 / 3, 1.0 / 3, 1 / s, e / s, e * e / s, 1, 0, 0, math.NaN(), math.NaN(), math.NaN(), 0, 0.5, 0.5}
	for i := range want {
		if math.IsNaN(want[i]) != math.IsNaN(got[i]) || math.Abs(got[i]-want[i]) > softmaxULPs*0x1p-52*want[i] {
			t.Errorf("softmax entry %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestParallelChunks(t *testing.T) {
	for _, n := range []int{0, 1, 10, 1000, 1001} {
		for _, w := range []int{-1, 0, 1, 3, 2000} {
			seen := make([]int, n)
			numeric.ParallelChunks(n, w, 7, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("n=%d workers=%d: item %d visited %d times", n, w, i, c)
				}
			}
		}
	}
}
