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
// Method: for γ ≤ 17, where no h^γ(v_i) can overflow, h^γ(v_i) is formed
// directly (for integer γ ≤ 9 with the power (1−v)^{γ−1} by binary
// powering, so that log v is the only logarithm; at other γ as
// exp((γ−1)·log1p(−v)) with both steps carried beyond float64, so that the
// power adds about an ulp) and the terms are divided by their compensated
// sum. For larger γ the big factor (1−v_i)^{−(γ−1)} = exp(E_i)
// is split as 2^{n_i} exp(r_i) with |r_i| ≤ ln2/2 and every term is scaled
// by the same exact power of two 2^{−max n}, so Ψ^γ never overflows, for any
// γ, and small components lose no accuracy to the scaling.
//
// Accuracy (measured against package hiprec, docs/numerics.md): a relative
// error of a few ulps in every component ≥ 1e-300, for every v where
// γ ≤ 17 and, for larger γ, wherever γ·|log(1−v_i)| ≤ 10 for all i; beyond
// that it grows like γ·|log(1−v_i)| ulps, the float64 logarithm's error
// amplified by the exponent.
//
// Special cases are:
//
//	Psi(dst, v, γ) is all NaN if γ is NaN, negative or +Inf, or any v_i is NaN or outside [0, 1], or every v_i is 0
//	Psi(dst, v, γ) for γ > 0 and some v_i = 1: uniform on {i : v_i = 1}, 0 elsewhere (so Ψ(e_y) = e_y)
//	Psi(dst, v, 0) = v / Σ v
//
// Psi panics if len(dst) != len(v). dst may alias v.
func Psi(dst, v []float64, gamma float64) []float64 {
	if len(dst) != len(v) {
		panic("theory: length mismatch")
	}
	if n, ok := psiKernelGamma(gamma); ok && psiByKernel(dst, v, n, gamma) {
		return dst // the common case; the kernels take no row of the cases below
	}
	return psiGeneral(dst, v, gamma)
}

// PsiRows writes Ψ^γ of each row of the row-major matrix v (rows of k
// entries) into dst and returns dst: Psi applied row by row, bit for bit,
// with the same special cases per row.
//
// PsiRows panics if k < 1, len(v) is not a multiple of k, or
// len(dst) != len(v). dst may alias v only if it is v itself (the same
// slice): each entry is read before it is written.
func PsiRows(dst, v []float64, k int, gamma float64) []float64 {
	if k < 1 || len(v)%k != 0 || len(dst) != len(v) {
		panic("theory: PsiRows shape mismatch")
	}
	n, kernel := psiKernelGamma(gamma)
	rowsKernel := kernel && n == psiExpPow && haveArchKernels && k <= psiRowsMaxK
	for lo := 0; lo < len(v); lo += k {
		if rowsKernel {
			// Short rows at any γ of the direct path: many rows per call,
			// up to a row the kernel refuses, which goes on below.
			if lo += k * archPsiRowsExp(dst[lo:], v[lo:], k, gamma); lo == len(v) {
				break
			}
		}
		out, row := dst[lo:lo+k:lo+k], v[lo:lo+k:lo+k]
		if !kernel || !psiByKernel(out, row, n, gamma) {
			psiGeneral(out, row, gamma)
		}
	}
	return dst
}

// psiRowsMaxK is the longest row PsiRows gives to archPsiRowsExp (which
// takes psiRowsChunk/k rows at a time, at least 2); longer rows waste
// little of a vector on their end and go one by one.
const psiRowsMaxK = 32

// psiGeneral is Psi without the kernels: its special cases, then h^γ formed
// directly (γ ≤ psiDirectMaxGamma) or scaled. The kernels give its results
// bit for bit on the rows they take.
func psiGeneral(dst, v []float64, gamma float64) []float64 {
	switch psiCaseOf(v, gamma) {
	case psiCaseNaN:
		return fillNaN(dst)
	case psiCaseOnes:
		return normalize(indicatorOfOnes(dst, v)) // 1/#ones exactly
	case psiCaseIdentity:
		copy(dst, v)
		return normalize(dst)
	case psiCaseDirect:
		return scaleBy(dst, hTerms(dst, v, gamma))
	default:
		hTermsScaled(dst, v, gamma)
		return normalize(dst)
	}
}

// psiCase is the case of Psi's "Special cases are:" block, or the method of
// its general code, that (v, γ) falls in.
type psiCase int

const (
	psiCaseNaN      psiCase = iota // γ or some v_i invalid, or every v_i 0: all NaN
	psiCaseOnes                    // γ > 0 and some v_i = 1: uniform on those
	psiCaseIdentity                // γ = 0: v normalized
	psiCaseDirect                  // 0 < γ ≤ psiDirectMaxGamma: hTerms
	psiCaseScaled                  // γ > psiDirectMaxGamma: hTermsScaled
)

