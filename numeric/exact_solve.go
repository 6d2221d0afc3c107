package numeric

// The iteration of ExactSolver (exact.go), in its named steps: one Newton
// iteration on (log q_i, s) is products (ρ_i as logarithms of products),
// mainPass (the Jacobian's diagonal and the sums of the step), shift (the
// step's shift ds, exact in its sum far from the solution, with a
// third-order correction near it), step (every log q_i moves) and the
// stopping rule (exactStop). solve strings them together; final
// evaluates the risk and the KKT residual at the point returned. The
// portable loops each step runs are in exact_kernels.go, their vector twins
// in exact_amd64.s. (Over 500 lines: the steps read in the order the
// iteration runs them, each beside the constants its doc names.)

import (
	"math"

	"github.com/focaltk/focal/theory"
)

const (
	// defaultExactMaxIter: Newton converges in 2–14 steps from q = η on
	// every regime the tests cover; the bound only stops runaway cases.
	defaultExactMaxIter = 200
	// exactStepTol: a Newton step in log q below 4 ulps of 1 changes q by
	// less than the rounding of the update itself.
	exactStepTol = 4 * 0x1p-52
	// exactPolishTol: once every step is below 1e-8, Newton's quadratic
	// convergence puts the next iterate at the rounding level (1e-16); at
	// most exactPolishSteps more steps are taken, because at that level the
	// steps are rounding noise and need not shrink below exactStepTol.
	exactPolishTol   = 1e-8
	exactPolishSteps = 2
	// exactQuadraticTol: below this step size Newton is taken to be in its
	// quadratic regime, where the next step is predicted as C·δ² with
	// C = δ_k/δ_{k−1}², and the iteration stops once that prediction is
	// below exactPredictTol (saving the step that would only confirm it).
	// Steps of 1e-3 are already quadratic on every regime tested; the
	// estimate of C is rougher from such steps than from 1e-5 ones, which
	// exactPredictTol allows for.
	exactQuadraticTol = 0.1
	// exactPredictTol: half an ulp of 1, so that an estimate of C off by
	// a factor of 8 still leaves the error below exactStepTol.
	exactPredictTol = 0x1p-53
	// maxLogStep caps a decrease of log q_i in one step, so that a poor
	// early linearization cannot send an entry to 0 (e^-30 ≈ 1e-13).
	maxLogStep = 30.0
	// minNormal is the smallest normal float64. A subnormal q_i carries
	// fewer significant bits, so its multiplicative update can stall
	// above exactStepTol; such entries are left out of the stopping rule
	// and of Residual (their relative accuracy is that of a subnormal).
	minNormal = 0x1p-1022
	// subnormalStepTol: a subnormal entry, whose few significant bits make
	// relative accuracy beyond ~1e-6 meaningless for the entries the
	// accuracy contract excludes (< 1e-300), stops counting once its steps
	// are below this.
	subnormalStepTol = 1e-6
	// exactSubnormalSteps, exactSubnormalNoise: see exactStop.
	exactSubnormalSteps = 8
	exactSubnormalNoise = 1
	// fewBitsFloor: below 1024·2^−1074 an entry has at most 10 significant
	// bits, so its steps are noise of 1e-3 or more and are not watched.
	fewBitsFloor = 0x1p-1064
	// globalStepMin: a first-order step that moves some log q_i by more
	// than this (one e-fold) is made exact in its sum (globalShift).
	globalStepMin = 1.0
	// globalShiftSteps, globalShiftTol: Newton's iterations on the shift
	// stop once it moves by less than globalShiftTol, which only needs to
	// make the step good, not exact (the outer Newton iteration polishes);
	// G is convex and increasing, so few steps are needed and
	// globalShiftSteps only bounds a runaway.
	globalShiftSteps = 20
	globalShiftTol   = 1e-3
	// exactChebyshevMin: after a step of 1e-4 the next one is at most
	// ~1e-8 (Newton's C is below 1 on the regimes tested), whose
	// second-order terms (~1e-16 relative) are below the rounding of the
	// update; the third-order correction is skipped from there on.
	exactChebyshevMin = 1e-4
	// exactDirectMaxGamma: up to this γ the residual of a non-maximal
	// entry is formed as one logarithm of η_i φ(q_i)/q_i (see products).
	exactDirectMaxGamma = 17
	// exactLogTMin: products forms ρ_i as log t_i + s, t_i = (η_i/q_i)·φ(q_i),
	// where log t_i > exactLogTMin, so that t_i > e^−708 > 2^−1022 is a normal
	// number, formed with a relative error of a few ulps; for smaller t_i it
	// takes the factors' logarithms apart.
	exactLogTMin = -708
	// exactVecMinK: solve takes its step kernel from K = 12 entries on;
	// below, setting up and merging its lanes every iteration, and the calls
	// around the blocks it leaves to stepRange, cost more than it saves (a
	// sweep of K at γ = 2, against the scalar code: at K = 10 the other two
	// kernels make a solve 1.18× faster, all three only 1.08×; at K = 16 all
	// three 1.4×, at K = 100 2×).
	exactVecMinK = 12
)

