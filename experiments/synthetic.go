package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/focaltk/focal/calibrate"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// The synthetic problem of Sec. 5.2: one feature x and K = 3 classes with
// Gaussian class-conditionals,
//
//	p(y) = π_y,  p(x | y) = N(x; μ_y, σ_y²),
//	p(x) = Σ_y π_y N(x; μ_y, σ_y²),  η_y(x) = p(y | x) = π_y N(x; μ_y, σ_y²) / p(x),
//
// with the parameters of synthClasses. The posterior's logits are quadratic
// in x (the variances differ), the middle class wins on an interval around
// 0 with a maximum posterior of about 0.8, and the outer classes approach
// certainty in the tails, so max_y η_y(x) ranges from below 1/2 to 1. The
// focal risk minimizer's top score stays above τ_uc^γ (< 1/2) there, where
// Thm 8 says q^{γ,*} is ηUC (max_y q_y^{γ,*} < max_y η_y).
var synthClasses = [synthK]struct{ prior, mean, sd float64 }{
	{0.35, -2.0, 1.0},
	{0.30, 0.0, 0.7},
	{0.35, 2.2, 1.2},
}

const synthK = 3

// synthLogJoint returns log p(x, y).
func synthLogJoint(x float64, y int) float64 {
	c := synthClasses[y]
	u := (x - c.mean) / c.sd
	return math.Log(c.prior) - math.Log(c.sd) - 0.5*math.Log(2*math.Pi) - 0.5*u*u
}

// synthPosterior writes η(x) = p(· | x) into dst (a softmax of the log
// joints, so no term underflows before normalization) and returns log p(x).
func synthPosterior(dst []float64, x float64) float64 {
	m := math.Inf(-1)
	for y := range synthK {
		dst[y] = synthLogJoint(x, y)
		m = math.Max(m, dst[y])
	}
	var s float64
	for y := range synthK {
		dst[y] = math.Exp(dst[y] - m)
		s += dst[y]
	}
	for y := range synthK {
		dst[y] /= s
	}
	return m + math.Log(s)
}

// synthSample draws n pairs (x, y): y ~ π, then x ~ N(μ_y, σ_y²).
func synthSample(rng *rand.Rand, n int) ([]float64, []int) {
	xs, ys := make([]float64, n), make([]int, n)
	for i := range n {
		u := rng.Float64()
		y := 0
		for y < synthK-1 && u >= synthClasses[y].prior {
			u -= synthClasses[y].prior
			y++
		}
		c := synthClasses[y]
		xs[i], ys[i] = c.mean+c.sd*rng.NormFloat64(), y
	}
	return xs, ys
}

// The model of the synthetic experiment is a softmax over a fixed basis of
// x: an intercept, x and x² (scaled by synthScale), and synthRBFs Gaussian
// bumps of width synthRBFWidth centred on an even grid over [synthLo,
// synthHi]. Any softmax of quadratic logits is in the model, so with γ = 0
// it contains η exactly; for γ > 0 the logits of q^{γ,*}(η(x)) are smooth
// functions of η's logits (near a vertex the top-versus-rest log-odds are
// about 1/(1+γ) times η's, since there the KKT conditions give
// 1 − max q^{γ,*} ≈ ((1 − max η)/(1+γ))^{1/(1+γ)}), which the bumps absorb
// on the bulk of p(x). This is cheaper and more reliable to fit
// than the paper's three-layer MLP (the objective is a smooth function of
// 3·(3+synthRBFs) parameters, minimized to a small gradient by L-BFGS from
// zero), and it gets close to the risk minimizer: SyntheticModel.KLToMinimizer
// measures how close.
const (
	synthLo       = -5.0
	synthHi       = 6.5
	synthRBFs     = 24
	synthRBFWidth = 0.5
	synthScale    = 3.0
	synthD        = 3 + synthRBFs
	// synthLambda is the L2 penalty of the synthetic fits: small against
	// the 1/N ≈ 2.5e-5 scale of the empirical risk's noise, enough to pin
	// down weights of bumps in the far tails where there is little data.
	synthLambda = 1e-6
)

func synthFeatures(dst []float64, x float64) {
	u := x / synthScale
	dst[0], dst[1], dst[2] = 1, u, u*u
	step := (synthHi - synthLo) / (synthRBFs - 1)
	for j := range synthRBFs {
		d := (x - (synthLo + float64(j)*step)) / synthRBFWidth
		dst[3+j] = math.Exp(-0.5 * d * d)
	}
}

func synthFeatureMatrix(xs []float64) []float64 {
	f := make([]float64, len(xs)*synthD)
	for i, x := range xs {
		synthFeatures(f[i*synthD:(i+1)*synthD], x)
	}
	return f
}

