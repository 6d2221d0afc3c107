package numeric

// The direct minimizer for any loss of package loss, separable or not: W
// over the open simplex in softmax coordinates q = softmax(z), minimized
// by gonum's BFGS with the analytic gradient where the loss has g′
// (∂W/∂z_i = q_i (G_i − Σ_l q_l G_l), G = ∂W/∂q = loss.Grad) and central
// differences of W otherwise (loss.Grad for General losses). Unlike
// Direct, it does not rescale W or restart near the minimum, so q is
// resolved to about √ε relative in the flat directions of W: it is the
// second method against which LossExact is checked, and the only method
// for non-separable losses (dual-focal, brier).
//
// Where BFGS stops at a point that fails the KKT test (lossKKT), W is
// taken to be non-smooth there (dual-focal's W has a kink wherever the
// largest non-target probabilities tie, and its minimizers sit on such
// ties), and the point is polished by gradient sampling (Burke, Lewis and
// Overton 2005, "A robust gradient sampling algorithm for nonsmooth,
// nonconvex optimization", SIAM J. Optim. 15(3)): at each iterate the
// gradients at random points within a radius ρ, the shortest vector v in
// their convex hull (Wolfe 1976, minNormPoint), a step along −v; when |v|
// is small, ρ shrinks. Its stopping test is the certificate itself: 0 is
// within LossDirectKinkAccept of the hull of the gradients sampled within
// LossDirectKinkRadius of Q, which fails wherever W decreases at a rate
// above that along some direction (the gradients near a non-stationary
// point, smooth or on a kink, stay on one side of a hyperplane).

import (
	"math"

	"gonum.org/v1/gonum/optimize"

	"github.com/focaltk/focal/loss"
)

// LossDirectGradTol is the gradient threshold of LossDirect's BFGS, on the
// softmax-coordinate gradient scaled by W: 1e-10, near the √ε floor of a
// plain evaluation of W.
const LossDirectGradTol = 1e-10

// LossDirectAccept is the KKT residual (see LossDirect) at which a point
// counts as Converged: 1e-7, about the spread that √ε ≈ 1.5e-8 in q
// produces in ∂W/∂q, and above the rounding of the central differences of
// a General loss's gradient on the coordinates it weighs fully (ε|W|/(2^-18
// q_i) over |W|, 3e-8 at q_i = LossDirectResolution).
const LossDirectAccept = 1e-7

// LossDirectResolution is the coordinate below which the KKT residual
// weighs a coordinate's gradient spread by q_i/LossDirectResolution: 1e-3.
// Below it neither BFGS in softmax coordinates (whose gradient is
// q_i·(G_i − Ḡ)) nor the central differences of a General loss (relative
// error ε/(2^-18 q_i)) resolve G_i; weighted, the residual bounds the
// complementarity q_i·(G_i − Ḡ) there, which is what a minimizer on or
// near the simplex's boundary satisfies.
const LossDirectResolution = 1e-3

// LossDirectKinkRadius is the final sampling radius of LossDirect's
// gradient sampling, in softmax coordinates (relative in q): 1e-5. Its
// gradients are central differences with step radius/8 in z, whose
// rounding, ε·8/(radius·LossDirectResolution) ≈ 2e-7 in the scaled
// gradient, must stay below LossDirectKinkAccept.
const LossDirectKinkRadius = 1e-5

// LossDirectKinkAccept is the distance from 0 to the convex hull of the
// scaled gradients sampled within LossDirectKinkRadius at which a
// non-smooth point counts as Converged: 1e-6, five times the rounding of
// those gradients (LossDirectKinkRadius). A point with W differentiable
// there and a gradient spread above it fails the test.
const LossDirectKinkAccept = 1e-6

// lossKinkMaxIter bounds the gradient-sampling iterations (each samples
// 4n+1 gradients, n the number of free coordinates): measured, dual-focal
// at K = 10 needs at most a few hundred.
const lossKinkMaxIter = 2000

