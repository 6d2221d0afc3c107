package numeric

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/optimize"

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
	// measured was 100× smaller still (see Direct). DirectAccuracy extends
	// the bound to subnormal entries.
	DirectTol = 1e-9

	// directBFGSMaxDim is the largest group for which DirectAuto uses
	// dense BFGS.
	directBFGSMaxDim = 200
	// directGroupSpan: entries whose curvature estimates (see Direct)
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
// gonum.org/v1/gonum/optimize. It never uses h^γ, φ^γ, Ψ^γ or the KKT closed
// form q* = (Ψ^γ)^{−1}(η), so it is an independent "argmin" against which
// Thm 11 (Ψ^γ(argmin W) = η) and Exact can be checked. It is 100–1000×
// slower than Exact: a check, not a production path.
//
// Parametrization. On the support P = {i : η_i > 0}, q is the softmax of
// z ∈ R^P, q_i = exp(z_i)/Σ_{l∈P} exp(z_l), and q_i = 0 off P (W is +Inf if
// q_i = 0 for some i ∈ P, and entries off P do not enter W, so nothing is
// lost). The softmax is evaluated stably, log q_i = z_i − logsumexp(z), and
// 1 − q_i of the largest entry is the sum of the others, so that q_i close
// to 1 and entries down to 1e-300 keep their relative accuracy. The start
// is z = log η (q = η, the γ = 0 solution). The shift invariance is removed
// by fixing the largest entry's z when its q exceeds 1/2; otherwise every
// z_i is a variable and the one redundant direction (adding a constant to
// z) is flat, with zero gradient. Fixing a coordinate in that case would
// leave a direction of relative curvature q_max (condition number
// 1/q_max), which at K = 1000 made the runs 50× slower and 100× less
// accurate.
//
// Objective and gradient. A run from a reference point z₀ minimizes
// f = log(W(z)/W(z₀)), scaled; log W because W spans hundreds of orders of
// magnitude across γ and η. Near z₀, W(z)/W(z₀) − 1 is summed term by term
// from the changes of log q_i and log(1−q_i), with expm1 and log1p, so its
// rounding error is relative to the change of W, not to W: W's values
// resolve steps down to the rounding of z, where a plain evaluation of W
// would resolve q only to √ε ≈ 1e-8 (W(q*+δ) − W(q*) ~ δ²). A run that has
// moved far from z₀ (W changed by more than a factor 1.5) is restarted from
// its current point once close to the minimum. The analytic gradient
// follows by the chain rule through the softmax,
//
//	∂W/∂z_i = q_i (g_i − λ),  g_i = ∂W/∂q_i = η_i [γ(1−q_i)^{γ−1} log q_i − (1−q_i)^γ/q_i],
//	λ = Σ_l q_l g_l.
//
// Method. Each variable is scaled by the square root of the curvature
// estimate (|q_i g_i| + q_i|λ|)/W, so that the Hessian is of order 1 in
// every coordinate, tiny entries included. Entries whose estimates differ
// by more than directGroupSpan cannot share a run (the small ones' effect
// on W and on the gradient pairs of BFGS would drown in the rounding of the
// large ones'), so the support is split into groups by estimate, and the
// groups are minimized in turn, largest first, each with the others held
// fixed (block coordinate descent), in sweeps that regroup at the current
// point, until Residual ≤ GradTol everywhere. During a run over a small
// group, the fixed entries, which all move by the same Δ log q, enter W
// and λ through a Taylor expansion whose remainder is below the rounding,
// so that the run costs O(group), not O(K), per evaluation. Each group is
// minimized by optimize.BFGS (optimize.LBFGS above directBFGSMaxDim
// variables) with gonum's gradient stopping rule disabled and Residual ≤
// GradTol as the convergence test; a run whose line search stalls is
// restarted from its best point with a fresh scaling and Hessian
// approximation. Usually there is one group and one to three runs.
//
// Result. Q is the minimizer: Q_i = 0 exactly where η_i = 0, and a single
// positive entry gives that vertex with 0 iterations. Risk is
// theory.Risk(Q, eta, gamma) exactly. Iterations is the total of optimize's
// Stats.MajorIterations over the runs, which counts each run's starting
// point: a start at the minimum (γ = 0, or η ∈ S^K) reports 1, showing that
// the optimizer ran and checked it. Residual is the relative KKT residual
//
//	max_{i∈P} |g_i/λ − 1| = max_{i∈P} |∂W/∂z_i| / (q_i |λ|),
//
// the relative spread of the q-gradient over the support, which is 0
// exactly at the minimizer. It is computed from Q, with 1 − Q_max taken as
// the sum of the other entries when Q_max > 1/2, over the entries where
// Q_i is a normal float64 number (a subnormal Q_i is rounded by up to
// 2^−1075/Q_i relative). The componentwise relative error of Q is about
// Residual (log q_i moves by the change of log g_i divided by
// |d log g_i/d log q_i|, which is about 1 or more; measured: within a
// factor 2, plus ~1e-13). Status is Converged if Residual ≤
// DirectAcceptFactor·GradTol, and so is the same residual at the
// optimizer's z over all entries; IterationLimit if MaxIter ran out first;
// Failed otherwise (the optimizer stalled above that, or met a non-finite
// value). Non-convergence is never a panic or an error.
//
// Accuracy, measured against Exact (TestDirectAgainstExact, and the
// per-regime table printed with FOCAL_DIRECT_MEASURE=1; docs/numerics.md)
// over Dirichlet η with concentrations 0.01 to 100, log-uniform entries
// down to 1e-300, near-one-hot η (1 − ε, with ε down to 1e-300) and ties,
// for K from 2 to 1000 and γ from 1e-6 to 100 (spot checks to γ = 1000):
// every result was Converged, with Residual ≤ 1.7e-12, and the
// componentwise relative difference from Exact was at most 1.6e-12
// (typically 1e-13 to 1e-12, close to Residual), in every regime but one:
// Dirichlet η with large concentrations (near-uniform) at K = 1000 and
// γ ≥ 10, where it reached 2e-11 because of Exact's own error (there
// Ψ^γ(Q) = η holds to 7e-13 for Direct's Q; that measurement predates a fix
// of Exact's near-uniform accuracy, which now holds to a few ulps). DirectTol and DirectAccuracy state the contract, with margin.
// What degrades is:
//   - the cost, with the spread of η: entries spread over hundreds of
//     orders of magnitude need one group per ~4 decades of curvature and
//     several sweeps (K = 1000 with log-uniform entries: ~700 iterations,
//     ~0.1–0.2 s; Dirichlet(1): ~20 iterations and ~1 ms at K = 10, ~5 ms
//     at K = 100, ~60 ms at K = 1000);
//   - entries below 1e-300, and subnormal ones (below 2^−1022 ≈ 2.2e-308)
//     above all: their terms in W are at or below the rounding of the
//     others, so the optimizer cannot resolve them, and Status is often
//     Failed (Q is then only as good as its start, q = η, for those
//     entries); a subnormal entry's rounding alone is 2^−1075 absolute
//     (DirectAccuracy adds it);
//   - very large γ (measured: γ = 1e4, K = 100): the runs may hit MaxIter;
//   - DirectNelderMead, which sees only values of W: relative error ~1e-6
//     when Converged, and it stalls (Failed) more often.
//
// Direct returns an *InputError, naming the offending entry, for invalid η
// or γ (ValidateEta). It is safe for concurrent use.
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
// as at γ = 1 (see Direct). It returns NaN for invalid input (see
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

