package numeric

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/focaltk/focal/loss"
)

// lossDirectTol is how close LossDirect comes to LossExact's minimizer,
// componentwise relative on entries above 1e-3 (smaller ones are in W's
// flat directions below the gradient threshold): √ε ≈ 1.5e-8 for a plain
// evaluation of W, and 1e-6 for the threshold 1e-10 on a gradient scaled
// by W with curvature down to η_min.
const lossDirectTol = 1e-6

// TestLossDirectAgreesWithExact: two methods, one minimizer, on every
// separable built-in loss with monotone h_g (seeded).
func TestLossDirectAgreesWithExact(t *testing.T) {
	seed := uint64(5)
	r := rand.New(rand.NewPCG(seed, 9))
	for _, spec := range []string{"ce", "focal:gamma=2", "poly1:eps=1", "gce:q=0.5", "ls:eps=0.1", "focal-ls:gamma=1,eps=0.1", "poly-focal:gamma=1,eps=1", `expr:"-(1-u)^g*log(u)";g=3`} {
		l, err := loss.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{2, 3, 10} {
			eta := lossEta(r, k, false)
			ex, err := LossExact(eta, l)
			if err != nil {
				t.Fatalf("%s: %v", spec, err)
			}
			d, err := LossDirect(eta, l, 0)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != Converged {
				t.Errorf("seed %d: %s K=%d: direct %v (residual %g)", seed, spec, k, d.Status, d.Residual)
			}
			for i := range eta {
				if ex.Q[i] > 1e-3 && math.Abs(d.Q[i]-ex.Q[i]) > lossDirectTol*ex.Q[i] {
					t.Errorf("seed %d: %s K=%d η=%v: direct q[%d] = %v, exact %v", seed, spec, k, eta, i, d.Q[i], ex.Q[i])
				}
			}
		}
	}
}

// TestLossDirectBrier: the Brier score is strictly proper (Brier 1950:
// its risk is Σ_j (q_j − η_j)² + const), so its minimizer is η.
func TestLossDirectBrier(t *testing.T) {
	l, _ := loss.Parse("brier")
	eta := []float64{0.5, 0.3, 0.2}
	d, err := LossDirect(eta, l, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range eta {
		if math.Abs(d.Q[i]-eta[i]) > lossDirectTol {
			t.Errorf("brier: q = %v, want η = %v (%v)", d.Q, eta, d.Status)
		}
	}
}

// TestLossDirectDualFocal: dual-focal's minimizer keeps the argmax of η
// at a moderately peaked posterior, and W there is no larger than at the
// focal minimizer or at η (a sanity check of a method, not a claim).
func TestLossDirectDualFocal(t *testing.T) {
	l, _ := loss.Parse("dual-focal:gamma=2")
	eta := []float64{0.6, 0.3, 0.1}
	d, err := LossDirect(eta, l, 0)
	if err != nil {
		t.Fatal(err)
	}
	fe, _ := Exact(eta, 2)
	if d.Risk > l.Risk(fe.Q, eta) || d.Risk > l.Risk(eta, eta) {
		t.Errorf("dual-focal: W %v at %v above W at the focal minimizer %v or at η %v", d.Risk, d.Q, l.Risk(fe.Q, eta), l.Risk(eta, eta))
	}
	t.Logf("dual-focal γ=2 η=%v: q=%v (%v, residual %g)", eta, d.Q, d.Status, d.Residual)
}
