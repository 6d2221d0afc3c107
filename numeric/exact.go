package numeric

import (
	"math"

	"github.com/focaltk/focal/theory"
)

// ExactSolver computes the focal risk minimizer q^{γ,*}(η) from the KKT
// conditions; its zero value is ready to use and it reuses its scratch space
// across calls (it is not safe for concurrent use: use one per goroutine).
//
// Method. On the simplex, the minimizer of W(·; η) satisfies (design.md)
// q_i = 0 where η_i = 0 and, on the support,
//
//	ρ_i := log η_i + s − log h^γ(q_i) = 0   for one scalar s,  Σ_i q_i = 1,
//
// that is q = (Ψ^γ)^{−1}(η). The solver runs Newton's method on the K+1
// unknowns (log q_i, s) jointly: the Jacobian is an arrow matrix, so each
// step is one O(K) pass (each log q_i moves by (ρ_i + Δs)/D_i with
// D_i = d log h/d log q at q_i, and Δs makes the linearized sum exact).
// Steps are clamped to keep non-maximal entries below 1/2. When the largest
// η_m is unique and above 1/2, its entry is carried as its complement
// δ = 1 − q_m, so that q_m close to 1 (near-one-hot η) keeps full relative
// accuracy in 1 − q_m; if the iteration converges to q_m < 1/2 it switches
// to q_m itself, since 1 − δ would then lose digits.
// Each ρ_i is evaluated as log(η_i φ(q_i)/q_i) + s for γ ≤ 17 and as
// log(η_i/q_i) + s + log g(q_i) + (γ−1) log1p(−q_i) beyond, a sum of terms
// bounded by |s| + γ|log(1−q_i)|, so that entries down to 1e-300 are
// determined to a few ulps (a log η_i − log q_i form would lose |log q_i|
// ulps). Equal η_i follow identical arithmetic, so ties stay exactly tied.
//
// Near the solution each Newton step gets a third-order (Chebyshev)
// correction from the second derivatives of the ρ_i and of the sum, an O(K)
// pass without transcendental functions; the error then falls like C·e³
// (at K = 1000 on Dirichlet(1) inputs, 3·10^−2 → 1.6·10^−7 → rounding).
// The iteration stops when no log q_i moves by more than exactStepTol, or
// when the next step, predicted from the last two (δ_k·(δ_k/δ_{k−1})² for
// Newton, ·(δ_k/δ_{k−1}) more after two corrected steps), is below half an
// ulp: typically after 2 iterations at K ≥ 1000 and 2–3 at K = 10.
//
// Far from the solution (a step that would move some log q_i by more than
// an e-fold) the shift s of the step is chosen so that the stepped vector
// sums to 1 exactly rather than to first order (globalShift); without it a
// near-one-hot η whose top complement must fall by hundreds of e-folds
// moved one e-fold per iteration. The sums of the step are scaled by a
// power of two so that they stay normal numbers when every entry but the
// top one is tiny. Subnormal entries of η (below 2^−1022) carry too few
// bits for their residuals to settle to an ulp; they are held to a relative
// step of 1e-6 (see the stopping rule). On 2·10^5 adversarial vectors
// (subnormal, tiny and zero entries next to a top entry near 1, K ≤ 21,
// γ log-uniform in [1e-6, 100]) every solve converged, in at most 14
// iterations.
//
// Accuracy (measured against package hiprec, docs/numerics.md): relative
// error of a few ulps for every entry ≥ 1e-300 wherever γ·|log(1−q_i)| ≤ 10,
// growing like γ·|log(1−q_i)| ulps beyond. Result.Residual is the KKT
// residual max(max_i |ρ_i|, |Σ q_i − 1|) at the returned Q, over the
// entries that are normal float64 numbers.
type ExactSolver struct {
	// MaxIter bounds the Newton iterations; 0 means defaultExactMaxIter.
	MaxIter int

	buf []float64
	// The vector kernels' lanes, kept with the solver rather than in
	// Minimize's frame, which would clear their 1.2 KB on every call.
	lanes exactLanes
	steps exactStepLanes
}

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
	// exactSubnormalSteps, exactSubnormalNoise: see the stopping rule.
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
	// entry is formed as one logarithm of η_i φ(q_i)/q_i (see Minimize).
	exactDirectMaxGamma = 17
)

// neumaier is a compensated (Kahan–Babuška–Neumaier) running sum.
type neumaier struct{ s, c float64 }

// add adds x: the rounding error of s + x, which Neumaier forms with a
// comparison, is formed here without a branch (TwoSum; the same exact
// error for finite terms).
func (n *neumaier) add(x float64) {
	t := n.s + x
	bp := t - n.s
	n.c += (n.s - (t - bp)) + (x - bp)
	n.s = t
}