// exactKernels selects the kernels a solve runs: Minimize takes the vector
// kernels where the CPU has them (exactVecOK); the tests run the others to
// compare the paths.
type exactKernels int

const (
	// portableKernels: the Go loops of exact_kernels.go only.
	portableKernels exactKernels = iota
	// vecExactKernels: the vector kernels whose results equal the Go
	// loops' bit for bit (the products and the step), the main pass in Go.
	vecExactKernels
	// vecKernels: every vector kernel, the main pass's too, whose sums are
	// added in another order (so the results differ in their last bits).
	vecKernels
)

// exactIter is the state of one solve: the buffers, the constants of the
// solve and the iterate (q, its logarithms x, the shift s, and a unique top
// entry m carried as its complement δ = e^y while comp).
type exactIter struct {
	eta, q, x, rho, d, a2 []float64
	m                     int
	gamma, gm1            float64
	pw                    pow1m
	// direct: form ρ_i as one logarithm of a product (γ ≤
	// exactDirectMaxGamma). φ(q_i) = (1−q_i)^{γ−1} g(q_i) ≥ 2^{−16}·g for the
	// entries below 1/2, and η_i/q_i ≈ e^{−s}φ(q_i)^{−1}, so the product
	// stays far from overflow and underflow.
	direct bool
	// vec: take the vector kernels of the products and (with vecSums) the
	// main pass (exactTVec, exactMainVec); vecStep: the step kernel
	// (exactStepVec) too, from exactVecMinK entries on.
	vec, vecSums, vecStep bool
	lanes                 *exactLanes
	steps                 *exactStepLanes
	comp                  bool
	delta, y, yMax        float64
	mq                    float64 // the largest entry other than the top one (see scale)
	s                     float64
}

// exactSums is what mainPass gathers for the step: the sums of the
// shift's equation (Σ w_i ρ_i, Σ w_i with w_i = q_i·sc/D_i, and Σ q_i·sc − sc,
// compensated), the largest |ρ_i| over the normal entries and over all, the
// largest 1/D_i, and the complemented top entry's ρ_m, D_m and second-order
// term am.
type exactSums struct {
	sumA, sumB, maxRho, rhoAll, maxInvd float64
	f                                   neumaier
	rm, dm, am                          float64
}

