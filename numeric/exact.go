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
// ulps). The iteration stops when no log q_i moves by more than
// exactStepTol. Equal η_i follow identical arithmetic, so ties stay exactly
// tied.
//
// Subnormal entries of η (below 2^−1022) carry too few bits for their KKT
// residuals to settle to an ulp, and with a tiny γ (which amplifies that
// noise by 1/γ) the iteration may then end at IterationLimit; the result is
// still a probability vector with ties and zeros kept.
//
// Accuracy (measured against package hiprec, docs/numerics.md): relative
// error of a few ulps for every entry ≥ 1e-300 wherever γ·|log(1−q_i)| ≤ 10,
// growing like γ·|log(1−q_i)| ulps beyond. Result.Residual is the KKT
// residual max(max_i |ρ_i|, |Σ q_i − 1|) at the last iterate evaluated, over the
// entries that are normal float64 numbers.
type ExactSolver struct {
	// MaxIter bounds the Newton iterations; 0 means defaultExactMaxIter.
	MaxIter int

	buf []float64
}

const (
	// defaultExactMaxIter: Newton converges in 5–15 steps from q = η on
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
	// below exactStepTol (saving the step that would only confirm it).
	exactQuadraticTol = 1e-5
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
	// exactDirectMaxGamma: up to this γ the residual of a non-maximal
	// entry is formed as one logarithm of η_i φ(q_i)/q_i (see Minimize).
	exactDirectMaxGamma = 17
)

// neumaier is a compensated (Kahan–Babuška–Neumaier) running sum.
type neumaier struct{ s, c float64 }

