package theory

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/focaltk/focal/hiprec"
)

// The table and constants of Log are generated here, with math/big, from
// their definitions in log.go, and compared bit for bit with the values
// hard-coded there. FOCAL_LOG_TABLE=print prints the Go source of the table
// (to paste into log.go after a change of logTableBits or logOff).

// genPrec is the precision, in bits, of the generator's arithmetic: far
// beyond the 106 bits a (hi, lo) pair of float64 carries.
const genPrec = 300

func newGen() *big.Float { return new(big.Float).SetPrec(genPrec) }

// bigLog returns ln x for x in [1/2, 2] from ln x = 2 atanh(u) =
// 2(u + u³/3 + u⁵/5 + …), u = (x−1)/(x+1), |u| ≤ 1/3.
func bigLog(x *big.Float) *big.Float {
	one := newGen().SetInt64(1)
	u := newGen().Sub(x, one)
	u.Quo(u, newGen().Add(x, one))
	u2 := newGen().Mul(u, u)
	sum := newGen().Set(u)
	pow := newGen().Set(u)
	stop := new(big.Float).SetMantExp(big.NewFloat(1), -genPrec-8)
	for n := int64(3); ; n += 2 {
		pow.Mul(pow, u2)
		t := newGen().Quo(pow, newGen().SetInt64(n))
		sum.Add(sum, t)
		if t.Sign() == 0 || new(big.Float).Abs(t).Cmp(stop) < 0 {
			break
		}
	}
	return sum.Mul(sum, newGen().SetInt64(2))
}

// roundTo returns x rounded to the nearest multiple of 2^e (ties to even)
// as a float64, which must hold it exactly.
func roundTo(x *big.Float, e int) float64 {
	m := newGen().SetMantExp(x, -e) // x·2^−e
	i, _ := m.Int(nil)              // truncated toward zero
	frac := newGen().Sub(m, newGen().SetInt(i))
	half := big.NewFloat(0.5)
	switch c := new(big.Float).Abs(frac).Cmp(half); {
	case c > 0 || c == 0 && i.Bit(0) == 1:
		i.Add(i, big.NewInt(int64(frac.Sign())))
	}
	f, acc := newGen().SetMantExp(newGen().SetInt(i), e).Float64()
	if acc != big.Exact {
		panic("roundTo: not representable")
	}
	return f
}

func toFloat(x *big.Float) float64 { f, _ := x.Float64(); return f }

// genLn2 returns logLn2Hi and logLn2Lo from their definitions.
func genLn2() (hi, lo float64) {
	l := bigLog(newGen().SetInt64(2))
	hi = roundTo(l, logHiExp)
	return hi, toFloat(newGen().Sub(l, newGen().SetFloat64(hi)))
}

// logInterval returns the ends [lo, hi) of table interval i: the float64s
// whose bit pattern minus logOff has i in bits 45–51 and 0 above.
func logInterval(i int) (lo, hi float64) {
	const w = 1 << (52 - logTableBits)
	return math.Float64frombits(logOff + uint64(i)*w), math.Float64frombits(logOff + uint64(i+1)*w)
}

// genLogTable computes logTab from its definition (see logEntry).
func genLogTable() [logN]logEntry {
	var tab [logN]logEntry
	for i := range tab {
		invc, _ := genInvc(i)
		lc := newGen().Sub(newGen(), bigLog(newGen().SetFloat64(invc))) // ln c = 0 − ln invc (+0 for c = 1)
		hi := roundTo(lc, logHiExp)
		lo := toFloat(lc.Sub(lc, newGen().SetFloat64(hi)))
		tab[i] = logEntry{invc: invc, logcHi: hi, logcLo: lo}
	}
	return tab
}

// genInvc returns invc for table interval i [a, b) and q, the number of
// fractional bits it has: 1 (q = 0) for the interval containing 1, else
// 1/((a+b)/2) rounded to the nearest multiple of 2^−q for the largest q for
// which z·invc − 1 is a float64 for every z in [a, b] (see r in Log).
func genInvc(i int) (invc float64, q int) {
	a, b := logInterval(i)
	if a <= 1 && 1 < b {
		return 1, 0
	}
	c := newGen().Add(newGen().SetFloat64(a), newGen().SetFloat64(b))
	c.Quo(c, newGen().SetInt64(2))
	inv := newGen().Quo(newGen().SetInt64(1), c)
	for q = 52; q > 0; q-- {
		invc = roundTo(inv, -q)
		if logRExact(a, b, invc) {
			return invc, q
		}
	}
	panic("genInvc: no grid makes r exact")
}

