package numeric_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// ExactBalanced inverts theory.PsiBalanced (whose independent check against
// a direct minimizer of W_α is in package theory), and its Q is a minimum
// of W_α: perturbations along the simplex do not lower the risk.
func TestExactBalanced(t *testing.T) {
	// roundTripTol: Exact's KKT residual is a few ulps in log q, and the
	// recovery's condition number is modest for entries ≥ 1e-3.
	const roundTripTol = 1e-12
	rng := rand.New(rand.NewPCG(31, 32))
	for _, g := range []float64{0, 0.5, 1, 2, 5} {
		for range 20 {
			k := 2 + rng.IntN(6)
			eta := randomRows(1, k, rng.Uint64())
			alpha := make([]float64, k)
			for i := range eta {
				eta[i] = 0.001 + eta[i]
				alpha[i] = math.Exp(4*rng.Float64() - 2)
			}
			numeric.Normalize(eta)
			res, err := numeric.ExactBalanced(eta, alpha, g)
			if err != nil || res.Status != numeric.Converged {
				t.Fatalf("ExactBalanced(%v, %v, %v): %v %v", eta, alpha, g, res.Status, err)
			}
			back := theory.PsiBalanced(make([]float64, k), res.Q, alpha, g)
			for i := range back {
				if math.Abs(back[i]-eta[i]) > roundTripTol {
					t.Errorf("γ=%v: PsiBalanced(ExactBalanced(%v)) = %v", g, eta, back)
					break
				}
			}
			// No descent direction among moves of mass between two entries.
			const step = 1e-7
			for i := range k {
				j := (i + 1) % k
				q := append([]float64(nil), res.Q...)
				q[i] += step
				q[j] -= step
				if q[j] > 0 && theory.RiskBalanced(q, eta, alpha, g) < res.Risk {
					t.Errorf("γ=%v η=%v: moving mass %d→%d lowers W_α", g, eta, j, i)
				}
			}
		}
	}
	if _, err := numeric.ExactBalanced([]float64{0.5, 0.5}, []float64{1, 0}, 2); err == nil {
		t.Error("ExactBalanced accepted a zero weight")
	}
	if _, err := numeric.ExactBalanced([]float64{0.5, 0.5}, []float64{1}, 2); err == nil {
		t.Error("ExactBalanced accepted a short weight vector")
	}
}

func TestSigmoidMinimizer(t *testing.T) {
	// sigRoundTripTol: as for ExactBalanced, at K = 2.
	const sigRoundTripTol = 1e-12
	for _, alpha := range []float64{-1, 0.25, 0.6} {
		for _, g := range []float64{0, 1, 2, 4} {
			for _, eta := range []float64{0, 1e-3, 0.1, 0.5, 0.8, 1} {
				p, st, err := numeric.SigmoidMinimizer(eta, alpha, g)
				if err != nil || st != numeric.Converged {
					t.Fatalf("SigmoidMinimizer(%v, %v, %v): %v %v", eta, alpha, g, st, err)
				}
				if back := theory.SigmoidPosterior(p, alpha, g); math.Abs(back-eta) > sigRoundTripTol {
					t.Errorf("α=%v γ=%v η=%v: p*=%v maps back to %v", alpha, g, eta, p, back)
				}
				r := theory.SigmoidRisk(p, eta, alpha, g)
				for _, d := range []float64{-1e-6, 1e-6} {
					if q := p + d; q > 0 && q < 1 && theory.SigmoidRisk(q, eta, alpha, g) < r {
						t.Errorf("α=%v γ=%v η=%v: r(p*%+g) < r(p*)", alpha, g, eta, d)
					}
				}
			}
		}
	}
	for _, c := range []struct{ eta, alpha, gamma float64 }{{-0.1, 0.25, 2}, {0.5, 0, 2}, {0.5, 1, 2}, {0.5, math.NaN(), 2}, {0.5, 0.25, -1}} {
		if _, _, err := numeric.SigmoidMinimizer(c.eta, c.alpha, c.gamma); err == nil {
			t.Errorf("SigmoidMinimizer(%v, %v, %v) accepted", c.eta, c.alpha, c.gamma)
		}
	}
}
