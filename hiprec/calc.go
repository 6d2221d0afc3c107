package hiprec

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sync"

	"github.com/cockroachdb/apd/v3"
)

// Precision budget. A calc with precision prec computes in binary floating
// point (math/big.Float) with prec+guardDigits decimal digits and rounds
// every result to prec significant decimal digits. The package's functions
// use defaultPrec; the tests also run the same code at higher precisions and
// compare (see the package comment).
const (
	// defaultPrec is the number of significant digits of every result.
	defaultPrec = 60
	// guardDigits are carried beyond prec by compound formulas, so that the
	// rounding errors of a few dozen operations, and the up to 10⁵-fold
	// amplification in γ·ln(1−v) for γ ≤ 1000, stay below 10^-prec.
	guardDigits = 10
	// kernelBits are added again inside exp and ln: the 2^expHalvings-fold
	// error growth of exp's squarings costs expHalvings of them.
	kernelBits = 40
	// expHalvings is the number of times exp halves its reduced argument
	// before the Taylor series (and squares the result afterwards).
	expHalvings = 12
	// maxPrec bounds the precision a calc may be built with; constBits must
	// exceed its kernel precision by the 32 bits of the largest multiple
	// n·ln 2 formed by exp (|n| < 2³¹).
	maxPrec   = 250
	constBits = 1024
	// decExpLimit: results below 10^-decExpLimit are returned as 0, because
	// apd cannot represent them (its exponent range is ±100000).
	decExpLimit = 99000
	// expLimit: exp(x) is 0 for x < −expLimit (e^x < 10^(−4·10⁸), far below
	// decExpLimit) and an error for x > expLimit (|n| in e^x = e^r·2^n must
	// stay well inside big.Float's int32 exponent range).
	expLimit = 1e9
)

// calcPanic wraps an internal error so that recoverTo can tell it from a
// genuine bug.
type calcPanic struct{ err error }

// calc computes at one precision. Values are *big.Float with bits of
// mantissa, rounded to nearest even; the elementary functions exp, ln and
// log1p are implemented below at kbits. The zero value is not usable; use
// newCalc.
type calc struct {
	prec  uint       // significant decimal digits of rounded results
	bits  uint       // working precision of compound formulas, in bits
	kbits uint       // working precision inside exp, ln, log1p
	eps   *big.Float // 2^-kbits: series stopping threshold
	tol   *big.Float // 10^-(prec+5): root-finder step tolerance
}

// newCalc returns a calc whose results carry prec significant digits.
func newCalc(prec uint) *calc {
	if prec < 16 || prec > maxPrec {
		panic(fmt.Sprintf("hiprec: precision %d outside [16, %d]", prec, maxPrec))
	}
	bits := uint(math.Ceil(float64(prec+guardDigits) * math.Log2(10)))
	k := &calc{prec: prec, bits: bits, kbits: bits + kernelBits}
	k.eps = new(big.Float).SetMantExp(big.NewFloat(1), -int(k.kbits))
	t := new(big.Float).SetPrec(bits).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(prec+5)), nil))
	k.tol = k.quo(k.one(), t)
	return k
}

var defaultCalc = newCalc(defaultPrec)

var (
	ln2Once sync.Once
	ln2Big  *big.Float
)

// ln2 returns ln 2 to constBits bits, from ln 2 = 2 atanh(1/3) =
// 2 Σ_{j≥0} 3^{−(2j+1)}/(2j+1) (each term gains log₂ 9 ≈ 3.2 bits).
func ln2() *big.Float {
	ln2Once.Do(func() {
		p := uint(constBits + 64)
		sum := new(big.Float).SetPrec(p)
		pow := new(big.Float).SetPrec(p).Quo(big.NewFloat(1), big.NewFloat(3))
		ninth := new(big.Float).SetPrec(p).Quo(big.NewFloat(1), big.NewFloat(9))
		t := new(big.Float).SetPrec(p)
		for j := int64(0); j < int64(constBits); j++ {
			t.Quo(pow, new(big.Float).SetInt64(2*j+1))
			sum.Add(sum, t)
			pow.Mul(pow, ninth)
		}
		ln2Big = new(big.Float).SetPrec(constBits).Mul(sum, big.NewFloat(2))
	})
	return ln2Big
}

// recoverTo turns a calcPanic, or big.Float's ErrNaN (∞ − ∞ and the like),
// into *errp; other panics propagate.
func recoverTo(errp *error) {
	if r := recover(); r != nil {
		switch e := r.(type) {
		case calcPanic:
			*errp = e.err
		case big.ErrNaN:
			*errp = errors.New("hiprec: " + e.Error())
		default:
			panic(r)
		}
	}
}

