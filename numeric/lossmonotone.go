package numeric

// LossExact's monotone path (every F_j decreasing on (0, 1]) and the
// analysis it derives once per loss.
//
// Method. First the joint Newton iteration of solveJoint (one evaluation
// of F_j per coordinate and step, about 5 steps); where it does not
// converge, the nested solver below, which always does.
//
// Nested solver. Write x_j = log q_j and t(μ) = log Σ_j q_j(μ) with μ = log λ.
// Each coordinate equation F_j(q_j) = λ is solved by Newton's method on
// y(u) = log F_j(u) − μ in the multiplicative form u ← u·exp(−y/s), s the
// slope d log F_j/d log u estimated by the secant through the last two
// iterates (−1, cross-entropy's, at the first step; the coordinate's last
// slope afterwards), safeguarded by a bracket [lo, hi] with y(lo) ≥ 0 ≥
// y(hi) that falls back to bisecting the bit patterns. For F = c·u^p (ce,
// gce, ls) log F is linear in log u and the secant is exact after one
// step; for poly1 and the other built-ins it is close. Working on u (not
// on log u) keeps a tiny q_j's full relative accuracy.
//
// The multiplier is Newton's method on t(μ) = 0: dt/dμ = Σ_j (q_j/S)/s_j,
// safeguarded by a bracket in μ, and each coordinate starts from its
// previous root moved by the predicted step, q_j·exp(Δμ/s_j). It stops
// when |t| ≤ 2^−52, when the step falls below 2^−53·max(1, |μ|) (the
// resolution of μ), or after lossNewtonMaxIter steps; q is then
// normalized by S.
//
// Accuracy: each q_j is within about an ulp of the root of its float64
// F_j (the last Newton step is below an ulp); what is left of t after the
// stop moves the q_j by t/s_j each, of which the normalization removes the
// common part. TestLossExactAgainstHiprec measures the result against the
// 40-digit solution of the same KKT system.

import (
	"math"
	"runtime"
	"sync"
	"weak"

	"github.com/focaltk/focal/loss"
)

// lossNewtonMaxIter bounds the Newton steps of each level; bisection
// steps count too, and 64 of them reach adjacent floats from any bracket,
// so the bound is never the reason to stop on a monotone F.
const lossNewtonMaxIter = 200

// lossNoiseFloor is the size of a change of log F_j (or of log Σ q_j)
// below which monoRoot (or solveMonotone) treats it as rounding noise:
// 2^−40 ≈ 9e-13, far above the few hundred ulps of error that math.Pow
// makes in gce's F at q ≈ 1e-300 (≈ 1e-13), far below any step of a
// Newton iteration that is still converging.
const lossNoiseFloor = 0x1p-40

// lossPlan is what LossExact derives from a loss once: loss.Analyze's
// facts and, per K, whether −r′ decreases (the r term's share of the
// monotone case).
type lossPlan struct {
	facts loss.Facts
	rMono sync.Map // int K → bool
}

// lossPlans caches each live loss's plan, keyed by a weak pointer so that
// a loss that is no longer used is collected and its entry removed. A Loss
// must not be changed after it was first given to LossExact.
var lossPlans sync.Map // weak.Pointer[loss.Loss] → *lossPlan

func planFor(l *loss.Loss) *lossPlan {
	key := weak.Make(l)
	if p, ok := lossPlans.Load(key); ok {
		return p.(*lossPlan)
	}
	p := &lossPlan{facts: loss.Analyze(l)}
	if q, loaded := lossPlans.LoadOrStore(key, p); loaded {
		return q.(*lossPlan)
	}
	runtime.AddCleanup(l, func(k weak.Pointer[loss.Loss]) { lossPlans.Delete(k) }, key)
	return p
}

// rMonotone reports whether −r′(·; k) does not increase on loss.Grid (true
// without r).
func (p *lossPlan) rMonotone(l *loss.Loss, k int) bool {
	if l.DR == nil {
		return true
	}
	if v, ok := p.rMono.Load(k); ok {
		return v.(bool)
	}
	mono := true
	grid := loss.Grid(nil)
	for i := 1; i < len(grid); i++ {
		if -l.DR(grid[i], k) > -l.DR(grid[i-1], k) {
			mono = false
			break
		}
	}
	p.rMono.Store(k, mono)
	return mono
}

