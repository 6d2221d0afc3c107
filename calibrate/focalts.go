package calibrate

// This file holds the second order of focal temperature scaling,
// temperature first and then the focal map (FitTSThenFocal), and the
// transform of the rows with its fit. The other order, the recovered
// probabilities temperature-scaled, is FitTemperature of log Ψ^γ(p).

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/optimize"

	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// Limits and stopping rules of FitTSThenFocal.
const (
	// maxMapGamma bounds the fitted γ of the focal map: the search runs
	// over [0, maxMapGamma]. Ψ^γ keeps its accuracy contract at any γ;
	// 20 is beyond every γ in use (Mukhoti et al. 2020 schedule γ ≤ 5,
	// AdaFocal caps γ at 20).
	maxMapGamma = 20
	// minStartGamma is the smallest start of the map's γ when it is
	// fitted: at γ = 0 the map is the identity and the bounded map onto
	// [0, maxMapGamma] has a vanishing derivative there.
	minStartGamma = 0.1
	// ttfGradTol stops the fit when the central-difference gradient (in
	// the unconstrained coordinates) falls below it. The NLL is a mean of
	// O(1) terms; the difference quotient's error is about
	// ε·f/h + h²·f‴ ≈ 1e-16/6e-6 + 4e-11 ≈ 6e-11 (gonum's default
	// central step h = 6e-6), so 1e-8 is above that noise and far below
	// any change that matters.
	ttfGradTol = 1e-8
	// ttfFuncTol: three iterations in a row changing the NLL by less than
	// this also stop the fit, as tempFuncTol does for FitTemperature.
	ttfFuncTol = 1e-13
	// ttfMaxIter and ttfMaxEval bound the optimizer's work (each
	// gradient costs 2 evaluations per coordinate).
	ttfMaxIter = 200
	ttfMaxEval = 3000
)

// FitTSThenFocal fits Komisarenko & Kull's focal temperature scaling
// (ECAI 2024), p = Ψ^{γ'}(softmax(z/T)): the temperature first, then the
// focal calibration map, with T (and, if fitGamma, the map's γ') chosen by
// the mean validation NLL of the N×K logits z against labels. Without
// fitGamma the map's γ' is gamma, the γ the model was trained with; with
// it, the search starts there (at least at minStartGamma) and runs over
// [0, maxMapGamma]. alpha, if not nil, are class weights of the
// α-balanced map (theory.PsiBalancedLogits). For probabilities p, pass
// z = log p.
//
// The search is gonum/optimize's BFGS over unconstrained coordinates
// mapped smoothly onto log T ∈ [log minTemperature, log maxTemperature]
// and γ' ∈ [0, maxMapGamma], with central-difference gradients
// (gonum/diff/fd); it is 1-D without fitGamma and 2-D with it. The log
// probabilities come from theory.LogPsiLogitsRows (log domain, so that the
// NLL is finite for every finite logit); rows whose true class has logit
// −Inf are left out and counted, as in FitTemperature. The NLL is summed
// in a fixed number of chunks, so the fit does not depend on workers.
//
// The result's NLL1 is the validation NLL at T = 1 and γ' = gamma, the
// recovered probabilities' own; a fit that does not lower it returns that
// point. Errors are FitTemperature's.
func FitTSThenFocal(z []float64, k int, labels []int, alpha []float64, gamma float64, fitGamma bool, workers int) (TemperatureFit, error) {
	fit, use, err := checkFit(z, k, labels, "FitTSThenFocal")
	if err != nil {
		return fit, err
	}
	if alpha != nil && len(alpha) != k {
		return fit, errors.New("calibrate: FitTSThenFocal: alpha has the wrong length")
	}
	nll := func(t, g float64) float64 {
		n := len(labels)
		var parts [tempChunks]float64
		chunk := (n + tempChunks - 1) / tempChunks
		numeric.ParallelChunks(tempChunks, workers, 1, func(clo, chi int) {
			buf := make([]float64, chunk*k)
			for c := clo; c < chi; c++ {
				lo, hi := c*chunk, min((c+1)*chunk, n)
				if lo >= hi {
					continue
				}
				b := buf[:(hi-lo)*k]
				for i, x := range z[lo*k : hi*k] {
					b[i] = x / t
				}
				theory.LogPsiLogitsRows(b, b, k, alpha, g)
				var f float64
				for i := lo; i < hi; i++ {
					if use[i] {
						f -= b[(i-lo)*k+labels[i]]
					}
				}
				parts[c] = f
			}
		})
		var f float64
		for _, p := range parts {
			f += p
		}
		return f / float64(fit.Used)
	}
	lo, hi := math.Log(minTemperature), math.Log(maxTemperature)
	tOf := func(x float64) float64 { return math.Exp(lo + (hi-lo)*theory.Sigmoid(x)) }
	gOf := func(x []float64) float64 {
		if !fitGamma {
			return gamma
		}
		return maxMapGamma * theory.Sigmoid(x[1])
	}
	f := func(x []float64) float64 { return nll(tOf(x[0]), gOf(x)) }
	x0 := []float64{0} // T = 1: the limits are symmetric in log T
	if fitGamma {
		g0 := min(max(gamma, minStartGamma), maxMapGamma/2)
		x0 = append(x0, math.Log(g0/(maxMapGamma-g0)))
	}
	fit.NLL1 = nll(1, gamma)
	prob := optimize.Problem{
		Func: f,
		Grad: func(grad, x []float64) { fd.Gradient(grad, f, x, &fd.Settings{Formula: fd.Central}) },
	}
	res, err := optimize.Minimize(prob, x0, &optimize.Settings{
		GradientThreshold: ttfGradTol,
		MajorIterations:   ttfMaxIter,
		FuncEvaluations:   ttfMaxEval,
		Converger:         &optimize.FunctionConverge{Absolute: ttfFuncTol, Iterations: 3},
	}, &optimize.BFGS{})
	if res == nil {
		return fit, fmt.Errorf("calibrate: FitTSThenFocal: %v", err)
	}
	t, g := tOf(res.X[0]), gOf(res.X)
	fit.T, fit.NLL, fit.Gamma = t, nll(t, g), &g
	fit.Status = res.Status.String()
	if err != nil {
		fit.Status += ": " + err.Error()
	}
	if !(fit.NLL <= fit.NLL1) {
		// The optimizer never does worse than its start, up to rounding;
		// keep the start then.
		g = gamma
		fit.T, fit.NLL, fit.Gamma = 1, fit.NLL1, &g
	}
	return fit, nil
}