// directProblem holds the softmax parametrization of the support of η and
// the state of the optimization (see Direct). Positions k index the support.
type directProblem struct {
	gamma float64
	idx   []int     // position -> index into η
	leta  []float64 // log η
	ref   int       // a largest η; z[ref] is re-anchored to 0 after each run
	z     []float64 // current point
	iters int       // major iterations so far

	// At the last evaluated point (logs, or logRatio):
	lq, l1mq, la []float64 // log q, log(1−q), log|q ∂W/∂q|

	// The current run (setup).
	free   []int     // positions that are variables of the run
	scale  []float64 // x_j = (z − z0)[free[j]] · scale[j]
	fscale float64   // f = fscale · log(W/W(z0))
	z0     []float64
	m0     int       // largest entry at z0
	lq0    []float64 // log q at z0
	l1mq0  []float64 // log(1−q) at z0
	r0     []float64 // q0/(1−q0)
	c0     []float64 // η (1−q0)^γ / W(z0)
	lw0    float64   // log W(z0)
	q0     []float64 // q at z0
	evals  int       // evaluations since the last major iteration

	// Aggregate treatment of the set A of fixed positions other than m0
	// (see logRatio).
	inA            []bool
	act, allPos    []int   // the other positions; all positions
	qA             float64 // Σ_A q0
	t1, t2, e0, e1 float64 // Taylor coefficients (setup)
	agg            bool    // the last evaluation was in aggregate
	far            bool    // the last evaluation evaluated W anew
	dA             float64 // Δ log q on A at the last evaluation

	// Scratch and the cache of logRatio.
	dz, dlq []float64 // Δz, Δ log q
	res     []float64 // residuals at the start of a sweep (groups)
	lastX   []float64
	lastF   float64 // log(W/W(z0)) at lastX
	lastOK  bool
}

