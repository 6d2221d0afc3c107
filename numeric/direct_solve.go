package numeric

// The driver of Direct (direct.go): sweeps of block coordinate descent over
// groups of the support, each group minimized by a gonum/optimize method
// with Direct's own convergence test and restarts. It is apart from the
// problem (direct_problem.go) because it decides only what is optimized
// when, not how W is evaluated.
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

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/optimize"
)

// solve runs the sweeps (see the Method above) and returns IterationLimit if MaxIter
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
	// costs only a condition number 1/q < 2 (see the parametrization, direct_problem.go).
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
