package hiprec

import (
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/cockroachdb/apd/v3"
)

// ErrDomain is returned (wrapped, with the offending argument named) for
// arguments outside a function's domain.
var ErrDomain = errors.New("hiprec: argument outside the domain")

// Minimize returns q^{γ,*}(η), the minimizer over the probability simplex of
// the pointwise focal risk W(q; η) = −Σ_i η_i (1−q_i)^γ ln q_i (Eq. 7), at η
// and γ taken exactly, each component to 60 significant digits (Digits of
// them guaranteed).
//
// Method. W is convex on the simplex and the KKT conditions give q_i = 0
// where η_i = 0 and, on the support, ∂W/∂q_i = −η_i φ^γ(q_i)/q_i = −λ, i.e.
//
//	ln h^γ(q_i) = ln η_i + s   (h = v/φ, Eq. 13; s = −ln λ)
//
// for one scalar s with Σ q_i = 1. h is strictly increasing from 0 to ∞ on
// (0, 1), so each q_i(s) is unique and Σ q_i(s) increases with s. The
// solve is nested. The outer Newton iteration (safeguarded by bisection)
// finds s from
//
//	Φ(s) = ln Σ_{i≠m} q_i(s) − ln(1 − q_m(s)) = 0,
//
// m the index of the largest η_i: this is Σ q_i = 1 written so that no
// 1 − (something near 1) is ever formed, and in logarithms so that Newton
// converges fast also when 1 − q_m is exponentially small in s (near
// one-hot η, small γ). The inner one solves each ln h(q_i) = ln η_i + s for
// the logit x_i = ln(q_i/(1−q_i)), in which both q_i and 1 − q_i are
// relative-accurate and ln h is nearly linear (slope 1 as q → 0, γ as
// q → 1). A float64 solve of the same equations provides the start, so a
// solve takes a few Newton steps: 2–4 ms for K = 3, 5–13 ms for K = 10 and
// 15–40 ms for K = 30.
//
// Representation of the result: q_i for i ≠ m are rounded to 60 digits; if
// q_m ≥ 1/2 it is the exact decimal 1 − Σ_{i≠m} q_i, so that Σ q_i = 1
// exactly and 1 − q_m is recovered exactly (q_m = 1 − 10⁻³⁰ keeps all digits
// of its complement); otherwise q_m is rounded to 60 digits.
//
// η need not sum to 1 exactly (float64 probability vectors rarely do): q*
// depends on η only through η/Σ η, and then Ψ^γ(q*) = η/Σ η (Thm 11).
// Tested for γ ∈ [10⁻⁶, 1000], K ≤ 30 and η_i down to 5e-324.
//
// Special cases are:
//
//	γ = 0: q* = η/Σ η (cross-entropy is strictly proper)
//	only one η_i > 0: q* = e_i
//	η_i = 0 ⇒ q*_i = 0
//	errors (wrapping ErrDomain): empty η, an η_i that is NaN, ±Inf or < 0,
//	  all η_i = 0, γ NaN, < 0 or +Inf
//	error wrapping ErrNoConvergence: a root finder ran out of iterations
//	  (not observed)
func Minimize(eta []float64, gamma float64) ([]*apd.Decimal, error) {
	if !validGamma(gamma) {
		return nil, fmt.Errorf("%w: gamma = %v, want finite γ ≥ 0", ErrDomain, gamma)
	}
	if len(eta) == 0 {
		return nil, fmt.Errorf("%w: empty eta", ErrDomain)
	}
	var pos []int
	for i, x := range eta {
		if !(x >= 0) || math.IsInf(x, 1) {
			return nil, fmt.Errorf("%w: eta[%d] = %v, want finite ≥ 0", ErrDomain, i, x)
		}
		if x > 0 {
			pos = append(pos, i)
		}
	}
	if len(pos) == 0 {
		return nil, fmt.Errorf("%w: eta is all zero", ErrDomain)
	}
	return try(func() ([]*apd.Decimal, error) {
		k := defaultCalc
		q := make([]*apd.Decimal, len(eta))
		for i := range q {
			q[i] = apd.New(0, 0)
		}
		if len(pos) == 1 {
			q[pos[0]] = apd.New(1, 0)
			return q, nil
		}
		sub := make([]float64, len(pos))
		for j, i := range pos {
			sub[j] = eta[i]
		}
		var qs []*apd.Decimal
		if gamma == 0 {
			e := make([]*big.Float, len(sub))
			for j, x := range sub {
				e[j] = k.num(x)
			}
			qs = k.normalize(e)
		} else {
			var err error
			if qs, err = k.minimize(sub, gamma); err != nil {
				return nil, err
			}
		}
		for j, i := range pos {
			q[i] = qs[j]
		}
		return q, nil
	})
}

