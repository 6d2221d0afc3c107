package numeric

// LossExact's monotone path (every F_j decreasing on (0, 1]) and the
// analysis it derives once per loss.
//
// Method. First the joint Newton iteration of solveJoint (one evaluation
// of F_j per coordinate and step, about 5 steps); where it does not
// converge, the fallback solveNested (bisections), which always does.
//
// The joint iteration's accuracy: at its stop each q_j is within about an
// ulp of the root of its float64 F_j at the final λ (the last step is below
// 2^−50, or at the noise floor of F_j's evaluation), and Σ q_j = 1 is
// exact in the models, the rest removed by the final normalization.
// TestLossExactAgainstHiprec measures the result against the 40-digit
// solution of the same KKT system; TestLossNestedAgainstHiprec the
// fallback (two bisections on bit patterns, solvePieces).

import (
	"math"
	"runtime"
	"sync"
	"weak"

	"github.com/focaltk/focal/loss"
)

// lossNoiseFloor is the size of a change of log F_j or of a step in
// log q_j below which solveJoint treats it as rounding noise:
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

// solveNested is the fallback: both levels by bisection of bit patterns
// (solvePieces on the whole interval), at most 64 steps of the multiplier
// with 64 per coordinate each, slow but with no condition to converge.
func solveNested(q, eta []float64, l *loss.Loss) int {
	k := len(eta)
	whole := []loss.Piece{{Lo: 0, Hi: 1, Decreasing: true}}
	pieces := make([][]loss.Piece, k)
	for i := range pieces {
		pieces[i] = whole
	}
	r, it := solvePieces(eta, l, pieces, make([]int, k))
	copy(q, r)
	return it
}