func newDirectProblem(eta []float64, supp []int, gamma float64) *directProblem {
	np := len(supp)
	buf := make([]float64, 17*np)
	next := func() []float64 {
		s := buf[:np:np]
		buf = buf[np:]
		return s
	}
	p := &directProblem{gamma: gamma, idx: supp}
	p.leta, p.z, p.lq, p.l1mq, p.la = next(), next(), next(), next(), next()
	p.z0, p.lq0, p.l1mq0, p.r0, p.c0 = next(), next(), next(), next(), next()
	p.dz, p.dlq, p.scale, p.lastX = next(), next(), next(), next()
	p.q0, p.res = next(), next()
	p.inA = make([]bool, np)
	p.allPos = p.all()
	for k, i := range supp {
		p.leta[k] = logSub(eta[i])
		if eta[i] > eta[supp[p.ref]] {
			p.ref = k
		}
	}
	for k := range p.z {
		p.z[k] = p.leta[k] - p.leta[p.ref]
	}
	p.z[p.ref] = 0
	return p
}

// logs fills p.lq and p.l1mq from z by a stable softmax: log q = z −
// logsumexp(z), and 1 − q of the largest entry is the sum of the others.
func (p *directProblem) logs(z []float64) {
	pm := 0
	for k, zk := range z {
		if zk > z[pm] {
			pm = k
		}
	}
	m2 := math.Inf(-1)
	for k, zk := range z {
		if k != pm && zk > m2 {
			m2 = zk
		}
	}
	var s float64
	for k, zk := range z {
		if k != pm {
			s += math.Exp(zk - m2)
		}
	}
	lSo := (m2 - z[pm]) + math.Log(s) // log Σ_{k≠pm} q_k/q_pm
	logS := math.Log1p(math.Exp(lSo)) // −log q_pm
	for k, zk := range z {
		if k == pm {
			p.lq[k] = -logS
			p.l1mq[k] = lSo - logS
			continue
		}
		p.lq[k] = (zk - z[pm]) - logS
		p.l1mq[k] = math.Log1p(-math.Exp(p.lq[k]))
	}
}

// terms fills p.la from p.lq and p.l1mq (all positions):
// log|q ∂W/∂q| = log(η (1−q)^γ (1 + γρ)), ρ = q (−log q)/(1−q).
func (p *directProblem) terms() {
	p.agg = false
	p.termsAt(p.allPos)
}

// termsAt is terms at the positions pos.
func (p *directProblem) termsAt(pos []int) {
	g := p.gamma
	for _, k := range pos {
		lq := p.lq[k]
		var pw float64
		if g != 0 {
			pw = g * p.l1mq[k]
		}
		rho := math.Exp(lq - p.l1mq[k] + logSub(-lq))
		p.la[k] = p.leta[k] + pw + math.Log1p(g*rho)
	}
}

