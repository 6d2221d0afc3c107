package numeric

// The problem Direct (direct.go) hands to gonum/optimize: the softmax
// parametrization of the support, log W, λ and the residual evaluated
// stably at a point (the objective of a run is in direct_objective.go). It
// is kept apart from the driver (direct_solve.go) because it is where
// Direct's accuracy is made: every formula here keeps q_i near 1 and
// entries down to 1e-300 at full relative accuracy.
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
//
import (
	"math"
)

// directProblem holds the softmax parametrization of the support of η and
// the state of the optimization (see direct_solve.go and direct_objective.go). Positions k index the support.
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
