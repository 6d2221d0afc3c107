package theory

import "math"

// TauOC returns τ_oc^γ = argmax_v φ^γ(v) (Thm 8): a focal risk minimizer
// q* ∉ S^K whose largest entry is at most τ_oc^γ is η-overconfident.
//
// τ_oc^γ is the unique root in (0, 1/2) of the bracket of φ',
//
//	(γ−1) v log v = (1−v)(log v + 2),
//
// found by Newton's method safeguarded by bisection on a sign-changing
// bracket, iterated until the step is below an ulp. At γ = 1 it is e^{−2};
// it decreases to 0 like 1/γ as γ → ∞. Accuracy: within a few ulps of the
// root of the float64 bracket, which is well conditioned (relative error
// ≤ 1e-14 measured for γ in [0, 100], docs/numerics.md).
//
// Special cases are:
//
//	TauOC(γ) = NaN if γ is NaN, negative or +Inf
//	TauOC(0) = −W₀(−2e^{−2})/2 ≈ 0.2032, the limit as γ → 0+ (φ^0 ≡ 1 has no argmax)
func TauOC(gamma float64) float64 {
	if !validGamma(gamma) {
		return math.NaN()
	}
	f := func(v float64) (float64, float64) {
		lv := Log(v)
		b := (gamma-1)*v*lv - (1-v)*(lv+2)
		db := (gamma-1)*(lv+1) + lv + 2 - (1-v)/v
		return b, db
	}
	return rootDecreasing(f, 0, 0.5, 0.2/(1+gamma/2))
}

// TauUC returns τ_uc^γ, the root of φ^γ(v) = 1 in (τ_oc^γ, 1/2) (Thm 8): a
// focal risk minimizer q* ∉ S^K whose largest entry is at least τ_uc^γ is
// η-underconfident.
//
// Method: Newton's method safeguarded by bisection on the bracket
// (τ_oc^γ, 1/2] of
//
//	log φ^γ(v) = γ log1p(−v) + log1p(−γ v log v / (1−v)),
//
// a form in which both terms are O(γ), so the root stays accurate as γ → 0
// (the textbook form (γ−1) log(1−v) + log g(v) cancels to O(γ) and loses
// about log10(1/γ) digits). At γ = 1 the root is e^{−1}; it tends to 1/2 as
// γ → 0 and to 0 like ln(ln γ)/γ as γ → ∞ (docs/findings.md, Sec. 1). Accuracy: relative error
// ≤ 1e-14 measured for γ in [0, 100] (docs/numerics.md).
//
// Special cases are:
//
//	TauUC(γ) = NaN if γ is NaN, negative or +Inf
//	TauUC(0) = 1/2, the limit as γ → 0+ (φ^0 ≡ 1)
func TauUC(gamma float64) float64 {
	switch {
	case !validGamma(gamma):
		return math.NaN()
	case gamma == 0:
		return 0.5
	}
	// Below tauUCMinGamma the O(γ) terms of f would be subnormal and lose
	// their precision; the root, 1/2 − 0.196γ, rounds there to the float
	// below 1/2, as it does from γ ≈ 1e-16 down, so γ is raised to it.
	gamma = math.Max(gamma, tauUCMinGamma)
	f := func(v float64) (float64, float64) {
		lv := Log(v)
		w := 1 - v
		x := gamma * v * lv / w
		val := gamma*math.Log1p(-v) + math.Log1p(-x)
		b := (gamma-1)*v*lv - w*(lv+2)
		return val, gamma * b / (w * (w - gamma*v*lv))
	}
	lo := TauOC(gamma)
	return rootDecreasing(f, lo, 0.5, lo+(0.5-lo)/2)
}

// tauUCMinGamma is the smallest γ at which TauUC evaluates its equation;
// γ·log1p(−v) and the other term are normal numbers from there up.
const tauUCMinGamma = 1e-300

// GammaNearUniform returns γ_nu(K), the γ below which focal risk minimizers
// near the uniform vector of K classes are η-overconfident and above which
// they are η-underconfident:
//
//	γ_nu(K) = 1 + (K−1)(ln K − 2)/ln K.
//
// It is the linearization of the K-class near-uniform condition: near u =
// (1/K, …, 1/K), q* − u ≈ (η − u)/D with D = 1 − vφ'(v)/φ(v) at v = 1/K, so
// a near-uniform minimizer is overconfident iff φ'(1/K) > 0, that is iff
// 1/K < τ_oc^γ (Thm 8's bracket of φ' at v = 1/K, which is linear in γ and
// vanishes at γ_nu(K); docs/findings.md). Where γ_nu(K) ≥ 0, τ_oc^γ = 1/K
// at γ = γ_nu(K). γ_nu(5) = 0.0293205235…, just below the γ ≤ 0.03 of the
// paper's footnote 2; γ_nu(K) is negative for K ≤ 4 (near-uniform
// minimizers are then underconfident for every γ > 0) and grows like
// K(1 − 2/ln K). K may be any real ≥ 2 (for plotting the threshold over K).
//
// Accuracy: an error of a few ulps of max(1, |γ_nu(K)|) (at most 2.4
// measured against a 40-digit evaluation); so a relative error of a few
// ulps but near the zero of γ_nu between K = 4 and 5, where 1 + (…)
// cancels (1e-14 relative at K = 5).
//
// Special cases are:
//
//	GammaNearUniform(K) = NaN if K is NaN or K < 2
//	GammaNearUniform(+Inf) = +Inf
func GammaNearUniform(k float64) float64 {
	switch {
	case !(k >= 2):
		return math.NaN()
	case math.IsInf(k, 1):
		return k
	}
	// math.Log rather than Log: K ≥ 2 is far from the subnormals where the
	// two differ, and this is the form the reports have always printed.
	return 1 + (k-1)*(math.Log(k)-2)/math.Log(k)
}

// rootDecreasing returns the root in (lo, hi) of f, which is positive near lo
// and negative near hi, by Newton's method from x safeguarded by bisection:
// a Newton step that leaves the current bracket is replaced by its midpoint.
// It stops when a step no longer moves x by more than an ulp, when f(x) = 0,
// or when the bracket holds no float64 between its ends.
func rootDecreasing(f func(float64) (float64, float64), lo, hi, x float64) float64 {
	// maxRootIter bounds the loop: bisection alone from [0, 1/2] reaches
	// the smallest subnormal in about 1075 halvings.
	const maxRootIter = 1200
	for i := 0; i < maxRootIter; i++ {
		fx, dfx := f(x)
		switch {
		case fx == 0:
			return x
		case fx > 0:
			lo = x
		default:
			hi = x
		}
		next := x - fx/dfx
		if !(next > lo && next < hi) {
			next = lo + (hi-lo)/2
			if next <= lo || next >= hi {
				return x
			}
		}
		if math.Abs(next-x) <= 0.5*ulp(x) {
			return next
		}
		x = next
	}
	return x
}

// ulp returns the spacing of float64 values at x.
func ulp(x float64) float64 {
	x = math.Abs(x)
	return math.Nextafter(x, math.Inf(1)) - x
}
