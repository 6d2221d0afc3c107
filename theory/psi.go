package theory

import "math"

// Psi writes Ψ^γ(v) of Eq. 12 into dst and returns dst:
//
//	Ψ_i^γ(v) = h^γ(v_i) / Σ_l h^γ(v_l),   h^γ(v) = v / φ^γ(v)  (Eq. 13).
//
// Thm 11: Ψ^γ maps the focal risk minimizer q^{γ,*}(η) back to the class
// posterior η; Prop 12: argmax Ψ^γ(v) = argmax v. With γ = 0 it is the
// identity on the simplex (it returns v / Σ v).
//
// Method: where no h^γ(v_i) can overflow (γ ≤ psiDirectMaxGamma, for which
// h^γ < 2^930 on [0, 1)), h is formed directly, with no logarithm of its
// own for integer γ ≤ 9, and normalized by a compensated sum. For larger γ
// the big factor (1−v)^{−(γ−1)} = exp(E_i) is split as 2^{n_i} exp(r_i) with
// |r_i| ≤ ln2/2 and every term is scaled by the same exact power of two
// 2^{−max n}, so Ψ^γ never overflows, for any γ, and small components lose no
// accuracy to the scaling. Accuracy (docs/numerics.md): relative error of a
// few ulps in every component ≥ 1e-300 wherever γ·|log(1−v_i)| ≤ 10 for all
// i; beyond that it grows like γ·|log(1−v_i)| ulps.
//
// Special cases are:
//
//	Psi(dst, v, γ) is all NaN if γ is NaN, negative or +Inf, or any v_i is NaN or outside [0, 1], or every v_i is 0
//	Psi(dst, v, γ) for γ > 0 and some v_i = 1: uniform on {i : v_i = 1}, 0 elsewhere (so Ψ(e_y) = e_y)
//
// Psi panics if len(dst) != len(v). dst may alias v.
func Psi(dst, v []float64, gamma float64) []float64 {
	if len(dst) != len(v) {
		panic("theory: length mismatch")
	}
	if !validGamma(gamma) {
		return fillNaN(dst)
	}
	ones := 0
	for _, vi := range v {
		if !validProb(vi) {
			return fillNaN(dst)
		}
		if vi == 1 {
			ones++
		}
	}
	switch {
	case ones > 0 && gamma > 0:
		w := 1 / float64(ones)
		for i, vi := range v {
			if vi == 1 {
				dst[i] = w
			} else {
				dst[i] = 0
			}
		}
		return dst
	case gamma == 0:
		copy(dst, v)
	case gamma <= psiDirectMaxGamma:
		psiDirect(dst, v, gamma)
	default:
		psiScaled(dst, v, gamma)
	}
	return normalize(dst)
}

// psiDirectMaxGamma is the largest γ for which Psi forms h^γ directly: on
// [0, 1−2^−53], h^γ(v) ≤ 2^{53γ}/(1+γ) < 2^{902}, so a sum of up to 2^{100}
// terms cannot overflow.
const psiDirectMaxGamma = 17

// psiDirect writes h^γ(v_i) into dst for 0 < γ ≤ psiDirectMaxGamma and
// v_i in [0, 1).
func psiDirect(dst, v []float64, gamma float64) {
	p := gamma - 1
	if p == math.Trunc(p) && math.Abs(p) <= maxIntPow {
		n := int(p)
		for i, vi := range v {
			if vi == 0 {
				dst[i] = 0
				continue
			}
			w := 1 - vi
			dst[i] = vi / (powInt(w, n) * (w - gamma*vi*Log(vi)))
		}
		return
	}
	for i, vi := range v {
		if vi == 0 {
			dst[i] = 0
			continue
		}
		dst[i] = vi / (Pow1m(vi, p) * ((1 - vi) - gamma*vi*Log(vi)))
	}
}

// Cody–Waite split of ln 2 (as in package math's exp): n·ln2Hi is exact
// for |n| < 2^20.
const (
	ln2Hi = 6.93147180369123816490e-01
	ln2Lo = 1.90821492927058770002e-10
)

// psiScaled writes h^γ(v_i)·2^{−N} into dst for γ > psiDirectMaxGamma and v_i
// in [0, 1), with N chosen so that the largest term is near 1.
func psiScaled(dst, v []float64, gamma float64) {
	p := gamma - 1
	maxE := math.Inf(-1)
	for i, vi := range v {
		e := -p * math.Log1p(-vi) // log of (1−v)^{−(γ−1)}, ≥ 0
		dst[i] = e
		if e > maxE {
			maxE = e
		}
	}
	nMax := int(math.Floor(maxE/math.Ln2 + 0.5))
	for i, vi := range v {
		if vi == 0 {
			dst[i] = 0
			continue
		}
		e := dst[i]
		n := int(math.Floor(e/math.Ln2 + 0.5))
		fn := float64(n)
		r := (e - fn*ln2Hi) - fn*ln2Lo
		dst[i] = math.Ldexp(vi/g(vi, gamma)*math.Exp(r), n-nMax)
	}
}

// normalize divides x by its compensated (Neumaier) sum and returns x; a
// zero sum gives all NaN.
func normalize(x []float64) []float64 {
	var s, c float64
	for _, xi := range x {
		t := s + xi
		if math.Abs(s) >= math.Abs(xi) {
			c += (s - t) + xi
		} else {
			c += (xi - t) + s
		}
		s = t
	}
	s += c
	if s == 0 || math.IsNaN(s) {
		return fillNaN(x)
	}
	for i := range x {
		x[i] /= s
	}
	return x
}

func fillNaN(x []float64) []float64 {
	nan := math.NaN()
	for i := range x {
		x[i] = nan
	}
	return x
}
