package certify

import (
	"math/big"
	"sync"
)

// This file holds exp, ln and log1p. math/big has no transcendental
// functions, so each is a series whose truncation error is bounded
// explicitly and added to the enclosure as [−R, R]; every operation on the
// way is an outward-rounded Interval operation, so the result contains
// the exact value. The functions are increasing, so an interval argument
// is handled by its endpoints: f([a, b]) ⊂ [lower(f(a)), upper(f(b))].

// seriesEps is the relative size, 2^-(Prec+10), at which a series stops:
// its remainder bound is then below the rounding of the endpoints.
const seriesEpsBits = Prec + 10

func pointBig(x *big.Float) Interval { return Interval{down().Set(x), up().Set(x)} }

// expPoint encloses e^x for a finite x.
//
// Method: x = r·2^k with k ≥ 0 chosen so that |r| < 2^-8 (r is exact: a
// change of exponent), e^r = Σ_{n=0}^{N} r^n/n! + R_N with
//
//	|R_N| = |Σ_{n>N} r^n/n!| ≤ |r|^{N+1}/(N+1)! · Σ_{i≥0} |r|^i ≤ 2·|r|^{N+1}/(N+1)!   (|r| ≤ 1/2),
//
// N the first index with |r|^{N+1}/(N+1)! ≤ 2^-(Prec+10) (e^r ≥ 1/2, so
// the bound is relative), then e^x = (e^r)^(2^k) by k squarings of a
// positive interval (each squaring at most doubles the relative width
// and adds one rounding: 2^k·2^-128 relative for the k ≤ 40 of |x| < 2^32).
func expPoint(x *big.Float) Interval {
	if x.Sign() == 0 {
		return Int(1)
	}
	k := 0
	if e := x.MantExp(nil); e > -8 { // |x| < 2^e
		k = e + 8
	}
	r := Interval{down().SetMantExp(x, -k), up().SetMantExp(x, -k)}
	eps := new(big.Float).SetMantExp(big.NewFloat(1), -seriesEpsBits)
	sum, term := Int(1), Int(1)
	rm := mag(r)
	for n := int64(1); ; n++ {
		term = Div(Mul(term, r), Int(n))
		sum = Add(sum, term)
		// |r^{n+1}/(n+1)!| ≤ |term|·|r|/(n+1)
		nb := up().Quo(up().Mul(mag(term), rm), up().SetInt64(n+1))
		if nb.Cmp(eps) <= 0 {
			sum = Add(sum, pm(up().Mul(nb, big.NewFloat(2))))
			break
		}
	}
	for range k {
		sum = Mul(sum, sum)
	}
	return sum
}

// atanhSeries encloses atanh(s) = Σ_{n≥0} s^{2n+1}/(2n+1) for an interval
// s ⊂ [−1/3, 1/3]. Stopping at the first n with |s|^{2n+1} ≤
// |s|·2^-(Prec+10), the remainder is
//
//	|Σ_{j≥n} s^{2j+1}/(2j+1)| ≤ |s|^{2n+1}/(1 − s²) ≤ (9/8)·|s|^{2n+1} ≤ 2·|s|^{2n+1},
//
// relative to atanh(s) ≥ |s| at most 2^-(Prec+9).
func atanhSeries(s Interval) Interval {
	if s.lo.Sign() == 0 && s.hi.Sign() == 0 {
		return Int(0)
	}
	s2 := Mul(s, s)
	eps := up().SetMantExp(mag(s), -seriesEpsBits)
	sum, pow := s, s
	for n := int64(1); ; n++ {
		pow = Mul(pow, s2) // s^{2n+1}
		if m := mag(pow); m.Cmp(eps) <= 0 {
			return Add(sum, pm(up().Mul(m, big.NewFloat(2))))
		}
		sum = Add(sum, Div(pow, Int(2*n+1)))
	}
}

var ln2Once struct {
	sync.Once
	v Interval
}

// Ln2 encloses ln 2 = 2·atanh(1/3).
func Ln2() Interval {
	ln2Once.Do(func() { ln2Once.v = Scale(atanhSeries(Div(Int(1), Int(3))), 1) })
	return ln2Once.v
}

// logPoint encloses ln x for a finite x > 0.
//
// Method: x = m·2^e with m ∈ [1/√2, √2) (exact), ln x = e·ln 2 + 2·atanh(s),
// s = (m − 1)/(m + 1) ∈ [−0.172, 0.172] (atanhSeries; for m near 1, s is
// formed from the exact m − 1, so ln x near 0 keeps its relative accuracy).
func logPoint(x *big.Float) Interval {
	m := new(big.Float)
	e := x.MantExp(m) // m ∈ [1/2, 1)
	sq := new(big.Float).SetPrec(2*Prec+2).Mul(m, m)
	if sq.Cmp(big.NewFloat(0.5)) < 0 {
		m.SetMantExp(m, 1)
		e--
	}
	M := pointBig(m)
	res := Scale(atanhSeries(Div(Sub(M, Int(1)), Add(M, Int(1)))), 1)
	if e != 0 {
		res = Add(res, Mul(Int(int64(e)), Ln2()))
	}
	return res
}

// log1pPoint encloses ln(1 + y) for a finite y > −1: for |y| ≤ 1/4 as
// 2·atanh(y/(2 + y)) (|s| ≤ 1/7; no cancellation for tiny y), otherwise as
// ln of the enclosure of 1 + y.
func log1pPoint(y *big.Float) Interval {
	if y.Sign() == 0 {
		return Int(0)
	}
	if new(big.Float).Abs(y).Cmp(big.NewFloat(0.25)) <= 0 {
		Y := pointBig(y)
		return Scale(atanhSeries(Div(Y, Add(Int(2), Y))), 1)
	}
	return Log(Add(Int(1), pointBig(y)))
}

// Exp encloses e^a.
func Exp(a Interval) Interval {
	if !a.Valid() {
		return Interval{}
	}
	return Interval{expPoint(a.lo).lo, expPoint(a.hi).hi}
}

// Log encloses ln a; invalid unless every point of a is > 0.
func Log(a Interval) Interval {
	if !a.Positive() {
		return Interval{}
	}
	return Interval{logPoint(a.lo).lo, logPoint(a.hi).hi}
}

// Log1p encloses ln(1 + a); invalid unless every point of a is > −1.
func Log1p(a Interval) Interval {
	if !a.Valid() || a.lo.Cmp(big.NewFloat(-1)) <= 0 {
		return Interval{}
	}
	return Interval{log1pPoint(a.lo).lo, log1pPoint(a.hi).hi}
}

// Pow encloses x^y = e^{y·ln x} for x > 0.
func Pow(x, y Interval) Interval { return Exp(Mul(y, Log(x))) }
