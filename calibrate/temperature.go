package calibrate

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"

	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// TemperatureFit is the result of FitTemperature.
type TemperatureFit struct {
	// T is the fitted temperature.
	T float64 `json:"temperature"`
	// NLL is the validation NLL at T, NLL1 at T = 1.
	NLL  float64 `json:"val_nll"`
	NLL1 float64 `json:"val_nll_t1"`
	// Used counts the validation rows of the fit; Skipped those left out
	// because their true class has probability 0 (logit −Inf), where the
	// NLL is +Inf at every temperature.
	Used    int `json:"val_rows"`
	Skipped int `json:"val_rows_skipped"`
	// Status is the optimizer's stopping status.
	Status string `json:"status"`
	// Gamma is the γ' of the focal map of FitTSThenFocal (the model's γ,
	// or fitted); nil for the fits without a map.
	Gamma *float64 `json:"map_gamma,omitempty"`
}

// Limits of the fitted temperature: the fit searches [minTemperature,
// maxTemperature] (a validation set on which every prediction is right
// drives T → 0, one that is all wrong T → ∞).
const (
	minTemperature = 1e-3
	maxTemperature = 1e3
	// tempGradTol stops the fit when |dNLL/d log T| falls below it: the
	// NLL is an average of O(1) terms, so 1e-10 is far below any
	// meaningful change and above the rounding of the sums (~1e-13 for
	// 10^6 rows in chunked float64 sums).
	tempGradTol = 1e-10
	// tempFuncTol: three iterations in a row that change the NLL by less
	// than this also stop the fit (the gradient may not reach tempGradTol
	// where the sums' rounding dominates); 1e-13 of an O(1) mean.
	tempFuncTol = 1e-13
	// tempMaxIter and tempMaxEval bound the optimizer's work; a 1-D smooth
	// problem converges in ~10 iterations of a few evaluations each.
	tempMaxIter = 100
	tempMaxEval = 300
	// tempChunks is the fixed number of partial sums of the NLL, so that
	// the result is the same for any number of workers.
	tempChunks = 64
)

// FitTemperature fits the temperature T of temperature scaling (Guo et
// al., ICML 2017), p = softmax(z/T), by minimizing the mean NLL of the
// validation rows of the N×K logit matrix z against labels, over log T with
// gonum/optimize (BFGS, analytic gradient, from T = 1). Entries z_ij = −Inf
// are probabilities 0 and stay 0 at every T. For probabilities p, pass
// z = log p (softmax(log p / T) ∝ p^{1/T}); for the recovered probabilities
// temperature-scaled (the report's focal_then_ts), z = log Ψ^γ(p).
// Komisarenko & Kull's order, Ψ^γ(softmax(z/T)), is FitTSThenFocal. The NLL is summed in a
// fixed number of chunks, in parallel with workers goroutines (≤ 0:
// GOMAXPROCS), so the fit does not depend on workers.
//
// It returns an error for inconsistent shapes, a label out of range, a NaN
// or +Inf logit, or no usable row.
func FitTemperature(z []float64, k int, labels []int, workers int) (TemperatureFit, error) {
	return FitTemperatureTarget(z, k, Classes(labels), workers)
}

