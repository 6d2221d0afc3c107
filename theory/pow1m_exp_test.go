package theory

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/focaltk/focal/hiprec"
)

// pow1mExp and its two steps against apd (80 digits, from the exact
// decimal values of the float64 inputs): an oracle that shares nothing
// with the code but the definitions ln and exp.

// pow1mSeed seeds the random inputs of these tests.
const pow1mSeed = 20261203

// The bounds these tests hold the steps to (measured worst cases in the
// comments; each bound is the analysis of the function's doc rounded up):
const (
	// log1pmRelTol, log1pmAbsTol: hi + lo is log(1−x) before Log's last
	// rounding, whose other errors are absolute ones below 2^−62 (the
	// truncation of the polynomial, the roundings of terms below 2^−15 and
	// of r), or relative ones of 2^−90 (the table's low parts); for
	// x < 2^−9, where r = −x exactly and log(1−x) = r + r²P(r), they are all
	// relative (below 2^−62). The bound |error| ≤ 2^−58·|log(1−x)| + 2^−62
	// covers both with a factor 2 or more.
	log1pmRelTol = 0x1p-58
	log1pmAbsTol = 0x1p-62
	// expPartsULPs: ½ ulp for the last rounding, ⅛ for the roundings of
	// r², P and the small parts, 0.04 for the truncation.
	expPartsULPs = 0.67
	// pow1mExpULPs: expParts' bound plus the logarithm's error, 16 times
	// 2^−62 absolute (0.004 ulp) and 2^−90 relative, amplified by the
	// exponential, and the rounding of p·lo (below 2^−58 of y's ulp).
	pow1mExpULPs = 0.7
)

// oracleLog1m returns ln(1−x) for x in [0, 1) to about 80 digits: the
// series −Σ x^n/n for x < 2^−20 (60 terms: x^61 < 10^−360 relative), else
// apd's Ln of the exact decimal 1 − x.
func oracleLog1m(x float64) *apd.Decimal {
	ctx := apd.BaseContext.WithPrecision(80)
	dx := hiprec.Exact(x)
	if x < 0x1p-20 {
		sum, pow := apd.New(0, 0), apd.New(1, 0)
		for n := int64(1); n <= 60; n++ {
			mustApd(ctx.Mul(pow, pow, dx))
			term := new(apd.Decimal)
			mustApd(ctx.Quo(term, pow, apd.New(n, 0)))
			mustApd(ctx.Sub(sum, sum, term))
		}
		return sum
	}
	w := new(apd.Decimal)
	mustApd(apd.BaseContext.WithPrecision(2000).Sub(w, apd.New(1, 0), dx)) // exact
	l := new(apd.Decimal)
	mustApd(ctx.Ln(l, w))
	return l
}

// oracleExp returns e^y to about 80 digits.
func oracleExp(y *apd.Decimal) *apd.Decimal {
	e := new(apd.Decimal)
	mustApd(apd.BaseContext.WithPrecision(80).Exp(e, y))
	return e
}

func mustApd(_ apd.Condition, err error) {
	if err != nil {
		panic(err)
	}
}

// pow1mInputs returns the x of these tests: the edges (0, subnormal,
// 2^−1022, tiny, 2^−54 and its neighbours, where 1−x starts to round,
// 1/2 and its neighbours, where 1−x becomes exact, 1 − 2^−53), then
// uniform, log-uniform down to 1e-300 and 1 − log-uniform.
func pow1mInputs(rng *rand.Rand) []float64 {
	xs := []float64{0, 0x1p-1074, 0x1p-1022, 1e-300, 1e-100, 1e-20, 0x1p-55, 0x1p-54, 0x1.0000000000001p-54,
		0x1p-53, 0x1.8p-53, 1e-10, 1e-5, 0.01, 0.1, 0.25, 0.3, 0x1.fffffffffffffp-2, 0.5, 0x1.0000000000001p-1,
		0.7, 0.9, 0.99, 1 - 1e-6, 1 - 1e-12, 1 - 0x1p-52, 1 - 0x1p-53}
	for range 150 {
		xs = append(xs, rng.Float64(), math.Pow(10, -300*rng.Float64()), 1-math.Pow(10, -16*rng.Float64()))
	}
	return xs
}