// LossDirect returns the minimizer of W(q; η) over the simplex for any
// Separable or General loss, found by BFGS from q = (η + 1/K)/2, then,
// where W is not smooth at BFGS's point, by gradient sampling (see the
// file comment). The coordinates with η_i = 0 of a separable loss without
// r are 0 (they do not enter W); every other coordinate is free.
//
// Residual is the KKT residual
//
//	max_i w_i |G_i − Ḡ| / S,  Ḡ = Σ_i q_i G_i,  S = max(|Ḡ|, max_i |G_i|, |W|),
//	w_i = min(1, q_i/LossDirectResolution) where G_i > Ḡ, 1 where G_i ≤ Ḡ,
//
// over the free coordinates (G = ∂W/∂q; 0 at an interior minimizer, where
// G_i = Ḡ for all i). The scale S stays positive at a minimizer (unlike Ḡ
// alone: the Brier score's gradient 2(q − η) vanishes at q = η), and it is
// the size of the quantities whose rounding limits G. The weight is the
// KKT condition at the simplex's boundary: a small q_i with G_i > Ḡ is
// on its way to 0 (W decreases as mass leaves it), which only the
// complementarity q_i (G_i − Ḡ) measures; G_i < Ḡ says W decreases as
// mass moves to q_i, a violation however small q_i is (the Brier score at
// η = (1 − 1e-4, 1e-5, …) stopped by BFGS at q_i = 5e-12). So a
// Converged Q resolves a coordinate whose minimizer is on the boundary to
// about √(LossDirectAccept·LossDirectResolution·S/c) = 1e-5 for a
// curvature c ≈ S (the Brier score at η_i = 0: q_i up to 1.7e-6 measured),
// and, for a General loss, coordinates so small that the central
// differences of W at step 2^-18 q_i fall below W's rounding (q_i below
// about 1e-5 for the Brier score next to an entry near 1) are not resolved
// beyond their own size. Where the gradient
// sampling ran, Residual is instead the distance from 0 to the convex hull
// of the vectors w_i (G_i − Ḡ)/S sampled within LossDirectKinkRadius of Q
// (for a smooth W the two agree as the radius shrinks).
//
// Status is Converged when that residual is at most LossDirectAccept (or,
// after gradient sampling, LossDirectKinkAccept), whatever stopped the
// iteration; otherwise IterationLimit when maxIter (≤ 0: 2000) BFGS
// iterations or the gradient sampling's budget ran out, and Failed when the
// method broke down. A Converged Q is a local minimizer: BFGS and gradient
// sampling descend from one start.
func LossDirect(eta []float64, l *loss.Loss, maxIter int) (Result, error) {
	return LossDirectWith(eta, l, LossDirectOptions{MaxIter: maxIter})
}

// LossDirectOptions are LossDirectWith's settings.
type LossDirectOptions struct {
	// MaxIter bounds BFGS's iterations (≤ 0: 2000).
	MaxIter int
	// NoKinkPolish skips the gradient sampling: a point that fails the KKT
	// test after BFGS is returned with Status Failed (or IterationLimit)
	// instead of being polished. The polish costs about 40 ms at K = 10
	// on dual-focal (a few hundred iterations of 4n+1 sampled gradients by
	// central differences), 10^3 times a BFGS run; a search that counts
	// such points as unsolved sets it.
	NoKinkPolish bool
}

