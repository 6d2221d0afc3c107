package hiprec

import (
	"math"
	"math/big"
	"strconv"

	"github.com/cockroachdb/apd/v3"
)

// Exact returns the exact decimal value of x: every finite float64 is
// m·2^e with integer m, which is m·5^{−e}·10^{e} for e < 0, a finite decimal
// of at most 767 significant digits. (apd's SetFloat64 is not used: it
// returns the shortest decimal that rounds back to x, which is a different
// number, e.g. 0.1 instead of 0.1000000000000000055511151231257827….)
//
// Special cases are:
//
//	Exact(±0) = ±0
//	Exact(±Inf) = a Decimal with Form Infinite and the sign of x
//	Exact(NaN) = a Decimal with Form NaN
func Exact(x float64) *apd.Decimal {
	switch {
	case math.IsNaN(x):
		return nanDec()
	case math.IsInf(x, 0):
		return infDec(x < 0)
	case x == 0:
		d := apd.New(0, 0)
		d.Negative = math.Signbit(x)
		return d
	}
	frac, e2 := math.Frexp(math.Abs(x)) // |x| = frac·2^e2, frac ∈ [1/2, 1)
	m := uint64(frac * (1 << 53))       // exact: frac has ≤ 53 significant bits
	e := e2 - 53
	for m&1 == 0 {
		m >>= 1
		e++
	}
	c := new(big.Int).SetUint64(m)
	d := new(apd.Decimal)
	if e >= 0 {
		c.Lsh(c, uint(e))
	} else {
		c.Mul(c, new(big.Int).Exp(big.NewInt(5), big.NewInt(int64(-e)), nil))
		d.Exponent = int32(e)
	}
	d.Coeff.SetMathBigInt(c)
	d.Negative = x < 0
	return d
}

// ExactSlice returns Exact(x[i]) for every i.
func ExactSlice(x []float64) []*apd.Decimal {
	d := make([]*apd.Decimal, len(x))
	for i, v := range x {
		d[i] = Exact(v)
	}
	return d
}

// Float returns the float64 nearest to d (ties to even), with gradual
// underflow to subnormals and to ±0, and overflow to ±Inf, as
// strconv.ParseFloat, which rounds correctly for decimal inputs of any
// length, does.
//
// Special cases are:
//
//	Float(NaN) = NaN
//	Float(±Infinity) = ±Inf
//	Float(nil) = NaN
func Float(d *apd.Decimal) float64 {
	if d == nil {
		return math.NaN()
	}
	switch d.Form {
	case apd.Finite:
	case apd.Infinite:
		if d.Negative {
			return math.Inf(-1)
		}
		return math.Inf(1)
	default:
		return math.NaN()
	}
	f, err := strconv.ParseFloat(d.Text('E'), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return math.NaN() // not reached: apd always formats a valid number
		}
	}
	return f
}

// errCtx evaluates error measures: 20 digits are plenty for a ratio that is
// reported as a float64.
var errCtx = &apd.Context{Precision: 20, MaxExponent: apd.MaxExponent,
	MinExponent: apd.MinExponent, Traps: apd.DefaultTraps, Rounding: apd.RoundHalfEven}

// mismatch handles the non-finite cases shared by RelErr and ULPs. It
// reports done = true with the error to return when got or want is not a
// finite number: 0 if both are the same NaN/Inf, +Inf otherwise.
func mismatch(got float64, want *apd.Decimal) (e float64, done bool) {
	if want == nil {
		return math.Inf(1), true
	}
	switch want.Form {
	case apd.Finite:
	case apd.Infinite:
		if math.IsInf(got, 0) && (got < 0) == want.Negative {
			return 0, true
		}
		return math.Inf(1), true
	default: // NaN
		if math.IsNaN(got) {
			return 0, true
		}
		return math.Inf(1), true
	}
	if math.IsNaN(got) || math.IsInf(got, 0) {
		return math.Inf(1), true
	}
	return 0, false
}

// absDiff returns |got − want| exactly.
func absDiff(got float64, want *apd.Decimal) *apd.Decimal {
	d := new(apd.Decimal)
	if _, err := exactCtx.Sub(d, Exact(got), want); err != nil {
		return nanDec()
	}
	return d.Abs(d)
}

// RelErr returns |got − want| / |want| as the measure of the accuracy of a
// float64 result: the difference is exact, the quotient is taken to 20
// digits and rounded to float64.
//
// Special cases are (mismatches are +Inf, never NaN, so that a check
// "RelErr(…) <= tol" cannot pass by accident):
//
//	RelErr(x, want = 0) = 0 if x = ±0, +Inf otherwise
//	RelErr(NaN, NaN) = 0; RelErr(x, NaN) = +Inf for x not NaN
//	RelErr(±Inf, ±Infinity) = 0 (same sign); +Inf otherwise
//	RelErr(NaN or ±Inf, finite want) = +Inf
func RelErr(got float64, want *apd.Decimal) float64 {
	if e, done := mismatch(got, want); done {
		return e
	}
	if want.IsZero() {
		if got == 0 {
			return 0
		}
		return math.Inf(1)
	}
	r := new(apd.Decimal)
	if _, err := errCtx.Quo(r, absDiff(got, want), new(apd.Decimal).Abs(want)); err != nil {
		return math.Inf(1)
	}
	return Float(r)
}

// ulpOf returns the unit in the last place of the float64 nearest to w: the
// gap from |w| to the next float64 away from zero (2^-1074 for w = 0 and in
// the subnormal range, 2^971 for |w| ≥ MaxFloat64).
func ulpOf(w float64) float64 {
	a := math.Abs(w)
	if a >= math.MaxFloat64 {
		return math.Ldexp(1, 971)
	}
	return math.Nextafter(a, math.Inf(1)) - a
}

// ULPs returns |got − want| in units of ulp(Float(want)), where ulp(w) is
// the gap from |w| to the next float64 away from zero (so a correctly
// rounded result has ULPs ≤ 0.5, and a result one float64 away from the
// correctly rounded one has ULPs ≤ 1.5).
//
// Special cases are as for RelErr, except
//
//	ULPs(x, want = 0) = |x| / 2^-1074
//	ULPs(x, |want| > MaxFloat64) uses ulp = 2^971
func ULPs(got float64, want *apd.Decimal) float64 {
	if e, done := mismatch(got, want); done {
		return e
	}
	r := new(apd.Decimal)
	if _, err := errCtx.Quo(r, absDiff(got, want), Exact(ulpOf(Float(want)))); err != nil {
		return math.Inf(1)
	}
	return Float(r)
}

// Offsets returns Float(d_i − c) for every i, the entries of d relative to
// the float64 c, each subtraction exact and rounded once. Where entries of d
// differ by less than float64 resolves near c (both round to c), their
// offsets still differ: a quantity made of differences of entries (an order
// of the entries, the gap between the largest and the next), formed in
// float64 from the offsets, then resolves what the rounded entries cannot.
// Choose c near the entries (for instance the rounded largest one): an
// offset then carries the entries' differences to float64's relative
// accuracy.
//
// Special cases are:
//
//	Offsets(d, c)[i] = NaN if d[i] is nil, NaN or infinite, or c is not finite
func Offsets(d []*apd.Decimal, c float64) []float64 {
	out := make([]float64, len(d))
	if math.IsNaN(c) || math.IsInf(c, 0) {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	ce := Exact(c)
	for i, x := range d {
		if x == nil || x.Form != apd.Finite {
			out[i] = math.NaN()
			continue
		}
		out[i] = Float(exactSub(x, ce))
	}
	return out
}
