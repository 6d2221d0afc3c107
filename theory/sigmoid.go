package theory

import "math"

// Sigmoid (one-vs-rest) focal loss, as RetinaNet, torchvision's
// sigmoid_focal_loss and mmdetection use it: for each class separately, a
// binary focal loss on the sigmoid output p = σ(z),
//
//	ℓ(p, y) = −α_t (1−p_t)^γ log p_t,   p_t = p if y = 1 else 1−p,
//	                                     α_t = α if y = 1 else 1−α,
//
// with no weighting (α_t = 1) when α < 0 (torchvision's convention; the
// defaults there are α = 0.25, γ = 2). Its pointwise risk at P(y=1|x) = η is
//
//	r(p; η) = −η α (1−p)^γ log p − (1−η)(1−α) p^γ log(1−p).
//
// Derivation of the recovery. As for the softmax loss, d/dp[−(1−p)^γ log p]
// = −φ^γ(p)/p = −1/h^γ(p), and by the substitution p → 1−p,
// d/dp[−p^γ log(1−p)] = +1/h^γ(1−p). So
//
//	r'(p) = −η α / h^γ(p) + (1−η)(1−α) / h^γ(1−p).
//
// Both terms increase strictly in p (h^γ is increasing, Prop 12), so r has
// exactly one stationary point in (0, 1), its minimizer p*, where
//
//	η / (1−η) = ((1−α)/α) · h^γ(p*) / h^γ(1−p*),
//
// that is η = Ψ_1^γ-balanced of the pair (p*, 1−p*) with weights (α, 1−α):
// the binary case of PsiBalanced. In logit form, with c = 1−p,
//
//	logit η = γ log(p/c) + log(p − γ c log c) − log(c − γ p log p) + log((1−α)/α),
//
// where both arguments p − γ c log c and c − γ p log p are sums of two
// non-negative terms, so the formula has no cancellation.

// SigmoidRisk returns the binary pointwise risk r(p; η) of the sigmoid focal
// loss with weight α on positives and 1−α on negatives (no weighting for
// α < 0):
//
//	r(p; η) = η α₊ LossTerm(p, γ) + (1−η) α₋ LossTerm(1−p, γ),
//
// with (α₊, α₋) = (α, 1−α), or (1, 1) for α < 0. A term whose weight is 0
// contributes 0 even where its loss is infinite.
//
// Special cases are:
//
//	SigmoidRisk(p, η, α, γ) = NaN if any argument is NaN, p or η is outside [0, 1], α > 1, or γ < 0 or γ = +Inf
//	SigmoidRisk(0, η, α, γ) = +Inf if η α₊ > 0
//	SigmoidRisk(1, η, α, γ) = +Inf if (1−η) α₋ > 0
func SigmoidRisk(p, eta, alpha, gamma float64) float64 {
	ap, an, ok := sigmoidWeights(alpha)
	if !ok || !validGamma(gamma) || !validProb(p) || !validProb(eta) {
		return math.NaN()
	}
	var r float64
	if w := eta * ap; w > 0 {
		r += w * LossTerm(p, gamma)
	}
	if w := (1 - eta) * an; w > 0 {
		r += w * LossTerm(1-p, gamma)
	}
	return r
}

// sigmoidWeights returns the weights (α₊, α₋) of positives and negatives:
// (α, 1−α) for α in [0, 1], (1, 1) for α < 0; ok is false for NaN or α > 1.
func sigmoidWeights(alpha float64) (ap, an float64, ok bool) {
	switch {
	case math.IsNaN(alpha) || alpha > 1:
		return 0, 0, false
	case alpha < 0:
		return 1, 1, true
	}
	return alpha, 1 - alpha, true
}

// sigmoidLogWeight returns log((1−α)/α), the shift that α adds to logit η,
// 0 for α < 0, and ok = false where the posterior is not identifiable (α is
// NaN, 0, 1 or above 1: one class carries no weight).
func sigmoidLogWeight(alpha float64) (float64, bool) {
	switch {
	case alpha < 0:
		return 0, true
	case alpha > 0 && alpha < 1:
		return math.Log1p(-alpha) - math.Log(alpha), true
	}
	return 0, false
}