// pow1mPowers are the exponents p = γ − 1 of these tests: the direct path's
// whole range [−1, 16] (γ in (0, 17]), tiny γ and non-integers.
var pow1mPowers = []float64{-1 + 1e-9, -1 + 1e-3, -0.7, -0.5, 0.5, 1.5, 2.7, 6.3, 9, 12.25, 15.99, 16}

func TestLog1pmParts(t *testing.T) {
	var worst, at float64 // worst: error / bound
	for _, x := range pow1mInputs(rand.New(rand.NewPCG(pow1mSeed, 1))) {
		hi, lo := log1pmParts(x)
		if s := hi + lo; s != hi {
			t.Fatalf("log1pmParts(%v) = %v + %v: hi is not the rounded sum %v", x, hi, lo, s)
		}
		want := oracleLog1m(x)
		if x == 0 {
			if hi != 0 || lo != 0 {
				t.Errorf("log1pmParts(0) = %v + %v, want 0", hi, lo)
			}
			continue
		}
		got := new(apd.Decimal)
		mustApd(apd.BaseContext.WithPrecision(100).Add(got, hiprec.Exact(hi), hiprec.Exact(lo)))
		diff := new(apd.Decimal)
		mustApd(apd.BaseContext.WithPrecision(40).Sub(diff, got, want))
		d, _ := diff.Float64()
		l, _ := want.Float64()
		if r := math.Abs(d) / (log1pmRelTol*math.Abs(l) + log1pmAbsTol); r > worst {
			worst, at = r, x
		}
	}
	t.Logf("log1pmParts: worst error %.3g of the bound at x = %v", worst, at)
	if !(worst <= 1) {
		t.Errorf("log1pmParts(%v): error %.3g times 2^-58·|log(1−x)| + 2^-62", at, worst)
	}
}

func TestExpParts(t *testing.T) {
	rng := rand.New(rand.NewPCG(pow1mSeed, 2))
	ys := []float64{0, math.Copysign(0, -1), 0x1p-1074, -0x1p-60, 0.3465, -0.3466, 0.3467, math.Ln2 / 2, -math.Ln2 / 2, 1, -1,
		36.7, -588, -700, 700, -708, 709}
	for range 800 {
		ys = append(ys, -600+640*rng.Float64(), (2*rng.Float64()-1)*math.Ln2, math.Ldexp(2*rng.Float64()-1, -rng.IntN(60)))
	}
	var worst float64
	var where string
	for _, yh := range ys {
		for _, yl := range []float64{0, math.Abs(yh) * 0x1p-54, -math.Abs(yh) * 0x1p-53, 0x1p-45} {
			got := expParts(yh, yl)
			y := new(apd.Decimal)
			mustApd(apd.BaseContext.WithPrecision(100).Add(y, hiprec.Exact(yh), hiprec.Exact(yl)))
			if u := hiprec.ULPs(got, oracleExp(y)); u > worst || math.IsNaN(u) {
				worst, where = u, fmt.Sprintf("yh = %v, yl = %v", yh, yl)
			}
		}
	}
	t.Logf("expParts: worst %.3f ulp at %s", worst, where)
	if !(worst <= expPartsULPs) {
		t.Errorf("expParts(%s): %.3f ulp > %v", where, worst, expPartsULPs)
	}
}

func TestPow1mExp(t *testing.T) {
	var worst float64
	var where string
	for _, x := range pow1mInputs(rand.New(rand.NewPCG(pow1mSeed, 3))) {
		l := oracleLog1m(x)
		for _, p := range pow1mPowers {
			y := new(apd.Decimal)
			mustApd(apd.BaseContext.WithPrecision(80).Mul(y, l, hiprec.Exact(p)))
			got := pow1mExp(x, p)
			if u := hiprec.ULPs(got, oracleExp(y)); u > worst || math.IsNaN(u) {
				worst, where = u, fmt.Sprintf("x = %v, p = %v", x, p)
			}
		}
	}
	t.Logf("pow1mExp: worst %.3f ulp at %s", worst, where)
	if !(worst <= pow1mExpULPs) {
		t.Errorf("pow1mExp(%s): %.3f ulp > %v", where, worst, pow1mExpULPs)
	}
}
