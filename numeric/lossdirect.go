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
	"math/rand/v2"

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

// kinkSampler is LossDirect's gradient sampling in softmax coordinates z
// of the free coordinates.
type kinkSampler struct {
	l    *loss.Loss
	eta  []float64
	free []int
	q    []float64 // scratch: softmax(z)
}

func (ks *kinkSampler) f(z []float64) float64 {
	softmaxInto(ks.q, z, ks.free)
	v := ks.l.Risk(ks.q, ks.eta)
	if math.IsNaN(v) {
		return math.Inf(1)
	}
	return v
}

// gradZ sets dst to ∂W̃/∂z at z by central differences with step h (W̃(z)
// = W(softmax(z)); = q_i (G_i − Ḡ)).
func (ks *kinkSampler) gradZ(dst, z []float64, h float64) {
	x := append([]float64(nil), z...)
	for j := range z {
		x[j] = z[j] + h
		fp := ks.f(x)
		x[j] = z[j] - h
		fm := ks.f(x)
		x[j] = z[j]
		dst[j] = (fp - fm) / (2 * h)
	}
}

// polish runs gradient sampling from z. It returns the last iterate, the
// certificate there (the distance from 0 to the hull of the scaled
// gradients sampled within LossDirectKinkRadius; +Inf if not reached), the
// iterations, and whether it stopped by its test rather than its budget.
//
// Each iteration samples m = 4n+1 points z + ρu (u uniform in the unit
// ball; the first is z itself), their gradients ∂W̃/∂z_j by central
// differences with step ρ/8, and two images of them with the weights of
// the center q: φ_j = w_j ∂W̃/∂z_j/(q_j S), the KKT residual's vector
// (LossDirect), for the test, and ψ_j = ∂W̃/∂z_j/(√q_j S), the gradient in
// the coordinates y_j = z_j √q_j scaled by S, for the step (in those
// coordinates the Hessian of −Σ η_j log q_j is near the identity, so a unit
// step is Newton's). The test's hull takes only the sampled points other
// than z whose φ agrees within LossDirectKinkAccept/4 with the φ of step
// ρ/16: a stencil that straddles a kink mixes the two sides' derivatives
// by weights that change with the step, and a mixture is not a gradient
// (it could place 0 in a hull that the true gradients do not reach).
// Fewer points only make the hull smaller, so the test stays sound. The
// step is z_j −= t v_j/√q_j, v the shortest vector
// in the hull of the ψ, t halved from 1 until W decreases by at least
// 1e-4 t S |v|²; the shortest vector in the hull of the φ below
// LossDirectKinkAccept shrinks ρ by 10, or ends the run at
// LossDirectKinkRadius. So does a failed line search (ρ too large for the
// hull to reflect the gradients near z), and below LossDirectKinkRadius
// the run ends without a certificate.
func (ks *kinkSampler) polish(z []float64) ([]float64, float64, int, bool) {
	n := len(z)
	m := 4*n + 1
	r := rand.New(rand.NewPCG(0x5eed, uint64(n)))
	rho := 1e-3
	pts := make([][]float64, m)
	gz := make([][]float64, m)
	gz2 := make([][]float64, m)
	phi := make([][]float64, m)
	psi := make([][]float64, m)
	for i := range pts {
		pts[i] = make([]float64, n)
		gz[i] = make([]float64, n)
		gz2[i] = make([]float64, n)
		phi[i] = make([]float64, n)
		psi[i] = make([]float64, n)
	}
	qc := make([]float64, n)
	trial := make([]float64, n)
	for it := 0; it < lossKinkMaxIter; it++ {
		fz := ks.f(z)
		for j, i := range ks.free {
			qc[j] = ks.q[i]
		}
		s := math.Abs(fz)
		for k := range m {
			copy(pts[k], z)
			if k > 0 {
				var nn float64
				for j := range n {
					pts[k][j] = r.NormFloat64()
					nn += pts[k][j] * pts[k][j]
				}
				rad := rho * math.Pow(r.Float64(), 1/float64(n)) / math.Sqrt(nn)
				for j := range n {
					pts[k][j] = z[j] + rad*pts[k][j]
				}
			}
			ks.gradZ(gz[k], pts[k], rho/8)
			ks.gradZ(gz2[k], pts[k], rho/16)
			for j := range n {
				if qc[j] > 0 {
					s = math.Max(s, math.Abs(gz[k][j])/qc[j])
				}
			}
		}
		if s == 0 || math.IsInf(s, 0) || math.IsNaN(s) {
			return z, math.Inf(1), it, false
		}
		var cphi [][]float64
		for k := range m {
			consistent := k > 0
			for j := range n {
				w := math.Min(1, qc[j]/LossDirectResolution)
				if gz[k][j] < 0 {
					w = 1 // G_j < Ḡ: the boundary's weight does not apply (LossDirect)
				}
				phi[k][j] = w * gz[k][j] / (qc[j] * s)
				psi[k][j] = gz[k][j] / (math.Sqrt(qc[j]) * s)
				if !(math.Abs(phi[k][j]-w*gz2[k][j]/(qc[j]*s)) <= LossDirectKinkAccept/4) {
					consistent = false
				}
			}
			if consistent {
				cphi = append(cphi, phi[k])
			}
		}
		cert := math.Inf(1)
		if len(cphi) > 0 {
			cert = norm2(minNormPoint(cphi))
		}
		if cert <= LossDirectKinkAccept {
			if rho <= LossDirectKinkRadius*(1+1e-9) {
				return z, cert, it + 1, true
			}
			rho /= 10
			continue
		}
		v := minNormPoint(psi)
		vv := norm2(v)
		t := 1.0
		ok := false
		for range 40 {
			for j := range n {
				trial[j] = z[j] - t*v[j]/math.Sqrt(qc[j])
			}
			if ft := ks.f(trial); ft <= fz-1e-4*t*s*vv*vv && ft < fz {
				ok = true
				break
			}
			t /= 2
		}
		if !ok {
			if rho <= LossDirectKinkRadius*(1+1e-9) {
				return z, math.Inf(1), it + 1, true
			}
			rho /= 10
			continue
		}
		copy(z, trial)
	}
	return z, math.Inf(1), lossKinkMaxIter, false
}