// solve runs the iteration from q = η, for an η that is none of
// Minimize's special cases; m is its argmax, unique whether it is the only
// largest entry, npos its number of positive entries.
//
// Method. The KKT conditions are, on the support,
//
//	ρ_i := log η_i + s − log h^γ(q_i) = 0   for one scalar s,  Σ_i q_i = 1.
//
// solve runs Newton's method on the K+1 unknowns (log q_i, s) jointly: the
// Jacobian is an arrow matrix, so each step is one O(K) pass (each log q_i
// moves by (ρ_i + Δs)/D_i with D_i = d log h/d log q at q_i, and Δs makes
// the linearized sum exact). Steps are clamped to keep non-maximal entries
// below 1/2. When the largest η_m is unique and above 1/2, its entry is
// carried as its complement δ = 1 − q_m, so that q_m close to 1
// (near-one-hot η) keeps full relative accuracy in 1 − q_m; if the
// iteration converges to q_m < 1/2 it switches to q_m itself, since 1 − δ
// would then lose digits. Each ρ_i is evaluated as log(η_i φ(q_i)/q_i) + s
// for γ ≤ 17 and as log(η_i/q_i) + s + log g(q_i) + (γ−1) log1p(−q_i)
// beyond, a sum of terms bounded by |s| + γ|log(1−q_i)|, so that entries
// down to 1e-300 are determined to a few ulps (a log η_i − log q_i form
// would lose |log q_i| ulps).
//
// Near the solution each Newton step gets a third-order (Chebyshev)
// correction from the second derivatives of the ρ_i and of the sum, an
// O(K) pass without transcendental functions; the error then falls like
// C·e³. The iteration stops when no log q_i moves by more than
// exactStepTol, or when the next step, predicted from the last two, is
// below half an ulp (exactStop). Far from the solution (a step that would
// move some log q_i by more than an e-fold) the shift of the step is chosen
// so that the stepped vector sums to 1 exactly rather than to first order
// (globalShift); without it a near-one-hot η whose top complement must
// fall by hundreds of e-folds moved one e-fold per iteration. The sums of
// the step are scaled by a power of two (scale) so that they stay normal
// numbers when every entry but the top one is tiny. Subnormal entries of η
// carry too few bits for their residuals to settle to an ulp; they are
// held to a relative step of 1e-6 (resolvable, exactStop).
func (sv *ExactSolver) solve(dst, eta []float64, gamma float64, m int, unique bool, npos int, kern exactKernels) Result {
	res := Result{Q: dst}
	k := len(eta)
	if cap(sv.buf) < 4*k {
		sv.buf = make([]float64, 4*k)
	}
	it := exactIter{
		eta: eta, q: dst, x: sv.buf[:k], rho: sv.buf[k : 2*k], d: sv.buf[2*k : 3*k], a2: sv.buf[3*k : 4*k],
		m: m, gamma: gamma, gm1: gamma - 1, pw: newPow1m(gamma - 1),
		direct: gamma <= exactDirectMaxGamma,
		vec:    kern != portableKernels, vecSums: kern == vecKernels,
		lanes: &sv.lanes, steps: &sv.steps,
	}
	it.vecStep = it.vec && k >= exactVecMinK

	// Start from q = η (the γ = 0 solution).
	copy(dst, eta)
	theory.Logs(it.x, eta) // −Inf where η_i = 0, an entry never used
	// A unique top entry with η_m > 1/2 is carried as its complement
	// δ = 1 − q_m (accurate when q_m is near 1); if it converges to
	// q_m < 1/2, where 1 − δ would cancel, it is carried as q_m from there.
	if unique && eta[m] > 0.5 {
		var sum neumaier
		for i, e := range eta {
			if i != m {
				sum.add(e)
				it.mq = max(it.mq, e)
			}
		}
		it.comp, it.delta = true, sum.sum()
		it.y = theory.Log(it.delta)
		it.yMax = math.Log1p(-1 / float64(npos)) // q_m ≥ 1/npos
	}
	maxIter := sv.MaxIter
	if maxIter <= 0 {
		maxIter = defaultExactMaxIter
	}
	if it.vec {
		it.lanes.init(gamma)
	}
	if it.vecStep {
		it.steps.init(logHalf)
	}
	var stop exactStop
	res.Status = IterationLimit
	for n := 1; n <= maxIter; n++ {
		res.Iterations = n
		if it.comp && it.delta > 0.5 && stop.prevStep < exactQuadraticTol && n > 1 {
			it.uncomplement()
		}
		sc := it.scale()
		// corr: take the third-order correction this iteration (see
		// shift); once the last step was below exactChebyshevMin this
		// step is too small for its second-order terms to matter.
		corr := n == 1 || stop.prevStep > exactChebyshevMin
		ranges := it.ranges()
		if it.vec {
			it.lanes.start(it.s, sc)
		}
		if it.direct {
			it.products(ranges)
		}
		var sums exactSums
		it.mainPass(&sums, ranges, sc, corr)
		fs := sums.f.sum()
		res.Residual = math.Max(sums.maxRho, math.Abs(fs)/sc)
		if math.IsNaN(res.Residual) || math.IsInf(res.Residual, 0) || math.IsNaN(sums.sumA) || !(sums.sumB > 0) {
			res.Status = Failed
			break
		}
		ds, ds1, chebyshev := it.shift(&sums, fs, sc, corr)
		var acc stepAcc
		it.step(&acc, ranges, &sums, ds, ds1, chebyshev)
		it.s += ds + ds1
		if stop.done(&acc, chebyshev == 1 && ds1 != 0) {
			res.Status = Converged
			break
		}
	}
	if it.comp {
		dst[m] = 1 - it.delta
	}
	// The residual above is that of the point before the last step: the
	// final pass evaluates it at the point returned, with the risk, when
	// the caller asks for it.
	if !sv.FinalResidual {
		res.Risk = it.risk()
		return res
	}
	risk, residual := it.final()
	res.Risk = risk
	if res.Status != Failed {
		res.Residual = residual
	}
	return res
}

// logHalf is log(1/2), the cap of log q_i for the entries carried as
// themselves (see stepRange).
const logHalf = -math.Ln2

