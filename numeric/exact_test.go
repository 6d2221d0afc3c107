package numeric

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/focaltk/focal/theory"
)

// exactRiskTermULPs bounds the difference of one term of Result.Risk from
// the same term of theory.Risk(Q), in ulps: both use the same powers and
// differ in log q_i (the solver's x_i against theory.Log, each within a few
// ulps of log q_i, where |log q_i| ≥ log 2 for every entry but the top one,
// which both evaluate with theory.LossTerm); 8 is a few ulps with margin.
// On top of it, theory.Risk's plain sum of K nonnegative terms may be off
// by up to K−1 ulps of W (Result.Risk's sum is compensated).
const exactRiskTermULPs = 8

// TestExactRisk checks that Exact's Risk, evaluated from the solver's own
// log q, agrees with theory.Risk at the returned Q over every regime of
// directGens and γ in [1e-6, 100].
func TestExactRisk(t *testing.T) {
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0xe1ac7))
	var sv ExactSolver
	for n := 0; n < 4000; n++ {
		g := directGens[n%len(directGens)]
		k := []int{2, 3, 10, 100, 1000}[rng.IntN(5)]
		eta := g.gen(rng, k)
		gamma := directRandGamma(rng)
		r, err := sv.Minimize(make([]float64, k), eta, gamma)
		if err != nil {
			t.Fatalf("case %d (%s, K=%d, γ=%v): %v (FOCAL_SEED=%d)", n, g.name, k, gamma, err, seed)
		}
		want := theory.Risk(r.Q, eta, gamma)
		tol := float64(exactRiskTermULPs+k) * 0x1p-52
		if d := math.Abs(r.Risk - want); !(d <= tol*want) {
			t.Fatalf("case %d (%s, K=%d, γ=%v): Risk = %v, theory.Risk(Q) = %v (rel. diff %.3g); rerun with FOCAL_SEED=%d go test ./numeric -run TestExactRisk",
				n, g.name, k, gamma, r.Risk, want, d/want, seed)
		}
	}
}