// synthConfig holds the sizes of a synthetic run (a test hook: Synthetic
// uses defaultSynthConfig).
type synthConfig struct {
	nTrain, nVal, nTest, nGrid int
	gammas                     []float64
}

var defaultSynthConfig = synthConfig{nTrain: 40000, nVal: 10000, nTest: 40000, nGrid: 461, gammas: []float64{0, 1, 5}}

// Random streams of the synthetic data: each sample set draws from its own
// PCG stream (seed, stream), so changing one size leaves the others alone.
const (
	streamTrain = 1 + iota
	streamVal
	streamTest
)

// SyntheticResult is the outcome of Synthetic.
type SyntheticResult struct {
	// Seed is the seed of the run; NTrain, NVal and NTest the sizes of the
	// training, validation (temperature) and test sets.
	Seed                uint64
	NTrain, NVal, NTest int
	// Bayes holds the scores of the true posterior η on the test set: its
	// ERR estimates the Bayes error and its ECE is the sampling noise floor
	// of the ECE at this test size.
	Bayes Scores
	// Models are the trained models, in the order CE, FL γ = 1, FL γ = 5.
	Models []SyntheticModel
	// Elapsed is the wall time of the run (not part of Markdown, which is
	// deterministic).
	Elapsed time.Duration

	grid    []float64 // x of the plot grid
	density []float64 // p(x) on the grid
	eta     []float64 // η(x) on the grid, G×K
}

// SyntheticModel is one trained model of Synthetic and its three outputs.
type SyntheticModel struct {
	// Gamma is γ of the training loss (0: cross-entropy).
	Gamma float64
	// Raw, TS and Psi score the softmax outputs q, temperature scaling
	// softmax(z/T) (T fitted by NLL on the validation set) and Ψ^γ(q) on
	// the test set.
	Raw, TS, Psi SyntheticScores
	// T is the fitted temperature and TStatus the status of its fit
	// (calibrate.TemperatureFit.Status).
	T       float64
	TStatus string
	// KLToMinimizer is the mean over test x of KL(q^{γ,*}(η(x)) ‖ q(x)),
	// the distance of the fitted raw outputs from the focal risk minimizer
	// (numeric.Exact); Thm 11 promises Ψ^γ(q) = η only when this is 0.
	KLToMinimizer float64
	// KLOfMinimizer is the mean over test x of KL(η(x) ‖ q^{γ,*}(η(x))):
	// the KL that the exact focal risk minimizer itself has without Ψ.
	KLOfMinimizer float64
	// Underconfident is the fraction of test x where the raw top score
	// max_y q_y(x) is below max_y η_y(x) (ηUC at x).
	Underconfident float64
	// Iterations, Status and GradInf describe the L-BFGS run: major
	// iterations, stopping status and ‖∇R‖_∞ at the solution.
	Iterations int
	Status     string
	GradInf    float64

	raw, ts, psi, qstar []float64 // on the plot grid, G×K
}

// SyntheticScores are the test-set scores of one output, with the mean
// KL(η(x) ‖ q(x)) over the test x.
type SyntheticScores struct {
	Scores
	KL float64
}

// Name returns "CE" for γ = 0 and "FL γ=G" otherwise.
func (m SyntheticModel) Name() string { return modelName(m.Gamma) }

func modelName(gamma float64) string {
	if gamma == 0 {
		return "CE"
	}
	return fmt.Sprintf("FL γ=%g", gamma)
}

// Synthetic runs the numerical illustration of Sec. 5.2 (Fig. 3). On a
// known 1-D, 3-class problem with Gaussian class-conditionals, priors
// π = (0.35, 0.30, 0.35), means μ = (−2, 0, 2.2) and standard deviations
// σ = (1, 0.7, 1.2) (Markdown states them too), it draws 40 000 training, 10 000
// validation and 40 000 test pairs, trains a softmax model over a basis of
// x (intercept, x, x² and 24 Gaussian bumps; L2 penalty 1e-6) by L-BFGS on
// the full-batch empirical focal risk with γ = 0 (cross-entropy), 1 and 5,
// and scores on the test set, for each model, the raw outputs q,
// temperature scaling fitted by NLL on the validation set
// (calibrate.FitTemperature) and Ψ^γ(q) (theory.Psi): error rate, mean
// KL(η(x) ‖ ·) over the test x, ECE (10 bins) and NLL.
//
// The run is deterministic for a given seed: the three fits run
// concurrently, each independent of the others, and results are stored in
// a fixed order. It returns ctx's error if ctx is done first.
func Synthetic(ctx context.Context, seed uint64) (*SyntheticResult, error) {
	return synthetic(ctx, seed, defaultSynthConfig)
}