// try runs f, the body of an exported function, and turns an internal
// failure into an error: f's own error, or a panic with a calcPanic or
// big.ErrNaN (recoverTo). On error the result is T's zero value. It is the
// one place where failures below the exported functions are caught.
func try[T any](f func() (T, error)) (res T, err error) {
	defer func() {
		if err != nil {
			var zero T
			res = zero
		}
	}()
	defer recoverTo(&err)
	return f()
}

// orNaN is try for the functions whose contract is a NaN result instead
// of an error: it returns nan() when f fails.
func orNaN[T any](nan func() T, f func() (T, error)) T {
	res, err := try(f)
	if err != nil {
		return nan()
	}
	return res
}

// Arithmetic at the working precision. Every result is a new value.

func (k *calc) nf() *big.Float { return new(big.Float).SetPrec(k.bits) }

func (k *calc) one() *big.Float { return k.nf().SetInt64(1) }

func (k *calc) int(i int64) *big.Float { return k.nf().SetInt64(i) }

// num returns x exactly (bits ≥ 53).
func (k *calc) num(x float64) *big.Float { return k.nf().SetFloat64(x) }

func (k *calc) add(x, y *big.Float) *big.Float { return k.nf().Add(x, y) }

func (k *calc) sub(x, y *big.Float) *big.Float { return k.nf().Sub(x, y) }

func (k *calc) mul(x, y *big.Float) *big.Float { return k.nf().Mul(x, y) }

func (k *calc) quo(x, y *big.Float) *big.Float { return k.nf().Quo(x, y) }

func (k *calc) neg(x *big.Float) *big.Float { return k.nf().Neg(x) }

func (k *calc) abs(x *big.Float) *big.Float { return k.nf().Abs(x) }

func (k *calc) half(x *big.Float) *big.Float { return k.nf().SetMantExp(x, -1) }

// hf returns a value at kernel precision.
func (k *calc) hf() *big.Float { return new(big.Float).SetPrec(k.kbits) }

// exp returns e^x at the working precision (relative error about 2^-bits).
//
// Method: x = n·ln 2 + r with n = round(x/ln 2), so |r| ≤ 0.35;
// e^r = (e^{r/2^12})^{2^12}, the inner exponential from its Taylor series
// (about 17 terms at 70 digits), the 12 squarings costing 12 of the
// kernelBits; finally e^x = e^r·2^n, exactly.
func (k *calc) exp(x *big.Float) *big.Float {
	if x.IsInf() {
		if x.Sign() < 0 {
			return k.nf()
		}
		return k.nf().SetInf(false)
	}
	if x.Sign() == 0 {
		return k.one()
	}
	xf, _ := x.Float64()
	switch {
	case xf < -expLimit:
		return k.nf() // underflow: far below anything apd can hold
	case xf > expLimit:
		panic(calcPanic{fmt.Errorf("hiprec: exp(%g) out of range", xf)})
	}
	n := math.Round(xf / math.Ln2)
	p := k.kbits
	r := k.hf().Set(x)
	if n != 0 {
		t := new(big.Float).SetPrec(p+32).Mul(big.NewFloat(n), ln2())
		r.Sub(new(big.Float).SetPrec(p+32).Set(x), t)
	}
	r.SetMantExp(r, -expHalvings)
	sum := k.hf().SetInt64(1)
	term := k.hf().SetInt64(1)
	for i := int64(1); ; i++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetInt64(i))
		sum.Add(sum, term)
		if new(big.Float).Abs(term).Cmp(k.eps) <= 0 {
			break
		}
	}
	for i := 0; i < expHalvings; i++ {
		sum.Mul(sum, sum)
	}
	return k.nf().SetMantExp(sum, int(n))
}

// log1pSeries returns ln(1+z) for |z| ≤ 1/64 at kernel precision, from
// ln(1+z) = 2 atanh(u) = 2(u + u³/3 + u⁵/5 + …), u = z/(2+z) (|u| < 1/127,
// so each term gains 14 bits). It is relative-accurate for tiny z: no 1+z
// is ever formed.
func (k *calc) log1pSeries(z *big.Float) *big.Float {
	if z.Sign() == 0 {
		return k.hf()
	}
	u := k.hf().Add(z, big.NewFloat(2))
	u.Quo(z, u)
	u2 := k.hf().Mul(u, u)
	sum := k.hf().Set(u)
	pow := k.hf().Set(u)
	stop := k.hf().Abs(u)
	stop.Mul(stop, k.eps)
	t := k.hf()
	for i := int64(3); ; i += 2 {
		pow.Mul(pow, u2)
		t.Quo(pow, new(big.Float).SetInt64(i))
		sum.Add(sum, t)
		if new(big.Float).Abs(t).Cmp(stop) <= 0 {
			break
		}
	}
	return sum.SetMantExp(sum, 1)
}