// LossDirectWith is LossDirect with options.
func LossDirectWith(eta []float64, l *loss.Loss, opt LossDirectOptions) (Result, error) {
	maxIter := opt.MaxIter
	if err := ValidateEta(eta, 0); err != nil {
		return Result{}, err
	}
	if err := l.Validate(len(eta)); err != nil {
		return Result{}, err
	}
	if l.Kind == loss.Sigmoid {
		return Result{}, &InputError{Index: -1, Value: math.NaN(), Reason: "loss " + l.String() + " is a per-label sigmoid loss: it has no simplex minimizer"}
	}
	if maxIter <= 0 {
		maxIter = 2000
	}
	k := len(eta)
	var free []int
	for i, e := range eta {
		if e > 0 || l.Kind == loss.General || l.R != nil {
			free = append(free, i)
		}
	}
	q := make([]float64, k)
	if len(free) == 1 {
		q[free[0]] = 1
		return Result{Q: q, Risk: l.Risk(q, eta), Status: Converged}, nil
	}
	if r, ok := vertexMinimum(eta, l); ok {
		return r, nil
	}
	z0 := make([]float64, len(free))
	for j, i := range free {
		z0[j] = math.Log((eta[i] + 1/float64(k)) / 2)
	}
	fill := func(z []float64) { softmaxInto(q, z, free) }
	var g []float64
	grad := func(dst, z []float64) {
		fill(z)
		g = l.Grad(g, q, eta)
		var bar float64
		for _, i := range free {
			bar += q[i] * g[i]
		}
		w := math.Abs(l.Risk(q, eta))
		if w == 0 {
			w = 1
		}
		for j, i := range free {
			dst[j] = q[i] * (g[i] - bar) / w
		}
	}
	prob := optimize.Problem{
		Func: func(z []float64) float64 {
			fill(z)
			return l.Risk(q, eta)
		},
		Grad: grad,
	}
	settings := &optimize.Settings{
		MajorIterations:   maxIter,
		GradientThreshold: LossDirectGradTol,
		Converger:         &optimize.FunctionConverge{Absolute: 0, Relative: 0, Iterations: 50},
	}
	res, err := optimize.Minimize(prob, z0, settings, &optimize.BFGS{})
	status := Failed
	iters := 0
	z := z0
	if res != nil {
		z = res.X
		iters = res.Stats.MajorIterations
		if res.Status == optimize.IterationLimit {
			status = IterationLimit
		}
	}
	_ = err // the residual decides; err only says why BFGS stopped
	fill(z)
	out := append([]float64(nil), q...)
	resid := lossKKT(l, out, eta, free)
	if resid <= LossDirectAccept {
		return Result{Q: out, Risk: l.Risk(out, eta), Iterations: iters, Status: Converged, Residual: resid}, nil
	}
	if opt.NoKinkPolish {
		return Result{Q: out, Risk: l.Risk(out, eta), Iterations: iters, Status: status, Residual: resid}, nil
	}
	ks := kinkSampler{l: l, eta: eta, free: free, q: q}
	zs, cert, n, done := ks.polish(append([]float64(nil), z...))
	iters += n
	fill(zs)
	pq := append([]float64(nil), q...)
	if pr := lossKKT(l, pq, eta, free); pr <= LossDirectAccept {
		return Result{Q: pq, Risk: l.Risk(pq, eta), Iterations: iters, Status: Converged, Residual: pr}, nil
	}
	if cert <= LossDirectKinkAccept {
		return Result{Q: pq, Risk: l.Risk(pq, eta), Iterations: iters, Status: Converged, Residual: cert}, nil
	}
	if !done {
		status = IterationLimit
	}
	if l.Risk(pq, eta) <= l.Risk(out, eta) {
		out = pq
		resid = math.Min(resid, cert)
	}
	return Result{Q: out, Risk: l.Risk(out, eta), Iterations: iters, Status: status, Residual: resid}, nil
}

// vertexMinimum handles a one-hot η = e_y of a General loss, whose
// minimizer is the vertex e_y (the Brier score, dual-focal: W(e_y) = 0 ≤
// W), out of the softmax parametrization's reach: Q = e_y is Converged,
// Residual 0, when W does not decrease from e_y along any edge, W(e_y +
// t(e_j − e_y)) ≥ W(e_y) for t = 2^-20 and 2^-40 and every j ≠ y (a
// vertex's KKT conditions, tested by values, as they must be where W need
// not be differentiable).
func vertexMinimum(eta []float64, l *loss.Loss) (Result, bool) {
	if l.Kind != loss.General {
		return Result{}, false
	}
	y := -1
	for i, e := range eta {
		if e > 0 {
			if y >= 0 {
				return Result{}, false
			}
			y = i
		}
	}
	q := make([]float64, len(eta))
	q[y] = 1
	w := l.Risk(q, eta)
	x := make([]float64, len(eta))
	for j := range eta {
		if j == y {
			continue
		}
		for _, t := range []float64{0x1p-20, 0x1p-40} {
			copy(x, q)
			x[y], x[j] = 1-t, t
			if !(l.Risk(x, eta) >= w) {
				return Result{}, false
			}
		}
	}
	return Result{Q: q, Risk: w, Status: Converged}, true
}

// softmaxInto sets q to the softmax of z on the coordinates free (0
// elsewhere).
func softmaxInto(q, z []float64, free []int) {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v)
	}
	var s float64
	for i := range q {
		q[i] = 0
	}
	for j, i := range free {
		q[i] = math.Exp(z[j] - m)
		s += q[i]
	}
	for _, i := range free {
		q[i] /= s
	}
}

