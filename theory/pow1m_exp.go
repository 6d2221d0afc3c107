package theory

import "math"

// pow1mExp returns (1−x)^p for x in [0, 1) and p·log(1−x) in [−745, 709]
// (which holds for p in [−1, 16], the exponents γ − 1 of Psi's direct path
// with 0 < γ ≤ 17, since 1−x ≥ 2^−53): the power of Psi's direct path and
// its kernels at every γ the integer powers (γ − 1 = 0…maxIntPow) leave.
//
// Method: (1−x)^p = exp(p·log1p(−x)), with both steps carried beyond
// float64. log1p(−x) comes out of log1pmParts as a sum hi + lo, accurate to
// about 2^−60 relative (Log's method before its last rounding, on the exact
// 1−x = w + d); p·(hi + lo) is split exactly into yh + yl with an FMA; and
// expParts takes the sum. So the float64 logarithm's half-ulp error, which
// the exponential turns into a relative error of |p·log(1−x)|/2 ulps (the
// amplified regime of docs/numerics.md: up to 300 ulps at p = 16 and
// x = 1−2^−53), is not made here: what is left is about 2^−60·|y| from
// the logarithm plus expParts' ulp.
//
// The body is written for the vector unit (psi_amd64.s computes the same
// operations in the same order, bit for bit): no branch, no table but
// Log's, every FMA a math.FMA.
func pow1mExp(x, p float64) float64 {
	hi, lo := log1pmParts(x)
	yh := p * hi
	yl := math.FMA(p, lo, math.FMA(p, hi, -yh)) // p·hi − yh is exact
	return expParts(yh, yl)
}

// log1pmParts returns log(1−x) as hi + lo for x in [0, 1), hi = the sum
// rounded. It is Log's method (log.go) on w = 1−x rounded, with the rounding
// error d = (1−x) − w folded into Log's r, which then holds the reduced
// argument of the exact 1−x:
//
//	1−x = w + d = 2^k·(z + d·2^−k),   log(1−x) = k·ln2 + ln c + log1p(r),
//	r = (z + d·2^−k)·invc − 1 = FMA(d·2^−k, invc, FMA(z, invc, −1))
//
// (one rounding, of a number below 0.0054), and Log's last addition
// hi + (lo + q) split exactly (Fast2Sum: |hi| ≥ |lo + q|) instead of rounded.
//
// d is exact: for x ≥ 1/2, w = 1−x exactly and d = 0; for x < 1/2, 1 − w
// is exact (w ≥ 1/2) and differs from x by at most half an ulp of w, a
// difference that fits a float64 on the grid of x's ulp. For x < 2^−54,
// w = 1 and d = −x: then r = −x and log(1−x) = −x − x²/2 − … (subnormal x
// included). w is a normal number (w ≥ 2^−53), so Log's special cases
// never arise; 2^−k = bits(1) − the exponent field Log subtracts
// (k ∈ {−1, 0} where d ≠ 0).
func log1pmParts(x float64) (hi, lo float64) {
	w := 1 - x
	d := (1 - w) - x
	ix := math.Float64bits(w)
	tmp := ix - logOff
	i := (tmp >> (52 - logTableBits)) % logN
	k := float64(int64(tmp) >> 52)
	ex := tmp & (0xfff << 52)
	z := math.Float64frombits(ix - ex)
	s := math.Float64frombits(0x3ff<<52 - ex) // 2^−k
	e := &logTab[i]
	r := math.FMA(z, e.invc, -1)
	r = math.FMA(d*s, e.invc, r)
	u := k*logLn2Hi + e.logcHi
	h := u + r
	l := (u - h) + r + (k*logLn2Lo + e.logcLo)
	r2 := r * r
	q := r2 * ((logC2 + r*logC3) + r2*(logC4+r*logC5) + r2*r2*(logC6+r*logC7))
	t := l + q
	hi = h + t
	return hi, t - (hi - h)
}

// expParts returns e^{yh+yl} for yh in [−745, 709] (so that the result is
// a normal number: within [−708, 709] for the callers) and |yl| ≤ 2^−40.
//
// Method: yh = k·ln2 + r1 with k = round(yh/ln2) (by adding and subtracting
// 1.5·2^52 to yh·(1/ln2)), r1 = FMA(−k, ln2, yh) exact (yh and k·ln2 are
// both on the grid of 2^−54 or finer where they are close, and |r1| < 1/2);
// r = r1 + (yl − k·(ln 2 − ln2)) as a rounded sum and its error (Fast2Sum),
// |r| ≤ 0.3466 + 2^−40; e^r = 1 + (r + (rl + r²·P(r))) with P the Taylor
// polynomial of (e^r − 1 − r)/r² to degree 11 (e^r to degree 13), whose
// truncation error is below r^14/14! ≤ 4.2e-18 (0.04 ulp), evaluated by
// Estrin's scheme with FMAs, and 1 + r split exactly (Fast2Sum) so that only
// the last addition rounds a number near 1; then 2^k by adding k to the
// exponent field, exact since the result is normal. Accuracy: ½ ulp for
// the last rounding, and the roundings of r², P and the small parts, which
// are below 2^−56 of the result (⅛ ulp).
func expParts(yh, yl float64) float64 {
	t := math.FMA(yh, expInvLn2, expShift)
	kf := t - expShift
	ki := math.Float64bits(t) << 52 // k·2^52 (bits(t) = bits(expShift) + k)
	r1 := math.FMA(-kf, expLn2, yh)
	r2 := math.FMA(-kf, expLn2Lo, yl)
	r := r1 + r2
	rl := (r1 - r) + r2
	rr := r * r
	r4 := rr * rr
	b0 := math.FMA(math.FMA(r, expC5, expC4), rr, math.FMA(r, expC3, expC2))
	b1 := math.FMA(math.FMA(r, expC9, expC8), rr, math.FMA(r, expC7, expC6))
	b2 := math.FMA(math.FMA(r, expC13, expC12), rr, math.FMA(r, expC11, expC10))
	p := math.FMA(b2, r4*r4, math.FMA(b1, r4, b0))
	t1 := 1 + r
	e1 := (1 - t1) + r // exact (Fast2Sum: |r| < 1)
	er := t1 + (e1 + math.FMA(rr, p, rl))
	return math.Float64frombits(math.Float64bits(er) + ki)
}

// The constants of expParts: 1/ln 2, ln 2 rounded (expLn2) and the rest of
// ln 2 (expLn2Lo), the shift 1.5·2^52 that rounds to an integer, and the
// Taylor coefficients 1/n! of e^r, each rounded once (Go constant
// arithmetic is exact).
const (
	expInvLn2 = 1 / math.Ln2
	expLn2    = 0x1.62e42fefa39efp-01 // ln 2 rounded to float64
	expLn2Lo  = 0x1.abc9e3b39803fp-56 // ln 2 − expLn2 rounded to float64
	expShift  = 0x1.8p52
	expC2     = 1.0 / 2
	expC3     = expC2 / 3
	expC4     = expC3 / 4
	expC5     = expC4 / 5
	expC6     = expC5 / 6
	expC7     = expC6 / 7
	expC8     = expC7 / 8
	expC9     = expC8 / 9
	expC10    = expC9 / 10
	expC11    = expC10 / 11
	expC12    = expC11 / 12
	expC13    = expC12 / 13
)
