package theory_test

import (
	"math"
	"testing"

	"github.com/focaltk/focal/theory"
)

// One line per line of the "Special cases are" of SigmoidRisk,
// SigmoidPosterior and SigmoidPosteriorLogit.
func TestSigmoidSpecialCases(t *testing.T) {
	for _, c := range []struct{ p, eta, alpha, gamma, want float64 }{
		{nan, 0.5, 0.25, 2, nan}, {0.5, nan, 0.25, 2, nan}, {0.5, 0.5, nan, 2, nan}, {0.5, 0.5, 0.25, nan, nan},
		{-0.1, 0.5, 0.25, 2, nan}, {1.1, 0.5, 0.25, 2, nan}, {0.5, -0.1, 0.25, 2, nan}, {0.5, 1.1, 0.25, 2, nan},
		{0.5, 0.5, 1.5, 2, nan}, {0.5, 0.5, 0.25, -1, nan}, {0.5, 0.5, 0.25, inf, nan},
		{0, 0.5, 0.25, 2, inf}, {0, 0, 0.25, 2, 0}, {0, 0.5, 0, 2, 0},
		{1, 0.5, 0.25, 2, inf}, {1, 1, 0.25, 2, 0}, {1, 0.5, 1, 2, 0},
	} {
		if got := theory.SigmoidRisk(c.p, c.eta, c.alpha, c.gamma); !alike(got, c.want) {
			t.Errorf("SigmoidRisk(%v, %v, %v, %v) = %v, want %v", c.p, c.eta, c.alpha, c.gamma, got, c.want)
		}
	}
	for _, c := range []struct{ p, alpha, gamma, want float64 }{
		{nan, 0.25, 2, nan}, {0.5, nan, 2, nan}, {0.5, 0.25, nan, nan}, {-0.1, 0.25, 2, nan}, {1.1, 0.25, 2, nan},
		{0.5, 0, 2, nan}, {0.5, 1, 2, nan}, {0.5, 1.5, 2, nan}, {0.5, 0.25, -1, nan}, {0.5, 0.25, inf, nan},
		{0, 0.25, 2, 0}, {0, -1, 7, 0}, {1, 0.25, 2, 1}, {1, -1, 0, 1},
		{0.3, -1, 0, 0.3}, {subnorm, -1, 0, subnorm}, {oneM53, -1, 0, oneM53},
	} {
		if got := theory.SigmoidPosterior(c.p, c.alpha, c.gamma); !alike(got, c.want) {
			t.Errorf("SigmoidPosterior(%v, %v, %v) = %v, want %v", c.p, c.alpha, c.gamma, got, c.want)
		}
	}
	for _, c := range []struct{ z, alpha, gamma, want float64 }{
		{nan, 0.25, 2, nan}, {1, nan, 2, nan}, {1, 0.25, nan, nan}, {1, 0, 2, nan}, {1, 1, 2, nan}, {1, 2, 2, nan},
		{1, 0.25, -1, nan}, {1, 0.25, inf, nan},
		{inf, 0.25, 2, inf}, {-inf, 0.25, 2, -inf}, {inf, -1, 0, inf},
		{1.5, -1, 0, 1.5}, {-700, -1, 0, -700},
	} {
		if got := theory.SigmoidPosteriorLogit(c.z, c.alpha, c.gamma); !alike(got, c.want) {
			t.Errorf("SigmoidPosteriorLogit(%v, %v, %v) = %v, want %v", c.z, c.alpha, c.gamma, got, c.want)
		}
	}
	for _, c := range []struct{ x, want float64 }{
		{inf, 1}, {-inf, 0}, {nan, nan}, {0, 0.5}, {-800, 0},
	} {
		if got := theory.Sigmoid(c.x); !alike(got, c.want) {
			t.Errorf("Sigmoid(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

// SigmoidRisk is the definition: at γ = 0 and no weighting it is the binary
// cross-entropy, and each term is a weighted LossTerm.
func TestSigmoidRiskDefinition(t *testing.T) {
	const riskULPs = 4 // two products and a sum, each within an ulp
	for _, c := range []struct{ p, eta float64 }{{0.3, 0.6}, {0.9, 0.1}, {0.5, 0.5}} {
		want := -(c.eta*math.Log(c.p) + (1-c.eta)*math.Log(1-c.p))
		if got := theory.SigmoidRisk(c.p, c.eta, -1, 0); math.Abs(got-want) > riskULPs*ulp(want) {
			t.Errorf("SigmoidRisk(%v, %v, -1, 0) = %v, want BCE %v", c.p, c.eta, got, want)
		}
		want = c.eta*0.25*theory.LossTerm(c.p, 2) + (1-c.eta)*0.75*theory.LossTerm(1-c.p, 2)
		if got := theory.SigmoidRisk(c.p, c.eta, 0.25, 2); math.Abs(got-want) > riskULPs*ulp(want) {
			t.Errorf("SigmoidRisk(%v, %v, 0.25, 2) = %v, want %v", c.p, c.eta, got, want)
		}
	}
}

// goldenMin minimizes r over the logit u ∈ [lo, hi] by golden-section
// search, written against the risk only (it evaluates r, nothing else), and
// returns σ(u*). Working in the logit keeps p near 0 and 1 resolvable.
func goldenMin(r func(p float64) float64, lo, hi float64) float64 {
	const invPhi = 0.6180339887498949 // (√5 − 1)/2
	sig := func(u float64) float64 { return 1 / (1 + math.Exp(-u)) }
	a, b := lo, hi
	c, d := b-invPhi*(b-a), a+invPhi*(b-a)
	fc, fd := r(sig(c)), r(sig(d))
	for b-a > goldenTol {
		if fc <= fd {
			b, d, fd = d, c, fc
			c = b - invPhi*(b-a)
			fc = r(sig(c))
		} else {
			a, c, fc = c, d, fd
			d = a + invPhi*(b-a)
			fd = r(sig(d))
		}
	}
	return sig((a + b) / 2)
}

// goldenTol: golden-section search only resolves the minimizer to about
// √ε_mach relative (r is flat to second order there); 1e-9 in the logit is
// below that resolution, so the loop ends where rounding of r decides.
const goldenTol = 1e-9

// The recovery η = SigmoidPosterior(p*) inverts the minimization of the
// binary pointwise risk: for η on a grid, p* = argmin r(·; η) found by
// golden-section search on r itself must map back to η.
func TestSigmoidPosteriorRecoversEta(t *testing.T) {
	// sigmoidRecoverTol: golden-section search finds u* within
	// ~√(2ε·|r|/r”) ≈ 1e-8·(1+γ) in the logit (r is flat to second order),
	// and dη/du ≤ (1+γ)/4 at these η, so η is recovered within ~1e-7.
	const sigmoidRecoverTol = 5e-7
	worst := 0.0
	for _, alpha := range []float64{-1, 0.25, 0.5, 0.75, 0.1} {
		for _, g := range []float64{0, 0.5, 1, 2, 3, 5} {
			for _, eta := range []float64{0.01, 0.05, 0.2, 0.5, 0.6, 0.9, 0.99} {
				r := func(p float64) float64 { return theory.SigmoidRisk(p, eta, alpha, g) }
				p := goldenMin(r, -40, 40)
				got := theory.SigmoidPosterior(p, alpha, g)
				worst = math.Max(worst, math.Abs(got-eta))
				if math.Abs(got-eta) > sigmoidRecoverTol {
					t.Errorf("α=%v γ=%v η=%v: argmin p*=%v, SigmoidPosterior(p*) = %v", alpha, g, eta, p, got)
				}
				// The logit form agrees on the same point.
				u := math.Log(p) - math.Log1p(-p)
				if gl := 1 / (1 + math.Exp(-theory.SigmoidPosteriorLogit(u, alpha, g))); math.Abs(gl-got) > sigmoidRecoverTol {
					t.Errorf("α=%v γ=%v η=%v: logit form %v, probability form %v", alpha, g, eta, gl, got)
				}
			}
		}
	}
	t.Logf("worst |SigmoidPosterior(argmin r) − η| = %.3g", worst)
}

// r'(p*) = 0 at the recovered η: the derivative of the risk, written by the
// product rule from its definition (not through h), changes sign within an
// ulp-scale bracket around p. A sharper check than golden section.
func TestSigmoidStationarity(t *testing.T) {
	// dr returns r'(p) = η α₊ [γ(1−p)^{γ−1} log p − (1−p)^γ/p]
	//                  − (1−η) α₋ [γ p^{γ−1} log(1−p) − p^γ/(1−p)],
	// with 1−η passed separately (η near 1 does not carry it).
	dr := func(p, eta, ceta, ap, an, g float64) float64 {
		pos := -math.Pow(1-p, g) / p
		neg := -math.Pow(p, g) / (1 - p)
		if g != 0 {
			pos += g * math.Pow(1-p, g-1) * math.Log(p)
			neg += g * math.Pow(p, g-1) * math.Log1p(-p)
		}
		return eta*ap*pos - ceta*an*neg
	}
	// stationStep: p·(1 ± 1e-9) brackets the root of r' given the few-ulp
	// error of the recovered η (r' moves by ~1e-9 relative across it).
	const stationStep = 1e-9
	for _, alpha := range []float64{-1, 0.25, 0.8} {
		ap, an := 1.0, 1.0
		if alpha >= 0 {
			ap, an = alpha, 1-alpha
		}
		for _, g := range []float64{0.5, 1, 2, 4} {
			for _, p := range []float64{1e-6, 0.01, 0.2, 0.5, 0.7, 0.95, 0.999} {
				l := theory.SigmoidPosteriorLogit(math.Log(p)-math.Log1p(-p), alpha, g)
				eta, ceta := 1/(1+math.Exp(-l)), 1/(1+math.Exp(l))
				lo, hi := dr(p*(1-stationStep), eta, ceta, ap, an, g), dr(p*(1+stationStep), eta, ceta, ap, an, g)
				if !(lo < 0 && hi > 0) {
					t.Errorf("α=%v γ=%v p=%v: η=%v, r'(p−)=%v r'(p+)=%v: not a minimum", alpha, g, p, eta, lo, hi)
				}
			}
		}
	}
}

// SigmoidPosterior is the binary case of PsiBalanced with weights (α, 1−α)
// on the pair (p, 1−p): two code paths for the same quantity.
func TestSigmoidIsBinaryBalanced(t *testing.T) {
	// binaryULPs: PsiBalanced normalizes two terms (a few ulps); the logit
	// path has an absolute error of a few ulps of |logit η|, that is
	// (1 + |logit η|)·few ulps of η.
	const binaryULPs = 4
	for _, alpha := range []float64{0.25, 0.5, 0.9} {
		for _, g := range []float64{0.5, 2, 3.5} {
			for _, p := range []float64{0.05, 0.3, 0.5, 0.8} {
				want := theory.PsiBalanced(make([]float64, 2), []float64{p, 1 - p}, []float64{alpha, 1 - alpha}, g)[0]
				got := theory.SigmoidPosterior(p, alpha, g)
				tol := binaryULPs * (1 + math.Abs(math.Log(want/(1-want))))
				if d := math.Abs(got-want) / ulp(want); d > tol {
					t.Errorf("α=%v γ=%v p=%v: SigmoidPosterior %v, PsiBalanced %v (%.1f ulps)", alpha, g, p, got, want, d)
				}
			}
		}
	}
}

// The logit form keeps its accuracy where σ(z) rounds to 1, and it is
// monotone and odd (without weights) in z.
func TestSigmoidPosteriorLogitTails(t *testing.T) {
	// tailTol: the asymptote (1+γ)z − log(1+γ) is reached to O(z e^{−z}),
	// below an ulp of logit η for z ≥ 50.
	const tailTol = 1e-12
	for _, g := range []float64{0.5, 2, 5} {
		for _, z := range []float64{50, 100, 700, 800, 1e5} {
			want := (1+g)*z - math.Log1p(g)
			if got := theory.SigmoidPosteriorLogit(z, -1, g); math.Abs(got-want) > tailTol*math.Abs(want) {
				t.Errorf("γ=%v z=%v: logit η = %v, asymptote %v", g, z, got, want)
			}
			if a, b := theory.SigmoidPosteriorLogit(-z, -1, g), theory.SigmoidPosteriorLogit(z, -1, g); a != -b {
				t.Errorf("γ=%v z=%v: not odd: %v, %v", g, z, a, b)
			}
		}
		prev := math.Inf(-1)
		for z := -60.0; z <= 60; z += 0.37 {
			l := theory.SigmoidPosteriorLogit(z, 0.25, g)
			if !(l > prev) {
				t.Errorf("γ=%v: logit η not increasing at z=%v", g, z)
			}
			prev = l
		}
	}
	// Probability and logit forms agree on moderate inputs.
	// formsULPs: per unit of |logit η|, the absolute error of each form,
	// plus the rounding of z = logit(p) amplified by dlogit η/dz ≤ 1+γ.
	const formsULPs = 4
	for _, g := range []float64{0.5, 2, 5} {
		for _, p := range []float64{1e-300, 1e-9, 0.1, 0.5, 0.75, 0.999} {
			z := math.Log(p) - math.Log1p(-p)
			a := theory.SigmoidPosterior(p, 0.25, g)
			l := theory.SigmoidPosteriorLogit(z, 0.25, g)
			b := 1 / (1 + math.Exp(-l))
			if d := math.Abs(a-b) / ulp(a); d > formsULPs*(1+g)*(1+math.Abs(l)) {
				t.Errorf("γ=%v p=%v: probability form %v, logit form %v (%.1f ulps)", g, p, a, b, d)
			}
		}
	}
}