// monoCoord is one active coordinate of the monotone solve.
type monoCoord struct {
	j        int
	yTiny    float64 // log F_j(2^−1074)
	yOne     float64 // log F_j(1)
	u, slope float64 // the last root and slope d log F_j/d log u there
}

// solveMonotone fills q with the minimizer for a loss whose every F_j
// decreases (LossExact's monotone case) and returns the number of steps:
// the joint Newton iteration (solveJoint), and where it does not converge
// the nested one (solveNested).
func solveMonotone(q, eta []float64, l *loss.Loss) int {
	if it, ok := solveJoint(q, eta, l); ok {
		return it
	}
	return lossJointMaxIter + solveNested(q, eta, l)
}

// lossJointMaxIter bounds solveJoint's steps; from η, the secant slopes
// make the iteration converge in under 10 steps on the built-in losses
// (measured up to 8 on BenchmarkLossExact's posteriors), and a
// non-converging start goes to the nested solver.
const lossJointMaxIter = 40

// lossMuIter bounds the Newton steps on μ inside each step of solveJoint:
// from the previous μ they converge quadratically on a convex function.
const lossMuIter = 60

// solveJoint is Newton's method on the whole KKT system in the unknowns
// x_j = log q_j and μ = log λ: with r_j = log F_j(q_j) − μ and s_j the
// secant slope of log F_j in log u (−1 at the first step), the linearized
// system r_j + s_j dx_j − dμ = 0, Σ q_j(1 + dx_j) = 1 gives
//
//	dμ = (1 − S + Σ q_j r_j/s_j) / Σ q_j/s_j,  dx_j = (dμ − r_j)/s_j,
//
// one evaluation of F_j per coordinate and step (the joint form of
// numeric.Exact's iteration). It stops when every |dx_j| ≤ 2^−50 (the next
// step would move no q_j by more than an ulp or so), or at the noise floor
// (the largest |dx_j| at most lossNoiseFloor and not smaller than the
// step before), and then normalizes q by S. It reports false (and the
// nested solver takes over) if a q_j leaves (0, 1), a value is not
// finite, or lossJointMaxIter steps do not converge; the zero entries of η
// of a loss without r are 0 and take no part.
func solveJoint(q, eta []float64, l *loss.Loss) (int, bool) {
	k := len(eta)
	var bufIdx [16]int
	var bufV [80]float64
	idx := bufIdx[:0]
	for j := range q {
		q[j] = 0
		if eta[j] > 0 || l.DR != nil {
			idx = append(idx, j)
		}
	}
	n := len(idx)
	if n == 1 {
		q[idx[0]] = 1
		return 0, true
	}
	var y, yp, sl, up, lq []float64
	if 5*n <= len(bufV) {
		y, yp, sl, up, lq = bufV[:n], bufV[n:2*n], bufV[2*n:3*n], bufV[3*n:4*n], bufV[4*n:5*n]
	} else {
		b := make([]float64, 5*n)
		y, yp, sl, up, lq = b[:n], b[n:2*n], b[2*n:3*n], b[3*n:4*n], b[4*n:]
	}
	for i, j := range idx {
		q[j] = eta[j]
		if q[j] == 0 {
			q[j] = 1 / float64(k)
		}
		sl[i] = -1
	}
	var mu float64
	prevMax := math.Inf(1)
	for it := 1; it <= lossJointMaxIter; it++ {
		var s float64
		for i, j := range idx {
			f := math.Log(coordF(l, eta[j], j, k, q[j]))
			if it > 1 {
				if dy, dx := f-yp[i], math.Log(q[j]/up[i]); math.Abs(dy) > lossNoiseFloor && dx != 0 {
					if v := dy / dx; v < 0 && !math.IsInf(v, 0) {
						sl[i] = v
					}
				}
			} else {
				mu += q[j] * f
			}
			yp[i], up[i] = f, q[j]
			y[i] = f
			s += q[j]
		}
		if it == 1 {
			mu /= s
		}
		// μ from the coordinates' linear models x_j(μ) = x_j + (μ − y_j)/s_j
		// and the exact constraint Σ_j exp(x_j(μ)) = 1: log S(μ) is convex
		// and decreasing in μ, so Newton's method converges (lossMuIter
		// steps at most); the models' slopes are constant, so each step costs
		// one exponential per coordinate.
		for i, j := range idx {
			lq[i] = math.Log(q[j])
		}
		prevD := math.Inf(1)
		for range lossMuIter {
			m := math.Inf(-1)
			for i := range idx {
				m = math.Max(m, lq[i]+(mu-y[i])/sl[i])
			}
			var se, sp float64
			for i := range idx {
				e := math.Exp(lq[i] + (mu-y[i])/sl[i] - m)
				se += e
				sp += e / sl[i]
			}
			phi := m + math.Log(se)
			if phi == 0 {
				break
			}
			dmu := -phi * se / sp
			if math.IsNaN(dmu) || math.IsInf(dmu, 0) {
				return it, false
			}
			if math.Abs(dmu) >= prevD {
				break // rounding noise: Newton no longer contracts
			}
			mu += dmu
			prevD = math.Abs(dmu)
			if math.Abs(dmu) <= 0x1p-52*math.Max(1, math.Abs(mu)) {
				break
			}
		}
		maxDx := 0.0
		for i, j := range idx {
			dx := (mu - y[i]) / sl[i]
			maxDx = math.Max(maxDx, math.Abs(dx))
			v := q[j] * math.Exp(dx)
			if !(v > 0 && v <= 1) {
				return it, false
			}
			q[j] = v
		}
		if maxDx <= 0x1p-50 || maxDx <= lossNoiseFloor && maxDx >= prevMax {
			var t float64
			for _, j := range idx {
				t += q[j]
			}
			for _, j := range idx {
				q[j] /= t
			}
			return it, true
		}
		prevMax = maxDx
	}
	return lossJointMaxIter, false
}