// uncomplement switches the top entry from its complement δ to q_m itself,
// once the iteration converges to q_m < 1/2 (1 − δ is exact for δ ≥ 1/2, so
// the switch loses nothing and this iteration's step may end the
// iteration).
func (it *exactIter) uncomplement() {
	m := it.m
	it.comp = false
	it.q[m] = 1 - it.delta
	it.x[m] = theory.Log(it.q[m])
	// a2[m] has not been formed in this solve (its buffer may hold
	// anything), and a step without the correction multiplies it by 0,
	// which would turn an Inf or NaN there into NaN.
	it.a2[m] = 0
}

// scale returns sc, which scales the sums of mainPass so that their terms
// stay normal numbers: in the complemented mode every entry summed may be
// tiny (near-one-hot η), and sums of subnormal terms would carry no
// precision; sc is a power of two that brings the largest of them near 1,
// and the step ds is invariant to it.
func (it *exactIter) scale() float64 {
	if !it.comp {
		return 1
	}
	return math.Ldexp(1, min(1023, -math.Ilogb(max(it.delta, it.mq))))
}

// ranges returns the entries solved for: all but m in the complemented
// mode (and those with η_i = 0, skipped inside), in at most two ranges,
// each taken four entries at a time by the vector kernels where the CPU
// has them and by the Go loops for the rest.
func (it *exactIter) ranges() [2][2]int {
	k := len(it.eta)
	if it.comp {
		return [2][2]int{{0, it.m}, {it.m + 1, k}}
	}
	return [2][2]int{{0, k}, {k, k}}
}

// products forms log t_i into rho for the direct form (γ ≤
// exactDirectMaxGamma): one logarithm of a product with a relative error
// of a few ulps, ρ_i = log t_i + s to a few ulps absolute; the products
// first, then their logarithms in one theory.Logs pass (several times the
// throughput of a Log call per entry).
func (it *exactIter) products(ranges [2][2]int) {
	eta, dst, x, rho, gamma, pw := it.eta, it.q, it.x, it.rho, it.gamma, it.pw
	it.ts(ranges)
	comp, m := it.comp, it.m
	if comp {
		rho[m] = 1
	}
	theory.Logs(rho, rho)
	rho = rho[:len(eta)] // no bounds check in the loop
	for i, e := range eta {
		if !(rho[i] > exactLogTMin) && e != 0 && !(comp && i == m) {
			// t_i ≤ e^exactLogTMin: t_i may be subnormal, and its
			// factors are taken apart instead.
			q := dst[i]
			om := 1 - q
			rho[i] = logRatio(e, q) + theory.Log(pw.of(q, om)*(om-gamma*q*x[i]))
		}
	}
}

// ts forms the products t_i = (η_i/q_i)·φ(q_i) of the direct form into rho
// (1 where η_i = 0), by the vector kernel where it applies.
func (it *exactIter) ts(ranges [2][2]int) {
	eta, dst, x, rho, gamma, pw := it.eta, it.q, it.x, it.rho, it.gamma, it.pw
	vec, lanes := it.vec, it.lanes
	for _, span := range ranges {
		if span[0] == span[1] {
			continue // the empty second range of the plain mode
		}
		i := span[0]
		if vec && pw.int {
			i += exactTVec(lanes, rho, eta, dst, x, span[0], span[1], pw.n)
		}
		for ; i < span[1]; i++ {
			if e := eta[i]; e == 0 {
				rho[i] = 1
			} else {
				q := dst[i]
				om := 1 - q
				rho[i] = e / q * (pw.of(q, om) * (om - gamma*q*x[i]))
			}
		}
	}
}