func (n *neumaier) sum() float64 { return n.s + n.c }

// resolvable reports whether a step dx in log v must hold up the stopping
// rule: always for normal v; for subnormal v (fixed spacing 2^−1074, so a
// relative resolution of 2^−1074/v) only while dx exceeds both twice that
// resolution and subnormalStepTol. Below, the update cannot move v
// reliably, and the residuals of subnormal entries are themselves only
// that accurate (their error is further amplified by 1/D when γ is tiny).
func resolvable(v, dx float64) bool {
	return v >= minNormal || math.Abs(dx) > math.Max(subnormalStepTol, 2*0x1p-1074/v)
}

// logRatio returns log(a/b) for positive a and b, as log a − log b when
// a/b would be subnormal (and so carry too few significant bits).
func logRatio(a, b float64) float64 {
	if r := a / b; r >= minNormal {
		return theory.Log(r)
	}
	return theory.Log(a) - theory.Log(b)
}

// scaleExp returns v·e^{dx} where log v + dx = x, and its logarithm: for
// small steps (late Newton steps) by multiplication, which keeps v's full
// accuracy, with x as given; for large ones as e^x, where e^{dx} alone could
// overflow although the product does not (a step from a subnormal v up to a
// normal value), and then with the logarithm recomputed from the rounded
// result, so that x stays the logarithm of the value actually stored
// (e^x rounds with a relative error of |x| ulps).
func scaleExp(v, x, dx float64) (float64, float64) {
	if math.Abs(dx) <= 1 {
		v *= expSmall(dx)
	} else {
		v = math.Exp(x)
	}
	if v == 0 {
		// An entry of a positive η_i never vanishes: keep the smallest
		// subnormal rather than 0 (whose logarithm would poison the
		// residuals with NaN).
		v = 0x1p-1074
	}
	if math.Abs(dx) > 1 || v < minNormal {
		return v, theory.Log(v)
	}
	return v, x
}

// expSmall returns e^x: by Taylor polynomials where Newton's steps live
// (|x| < 2^−10: degree 4, remainder below x^5/120 < 2^−56; |x| < 2^−4:
// degree 8, remainder below x^9/9! < 2^−54.5, both under half an ulp of
// the result, so with Horner's rounding the result is within about one
// ulp), and by math.Exp otherwise.
func expSmall(x float64) float64 {
	switch ax := math.Abs(x); {
	case ax < 0x1p-10:
		return 1 + x*(1+x*(1.0/2+x*(1.0/6+x*(1.0/24))))
	case ax < 0x1p-4:
		return 1 + x*(1+x*(1.0/2+x*(1.0/6+x*(1.0/24+x*(1.0/120+x*(1.0/720+x*(1.0/5040+x*(1.0/40320))))))))
	}
	return math.Exp(x)
}

// maxLogMove returns the largest |Δ log q_i| (or |Δ log δ|) of the
// first-order Newton step with shift ds, before the clamps.
func maxLogMove(ds float64, eta, rho, invd []float64, m int, comp bool, rm, dm float64) float64 {
	var mx float64
	for i, e := range eta {
		if e != 0 && !(comp && i == m) {
			mx = max(mx, math.Abs((rho[i]+ds)*invd[i]))
		}
	}
	if comp {
		mx = max(mx, math.Abs((rm+ds)/dm))
	}
	return mx
}

// globalShift returns the shift ds of a Newton step (log q_i moves by
// (ρ_i + ds)/D_i, and a complemented top entry's log δ by −(ρ_m + ds)/D_m)
// chosen so that the stepped vector sums to 1 exactly, not only to first
// order, when the first-order ds (given) moves some log q_i by more than
// globalStepMin; otherwise it returns ds.
//
// Why: each ρ_i is close to linear in log q_i (D_i is near 1 for small
// q_i, and near γ/(1+γ)-ish for a complemented top entry), but the sum
// Σ e^{log q_i} = 1 is not, and its linearization e^{x+dx} ≈ e^x(1+dx)
// cannot move an entry down by more than one e-fold per step. A
// near-one-hot η whose top entry's complement must fall by hundreds of
// e-folds (η = (2^−1074, 1) at γ = 0.25: δ from 1e-162 to 1.9e-259) then
// crawled one e-fold per iteration and hit IterationLimit. With the exact
// sum, the step solves the linearized ρ equations and the true sum
// constraint, and such cases converge in a few steps.
//
// Method: Newton's method on the convex, increasing function
// G(ds) = log Σ_i e^{x_i + (ρ_i+ds)/D_i} (over the entries carried as
// themselves), minus log δ' = y − (ρ_m+ds)/D_m for a complemented top
// entry, evaluated with the largest exponent factored out.
func globalShift(ds float64, eta, x, rho, invd []float64, m int, comp bool, y, rm, dm float64) float64 {
	gs := ds
	for range globalShiftSteps {
		mx := math.Inf(-1)
		for i, e := range eta {
			if e != 0 && !(comp && i == m) {
				mx = max(mx, x[i]+(rho[i]+gs)*invd[i])
			}
		}
		var s0, s1 float64
		for i, e := range eta {
			if e != 0 && !(comp && i == m) {
				w := math.Exp(x[i] + (rho[i]+gs)*invd[i] - mx)
				s0 += w
				s1 += w * invd[i]
			}
		}
		g, gp := mx+math.Log(s0), s1/s0
		if comp {
			g -= y - (rm+gs)/dm
			gp += 1 / dm
		}
		step := g / gp
		if math.IsNaN(step) || math.IsInf(step, 0) {
			return ds // leave it to the first-order step and its clamps
		}
		gs -= step
		if math.Abs(step) < globalShiftTol {
			break
		}
	}
	return gs
}

