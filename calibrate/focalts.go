package calibrate

// This file holds the second order of focal temperature scaling,
// temperature first and then the focal map (FitTSThenFocal), and the
// transform of the rows with its fit. The other order, the recovered
// probabilities temperature-scaled, is FitTemperature of log Ψ^γ(p).

import (
	"errors"
	"fmt"
	"math"

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
	// ttfFuncTol and ttfStall stop the fit when ttfStall iterations in a
	// row lower the best NLL by less than ttfFuncTol in all: the NLL is a
	// mean of O(1) terms whose rounding is ~1e-13, and near the optimum a
	// change of 1e-12 is a change of ~1e-6 in the coordinates (the NLL is
	// quadratic there with curvature O(1)). A Nelder–Mead iteration often
	// leaves the best vertex in place while the simplex shrinks, hence
	// the run of 10.
	ttfFuncTol = 1e-12
	ttfStall   = 10
	// ttfMaxIter and ttfMaxEval bound the optimizer's work.
	ttfMaxIter = 1000
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
// The search is gonum/optimize's Nelder–Mead over unconstrained
// coordinates mapped smoothly onto log T ∈ [log minTemperature,
// log maxTemperature] and γ' ∈ [0, maxMapGamma]; it is 1-D without fitGamma
// and 2-D with it. (It is derivative-free: the NLL of Ψ^γ' has no cheap
// analytic gradient in γ', and BFGS on difference quotients stalled in
// its line search at the rounding level of the NLL.) The log
// probabilities come from theory.LogPsiLogitsRows (log domain, so that the
// NLL is finite for every finite logit); rows whose true class has logit
// −Inf are left out and counted, as in FitTemperature. The NLL is summed
// in a fixed number of chunks, so the fit does not depend on workers.
//
// The result's NLL1 is the validation NLL at T = 1 and γ' = gamma, the
// recovered probabilities' own; a fit that does not lower it returns that
// point. Errors are FitTemperature's.
func FitTSThenFocal(z []float64, k int, labels []int, alpha []float64, gamma float64, fitGamma bool, workers int) (TemperatureFit, error) {
	return FitTSThenFocalTarget(z, k, Classes(labels), alpha, gamma, fitGamma, workers)
}

// FitTSThenFocalTarget is FitTSThenFocal against a Target: hard labels, or
// soft ones, whose NLL is the cross-entropy −Σ_j t_j log p_j.
func FitTSThenFocalTarget(z []float64, k int, tg Target, alpha []float64, gamma float64, fitGamma bool, workers int) (TemperatureFit, error) {
	fit, use, err := checkFit(z, k, tg, "FitTSThenFocal")
	if err != nil {
		return fit, err
	}
	if alpha != nil && len(alpha) != k {
		return fit, errors.New("calibrate: FitTSThenFocal: alpha has the wrong length")
	}
	nll := func(t, g float64) float64 {
		n := tg.rows(k)
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
						f -= tg.dot(b[(i-lo)*k:(i-lo+1)*k], i)
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
	res, err := optimize.Minimize(optimize.Problem{Func: f}, x0, &optimize.Settings{
		MajorIterations: ttfMaxIter,
		FuncEvaluations: ttfMaxEval,
		Converger:       &optimize.FunctionConverge{Absolute: ttfFuncTol, Iterations: ttfStall},
	}, &optimize.NelderMead{})
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
	ts, err := FitTemperatureTarget(vs.logq, kc, vs.tgt, w)
	if err != nil {
		return nil, fmt.Errorf("temperature scaling: %w", err)
	}
	fts, err := FitTemperatureTarget(vs.loge, kc, vs.tgt, w)
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
	ttf, err := FitTSThenFocalTarget(vs.logq, kc, vs.tgt, p.alpha, p.o.Gamma, p.o.FitGamma, w)
	if err != nil {
		return nil, fmt.Errorf("TS-then-focal temperature scaling: %w", err)
	}
	return append(out, scaledVariant{name: VariantTSThenFocal, fit: &ttf, apply: func(probs, logs, lraw, _ []float64) {
		tsThenFocal(probs, logs, lraw, kc, p.alpha, &ttf, w)
	}}), nil
}