// minimize is Minimize for γ > 0 and η_i > 0, len(η) ≥ 2.
func (k *calc) minimize(eta []float64, gamma float64) ([]*apd.Decimal, error) {
	n := len(eta)
	g := k.num(gamma)
	m := 0
	lnEtaF := make([]float64, n)
	lnEta := make([]*big.Float, n)
	for i, e := range eta {
		if e > eta[m] {
			m = i
		}
		lnEtaF[i] = logF(e)
		lnEta[i] = k.ln(k.num(e))
	}
	s0F, xF := presolve(lnEtaF, m, gamma)

	// Inner state: the current solution of component i, with its point and
	// derivative, and the s it was solved for.
	type comp struct {
		x, dlh, s *big.Float
		p         point
	}
	cs := make([]comp, n)
	for i := range cs {
		cs[i].x = k.num(xF[i])
	}
	innerMaxStep := func(x *big.Float) *big.Float { return k.add(k.int(10), k.abs(x)) }
	inner := func(i int, s *big.Float) error {
		c := &cs[i]
		x0 := c.x
		if c.s != nil && c.dlh.Sign() > 0 {
			// Linear prediction: dx/ds = 1/(d ln h/dx).
			x0 = k.add(c.x, k.quo(k.sub(s, c.s), c.dlh))
		}
		t := k.add(lnEta[i], s)
		var lastX, lastD *big.Float
		var lastP point
		f := func(x *big.Float) (fx, dfx *big.Float) {
			p := k.pointFromLogit(x)
			lh, d := k.logH(p, g)
			lastX, lastP, lastD = x, p, d
			return k.sub(lh, t), d
		}
		x, err := k.solveIncreasing(f, x0, nil, nil, k.absTol, innerMaxStep)
		if err != nil {
			return fmt.Errorf("q_%d: %w", i, err)
		}
		if x != lastX {
			f(x)
		}
		c.x, c.p, c.dlh, c.s = lastX, lastP, lastD, s
		return nil
	}
	var innerErr error
	var lastS *big.Float
	// outer returns Φ(s) and Φ'(s) = Σ_{i≠m} (v_i c_i/g'_i)/S + v_m/g'_m,
	// S = Σ_{i≠m} v_i, g' = d ln h/dx (dx_i/ds = 1/g'_i, dv/dx = vc,
	// d ln c/dx = −v).
	outer := func(s *big.Float) (fx, dfx *big.Float) {
		lastS = s
		sum, dsum := k.nf(), k.nf()
		for i := range cs {
			if err := inner(i, s); err != nil {
				innerErr = err
				// Stop the outer solve: report a zero so it returns at once.
				return k.nf(), k.one()
			}
			if i != m {
				p := cs[i].p
				sum = k.add(sum, p.v)
				dsum = k.add(dsum, k.quo(k.mul(p.v, p.c), cs[i].dlh))
			}
		}
		pm := cs[m].p
		fx = k.sub(k.ln(sum), pm.lnc)
		dfx = k.add(k.quo(dsum, sum), k.quo(pm.v, cs[m].dlh))
		return fx, dfx
	}
	s, err := k.solveIncreasing(outer, k.num(s0F), nil, nil, k.absTol, innerMaxStep)
	if innerErr != nil {
		return nil, innerErr
	}
	if err != nil {
		return nil, fmt.Errorf("multiplier s: %w", err)
	}
	if s != lastS {
		outer(s)
		if innerErr != nil {
			return nil, innerErr
		}
	}
	q := make([]*apd.Decimal, n)
	others := apd.New(0, 0)
	for i := range cs {
		if i != m {
			q[i] = k.dec(cs[i].p.v)
			others = exactAdd(others, q[i])
		}
	}
	if cs[m].x.Sign() >= 0 {
		q[m] = exactSub(decOne, others)
	} else {
		q[m] = k.dec(cs[m].p.v)
	}
	return q, nil
}

