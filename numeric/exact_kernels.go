package numeric

// The portable kernels of ExactSolver's iteration (exact_solve.go): the
// loops and scalar helpers every platform runs, of which exact_amd64.s has
// vector twins that give the same bits (stepRange, and the products and
// main pass of exact_solve.go), and the operand layouts of those twins
// (exactLanes, exactStepLanes), which the solver carries on every platform.

import (
	"math"

	"github.com/focaltk/focal/theory"
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

// plus returns the sum with x added, as add does; a loop that keeps its
// sums as values (n = n.plus(x)) keeps them in registers, where the
// pointer of add would keep them in memory.
func (n neumaier) plus(x float64) neumaier {
	t := n.s + x
	bp := t - n.s
	return neumaier{t, n.c + ((n.s - (t - bp)) + (x - bp))}
}

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
// scalar code of exactStepAVX: dx = dx0 + ds1·d_i − chebyshev·a2_i·dx0²,
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
	// The same length for all (no bounds checks in the loop).
	eta = eta[lo:hi]
	q, x, rho, d, a2 = q[lo:hi][:len(eta)], x[lo:hi][:len(eta)], rho[lo:hi][:len(eta)], d[lo:hi][:len(eta)], a2[lo:hi][:len(eta)]
	for i, e := range eta {
		if e == 0 {
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

// of returns (1−q)^p for q in [0, 1), given w = 1−q. It is small enough to
// be inlined (powInt's loop is written out for that).
func (pw pow1m) of(q, w float64) float64 {
	if !pw.int {
		return theory.Pow1m(q, pw.p)
	}
	r := 1.0
	for range pw.n {
		r *= w
	}
	return r
}

// powInt returns w^n for a small n ≥ 0 by multiplication: w·w·w for n = 3
// and w·w for n = 2, as theory.Pow1m multiplies (1·w is exact).
func powInt(w float64, n int) float64 {
	r := 1.0
	for range n {
		r *= w
	}
	return r
}