// mainPass forms each ρ_i (as log t_i + s, or in the split form beyond
// exactDirectMaxGamma) and 1/D_i (and with corr the second-order term
// a2_i) into rho, d and a2, and gathers the sums of the step; the
// complemented top entry is done last. It writes them into sm.
func (it *exactIter) mainPass(sm *exactSums, ranges [2][2]int, sc float64, corr bool) {
	eta, dst, x, rho, d, a2 := it.eta, it.q, it.x, it.rho, it.d, it.a2
	gamma, gm1, s, direct := it.gamma, it.gm1, it.s, it.direct
	mainVec, lanes := it.vec && it.vecSums && direct, it.lanes
	var sumA, sumB, maxRho, rhoAll, maxInvd float64
	var f neumaier // Σ q_i − 1, compensated: at K = 1000 a plain sum
	// is off by up to K ulps, which would shift every q_i by as much.
	for _, span := range ranges {
		if span[0] == span[1] {
			continue // the empty second range of the plain mode
		}
		i := span[0]
		if mainVec {
			i += exactMainVec(lanes, eta, dst, x, rho, d, a2, span[0], span[1], corr)
		}
		for ; i < span[1]; i++ {
			e := eta[i]
			if e == 0 {
				continue
			}
			q, lq := dst[i], x[i]
			om := 1 - q
			gi := om - gamma*q*lq
			var r float64
			if direct {
				r = rho[i] + s
			} else {
				r = logRatio(e, q) + s + theory.Log(gi) + gm1*math.Log1p(-q)
			}
			// 1/D_i, with D_i = d log h/d log q = 1 + (γ−1)q/(1−q) + M/g,
			// M = q(1+γ+γ log q), over one denominator; and
			// D'_i = dD_i/d log q = (γ−1)q/(1−q)² + q(1+2γ+γ log q)/g +
			// (M/g)², for the third-order correction (see shift), as
			// a2_i = D'_i/(2D_i). D and D' only steer the step: their
			// rounding does not move the fixed point ρ = 0.
			mm := q * (1 + gamma + gamma*lq)
			invd := om * gi / (gi*(1+(gamma-2)*q) + mm*om)
			rho[i], d[i] = r, invd
			if corr {
				rg := 1 / (om * gi)     // 1/((1−q)g)
				iom, ig := gi*rg, om*rg // 1/(1−q), 1/g
				mg := mm * ig
				a2[i] = 0.5 * invd * (gm1*q*iom*iom + q*(1+2*gamma+gamma*lq)*ig + mg*mg)
			}
			qs := q * sc
			w := qs * invd
			sumA += w * r
			sumB += w
			f.add(qs)
			ar := math.Abs(r)
			if ar > maxRho && q >= minNormal {
				maxRho = ar // a NaN r shows in sumA
			}
			if ar > rhoAll {
				rhoAll = ar
			}
			if invd > maxInvd {
				maxInvd = invd
			}
		}
	}
	if it.vec {
		lanes.finish(&sumA, &sumB, &f, &maxRho, &rhoAll, &maxInvd)
	}
	var rm, dm, am float64
	if it.comp {
		delta, y := it.delta, it.y
		q := 1 - delta
		lq := math.Log1p(-delta)
		// u = log(1−δ)/δ (−1 for tiny δ), so that g/δ = 1 − γqu and
		// D_m are formed without dividing two tiny (perhaps
		// subnormal) numbers.
		u := lq / delta
		gd := 1 - gamma*q*u
		// log g + (γ−1) log δ = log(g/δ) + γ log δ: g/δ ≈ 1 + γq has
		// no cancellation, and only γ·log δ is amplified.
		rm = logRatio(eta[it.m], q) + s + theory.Log(gd) + gamma*y
		dm = delta/q + gamma*(2+lq-gm1*q*u)/gd
		// d²ρ_m/d(log δ)² = δ/q² + ((1+γ+γ lq) − γδ/q)/gd −
		// ((1+γ+γ lq)/gd)², as am = (that)/(2 dm).
		nm := (1 + gamma + gamma*lq) / gd
		am = 0.5 * (delta/(q*q) + nm - gamma*delta/(q*gd) - nm*nm) / dm
		dsc := delta * sc
		sumA += dsc * rm / dm
		sumB += dsc / dm
		f.add(-dsc)
		maxRho = max(maxRho, math.Abs(rm))
		rhoAll = max(rhoAll, math.Abs(rm))
		maxInvd = max(maxInvd, 1/dm)
	} else {
		f.add(-1)
	}
	*sm = exactSums{sumA: sumA, sumB: sumB, maxRho: maxRho, rhoAll: rhoAll, maxInvd: maxInvd, f: f, rm: rm, dm: dm, am: am}
}

