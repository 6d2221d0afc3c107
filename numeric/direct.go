package numeric

import (
	"math"

	"github.com/focaltk/focal/theory"
)

// DirectMethod selects the gonum/optimize method that Direct runs.
type DirectMethod int

const (
	// DirectAuto runs optimize.BFGS on groups of at most directBFGSMaxDim
	// variables and optimize.LBFGS on larger ones.
	DirectAuto DirectMethod = iota
	// DirectBFGS runs optimize.BFGS (dense, O(K²) work per iteration).
	DirectBFGS
	// DirectLBFGS runs optimize.LBFGS.
	DirectLBFGS
	// DirectNelderMead runs optimize.NelderMead, in the same groups and
	// sweeps, without the gradient: a cross-check of the gradient methods
	// for small K, accurate to about DirectNelderMeadTol (see Direct).
	DirectNelderMead
)

// DirectSettings configures Direct; the zero value, or a nil pointer, is a
// sensible default.
type DirectSettings struct {
	// MaxIter caps the major iterations, summed over all optimize runs;
	// 0 means 1000 + 10·K for the gradient methods and 2000·K for
	// Nelder–Mead.
	MaxIter int
	// GradTol is the target for Result.Residual (see Direct); 0 means
	// DefaultDirectGradTol, or DirectNelderMeadTol for DirectNelderMead.
	GradTol float64
	// Method selects the optimization method; the zero value is DirectAuto.
	Method DirectMethod
}

const (
	// DefaultDirectGradTol is the default GradTol of the gradient methods:
	// 1e-12 is about 5000 ulps of relative spread of ∂W/∂q, above the
	// rounding of the gradient itself (a few ulps of |log q_i| +
	// γ·|log(1−q_i)|, up to ~1e-13 for entries near 1e-300 or γ = 100),
	// and gives a relative error of Q near 1e-12.
	DefaultDirectGradTol = 1e-12
	// DirectNelderMeadTol is the default GradTol of DirectNelderMead:
	// without the gradient, q is determined only to about the square root
	// of the resolution of W's values near the minimum.
	DirectNelderMeadTol = 1e-6
	// DirectAcceptFactor: a result whose Residual is within this factor of
	// GradTol is still Converged. It covers the rounding of Q from the
	// optimizer's z and runs that stall (the line search finds no lower W)
	// just short of GradTol; the relative error of Q is then still at most
	// about 2·DirectAcceptFactor·GradTol = 2e-10 by default.
	DirectAcceptFactor = 100
	// DirectTol bounds the componentwise relative error |Q_i − q*_i| / q*_i
	// of a Converged Direct result with default settings against the exact
	// minimizer q*, over the positive entries of η, when they are all
	// normal float64 numbers (≥ 2^−1022). A Converged result has Residual
	// ≤ DirectAcceptFactor·DefaultDirectGradTol = 1e-10, so an error of at
	// most about 2e-10; DirectTol adds a factor 5. The largest error
	// measured was 100× smaller still (docs/numerics.md). DirectAccuracy extends
	// the bound to subnormal entries.
	DirectTol = 1e-9

	// directBFGSMaxDim is the largest group for which DirectAuto uses
	// dense BFGS.
	directBFGSMaxDim = 200
	// directGroupSpan: entries whose curvature estimates (see direct_solve.go)
	// differ by more than this factor are optimized in different groups.
	// Within a group a unit step moves no z_i by more than √directGroupSpan,
	// and the rounding of the largest terms of W and of its gradient stays
	// below the changes due to the smallest.
	directGroupSpan = 1e4
	// directMaxRuns bounds the optimize runs per group per sweep: a run
	// that stalls is restarted from its best point with a new reference
	// point, scaling and Hessian approximation.
	directMaxRuns = 6
	// directMaxSweeps bounds the sweeps over the groups; directStaleSweeps
	// stops them after that many sweeps without halving the residual.
	directMaxSweeps   = 30
	directStaleSweeps = 3
	// directMaxLineEvals bounds the evaluations of W and of its gradient
	// between two major iterations. A line search (gonum's Bisection:
	// doubling, then bisection, two evaluations per trial step) that needs
	// more has changed its step by a factor 2^100 and will not make
	// progress; without the bound it would go on to ~1000 halvings.
	directMaxLineEvals = 200
	// directAggMax: below |Δ log q| = directAggMax/(1+γ) on the fixed
	// positions, logRatio sums them by Taylor expansion (second order for
	// W, first for λ): the remainders, ~(γ|Δ|)³ and ~(γ|Δ|)² relative, are
	// below 1e-24 and far below the rounding.
	directAggMax = 1e-12
	// directRebase: a run that has moved so far from its reference point
	// that W is evaluated anew (log W changed by more than log 1.5) is
	// restarted from its current point once the residual is below this;
	// evaluated anew, W resolves relative steps of only √(ε |log W|).
	directRebase = 1e-3
	// directNelderMeadStall: a Nelder–Mead run stops after this many major
	// iterations per variable without a lower W.
	directNelderMeadStall = 20
)