// logW returns log W = log Σ η (1−q)^γ (−log q) from p.lq and p.l1mq.
func (p *directProblem) logW() float64 {
	g := p.gamma
	t := func(k int) float64 {
		var pw float64
		if g != 0 {
			pw = g * p.l1mq[k]
		}
		return p.leta[k] + pw + logSub(-p.lq[k])
	}
	m := math.Inf(-1)
	for k := range p.lq {
		m = math.Max(m, t(k))
	}
	var s float64
	for k := range p.lq {
		s += math.Exp(t(k) - m)
	}
	return m + math.Log(s)
}

// logLambda returns log|λ| = log Σ |q ∂W/∂q| from p.la.
func (p *directProblem) logLambda() float64 {
	m := math.Inf(-1)
	for _, v := range p.la {
		m = math.Max(m, v)
	}
	var s float64
	for _, v := range p.la {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// residual returns max_k |g_k/λ − 1| over the positions in sel, from p.lq
// and p.la; g_k/λ = |q_k g_k| / (q_k |λ|) (every q_k g_k is negative).
func (p *directProblem) residual(sel []int) float64 {
	llam := p.logLam()
	var r float64
	for _, k := range sel {
		d := math.Abs(math.Expm1(p.la[k] - p.lq[k] - llam))
		if !(d <= r) { // NaN propagates
			r = d
		}
	}
	return r
}

// all returns the positions 0, …, n−1.
func (p *directProblem) all() []int {
	a := make([]int, len(p.z))
	for k := range a {
		a[k] = k
	}
	return a
}

// residualOfQ returns Residual computed from the float64 vector q, with
// 1 − q_max taken as the sum of the other entries when q_max > 1/2, over
// the entries where q is a normal float64 number (a subnormal q_i carries
// a relative rounding error up to 2^−1075/q_i, which would dominate).
func (p *directProblem) residualOfQ(q []float64) float64 {
	pm := 0
	for k, i := range p.idx {
		if q[i] > q[p.idx[pm]] {
			pm = k
		}
	}
	var so float64
	sel := make([]int, 0, len(p.idx))
	for k, i := range p.idx {
		p.lq[k] = logSub(q[i])
		p.l1mq[k] = math.Log1p(-q[i])
		if k != pm {
			so += q[i]
		}
		if q[i] >= 0x1p-1022 {
			sel = append(sel, k)
		}
	}
	if q[p.idx[pm]] > 0.5 {
		p.l1mq[pm] = logSub(so)
		p.lq[pm] = math.Log1p(-so)
	}
	p.terms()
	return p.residual(sel)
}

// fillQ writes softmax(p.z) into q at the support indices.
func (p *directProblem) fillQ(q []float64) {
	p.logs(p.z)
	for k, i := range p.idx {
		q[i] = math.Exp(p.lq[k])
	}
}

// solve runs the sweeps (see Direct) and returns IterationLimit if MaxIter
// ran out, Converged otherwise (Direct then checks the residual).
func (p *directProblem) solve(set *DirectSettings) Status {
	best := math.Inf(1)
	stale := 0
	for sweep := 0; sweep < directMaxSweeps; sweep++ {
		groups, res := p.groups()
		r := 0.0
		for _, v := range res {
			r = math.Max(r, v)
		}
		if sweep > 0 {
			if r <= set.GradTol {
				break
			}
			if r < best/2 {
				best, stale = r, 0
			} else if stale++; stale >= directStaleSweeps {
				break
			}
		}
		for gi, g := range groups {
			// Skip a group whose residual at the start of the sweep was
			// small (the other groups' runs change it very little, and the
			// next sweep checks). The first run always happens, even from
			// the minimum.
			force := sweep == 0 && gi == 0
			gr := 0.0
			for _, k := range g {
				gr = math.Max(gr, res[k])
			}
			if gr <= set.GradTol && !force {
				continue
			}
			if p.runGroup(g, set, force) == IterationLimit {
				return IterationLimit
			}
		}
		if len(groups) == 1 {
			break // runGroup already ran to convergence or stalled
		}
	}
	return Converged
}

// groups partitions the positions by the curvature estimate at p.z,
// largest first, so that the estimates within a group differ by at most a
// factor directGroupSpan. It also returns the residual |g_k/λ − 1| of every
// position at p.z.
func (p *directProblem) groups() ([][]int, []float64) {
	p.logs(p.z)
	lw := p.logW()
	p.terms()
	llam := p.logLambda()
	res := p.res
	for k := range res {
		res[k] = math.Abs(math.Expm1(p.la[k] - p.lq[k] - llam))
		if math.IsNaN(res[k]) {
			res[k] = math.Inf(1)
		}
	}
	// An entry above 1/2 stays fixed: its q g and q λ nearly cancel in
	// ∂W/∂z, so its curvature estimate is far too large, while fixing it
	// costs only a condition number 1/q < 2 (see Direct).
	pm := -1
	for k, lq := range p.lq {
		if lq > -math.Ln2 {
			pm = k
		}
	}
	type kd struct {
		k int
		d float64
	}
	all := make([]kd, 0, len(p.z))
	for k := range p.z {
		if k != pm {
			all = append(all, kd{k, logSub(p.curvature(k, lw, llam))})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].d > all[j].d })
	span := math.Log(directGroupSpan)
	var groups [][]int
	for i := 0; i < len(all); {
		// j starts past i: a NaN curvature (from a subnormal entry) fails
		// every comparison and must still end up in a group of its own,
		// or this loop would never advance.
		j := i + 1
		for j < len(all) && all[i].d-all[j].d <= span {
			j++
		}
		g := make([]int, 0, j-i)
		for _, e := range all[i:j] {
			g = append(g, e.k)
		}
		sort.Ints(g)
		groups = append(groups, g)
		i = j
	}
	return groups, res
}

// curvature returns the diagonal curvature estimate (|q g| + q|λ|)/W of
// log W in z_k, from p.la and p.lq, with log W = lw and log|λ| = llam.
func (p *directProblem) curvature(k int, lw, llam float64) float64 {
	return math.Exp(p.la[k]-lw) + math.Exp(p.lq[k]+llam-lw)
}

// runGroup minimizes over the positions free, holding the others, until
// their residual is at most GradTol, restarting a stalled run up to
// directMaxRuns times. With force, the first run happens even if the
// residual is already small.
func (p *directProblem) runGroup(free []int, set *DirectSettings, force bool) Status {
	for run := 0; run < directMaxRuns; run++ {
		p.setup(free)
		if (!force || run > 0) && p.residual(free) <= set.GradTol {
			return Converged
		}
		it, st := p.run(free, set)
		p.iters += it
		if st == optimize.GradientThreshold {
			break
		}
		if st == optimize.IterationLimit || p.iters >= set.MaxIter {
			return IterationLimit
		}
		if it <= 1 {
			break // no progress from here
		}
	}
	return Converged
}

// run minimizes f over the positions free from p.z with the others held,
// after setup(free), and leaves p.z at the best point found. It returns the
// major iterations and the optimize status.
func (p *directProblem) run(free []int, set *DirectSettings) (int, optimize.Status) {
	n := len(free)
	prob := optimize.Problem{
		Func: p.evalRun,
		Grad: p.grad,
		Status: func() (optimize.Status, error) {
			if p.evals++; p.evals > directMaxLineEvals {
				return optimize.Failure, nil
			}
			return optimize.NotTerminated, nil
		},
	}
	conv := &directConverger{p: p, tol: set.GradTol}
	settings := &optimize.Settings{
		MajorIterations: set.MaxIter - p.iters,
		Converger:       conv,
	}
	var m optimize.Method
	switch {
	case set.Method == DirectNelderMead:
		m = &optimize.NelderMead{}
		prob.Grad, prob.Status = nil, nil
		conv.stall = directNelderMeadStall * n
	case set.Method == DirectLBFGS || (set.Method == DirectAuto && n > directBFGSMaxDim):
		m = &optimize.LBFGS{GradStopThreshold: math.NaN()}
	default:
		m = &optimize.BFGS{GradStopThreshold: math.NaN()}
	}
	// A stalled line search returns an error; the residual tells.
	res, _ := optimize.Minimize(prob, make([]float64, n), settings, m)
	if res == nil {
		return 0, optimize.Failure
	}
	if !math.IsNaN(res.F) && !math.IsInf(res.F, 0) && res.F <= 0 {
		for j, k := range free {
			p.z[k] = p.z0[k] + res.X[j]/p.scale[j]
		}
		zr := p.z[p.ref]
		for k := range p.z {
			p.z[k] -= zr
		}
	}
	return res.MajorIterations, res.Status
}

// directConverger stops a run when the residual over its variables is at
// most tol at a major iteration; with stall > 0 (Nelder–Mead), also when
// the best f has not decreased for stall major iterations.
type directConverger struct {
	p     *directProblem
	tol   float64
	stall int

	best float64
	iter int
}

func (c *directConverger) Init(int) { c.best, c.iter = math.Inf(1), 0 }

func (c *directConverger) Converged(loc *optimize.Location) optimize.Status {
	c.p.evals = 0
	c.p.logRatio(loc.X)
	r := c.p.residual(c.p.free)
	switch {
	case r <= c.tol:
		return optimize.GradientThreshold
	case c.p.far && r <= directRebase:
		// Close to the minimum but far from z0, where W's values no
		// longer resolve the remaining steps: restart from here.
		return optimize.FunctionConvergence
	}
	if c.stall > 0 {
		if loc.F < c.best {
			c.best, c.iter = loc.F, 0
		} else if c.iter++; c.iter >= c.stall {
			return optimize.FunctionConvergence
		}
	}
	return optimize.NotTerminated
}

// setup makes p.z the reference point z0 of a run over the positions free,
// and scales the variables: each by the square root of its curvature
// estimate, and f so that the largest is 1. A unit step then moves no z_k
// by more than √directGroupSpan. It also sums, over the fixed positions
// other than the largest entry m0 (the set A), what logRatio needs to
// treat them in aggregate.
func (p *directProblem) setup(free []int) {
	p.free = free
	copy(p.z0, p.z)
	p.logs(p.z0)
	p.lw0 = p.logW()
	p.terms()
	llam := p.logLambda()
	copy(p.lq0, p.lq)
	copy(p.l1mq0, p.l1mq)
	p.m0 = 0
	g := p.gamma
	for k := range p.z0 {
		if p.lq0[k] > p.lq0[p.m0] {
			p.m0 = k
		}
		p.q0[k] = math.Exp(p.lq0[k])
		p.r0[k] = math.Exp(p.lq0[k] - p.l1mq0[k])
		var pw float64
		if g != 0 {
			pw = g * p.l1mq0[k]
		}
		p.c0[k] = math.Exp(p.leta[k] + pw - p.lw0)
		p.inA[k] = true
	}
	p.act = append(p.act[:0], free...)
	for _, k := range free {
		p.inA[k] = false
	}
	if p.inA[p.m0] {
		p.inA[p.m0] = false
		p.act = append(p.act, p.m0)
	}
	// For k in A, Δ log q_k = δ_A, one number, and the term of W(z)/W(z0)
	// is T_k(δ_A) = c0_k[((1−q_k)^γ/(1−q0_k)^γ − 1)(−log q_k) − δ_A], whose
	// Taylor coefficients at 0 (r0 = q0/(1−q0), L0 = −log q0) are
	//	T' = c0 (−γ r0 L0 − 1),  T'' = c0 ((γ² r0² − γ r0 (1 + r0)) L0 + 2γ r0);
	// |q_k g_k|/W(z0) = e_k = exp(la0_k − lw0) has d log e_k/dδ =
	// −γ r0 + γρ0/(1+γρ0) · (1 + r0 + 1/log q0), ρ0 = q0 L0/(1−q0).
	p.qA, p.t1, p.t2, p.e0, p.e1 = 0, 0, 0, 0, 0
	for k := range p.z0 {
		if !p.inA[k] {
			continue
		}
		r0, l0, c := p.r0[k], -p.lq0[k], p.c0[k]
		p.qA += p.q0[k]
		p.t1 += c * (-g*r0*l0 - 1)
		p.t2 += c * ((g*g*r0*r0-g*r0*(1+r0))*l0 + 2*g*r0)
		e := math.Exp(p.la[k] - p.lw0)
		rho := r0 * l0
		p.e0 += e
		p.e1 += e * (-g*r0 + g*rho/(1+g*rho)*(1+r0-1/l0))
	}
	p.scale = p.scale[:len(free)]
	dmax := 0.0
	for j, k := range free {
		d := p.curvature(k, p.lw0, llam)
		if !(d > 0) || math.IsInf(d, 0) {
			d = 1
		}
		p.scale[j] = d
		dmax = math.Max(dmax, d)
	}
	for j := range p.scale {
		p.scale[j] = math.Sqrt(p.scale[j] / dmax)
	}
	p.fscale = 1 / math.Max(dmax, 1e-300) // finite even for subnormal entries
	p.evals = 0
	p.lastOK = false
}

// evalRun returns f(x) = fscale · log(W(z)/W(z0)), z = z0 + Δz with
// Δz_{free[j]} = x_j/scale_j and 0 elsewhere.
func (p *directProblem) evalRun(x []float64) float64 {
	return p.fscale * p.logRatio(x)
}

// grad writes ∂f/∂x into dst.
func (p *directProblem) grad(dst, x []float64) {
	lw := p.lw0 + p.logRatio(x)
	// A_k = q_k g_k / W = −exp(la_k − lw); Λ = Σ A_k = λ/W.
	lam := -math.Exp(p.logLam() - lw)
	for j, k := range p.free {
		gz := -math.Exp(p.la[k]-lw) - math.Exp(p.lq[k])*lam
		dst[j] = p.fscale * gz / p.scale[j]
	}
}

// logLam returns log|λ| at the last evaluation, including the positions
// in A in aggregate after an aggregate evaluation.
func (p *directProblem) logLam() float64 {
	if !p.agg {
		return p.logLambda()
	}
	eA := p.e0 + p.e1*p.dA // Σ_A |q g| / W(z0)
	m := logSub(eA)
	for _, k := range p.act {
		m = math.Max(m, p.la[k]-p.lw0)
	}
	s := eA * math.Exp(-m)
	for _, k := range p.act {
		s += math.Exp(p.la[k] - p.lw0 - m)
	}
	return p.lw0 + m + math.Log(s)
}

// logRatio returns log(W(z)/W(z0)) at x (see evalRun), or +Inf where it
// cannot be evaluated, and leaves p.lq, p.l1mq and p.la at z: on all
// positions, or, after an aggregate evaluation (p.agg), on p.act only.
//
// W(z)/W(z0) − 1 = Σ_k c0_k [((1−q_k)^γ/(1−q0_k)^γ − 1)(−log q_k) − Δ log q_k]
// is formed from Δ log q_k and Δ log(1−q_k) by expm1 and log1p, so that its
// rounding error is relative to the change of W, not to W. Far from z0,
// where W changes by more than a factor 1.5 and this accuracy is not
// needed, W(z) is evaluated anew.
//
// The positions in A (fixed, other than m0) all have Δ log q = δ_A =
// −log(S/S0). When |δ_A| ≤ directAggMax/(1+γ), their terms are summed by
// the second-order Taylor expansion from setup, whose remainder is below
// the rounding of the first-order term, and λ by the first-order one: a
// run over a small group then costs O(group), not O(K), per evaluation.
func (p *directProblem) logRatio(x []float64) float64 {
	if p.lastOK && equalFloats(x, p.lastX) {
		return p.lastF
	}
	p.lastX = append(p.lastX[:0], x...)
	p.lastOK = true
	f, ok := p.ratio(x, false)
	if !ok {
		f, _ = p.ratio(x, true)
	}
	p.lastF = f
	return f
}

// ratio is logRatio, in aggregate where possible unless full; ok is false
// if an aggregate evaluation found a large change of W and must be redone
// in full.
func (p *directProblem) ratio(x []float64, full bool) (f float64, ok bool) {
	m := p.m0
	dzm := 0.0
	for j, k := range p.free {
		p.dz[k] = x[j] / p.scale[j]
		if k == m {
			dzm = p.dz[k]
		}
	}
	// Δ log q_m of the largest entry at z0, whose 1 − q may be far below
	// its rounding, without cancellation: −log Σ_k q0_k e^{Δz_k − Δz_m} =
	// −log1p(Σ_{k≠m} q0_k expm1(Δz_k − Δz_m)). The others follow from it.
	var s, sAll float64 // Σ_{k≠m} q0_k expm1(d_k), Σ_{k≠m} q0_k e^{d_k}
	add := func(q0, lq0, d float64) {
		if d == 0 {
			sAll += q0
			return
		}
		e := math.Exp(lq0 + d)
		sAll += e
		if d > 1 {
			s += e - q0
		} else {
			s += q0 * math.Expm1(d)
		}
	}
	for _, k := range p.free {
		if k != m {
			add(p.q0[k], p.lq0[k], p.dz[k]-dzm)
		}
	}
	add(p.qA, logSub(p.qA), -dzm)
	var dm float64
	if s >= -0.5 {
		dm = -math.Log1p(s)
	} else {
		dm = -math.Log(p.q0[m] + sAll)
	}
	logS := dzm - dm // log(S/S0)
	if math.IsNaN(logS) || math.IsInf(logS, 0) {
		return math.Inf(1), true
	}
	dA := -logS
	p.agg = !full && len(p.act) < len(p.z) && math.Abs(dA) <= directAggMax/(1+p.gamma)
	p.dA = dA
	pos := p.act
	if !p.agg {
		pos = p.allPos
	}
	pm := -1 // an entry above 1/2, if any
	for _, k := range pos {
		dk := dA
		switch {
		case k == m:
			dk = dm
		case !p.inA[k]:
			dk = p.dz[k] - logS
		}
		p.dlq[k] = dk
		p.lq[k] = p.lq0[k] + dk
		if p.lq[k] > -math.Ln2 {
			pm = k
		}
	}
	g := p.gamma
	var r float64
	for _, k := range pos {
		dk := p.dlq[k]
		// Δ log(1−q) = log1p((q0 − q)/(1 − q0)), or, for an entry above
		// 1/2 whose 1 − q fell below half of 1 − q0, from the sum of the
		// other entries.
		eps := -math.Expm1(dk) * p.r0[k]
		var dl1 float64
		if eps >= -0.5 || k != pm {
			dl1 = math.Log1p(eps)
		} else {
			var so float64
			for _, l := range pos {
				if l != k {
					so += math.Exp(p.lq[l])
				}
			}
			if p.agg {
				so += p.qA * math.Exp(dA)
			}
			dl1 = logSub(so) - p.l1mq0[k]
		}
		p.l1mq[k] = p.l1mq0[k] + dl1
		var em float64
		if g != 0 {
			em = math.Expm1(g * dl1)
		}
		r += p.c0[k] * (em*-p.lq[k] - dk)
	}
	if p.agg {
		r += (p.t1 + p.t2*dA/2) * dA
	}
	p.far = false
	switch {
	case r > -0.5 && r < 0.5:
		f = math.Log1p(r)
	case p.agg:
		return 0, false
	default: // also where a term over- or underflowed
		f = p.logW() - p.lw0
		p.far = true
	}
	if math.IsNaN(f) {
		return math.Inf(1), true
	}
	p.termsAt(pos)
	return f, true
}

// logSub returns log x, also for subnormal x, where math.Log on amd64
// (Go 1.26) is wrong: math.Log(5e-324) = −709.09, not −744.44. Scaling by
// 2^54 is exact.
func logSub(x float64) float64 {
	if x > 0 && x < 0x1p-1022 {
		return math.Log(x*0x1p54) - 54*math.Ln2
	}
	return math.Log(x)
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
