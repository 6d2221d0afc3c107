package theory

import "math"

// PsiBalanced writes into dst the class posterior recovered from a minimizer
// v of the α-balanced focal risk and returns dst:
//
//	W_α(q; η) = −Σ_y α_y η_y (1−q_y)^γ log q_y,
//	η_y = (h^γ(v_y)/α_y) / Σ_l h^γ(v_l)/α_l          (h^γ of Eq. 13).
//
// It is the recovery transform for a model trained with per-class weights
// α_y > 0 multiplying each class's focal loss term; with all α_y equal it is
// Ψ^γ (Psi), since a common factor of the weights cancels.
//
// Derivation. d/dq[−(1−q)^γ log q] = γ(1−q)^{γ−1} log q − (1−q)^γ/q =
// −φ^γ(q)/q = −1/h^γ(q), so the KKT conditions of min_q W_α(q; η) on the
// simplex are α_y η_y / h^γ(q_y) = λ for every y with η_y > 0 (and q_y = 0
// where η_y = 0). Hence η_y ∝ h^γ(q_y)/α_y. Equivalently, W_α(q; η) =
// c·W(q; η') with η'_y = α_y η_y / c, c = Σ_l α_l η_l, so the minimizer is
// q^{γ,*}(η') = (Ψ^γ)^{−1}(η') (Thm 11) and η_y ∝ Ψ_y^γ(q)/α_y.
//
// Unlike Ψ^γ (Prop 12), PsiBalanced changes the argmax when the α_y are not
// all equal: a model trained with weights predicts argmax_y α_y η_y, and the
// recovered posterior restores argmax_y η_y, the Bayes-optimal class.
//
// Method: the terms h^γ(v_y) of Psi (formed directly for γ ≤ 17, scaled by a
// common power of two beyond), each divided by α_y before the compensated
// normalization, so the accuracy is that of Psi plus an ulp.
//
// Special cases are:
//
//	PsiBalanced(dst, v, α, γ) is all NaN if γ is NaN, negative or +Inf, any v_i is NaN or outside [0, 1], every v_i is 0, or any α_i is NaN, ±Inf or ≤ 0
//	PsiBalanced(dst, v, α, γ) for γ > 0 and some v_i = 1: proportional to 1/α_i on {i : v_i = 1}, 0 elsewhere (so it maps e_y to e_y)
//	PsiBalanced(dst, v, α, 0) ∝ v_i/α_i
//
// PsiBalanced panics if len(dst) != len(v) or len(alpha) != len(v). dst may
// alias v.
func PsiBalanced(dst, v, alpha []float64, gamma float64) []float64 {
	if len(dst) != len(v) || len(alpha) != len(v) {
		panic("theory: length mismatch")
	}
	for _, a := range alpha {
		if !validWeight(a) {
			return fillNaN(dst)
		}
	}
	switch psiCaseOf(v, gamma) {
	case psiCaseNaN:
		return fillNaN(dst)
	case psiCaseOnes: // 1/α_i on {i : v_i = 1} once divided below
		indicatorOfOnes(dst, v)
	case psiCaseIdentity:
		copy(dst, v)
	case psiCaseDirect:
		hTerms(dst, v, gamma)
	default:
		hTermsScaled(dst, v, gamma)
	}
	for i := range dst {
		dst[i] /= alpha[i]
	}
	return normalize(dst)
}

// validWeight reports whether a is a class weight: finite and positive.
func validWeight(a float64) bool {
	return a > 0 && !math.IsInf(a, 1)
}

// RiskBalanced returns the α-balanced pointwise risk
//
//	W_α(q; η) = −Σ_y α_y η_y (1−q_y)^γ log q_y
//
// of a score vector q under the class posterior η with class weights α. A
// term with η_y = 0 contributes 0 even where q_y = 0.
//
// Special cases are:
//
//	RiskBalanced(q, η, α, γ) = NaN if Risk(q, η, γ) is NaN or any α_i is NaN, ±Inf or ≤ 0
//	RiskBalanced(q, η, α, γ) = +Inf if q_i = 0 for some i with η_i > 0
//
// RiskBalanced panics if the lengths of q, eta and alpha differ.
func RiskBalanced(q, eta, alpha []float64, gamma float64) float64 {
	if len(q) != len(eta) || len(alpha) != len(eta) {
		panic("theory: length mismatch")
	}
	if !validGamma(gamma) {
		return math.NaN()
	}
	var sum float64
	for i, e := range eta {
		qi := q[i]
		if !validProb(e) || !validProb(qi) || !validWeight(alpha[i]) {
			return math.NaN()
		}
		if e == 0 {
			continue
		}
		sum += alpha[i] * e * LossTerm(qi, gamma)
	}
	return sum
}
