package theory_test

import (
	"math"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/theory"
)

// One line per line of GammaForTauUC's "Special cases are".
func TestGammaForTauUCSpecialCases(t *testing.T) {
	for _, c := range []struct{ p, want float64 }{
		{nan, nan}, {0, nan}, {-0.1, nan}, {0.5000000000000001, nan}, {1, nan}, {inf, nan},
		{0.5, 0}, {subnorm, inf}, {1e-310, inf},
	} {
		if got := theory.GammaForTauUC(c.p); !alike(got, c.want) {
			t.Errorf("GammaForTauUC(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if g := theory.GammaForTauUC(1e-300); math.IsInf(g, 0) || math.IsNaN(g) {
		t.Errorf("GammaForTauUC(1e-300) = %v, want finite", g)
	}
}

// τ_uc^1 = e^{−1} (design.md), so GammaForTauUC(e^{−1}) = 1.
func TestGammaForTauUCClosedForm(t *testing.T) {
	// closedULPs: 1/e rounds by half an ulp, and γ's sensitivity to p
	// there is |dγ/dp|·p/γ ≈ 3, so a few ulps.
	const closedULPs = 8
	if got := theory.GammaForTauUC(1 / math.E); math.Abs(got-1)/ulp(1) > closedULPs {
		t.Errorf("GammaForTauUC(1/e) = %v, want 1", got)
	}
}

// Mukhoti et al. (2020) round γ(0.2) to 5 and γ(0.25) to 3 in their FLSD-53
// schedule.
func TestGammaForTauUCMukhoti(t *testing.T) {
	for _, c := range []struct{ p, want float64 }{{0.2, 5}, {0.25, 3}} {
		g := theory.GammaForTauUC(c.p)
		if math.Round(g) != c.want {
			t.Errorf("GammaForTauUC(%v) = %v rounds to %v, want %v", c.p, g, math.Round(g), c.want)
		}
		t.Logf("GammaForTauUC(%v) = %.6f", c.p, g)
	}
}

// Round trips through TauUC, whose root finder works in v for fixed γ: an
// independent code path for the same equation φ^γ(v) = 1.
func TestGammaForTauUCRoundTrip(t *testing.T) {
	// roundTripTol: each root is found to a few ulps of its own function;
	// the relative condition number of γ ↦ τ_uc is at most ~3 on this
	// range, so the round trip holds to ~1e-14 relative. Near p = 1/2
	// (small γ), γ ≈ c·(1/2 − p), so the rounding of p = TauUC(γ) alone,
	// an ulp of 1/2, moves γ by γ·ulp(p)/(1/2 − p): the second term.
	const roundTripTol = 1e-13
	for _, g := range []float64{1e-9, 1e-6, 1e-3, 0.03, 0.5, 1, 2, 3, 5, 10, 30, 100} {
		p := theory.TauUC(g)
		tol := roundTripTol*g + 4*g*ulp(p)/(0.5-p)
		if got := theory.GammaForTauUC(p); math.Abs(got-g) > tol {
			t.Errorf("GammaForTauUC(TauUC(%v) = %v) = %v (rel err %.3g)", g, p, got, math.Abs(got-g)/g)
		}
	}
	worst := 0.0
	defer func() { t.Logf("worst relative error of TauUC(GammaForTauUC(p)): %.3g", worst) }()
	for _, p := range []float64{1e-10, 1e-4, 0.01, 0.1, 0.2, 0.3, 0.4, 0.45, 0.49, 0.4999, 0.5 - 1e-9} {
		g := theory.GammaForTauUC(p)
		got := theory.TauUC(g)
		worst = math.Max(worst, math.Abs(got-p)/p)
		if math.Abs(got-p) > roundTripTol*p {
			t.Errorf("TauUC(GammaForTauUC(%v) = %v) = %v (rel err %.3g)", p, g, got, math.Abs(got-p)/p)
		}
		// φ^γ(p) = 1 at the returned γ (the defining equation).
		if phi := theory.Phi(p, g); math.Abs(phi-1) > roundTripTol {
			t.Errorf("φ^%v(%v) = %v, want 1", g, p, phi)
		}
	}
	// Decreasing in p.
	prev := math.Inf(1)
	for p := 0.001; p < 0.5; p += 0.001 {
		g := theory.GammaForTauUC(p)
		if !(g < prev) {
			t.Errorf("GammaForTauUC not decreasing at p=%v: %v ≥ %v", p, g, prev)
		}
		prev = g
	}
}

// gammaNuTol bounds GammaNearUniform's error relative to max(1, |γ_nu|)
// (its doc: a few ulps of that; the float64 form's terms are of that size,
// and only near the zero of γ_nu, between K = 4 and 5, is the relative
// error larger).
const gammaNuTol = 8 * 0x1p-52

// gammaNuTauTol bounds the relative distance of τ_oc^γ from 1/K at γ =
// GammaNearUniform(K): τ_oc moves by |d ln τ_oc/dγ|·Δγ, below
// Δγ/max(1, γ) (|d ln τ_oc/dγ| < 1 for γ < 1, |d ln τ_oc/d ln γ| ≤ 1
// beyond), plus the rounding of 1/K.
const gammaNuTauTol = 2 * gammaNuTol

// gammaNuReadme is γ_nu(5) as README.md quotes it, from the derivation in
// docs/findings.md, to the 12 digits given there.
const (
	gammaNuReadme    = 0.029320523523
	gammaNuReadmeTol = 1e-12
)

// GammaNearUniform against two independent oracles: the closed form
// evaluated at 40 digits in decimal arithmetic (apd), for integer and real
// K, which checks the float64 evaluation; and, where γ_nu(K) ≥ 0, its
// definition τ_oc^γ = 1/K at γ = γ_nu(K) with τ_oc from hiprec, which checks
// the closed form itself. Plus README's value at K = 5 and the special cases.
func TestGammaNearUniform(t *testing.T) {
	ctx := apd.BaseContext.WithPrecision(hiprec.Digits)
	must := func(_ apd.Condition, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	closed := func(k float64) *apd.Decimal {
		kd, lnK, r := hiprec.Exact(k), new(apd.Decimal), new(apd.Decimal)
		must(ctx.Ln(lnK, kd))
		must(ctx.Sub(r, lnK, apd.New(2, 0)))
		km1 := new(apd.Decimal)
		must(ctx.Sub(km1, kd, apd.New(1, 0)))
		must(ctx.Mul(r, r, km1))
		must(ctx.Quo(r, r, lnK))
		must(ctx.Add(r, r, apd.New(1, 0)))
		return r
	}
	ks := []float64{2, 2.5, 3, 4, 4.5, 5, 6, 7, 7.389, 8, 9, 10, 20, 50, 100, 1000, 1e6, 1e15}
	for k := 11.0; k <= 200; k++ {
		ks = append(ks, k)
	}
	worst := 0.0
	for _, k := range ks {
		got, want := theory.GammaNearUniform(k), closed(k)
		w := hiprec.Float(want)
		e := math.Abs(got-w) / math.Max(1, math.Abs(w))
		if e > gammaNuTol {
			t.Errorf("GammaNearUniform(%v) = %v, 40-digit closed form %s: error %.3g of max(1, γ)", k, got, want, e)
		}
		worst = math.Max(worst, e)
		if got < 0 {
			continue
		}
		tau := hiprec.TauOC(got)
		if e := hiprec.RelErr(1/k, tau); e > gammaNuTauTol {
			t.Errorf("τ_oc at γ = GammaNearUniform(%v) = %v is %s, want 1/K (relative error %.3g)", k, got, tau, e)
		}
	}
	t.Logf("worst error against the 40-digit closed form, relative to max(1, γ): %.3g (%.2f ulps)", worst, worst/0x1p-52)
	if got := theory.GammaNearUniform(5); math.Abs(got-gammaNuReadme) > gammaNuReadmeTol {
		t.Errorf("GammaNearUniform(5) = %v, README gives %v", got, gammaNuReadme)
	}
	for _, c := range []struct{ k, want float64 }{{nan, nan}, {1.999, nan}, {1, nan}, {0, nan}, {-inf, nan}, {inf, inf}} {
		if got := theory.GammaNearUniform(c.k); !alike(got, c.want) {
			t.Errorf("GammaNearUniform(%v) = %v, want %v", c.k, got, c.want)
		}
	}
}
