package hiprec

import (
	"errors"
	"math/big"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// The elementary functions against apd's independent Exp and Ln at 110
// digits, at binary arguments (the reference is evaluated at the exact
// decimal value of the binary argument, so that the conversion of a decimal
// such as 1 − 10⁻³⁰ to binary, which is not what is tested here, plays no
// part).

// exactOf returns the exact decimal value of a big.Float (the arguments
// here have at most ~950 significant decimal digits, well below 1500).
func exactOf(t testing.TB, x *big.Float) *apd.Decimal {
	t.Helper()
	d, _, err := exactCtx.NewFromString(x.Text('e', 1500))
	if err != nil {
		t.Fatal(err)
	}
	d.Reduce(d)
	return d
}

func TestExpAgainstApd(t *testing.T) {
	k := defaultCalc
	for _, s := range []string{"-2000", "-745.13", "-36.7", "-1", "-0.34657", "-1e-20", "1e-40",
		"0.5", "0.6931471805599453", "1", "2.5", "100", "709.78", "2000",
		"-3.14159265358979323846264338327950288419716939937510582097494459"} {
		x := k.big(mustDec(t, s))
		want := new(apd.Decimal)
		if _, err := hiCtx.Exp(want, exactOf(t, x)); err != nil {
			t.Fatal(err)
		}
		checkRel(t, "exp("+s+")", k.dec70(k.exp(x)), want, kernelTol)
	}
}

func TestLnAgainstApd(t *testing.T) {
	k := defaultCalc
	for _, s := range []string{"5e-324", "1e-300", "0.001", "0.3", "0.5", "0.984375", "0.99",
		"0.9999999999999999", "0.999999999999999999999999999999", "1.000000000000000000000000000001",
		"1.0000001", "1.015625", "1.02", "1.5", "2", "3.3", "10", "1e300",
		"0.99999999999999988897769753748434595763683319091796875"} {
		x := k.big(mustDec(t, s))
		checkRel(t, "ln("+s+")", k.dec70(k.ln(x)), hiLn(t, exactOf(t, x)), kernelTol)
	}
	// ln 2 (the constant used by exp and ln) to all its 1024 bits.
	c := *hiCtx
	c.Precision = 320
	want := new(apd.Decimal)
	if _, err := c.Ln(want, apd.New(2, 0)); err != nil {
		t.Fatal(err)
	}
	k300 := newCalc(250)
	checkRel(t, "ln 2", k300.dec(ln2()), want, 1e-249)
}

func TestLog1pTiny(t *testing.T) {
	k := defaultCalc
	c := *hiCtx
	c.Precision = 400
	for _, s := range []string{"1e-300", "-1e-100", "3.7e-40", "-0.0078125", "0.015", "-0.5", "0.9"} {
		y := k.big(mustDec(t, s))
		want := new(apd.Decimal)
		if _, err := c.Ln(want, exactAdd(decOne, exactOf(t, y))); err != nil {
			t.Fatal(err)
		}
		checkRel(t, "log1p("+s+")", k.dec70(k.log1p(y)), want, kernelTol)
	}
}

// dec70 rounds x to 70 digits (the working precision) instead of prec.
func (k *calc) dec70(x *big.Float) *apd.Decimal {
	d, _, err := apd.NewFromString(x.Text('e', 69))
	if err != nil {
		panic(err)
	}
	return d
}

// TestTryAndOrNaN checks the one mechanism by which the exported functions
// turn internal failures into their error or NaN results: an error, a
// calcPanic and big.ErrNaN are caught; any other panic (a bug) propagates.
func TestTryAndOrNaN(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name string
		f    func() (*apd.Decimal, error)
	}{
		{"error", func() (*apd.Decimal, error) { return apd.New(1, 0), boom }},
		{"calcPanic", func() (*apd.Decimal, error) { panic(calcPanic{boom}) }},
		{"big.ErrNaN", func() (*apd.Decimal, error) {
			inf := new(big.Float).SetInf(false)
			return nil, errors.New(new(big.Float).Sub(inf, inf).String()) // ∞ − ∞ panics with big.ErrNaN
		}},
	}
	for _, c := range cases {
		if got, err := try(c.f); got != nil || err == nil {
			t.Errorf("%s: try = %v, %v; want nil and an error", c.name, got, err)
		}
		if got := orNaN(nanDec, c.f); got.Form != apd.NaN {
			t.Errorf("%s: orNaN = %s, want NaN", c.name, got)
		}
	}
	if got, err := try(func() (*apd.Decimal, error) { return apd.New(2, 0), nil }); err != nil || got.Cmp(apd.New(2, 0)) != 0 {
		t.Errorf("success: try = %v, %v", got, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("a panic that is not a calcPanic was swallowed")
		}
	}()
	orNaN(nanDec, func() (*apd.Decimal, error) { panic("bug") })
}
