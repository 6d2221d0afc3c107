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

import (
	"math"

	"gonum.org/v1/gonum/optimize"

	"github.com/focaltk/focal/loss"
)

// LossDirectGradTol is the gradient threshold of LossDirect's BFGS, on the
// softmax-coordinate gradient scaled by W: 1e-10, near the √ε floor of a
// plain evaluation of W.
const LossDirectGradTol = 1e-10

// LossDirectAccept is the residual (see LossDirect) at which a run that
// stopped for another reason (a line search that cannot progress at the
// √ε floor of W's resolution) still counts as Converged: 1e-7, about the
// spread that √ε ≈ 1.5e-8 in q produces in ∂W/∂q.
const LossDirectAccept = 1e-7

// LossDirect returns the minimizer of W(q; η) over the simplex for any
// Separable or General loss, found by BFGS from q = (η + 1/K)/2. The
// coordinates with η_i = 0 of a separable loss without r are 0 (they do
// not enter W); every other coordinate is free. Status is Converged when
// the gradient threshold was met, IterationLimit when maxIter (≤ 0: 2000)
// ran out, Failed otherwise (but Converged when the residual is at most
// LossDirectAccept); Residual is the relative spread
// max_i |G_i − Ḡ|/|Ḡ| of ∂W/∂q over the free coordinates with q_i above
// 1e-300, Ḡ = Σ q_i G_i (0 at a minimizer in the interior).
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
	z0 := make([]float64, len(free))
	for j, i := range free {
		z0[j] = math.Log((eta[i] + 1/float64(k)) / 2)
	}
	fill := func(z []float64) {
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
	if res != nil {
		fill(res.X)
		iters = res.Stats.MajorIterations
		switch res.Status {
		case optimize.GradientThreshold:
			status = Converged
		case optimize.IterationLimit:
			status = IterationLimit
		}
	}
	if err != nil && status == Converged {
		status = Failed
	}
	out := append([]float64(nil), q...)
	resid := gradSpread(l, out, eta, free)
	if status == Failed && resid <= LossDirectAccept {
		status = Converged
	}
	return Result{Q: out, Risk: l.Risk(out, eta), Iterations: iters, Status: status, Residual: resid}, nil
}

func gradSpread(l *loss.Loss, q, eta []float64, free []int) float64 {
	g := l.Grad(nil, q, eta)
	var bar float64
	for _, i := range free {
		bar += q[i] * g[i]
	}
	var r float64
	for _, i := range free {
		if q[i] > 1e-300 {
			r = math.Max(r, math.Abs(g[i]-bar)/math.Abs(bar))
		}
	}
	return r
}
