package certify

import (
	"math"
	"math/big"
)

// Prec is the precision, in bits, of every endpoint of an Interval. At 128
// bits an elementary operation widens an interval by at most 2^-128
// relative, so the enclosures of the focal quantities stay ~10^-35 wide
// (relative) after the few hundred operations of φ or ln h, far below the
// 10^-12 the certificates ask for.
const Prec = 128

// An Interval is a closed interval [lo, hi] of real numbers with
// endpoints of Prec bits, or the invalid interval (the result of an
// operation outside its domain: a logarithm of an interval reaching 0, a
// division by an interval containing 0). Every operation returns an
// interval that contains the exact result of the operation applied to
// every point of its arguments (outward rounding): the lower endpoint is
// computed with big.ToNegativeInf, the upper one with big.ToPositiveInf.
// An invalid interval propagates through every operation and makes every
// sign test false, so a box it touches is never settled.
//
// The zero Interval is invalid. Intervals are values; no operation
// modifies its arguments.
type Interval struct {
	lo, hi *big.Float
}

func down() *big.Float { return new(big.Float).SetPrec(Prec).SetMode(big.ToNegativeInf) }
func up() *big.Float   { return new(big.Float).SetPrec(Prec).SetMode(big.ToPositiveInf) }

// Point returns the interval [x, x]. A float64 has 53 bits, so x is held
// exactly. NaN and ±Inf give the invalid interval.
func Point(x float64) Interval {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return Interval{}
	}
	return Interval{down().SetFloat64(x), up().SetFloat64(x)}
}

// Between returns [lo, hi]; lo > hi, NaN or ±Inf give the invalid interval.
func Between(lo, hi float64) Interval {
	if !(lo <= hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return Interval{}
	}
	return Interval{down().SetFloat64(lo), up().SetFloat64(hi)}
}

// Int returns [n, n].
func Int(n int64) Interval { return Interval{down().SetInt64(n), up().SetInt64(n)} }

// Valid reports whether a is an interval (not the result of an operation
// outside its domain).
func (a Interval) Valid() bool { return a.lo != nil }

// Lo returns a float64 at or below every point of a (a's lower endpoint
// rounded toward −∞); NaN if a is invalid.
func (a Interval) Lo() float64 {
	if !a.Valid() {
		return math.NaN()
	}
	x, acc := a.lo.Float64()
	if acc == big.Above {
		x = math.Nextafter(x, math.Inf(-1))
	}
	return x
}

// Hi returns a float64 at or above every point of a; NaN if a is invalid.
func (a Interval) Hi() float64 {
	if !a.Valid() {
		return math.NaN()
	}
	x, acc := a.hi.Float64()
	if acc == big.Below {
		x = math.Nextafter(x, math.Inf(1))
	}
	return x
}

// LoBig and HiBig return copies of the exact endpoints (nil if invalid).
func (a Interval) LoBig() *big.Float {
	if !a.Valid() {
		return nil
	}
	return new(big.Float).Copy(a.lo)
}

// HiBig: see LoBig.
func (a Interval) HiBig() *big.Float {
	if !a.Valid() {
		return nil
	}
	return new(big.Float).Copy(a.hi)
}

// Positive reports whether every point of a is > 0 (false if invalid).
func (a Interval) Positive() bool { return a.Valid() && a.lo.Sign() > 0 }

// Negative reports whether every point of a is < 0 (false if invalid).
func (a Interval) Negative() bool { return a.Valid() && a.hi.Sign() < 0 }

// Contains reports whether x lies in a.
func (a Interval) Contains(x *big.Float) bool {
	return a.Valid() && a.lo.Cmp(x) <= 0 && x.Cmp(a.hi) <= 0
}

// Width returns an upper bound of hi − lo (NaN if invalid).
func (a Interval) Width() float64 {
	if !a.Valid() {
		return math.NaN()
	}
	w := up().Sub(a.hi, a.lo)
	x, acc := w.Float64()
	if acc == big.Below {
		x = math.Nextafter(x, math.Inf(1))
	}
	return x
}

// Add returns a + b.
func Add(a, b Interval) Interval {
	if !a.Valid() || !b.Valid() {
		return Interval{}
	}
	return Interval{down().Add(a.lo, b.lo), up().Add(a.hi, b.hi)}
}

// Sub returns a − b.
func Sub(a, b Interval) Interval {
	if !a.Valid() || !b.Valid() {
		return Interval{}
	}
	return Interval{down().Sub(a.lo, b.hi), up().Sub(a.hi, b.lo)}
}

// Neg returns −a (exact).
func Neg(a Interval) Interval {
	if !a.Valid() {
		return Interval{}
	}
	return Interval{down().Neg(a.hi), up().Neg(a.lo)}
}

// Mul returns a·b: the smallest and largest of the four endpoint
// products, each rounded in its direction.
func Mul(a, b Interval) Interval {
	if !a.Valid() || !b.Valid() {
		return Interval{}
	}
	ends := [4][2]*big.Float{{a.lo, b.lo}, {a.lo, b.hi}, {a.hi, b.lo}, {a.hi, b.hi}}
	var lo, hi *big.Float
	for _, e := range ends {
		l := down().Mul(e[0], e[1])
		h := up().Mul(e[0], e[1])
		if lo == nil || l.Cmp(lo) < 0 {
			lo = l
		}
		if hi == nil || h.Cmp(hi) > 0 {
			hi = h
		}
	}
	return Interval{lo, hi}
}

// Div returns a/b; invalid if b contains 0.
func Div(a, b Interval) Interval {
	if !a.Valid() || !b.Valid() || (b.lo.Sign() <= 0 && b.hi.Sign() >= 0) {
		return Interval{}
	}
	ends := [4][2]*big.Float{{a.lo, b.lo}, {a.lo, b.hi}, {a.hi, b.lo}, {a.hi, b.hi}}
	var lo, hi *big.Float
	for _, e := range ends {
		l := down().Quo(e[0], e[1])
		h := up().Quo(e[0], e[1])
		if lo == nil || l.Cmp(lo) < 0 {
			lo = l
		}
		if hi == nil || h.Cmp(hi) > 0 {
			hi = h
		}
	}
	return Interval{lo, hi}
}

// Scale returns a·2^k (exact).
func Scale(a Interval, k int) Interval {
	if !a.Valid() {
		return Interval{}
	}
	return Interval{down().SetMantExp(a.lo, k), up().SetMantExp(a.hi, k)}
}

// Hull returns the smallest interval holding a and b.
func Hull(a, b Interval) Interval {
	if !a.Valid() || !b.Valid() {
		return Interval{}
	}
	lo, hi := a.lo, a.hi
	if b.lo.Cmp(lo) < 0 {
		lo = b.lo
	}
	if b.hi.Cmp(hi) > 0 {
		hi = b.hi
	}
	return Interval{down().Set(lo), up().Set(hi)}
}

// mag returns an upper bound of max |x| over a.
func mag(a Interval) *big.Float {
	l := up().Abs(a.lo)
	h := up().Abs(a.hi)
	if l.Cmp(h) > 0 {
		return l
	}
	return h
}

// pm returns [−r, r].
func pm(r *big.Float) Interval { return Interval{down().Neg(r), up().Set(r)} }
