package certify

import "math/big"

// This file holds the focal-loss quantities, written from the paper's
// equations (Eq. 10, 12, 13 and the derivative of φ) in Interval
// arithmetic, independently of package theory. v is a probability
// interval, g the focusing parameter γ ≥ 0 (an interval too, so that a box
// may range over γ). Each function's doc says its domain; outside it the
// result is invalid (never settles a box).

// oneOverE encloses 1/e (computed once, at package initialization).
var oneOverE = Exp(Int(-1))

func invE() Interval { return oneOverE }

// XLogX encloses v·ln v on v ⊂ [0, ∞), with 0·ln 0 = 0 (the limit). v ln v
// decreases on [0, 1/e] and increases on [1/e, ∞) (its derivative is
// ln v + 1), so the enclosure is taken at the endpoints, with −1/e as the
// lower bound when v reaches 1/e.
func XLogX(v Interval) Interval {
	if !v.Valid() || v.lo.Sign() < 0 {
		return Interval{}
	}
	at := func(x *big.Float) Interval {
		if x.Sign() == 0 {
			return Int(0)
		}
		p := pointBig(x)
		return Mul(p, Log(p))
	}
	e := invE()
	switch {
	case v.hi.Cmp(e.lo) <= 0: // decreasing part
		return Interval{at(v.hi).lo, at(v.lo).hi}
	case v.lo.Cmp(e.hi) >= 0: // increasing part
		return Interval{at(v.lo).lo, at(v.hi).hi}
	}
	a, b := at(v.lo).hi, at(v.hi).hi
	if b.Cmp(a) > 0 {
		a = b
	}
	return Interval{down().Neg(e.hi), a}
}

// Log1mOver encloses ln(1 − w)/w on w ⊂ [0, 1), with value −1 at w = 0
// (the limit). ln(1 − w)/w = −Σ_{n≥1} w^{n−1}/n decreases strictly on
// [0, 1), so the enclosure is taken at the endpoints.
func Log1mOver(w Interval) Interval {
	if !w.Valid() || w.lo.Sign() < 0 || w.hi.Cmp(big.NewFloat(1)) >= 0 {
		return Interval{}
	}
	at := func(x *big.Float) Interval {
		if x.Sign() == 0 {
			return Int(-1)
		}
		p := pointBig(x)
		return Div(Log1p(Neg(p)), p)
	}
	return Interval{at(w.hi).lo, at(w.lo).hi}
}

// inner encloses (1 − v) − γ·v·ln v, the second factor of φ (positive on
// [0, 1) for γ ≥ 0: both terms are ≥ 0 and the first is > 0).
func inner(v, g Interval) Interval { return Sub(Sub(Int(1), v), Mul(g, XLogX(v))) }

func inUnit(v Interval) bool {
	return v.Valid() && v.lo.Sign() >= 0 && v.hi.Cmp(big.NewFloat(1)) < 0
}

// Phi encloses φ^γ(v) = (1−v)^{γ−1}·((1−v) − γ v ln v) (Eq. 10, factored:
// both factors are positive on [0, 1)) for v ⊂ [0, 1), γ ⊂ [0, ∞).
func Phi(v, g Interval) Interval {
	if !inUnit(v) {
		return Interval{}
	}
	return Mul(Exp(Mul(Sub(g, Int(1)), Log1p(Neg(v)))), inner(v, g))
}

// LogPhi encloses ln φ^γ(v) for v ⊂ [0, 1), in the form without
// cancellation at small γ: with b(v) = −v ln v/(1 − v) ≥ 0,
// (1−v) − γ v ln v = (1−v)(1 + γ b), so
//
//	ln φ^γ(v) = γ·ln(1−v) + ln(1 + γ b(v))
//
// (both terms vanish with γ; at γ = 0 the enclosure is exactly 0).
func LogPhi(v, g Interval) Interval {
	if !inUnit(v) {
		return Interval{}
	}
	l1 := Log1p(Neg(v))
	b := Div(Neg(XLogX(v)), Sub(Int(1), v))
	return Add(Mul(g, l1), Log1p(Mul(g, b)))
}

// LogH encloses ln h^γ(v) = ln v − ln φ^γ(v) (Eq. 13) for v ⊂ (0, 1).
func LogH(v, g Interval) Interval { return Sub(Log(v), LogPhi(v, g)) }

// Psi encloses ψ(v) = 1/φ^γ(v) = e^{−ln φ} for v ⊂ [0, 1).
func Psi(v, g Interval) Interval { return Exp(Neg(LogPhi(v, g))) }

// F encloses f(v) = v·ψ(v) = v/φ^γ(v) = h^γ(v), for v ⊂ [0, 1).
func F(v, g Interval) Interval { return Mul(v, Psi(v, g)) }

// DPhiCore encloses D(v) = (γ−1) v ln v − (1−v)(ln v + 2), written as
// ln v·(γv − 1) − 2(1 − v), for v ⊂ (0, 1]. Differentiating Eq. 10,
//
//	φ'(v) = γ (1−v)^{γ−2} · D(v),
//
// so for γ > 0 and v ∈ (0, 1) the sign of φ' is the sign of D.
func DPhiCore(v, g Interval) Interval {
	return Sub(Mul(Log(v), Sub(Mul(g, v), Int(1))), Scale(Sub(Int(1), v), 1))
}

// DPhi encloses φ'(v) = γ (1−v)^{γ−2} D(v) for v ⊂ (0, 1).
func DPhi(v, g Interval) Interval {
	if !inUnit(v) {
		return Interval{}
	}
	return Mul(Mul(g, Exp(Mul(Sub(g, Int(2)), Log1p(Neg(v))))), DPhiCore(v, g))
}

// DPhiCoreOver1m encloses D(v)/(1 − v) = (ln v/(1 − v))·(γv − 1) − 2 for
// v ⊂ (0, 1], with ln v/(1 − v) = Log1mOver(1 − v) (−1 at v = 1): D
// vanishes at v = 1, its quotient by 1 − v does not (it is −γ − 1 there),
// so a sign of D on boxes reaching 1 is certified through it.
func DPhiCoreOver1m(v, g Interval) Interval {
	return Sub(Mul(Log1mOver(Sub(Int(1), v)), Sub(Mul(g, v), Int(1))), Int(2))
}

// DDPhiCore encloses D'(v) = (γv − 1)/v + γ ln v + 2 for v ⊂ (0, 1].
func DDPhiCore(v, g Interval) Interval {
	return Add(Add(Div(Sub(Mul(g, v), Int(1)), v), Mul(g, Log(v))), Int(2))
}
