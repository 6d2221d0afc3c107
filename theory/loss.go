package theory

import "math"

// LossTerm returns the focal loss of a single class score u,
//
//	−(1−u)^γ log u,
//
// the summand of Eq. 5 for a one-hot target.
//
// Special cases are:
//
//	LossTerm(u, γ) = NaN if u or γ is NaN, u < 0, u > 1, γ < 0 or γ = +Inf
//	LossTerm(0, γ) = +Inf
//	LossTerm(1, γ) = 0
func LossTerm(u, gamma float64) float64 {
	switch {
	case !validGamma(gamma) || math.IsNaN(u) || u < 0 || u > 1:
		return math.NaN()
	case u == 0:
		return math.Inf(1)
	case u == 1:
		return 0
	}
	return -Pow1m(u, gamma) * Log(u)
}

// Loss returns the focal loss of Eq. 5,
//
//	ℓ_FL^γ(u, v) = −Σ_i v_i (1−u_i)^γ log u_i,
//
// of a score vector u against a target vector v (a one-hot e_y for a labelled
// example, or a class-posterior vector). With γ = 0 it is the cross-entropy
// (Eq. 6). A term with v_i = 0 contributes 0 even where u_i = 0.
//
// Special cases are:
//
//	Loss(u, v, γ) = NaN if γ is NaN, negative or +Inf, or any u_i or v_i is NaN or outside [0, 1]
//	Loss(u, v, γ) = +Inf if u_i = 0 for some i with v_i > 0
//
// Loss panics if len(u) != len(v).
func Loss(u, v []float64, gamma float64) float64 {
	if len(u) != len(v) {
		panic("theory: length mismatch")
	}
	if !validGamma(gamma) {
		return math.NaN()
	}
	var sum float64
	for i, vi := range v {
		ui := u[i]
		if math.IsNaN(vi) || vi < 0 || vi > 1 || math.IsNaN(ui) || ui < 0 || ui > 1 {
			return math.NaN()
		}
		if vi == 0 {
			continue
		}
		sum += vi * LossTerm(ui, gamma)
	}
	return sum
}

// Risk returns the pointwise conditional risk of Eq. 7,
//
//	W(q; η) = Σ_y η_y ℓ_FL^γ(q, e_y) = −Σ_y η_y (1−q_y)^γ log q_y,
//
// of a score vector q under the class posterior η. It equals Loss(q, eta,
// gamma) and has the same special cases.
//
// Risk panics if len(q) != len(eta).
func Risk(q, eta []float64, gamma float64) float64 {
	return Loss(q, eta, gamma)
}

// validGamma reports whether γ is in the domain [0, +Inf).
func validGamma(gamma float64) bool {
	return gamma >= 0 && !math.IsInf(gamma, 1)
}

// Pow1m returns (1−v)^p for v in [0, 1] and finite p, the power inside
// the focal loss, φ^γ and h^γ, without forming 1−v where that would round
// away accuracy.
//
// Method: for integer |p| ≤ 8, binary powering of w = 1−v. w is exact for
// v ≥ 1/2 (Sterbenz's lemma) and within half an ulp otherwise, and the
// powering rounds |p| − 1 products (and a reciprocal for p < 0), so the
// relative error is below 2|p|·2^−53 to first order, at most 2|p| ulps
// (largest measured against math/big for |p| = 8: 9.8 ulps, 12.1 for
// p = −8). Otherwise exp(p·log1p(−v)), whose relative error is
// about (1 + |p·log(1−v)|) ulps: the float64 logarithm's own error amplified
// by the exponent, which no float64 method avoids; for v ≥ 1/2, where 1−v
// is exact, the integer part of p nearest to it is taken by binary powering
// and only the rest, |p − round(p)|·|log(1−v)|, is amplified.
//
// Special cases (v and p are not checked otherwise) are:
//
//	Pow1m(v, 0) = 1
//	Pow1m(1, p) = 0 for p > 0
//	Pow1m(1, p) = +Inf for p < 0
func Pow1m(v, p float64) float64 {
	if p == 0 {
		return 1
	}
	if v == 1 {
		if p > 0 {
			return 0
		}
		return math.Inf(1)
	}
	if p == math.Trunc(p) && math.Abs(p) <= maxIntPow {
		return powInt(1-v, int(p))
	}
	if v >= 0.5 {
		// w = 1−v is exact here: split p = n + f with n the integer
		// nearest p (|n| ≤ maxIntPow), so that only f·log(1−v) is
		// amplified by the exponential (for γ−1 with small γ, f = γ and
		// the error is γ|log(1−v)| ulps instead of |log(1−v)|).
		n := math.Max(-maxIntPow, math.Min(maxIntPow, math.Round(p)))
		return powInt(1-v, int(n)) * math.Exp((p-n)*math.Log1p(-v))
	}
	return math.Exp(p * math.Log1p(-v))
}

// maxIntPow bounds the integer exponents Pow1m computes by binary powering;
// beyond it the rounding of w = 1−v, amplified |p|/2 times, would exceed the
// error of the exp/log1p form for the v where it matters.
const maxIntPow = 8

// powInt returns w^n by binary powering (powNat, and its reciprocal for
// n < 0).
func powInt(w float64, n int) float64 {
	if n < 0 {
		return 1 / powNat(w, -n)
	}
	return powNat(w, n)
}

// powNat returns w^n for n ≥ 0 by binary powering; short enough to inline
// (the Ψ kernels use it too).
func powNat(w float64, n int) float64 {
	r := 1.0
	for n > 0 {
		if n&1 == 1 {
			r *= w
		}
		w *= w
		n >>= 1
	}
	return r
}