func synthetic(ctx context.Context, seed uint64, cfg synthConfig) (*SyntheticResult, error) {
	start := time.Now()
	r := &SyntheticResult{Seed: seed, NTrain: cfg.nTrain, NVal: cfg.nVal, NTest: cfg.nTest}
	xTr, yTr := synthSample(rand.New(rand.NewPCG(seed, streamTrain)), cfg.nTrain)
	xVa, yVa := synthSample(rand.New(rand.NewPCG(seed, streamVal)), cfg.nVal)
	xTe, yTe := synthSample(rand.New(rand.NewPCG(seed, streamTest)), cfg.nTest)
	fTr, fVa, fTe := synthFeatureMatrix(xTr), synthFeatureMatrix(xVa), synthFeatureMatrix(xTe)
	etaTe := make([]float64, cfg.nTest*synthK)
	for i, x := range xTe {
		synthPosterior(etaTe[i*synthK:(i+1)*synthK], x)
	}
	r.Bayes = scoresOf(etaTe, synthK, yTe)

	r.grid = make([]float64, cfg.nGrid)
	r.density = make([]float64, cfg.nGrid)
	r.eta = make([]float64, cfg.nGrid*synthK)
	for i := range r.grid {
		x := synthLo + (synthHi-synthLo)*float64(i)/float64(cfg.nGrid-1)
		r.grid[i] = x
		r.density[i] = math.Exp(synthPosterior(r.eta[i*synthK:(i+1)*synthK], x))
	}
	fGrid := synthFeatureMatrix(r.grid)

	r.Models = make([]SyntheticModel, len(cfg.gammas))
	err := runJobs(ctx, len(cfg.gammas), func(j int) error {
		g := cfg.gammas[j]
		ft, err := train(ctx, newFocalObjective(fTr, yTr, synthK, synthD, g, synthLambda))
		if err != nil {
			return fmt.Errorf("experiments: synthetic %s: %w", modelName(g), err)
		}
		m := &r.Models[j]
		m.Gamma, m.Iterations, m.Status, m.GradInf = g, ft.iters, ft.status.String(), ft.gradInf
		zVa := ft.model.logits(make([]float64, cfg.nVal*synthK), fVa)
		zTe := ft.model.logits(make([]float64, cfg.nTest*synthK), fTe)
		out, err := postprocess(zVa, yVa, zTe, yTe, synthK, g)
		if err != nil {
			return fmt.Errorf("experiments: synthetic %s: %w", modelName(g), err)
		}
		m.T, m.TStatus = out.t, out.tStatus
		m.Raw = SyntheticScores{scoresOf(out.raw, synthK, yTe), meanKL(etaTe, out.raw, synthK)}
		m.TS = SyntheticScores{scoresOf(out.ts, synthK, yTe), meanKL(etaTe, out.ts, synthK)}
		m.Psi = SyntheticScores{scoresOf(out.psi, synthK, yTe), meanKL(etaTe, out.psi, synthK)}

		qs, err := minimizers(etaTe, synthK, g)
		if err != nil {
			return err
		}
		m.KLToMinimizer = meanKL(qs, out.raw, synthK)
		m.KLOfMinimizer = meanKL(etaTe, qs, synthK)
		uc := 0
		for i := range cfg.nTest {
			if theory.Max(out.raw[i*synthK:(i+1)*synthK]) < theory.Max(etaTe[i*synthK:(i+1)*synthK]) {
				uc++
			}
		}
		m.Underconfident = float64(uc) / float64(cfg.nTest)

		zG := ft.model.logits(make([]float64, cfg.nGrid*synthK), fGrid)
		m.raw = numeric.SoftmaxRows(make([]float64, len(zG)), zG, synthK, 1)
		m.ts = calibrate.ScaleTemperature(make([]float64, len(zG)), zG, synthK, out.t, 1)
		m.psi = numeric.PsiRows(make([]float64, len(zG)), m.raw, synthK, g, 1)
		m.qstar, err = minimizers(r.eta, synthK, g)
		return err
	})
	if err != nil {
		return nil, err
	}
	r.Elapsed = time.Since(start)
	return r, nil
}

// minimizers returns q^{γ,*}(η) for each row of the N×K matrix eta
// (numeric.Exact).
func minimizers(eta []float64, k int, gamma float64) ([]float64, error) {
	var sv numeric.ExactSolver
	q := make([]float64, len(eta))
	for i := 0; i < len(eta); i += k {
		if _, err := sv.Minimize(q[i:i+k], eta[i:i+k], gamma); err != nil {
			return nil, fmt.Errorf("experiments: minimizer of row %d: %w", i/k, err)
		}
	}
	return q, nil
}