// lossKKT is LossDirect's KKT residual at q (see LossDirect). For a
// General loss G is by central differences, and the residual is the larger
// of those with the relative steps 2^-18 (loss.Grad's) and 2^-17: a
// stencil that straddles a kink of W mixes the one-sided derivatives by
// weights that change with the step, so a mixture that happens to look
// stationary at one step does not at the other (at a kink exactly between
// the two sides both mix half and half, and then the test is that the
// average of the two sides' gradients is stationary).
//
// That alone does not catch a point near a symmetric tie (dual-focal at η
// = (0.4, 0.3, 0.3), 4e-7 from the uniform minimizer, where every mixture
// is near stationary by symmetry), so a General loss's point first passes
// a kink test: on every free coordinate the one-sided differences
// (W(q + s e_j) − W(q))/s and (W(q) − W(q − s e_j))/s, s = 2^-18
// min(q_j, 1 − q_j),
// weighted as the residual, differ by at most LossDirectKinkDetect·S.
// Otherwise W is taken to have a kink within s of q and the residual is
// +Inf (the single-point test does not apply; LossDirect samples).
func lossKKT(l *loss.Loss, q, eta []float64, free []int) float64 {
	if l.Kind != loss.General {
		return kktAt(l, l.Grad(nil, q, eta), q, eta, free)
	}
	if nearKink(l, q, eta, free) {
		return math.Inf(1)
	}
	r := 0.0
	for _, h := range []float64{0x1p-18, 0x1p-17} {
		r = math.Max(r, kktAt(l, centralGrad(l, q, eta, h), q, eta, free))
	}
	return r
}

// LossDirectKinkDetect is the kink test's threshold (lossKKT) on the
// weighted difference of the one-sided derivatives at step s = 2^-18 q_j,
// relative to S: 1e-3. At a smooth point that difference is s·∂²W/∂q_j²,
// about 4e-6·η_j/q_j relative for a log-type loss and 2s for the Brier
// score, plus the rounding ε|W|/s (3e-8 at q_j = LossDirectResolution);
// across dual-focal's kinks the derivative jumps by γ(1 − q_y + m)^(γ−1)
// |log q_y| η_y, of the order of S.
const LossDirectKinkDetect = 1e-3

func nearKink(l *loss.Loss, q, eta []float64, free []int) bool {
	w0 := l.Risk(q, eta)
	g := l.Grad(nil, q, eta)
	var bar, sc float64
	for _, i := range free {
		bar += q[i] * g[i]
		sc = math.Max(sc, math.Abs(g[i]))
	}
	sc = math.Max(sc, math.Max(math.Abs(bar), math.Abs(w0)))
	x := append([]float64(nil), q...)
	for _, j := range free {
		s := 0x1p-18 * math.Max(math.Min(q[j], 1-q[j]), 1e-300)
		x[j] = q[j] + s
		fp := l.Risk(x, eta)
		x[j] = q[j] - s
		fm := l.Risk(x, eta)
		x[j] = q[j]
		d := ((fp - w0) - (w0 - fm)) / s
		if !(math.Min(1, q[j]/LossDirectResolution)*math.Abs(d) <= LossDirectKinkDetect*sc) {
			return true
		}
	}
	return false
}

// centralGrad is ∂W/∂q by central differences with step h·min(q_j, 1 −
// q_j) (loss.Grad's step is h·q_j; the cap keeps q_j + s below 1, where
// dual-focal's 1 − q_y + max_j q_j would turn negative next to an entry
// near 1).
func centralGrad(l *loss.Loss, q, eta []float64, h float64) []float64 {
	x := append([]float64(nil), q...)
	g := make([]float64, len(q))
	for j := range q {
		s := h * math.Max(math.Min(q[j], 1-q[j]), 1e-300)
		x[j] = q[j] + s
		fp := l.Risk(x, eta)
		x[j] = q[j] - s
		fm := l.Risk(x, eta)
		x[j] = q[j]
		g[j] = (fp - fm) / (2 * s)
	}
	return g
}

func kktAt(l *loss.Loss, g, q, eta []float64, free []int) float64 {
	var bar, s float64
	for _, i := range free {
		bar += q[i] * g[i]
		s = math.Max(s, math.Abs(g[i]))
	}
	s = math.Max(s, math.Max(math.Abs(bar), math.Abs(l.Risk(q, eta))))
	var r float64
	for _, i := range free {
		w := 1.0
		if g[i] > bar {
			w = math.Min(1, q[i]/LossDirectResolution)
		}
		r = math.Max(r, w*math.Abs(g[i]-bar)/s)
	}
	if math.IsNaN(r) || s == 0 {
		return math.Inf(1)
	}
	return r
}
