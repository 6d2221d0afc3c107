package hiprec

import (
	"math"
	"math/big"

	"github.com/cockroachdb/apd/v3"
)

// point is a probability v ∈ (0, 1) together with its complement c = 1 − v
// and both logarithms, each relative-accurate to the working precision.
// Carrying c and ln c separately is what keeps v = 1 − 10⁻³⁰ exact: v alone,
// rounded to 70 digits, would hold only 40 digits of its complement.
type point struct {
	v, c, lnv, lnc *big.Float
}

// pointVC builds a point from 0 < v < 1 and c = 1 − v, both
// relative-accurate: the logarithm of whichever is ≤ 1/2 is taken directly,
// that of the other as ln(1 − small), by a series that keeps its relative
// accuracy.
func (k *calc) pointVC(v, c *big.Float) point {
	p := point{v: v, c: c}
	if v.Cmp(c) <= 0 {
		p.lnv = k.ln(v)
		p.lnc = k.log1p(k.neg(v))
	} else {
		p.lnv = k.log1p(k.neg(c))
		p.lnc = k.ln(c)
	}
	return p
}

// pointDec builds the point of a decimal 0 < v < 1: 1 − v is formed exactly
// in decimal and then both are rounded to binary, so a v such as
// 1 − 10⁻³⁰⁰ (a component of Minimize's result) keeps its complement.
func (k *calc) pointDec(v *apd.Decimal) point {
	return k.pointVC(k.big(v), k.big(exactSub(decOne, v)))
}

// pointFromLogit builds the point with logit x = ln(v/(1−v)): with
// E = e^{−|x|} ∈ (0, 1],
//
//	x ≥ 0: v = 1/(1+E), c = E/(1+E), ln v = −ln(1+E), ln c = −x − ln(1+E)
//	x < 0: v = E/(1+E), c = 1/(1+E), ln v = x − ln(1+E), ln c = −ln(1+E)
//
// so v, c and their logarithms are all relative-accurate however close v is
// to 0 or 1. The minimizer solves for x instead of v for this reason.
func (k *calc) pointFromLogit(x *big.Float) point {
	E := k.exp(k.neg(k.abs(x)))
	onePlusE := k.add(k.one(), E)
	l1 := k.log1p(E)
	large := k.quo(k.one(), onePlusE)
	small := k.quo(E, onePlusE)
	if x.Sign() >= 0 {
		return point{v: large, c: small, lnv: k.neg(l1), lnc: k.sub(k.neg(x), l1)}
	}
	return point{v: small, c: large, lnv: k.sub(x, l1), lnc: k.neg(l1)}
}

// phiParts returns, for 0 < v < 1 and γ > 0, the two terms of
//
//	ln φ^γ(v) = γ·ln(1−v) + ln(1 + γw),   w = −v ln v / (1−v) > 0,
//
// which is Eq. 10 with (1−v)^γ factored out:
// φ = (1−v)^γ·(1 − γ v ln v/(1−v)). It also returns w.
func (k *calc) phiParts(p point, g *big.Float) (glnc, l1p, w *big.Float) {
	w = k.neg(k.quo(k.mul(p.v, p.lnv), p.c))
	glnc = k.mul(g, p.lnc)
	l1p = k.log1p(k.mul(g, w))
	return glnc, l1p, w
}

// logH returns ln h^γ(v) = ln v − ln φ^γ(v) (Eq. 13) and its derivative with
// respect to the logit x = ln(v/(1−v)),
//
//	d ln h/dx = v(1−v)·(1/v − φ'/φ) = c + γ v((γ−1)w + ln v + 2)/(1 + γw),
//
// from φ'(v) = γ(1−v)^{γ−2}((γ−1) v ln v − (1−v)(ln v + 2)), c = 1−v and w
// as in phiParts. For 0 < v < 1 and γ > 0.
func (k *calc) logH(p point, g *big.Float) (lh, dlh *big.Float) {
	glnc, l1p, w := k.phiParts(p, g)
	lh = k.sub(k.sub(p.lnv, glnc), l1p)
	num := k.add(k.add(k.mul(k.sub(g, k.one()), w), p.lnv), k.int(2))
	dlh = k.add(p.c, k.quo(k.mul(k.mul(g, p.v), num), k.add(k.one(), k.mul(g, w))))
	return lh, dlh
}