// shift returns the step's shift ds (log q_i moves by (ρ_i + ds)/D_i to
// first order, fs being Σ q_i·sc − sc), its third-order correction ds1, and
// chebyshev = 1 when the step takes the correction (else 0).
func (it *exactIter) shift(sm *exactSums, fs, sc float64, corr bool) (ds, ds1, chebyshev float64) {
	eta, dst, x, rho, d, a2, m, comp := it.eta, it.q, it.x, it.rho, it.d, it.a2, it.m, it.comp
	ds = (-fs - sm.sumA) / sm.sumB
	if (sm.rhoAll+math.Abs(ds))*sm.maxInvd > globalStepMin && maxLogMove(ds, eta, rho, d, m, comp, sm.rm, sm.dm) > globalStepMin {
		// Far from the solution: make the step's sum exact (see
		// globalShift) when some log q_i would move by more than
		// globalStepMin.
		return globalShift(ds, eta, x, rho, d, m, comp, it.y, sm.rm, sm.dm), 0, 0
	}
	if !corr {
		return ds, 0, 0
	}
	// Near the solution: a third-order (Chebyshev) correction. Each ρ_i is
	// expanded to second order in its step and the sum constraint too
	// (q_i e^{dx} ≈ q_i(1 + dx + dx²/2)); the Newton step dx0 then gets the
	// correction c_i = ds1/D_i − a2_i·dx0_i², with ds1 keeping the sum
	// exact to second order. The error after a step goes from C·e² to
	// C'·e³ for the cost of a pass of a few flops, which saves an
	// iteration on most inputs.
	var acc float64
	dst, rho, d, a2 = dst[:len(eta)], rho[:len(eta)], d[:len(eta)], a2[:len(eta)] // no bounds checks in the loop
	for i, e := range eta {
		if e != 0 && !(comp && i == m) {
			dx0 := (rho[i] + ds) * d[i]
			acc += dst[i] * sc * dx0 * dx0 * (a2[i] - 0.5)
		}
	}
	if comp {
		dy0 := -(sm.rm + ds) / sm.dm
		acc += it.delta * sc * dy0 * dy0 * (0.5 - sm.am)
	}
	if ds1 = acc / sm.sumB; !(math.Abs(ds1) < globalStepMin) {
		ds1 = 0 // NaN or a correction too large to trust
	}
	return ds, ds1, 1
}

// step moves every log q_i (and a complemented top entry's log δ) by its
// step, clamped (stepRange), and returns what the entries report to the
// stopping rule. The step kernel (exactStepVec) takes blocks of four while
// all their entries take stepRange's fast path, with the same bits;
// stepRange does the block it stops at, and the rest of each range. It
// writes the report into sa.
func (it *exactIter) step(sa *stepAcc, ranges [2][2]int, sm *exactSums, ds, ds1, chebyshev float64) {
	eta, dst, x, rho, d, a2 := it.eta, it.q, it.x, it.rho, it.d, it.a2
	vecStep, steps := it.vecStep, it.steps
	if vecStep {
		steps.start(ds, ds1, chebyshev)
	}
	for _, span := range ranges {
		for i := span[0]; i < span[1]; {
			j := span[1]
			if vecStep {
				i += exactStepVec(steps, eta, dst, x, rho, d, a2, i, span[1])
				j = min(i+4, span[1])
			}
			stepRange(sa, eta, dst, x, rho, d, a2, i, j, ds, ds1, chebyshev, logHalf)
			i = j
		}
	}
	if vecStep {
		steps.finish(&sa.mq, &sa.maxStep, &sa.maxNormal, &sa.clamped)
	}
	it.mq = sa.mq
	if it.comp {
		dy0 := -(sm.rm + ds) / sm.dm
		dy := dy0 - ds1/sm.dm - chebyshev*sm.am*dy0*dy0
		if it.y+dy > it.yMax {
			dy = (it.yMax - it.y) / 2
			sa.clamped = true
		}
		if dy < -maxLogStep {
			dy = -maxLogStep
			sa.clamped = true
		}
		it.y += dy
		it.delta, it.y = scaleExp(it.delta, it.y, dy)
		ady := math.Abs(dy)
		if resolvable(it.delta, dy) {
			sa.maxStep = max(sa.maxStep, ady)
		}
		if it.delta >= minNormal {
			sa.maxNormal = max(sa.maxNormal, ady)
		} else if it.delta >= fewBitsFloor {
			sa.maxSub = max(sa.maxSub, ady)
		}
	}
}

// exactStop is the stopping rule, fed each step's report. Newton's error
// after a step δ_k is about C·δ_k², with C estimated as δ_k/δ_{k−1}², so the
// next step is predicted as δ_k·(δ_k/δ_{k−1})²; after two corrected
// (third-order) steps it is C'·δ_k³ with C' = δ_k/δ_{k−1}³, i.e.
// δ_k·(δ_k/δ_{k−1})³. The iteration stops when no log q_i moved by more
// than exactStepTol, when the prediction is below exactPredictTol, after
// exactPolishSteps steps below exactPolishTol, or when subnormal entries
// whose steps stay in rounding noise (amplified by 1/D for tiny γ) have had
// exactSubnormalSteps iterations since the normal entries converged.
type exactStop struct {
	prevStep         float64
	prevCubic        bool
	polish, subStall int
}