// logRExact reports whether z·invc − 1 is exactly a float64 for every
// float64 z in [a, b], a and b in one binade: it is a multiple of
// ulp(a)·2^−q, q the fractional bits of invc, and is a float64 if it is
// below 2^53 such units in magnitude (it is monotone in z, so the ends
// decide).
func logRExact(a, b, invc float64) bool {
	ulpA := math.Nextafter(a, 2) - a
	q := 0
	for m := invc; m != math.Trunc(m); m *= 2 {
		q++
	}
	unit := math.Ldexp(ulpA, -q)
	lim := newGen().SetFloat64(math.Ldexp(unit, 53))
	for _, z := range []float64{a, b} {
		r := newGen().Mul(newGen().SetFloat64(z), newGen().SetFloat64(invc))
		r.Sub(r, newGen().SetInt64(1))
		if new(big.Float).Abs(r).Cmp(lim) >= 0 {
			return false
		}
	}
	return true
}

// logMaxR returns max |z·invc − 1| over table interval i.
func logMaxR(i int) float64 {
	a, b := logInterval(i)
	inv := logTab[i].invc
	m := 0.0
	for _, z := range []float64{a, b} {
		r := newGen().Mul(newGen().SetFloat64(z), newGen().SetFloat64(inv))
		m = math.Max(m, math.Abs(toFloat(r.Sub(r, newGen().SetInt64(1)))))
	}
	return m
}

func TestLogTableGenerated(t *testing.T) {
	tab := genLogTable()
	if os.Getenv("FOCAL_LOG_TABLE") == "print" {
		var sb strings.Builder
		for _, e := range tab {
			fmt.Fprintf(&sb, "\t{%v, %v, %v},\n", fmtHex(e.invc), fmtHex(e.logcHi), fmtHex(e.logcLo))
		}
		hi, lo := genLn2()
		fmt.Printf("logLn2Hi = %s\nlogLn2Lo = %s\n%s", fmtHex(hi), fmtHex(lo), sb.String())
	}
	for i := range tab {
		if tab[i] != logTab[i] {
			t.Errorf("logTab[%d] = %v, generator gives %v", i, logTab[i], tab[i])
		}
	}
	if hi, lo := genLn2(); hi != logLn2Hi || lo != logLn2Lo {
		t.Errorf("logLn2Hi, logLn2Lo = %v, %v; generator gives %v, %v", logLn2Hi, logLn2Lo, hi, lo)
	}
	// The claims of Log's error analysis that depend on the table.
	for i := range logTab {
		a, b := logInterval(i)
		if !logRExact(a, b, logTab[i].invc) && logTab[i].invc != 1 {
			t.Errorf("interval %d: z·invc − 1 is not exact", i)
		}
		if r := logMaxR(i); r > logMaxRBound {
			t.Errorf("interval %d: |r| up to %v > %v", i, r, logMaxRBound)
		}
		// Taylor truncation error |r|⁸/(8(1−|r|)) against the ulp of the
		// smallest |ln x| in the interval (k = 0; k ≠ 0 gives |ln x| > 1/3).
		if a <= 1 && 1 < b {
			continue // r = x − 1: the truncation error is relative, |r|⁷/8
		}
		r := logMaxR(i)
		// Fast2Sum of hi = w + r needs |w| ≥ |r|: for k ≠ 0, |w| > ln 2 − 0.36
		// (checked here), for k = 0, w = lnc_hi.
		if math.Abs(logTab[i].logcHi) > 0.36 {
			t.Errorf("interval %d: |lnc_hi| = %v > 0.36", i, math.Abs(logTab[i].logcHi))
		}
		if math.Abs(logTab[i].logcHi) < r {
			t.Errorf("interval %d: |lnc_hi| = %v < max |r| = %v", i, math.Abs(logTab[i].logcHi), r)
		}
		trunc := math.Pow(r, 8) / (8 * (1 - r))
		minLog := math.Min(math.Abs(math.Log(a)), math.Abs(math.Log(b)))
		if u := trunc / ulp(minLog); u > logTruncULPs {
			t.Errorf("interval %d: Taylor truncation %.3g ulp > %v", i, u, logTruncULPs)
		}
	}
}

