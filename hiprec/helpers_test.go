package hiprec

import (
	"math"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// Tolerances, relative unless stated. Results carry 60 rounded digits, so
// an exact comparison with a 70-digit golden value differs by ≤ 5·10⁻⁶¹
// relative; the tolerances leave a margin of a few digits for the
// conditioning of each quantity and still sit well below 10^-Digits.
const (
	// goldenTol: a 60-digit result against a ≥ 70-digit value computed
	// elsewhere (mpmath). Rounding alone is 5e-61.
	goldenTol = 1e-55
	// consistencyTol: the same quantity at 60 and at 100+ digits, or by two
	// arrangements of the formula; allows 10 digits of conditioning
	// (γ·|ln(1−v)| ≤ 3.7e4 is the worst) and is still 10 digits inside
	// Digits.
	consistencyTol = 1e-50
	// equationTol: a defining equation evaluated at a rounded 60-digit root
	// (residual ≈ |derivative|·5e-61).
	equationTol = 1e-55
	// kernelTol: exp/ln at 70 working digits against apd at 110 digits.
	kernelTol = 1e-66
)

// hiCtx is an apd context for computing reference values in tests.
var hiCtx = &apd.Context{Precision: 110, MaxExponent: apd.MaxExponent,
	MinExponent: apd.MinExponent, Traps: apd.DefaultTraps, Rounding: apd.RoundHalfEven}

func mustDec(t testing.TB, s string) *apd.Decimal {
	t.Helper()
	d, _, err := apd.NewFromString(s)
	if err != nil {
		t.Fatalf("bad decimal %q: %v", s, err)
	}
	return d
}

// relDiff returns |a − b| / |b| (|a| if b = 0), exactly up to a final
// 20-digit rounding; +Inf if either is not finite.
func relDiff(a, b *apd.Decimal) float64 {
	if a.Form != apd.Finite || b.Form != apd.Finite {
		return math.Inf(1)
	}
	d := exactSub(a, b)
	d.Abs(d)
	if b.IsZero() {
		return Float(d)
	}
	r := new(apd.Decimal)
	if _, err := errCtx.Quo(r, d, new(apd.Decimal).Abs(b)); err != nil {
		return math.Inf(1)
	}
	return Float(r)
}

// absDiffDec returns |a − b| as a float64 (+Inf if not finite).
func absDiffDec(a, b *apd.Decimal) float64 {
	if a.Form != apd.Finite || b.Form != apd.Finite {
		return math.Inf(1)
	}
	d := exactSub(a, b)
	return math.Abs(Float(d))
}

// alike reports whether two Decimals are the same number, the same
// infinity, or both NaN.
func alike(a, b *apd.Decimal) bool {
	if a.Form != b.Form {
		return false
	}
	switch a.Form {
	case apd.Finite:
		return a.Cmp(b) == 0
	case apd.Infinite:
		return a.Negative == b.Negative
	}
	return true
}

// checkRel fails the test if got differs from want by more than tol
// relative.
func checkRel(t *testing.T, name string, got, want *apd.Decimal, tol float64) {
	t.Helper()
	if e := relDiff(got, want); !(e <= tol) {
		t.Errorf("%s = %s, want %s (rel err %.3g > %.3g)", name, got, want, e, tol)
	}
}

// hiLn returns ln x with apd's own Ln at 110 digits (an independent
// implementation).
func hiLn(t testing.TB, x *apd.Decimal) *apd.Decimal {
	t.Helper()
	d := new(apd.Decimal)
	if _, err := hiCtx.Ln(d, x); err != nil {
		t.Fatalf("apd Ln(%s): %v", x, err)
	}
	return d
}

// hiOp applies an apd operation at 110 digits.
func hiOp(t testing.TB, op func(d, x, y *apd.Decimal) (apd.Condition, error), x, y *apd.Decimal) *apd.Decimal {
	t.Helper()
	d := new(apd.Decimal)
	if _, err := op(d, x, y); err != nil {
		t.Fatalf("apd op(%s, %s): %v", x, y, err)
	}
	return d
}

// sumDec returns the exact sum of ds.
func sumDec(ds []*apd.Decimal) *apd.Decimal {
	s := apd.New(0, 0)
	for _, d := range ds {
		s = exactAdd(s, d)
	}
	return s
}