// SigmoidPosterior returns P(y=1|x) = η recovered from the output p = σ(z)
// of a model trained with the sigmoid focal loss (see SigmoidRisk), that is
// the η whose risk r(·; η) is minimized at p:
//
//	η = (1−α) h^γ(p) / ((1−α) h^γ(p) + α h^γ(1−p))     (α < 0: drop the weights).
//
// With γ = 0 and no weighting it is the identity. For an output given as a
// logit, SigmoidPosteriorLogit keeps full accuracy where p rounds to 1.
//
// Method: logit η by the cancellation-free formula of the derivation above
// (log(1−p) as log1p(−p)), then η = σ(logit η). Accuracy: an absolute
// error of a few ulps of max(1, |logit η|) in logit η, so a relative error
// of about (1 + |logit η|) ulps in η ≤ 1/2, and an absolute error of an ulp
// of 1 in η near 1, where η itself cannot carry more.
//
// Special cases are:
//
//	SigmoidPosterior(p, α, γ) = NaN if p, α or γ is NaN, p is outside [0, 1], α is 0 or 1 or above 1, or γ < 0 or γ = +Inf
//	SigmoidPosterior(0, α, γ) = 0
//	SigmoidPosterior(1, α, γ) = 1
//	SigmoidPosterior(p, α, 0) = p for α < 0
func SigmoidPosterior(p, alpha, gamma float64) float64 {
	lw, ok := sigmoidLogWeight(alpha)
	switch {
	case !ok || !validGamma(gamma) || !validProb(p):
		return math.NaN()
	case p == 0 || p == 1:
		return p
	case gamma == 0 && alpha < 0:
		return p
	}
	c := 1 - p
	lp, lc := Log(p), math.Log1p(-p)
	l := gamma*(lp-lc) + Log(p-gamma*c*lc) - Log(c-gamma*p*lp) + lw
	return Sigmoid(l)
}

// SigmoidPosteriorLogit returns logit η = log(η/(1−η)) of the posterior
// recovered (see SigmoidPosterior) from a model output given as a logit z,
// p = σ(z). Working in logits keeps full relative accuracy in both η and
// 1−η for any z, including |z| > 37 where σ(z) rounds to 1.
//
// Method: for z ≥ 0 with t = e^{−z}, p = 1/(1+t), 1−p = t p, log p =
// −log1p(t), and c − γ p log p = p t (1 + γ log1p(t)/t), so
//
//	logit η = (1+γ) z + log(p + γ(1−p)(z + log1p(t))) + log1p(t) − log1p(γ log1p(t)/t) + log((1−α)/α),
//
// a sum of terms without cancellation that neither overflows nor underflows
// for any finite z (as z → ∞, logit η = (1+γ) z − log(1+γ) + o(1)). For
// z < 0 the unweighted part is odd in z. Accuracy: a few ulps of
// max(|logit η|, 1) absolute.
//
// Special cases are:
//
//	SigmoidPosteriorLogit(z, α, γ) = NaN if z, α or γ is NaN, α is 0 or 1 or above 1, or γ < 0 or γ = +Inf
//	SigmoidPosteriorLogit(±Inf, α, γ) = ±Inf
//	SigmoidPosteriorLogit(z, α, 0) = z for α < 0
func SigmoidPosteriorLogit(z, alpha, gamma float64) float64 {
	lw, ok := sigmoidLogWeight(alpha)
	switch {
	case !ok || !validGamma(gamma) || math.IsNaN(z):
		return math.NaN()
	case math.IsInf(z, 0):
		return z
	case gamma == 0:
		return z + lw
	}
	if z < 0 {
		return -sigmoidOddLogit(-z, gamma) + lw
	}
	return sigmoidOddLogit(z, gamma) + lw
}

// sigmoidOddLogit returns the unweighted logit η for a logit z ≥ 0 (see
// SigmoidPosteriorLogit).
func sigmoidOddLogit(z, gamma float64) float64 {
	t := math.Exp(-z)
	l1t := math.Log1p(t)
	p := 1 / (1 + t)
	c := t * p
	ratio := 1.0 // log1p(t)/t → 1 as t → 0
	if t > 0 {
		ratio = l1t / t
	}
	return (1+gamma)*z + math.Log(p+gamma*c*(z+l1t)) + l1t - math.Log1p(gamma*ratio)
}

// Sigmoid returns the logistic function σ(x) = 1/(1+e^{−x}), computed as
// 1/(1+e^{−x}) for x ≥ 0 and e^x/(1+e^x) for x < 0, so that neither form
// overflows and σ(x) for x → −∞ keeps its relative accuracy.
//
// Special cases are:
//
//	Sigmoid(+Inf) = 1
//	Sigmoid(−Inf) = 0
//	Sigmoid(NaN) = NaN
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