// solveNested is the nested solver: the multiplier by safeguarded Newton,
// each coordinate by monoRoot (see the file's doc).
func solveNested(q, eta []float64, l *loss.Loss) int {
	k := len(eta)
	var cs []monoCoord
	var buf [16]monoCoord
	cs = buf[:0]
	for j := range q {
		q[j] = 0
		if eta[j] > 0 || l.DR != nil {
			cs = append(cs, monoCoord{j: j, slope: -1,
				yTiny: math.Log(coordF(l, eta[j], j, k, math.SmallestNonzeroFloat64)),
				yOne:  math.Log(coordF(l, eta[j], j, k, 1))})
		}
	}
	if len(cs) == 1 {
		q[cs[0].j] = 1
		return 0
	}
	// Start: q_j = η_j (1/K where η_j = 0), μ the q-weighted mean of
	// log F_j there (exact for cross-entropy: μ = 0).
	var mu, ws float64
	for i := range cs {
		c := &cs[i]
		c.u = eta[c.j]
		if c.u == 0 {
			c.u = 1 / float64(k)
		}
		mu += c.u * math.Log(coordF(l, eta[c.j], c.j, k, c.u))
		ws += c.u
	}
	mu /= ws
	if math.IsNaN(mu) || math.IsInf(mu, 0) {
		mu = 0
	}
	muLo, muHi := math.Inf(-1), math.Inf(1) // t(muLo) ≥ 0 ≥ t(muHi)
	var s, tPrev float64
	it := 0
	for ; it < lossNewtonMaxIter; it++ {
		s = 0
		var d float64
		atOne := math.Inf(-1) // the largest log F_j(1) of a coordinate held at 1
		for i := range cs {
			c := &cs[i]
			var held bool
			c.u, c.slope, held = monoRoot(l, eta[c.j], c.j, k, mu, c)
			s += c.u
			switch {
			case !held:
				d += c.u / c.slope
			case c.u == 1:
				atOne = math.Max(atOne, c.yOne)
			}
		}
		t := math.Log(s)
		if atOne > math.Inf(-1) {
			// With two active coordinates every q_j < 1 at the root, so
			// μ > log F_j(1) there: t > 0 whatever S says.
			muLo = math.Max(muLo, atOne)
			if t <= 0 {
				t = 1
			}
		} else {
			if t == 0 || math.Abs(t) <= 0x1p-52 {
				break
			}
			if it > 0 && math.Abs(t) >= math.Abs(tPrev) && math.Abs(t) <= lossNoiseFloor {
				break // the noise floor of S
			}
		}
		tPrev = t
		if t > 0 {
			muLo = math.Max(muLo, mu)
		} else {
			muHi = mu
		}
		step := -t * s / d
		if math.IsNaN(step) || math.IsInf(step, 0) {
			step = math.Copysign(1, t) // every coordinate held: expand
		}
		next := mu + step
		if !(next > muLo && next < muHi) {
			switch {
			case math.IsInf(muLo, -1):
				next = muHi - math.Max(1, 2*math.Abs(step))
			case math.IsInf(muHi, 1):
				next = muLo + math.Max(1, 2*math.Abs(step))
			default:
				next = muLo + (muHi-muLo)/2
			}
			step = next - mu
		}
		if math.Abs(step) <= 0x1p-53*math.Max(1, math.Abs(mu)) || next == mu {
			break
		}
		for i := range cs {
			c := &cs[i]
			c.u *= math.Exp(step / c.slope)
		}
		mu = next
	}
	for i := range cs {
		q[cs[i].j] = cs[i].u / s
	}
	return it + 1
}

