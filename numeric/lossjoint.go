package numeric

// LossSolver's joint Newton iteration: the monotone case's method (every
// F_j decreasing on (0, 1]), about 5 steps of one evaluation of F_j per
// coordinate; where it does not converge, the nested solver
// (lossnested.go), which always does.
//
// Accuracy: at its stop each q_j is within about an ulp of the root of its
// float64 F_j at the final λ (the last step is below 2^−50, or at the noise
// floor of F_j's evaluation), and Σ q_j = 1 is exact in the models, the
// rest removed by the final normalization. Logarithms are theory.Log:
// math.Log on amd64 returns about −709.09 for every subnormal argument
// (docs/numerics.md), which sent a subnormal q_j to a wrong root (ce at
// η = (1, 8.1e-310): q_2 = 3.2e-309). TestLossExactAgainstHiprec measures
// the result against the 40-digit solution of the same KKT system;
// TestLossNestedAgainstHiprec the fallback.

import (
	"math"

	"github.com/focaltk/focal/theory"
)

// lossNoiseFloor is the size of a change of log F_j or of a step in
// log q_j below which solveJoint treats it as rounding noise:
// 2^−40 ≈ 9e-13, far above the few hundred ulps of error that math.Pow
// makes in gce's F at q ≈ 1e-300 (≈ 1e-13), far below any step of a
// Newton iteration that is still converging.
const lossNoiseFloor = 0x1p-40

// lossJointMaxIter bounds solveJoint's steps; from η, the secant slopes
// make the iteration converge in under 10 steps on the built-in losses
// (measured up to 8 on BenchmarkLossExact's posteriors), and a
// non-converging start goes to the nested solver.
const lossJointMaxIter = 40

// lossMuIter bounds the Newton steps on μ inside each step of solveJoint:
// from the previous μ they converge quadratically on a convex function.
const lossMuIter = 60

// jointBuf is solveJoint's scratch, kept by the solver.
type jointBuf struct {
	idx    []int
	frozen []bool
	v      []float64
}