func norm2(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// minNormPoint returns the point of least Euclidean norm in the convex
// hull of pts, by Wolfe's algorithm (P. Wolfe 1976, "Finding the nearest
// point in a polytope", Math. Programming 11): a corral of points whose
// affine minimum-norm point lies in their relative interior grows by the
// point most opposed to the current one and shrinks (a minor cycle) where
// that affine point leaves the hull. Any point it returns is in the hull,
// so its norm bounds the distance from 0 to the hull from above whatever
// the rounding.
func minNormPoint(pts [][]float64) []float64 {
	n := len(pts[0])
	best := 0
	for k := range pts {
		if norm2(pts[k]) < norm2(pts[best]) {
			best = k
		}
	}
	set := []int{best}
	lam := []float64{1}
	x := append([]float64(nil), pts[best]...)
	combine := func(set []int, a []float64) []float64 {
		y := make([]float64, n)
		for i, k := range set {
			for j := range n {
				y[j] += a[i] * pts[k][j]
			}
		}
		return y
	}
	var scale float64
	for _, p := range pts {
		scale = math.Max(scale, norm2(p))
	}
	const tol = 1e-12
	for major := 0; major < 10*len(pts)+10; major++ {
		xx := dot(x, x)
		if xx == 0 {
			return x
		}
		j, mj := -1, math.Inf(1)
		for k, p := range pts {
			if d := dot(x, p); d < mj {
				j, mj = k, d
			}
		}
		if xx-mj <= tol*scale*scale || contains(set, j) {
			return x
		}
		set = append(set, j)
		lam = append(lam, 0)
		for minor := 0; minor < len(pts)+1; minor++ {
			a := affineMinNorm(pts, set)
			if a == nil {
				return x
			}
			if allPositive(a) {
				lam = a
				x = combine(set, lam)
				break
			}
			theta := 1.0
			for i := range a {
				if a[i] <= 0 {
					theta = math.Min(theta, lam[i]/(lam[i]-a[i]))
				}
			}
			var ns []int
			var nl []float64
			for i := range a {
				v := lam[i] + theta*(a[i]-lam[i])
				if v > tol {
					ns = append(ns, set[i])
					nl = append(nl, v)
				}
			}
			set, lam = ns, nl
			var sum float64
			for _, v := range lam {
				sum += v
			}
			for i := range lam {
				lam[i] /= sum
			}
			x = combine(set, lam)
		}
	}
	return x
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func contains(s []int, j int) bool {
	for _, v := range s {
		if v == j {
			return true
		}
	}
	return false
}

func allPositive(a []float64) bool {
	for _, v := range a {
		if !(v > 0) {
			return false
		}
	}
	return true
}

// affineMinNorm returns the weights a (Σ a = 1) of the least-norm point
// of the affine hull of pts[set]: the solution of [P P′ 1; 1′ 0][a; μ] =
// [0; 1] by Gaussian elimination with partial pivoting; nil if singular.
func affineMinNorm(pts [][]float64, set []int) []float64 {
	s := len(set)
	a := make([][]float64, s+1)
	for i := range a {
		a[i] = make([]float64, s+2)
	}
	for i := range s {
		for j := range s {
			a[i][j] = dot(pts[set[i]], pts[set[j]])
		}
		a[i][s] = 1
		a[s][i] = 1
	}
	a[s][s+1] = 1
	m := s + 1
	for c := range m {
		p := c
		for r := c + 1; r < m; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if a[p][c] == 0 {
			return nil
		}
		a[c], a[p] = a[p], a[c]
		for r := c + 1; r < m; r++ {
			f := a[r][c] / a[c][c]
			for cc := c; cc <= m; cc++ {
				a[r][cc] -= f * a[c][cc]
			}
		}
	}
	x := make([]float64, m)
	for r := m - 1; r >= 0; r-- {
		v := a[r][m]
		for c := r + 1; c < m; c++ {
			v -= a[r][c] * x[c]
		}
		x[r] = v / a[r][r]
	}
	for _, v := range x[:s] {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
	}
	return x[:s]
}
