package theory

import "math"

// GammaForTauUC returns the γ at which τ_uc^γ = p, the inverse of TauUC on
// (0, 1/2]: a focal risk minimizer whose largest entry is p is then on the
// boundary of the underconfident region of Thm 8. Mukhoti et al. (NeurIPS
// 2020, Sec. 5) choose a sample-dependent γ this way: their schedule
// "FLSD-53" uses γ = 5 for p ∈ [0, 0.2) and γ = 3 for p ∈ [0.2, 0.25), the
// values GammaForTauUC(0.2) ≈ 4.85 and GammaForTauUC(0.25) ≈ 3.07 rounded.
//
// Method. φ^γ(p) = 1 with log φ^γ(p) = γ log1p(−p) + log1p(γ b), b =
// −p log p/(1−p), reads log1p(x)/x = a/b with x = γ b and a = −log1p(−p).
// For p in (0, 1/2), a < b, and n(x) = 1 − log1p(x)/x increases from 0 to 1
// on (0, ∞), so the root of n(x) = δ := 1 − a/b is unique (x = 0, γ = 0 is
// the trivial solution φ^0 ≡ 1). It is found by Newton's method safeguarded
// by bisection, and γ = x/b. n(x) is evaluated without cancellation: for
// x < 1 by x − log1p(x) = Σ_{j≥2} c_j s^j, s = x/(2+x) ≤ 1/3, c_j = 2 for
// even j and 2 − 2/j for odd j (from log1p(x) = 2 atanh s), a series of
// positive terms; and δ for p > 1/4 by b·δ = D/(1−p), D = (1−p)log(1−p) −
// p log p = atanh(2e) − 2e log 2 + e log1p(−4e²), e = 1/2 − p (exact), so that
// γ keeps its relative accuracy as p → 1/2 and γ → 0 (γ ≈ 2δ/b there).
// Accuracy: a relative error of a few ulps of δ's and b's; TauUC round
// trips hold to 3e-15 relative (docs/calibrate.md). As p → 0, γ grows
// like log(log(1/p))/p, and it overflows to +Inf below p ≈ 1e-307.
//
// Special cases are:
//
//	GammaForTauUC(p) = NaN if p is NaN, p ≤ 0 or p > 1/2
//	GammaForTauUC(1/2) = 0 (TauUC(0) = 1/2)
//	GammaForTauUC(p) = +Inf for 0 < p ≲ 1e-307, where γ exceeds the float64 range
func GammaForTauUC(p float64) float64 {
	switch {
	case !(p > 0 && p <= 0.5):
		return math.NaN()
	case p == 0.5:
		return 0
	}
	lp := Log(p)
	b := -p * lp / (1 - p) // > 0
	var delta float64
	if p > 0.25 {
		e := 0.5 - p // exact (Sterbenz)
		d := math.Atanh(2*e) - 2*e*math.Ln2 + e*math.Log1p(-4*e*e)
		delta = d / (-p * lp)
	} else {
		a := -math.Log1p(-p)
		delta = (b - a) / b
	}
	if !(delta > 0 && delta < 1) {
		return math.NaN() // not reached for p in (0, 1/2)
	}
	// f(x) = δ − n(x) is positive on (0, x*) and negative beyond.
	f := func(x float64) (float64, float64) {
		n := log1pmxRatio(x)
		// n'(x) = (log1p(x)/x − 1/(1+x))/x = (1 − n − 1/(1+x))/x.
		dn := ((1 - n) - 1/(1+x)) / x
		return delta - n, -dn
	}
	hi := 1.0
	for v, _ := f(hi); v > 0; v, _ = f(hi) {
		hi *= 2
	}
	x := rootDecreasing(f, 0, hi, math.Min(2*delta, hi/2))
	return x / b
}

// log1pmxRatio returns n(x) = (x − log1p(x))/x for x > 0 without
// cancellation (see GammaForTauUC).
func log1pmxRatio(x float64) float64 {
	if x >= 1 {
		return (x - math.Log1p(x)) / x
	}
	s := x / (2 + x)
	// Σ_{j≥2} c_j s^j by Horner's rule; s ≤ 1/3, so 36 terms bring the
	// tail below 2^−54 of the leading term.
	var sum float64
	for j := 36; j >= 2; j-- {
		c := 2.0
		if j%2 == 1 {
			c = 2 - 2/float64(j)
		}
		sum = c + s*sum
	}
	sum *= s * s
	return sum / x
}