// Direct returns the minimizer of the pointwise focal risk
//
//	W(q; η) = −Σ_i η_i (1−q_i)^γ log q_i   (Eq. 7, theory.Risk)
//
// over the probability simplex, found by minimizing W itself with
// gonum.org/v1/gonum/optimize on a softmax parametrization of the support
// (direct_problem.go, direct_solve.go). It never uses h^γ, φ^γ, Ψ^γ or the
// KKT closed form q* = (Ψ^γ)^{−1}(η), so it is an independent "argmin"
// against which Thm 11 (Ψ^γ(argmin W) = η) and Exact can be checked; it is
// orders of magnitude slower than Exact, a check rather than a production
// path. A nil s means the default settings. It is safe for concurrent use.
//
// Special cases are:
//
//	Direct(η, γ, s) = *InputError if ValidateEta(η, γ) fails
//	Direct(e_y, γ, s) = e_y, Iterations 0   (one positive entry: a vertex)
//
// and Q_i = 0 exactly where η_i = 0.
//
// Result. Risk is theory.Risk(Q, η, γ) exactly. Iterations is the total of
// optimize's major iterations over its runs, counting each run's start (a
// start at the minimum, γ = 0 or η ∈ S^K, reports 1). Residual is the
// relative KKT residual at Q
//
//	max_{i: η_i>0} |g_i/λ − 1|,   g_i = ∂W/∂q_i,   λ = Σ_l q_l g_l,
//
// the relative spread of the gradient over the support, 0 exactly at the
// minimizer, over the entries where Q_i is a normal float64 number. Status
// is Converged if Residual ≤ DirectAcceptFactor·GradTol (at Q and at the
// optimizer's own point), IterationLimit if MaxIter ran out first, and
// Failed otherwise (the optimizer stalled above that, or met a non-finite
// value); non-convergence is never a panic or an error.
//
// Accuracy: the componentwise relative error of Q is about Residual; a
// Converged result with default settings is within DirectAccuracy(η, γ)
// (DirectTol = 1e-9, plus the rounding of subnormal entries) of the exact
// minimizer, for every γ. Entries below about 1e-300 are not resolved
// (their terms in W are below the rounding of the others) and often make
// Status Failed; very large γ (10^4) may exhaust MaxIter; DirectNelderMead
// sees only values of W and is accurate to about DirectNelderMeadTol.
func Direct(eta []float64, gamma float64, s *DirectSettings) (Result, error) {
	if err := ValidateEta(eta, gamma); err != nil {
		return Result{}, err
	}
	var set DirectSettings
	if s != nil {
		set = *s
	}
	if !(set.GradTol > 0) {
		set.GradTol = DefaultDirectGradTol
		if set.Method == DirectNelderMead {
			set.GradTol = DirectNelderMeadTol
		}
	}
	q := make([]float64, len(eta))
	var supp []int
	for i, e := range eta {
		if e > 0 {
			supp = append(supp, i)
		}
	}
	if len(supp) == 1 {
		q[supp[0]] = 1
		return Result{Q: q, Risk: theory.Risk(q, eta, gamma), Status: Converged}, nil
	}
	if set.MaxIter <= 0 {
		if set.Method == DirectNelderMead {
			set.MaxIter = 2000 * len(supp)
		} else {
			set.MaxIter = 1000 + 10*len(supp)
		}
	}
	p := newDirectProblem(eta, supp, gamma)
	status := p.solve(&set)
	// The residual at the optimizer's z, all entries at full precision.
	p.logs(p.z)
	p.terms()
	zres := p.residual(p.all())
	p.fillQ(q)
	res := Result{Q: q, Risk: theory.Risk(q, eta, gamma), Iterations: p.iters, Status: status}
	res.Residual = p.residualOfQ(q)
	accept := DirectAcceptFactor * set.GradTol
	if status == Converged && !(res.Residual <= accept && zres <= accept) {
		res.Status = Failed
	}
	return res, nil
}

// DirectAccuracy returns the bound that a Converged Direct result with
// default settings meets on the componentwise relative error
// |Q_i − q*_i| / q*_i against the exact minimizer q*, over the entries with
// η_i > 0: DirectTol, plus 2^−1074/η_min when the smallest positive entry
// η_min is subnormal, for the rounding of a subnormal Q_i (the small
// entries of q* are about η_i/|λ| ≥ η_i, since |λ| = Σ_l η_l φ(q_l) ≤ 1).
// It does not depend on γ: the error measured up to γ = 1000 was the same
// as at γ = 1 (docs/numerics.md). It returns NaN for invalid input (see
// ValidateEta).
func DirectAccuracy(eta []float64, gamma float64) float64 {
	if ValidateEta(eta, gamma) != nil {
		return math.NaN()
	}
	acc := float64(DirectTol)
	etaMin := math.Inf(1)
	for _, e := range eta {
		if e > 0 && e < etaMin {
			etaMin = e
		}
	}
	if etaMin < 0x1p-1022 {
		acc += 0x1p-1074 / etaMin
	}
	return acc
}
