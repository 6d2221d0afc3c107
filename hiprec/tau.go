package hiprec

import (
	"errors"
	"math"

	"math/big"

	"github.com/cockroachdb/apd/v3"
)

// TauOC returns τ_oc^γ = argmax_v φ^γ(v) (Thm 8) at γ taken exactly, to 60
// significant digits.
//
// By φ'(v) = γ(1−v)^{γ−2}((γ−1) v ln v − (1−v)(ln v + 2)), the maximizer is
// the root in (0, 1/2) of
//
//	F(v) = (γ−1) v ln v − (1−v)(ln v + 2),
//
// which is positive near 0 (F → +∞) and negative at 1/2 for every γ ≥ 0.
// It is found by float64 bisection followed by safeguarded Newton at the
// working precision (solveIncreasing on −F, with F' = (γ−1)(ln v + 1) + ln v + 2 −
// (1−v)/v). At γ = 1 the root is e^{−2}.
//
// Special cases are:
//
//	TauOC(0) = the root of ln v = 2v − 2 in (0, 1/2), ≈ 0.2031878699799799…
//	  (= −W₀(−2e^{−2})/2, the γ → 0 limit, which F with γ = 0 gives)
//	TauOC(γ) = NaN if γ is NaN, < 0 or +Inf, or if τ_oc < 1e-300 (γ ≳ 1e297)
func TauOC(gamma float64) *apd.Decimal {
	if !validGamma(gamma) {
		return nanDec()
	}
	return orNaN(nanDec, func() (*apd.Decimal, error) {
		k := defaultCalc
		t, err := k.tauOC(gamma)
		if err != nil {
			return nil, err
		}
		return k.dec(t), nil
	})
}

// tauOC is TauOC at working precision.
func (k *calc) tauOC(gamma float64) (*big.Float, error) {
	ff := func(v float64) float64 {
		lv := math.Log(v)
		return (gamma-1)*v*lv - (1-v)*(lv+2)
	}
	lo := 0.25
	for ff(lo) <= 0 {
		lo *= lo
		if lo < 1e-300 {
			return nil, errors.New("hiprec: τ_oc below 1e-300")
		}
	}
	a, b := lo, 0.5
	for i := 0; i < 200 && b-a > 1e-17*b; i++ {
		if m := (a + b) / 2; ff(m) > 0 {
			a = m
		} else {
			b = m
		}
	}
	gm1 := k.sub(k.num(gamma), k.one())
	f := func(v *big.Float) (fx, dfx *big.Float) {
		p := k.pointVC(v, k.sub(k.one(), v))
		lnv2 := k.add(p.lnv, k.int(2))
		fx = k.sub(k.mul(p.c, lnv2), k.mul(gm1, k.mul(p.v, p.lnv)))
		dfx = k.sub(k.sub(k.quo(p.c, p.v), lnv2), k.mul(gm1, k.add(p.lnv, k.one())))
		return fx, dfx
	}
	return k.solveIncreasing(f, k.num((a+b)/2), k.num(lo), k.num(0.5), k.relTol, noCap)
}

// TauUC returns τ_uc^γ, the root of φ^γ(v) = 1 in (τ_oc^γ, 1/2) (Thm 8), at
// γ taken exactly, to 60 significant digits.
//
// φ − 1 is O(γ), so for small γ the equation is solved in the form
//
//	G(v) = ln φ/γ = ln(1−v) + ln(1 + γw)/γ = 0,   w = −v ln v/(1−v),
//
// with ln(1+γw) from a series that is relative-accurate for tiny γw: G is
// O(1) with slope ≈ −1.2 at the root for all small γ, so the root is
// determined to the working precision whatever γ is. G decreases on
// (τ_oc, 1/2) from G(τ_oc) = ln max φ/γ > 0; float64 bisection, then
// safeguarded Newton at the working precision with
// G' = −1/(1−v) − (ln v + 1 − v)/((1−v)²(1 + γw)). At γ = 1 the root is e^{−1}.
//
// Special cases are:
//
//	TauUC(0) = 1/2 (the γ → 0 limit: G with γ = 0 vanishes at 1/2)
//	TauUC(γ) = 1/2 rounded if G(1/2) ≥ 0 in working precision (γ ≲ 10^-68:
//	  the root is then within 10^-68 of 1/2)
//	TauUC(γ) = NaN if γ is NaN, < 0 or +Inf, or if TauOC(γ) is NaN
func TauUC(gamma float64) *apd.Decimal {
	if !validGamma(gamma) {
		return nanDec()
	}
	if gamma == 0 {
		return apd.New(5, -1)
	}
	return orNaN(nanDec, func() (*apd.Decimal, error) {
		k := defaultCalc
		t, err := k.tauUC(gamma)
		if err != nil {
			return nil, err
		}
		return k.dec(t), nil
	})
}

// tauUC is TauUC at working precision, for γ > 0.
func (k *calc) tauUC(gamma float64) (*big.Float, error) {
	toc, err := k.tauOC(gamma)
	if err != nil {
		return nil, err
	}
	g := k.num(gamma)
	// f = −G, increasing.
	f := func(v *big.Float) (fx, dfx *big.Float) {
		p := k.pointVC(v, k.sub(k.one(), v))
		w := k.neg(k.quo(k.mul(p.v, p.lnv), p.c))
		gw := k.mul(g, w)
		fx = k.neg(k.add(p.lnc, k.quo(k.log1p(gw), g)))
		dfx = k.add(k.quo(k.one(), p.c),
			k.quo(k.add(p.lnv, p.c), k.mul(k.mul(p.c, p.c), k.add(k.one(), gw))))
		return fx, dfx
	}
	if fh, _ := f(k.num(0.5)); fh.Sign() <= 0 {
		return k.num(0.5), nil
	}
	gf := func(v float64) float64 {
		w := -v * math.Log(v) / (1 - v)
		return math.Log1p(-v) + math.Log1p(gamma*w)/gamma
	}
	a, _ := toc.Float64()
	b := 0.5
	for i := 0; i < 200 && b-a > 1e-17; i++ {
		if m := (a + b) / 2; gf(m) > 0 {
			a = m
		} else {
			b = m
		}
	}
	return k.solveIncreasing(f, k.num((a+b)/2), toc, k.num(0.5), k.relTol, noCap)
}