// logHF is ln h^γ at logit x in float64, with its x-derivative, ln v and
// ln(1−v): the same equations as pointFromLogit and logH, used only for the
// start of the solve (its accuracy does not affect the result).
func logHF(x, gamma float64) (lh, dlh, lnv, lnc float64) {
	var v, c, w float64
	if x >= 0 {
		E := math.Exp(-x)
		l1 := math.Log1p(E)
		v, c, lnv, lnc = 1/(1+E), E/(1+E), -l1, -x-l1
		w = 1 // −v ln v/c = ln(1+E)/E → 1 as E → 0
		if E > 0 {
			w = l1 / E
		}
	} else {
		E := math.Exp(x)
		l1 := math.Log1p(E)
		v, c, lnv, lnc = E/(1+E), 1/(1+E), x-l1, -l1
		w = -E * lnv
	}
	lh = lnv - gamma*lnc - math.Log1p(gamma*w)
	dlh = c + gamma*v*((gamma-1)*w+lnv+2)/(1+gamma*w)
	return lh, dlh, lnv, lnc
}

// presolveBound bounds the logits of the float64 start; the solve at full
// precision is not bounded.
const presolveBound = 2000

// solveF returns a zero of the increasing f in [lo, hi] (f(lo) < 0 < f(hi)
// assumed), by Newton safeguarded with bisection, to float64 accuracy.
func solveF(f func(x float64) (fx, dfx float64), x0, lo, hi float64) float64 {
	x := x0
	prev := math.Inf(1)
	slow := 0
	for it := 0; it < 500; it++ {
		fx, d := f(x)
		if fx == 0 || math.IsNaN(fx) {
			return x
		}
		if fx < 0 {
			lo = x
		} else {
			hi = x
		}
		xn := x - fx/d
		// Bisect if Newton leaves the bracket or twice fails to halve the
		// step (a wrong derivative, e.g. where a clamp holds x_i fixed).
		if math.Abs(xn-x) > prev/2 {
			slow++
		} else {
			slow = 0
		}
		if !(xn > lo && xn < hi) || slow >= 2 {
			xn, slow = lo/2+hi/2, 0
		}
		if math.Abs(xn-x) <= 1e-15*(1+math.Abs(x)) {
			return xn
		}
		prev = math.Abs(xn - x)
		x = xn
	}
	return x
}