// done takes a step's report (cubic: the step was a corrected one) and
// says whether the iteration stops.
func (st *exactStop) done(sa *stepAcc, cubic bool) bool {
	maxStep := sa.maxStep
	predicted := math.Inf(1)
	if st.prevStep > 0 && st.prevStep < exactQuadraticTol && maxStep < exactQuadraticTol && !sa.clamped {
		r := maxStep / st.prevStep
		if predicted = maxStep * r * r; cubic && st.prevCubic {
			predicted *= r
		}
	}
	st.prevStep, st.prevCubic = maxStep, cubic
	if maxStep <= exactPolishTol {
		st.polish++
	}
	if sa.maxNormal <= exactPolishTol && sa.maxSub <= exactSubnormalNoise {
		st.subStall++
	} else {
		st.subStall = 0
	}
	return maxStep <= exactStepTol || predicted <= exactPredictTol || st.polish > exactPolishSteps || st.subStall > exactSubnormalSteps
}

// final returns the risk W(q; η) = −Σ_i η_i (1−q_i)^γ log q_i and the KKT
// residual max(max_i |ρ_i|, |Σ q_i − 1|) of the point returned: the
// products t_i (ts) and, beyond the small integer γ, the powers (1−q_i)^γ
// first, then one pass (finalRange) that sums the risk and Σ q_i and finds
// the extreme t_i, so that the residual costs a solve little more than the
// risk alone.
//
// The risk uses the iterate's log q_i (x_i, which the iteration keeps within
// about an ulp of log q_i) instead of a logarithm per entry; the entry m,
// which may be carried as its complement, is evaluated by theory.LossTerm
// (dst[m] is set before this pass). The terms are within a few ulps of
// theory.Risk's, and their sum is compensated.
//
// The residual is evaluated as mainPass evaluates ρ_i, over the entries
// that are normal numbers. In the direct form ρ_i = log t_i + s, and log is
// increasing, so the largest |ρ_i| is that of the smallest or the largest
// t_i: two logarithms instead of one per entry, which keeps this pass a
// small part of a solve.
func (it *exactIter) final() (risk, residual float64) {
	eta, q, x, rho, d, m, comp := it.eta, it.q, it.x, it.rho, it.d, it.m, it.comp
	gamma, s, direct := it.gamma, it.s, it.direct
	k := len(eta)
	if direct {
		it.ts(it.ranges()) // rho is scratch space from here
	}
	pw := newPow1m(gamma)
	if !pw.int {
		// (1−q_i)^γ into d (scratch space from here), so that the loop of
		// finalRange makes no call.
		for i, qi := range q {
			if i != m && eta[i] != 0 {
				d[i] = theory.Pow1m(qi, gamma)
			}
		}
	}
	acc := finalAcc{tmin: math.Inf(1)}
	finalRange(&acc, eta, q, x, rho, d, 0, m, pw, direct)
	// The top entry: its risk term by theory.LossTerm, in its place in the
	// sum; carried as its complement, its residual is formed from δ below.
	acc.risk.add(eta[m] * theory.LossTerm(q[m], gamma))
	if !comp {
		if t := rho[m]; q[m] >= minNormal && direct && t > exactTSmall {
			acc.tmin, acc.tmax = min(acc.tmin, t), max(acc.tmax, t)
		} else if q[m] >= minNormal {
			acc.slow = true
		}
		acc.f.add(q[m])
	}
	finalRange(&acc, eta, q, x, rho, d, m+1, k, pw, direct)
	mx := 0.0
	if acc.tmax > 0 {
		mx = max(math.Abs(theory.Log(acc.tmin)+s), math.Abs(theory.Log(acc.tmax)+s))
	}
	if acc.slow {
		// The entries whose ρ_i is formed with the factors' logarithms
		// taken apart: beyond exactDirectMaxGamma, or for a t_i that may
		// be subnormal (see products).
		for i, e := range eta {
			if e != 0 && q[i] >= minNormal && !(comp && i == m) && !(direct && rho[i] > exactTSmall) {
				if r := it.splitResidual(i); !(r <= mx) {
					mx = r // NaN stays
				}
			}
		}
	}
	if comp {
		delta := it.delta
		qm := 1 - delta
		lq := math.Log1p(-delta)
		gd := 1 - gamma*qm*(lq/delta)
		rm := logRatio(eta[m], qm) + s + theory.Log(gd) + gamma*it.y
		if ar := math.Abs(rm); !(ar <= mx) {
			mx = ar
		}
		acc.f.add(-delta)
	} else {
		acc.f.add(-1)
	}
	if fs := math.Abs(acc.f.sum()); !(fs <= mx) {
		mx = fs
	}
	return acc.risk.sum(), mx
}