// monoRoot returns the u in [2^−1074, 1] with log F_j(u) = mu for a
// decreasing F_j, started at c.u with slope c.slope, the slope
// d log F_j/d log u there, and whether u is held at an end of the interval
// because mu is outside F_j's range (then q_j does not move with mu).
//
// It stops when the Newton step is below 2^−52 (the root is within about
// an ulp), when the bracket holds adjacent floats, or at the noise floor
// of log F_j: a step of at most lossNoiseFloor that did not reduce |y|
// (the better of the last two points is returned). A secant slope is only
// taken from values of y that differ by more than lossNoiseFloor, so that
// rounding noise does not become a slope.
func monoRoot(l *loss.Loss, eta float64, j, k int, mu float64, c *monoCoord) (float64, float64, bool) {
	if c.yOne >= mu {
		return 1, c.slope, true
	}
	if c.yTiny <= mu {
		return math.SmallestNonzeroFloat64, c.slope, true
	}
	lo, hi := math.SmallestNonzeroFloat64, 1.0
	slope := c.slope
	if !(slope < 0) || math.IsInf(slope, 0) {
		slope = -1
	}
	u := c.u
	if !(u > lo && u < hi) {
		u = bitMid(lo, hi)
	}
	var up, yp float64
	prev := false
	for range lossNewtonMaxIter {
		y := math.Log(coordF(l, eta, j, k, u)) - mu
		if y == 0 {
			return u, slope, false
		}
		if prev {
			dx := math.Log(u / up)
			if math.Abs(y) >= math.Abs(yp) && math.Abs(dx) <= lossNoiseFloor {
				return up, slope, false
			}
			if sl := (y - yp) / dx; math.Abs(y-yp) > lossNoiseFloor && sl < 0 && !math.IsInf(sl, 0) {
				slope = sl
			}
		}
		if y > 0 {
			lo = u
		} else {
			hi = u
		}
		delta := -y / slope
		next := u * math.Exp(delta)
		if !(next > lo && next < hi) {
			next = bitMid(lo, hi)
			if next == lo || next == hi {
				return u, slope, false
			}
		} else if math.Abs(delta) <= 0x1p-52 {
			return next, slope, false
		}
		up, yp, prev = u, y, true
		u = next
	}
	return u, slope, false
}
