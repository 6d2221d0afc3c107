package theory

import "math"

// Phi returns φ^γ(v) of Eq. 10,
//
//	φ^γ(v) = (1−v)^γ − γ (1−v)^{γ−1} v log v,
//
// the function whose maximum τ_oc^γ and level set {φ^γ = 1} ∋ τ_uc^γ
// separate over- from under-confident focal risk minimizers (Thm 8).
//
// Method: the factored form (1−v)^{γ−1} · g(v) with g(v) = (1−v) − γ v log v.
// On (0, 1) both terms of g are positive, so g has no cancellation; the
// power is computed by Pow1m. Accuracy (measured against package hiprec,
// docs/numerics.md): a few ulps wherever γ·|log(1−v)| ≤ 10; beyond that the
// relative error grows like γ·|log(1−v)| ulps, the float64 logarithm's error
// amplified by the exponent.
//
// Special cases are:
//
//	Phi(v, γ) = NaN if v or γ is NaN, v < 0, v > 1, γ < 0 or γ = +Inf
//	Phi(v, 0) = 1
//	Phi(0, γ) = 1
//	Phi(1, γ) = 0 for γ > 0
func Phi(v, gamma float64) float64 {
	switch {
	case !validGamma(gamma) || !validProb(v):
		return math.NaN()
	case gamma == 0 || v == 0:
		return 1
	case v == 1:
		return 0
	}
	return Pow1m(v, gamma-1) * g(v, gamma)
}

// PhiDeriv returns the derivative dφ^γ/dv of Eq. 10,
//
//	φ'(v) = γ (1−v)^{γ−2} [ (γ−1) v log v − (1−v)(log v + 2) ],
//
// whose only zero in (0, 1/2) is τ_oc^γ. The bracket cancels at τ_oc^γ by
// construction; elsewhere the relative error is a few ulps.
//
// Special cases are:
//
//	PhiDeriv(v, γ) = NaN if v or γ is NaN, v < 0, v > 1, γ < 0 or γ = +Inf
//	PhiDeriv(v, 0) = 0
//	PhiDeriv(0, γ) = +Inf for γ > 0
//	PhiDeriv(1, γ) = −Inf for 0 < γ < 1
//	PhiDeriv(1, 1) = −2
//	PhiDeriv(1, γ) = 0 for γ > 1
func PhiDeriv(v, gamma float64) float64 {
	switch {
	case !validGamma(gamma) || !validProb(v):
		return math.NaN()
	case gamma == 0:
		return 0
	case v == 0:
		return math.Inf(1)
	case v == 1:
		switch {
		case gamma < 1:
			return math.Inf(-1)
		case gamma == 1:
			return -2
		}
		return 0
	}
	return gamma * Pow1m(v, gamma-2) * phiBracket(v, gamma)
}

// phiBracket returns b(v) = (γ−1) v log v − (1−v)(log v + 2), the factor of
// φ' that changes sign at τ_oc: b > 0 on (0, τ_oc) and b < 0 on (τ_oc, 1/2].
func phiBracket(v, gamma float64) float64 {
	lv := Log(v)
	return (gamma-1)*v*lv - (1-v)*(lv+2)
}

// g returns (1−v) − γ v log v for v in [0, 1]: φ^γ(v) = (1−v)^{γ−1} g(v).
// Both terms are non-negative on [0, 1], so the sum has no cancellation.
func g(v, gamma float64) float64 {
	if v == 0 {
		return 1
	}
	return (1 - v) - gamma*v*Log(v)
}

// validProb reports whether v is in [0, 1].
func validProb(v float64) bool {
	return v >= 0 && v <= 1
}

// H returns h^γ(v) of Eq. 13,
//
//	h^γ(v) = v / φ^γ(v),
//
// the unnormalized component of Ψ^γ. h^γ is strictly increasing on [0, 1]
// and grows like (1−v)^{−γ} near 1, so for large γ it overflows to +Inf for v
// close to 1 (for γ = 100 already at v ≈ 0.9995); use LogH there. Accuracy:
// that of Phi plus half an ulp.
//
// Special cases are:
//
//	H(v, γ) = NaN if v or γ is NaN, v < 0, v > 1, γ < 0 or γ = +Inf
//	H(v, 0) = v
//	H(0, γ) = 0
//	H(1, γ) = +Inf for γ > 0
func H(v, gamma float64) float64 {
	switch {
	case !validGamma(gamma) || !validProb(v):
		return math.NaN()
	case gamma == 0 || v == 0:
		return v
	case v == 1:
		return math.Inf(1)
	}
	return v / (Pow1m(v, gamma-1) * g(v, gamma))
}

// LogH returns log h^γ(v) (Eq. 13) without forming h, so that it is finite
// for every v in (0, 1) and every γ:
//
//	log h^γ(v) = log v − log φ^γ(v),
//	log φ^γ(v) = γ log1p(−v) + log1p(−γ v log v / (1−v)).
//
// This split of log φ keeps each term small where the textbook form
// (γ−1) log(1−v) + log g(v) cancels two large ones (v near 1, small γ).
// Accuracy: an absolute error of a few ulps of max(|log v|, γ|log(1−v)|, 1);
// the relative error is therefore a few ulps except near the single zero of
// log h^γ in (0, 1), where log v and log φ^γ cancel (docs/numerics.md).
//
// Special cases are:
//
//	LogH(v, γ) = NaN if v or γ is NaN, v < 0, v > 1, γ < 0 or γ = +Inf
//	LogH(v, 0) = log v
//	LogH(0, γ) = −Inf
//	LogH(1, γ) = +Inf for γ > 0
func LogH(v, gamma float64) float64 {
	switch {
	case !validGamma(gamma) || !validProb(v):
		return math.NaN()
	case gamma == 0 || v == 0:
		return Log(v)
	case v == 1:
		return math.Inf(1)
	}
	lv := Log(v)
	return lv - (gamma*math.Log1p(-v) + math.Log1p(-gamma*v*lv/(1-v)))
}

// LogHDeriv returns the derivative d log h^γ(v)/dv,
//
//	1/v + (γ−1)/(1−v) + (1 + γ(1 + log v)) / g(v),
//
// which is positive on (0, 1) for every γ ≥ 0: h^γ is strictly increasing
// (the fact behind Prop. 12). Relative error: a few ulps, except where the
// terms cancel (none do for γ ≥ 1).
//
// Special cases are:
//
//	LogHDeriv(v, γ) = NaN if v or γ is NaN, v < 0, v > 1, γ < 0 or γ = +Inf
//	LogHDeriv(0, γ) = +Inf
//	LogHDeriv(1, γ) = +Inf for γ > 0
//	LogHDeriv(1, 0) = 1
func LogHDeriv(v, gamma float64) float64 {
	switch {
	case !validGamma(gamma) || !validProb(v):
		return math.NaN()
	case v == 0:
		return math.Inf(1)
	case gamma == 0:
		return 1 / v
	case v == 1:
		return math.Inf(1)
	}
	lv := Log(v)
	return 1/v + (gamma-1)/(1-v) + (1+gamma*(1+lv))/((1-v)-gamma*v*lv)
}