// solveJoint is Newton's method on the whole KKT system in the unknowns
// x_j = log q_j and μ = log λ. With y_j = log F_j(q_j) and s_j its slope
// d log F_j/d log u (u·g″/g′ from the loss's g″ where it has one and no r
// term; otherwise the secant through the last two iterates, −1 at the
// first step), the coordinates' linear models are x_j(μ) = x_j + (μ −
// y_j)/s_j; μ solves Σ_j exp(x_j(μ)) = 1 exactly (log of the sum is
// convex and decreasing in μ: Newton's method, lossMuIter steps at most,
// one exponential per coordinate and step), and q_j ← q_j·exp((μ −
// y_j)/s_j). One evaluation of F_j (and g″) per coordinate and step.
//
// It starts at q = η, with each entry that is subnormal or 1 moved to
// (η_j + 1/K)/2, where F_j is finite. It stops when the residual
// max_j |μ − y_j| (that of a subnormal q_j scaled by q_j/2^−1022: it has
// an absolute accuracy only) is at most 2^−50 (then F_j(q_j) = λ to a few
// ulps, the backward error of F_j's own rounding, after the step just
// taken), or, with analytic slopes, at the noise floor (the residual at
// most lossNoiseFloor and not smaller than the step before's), and then
// normalizes q by its sum.
// A coordinate whose root lies below 2^−1074 is held there (and one that
// reaches 1 at 1 − 2^−53). It reports false (the fallback takes over) on
// a value that is not finite or after lossJointMaxIter steps; the zero
// entries of η of a loss without r are 0 and take no part. prepare(eta)
// must have run.
func (s *LossSolver) solveJoint(q, eta []float64) (int, bool) {
	k := len(eta)
	b := &s.joint
	idx := b.idx[:0]
	for j := range q {
		if s.active(eta, j) {
			idx = append(idx, j)
		}
	}
	b.idx = idx
	n := len(idx)
	if n == 1 {
		clear(q)
		q[idx[0]] = 1
		return 0, true
	}
	if cap(b.frozen) < n {
		b.frozen = make([]bool, n)
	}
	frozen := b.frozen[:n]
	clear(frozen)
	b.v = growF(b.v, 5*n)
	v := b.v
	y, yp, sl, up, lq := v[:n], v[n:2*n], v[2*n:3*n], v[3*n:4*n], v[4*n:]
	analytic := s.newton
	clear(q)
	for i, j := range idx {
		u := eta[j]
		if !(u >= 0x1p-1022 && u < 1) {
			// inside (0, 1) and normal, where F_j is finite (a subnormal
			// start could overflow F_j at a coordinate whose root is not
			// small, as with label smoothing's ε/K)
			u = (eta[j] + 1/float64(k)) / 2
		}
		q[j], sl[i] = u, -1
	}
	var mu float64
	prevR := math.Inf(1)
	for it := 1; it <= lossJointMaxIter; it++ {
		var sum float64
		for i, j := range idx {
			u := q[j]
			if frozen[i] {
				continue
			}
			f := theory.Log(s.f(j, k, u))
			if !(f < math.Inf(1)) && u < 0x1p-1022 {
				// F_j overflows at a subnormal q_j (ce's 1/u beyond
				// 2^1024): the coordinate keeps its value and leaves the
				// system (its mass is below 2^−1022; no accuracy is
				// promised there).
				frozen[i] = true
				sum += u
				continue
			}
			slope := math.NaN()
			if analytic {
				slope = s.elasticity(j, k, u)
			} else if it > 1 {
				if dy, dx := f-yp[i], theory.Log(u/up[i]); math.Abs(dy) > lossNoiseFloor && dx != 0 {
					slope = dy / dx
				}
			}
			if slope < 0 && !math.IsInf(slope, 0) {
				sl[i] = slope
			}
			if it == 1 {
				mu += u * f
			}
			yp[i], up[i] = f, u
			y[i] = f
			sum += u
		}
		var sFrozen float64
		for i, j := range idx {
			lq[i] = theory.Log(q[j])
			if frozen[i] {
				sFrozen += q[j]
			}
		}
		if it == 1 {
			mu /= sum - sFrozen
		}
		target := math.Log1p(-sFrozen) // the others sum to 1 − (frozen mass)
		prevD := math.Inf(1)
		for range lossMuIter {
			m := math.Inf(-1)
			for i := range idx {
				if !frozen[i] {
					m = math.Max(m, lq[i]+(mu-y[i])/sl[i])
				}
			}
			var se, sp float64
			for i := range idx {
				if frozen[i] {
					continue
				}
				e := math.Exp(lq[i] + (mu-y[i])/sl[i] - m)
				se += e
				sp += e / sl[i]
			}
			phi := m + theory.Log(se) - target
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
		maxR := 0.0
		for i, j := range idx {
			if frozen[i] {
				continue
			}
			r := mu - y[i]
			v := q[j] * math.Exp(r/sl[i])
			switch {
			case math.IsNaN(v):
				return it, false
			case v >= 1:
				v = 1 - 0x1p-53 // F_j(1) may be 0 (the focal family)
			case v < math.SmallestNonzeroFloat64:
				v = math.SmallestNonzeroFloat64
			}
			// A subnormal q_j resolves F_j only to 2^−1074/q_j: its
			// residual counts scaled by q_j/2^−1022.
			maxR = math.Max(maxR, math.Abs(r)*math.Min(1, math.Min(q[j], v)*0x1p1022))
			q[j] = v
		}
		// The noise-floor stop needs analytic slopes: with secant ones
		// (or the first step's −1) a residual that does not shrink may
		// be a wrong slope, not rounding (focal-ls near the uniform η
		// stopped 680 ulps off before it had r″), so without g″ the
		// iteration must reach 2^−50 or hand over to the nested solver.
		if maxR <= 0x1p-50 || analytic && maxR <= lossNoiseFloor && maxR >= prevR {
			// The sum's last error goes where the models put it: one more
			// step in μ, dμ = (1 − S)/Σ_j q_j/s_j, q_j ← q_j(1 + dμ/s_j),
			// moves mostly the coordinates whose F_j is flat (|s_j| small,
			// where q_j is least determined by its equation); a plain
			// division by S would move the others by the same relative
			// amount (200 ulps measured at poly1 ε = 100, q* = (0.0096,
			// 0.99)). Then a division by the new sum, an ulp from 1.
			var t, bs float64
			for i, j := range idx {
				if !frozen[i] {
					t += q[j]
					bs += q[j] / sl[i]
				}
			}
			dmu := (1 - t) / bs
			var t2 float64
			for i, j := range idx {
				if !frozen[i] && !math.IsNaN(dmu) && !math.IsInf(dmu, 0) {
					q[j] *= 1 + dmu/sl[i]
				}
				t2 += q[j]
			}
			for _, j := range idx {
				q[j] /= t2
			}
			return it, true
		}
		prevR = maxR
	}
	return lossJointMaxIter, false
}
