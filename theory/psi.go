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
// own for integer γ ≤ 9, and normalized by a compensated sum
// (psiRowsDirect; for integer γ ≤ 9 and every v_i in [2^−1022, 1), the
// common case, psiRowFast computes the same bits with fewer instructions).
// For larger γ the big factor (1−v)^{−(γ−1)} = exp(E_i) is split as
// 2^{n_i} exp(r_i) with |r_i| ≤ ln2/2 and every term is scaled by the same
// exact power of two 2^{−max n}, so Ψ^γ never overflows, for any γ, and
// small components lose no accuracy to the scaling. Accuracy
// (docs/numerics.md): relative error of a few ulps in every component
// ≥ 1e-300 wherever γ·|log(1−v_i)| ≤ 10 for all i; beyond that it grows
// like γ·|log(1−v_i)| ulps.
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
	if gamma > 0 && gamma <= psiDirectMaxGamma {
		// The vector kernel directly (a call or two fewer at small K),
		// else psiRowsDirect, the special cases included.
		if n, ok := psiFastGamma(gamma); ok && len(v) > 0 && &dst[0] != &v[0] && psiVec(dst, v, n, gamma) {
			return dst
		}
		psiRowsDirect(dst, v, len(v), gamma)
		return dst
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
		return shareOnes(dst, v, ones)
	case gamma == 0:
		copy(dst, v)
	default:
		psiScaled(dst, v, gamma)
	}
	return normalize(dst)
}

// psiDirectMaxGamma is the largest γ for which Psi forms h^γ directly: on
// [0, 1−2^−53], h^γ(v) ≤ 2^{53γ}/(1+γ) < 2^{902}, so a sum of up to 2^{100}
// terms cannot overflow.
const psiDirectMaxGamma = 17

// psiChunk is the number of logarithms psiDirect takes in one pass before
// using them (a pass of independent Log calls runs at Log's throughput).
const psiChunk = 32

// psiDirect writes h^γ(v_i) into dst for 0 < γ ≤ psiDirectMaxGamma and
// v_i in [0, 1) and returns their compensated sum (sum4, the order of the
// vector kernel of psiRowFast), formed in the same pass. It takes the logarithms of a chunk of v in
// one pass (logSlice, Log bit for bit) before using them, so that
// independent logarithms overlap instead of each waiting for the division
// that consumed the previous one.
func psiDirect(dst, v []float64, gamma float64) float64 {
	var sum sum4
	p := gamma - 1
	n, intPow := 0, p == math.Trunc(p) && math.Abs(p) <= maxIntPow
	if intPow {
		n = int(p)
	}
	var lv [psiChunk]float64
	for lo := 0; lo < len(v); lo += psiChunk {
		vc := v[lo:min(lo+psiChunk, len(v))]
		dc := dst[lo : lo+len(vc)]
		logSlice(lv[:len(vc)], vc)
		for j, vj := range vc {
			if vj == 0 {
				dc[j] = 0
				continue
			}
			w := 1 - vj
			var pw float64 // (1 − v)^{γ−1}
			switch {
			case !intPow:
				pw = Pow1m(vj, p)
			case n == 1: // γ = 2: powInt(w, 1) = w without the call
				pw = w
			default:
				pw = powInt(w, n)
			}
			h := vj / (pw * (w - gamma*vj*lv[j]))
			dc[j] = h
			sum.add(lo+j, h)
		}
	}
	return sum.total()
}

// Cody–Waite split of ln 2 (as in package math's exp): n·ln2Hi is exact
// for |n| < 2^20.
const (
	ln2Hi = 6.93147180369123816490e-01
	ln2Lo = 1.90821492927058770002e-10
)

// psiScaleUp: psiScaled scales the largest term to about 2^psiScaleUp
// rather than 1, so that a term whose Ψ component is as small as 1e-320 is
// still a normal number before the final division (which then rounds it
// once); the sum stays below K·2^{psiScaleUp+61}, far from overflow.
const psiScaleUp = 500