// FitTemperatureTarget is FitTemperature against a Target: hard labels, or
// soft ones, whose NLL is the cross-entropy −Σ_j t_j log p_j.
func FitTemperatureTarget(z []float64, k int, t Target, workers int) (TemperatureFit, error) {
	fit, use, err := checkFit(z, k, t, "FitTemperature")
	if err != nil {
		return fit, err
	}
	// nllGrad returns the mean NLL at β = 1/T and its derivative in
	// u = log T: NLL = mean_i [lse(β z_i) − β z_iy], dNLL/du =
	// −β·mean_i [E_{softmax(β z_i)}[z] − z_iy] (z_iy: Σ_j t_ij z_ij for
	// soft labels).
	nllGrad := func(beta float64) (float64, float64) {
		n := t.rows(k)
		var parts [tempChunks][2]float64
		chunk := (n + tempChunks - 1) / tempChunks
		numeric.ParallelChunks(tempChunks, workers, 1, func(clo, chi int) {
			for c := clo; c < chi; c++ {
				var f, g float64
				for i := c * chunk; i < min((c+1)*chunk, n); i++ {
					if !use[i] {
						continue
					}
					row := z[i*k : (i+1)*k]
					m := math.Inf(-1)
					for _, x := range row {
						m = math.Max(m, x)
					}
					var s, sz float64
					for _, x := range row {
						if math.IsInf(x, -1) {
							continue
						}
						e := math.Exp(beta * (x - m))
						s += e
						sz += e * (x - m)
					}
					// With the label mass w = Σ_j t_j (1 for a hard
					// label): NLL_i = w·lse(βz) − β Σ_j t_j z_j.
					w := t.mass(i, k)
					zy := t.dot(row, i) - w*m
					f += w*math.Log(s) - beta*zy
					g += w*sz/s - zy
				}
				parts[c] = [2]float64{f, g}
			}
		})
		var f, g float64
		for _, p := range parts {
			f += p[0]
			g += p[1]
		}
		u := float64(fit.Used)
		return f / u, -beta * g / u
	}
	// The search runs over x ∈ ℝ with log T = u(x) = lo + (hi − lo)·σ(x),
	// a smooth map onto the allowed range, so that an optimum at a limit
	// is approached with a vanishing gradient instead of a kink; x = 0 is
	// T = 1 (the limits are symmetric in log T).
	lo, hi := math.Log(minTemperature), math.Log(maxTemperature)
	uOf := func(x float64) float64 { return lo + (hi-lo)*theory.Sigmoid(x) }
	lastX, lastF, lastG := math.NaN(), 0.0, 0.0
	eval := func(x float64) (float64, float64) {
		if x != lastX {
			lastX = x
			s := theory.Sigmoid(x)
			f, g := nllGrad(math.Exp(-uOf(x)))
			lastF, lastG = f, g*(hi-lo)*s*(1-s)
		}
		return lastF, lastG
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 { f, _ := eval(x[0]); return f },
		Grad: func(grad, x []float64) { _, grad[0] = eval(x[0]) },
	}
	fit.NLL1, _ = nllGrad(1)
	// The NLL is convex in β = 1/T (a log-sum-exp of functions affine in
	// β, minus one affine in β), hence unimodal in log T: if it still
	// falls at a limit, the optimum is beyond it.
	for _, c := range []struct {
		u    float64
		sign float64
		name string
	}{{hi, -1, "upper"}, {lo, 1, "lower"}} {
		// g = 0 with an NLL below T = 1's: the NLL is flat at the limit
		// because it has underflowed there (a validation set classified
		// without error at T → 0): the optimum is at the limit too.
		if f, g := nllGrad(math.Exp(-c.u)); g*c.sign > 0 || (g == 0 && f < fit.NLL1) {
			fit.T, fit.NLL, fit.Status = math.Exp(c.u), f, "at the "+c.name+" limit"
			return fit, nil
		}
	}
	res, err := optimize.Minimize(prob, []float64{0}, &optimize.Settings{
		GradientThreshold: tempGradTol,
		MajorIterations:   tempMaxIter,
		FuncEvaluations:   tempMaxEval,
		Converger:         &optimize.FunctionConverge{Absolute: tempFuncTol, Iterations: 3},
	}, &optimize.BFGS{})
	if res == nil {
		return fit, fmt.Errorf("calibrate: FitTemperature: %v", err)
	}
	u := uOf(res.X[0])
	fit.T = math.Exp(u)
	fit.NLL, _ = nllGrad(math.Exp(-u))
	fit.Status = res.Status.String()
	if err != nil {
		fit.Status += ": " + err.Error()
	}
	if fit.NLL > fit.NLL1 {
		// The optimizer never does worse than its start, up to rounding;
		// keep T = 1 then.
		fit.T, fit.NLL = 1, fit.NLL1
	}
	return fit, nil
}

// ScaleTemperature writes softmax(z_i / T) of each row of the N×K logit
// matrix z into dst (which may alias z) and returns dst
// (numeric.SoftmaxTempRows); −Inf logits give probability 0, a row with a
// NaN or +Inf logit, or with every logit −Inf, becomes NaN. With z = log p it rescales probabilities. It panics on
// inconsistent shapes.
func ScaleTemperature(dst, z []float64, k int, t float64, workers int) []float64 {
	if k < 1 || len(z)%k != 0 || len(dst) != len(z) {
		panic("calibrate: shape mismatch")
	}
	// numeric's softmax, the one SoftmaxRows uses, with the temperature
	// (one softmax in the tree, 15.8).
	numeric.SoftmaxTempRows(dst, z, k, t, workers)
	return dst
}

// scaleLogTemperature writes softmax(z_i/T) of each row of z into dst and
// its logarithm into logDst (neither aliasing z), the logarithm formed in
// the log domain (numeric.LogPsiLogitsRows at γ = 0, a log-softmax), so
// that a probability that underflows keeps a finite log-likelihood.
func scaleLogTemperature(dst, logDst, z []float64, k int, t float64, workers int) {
	ScaleTemperature(dst, z, k, t, workers)
	for i, x := range z {
		logDst[i] = x / t
	}
	numeric.LogPsiLogitsRows(logDst, logDst, k, nil, 0, workers)
}

// LogRows writes log p of each entry into dst (which may alias p), with
// theory.Log so that subnormal probabilities keep their logarithm, and 0
// giving −Inf. It returns dst.
func LogRows(dst, p []float64) []float64 {
	for i, x := range p {
		dst[i] = theory.Log(x)
	}
	return dst
}
