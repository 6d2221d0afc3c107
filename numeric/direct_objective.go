package numeric

// The objective of one optimize run of Direct: f = log(W(z)/W(z₀)) relative
// to the run's reference point z₀, scaled, with its gradient, the fixed
// entries summed in aggregate. It is apart from the point evaluations of
// direct_problem.go because it exists for one reason, resolution: a plain
// evaluation of W near its minimum resolves q only to √ε.
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

import (
	"math"
)

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