// tsThenFocal writes Ψ^{γ'}(softmax(z/T)) of each row of z (logits, or
// log probabilities) into dst and its logarithm into logDst, with the
// fit's T and γ' and the class weights alpha (nil: none); neither may
// alias z.
func tsThenFocal(dst, logDst, z []float64, k int, alpha []float64, fit *TemperatureFit, workers int) {
	for i, x := range z {
		logDst[i] = x / fit.T
	}
	numeric.PsiLogitsRows(dst, logDst, k, alpha, *fit.Gamma, workers)
	numeric.LogPsiLogitsRows(logDst, logDst, k, alpha, *fit.Gamma, workers)
}

// scaledVariant is one temperature-scaled variant of the report: its
// name, its fit, and apply, which writes its probabilities and their logs
// from the log raw and log recovered probabilities of a block; buf holds
// both for one block.
type scaledVariant struct {
	name  string
	fit   *TemperatureFit
	apply func(probs, logs, lraw, lrec []float64)
	buf   []float64
}

// Names of the temperature-scaled variants of the report.
const (
	// VariantTS is temperature scaling (Guo et al. 2017), softmax(z/T).
	VariantTS = "ts"
	// VariantFocalThenTS is the recovered probabilities temperature-scaled,
	// softmax(log Ψ^γ(p)/T).
	VariantFocalThenTS = "focal_then_ts"
	// VariantTSThenFocal is Komisarenko & Kull's focal temperature
	// scaling, Ψ^{γ'}(softmax(z/T)) (softmax loss only).
	VariantTSThenFocal = "ts_then_focal"
)

// fitScaled fits the temperature-scaled variants on the validation rows:
// TS and focal-then-TS always, TS-then-focal for the softmax loss (the
// focal map Ψ^γ is the softmax loss's recovery; the sigmoid loss's
// recovery has no such map to scale before).
func (p *pipeline) fitScaled(vs *valRows) ([]scaledVariant, error) {
	kc, w := p.kc, p.workers
	ts, err := FitTemperature(vs.logq, kc, vs.labels, w)
	if err != nil {
		return nil, fmt.Errorf("temperature scaling: %w", err)
	}
	fts, err := FitTemperature(vs.loge, kc, vs.labels, w)
	if err != nil {
		return nil, fmt.Errorf("focal-then-TS temperature scaling: %w", err)
	}
	out := []scaledVariant{
		{name: VariantTS, fit: &ts, apply: func(probs, logs, lraw, _ []float64) {
			scaleLogTemperature(probs, logs, lraw, kc, ts.T, w)
		}},
		{name: VariantFocalThenTS, fit: &fts, apply: func(probs, logs, _, lrec []float64) {
			scaleLogTemperature(probs, logs, lrec, kc, fts.T, w)
		}},
	}
	if p.o.Loss != LossSoftmax {
		return out, nil
	}
	ttf, err := FitTSThenFocal(vs.logq, kc, vs.labels, p.alpha, p.o.Gamma, p.o.FitGamma, w)
	if err != nil {
		return nil, fmt.Errorf("TS-then-focal temperature scaling: %w", err)
	}
	return append(out, scaledVariant{name: VariantTSThenFocal, fit: &ttf, apply: func(probs, logs, lraw, _ []float64) {
		tsThenFocal(probs, logs, lraw, kc, p.alpha, &ttf, w)
	}}), nil
}