// psiCaseOf returns the case of (v, γ), reading every v_i once; Psi and
// PsiBalanced both dispatch on it.
func psiCaseOf(v []float64, gamma float64) psiCase {
	if !validGamma(gamma) {
		return psiCaseNaN
	}
	ones, zeros := 0, 0
	for _, x := range v {
		switch {
		case !validProb(x):
			return psiCaseNaN
		case x == 1:
			ones++
		case x == 0:
			zeros++
		}
	}
	switch {
	case zeros == len(v):
		return psiCaseNaN
	case ones > 0 && gamma > 0:
		return psiCaseOnes
	case gamma == 0:
		return psiCaseIdentity
	case gamma <= psiDirectMaxGamma:
		return psiCaseDirect
	}
	return psiCaseScaled
}

// indicatorOfOnes writes 1 where v_i = 1 and 0 elsewhere into dst and
// returns dst (dst may alias v).
func indicatorOfOnes(dst, v []float64) []float64 {
	for i, x := range v {
		if x == 1 {
			dst[i] = 1
		} else {
			dst[i] = 0
		}
	}
	return dst
}

// psiByKernel writes Ψ^γ(v) into dst with a kernel, the assembly one where
// the CPU has it (haveArchKernels) and the portable one otherwise, for γ−1 =
// n in [0, maxIntPow]. It reports false if v is empty, not in the kernels'
// domain (psiKernelDomain) or too long for the portable kernel in place;
// v is then as it was, dst (if it is not v) garbage.
func psiByKernel(dst, v []float64, n int, gamma float64) bool {
	switch {
	case len(v) == 0:
		return false
	case haveArchKernels && &dst[0] != &v[0]:
		return archPsiKernel(dst, v, nil, n, gamma)
	case haveArchKernels:
		// The assembly writes dst before it has seen the whole row: check
		// the row first.
		return psiKernelDomain(v) && archPsiKernel(dst, v, nil, n, gamma)
	case &dst[0] != &v[0]:
		// dst holds the logarithms until the terms replace them.
		return psiKernel(dst, v, dst, n, gamma)
	default:
		return psiKernelInPlace(v, n, gamma)
	}
}

// psiKernelInPlace is psiKernel on row in place, with the logarithms on the
// stack: rows longer than psiInPlaceMaxK are left to the general code.
func psiKernelInPlace(row []float64, n int, gamma float64) bool {
	if len(row) > psiInPlaceMaxK {
		return false
	}
	var lv [psiInPlaceMaxK]float64
	return psiKernel(row, row, lv[:len(row)], n, gamma)
}

// psiInPlaceMaxK is the longest row the portable kernel transforms in place
// (it then needs a buffer on the stack for the logarithms).
const psiInPlaceMaxK = 32

// psiDirectMaxGamma is the largest γ for which Psi forms h^γ directly: on
// [0, 1−2^−53], h^γ(v) ≤ 2^{53γ}/(1+γ) < 2^{897} (at v = 1−2^−53, where
// φ^γ(v) ≈ (1+γ)·2^{−53γ}), so a sum of up to 2^{100} terms cannot overflow.
const psiDirectMaxGamma = 17

// hChunk is the number of logarithms hTerms takes in one pass before using
// them (a pass of independent Log calls runs at Log's throughput).
const hChunk = 32

// hTerms writes h^γ(v_i) into dst for 0 < γ ≤ psiDirectMaxGamma and v_i in
// [0, 1) and returns their compensated sum (sum4, the order of the kernels),
// formed in the same pass. The power (1−v)^{γ−1} is formed by binary
// powering where γ − 1 is an integer in [0, maxIntPow], and by pow1mExp
// at every other γ. It takes the logarithms of a chunk of v in one pass
// (logSlice) before using them, so that independent logarithms overlap
// instead of each waiting for the division that consumed the previous one.
// dst may alias v.
func hTerms(dst, v []float64, gamma float64) float64 {
	var sum sum4
	p := gamma - 1
	n, intPow := 0, p == math.Trunc(p) && math.Abs(p) <= maxIntPow
	if intPow {
		n = int(p)
	}
	var lv [hChunk]float64
	for lo := 0; lo < len(v); lo += hChunk {
		vc := v[lo:min(lo+hChunk, len(v))]
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
				pw = pow1mExp(vj, p)
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

// psiScaleUp: hTermsScaled scales the largest term to about 2^psiScaleUp
// rather than 1, so that a term whose Ψ component is as small as 1e-320 is
// still a normal number before the final division (which then rounds it
// once); the sum stays below K·2^{psiScaleUp+61}, far from overflow.
const psiScaleUp = 500

// hTermsScaled writes h^γ(v_i)·2^{−N} into dst for γ > psiDirectMaxGamma
// and v_i in [0, 1), with N chosen so that the largest term is near
// 2^psiScaleUp. Each v_i is read before dst[i] is written, so dst may alias
// v: the largest exponent E = −(γ−1) log1p(−v) is that of the largest v_i,
// as E increases with v. Where E does not fit the integer exponents
// (psiScaledMaxE: γ beyond about 10^14), the terms are scaled by the
// difference of the logarithms instead, exp((γ−1)(log1p(−max v) −
// log1p(−v_i))) ≤ 1, which cannot overflow either.
func hTermsScaled(dst, v []float64, gamma float64) {
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

// psiScaledMaxE bounds the exponents hTermsScaled splits as 2^n·e^r: n
// stays far inside an int (and n − nMax cannot overflow).
const psiScaledMaxE = 0x1p52