// fmtHex formats f as a Go hexadecimal float literal (1 for 1).
func fmtHex(f float64) string { return strings.Replace(fmt.Sprintf("%x", f), "0x1p+00", "1", 1) }

const (
	// logMaxRBound bounds |r| = |z·invc − 1| over the table (the doc
	// comment of Log quotes it).
	logMaxRBound = 0.0053
	// logTruncULPs bounds the polynomial's truncation error in ulps of the
	// result (the doc comment of Log quotes it).
	logTruncULPs = 0.017
)

func TestLogSpecialCases(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{math.Inf(1), math.Inf(1)}, {0, math.Inf(-1)}, {math.Copysign(0, -1), math.Inf(-1)},
		{-1, math.NaN()}, {-0x1p-1074, math.NaN()}, {math.Inf(-1), math.NaN()}, {math.NaN(), math.NaN()},
		{1, 0}, {2, math.Ln2}, {0.5, -math.Ln2},
	} {
		got := Log(c.x)
		if !(got == c.want && math.Signbit(got) == math.Signbit(c.want) || math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("Log(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

// logOracle returns ln x for finite x > 0 from the independent oracle
// hiprec.LogH(v, 0) = ln v (60 digits, v in [0, 1]): x = m·2^e with m in
// [1/2, 1), ln x = ln m + e·ln 2, ln 2 = −LogH(1/2, 0), summed to 80 digits.
// The cancellation for x just above 1 (ln(x/2) + ln 2) costs at most 16 of
// the 60 digits.
func logOracle(x float64) *apd.Decimal {
	m, e := math.Frexp(x)
	lm := hiprec.LogH(m, 0)
	if e == 0 {
		return lm
	}
	ctx := apd.BaseContext.WithPrecision(80)
	d := new(apd.Decimal)
	if _, err := ctx.Mul(d, oracleLn2(), apd.New(int64(e), 0)); err != nil {
		panic(err)
	}
	if _, err := ctx.Add(d, d, lm); err != nil {
		panic(err)
	}
	return d
}

var oracleLn2 = sync.OnceValue(func() *apd.Decimal { return new(apd.Decimal).Neg(hiprec.LogH(0.5, 0)) })

// logOracleTolULPs is the bound TestLogOracle holds Log to: 0.5 ulp for the
// final rounding plus 0.03 ulp for every other error (Taylor truncation
// ≤ logTruncULPs, roundings of terms below 2^−15, the 2^−90 of the table's
// low parts), rounded up.
const logOracleTolULPs = 0.53

// logOraclePoints returns the inputs of TestLogOracle (about 24 000):
// powers of two and their neighbours over the whole range, 1 ± j·ulp,
// [1 − 2^−10, 1 + 2^−10], the ends of every table interval at several k,
// subnormals, the extremes, log-uniform over all positive floats and
// uniform on [1/2, 2]. FOCAL_LOG_LONG=1 takes 20 times as many random
// inputs (3·10⁵ in all, under a minute).
func logOraclePoints(rng *rand.Rand) []float64 {
	n := 1
	if os.Getenv("FOCAL_LOG_LONG") != "" {
		n = 20
	}
	var xs []float64
	for k := -1074; k <= 1023; k++ {
		x := math.Ldexp(1, k)
		xs = append(xs, x, math.Nextafter(x, 0), math.Nextafter(x, math.Inf(1)))
	}
	xs = append(xs, math.MaxFloat64, math.Nextafter(math.MaxFloat64, 0), 0x1p-1074, 3*0x1p-1074,
		math.Nextafter(0x1p-1022, 0), 0x1.fffffffffffffp-1, 0x1.0000000000001p0)
	for j := 1; j <= 64; j++ {
		xs = append(xs, 1+float64(j)*0x1p-52, 1-float64(j)*0x1p-53, 1-float64(j)*0x1p-52)
	}
	for range n * 2000 {
		xs = append(xs, 1+(2*rng.Float64()-1)*0x1p-10)
	}
	for i := range logN {
		a, _ := logInterval(i)
		for _, k := range []int{0, -1, 1, 1 + rng.IntN(1020), -1 - rng.IntN(1020)} {
			xa := math.Ldexp(a, k)
			xs = append(xs, xa, math.Nextafter(xa, 0))
		}
	}
	for range n * 1000 {
		xs = append(xs, math.Float64frombits(1+rng.Uint64N(1<<52-1))) // subnormal
	}
	for range n * 8000 {
		xs = append(xs, math.Float64frombits(1<<52+rng.Uint64N(0x7ff0000000000000-1<<52)))
	}
	for range n * 5000 {
		xs = append(xs, 0.5+1.5*rng.Float64())
	}
	return xs
}

// TestLogOracle measures Log against the independent oracle on about
// 24 000 inputs (0.1 ms each, split across the CPUs).
func TestLogOracle(t *testing.T) {
	xs := logOraclePoints(rand.New(rand.NewPCG(2026, 56600)))
	type worst struct{ ulps, x float64 }
	workers := runtime.GOMAXPROCS(0)
	res := make([]worst, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := w; j < len(xs); j += workers {
				x := xs[j]
				if u := hiprec.ULPs(Log(x), logOracle(x)); u > res[w].ulps || math.IsNaN(u) {
					res[w] = worst{u, x}
				}
			}
		}()
	}
	wg.Wait()
	m := worst{}
	for _, r := range res {
		if r.ulps > m.ulps || math.IsNaN(r.ulps) {
			m = r
		}
	}
	t.Logf("%d inputs: max error %.4f ulp at x = %v (%x)", len(xs), m.ulps, m.x, m.x)
	if !(m.ulps <= logOracleTolULPs) {
		t.Errorf("Log(%v) = %v: %.4f ulp from ln x, want ≤ %v", m.x, Log(m.x), m.ulps, logOracleTolULPs)
	}
}

// logScreenN random normal inputs are compared with math.Log, which is
// within 1 ulp of ln x: two results both that close may differ by one
// float64 step but never two. A cheap screen over far more inputs than
// the oracle can take, not the oracle.
const logScreenN = 10_000_000

func TestLogVsMath(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 56600))
	differ := 0
	for j := range logScreenN {
		var x float64
		switch j % 3 {
		case 0: // log-uniform over the normal range
			x = math.Float64frombits(1<<52 + rng.Uint64N(0x7ff0000000000000-1<<52))
		case 1: // the probabilities the kernels see
			x = rng.Float64()
			if x < 0x1p-1022 {
				continue
			}
		default:
			x = 0.5 + 1.5*rng.Float64()
		}
		got, want := Log(x), math.Log(x)
		if got == want {
			continue
		}
		differ++
		if d := floatSteps(got, want); d > 1 {
			t.Fatalf("Log(%v) = %v, math.Log = %v: %d float64 steps apart", x, got, want, d)
		}
	}
	t.Logf("%d inputs: %d (%.3f%%) differ from math.Log by one step", logScreenN, differ, 100*float64(differ)/logScreenN)
}