// Exact returns the focal risk minimizer q^{γ,*}(η) (see ExactSolver). It
// returns an *InputError for invalid η or γ (ValidateEta).
func Exact(eta []float64, gamma float64) (Result, error) {
	var s ExactSolver
	return s.Minimize(make([]float64, len(eta)), eta, gamma)
}

// Minimize writes q^{γ,*}(η) into dst and returns a Result whose Q is dst.
// It panics if len(dst) != len(eta).
func (sv *ExactSolver) Minimize(dst, eta []float64, gamma float64) (Result, error) {
	if len(dst) != len(eta) {
		panic("numeric: length mismatch")
	}
	if err := ValidateEta(eta, gamma); err != nil {
		return Result{}, err
	}
	res := Result{Q: dst}
	k := len(eta)
	m := theory.Argmax(eta)
	nmax, npos := 0, 0
	for _, e := range eta {
		if e == eta[m] {
			nmax++
		}
		if e > 0 {
			npos++
		}
	}
	if gamma == 0 || npos == 1 || nmax == npos {
		// Cross-entropy is strictly proper (q* = η), one positive entry
		// gives a vertex, and a uniform vector on its support is in S^K
		// (Prop 6): in all three cases q* = η.
		copy(dst, eta)
		res.Risk = theory.Risk(dst, eta, gamma)
		return res, nil
	}
	unique := nmax == 1
	if cap(sv.buf) < 4*k {
		sv.buf = make([]float64, 4*k)
	}
	x, rho, d, a2 := sv.buf[:k], sv.buf[k:2*k], sv.buf[2*k:3*k], sv.buf[3*k:4*k]

	// Start from q = η (the γ = 0 solution).
	copy(dst, eta)
	theory.Logs(x, eta) // −Inf where η_i = 0, an entry never used
	// A unique top entry with η_m > 1/2 is carried as its complement
	// δ = 1 − q_m (accurate when q_m is near 1); if it converges to
	// q_m < 1/2, where 1 − δ would cancel, it is carried as q_m from there.
	comp := false
	var delta, y, yMax float64
	var mq float64 // the largest entry other than the top one (see sc)
	if unique && eta[m] > 0.5 {
		var sum neumaier
		for i, e := range eta {
			if i != m {
				sum.add(e)
				mq = max(mq, e)
			}
		}
		comp, delta = true, sum.sum()
		y = theory.Log(delta)
		yMax = math.Log1p(-1 / float64(npos)) // q_m ≥ 1/npos
	}
	maxIter := sv.MaxIter
	if maxIter <= 0 {
		maxIter = defaultExactMaxIter
	}
	logHalf := -math.Ln2
	gm1 := gamma - 1
	// direct: φ(q_i) = (1−q_i)^{γ−1} g(q_i) ≥ 2^{−16}·g for the entries
	// below 1/2, and η_i/q_i ≈ e^{−s}φ(q_i)^{−1}, so the product below
	// stays far from overflow and underflow.
	direct := gamma <= exactDirectMaxGamma
	pw := newPow1m(gm1)
	var s float64
	// vec: take the vector kernels of the products and the main pass
	// (exactTVec, exactMainVec); vecStep: the step kernel (exactStepVec)
	// too, from exactVecMinK entries on.
	vec := exactVecOK
	vecStep := vec && k >= exactVecMinK
	lanes, steps := &sv.lanes, &sv.steps
	if vec {
		lanes.init(gamma)
	}
	if vecStep {
		steps.init(logHalf)
	}
	polish, subStall := 0, 0
	var prevStep float64
	prevCubic := false
	res.Status = IterationLimit
	for it := 1; it <= maxIter; it++ {
		res.Iterations = it
		if comp && delta > 0.5 && prevStep < exactQuadraticTol && it > 1 {
			// Converging to q_m < 1/2: carry q_m itself from here on (1 − δ
			// is exact for δ ≥ 1/2, so the switch loses nothing and this
			// iteration's step may end the iteration).
			comp = false
			dst[m] = 1 - delta
			x[m] = theory.Log(dst[m])
			// a2[m] has not been formed in this solve (its buffer may hold
			// anything), and a step without the correction multiplies it
			// by 0, which would turn an Inf or NaN there into NaN.
			a2[m] = 0
		}
		// sc scales the sums below so that their terms stay normal
		// numbers: in the complemented mode every entry summed may be tiny
		// (near-one-hot η), and sums of subnormal terms would carry no
		// precision; sc is a power of two that brings the largest of them
		// near 1, and the step ds is invariant to it.
		sc := 1.0
		if comp {
			sc = math.Ldexp(1, min(1023, -math.Ilogb(max(delta, mq))))
		}
		var sumA, sumB, maxRho, rhoAll, maxInvd float64
		// corr: take the third-order correction this iteration (see
		// below); once the last step was below exactChebyshevMin this
		// step is too small for its second-order terms to matter.
		corr := it == 1 || prevStep > exactChebyshevMin
		var f neumaier // Σ q_i − 1, compensated: at K = 1000 a plain sum
		// is off by up to K ulps, which would shift every q_i by as much.
		// The entries solved for: all but m in the complemented mode (and
		// those with η_i = 0, skipped inside), in at most two ranges, each
		// taken four entries at a time by the vector kernels where the CPU
		// has them (exactTVec, exactMainVec) and by the loops below for the
		// rest.
		ranges := [2][2]int{{0, k}, {k, k}}
		if comp {
			ranges = [2][2]int{{0, m}, {m + 1, k}}
		}
		if vec {
			lanes.start(s, sc)
		}
		if direct {
			// One logarithm of a product with a relative error of a few
			// ulps, ρ_i to a few ulps absolute: the products t_i first,
			// then their logarithms in one theory.Logs pass (several times
			// the throughput of a Log call per entry), into rho.
			for _, span := range ranges {
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
			if comp {
				rho[m] = 1
			}
			theory.Logs(rho, rho)
			for i, e := range eta {
				if e != 0 && !(comp && i == m) && !(rho[i] > exactLogTMin) {
					// t_i ≤ e^exactLogTMin: t_i may be subnormal, and its
					// factors are taken apart instead.
					q := dst[i]
					om := 1 - q
					rho[i] = logRatio(e, q) + theory.Log(pw.of(q, om)*(om-gamma*q*x[i]))
				}
			}
		}
		for _, span := range ranges {
			i := span[0]
			if vec && direct {
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
				// (M/g)², for the third-order correction (see below), as
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
		if vec {
			lanes.finish(&sumA, &sumB, &f, &maxRho, &rhoAll, &maxInvd)
		}
		var rm, dm, am float64
		if comp {
			q := 1 - delta
			lq := math.Log1p(-delta)
			// u = log(1−δ)/δ (−1 for tiny δ), so that g/δ = 1 − γqu and
			// D_m are formed without dividing two tiny (perhaps
			// subnormal) numbers.
			u := lq / delta
			gd := 1 - gamma*q*u
			// log g + (γ−1) log δ = log(g/δ) + γ log δ: g/δ ≈ 1 + γq has
			// no cancellation, and only γ·log δ is amplified.
			rm = logRatio(eta[m], q) + s + theory.Log(gd) + gamma*y
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
		fs := f.sum()
		res.Residual = math.Max(maxRho, math.Abs(fs)/sc)
		if math.IsNaN(res.Residual) || math.IsInf(res.Residual, 0) || math.IsNaN(sumA) || !(sumB > 0) {
			res.Status = Failed
			break
		}
		ds := (-fs - sumA) / sumB
		ds1, chebyshev := 0.0, 0.0
		if (rhoAll+math.Abs(ds))*maxInvd > globalStepMin && maxLogMove(ds, eta, rho, d, m, comp, rm, dm) > globalStepMin {
			// Far from the solution: make the step's sum exact (see
			// globalShift) when some log q_i would move by more than
			// globalStepMin.
			ds = globalShift(ds, eta, x, rho, d, m, comp, y, rm, dm)
		} else if corr {
			// Near the solution: a third-order (Chebyshev) correction.
			// Each ρ_i is expanded to second order in its step and the
			// sum constraint too (q_i e^{dx} ≈ q_i(1 + dx + dx²/2)); the
			// Newton step dx0 then gets the correction
			// c_i = ds1/D_i − a2_i·dx0_i², with ds1 keeping the sum
			// exact to second order. The error after a step goes from
			// C·e² to C'·e³ for the cost of a pass of a few flops,
			// which saves an iteration on most inputs.
			var acc float64
			for i, e := range eta {
				if e != 0 && !(comp && i == m) {
					dx0 := (rho[i] + ds) * d[i]
					acc += dst[i] * sc * dx0 * dx0 * (a2[i] - 0.5)
				}
			}
			if comp {
				dy0 := -(rm + ds) / dm
				acc += delta * sc * dy0 * dy0 * (0.5 - am)
			}
			if ds1 = acc / sumB; !(math.Abs(ds1) < globalStepMin) {
				ds1 = 0 // NaN or a correction too large to trust
			}
			chebyshev = 1
		}
		// The step kernel (exactStepVec) takes blocks of four while all
		// their entries take stepRange's fast path, with the same bits;
		// stepRange does the block it stops at, and the rest of each range.
		var sa stepAcc
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
				stepRange(&sa, eta, dst, x, rho, d, a2, i, j, ds, ds1, chebyshev, logHalf)
				i = j
			}
		}
		if vecStep {
			steps.finish(&sa.mq, &sa.maxStep, &sa.maxNormal, &sa.clamped)
		}
		// maxStep: the steps that hold up the stopping rule; maxNormal and
		// maxSub: those of normal and of subnormal entries; clamped: a clamp
		// made this step other than Newton's.
		maxStep, maxNormal, maxSub, clamped := sa.maxStep, sa.maxNormal, sa.maxSub, sa.clamped
		mq = sa.mq
		if comp {
			dy0 := -(rm + ds) / dm
			dy := dy0 - ds1/dm - chebyshev*am*dy0*dy0
			if y+dy > yMax {
				dy = (yMax - y) / 2
				clamped = true
			}
			if dy < -maxLogStep {
				dy = -maxLogStep
				clamped = true
			}
			y += dy
			delta, y = scaleExp(delta, y, dy)
			ady := math.Abs(dy)
			if resolvable(delta, dy) {
				maxStep = max(maxStep, ady)
			}
			if delta >= minNormal {
				maxNormal = max(maxNormal, ady)
			} else if delta >= fewBitsFloor {
				maxSub = max(maxSub, ady)
			}
		}
		s += ds + ds1
		// Newton's error after a step δ_k is about C·δ_k², with C
		// estimated as δ_k/δ_{k−1}², so the next step is predicted as
		// δ_k·(δ_k/δ_{k−1})²; after two corrected (third-order) steps it
		// is C'·δ_k³ with C' = δ_k/δ_{k−1}³, i.e. δ_k·(δ_k/δ_{k−1})³. Stop
		// when that is below rounding.
		cubic := chebyshev == 1 && ds1 != 0
		predicted := math.Inf(1)
		if prevStep > 0 && prevStep < exactQuadraticTol && maxStep < exactQuadraticTol && !clamped {
			r := maxStep / prevStep
			if predicted = maxStep * r * r; cubic && prevCubic {
				predicted *= r
			}
		}
		prevStep, prevCubic = maxStep, cubic
		if maxStep <= exactPolishTol {
			polish++
		}
		// Subnormal entries whose steps stay in rounding noise (amplified
		// by 1/D for tiny γ) get exactSubnormalSteps iterations once the
		// normal entries have converged.
		if maxNormal <= exactPolishTol && maxSub <= exactSubnormalNoise {
			subStall++
		} else {
			subStall = 0
		}
		if maxStep <= exactStepTol || predicted <= exactPredictTol || polish > exactPolishSteps || subStall > exactSubnormalSteps {
			res.Status = Converged
			break
		}
	}
	if res.Status != Failed {
		// The residual above is that of the point before the last step:
		// evaluate it at the point returned.
		res.Residual = exactResidual(eta, dst, x, rho, m, comp, delta, y, s, gamma, pw, direct, vec, lanes)
	}
	if comp {
		dst[m] = 1 - delta
	}
	res.Risk = exactRisk(dst, eta, x, m, gamma)
	return res, nil
}

// exactResidual returns the KKT residual max(max_i |ρ_i|, |Σ q_i − 1|) of
// the point (q, s), evaluated as Minimize's main pass evaluates it (the
// entry m, if comp, carried as δ = e^y), over the entries that are normal
// numbers; rho is scratch space. For γ ≤ exactDirectMaxGamma, where
// ρ_i = log t_i + s with the products t_i, and log is increasing, the
// largest |ρ_i| is that of the smallest or the largest t_i: two logarithms
// instead of one per entry, which keeps this pass a small part of a solve.
func exactResidual(eta, q, x, rho []float64, m int, comp bool, delta, y, s, gamma float64, pw pow1m, direct, vec bool, lanes *exactLanes) float64 {
	k := len(eta)
	ranges := [2][2]int{{0, k}, {k, k}}
	if comp {
		ranges = [2][2]int{{0, m}, {m + 1, k}}
	}
	gm1 := gamma - 1
	var f neumaier
	mx := 0.0
	tmin, tmax := math.Inf(1), 0.0
	tSmall := math.Exp(exactLogTMin)
	// split returns |ρ_i| in the split form: beyond exactDirectMaxGamma,
	// or for a t_i that may be subnormal (see the main pass).
	split := func(i int) float64 {
		qi := q[i]
		om := 1 - qi
		if direct {
			return math.Abs(logRatio(eta[i], qi) + theory.Log(pw.of(qi, om)*(om-gamma*qi*x[i])) + s)
		}
		return math.Abs(logRatio(eta[i], qi) + s + theory.Log(om-gamma*qi*x[i]) + gm1*math.Log1p(-qi))
	}
	for _, span := range ranges {
		sumLanes(&f, q[span[0]:span[1]])
		// The products t_i of [span[0], n), as in the main pass (1 where
		// η_i = 0); the second loop forms the others.
		n := span[0]
		if direct && vec && pw.int {
			n += exactTVec(lanes, rho, eta, q, x, span[0], span[1], pw.n)
		}
		for i := span[0]; i < n; i++ {
			t := rho[i]
			if q[i] >= minNormal && t > tSmall { // not η_i = 0 (q_i = 0)
				if t < tmin {
					tmin = t
				}
				if t > tmax {
					tmax = t
				}
			} else if q[i] >= minNormal {
				if r := split(i); !(r <= mx) {
					mx = r // NaN stays
				}
			}
		}
		for i := n; i < span[1]; i++ {
			qi := q[i]
			if qi < minNormal { // or 0, exactly where η_i = 0
				continue
			}
			if direct {
				om := 1 - qi
				if t := eta[i] / qi * (pw.of(qi, om) * (om - gamma*qi*x[i])); t > tSmall {
					tmin, tmax = min(tmin, t), max(tmax, t)
					continue
				}
			}
			if r := split(i); !(r <= mx) {
				mx = r
			}
		}
	}
	if tmax > 0 {
		mx = max(mx, math.Abs(theory.Log(tmin)+s), math.Abs(theory.Log(tmax)+s))
	}
	if comp {
		qm := 1 - delta
		lq := math.Log1p(-delta)
		gd := 1 - gamma*qm*(lq/delta)
		rm := logRatio(eta[m], qm) + s + theory.Log(gd) + gamma*y
		if ar := math.Abs(rm); !(ar <= mx) {
			mx = ar
		}
		f.add(-delta)
	} else {
		f.add(-1)
	}
	if fs := math.Abs(f.sum()); !(fs <= mx) {
		mx = fs
	}
	return mx
}

// sumLanes adds the entries of v into f, compensated, in four independent
// lanes (neumaier.add written out on locals, which stay in registers): one
// compensated sum is a chain of dependent additions, four run side by side.
func sumLanes(f *neumaier, v []float64) {
	var s0, s1, s2, s3, c0, c1, c2, c3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		x0, x1, x2, x3 := v[i], v[i+1], v[i+2], v[i+3]
		t0, t1, t2, t3 := s0+x0, s1+x1, s2+x2, s3+x3
		b0, b1, b2, b3 := t0-s0, t1-s1, t2-s2, t3-s3
		c0 += (s0 - (t0 - b0)) + (x0 - b0)
		c1 += (s1 - (t1 - b1)) + (x1 - b1)
		c2 += (s2 - (t2 - b2)) + (x2 - b2)
		c3 += (s3 - (t3 - b3)) + (x3 - b3)
		s0, s1, s2, s3 = t0, t1, t2, t3
	}
	for _, x := range v[i:] {
		f.add(x)
	}
	f.add(s0)
	f.add(s1)
	f.add(s2)
	f.add(s3)
	f.c += c0 + c1 + c2 + c3
}

// exactRisk returns W(q; η) = −Σ_i η_i (1−q_i)^γ log q_i at the solver's
// final iterate, using its log q_i (x_i, which the iteration keeps within
// about an ulp of log q_i) instead of a logarithm per entry; the entry m,
// which may be carried as its complement, is evaluated by
// theory.LossTerm. The terms are within a few ulps of theory.Risk's, and
// their sum is compensated.
func exactRisk(q, eta, x []float64, m int, gamma float64) float64 {
	pw := newPow1m(gamma)
	var sum neumaier
	for i, e := range eta {
		if e == 0 {
			continue
		}
		if i == m {
			sum.add(e * theory.LossTerm(q[i], gamma))
			continue
		}
		sum.add(-e * pw.of(q[i], 1-q[i]) * x[i])
	}
	return sum.sum()
}

// exactLanes carries the vector kernels' operands (each in four lanes)
// and their lane accumulators (exact_amd64.s; the layout is fixed there).
type exactLanes struct {
	s, gamma, gm2, g1, g12, gm1, sc, one, half, minNormal [4]float64
	absMask                                               [4]uint64
	sumA, sumB, fS, fC, maxRho, rhoAll, maxInvd           [4]float64
}

// init sets the operands of a solve.
func (l *exactLanes) init(gamma float64) {
	for j := range 4 {
		l.gamma[j] = gamma
		// Formed as Minimize's loop forms them: γ−2, 1+γ, 1+2γ, γ−1.
		l.gm2[j], l.g1[j], l.g12[j], l.gm1[j] = gamma-2, 1+gamma, 1+2*gamma, gamma-1
		l.one[j], l.half[j], l.minNormal[j] = 1, 0.5, minNormal
		l.absMask[j] = 1<<63 - 1
	}
}

// start sets the operands of one iteration and clears the accumulators.
func (l *exactLanes) start(s, sc float64) {
	l.s = [4]float64{s, s, s, s}
	l.sc = [4]float64{sc, sc, sc, sc}
	l.sumA, l.sumB, l.fS, l.fC = [4]float64{}, [4]float64{}, [4]float64{}, [4]float64{}
	l.maxRho, l.rhoAll, l.maxInvd = [4]float64{}, [4]float64{}, [4]float64{}
}

// finish adds the lane accumulators into the main pass's sums and maxima
// (the maxima keep their value against NaN, as the loop's comparisons do).
func (l *exactLanes) finish(sumA, sumB *float64, f *neumaier, maxRho, rhoAll, maxInvd *float64) {
	for j := range 4 {
		*sumA += l.sumA[j]
		*sumB += l.sumB[j]
		f.add(l.fS[j])
		f.c += l.fC[j]
		if l.maxRho[j] > *maxRho {
			*maxRho = l.maxRho[j]
		}
		if l.rhoAll[j] > *rhoAll {
			*rhoAll = l.rhoAll[j]
		}
		if l.maxInvd[j] > *maxInvd {
			*maxInvd = l.maxInvd[j]
		}
	}
}

// exactStepLanes carries the step kernel's operands (each in four lanes)
// and its lane accumulators (exact_amd64.s; the layout is fixed there).
type exactStepLanes struct {
	ds, ds1, cheb, logHalf, negMaxStep, half, one, minNormal [4]float64
	absMask                                                  [4]uint64
	t10, t4, c6, c24, c120, c720, c5040, c40320              [4]float64
	mq, maxStep                                              [4]float64
	clamped                                                  [4]uint64
}

// init sets the operands of a solve.
func (l *exactStepLanes) init(logHalf float64) {
	for j := range 4 {
		l.logHalf[j], l.negMaxStep[j], l.half[j], l.one[j], l.minNormal[j] = logHalf, -maxLogStep, 0.5, 1, minNormal
		l.absMask[j] = 1<<63 - 1
		l.t10[j], l.t4[j] = 0x1p-10, 0x1p-4
		// expSmall's coefficients, as its Go constants round them.
		l.c6[j], l.c24[j], l.c120[j], l.c720[j], l.c5040[j], l.c40320[j] = 1.0/6, 1.0/24, 1.0/120, 1.0/720, 1.0/5040, 1.0/40320
	}
}

// start sets the operands of one step and clears the accumulators.
func (l *exactStepLanes) start(ds, ds1, chebyshev float64) {
	l.ds = [4]float64{ds, ds, ds, ds}
	l.ds1 = [4]float64{ds1, ds1, ds1, ds1}
	l.cheb = [4]float64{chebyshev, chebyshev, chebyshev, chebyshev}
	l.mq, l.maxStep, l.clamped = [4]float64{}, [4]float64{}, [4]uint64{}
}

// finish merges the lane accumulators into the step's maxima and clamp
// flag (on the fast path maxNormal takes the same |dx| as maxStep).
func (l *exactStepLanes) finish(mq, maxStep, maxNormal *float64, clamped *bool) {
	for j := range 4 {
		*mq = max(*mq, l.mq[j])
		*maxStep = max(*maxStep, l.maxStep[j])
		*maxNormal = max(*maxNormal, l.maxStep[j])
		if l.clamped[j] != 0 {
			*clamped = true
		}
	}
}

// stepAcc gathers what a step's entries report to the stopping rule:
// the largest new q_i and |Δ log q_i| (of all entries, of the normal and
// of the subnormal ones), whether a clamp changed a step, and (for the
// tests) how many entries left the fast path.
type stepAcc struct {
	mq, maxStep, maxNormal, maxSub float64
	clamped                        bool
	slow                           int
}

// stepRange takes the step of the entries lo..hi−1 with η_i ≠ 0, the
// scalar code of exactStepAVX2: dx = dx0 + ds1·d_i − chebyshev·a2_i·dx0²,
// dx0 = (ρ_i + ds)·d_i, clamped so that log q_i stays at most logHalf
// (entries carried as themselves stay at most 1/2: a non-top entry is
// below the top one, and the top one is carried this way only when
// η_m ≤ 1/2, then q_m ≤ 1/2 by Cor 9, or after it converged below 1/2) and
// decreases by at most maxLogStep; then x_i += dx and q_i *= e^dx. Small
// steps of normal entries that stay normal take the fast path, scaleExp's
// small-step branch with expSmall's polynomials inline; the others
// scaleExp. It is one call per range, not per entry: a call in the loop
// would make the compiler spill and reload the solver's state each time.
func stepRange(acc *stepAcc, eta, q, x, rho, d, a2 []float64, lo, hi int, ds, ds1, chebyshev, logHalf float64) {
	mq, maxStep, maxNormal, maxSub, clamped := acc.mq, acc.maxStep, acc.maxNormal, acc.maxSub, acc.clamped
	for i := lo; i < hi; i++ {
		if eta[i] == 0 {
			continue
		}
		dx0 := (rho[i] + ds) * d[i]
		dx := dx0 + ds1*d[i] - chebyshev*a2[i]*dx0*dx0
		if x[i]+dx > logHalf {
			dx = (logHalf - x[i]) / 2
			clamped = true
		}
		if dx < -maxLogStep {
			dx = -maxLogStep
			clamped = true
		}
		x[i] += dx
		adx := math.Abs(dx)
		if adx < 0x1p-4 && q[i] >= minNormal {
			var v float64
			if adx < 0x1p-10 {
				v = q[i] * (1 + dx*(1+dx*(1.0/2+dx*(1.0/6+dx*(1.0/24)))))
			} else {
				v = q[i] * expSmall(dx)
			}
			if v >= minNormal {
				q[i] = v
				mq, maxStep, maxNormal = max(mq, v), max(maxStep, adx), max(maxNormal, adx)
				continue
			}
		}
		acc.slow++
		q[i], x[i] = scaleExp(q[i], x[i], dx)
		mq = max(mq, q[i])
		if resolvable(q[i], dx) {
			maxStep = max(maxStep, adx)
		}
		if q[i] >= minNormal {
			maxNormal = max(maxNormal, adx)
		} else if q[i] >= fewBitsFloor {
			maxSub = max(maxSub, adx)
		}
	}
	acc.mq, acc.maxStep, acc.maxNormal, acc.maxSub, acc.clamped = mq, maxStep, maxNormal, maxSub, clamped
}

// exactVecMinK: Minimize takes its step kernel from K = 12 entries on;
// below, setting up and merging its lanes every iteration, and the calls
// around the blocks it leaves to stepRange, cost more than it saves (a
// sweep of K at γ = 2, against the scalar code: at K = 10 the other two
// kernels make a solve 1.18× faster, all three only 1.08×; at K = 16 all
// three 1.4×, at K = 100 2×).
const exactVecMinK = 12

// exactLogTMin: Minimize forms ρ_i as log t_i + s, t_i = (η_i/q_i)·φ(q_i),
// where log t_i > exactLogTMin, so that t_i > e^−708 > 2^−1022 is a normal
// number, formed with a relative error of a few ulps; for smaller t_i it
// takes the factors' logarithms apart.
const exactLogTMin = -708

// pow1m computes (1−q)^p like theory.Pow1m, with the test for a small
// integer exponent made once per solve rather than once per entry: for
// those, by multiplication of w = 1−q (the same binary powering, so the
// same value as theory.Pow1m).
type pow1m struct {
	p   float64
	n   int
	int bool
}

func newPow1m(p float64) pow1m {
	n := int(p)
	return pow1m{p: p, n: n, int: float64(n) == p && n >= 0 && n <= 3}
}

// of returns (1−q)^p for q in [0, 1), given w = 1−q.
func (pw pow1m) of(q, w float64) float64 {
	if !pw.int {
		return theory.Pow1m(q, pw.p)
	}
	switch pw.n {
	case 0:
		return 1
	case 1:
		return w
	case 2:
		return w * w
	}
	return w * w * w
}