// phi returns φ^γ(v) at the point p for γ > 0 as Eq. 10 is written:
// (1−v)^γ + γ·(1−v)^{γ−1}·v·(−ln v), the powers as e^{γ ln(1−v)} and
// e^{(γ−1) ln(1−v)}. On (0, 1) both terms are positive, so there is no
// cancellation. (logH uses the factored form instead; the tests check that
// the two agree.)
func (k *calc) phi(p point, g *big.Float) *big.Float {
	t1 := k.exp(k.mul(g, p.lnc))
	t2 := k.mul(k.mul(g, k.exp(k.mul(k.sub(g, k.one()), p.lnc))), k.mul(p.v, k.neg(p.lnv)))
	return k.add(t1, t2)
}

// validV reports whether v is a finite decimal in [0, 1].
func validV(v *apd.Decimal) bool {
	return v != nil && v.Form == apd.Finite && v.Sign() >= 0 && v.Cmp(decOne) <= 0
}

// validGamma reports whether γ is finite and ≥ 0.
func validGamma(g float64) bool { return g >= 0 && !math.IsInf(g, 1) }

// Phi returns φ^γ(v) = (1−v)^γ − γ(1−v)^{γ−1} v ln v (Eq. 10) at v and γ
// taken exactly, to 60 significant digits (Digits of them guaranteed). The
// two terms are evaluated as written; on (0, 1) both are positive
// (−v ln v > 0), so there is no cancellation.
//
// Special cases are:
//
//	Phi(v, 0) = 1 for v ∈ [0, 1] (φ^0 ≡ 1)
//	Phi(0, γ) = 1
//	Phi(1, γ) = 0 for γ > 0
//	Phi(v, γ) = NaN if v or γ is NaN, v ∉ [0, 1], γ < 0 or γ = +Inf
//	Phi(v, γ) = 0 if φ < 10^-99000 (only when γ·|ln(1−v)| > 2·10⁵)
func Phi(v, gamma float64) *apd.Decimal {
	if !(v >= 0 && v <= 1) {
		return nanDec()
	}
	return PhiDecimal(Exact(v), gamma)
}

// PhiDecimal is Phi at a decimal v (for example a component of Minimize's
// result), used exactly as given.
func PhiDecimal(v *apd.Decimal, gamma float64) *apd.Decimal {
	if !validV(v) || !validGamma(gamma) {
		return nanDec()
	}
	switch {
	case gamma == 0, v.IsZero():
		return apd.New(1, 0)
	case v.Cmp(decOne) == 0:
		return apd.New(0, 0)
	}
	return orNaN(nanDec, func() (*apd.Decimal, error) {
		k := defaultCalc
		return k.dec(k.phi(k.pointDec(v), k.num(gamma))), nil
	})
}

// LogH returns ln h^γ(v) = ln v − ln φ^γ(v), the logarithm of Eq. 13
// (h = v/φ), at v and γ taken exactly, to 60 significant digits. It uses
// ln φ = γ ln(1−v) + ln(1 + γw), w = −v ln v/(1−v) (Eq. 10 with (1−v)^γ
// factored out), so nothing overflows even for γ = 1000 and v = 1 − 2^-53,
// where h ≈ 10^16000.
//
// Infinite results are Decimals with Form apd.Infinite (Float maps them to
// ±Inf).
//
// Special cases are:
//
//	LogH(0, γ) = −Infinity
//	LogH(1, γ) = +Infinity for γ > 0
//	LogH(v, 0) = ln v (so LogH(1, 0) = 0)
//	LogH(v, γ) = NaN if v or γ is NaN, v ∉ [0, 1], γ < 0 or γ = +Inf
func LogH(v, gamma float64) *apd.Decimal {
	if !(v >= 0 && v <= 1) {
		return nanDec()
	}
	return LogHDecimal(Exact(v), gamma)
}

// LogHDecimal is LogH at a decimal v, used exactly as given.
func LogHDecimal(v *apd.Decimal, gamma float64) *apd.Decimal {
	if !validV(v) || !validGamma(gamma) {
		return nanDec()
	}
	return orNaN(nanDec, func() (*apd.Decimal, error) {
		k := defaultCalc
		return k.dec(k.logHDec(v, k.num(gamma))), nil
	})
}

// logHDec is ln h^γ(v) for a valid decimal v and γ ≥ 0, with the special
// cases (±Inf as infinite big.Floats), at the working precision.
func (k *calc) logHDec(v *apd.Decimal, g *big.Float) *big.Float {
	switch {
	case v.IsZero():
		return k.nf().SetInf(true)
	case g.Sign() == 0:
		if v.Cmp(decOne) == 0 {
			return k.nf()
		}
		return k.pointDec(v).lnv
	case v.Cmp(decOne) == 0:
		return k.nf().SetInf(false)
	}
	lh, _ := k.logH(k.pointDec(v), g)
	return lh
}