// floatSteps returns the number of float64s from a to b (finite).
func floatSteps(a, b float64) uint64 {
	ord := func(f float64) int64 {
		i := int64(math.Float64bits(f))
		if i < 0 {
			i = math.MinInt64 - i
		}
		return i
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return uint64(d)
}

// TestLogSlice checks that logSlice, Log's body copied into a loop, gives
// Log's results bit for bit, also in place.
func TestLogSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 56600))
	xs := logOraclePoints(rng)
	xs = append(xs, 0, math.Copysign(0, -1), -1, math.Inf(1), math.Inf(-1), math.NaN(), 1)
	for range 1_000_000 {
		xs = append(xs, rng.Float64(), math.Float64frombits(rng.Uint64()))
	}
	got := make([]float64, len(xs))
	logSlice(got, xs)
	for i, x := range xs {
		if want := Log(x); math.Float64bits(got[i]) != math.Float64bits(want) && !(math.IsNaN(got[i]) && math.IsNaN(want)) {
			t.Fatalf("logSlice at %v = %v, Log = %v", x, got[i], want)
		}
	}
	logSlice(xs, xs)
	for i := range xs {
		if math.Float64bits(xs[i]) != math.Float64bits(got[i]) {
			t.Fatalf("in place: element %d = %v, want %v", i, xs[i], got[i])
		}
	}
}