func (n *neumaier) add(x float64) {
	t := n.s + x
	if math.Abs(n.s) >= math.Abs(x) {
		n.c += (n.s - t) + x
	} else {
		n.c += (x - t) + n.s
	}
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

// expSmall returns e^x, by a degree-4 Taylor polynomial when |x| < 2^−10
// (remainder below x^5/120 < 2^−56, under half an ulp of the result), which
// is where Newton's late steps live, and by math.Exp otherwise.
func expSmall(x float64) float64 {
	if math.Abs(x) < 0x1p-10 {
		return 1 + x*(1+x*(1.0/2+x*(1.0/6+x*(1.0/24))))
	}
	return math.Exp(x)
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
	if cap(sv.buf) < 3*k {
		sv.buf = make([]float64, 3*k)
	}
	x, rho, d := sv.buf[:k], sv.buf[k:2*k], sv.buf[2*k:3*k]

	// Start from q = η (the γ = 0 solution).
	copy(dst, eta)
	for i, e := range eta {
		if e > 0 {
			x[i] = theory.Log(e)
		}
	}
	// A unique top entry with η_m > 1/2 is carried as its complement
	// δ = 1 − q_m (accurate when q_m is near 1); if it converges to
	// q_m < 1/2, where 1 − δ would cancel, it is carried as q_m from there.
	comp := false
	var delta, y float64
	if unique && eta[m] > 0.5 {
		var sum neumaier
		for i, e := range eta {
			if i != m {
				sum.add(e)
			}
		}
		comp, delta = true, sum.sum()
		y = theory.Log(delta)
	}
	maxIter := sv.MaxIter
	if maxIter <= 0 {
		maxIter = defaultExactMaxIter
	}
	logHalf := -math.Ln2
	yMax := math.Log1p(-1 / float64(npos)) // q_m ≥ 1/npos
	gm1 := gamma - 1
	// direct: φ(q_i) = (1−q_i)^{γ−1} g(q_i) ≥ 2^{−16}·g for the entries
	// below 1/2, and η_i/q_i ≈ e^{−s}φ(q_i)^{−1}, so the product below
	// stays far from overflow and underflow.
	direct := gamma <= exactDirectMaxGamma
	var s float64
	polish, subStall := 0, 0
	var prevStep float64
	res.Status = IterationLimit
	for it := 1; it <= maxIter; it++ {
		res.Iterations = it
		switched := false
		if comp && delta > 0.5 && prevStep < exactQuadraticTol && it > 1 {
			// Converging to q_m < 1/2: carry q_m itself from here on.
			comp, switched = false, true
			dst[m] = 1 - delta
			x[m] = theory.Log(dst[m])
		}
		var sumA, sumB, maxRho float64
		var f neumaier // Σ q_i − 1, compensated: at K = 1000 a plain sum
		// is off by up to K ulps, which would shift every q_i by as much.
		for i, e := range eta {
			if e == 0 || (comp && i == m) {
				continue
			}
			q, lq := dst[i], x[i]
			gi := (1 - q) - gamma*q*lq
			var r float64
			if direct {
				// One logarithm of a product with a relative error of a
				// few ulps: ρ_i to a few ulps absolute.
				if t := e / q * (theory.Pow1m(q, gm1) * gi); t >= minNormal {
					r = theory.Log(t) + s
				} else {
					r = logRatio(e, q) + theory.Log(theory.Pow1m(q, gm1)*gi) + s
				}
			} else {
				r = logRatio(e, q) + s + theory.Log(gi) + gm1*math.Log1p(-q)
			}
			di := 1 + gm1*q/(1-q) + q*(1+gamma*(1+lq))/gi
			rho[i], d[i] = r, di
			sumA += q * r / di
			sumB += q / di
			f.add(q)
			if q >= minNormal {
				maxRho = math.Max(maxRho, math.Abs(r))
			}
		}
		var rm, dm float64
		if comp {
			q := 1 - delta
			lq := math.Log1p(-delta)
			gi := delta - gamma*q*lq
			// log g + (γ−1) log δ = log(g/δ) + γ log δ: g/δ ≈ 1 + γq has
			// no cancellation, and only γ·log δ is amplified.
			rm = logRatio(eta[m], q) + s + math.Log(gi/delta) + gamma*y
			dm = delta/q + gamma*(2*delta+delta*lq-gm1*q*lq)/gi
			sumA += delta * rm / dm
			sumB += delta / dm
			f.add(-delta)
			maxRho = math.Max(maxRho, math.Abs(rm))
		} else {
			f.add(-1)
		}
		fs := f.sum()
		res.Residual = math.Max(maxRho, math.Abs(fs))
		if math.IsNaN(res.Residual) || math.IsInf(res.Residual, 0) || !(sumB > 0) {
			res.Status = Failed
			break
		}
		ds := (-fs - sumA) / sumB
		// maxStep: the steps that hold up the stopping rule; maxNormal and
		// maxSub: those of normal and of subnormal entries.
		var maxStep, maxNormal, maxSub float64
		for i, e := range eta {
			if e == 0 || (comp && i == m) {
				continue
			}
			dx := (rho[i] + ds) / d[i]
			// Entries carried as themselves stay at most 1/2: a non-top
			// entry is below the top one, and the top one is carried this
			// way only when η_m ≤ 1/2 (then q_m ≤ 1/2 by Cor 9) or after it
			// converged below 1/2.
			if x[i]+dx > logHalf {
				dx = (logHalf - x[i]) / 2
			}
			dx = math.Max(dx, -maxLogStep)
			x[i] += dx
			dst[i], x[i] = scaleExp(dst[i], x[i], dx)
			if resolvable(dst[i], dx) {
				maxStep = math.Max(maxStep, math.Abs(dx))
			}
			if dst[i] >= minNormal {
				maxNormal = math.Max(maxNormal, math.Abs(dx))
			} else if dst[i] >= fewBitsFloor {
				maxSub = math.Max(maxSub, math.Abs(dx))
			}
		}
		if comp {
			dy := -(rm + ds) / dm
			if y+dy > yMax {
				dy = (yMax - y) / 2
			}
			dy = math.Max(dy, -maxLogStep)
			y += dy
			delta, y = scaleExp(delta, y, dy)
			if resolvable(delta, dy) {
				maxStep = math.Max(maxStep, math.Abs(dy))
			}
			if delta >= minNormal {
				maxNormal = math.Max(maxNormal, math.Abs(dy))
			} else if delta >= fewBitsFloor {
				maxSub = math.Max(maxSub, math.Abs(dy))
			}
		}
		s += ds
		// Newton's error after a step δ is about C·δ², with C estimated
		// from the last two steps; stop when that is below rounding.
		predicted := math.Inf(1)
		if prevStep > 0 && prevStep < exactQuadraticTol && maxStep < exactQuadraticTol {
			predicted = maxStep / (prevStep * prevStep) * maxStep * maxStep
		}
		prevStep = maxStep
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
		if !switched && (maxStep <= exactStepTol || predicted <= exactStepTol || polish > exactPolishSteps || subStall > exactSubnormalSteps) {
			res.Status = Converged
			break
		}
	}
	if comp {
		dst[m] = 1 - delta
	}
	res.Risk = theory.Risk(dst, eta, gamma)
	return res, nil
}