// meanKL returns the mean over rows of KL(p_i ‖ q_i) = Σ_j p_ij log(p_ij /
// q_ij), with 0·log 0 = 0 (and +Inf where q_ij = 0 < p_ij).
func meanKL(p, q []float64, k int) float64 {
	var s float64
	for i, pi := range p {
		if pi == 0 {
			continue
		}
		s += pi * (theory.Log(pi) - theory.Log(q[i]))
	}
	return s / float64(len(p)/k)
}

// Markdown returns the results as Markdown: the problem and the model, a
// table of model × output {raw, TS, Ψ} × {ERR, KL, ECE, NLL}, and a table
// of how close each fit came to the focal risk minimizer. Numbers have
// fixed digits, so the text is identical for identical results.
func (r *SyntheticResult) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Synthetic problem (Sec. 5.2): x ∈ ℝ, K = %d classes, p(y) = π_y, p(x|y) = N(μ_y, σ_y²) with ", synthK)
	for y, c := range synthClasses {
		if y > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "(π, μ, σ)_%d = (%.2f, %.1f, %.1f)", y, c.prior, c.mean, c.sd)
	}
	fmt.Fprintf(&b, ". Samples: %d train, %d validation (temperature), %d test; seed %d.\n", r.NTrain, r.NVal, r.NTest, r.Seed)
	fmt.Fprintf(&b, "Model: softmax over (1, x/%g, (x/%g)², %d Gaussian bumps of width %g centred on an even grid over [%g, %g]), "+
		"full-batch empirical focal risk + %.0e·‖W‖²/2, L-BFGS (gonum/optimize) from W = 0. "+
		"KL is the mean of KL(η(x) ‖ q(x)) over the test x; ECE has %d equal-width bins.\n\n",
		synthScale, synthScale, synthRBFs, synthRBFWidth, synthLo, synthHi, synthLambda, ECEBins)

	b.WriteString("| model | output | ERR | KL | ECE | NLL |\n|---|---|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| true posterior η | — | %.4f | 0 | %.4f | %.4f |\n", r.Bayes.Error, r.Bayes.ECE, r.Bayes.NLL)
	for _, m := range r.Models {
		row := func(model, output string, s SyntheticScores) {
			fmt.Fprintf(&b, "| %s | %s | %.4f | %.4f | %.4f | %.4f |\n", model, output, s.Error, s.KL, s.ECE, s.NLL)
		}
		row(m.Name(), "raw q", m.Raw)
		row("", fmt.Sprintf("TS (T = %.3f)", m.T), m.TS)
		row("", fmt.Sprintf("Ψ^%g(q)", m.Gamma), m.Psi)
	}
	b.WriteString("\nFit of each model to the focal risk minimizer q^{γ,*}(η(x)) (numeric.Exact), on the test x:\n\n")
	b.WriteString("| model | KL(q^{γ,*} ‖ q) | KL(η ‖ q^{γ,*}) | fraction with max q < max η | L-BFGS iterations | ‖∇R‖∞ | status |\n|---|---:|---:|---:|---:|---:|---|\n")
	for _, m := range r.Models {
		fmt.Fprintf(&b, "| %s | %.5f | %.4f | %.3f | %d | %.1e | %s |\n", m.Name(), m.KLToMinimizer, m.KLOfMinimizer, m.Underconfident, m.Iterations, m.GradInf, m.Status)
	}
	return b.String()
}

// Summary returns facts computed from the numbers, one per line: whether
// the three outputs of each model have the same error, and for each focal
// model how KL and ECE change under TS and under Ψ.
func (r *SyntheticResult) Summary() string {
	var b strings.Builder
	same := 0
	for _, m := range r.Models {
		if m.Raw.Error == m.Psi.Error && m.Raw.Error == m.TS.Error {
			same++
		}
	}
	fmt.Fprintf(&b, "Raw, TS and Ψ outputs have the same test error in %d of %d models (Bayes error estimate %.4f).\n", same, len(r.Models), r.Bayes.Error)
	for _, m := range r.Models {
		if m.Gamma == 0 {
			fmt.Fprintf(&b, "%s: KL %.4f, ECE %.4f (ECE of the true posterior on the same test set: %.4f).\n", m.Name(), m.Raw.KL, m.Raw.ECE, r.Bayes.ECE)
			continue
		}
		fmt.Fprintf(&b, "%s: KL raw %.4f → TS %.4f → Ψ %.4f; ECE raw %.4f → TS %.4f → Ψ %.4f; raw top score below max η at %.1f%% of test x.\n",
			m.Name(), m.Raw.KL, m.TS.KL, m.Psi.KL, m.Raw.ECE, m.TS.ECE, m.Psi.ECE, 100*m.Underconfident)
	}
	return b.String()
}