// risk returns the risk at the point returned, as final does, without the
// residual: the same terms in the same order, so that Result.Risk does not
// depend on FinalResidual.
func (it *exactIter) risk() float64 {
	eta, q, x, d, m := it.eta, it.q, it.x, it.d, it.m
	gamma := it.gamma
	pw := newPow1m(gamma)
	if !pw.int {
		for i, qi := range q {
			if i != m && eta[i] != 0 {
				d[i] = theory.Pow1m(qi, gamma)
			}
		}
	}
	var r neumaier
	r = riskRange(r, eta, q, x, d, 0, m, pw)
	r.add(eta[m] * theory.LossTerm(q[m], gamma))
	r = riskRange(r, eta, q, x, d, m+1, len(eta), pw)
	return r.sum()
}

// riskRange adds the risk terms of the entries lo..hi−1 to r, as
// finalRange does.
func riskRange(r neumaier, eta, q, x, pows []float64, lo, hi int, pw pow1m) neumaier {
	eta = eta[lo:hi]
	q, x, pows = q[lo:hi][:len(eta)], x[lo:hi][:len(eta)], pows[lo:hi][:len(eta)]
	for i, e := range eta {
		if e == 0 {
			continue
		}
		var p float64
		if pw.int {
			p = powInt(1-q[i], pw.n)
		} else {
			p = pows[i]
		}
		r = r.plus(-e * p * x[i])
	}
	return r
}

// finalAcc is what final gathers: the risk and Σ q_i (compensated), the
// smallest and largest t_i of the direct form, and whether some entry's ρ_i
// must be formed in the split form.
type finalAcc struct {
	risk, f    neumaier
	tmin, tmax float64
	slow       bool
}

// finalRange adds the risk terms −η_i (1−q_i)^γ log q_i of the entries
// lo..hi−1 with η_i ≠ 0 (the power by powInt, or from pows beyond the
// small integers) and their q_i into acc, and takes their t_i (in rho)
// into its extremes, or marks acc.slow. Its loop makes no call, so that
// the sums stay in registers.
func finalRange(acc *finalAcc, eta, q, x, rho, pows []float64, lo, hi int, pw pow1m, direct bool) {
	risk, f, tmin, tmax, slow := acc.risk, acc.f, acc.tmin, acc.tmax, acc.slow
	tSmall := exactTSmall
	// The same length for all (no bounds checks in the loop).
	eta = eta[lo:hi]
	q, x, rho, pows = q[lo:hi][:len(eta)], x[lo:hi][:len(eta)], rho[lo:hi][:len(eta)], pows[lo:hi][:len(eta)]
	for i, e := range eta {
		if e == 0 {
			continue // q_i = 0: no term, no residual
		}
		qi := q[i]
		var p float64
		if pw.int {
			p = powInt(1-qi, pw.n)
		} else {
			p = pows[i]
		}
		risk = risk.plus(-e * p * x[i])
		f = f.plus(qi)
		if qi < minNormal {
			continue
		}
		if t := rho[i]; direct && t > tSmall {
			if t < tmin {
				tmin = t
			}
			if t > tmax {
				tmax = t
			}
		} else {
			slow = true
		}
	}
	acc.risk, acc.f, acc.tmin, acc.tmax, acc.slow = risk, f, tmin, tmax, slow
}

// splitResidual returns |ρ_i| with the factors' logarithms taken apart:
// beyond exactDirectMaxGamma, or for a t_i that may be subnormal (see
// products).
func (it *exactIter) splitResidual(i int) float64 {
	e, qi, gamma := it.eta[i], it.q[i], it.gamma
	om := 1 - qi
	gi := om - gamma*qi*it.x[i]
	if it.direct {
		return math.Abs(logRatio(e, qi) + theory.Log(it.pw.of(qi, om)*gi) + it.s)
	}
	return math.Abs(logRatio(e, qi) + it.s + theory.Log(gi) + it.gm1*math.Log1p(-qi))
}

// exactTSmall is e^exactLogTMin: final takes ρ_i apart for t_i below it.
var exactTSmall = math.Exp(exactLogTMin)
