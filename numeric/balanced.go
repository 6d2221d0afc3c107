package numeric

import (
	"fmt"
	"math"

	"github.com/focaltk/focal/theory"
)

// ExactBalanced returns the minimizer of the α-balanced focal risk
//
//	W_α(q; η) = −Σ_y α_y η_y (1−q_y)^γ log q_y   (theory.RiskBalanced)
//
// over the simplex, with class weights α_y > 0. Since W_α(q; η) = c·W(q; η')
// with η'_y = α_y η_y / c and c = Σ_l α_l η_l, the minimizer is that of the
// unweighted risk at η', computed by Exact; Result.Risk is W_α. It is the
// inverse of theory.PsiBalanced.
//
// It returns an *InputError for invalid η or γ (ValidateEta), or for a
// weight that is NaN, infinite or not positive (Index names it).
func ExactBalanced(eta, alpha []float64, gamma float64) (Result, error) {
	if len(alpha) != len(eta) {
		return Result{}, &InputError{Index: -1, Value: float64(len(alpha)), Reason: fmt.Sprintf("need %d class weights", len(eta))}
	}
	if err := ValidateEta(eta, gamma); err != nil {
		return Result{}, err
	}
	for i, a := range alpha {
		if !(a > 0) || math.IsInf(a, 1) {
			return Result{}, &InputError{Index: i, Value: a, Reason: "class weight must be finite and > 0"}
		}
	}
	etaW := make([]float64, len(eta))
	var c float64
	for i, e := range eta {
		etaW[i] = alpha[i] * e
		c += etaW[i]
	}
	for i := range etaW {
		etaW[i] /= c
	}
	res, err := Exact(etaW, gamma)
	if err != nil {
		return Result{}, err
	}
	res.Risk = theory.RiskBalanced(res.Q, eta, alpha, gamma)
	return res, nil
}

// SigmoidMinimizer returns the minimizer p* in [0, 1] of the binary
// pointwise risk of the sigmoid focal loss (theory.SigmoidRisk),
//
//	r(p; η) = −η α₊ (1−p)^γ log p − (1−η) α₋ p^γ log(1−p),
//
// with (α₊, α₋) = (α, 1−α), or (1, 1) for α < 0. The risk is the two-class
// focal risk W((p, 1−p); η') times c = η α₊ + (1−η) α₋, with η' = (η α₊,
// (1−η) α₋)/c, so p* is the first entry of Exact(η'); it is the inverse of
// theory.SigmoidPosterior.
//
// It returns an *InputError if η is not in [0, 1], γ is not a finite
// number ≥ 0, or α is NaN, 0, 1 or above 1 (one class then carries no
// weight and p* does not depend on η).
func SigmoidMinimizer(eta, alpha, gamma float64) (float64, Status, error) {
	if !(eta >= 0 && eta <= 1) {
		return math.NaN(), Failed, &InputError{Index: 0, Value: eta, Reason: "eta must be in [0, 1]"}
	}
	ap, an := 1.0, 1.0
	switch {
	case alpha < 0:
	case alpha > 0 && alpha < 1:
		ap, an = alpha, 1-alpha
	default:
		return math.NaN(), Failed, &InputError{Index: -1, Value: alpha, Reason: "alpha must be < 0 (no weighting) or in (0, 1)"}
	}
	if math.IsNaN(gamma) || math.IsInf(gamma, 0) || gamma < 0 {
		return math.NaN(), Failed, &InputError{Index: -1, Value: gamma, Reason: "gamma must be a finite number >= 0"}
	}
	wp, wn := eta*ap, (1-eta)*an
	c := wp + wn
	res, err := Exact([]float64{wp / c, wn / c}, gamma)
	if err != nil {
		return math.NaN(), Failed, err
	}
	return res.Q[0], res.Status, nil
}
