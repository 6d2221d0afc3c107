package hiprec

import (
	"math"
	"testing"
)

// TestLossMinimizeNearVertex: for poly1 at K = 2 and η = (1 − t, t) with
// t → 0, the KKT system η_j(1/q_j + ε) = λ gives λ → F_1(1) = 1 + ε and
// q_2 = t/(λ − εt) = t/(1 + ε)·(1 + O(t)): at t = 1e-300 that is
// 1e-300/(1 + ε) to far below float64's resolution. (A bracket that
// stopped expanding where the sum rounds to 1 returned q_2 = t.)
func TestLossMinimizeNearVertex(t *testing.T) {
	const tol = 4 * 0x1p-53 // the rounding of the closed form and of Float
	for _, eps := range []float64{0, 1, 100} {
		q, err := LossMinimize("poly1", eps, []float64{1, 1e-300})
		if err != nil {
			t.Fatal(err)
		}
		want := 1e-300 / (1 + eps)
		if got := Float(q[1]); math.Abs(got-want) > tol*want {
			t.Errorf("ε = %v: q_2 = %v, want %v", eps, got, want)
		}
		if got := Float(q[0]); got != 1 {
			t.Errorf("ε = %v: q_1 = %v, want 1 (1 − 1e-300 rounded)", eps, got)
		}
	}
}