// presolve solves the KKT system of minimize in float64 (the same Φ, with
// ln Σ v_i as a log-sum-exp so that nothing underflows) and returns the
// multiplier s and the logits x_i, clamped to ±presolveBound. Non-finite
// values are replaced by 0, from which the full-precision solve recovers.
func presolve(lnEta []float64, m int, gamma float64) (s float64, x []float64) {
	n := len(lnEta)
	x = make([]float64, n)
	lhLo, _, _, _ := logHF(-presolveBound, gamma)
	lhHi, _, _, _ := logHF(presolveBound, gamma)
	innerF := func(i int, s float64) {
		t := lnEta[i] + s
		switch {
		case t <= lhLo:
			x[i] = -presolveBound
		case t >= lhHi:
			x[i] = presolveBound
		default:
			x[i] = solveF(func(z float64) (float64, float64) {
				lh, d, _, _ := logHF(z, gamma)
				return lh - t, d
			}, x[i], -presolveBound, presolveBound)
		}
	}
	lnv := make([]float64, n)
	dlh := make([]float64, n)
	// Phi returns Φ(s) and Φ'(s) as in minimize.
	Phi := func(s float64) (float64, float64) {
		mx := math.Inf(-1)
		for i := range x {
			innerF(i, s)
			_, dlh[i], lnv[i], _ = logHF(x[i], gamma)
			if i != m {
				mx = math.Max(mx, lnv[i])
			}
		}
		var sum, num float64 // S/e^mx and Σ (v_i c_i/g'_i)/e^mx
		for i := range x {
			if i != m {
				e := math.Exp(lnv[i] - mx)
				sum += e
				num += e * (1 / (1 + math.Exp(x[i]))) / dlh[i]
			}
		}
		_, _, lnvm, lncm := logHF(x[m], gamma)
		return math.Log(sum) + mx - lncm, num/sum + math.Exp(lnvm)/dlh[m]
	}
	sLo, sHi := math.Inf(1), math.Inf(-1)
	for i := 0; i < n; i++ {
		sLo = math.Min(sLo, lhLo-lnEta[i])
		sHi = math.Max(sHi, lhHi-lnEta[i])
	}
	s0 := sLo/2 + sHi/2
	// A better start: q = η/Ση, s from component m.
	var sum float64
	for _, l := range lnEta {
		sum += math.Exp(l - lnEta[m])
	}
	if qm := 1 / sum; qm > 0 && qm < 1 {
		lh, _, _, _ := logHF(math.Log(qm)-math.Log1p(-qm), gamma)
		if g := lh - lnEta[m]; g > sLo && g < sHi {
			s0 = g
		}
	}
	s = solveF(Phi, s0, sLo, sHi)
	for i := range x {
		innerF(i, s)
		if math.IsNaN(x[i]) || math.IsInf(x[i], 0) {
			x[i] = 0
		}
	}
	if math.IsNaN(s) || math.IsInf(s, 0) {
		s = 0
	}
	return s, x
}

// Risk returns the pointwise focal risk W(q; η) = −Σ_i η_i (1−q_i)^γ ln q_i
// (Eq. 7, with the focal loss of Eq. 5) at decimal q and η used exactly,
// to 60 significant digits. The terms are all ≥ 0, so the sum does not
// cancel. It does not use φ, h or Ψ, so it is an independent check of
// Minimize.
//
// Special cases are:
//
//	terms with η_i = 0 are 0 (whatever q_i is)
//	Risk = +Infinity if q_i = 0 where η_i > 0
//	terms with q_i = 1 are 0
//	Risk = NaN if some q_i is not in [0, 1], some η_i is not finite and ≥ 0,
//	  or γ is NaN, < 0 or +Inf
//
// Risk panics if len(q) != len(eta).
func Risk(q, eta []*apd.Decimal, gamma float64) *apd.Decimal {
	if len(q) != len(eta) {
		panic("hiprec: Risk: len(q) != len(eta)")
	}
	if !validGamma(gamma) {
		return nanDec()
	}
	for i := range q {
		if !validV(q[i]) || eta[i] == nil || eta[i].Form != apd.Finite || eta[i].Sign() < 0 {
			return nanDec()
		}
	}
	return orNaN(nanDec, func() (*apd.Decimal, error) {
		k := defaultCalc
		return k.dec(k.risk(q, eta, k.num(gamma))), nil
	})
}

// risk is Risk for valid arguments, at the working precision.
func (k *calc) risk(q, eta []*apd.Decimal, g *big.Float) *big.Float {
	sum := k.nf()
	for i := range q {
		switch {
		case eta[i].IsZero(), q[i].Cmp(decOne) == 0:
			continue
		case q[i].IsZero():
			return k.nf().SetInf(false)
		}
		p := k.pointDec(q[i])
		t := k.mul(k.big(eta[i]), k.mul(k.exp(k.mul(g, p.lnc)), k.neg(p.lnv)))
		sum = k.add(sum, t)
	}
	return sum
}

// logF is math.Log made correct for subnormal x: Go's amd64 math.Log
// mishandles them (math.Log(5e-324) = −709.09 instead of −744.44,
// golang/go#56600), while math.Frexp normalizes them correctly.
func logF(x float64) float64 {
	frac, e := math.Frexp(x)
	return math.Log(frac) + float64(e)*math.Ln2
}