// psiScaled writes h^γ(v_i)·2^{−N} into dst for γ > psiDirectMaxGamma and v_i
// in [0, 1), with N chosen so that the largest term is near 2^psiScaleUp. Each v_i is
// read before dst[i] is written, so dst may alias v: the largest exponent
// E = −(γ−1) log1p(−v) is that of the largest v_i, as E increases with v.
// Where E does not fit the integer exponents (psiScaledMaxE: γ beyond about
// 10^14), the terms are scaled by the difference of the logarithms instead,
// exp((γ−1)(log1p(−max v) − log1p(−v_i))) ≤ 1, which cannot overflow either.
func psiScaled(dst, v []float64, gamma float64) {
	p := gamma - 1
	lMax := math.Log1p(-Max(v))
	maxE := -p * lMax // log of (1−v)^{−(γ−1)}, ≥ 0
	if !(maxE <= psiScaledMaxE) {
		for i, vi := range v {
			if vi == 0 {
				dst[i] = 0
				continue
			}
			dst[i] = vi / g(vi, gamma) * math.Exp(p*(lMax-math.Log1p(-vi))+psiScaleUp*math.Ln2)
		}
		return
	}
	nMax := int(math.Floor(maxE/math.Ln2 + 0.5))
	for i, vi := range v {
		if vi == 0 {
			dst[i] = 0
			continue
		}
		e := -p * math.Log1p(-vi)
		n := int(math.Floor(e/math.Ln2 + 0.5))
		fn := float64(n)
		r := (e - fn*ln2Hi) - fn*ln2Lo
		dst[i] = math.Ldexp(vi/g(vi, gamma)*math.Exp(r), n-nMax+psiScaleUp)
	}
}

// psiScaledMaxE bounds the exponents psiScaled splits as 2^n·e^r: n stays
// far inside an int (and n − nMax cannot overflow).
const psiScaledMaxE = 0x1p52

// normalize divides x by its compensated (Neumaier) sum and returns x; a
// zero sum gives all NaN.
func normalize(x []float64) []float64 {
	var sum neumaier
	for _, xi := range x {
		sum = sum.add(xi)
	}
	return scaleBy(x, sum.total())
}

// scaleBy divides x by s and returns x; s = 0 or NaN gives all NaN. It
// multiplies by 1/s rather than dividing by s (one division instead of
// len(x)); each x_i·fl(1/s) is within an ulp of the correctly rounded x_i/s.
func scaleBy(x []float64, s float64) []float64 {
	if s == 0 || math.IsNaN(s) {
		return fillNaN(x)
	}
	inv := 1 / s
	if math.IsInf(inv, 0) {
		// s < 1/MaxFloat64 (a subnormal sum): 1/s overflows, so divide.
		for i := range x {
			x[i] /= s
		}
		return x
	}
	for i := range x {
		x[i] *= inv
	}
	return x
}

// sum4 is a compensated sum in four lanes, the order in which the vector
// kernel of psiRowFast adds (psi_amd64.s): term j goes to lane j mod 4,
// where a TwoSum adds the exact rounding error of each addition to the
// lane's c (the error Neumaier's sum forms with a comparison); total
// combines the lanes the same way, in a tree. Its error is that of
// neumaier, about an ulp of the total for terms of one sign.
type sum4 struct{ s, c [4]float64 }

// add adds term j, h, to lane j mod 4.
func (a *sum4) add(j int, h float64) {
	l := j & 3
	s := a.s[l]
	t := s + h
	bp := t - s
	a.c[l] += (s - (t - bp)) + (h - bp)
	a.s[l] = t
}

// total returns the sum of the lanes: TwoSum of lanes 0 and 1 and of lanes
// 2 and 3, then of those two, the compensations added along.
func (a *sum4) total() float64 {
	s01, e01 := twoSum(a.s[0], a.s[1])
	s23, e23 := twoSum(a.s[2], a.s[3])
	c01 := (a.c[0] + a.c[1]) + e01
	c23 := (a.c[2] + a.c[3]) + e23
	s, e := twoSum(s01, s23)
	return s + ((c01 + c23) + e)
}

// twoSum returns a + b rounded and its exact rounding error (Knuth's
// TwoSum, no branch).
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bp := s - a
	return s, (a - (s - bp)) + (b - bp)
}

// neumaier is a compensated (Neumaier) running sum.
type neumaier struct{ s, c float64 }

// add returns the sum with x added (a value method, so that a sum in a loop
// stays in registers).
func (a neumaier) add(x float64) neumaier {
	t := a.s + x
	if math.Abs(a.s) >= math.Abs(x) {
		a.c += (a.s - t) + x
	} else {
		a.c += (x - t) + a.s
	}
	return neumaier{t, a.c}
}

func (a neumaier) total() float64 { return a.s + a.c }

func fillNaN(x []float64) []float64 {
	nan := math.NaN()
	for i := range x {
		x[i] = nan
	}
	return x
}