// seriesLimit: |y| below this uses the atanh series for ln(1+y).
var seriesLimit = big.NewFloat(1.0 / 64)

// ln returns the natural logarithm of x > 0 at the working precision,
// relative-accurate for every x, including x within 2^-200 of 1 (x − 1 is
// formed exactly there, since x ∈ [1/2, 2] makes the subtraction exact).
//
// Method: if |x−1| < 1/64, the atanh series. Otherwise x = m·2^e with
// m ∈ [1/2, 1); a₀ = float64 ln m is corrected by ln m = a₀ + ln(1+z),
// z = m·e^{−a₀} − 1 (|z| ≲ 10⁻¹⁵, about 5 series terms); ln x = ln m + e ln 2.
// (For x ∈ (1+1/64, 2), ln m + ln 2 cancels at most 6 bits.)
func (k *calc) ln(x *big.Float) *big.Float {
	if x.Sign() <= 0 || x.IsInf() {
		panic(calcPanic{fmt.Errorf("hiprec: ln of %s", x.Text('g', 10))})
	}
	d := new(big.Float).SetPrec(x.Prec()+2).Sub(x, big.NewFloat(1))
	if d.Sign() == 0 {
		return k.nf()
	}
	if new(big.Float).Abs(d).Cmp(seriesLimit) < 0 {
		return k.nf().Set(k.log1pSeries(d))
	}
	m := k.hf()
	e := x.MantExp(m)
	mf, _ := m.Float64()
	a0 := math.Log(mf)
	A := k.hf().SetFloat64(a0)
	E := k.exp(k.hf().Neg(A))
	z := k.hf().Mul(m, E)
	z.Sub(z, big.NewFloat(1))
	r := k.hf().Add(A, k.log1pSeries(z))
	if e != 0 {
		t := new(big.Float).SetPrec(k.kbits+32).Mul(big.NewFloat(float64(e)), ln2())
		r.Add(r, t)
	}
	return k.nf().Set(r)
}

// log1p returns ln(1+y) for y > −1, relative-accurate for tiny |y|.
func (k *calc) log1p(y *big.Float) *big.Float {
	if new(big.Float).Abs(y).Cmp(seriesLimit) < 0 {
		return k.nf().Set(k.log1pSeries(y))
	}
	return k.ln(k.hf().Add(big.NewFloat(1), y))
}

// dec returns x rounded to prec significant decimal digits as an apd
// Decimal (±Inf as Form Infinite; |x| < 10^-decExpLimit as 0).
func (k *calc) dec(x *big.Float) *apd.Decimal {
	if x.IsInf() {
		return infDec(x.Sign() < 0)
	}
	if x.Sign() == 0 || x.MantExp(nil) < -int(float64(decExpLimit)*math.Log2(10)) {
		return apd.New(0, 0)
	}
	d, _, err := apd.NewFromString(x.Text('e', int(k.prec)-1))
	if err != nil {
		panic(calcPanic{err})
	}
	return d
}

// big returns the finite decimal d rounded to the working precision.
func (k *calc) big(d *apd.Decimal) *big.Float {
	num := d.Coeff.MathBigInt()
	z := k.nf()
	if d.Exponent >= 0 {
		num.Mul(num, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Exponent)), nil))
		z.SetInt(num)
	} else {
		den := new(big.Int).Exp(big.NewInt(10), big.NewInt(-int64(d.Exponent)), nil)
		z.SetRat(new(big.Rat).SetFrac(num, den))
	}
	if d.Negative {
		z.Neg(z)
	}
	return z
}

// Decimal helpers.

var (
	decOne  = apd.New(1, 0)
	decHalf = apd.New(5, -1)
	// exactCtx does exact decimal +, − (precision 0 disables rounding).
	exactCtx = &apd.Context{MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent,
		Traps: apd.DefaultTraps, Rounding: apd.RoundHalfEven}
)

func nanDec() *apd.Decimal { return &apd.Decimal{Form: apd.NaN} }

func infDec(neg bool) *apd.Decimal { return &apd.Decimal{Form: apd.Infinite, Negative: neg} }

// exactSub returns x − y exactly.
func exactSub(x, y *apd.Decimal) *apd.Decimal {
	d := new(apd.Decimal)
	if _, err := exactCtx.Sub(d, x, y); err != nil {
		panic(calcPanic{err})
	}
	return d
}

// exactAdd returns x + y exactly.
func exactAdd(x, y *apd.Decimal) *apd.Decimal {
	d := new(apd.Decimal)
	if _, err := exactCtx.Add(d, x, y); err != nil {
		panic(calcPanic{err})
	}
	return d
}
