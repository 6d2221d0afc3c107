package theory

import "math"

// Log returns the natural logarithm of x. It is correct for every float64,
// subnormals included, and within 0.51 ulp of ln x: an error analysis (in
// the source, above the table) bounds it by 0.5 ulp + 0.03 ulp, and the
// largest error measured against the independent oracle in package hiprec
// is 0.5009 ulp (at x = 1.011146217199085, over 3·10⁵ inputs). Near 1 the
// error is relative: Log(1 + d) keeps 0.5 ulp + ε for every tiny d. Where
// the compiler fuses multiply–adds (e.g. on arm64, or with GOAMD64=v3) the
// last bit may differ from other builds, within the same bound.
//
// Prefer it to math.Log where subnormal inputs can occur: math.Log on amd64
// and s390x (an assembly kernel) does not normalize them and returns about
// −709.09 for every x below 2^−1022 instead of down to −744.44
// (golang/go#56600, still open in Go 1.26). It is also faster than math.Log
// on amd64 (docs/numerics.md has the figures).
//
// Method: the table-driven scheme of the modern libm logarithms (ARM
// optimized-routines, glibc ≥ 2.28): x = 2^k·z, ln x = k·ln2 + ln c +
// log1p(z/c − 1) with c from a table of 128 entries and log1p a polynomial
// of degree 7, the argument z/c − 1 formed exactly with one FMA.
//
// Special cases are those of math.Log:
//
//	Log(+Inf) = +Inf
//	Log(0) = −Inf (also for −0)
//	Log(x < 0) = NaN (also for −Inf)
//	Log(NaN) = NaN
func Log(x float64) float64 {
	ix := math.Float64bits(x)
	// One unsigned compare catches x < 2^−1022 (0 and subnormals), negative
	// x (sign bit set), +Inf and NaN.
	if ix-0x0010000000000000 >= 0x7ff0000000000000-0x0010000000000000 {
		switch {
		case x == 0:
			return math.Inf(-1)
		case x > 0 && x < 0x1p-1022:
			// x·2^52 is exact and normal; undo the 52 in the exponent
			// field (k comes out below −1022 as it must).
			ix = math.Float64bits(x*0x1p52) - 52<<52
		case x > 0 || x != x: // +Inf or NaN
			return x
		default:
			return math.NaN()
		}
	}
	tmp := ix - logOff
	i := (tmp >> (52 - logTableBits)) % logN
	k := float64(int64(tmp) >> 52) // arithmetic shift: k may be negative
	z := math.Float64frombits(ix - tmp&(0xfff<<52))
	e := &logTab[i]
	r := math.FMA(z, e.invc, -1) // exact, see logEntry
	w := k*logLn2Hi + e.logcHi   // exact
	hi := w + r
	lo := (w - hi) + r + (k*logLn2Lo + e.logcLo) // (w − hi) + r is exact: |w| ≥ |r| or w = 0
	r2 := r * r
	q := r2 * ((logC2 + r*logC3) + r2*(logC4+r*logC5) + r2*r2*(logC6+r*logC7))
	return hi + (lo + q)
}

// Logs sets dst[i] = Log(x[i]) for every i, bit for bit, and returns dst.
// On amd64 CPUs with AVX2 and FMA it takes four entries at a time in
// assembly; elsewhere it is a loop of Log's body. dst may alias x. Logs
// panics if len(dst) != len(x).
func Logs(dst, x []float64) []float64 {
	if len(dst) != len(x) {
		panic("theory: length mismatch")
	}
	j := 0
	if haveArchKernels {
		j = archLogs(dst, x)
	}
	logSlice(dst[j:], x[j:])
	return dst
}

// logSlice sets dst[i] = Log(x[i]) for every i, bit for bit, the portable
// twin of archLogs. Its loop body is Log's, copied because Log is too big
// to inline and a call per element (its frame and math.FMA's feature
// check) costs about a quarter more per element (docs/numerics.md);
// TestLogSlice checks the copy against Log bit for bit. dst may alias x.
func logSlice(dst, x []float64) {
	dst = dst[:len(x)]
	for j, xj := range x {
		ix := math.Float64bits(xj)
		if ix-0x0010000000000000 >= 0x7ff0000000000000-0x0010000000000000 {
			dst[j] = Log(xj)
			continue
		}
		tmp := ix - logOff
		i := (tmp >> (52 - logTableBits)) % logN
		k := float64(int64(tmp) >> 52)
		z := math.Float64frombits(ix - tmp&(0xfff<<52))
		e := &logTab[i]
		r := math.FMA(z, e.invc, -1)
		w := k*logLn2Hi + e.logcHi
		hi := w + r
		lo := (w - hi) + r + (k*logLn2Lo + e.logcLo)
		r2 := r * r
		q := r2 * ((logC2 + r*logC3) + r2*(logC4+r*logC5) + r2*r2*(logC6+r*logC7))
		dst[j] = hi + (lo + q)
	}
}

// The method of Log in full (a table and polynomial of our own, generated
// and checked with math/big by TestLogTableGenerated):
//
//	x = 2^k·z, z in [0x1.6bp−1, 0x1.6bp0) (subnormal x is scaled by 2^52 first)
//	ln x = k·ln2 + ln c + ln(1 + r),   r = z·invc − 1,   c = 1/invc
//
// Bits 45–51 of bits(x) − logOff pick one of 128 intervals of z and its
// entry (invc, ln c split into hi and lo). For the interval holding 1,
// invc = 1 (so near 1, Log(x) = r + r²·P(r) with r = x − 1 exact); for the
// others, invc is 1/(interval centre) rounded to the finest binary grid on
// which z·invc − 1 is a float64 for every z of the interval, so r is exact
// (one FMA) and |r| < 0.0053. ln(1 + r) = r + r²·P(r) with P the Taylor
// polynomial of degree 5 (log1p to degree 7), whose truncation error,
// below |r|⁸/(8(1−|r|)), is at most 0.017 ulp of the result in every
// interval. k·ln2Hi + lnc_hi is exact (both are multiples of 2^−43 and the
// sum is below 2^10), hi + lo = w + r is split exactly (Fast2Sum), and the
// low parts k·ln2Lo + lnc_lo carry the rest to about 2^−90; so apart from
// the final rounding (0.5 ulp) only the polynomial (≤ 0.017 ulp) and a few
// roundings of terms below 2^−15 (≤ 0.01 ulp) contribute. The largest error
// measured against hiprec is TestLogOracle's.
//
// Log(1) = +0 exactly. The error bound holds whether or not the compiler
// fuses multiply–adds: k·ln2Hi + lnc_hi is exact either way and the
// polynomial only gains. math.FMA is the only FMA Log relies on; on
// hardware without one it is still correct, but slow.
const (
	// logTableBits bits of z's pattern index logTab.
	logTableBits = 7
	logN         = 1 << logTableBits
	// logOff is the pattern of 0x1.6bp−1 ≈ 1/√2, the bottom of z's range.
	// 1.0 is at the centre (in bit patterns) of interval 74 = [1 − 2^−9,
	// 1 + 2^−8).
	logOff = 0x3fe6b00000000000
	// logHiExp: ln2Hi and every lnc_hi are multiples of 2^logHiExp, so
	// k·ln2Hi + lnc_hi (below 2^10 in magnitude) is a float64.
	logHiExp = -43
	// logC2…logC7: the Taylor coefficients (−1)^{n+1}/n of ln(1 + r),
	// each rounded once (Go constant arithmetic is exact).
	logC2 = -1.0 / 2
	logC3 = 1.0 / 3
	logC4 = -1.0 / 4
	logC5 = 1.0 / 5
	logC6 = -1.0 / 6
	logC7 = 1.0 / 7
	// logLn2Hi is ln 2 rounded to a multiple of 2^−43; logLn2Lo is
	// ln 2 − logLn2Hi rounded to float64.
	logLn2Hi = 0x1.62e42fefa38p-01
	logLn2Lo = 0x1.ef35793c7673p-45
)

// logEntry is the table entry of one interval [a, b) of z (see genLogTable
// in log_test.go, which recomputes every entry with math/big):
//
//	invc   = 1 for the interval holding 1; else 1/((a+b)/2) rounded to the
//	         nearest multiple of 2^−q, q the largest for which z·invc − 1 is
//	         a float64 for every float64 z in [a, b]
//	logcHi = ln(1/invc) rounded to the nearest multiple of 2^−43
//	logcLo = ln(1/invc) − logcHi rounded to float64
type logEntry struct{ invc, logcHi, logcLo float64 }

var logTab = [logN]logEntry{
	{0x1.68p+00, -0x1.5d1bdbf5808p-02, -0x1.ca508d8e0f72p-46},
	{0x1.66p+00, -0x1.57677174558p-02, -0x1.362a4d5b6506dp-45},
	{0x1.64p+00, -0x1.51aad872df8p-02, -0x1.684e49eb067d5p-49},
	{0x1.62p+00, -0x1.4be5f957778p-02, -0x1.41b6993293eep-47},
	{0x1.6p+00, -0x1.4618bc21c6p-02, 0x1.3d82f484c84ccp-46},
	{0x1.5ep+00, -0x1.404308686a8p-02, 0x1.c42f3ed820b3ap-50},
	{0x1.5dp+00, -0x1.3d54fa5c1f8p-02, 0x1.e0f1932e350e5p-47},
	{0x1.5bp+00, -0x1.3772662bfd8p-02, -0x1.6bc953ac4fddp-48},
	{0x1.59p+00, -0x1.31871c9544p-02, -0x1.84fab94cecfd9p-46},
	{0x1.57p+00, -0x1.2b9303ab8ap-02, 0x1.6db12d6bfb0a5p-45},
	{0x1.55p+00, -0x1.2596010df78p-02, 0x1.c610f76c57076p-46},
	{0x1.54p+00, -0x1.22941fbcf78p-02, -0x1.65a242853da76p-46},
	{0x1.52p+00, -0x1.1c898c16998p-02, -0x1.fafbc68e75404p-46},
	{0x1.5p+00, -0x1.1675cababa8p-02, 0x1.f1fc63382a8fp-46},
	{0x1.4ep+00, -0x1.1058bf9ae48p-02, -0x1.6a8c4fd055a66p-45},
	{0x1.4dp+00, -0x1.0d46b579ab8p-02, 0x1.69bf04df8f0d1p-47},
	{0x1.4bp+00, -0x1.071b85fcd58p-02, -0x1.0d1d1707f97bep-46},
	{0x1.49p+00, -0x1.00e6c45ad5p-02, -0x1.cc68d52e01203p-50},
	{0x1.48p+00, -0x1.fb9186d5e4p-03, 0x1.d572aab993c87p-47},
	{0x1.46p+00, -0x1.ef0adcbdc6p-03, 0x1.b26b79c86af24p-45},
	{0x1.44p+00, -0x1.e27076e2afp-03, -0x1.72f4f543fff1p-46},
	{0x1.43p+00, -0x1.dc1bca0abfp-03, 0x1.c14f9675ccce9p-46},
	{0x1.41p+00, -0x1.cf6354e09cp-03, -0x1.771239a07d55bp-45},
	{0x1.4p+00, -0x1.c8ff7c79aap-03, 0x1.7794f689f8434p-45},
	{0x1.3ep+00, -0x1.bc286742d9p-03, 0x1.94eb0318bb78fp-46},
	{0x1.3dp+00, -0x1.b5b519e8fbp-03, -0x1.691ba27fdc19ep-45},
	{0x1.3bp+00, -0x1.a8becfc883p-03, 0x1.ce7a30de4630ep-48},
	{0x1.3ap+00, -0x1.a23bc1fe2bp-03, -0x1.58c64dc46c1eap-45},
	{0x1.38p+00, -0x1.9525a9cf45p-03, -0x1.ad1d904c1d4e3p-45},
	{0x1.37p+00, -0x1.8e928de887p-03, 0x1.5faad3b0a34adp-46},
	{0x1.35p+00, -0x1.815c0a1435p-03, -0x1.fab5a0dbfc63p-45},
	{0x1.34p+00, -0x1.7ab890210ep-03, 0x1.bdb9072534a58p-45},
	{0x1.32p+00, -0x1.6d60fe719dp-03, -0x1.0e46aa3b2e266p-46},
	{0x1.31p+00, -0x1.66acd4272bp-03, 0x1.5790900e4e1ebp-46},
	{0x1.2fp+00, -0x1.59338d9982p-03, -0x1.0ba68b7555d4ap-48},
	{0x1.2ep+00, -0x1.526e5e3a1bp-03, -0x1.0de8b90075b8fp-45},
	{0x1.2dp+00, -0x1.4ba36f39a5p-03, -0x1.79568981bcc36p-45},
	{0x1.2bp+00, -0x1.3dfc2b0eccp-03, -0x1.8a72a62b8c13fp-45},
	{0x1.2ap+00, -0x1.371fc201e9p-03, 0x1.178864d27543ap-48},
	{0x1.29p+00, -0x1.303d718e48p-03, 0x1.680b5ce3ecb05p-50},
	{0x1.27p+00, -0x1.2266f190a6p-03, 0x1.4d20ab840e7f6p-45},
	{0x1.26p+00, -0x1.1b72ad52f6p-03, -0x1.e80a41811a396p-45},
	{0x1.25p+00, -0x1.1478584674p-03, -0x1.563451027c75p-46},
	{0x1.23p+00, -0x1.0671512ca6p-03, 0x1.a47579cdc0a3dp-45},
	{0x1.22p+00, -0x1.fec9131dbep-04, -0x1.575545ca333f2p-45},
	{0x1.21p+00, -0x1.f0a30c0116p-04, -0x1.5330be64b8b77p-47},
	{0x1.1fp+00, -0x1.d4313d66ccp-04, 0x1.9454379135713p-45},
	{0x1.1ep+00, -0x1.c5e548f5bcp-04, -0x1.d0c57585fbe06p-46},
	{0x1.1dp+00, -0x1.b78c82bb0ep-04, -0x1.b4210878cf032p-45},
	{0x1.1cp+00, -0x1.a926d3a4aep-04, 0x1.53935e85baac8p-45},
	{0x1.1ap+00, -0x1.8c345d631ap-04, 0x1.37c294d2f5668p-46},
	{0x1.19p+00, -0x1.7da766d7b2p-04, 0x1.a66f776fe6ecap-45},
	{0x1.18p+00, -0x1.6f0d28ae56p-04, -0x1.69737c93373dap-45},
	{0x1.17p+00, -0x1.60658a9376p-04, 0x1.e789c422c7611p-45},
	{0x1.16p+00, -0x1.51b073f062p-04, 0x1.f025b61c65e57p-46},
	{0x1.15p+00, -0x1.42edcbea64p-04, -0x1.bc0eeea7c9acdp-46},
	{0x1.13p+00, -0x1.253f62f0a2p-04, 0x1.7d20e092cb1fep-45},
	{0x1.12p+00, -0x1.16536eea38p-04, 0x1.47c5e768fa309p-46},
	{0x1.11p+00, -0x1.075983598ep-04, -0x1.1c4c06d2999e2p-46},
	{0x1.1p+00, -0x1.f0a30c0118p-05, 0x1.d599e83368e91p-45},
	{0x1.0fp+00, -0x1.d276b8adbp-05, -0x1.6a423c78a64bp-46},
	{0x1.0ep+00, -0x1.b42dd71198p-05, 0x1.c827ae5d6704cp-46},
	{0x1.0dp+00, -0x1.95c830ec9p-05, 0x1.c148297c5feb8p-45},
	{0x1.0bp+00, -0x1.58a5bafc9p-05, 0x1.b2b739570ad39p-45},
	{0x1.0ap+00, -0x1.39e87b9fecp-05, 0x1.502b7f526feaap-48},
	{0x1.09p+00, -0x1.1b0d98923cp-05, -0x1.97fc2ca2eec8ap-45},
	{0x1.08p+00, -0x1.f829b0e78p-06, -0x1.980267c7e09e4p-45},
	{0x1.07p+00, -0x1.b9fc027af8p-06, -0x1.197fbd465b759p-46},
	{0x1.06p+00, -0x1.7b91b07d58p-06, -0x1.88d5493faa639p-45},
	{0x1.05p+00, -0x1.3cea443468p-06, -0x1.2ba779a52b7eap-45},
	{0x1.04p+00, -0x1.fc0a8b0fcp-07, -0x1.f1e7cf6d3a69cp-50},
	{0x1.03p+00, -0x1.7dc475f81p-07, -0x1.4edba4a25e0b1p-48},
	{0x1.02p+00, -0x1.fe02a6b1p-08, -0x1.9e23f0dda40e4p-46},
	{0x1.01p+00, -0x1.ff00aa2bp-09, -0x1.0bc04a086b56ap-45},
	{1, 0x0p+00, 0x0p+00},
	{0x1.fcp-01, 0x1.010157589p-07, -0x1.0c76b999d2be8p-46},
	{0x1.f8p-01, 0x1.0205658938p-06, -0x1.3dc5b06e2f7d2p-45},
	{0x1.f4p-01, 0x1.8492528c9p-06, -0x1.aa0ba325a0c34p-45},
	{0x1.fp-01, 0x1.0415d89e74p-05, 0x1.111c05cf1d753p-47},
	{0x1.ecp-01, 0x1.466aed42ep-05, -0x1.c167375bdfd28p-45},
	{0x1.e9p-01, 0x1.788595a358p-05, -0x1.08b0d083b3a4cp-46},
	{0x1.e6p-01, 0x1.aaef2d0fbp-05, 0x1.0fc1a353bb42ep-45},
	{0x1.e2p-01, 0x1.eea31c006cp-05, -0x1.e113e4fc93b7bp-47},
	{0x1.dep-01, 0x1.1973bd1466p-04, -0x1.5325d560d9e9bp-45},
	{0x1.dbp-01, 0x1.333d7f8184p-04, -0x1.692b6a81b8848p-49},
	{0x1.d8p-01, 0x1.4d3115d208p-04, -0x1.53a2582f4e1efp-48},
	{0x1.d4p-01, 0x1.700d30aeacp-04, 0x1.c1e8da99ded32p-49},
	{0x1.dp-01, 0x1.9335e5d594p-04, 0x1.3115c3abd47dap-45},
	{0x1.cep-01, 0x1.a4e7640b1cp-04, -0x1.e42b6b94407c8p-47},
	{0x1.cap-01, 0x1.c885801bc4p-04, 0x1.646d1c65aacd3p-45},
	{0x1.c7p-01, 0x1.e3707ee304p-04, 0x1.0f684e6766abdp-45},
	{0x1.c4p-01, 0x1.fe89139dbep-04, -0x1.534d64fa10afdp-45},
	{0x1.c1p-01, 0x1.0ce7ecdcccp-03, 0x1.4652dabff5447p-46},
	{0x1.bep-01, 0x1.1aa2b7e23fp-03, 0x1.ca78e44389934p-45},
	{0x1.bbp-01, 0x1.28753bc11bp-03, -0x1.16d6394d9fa33p-45},
	{0x1.b8p-01, 0x1.365fcb0159p-03, 0x1.62fa8234b7289p-51},
	{0x1.b5p-01, 0x1.4462b9dc9bp-03, 0x1.ede9d63b93e7ap-46},
	{0x1.b2p-01, 0x1.527e5e4a1bp-03, 0x1.633e8e5697dc7p-45},
	{0x1.afp-01, 0x1.60b3100b09p-03, 0x1.1d7526cee0fd8p-45},
	{0x1.acp-01, 0x1.6f0128b757p-03, -0x1.5118de59c21e1p-45},
	{0x1.aap-01, 0x1.7898d85445p-03, -0x1.c661070914305p-46},
	{0x1.a7p-01, 0x1.871213750fp-03, -0x1.9ae297a0ca116p-45},
	{0x1.a4p-01, 0x1.95a5adcf7p-03, 0x1.7f22858a0ff6fp-47},
	{0x1.a2p-01, 0x1.9f6c407089p-03, 0x1.9904d6865817ap-45},
	{0x1.9fp-01, 0x1.ae2ca6f673p-03, -0x1.0ae54a356155fp-45},
	{0x1.9cp-01, 0x1.bd087383bep-03, -0x1.d4bc4595412b6p-45},
	{0x1.9ap-01, 0x1.c6ffbc6f01p-03, -0x1.1ec72c5962bd2p-48},
	{0x1.97p-01, 0x1.d60a17f903p-03, 0x1.4523f207be58ep-45},
	{0x1.94p-01, 0x1.e530effe71p-03, 0x1.212276041f43p-51},
	{0x1.92p-01, 0x1.ef5ade4ddp-03, -0x1.a211565bb8e11p-51},
	{0x1.9p-01, 0x1.f991c6cb3bp-03, 0x1.bcbecca0cdf3p-46},
	{0x1.8dp-01, 0x1.047e60cde8p-02, 0x1.dbdf10d397f3cp-45},
	{0x1.8bp-01, 0x1.09aa572e6c8p-02, -0x1.2bd787a32f2f6p-46},
	{0x1.88p-01, 0x1.1178e8227e8p-02, -0x1.c210e63a5f01cp-45},
	{0x1.86p-01, 0x1.16b5ccbacf8p-02, 0x1.b9acdf7a51681p-45},
	{0x1.84p-01, 0x1.1bf99635a68p-02, 0x1.ca6ed5147bdb7p-45},
	{0x1.82p-01, 0x1.214456d0eb8p-02, 0x1.a87deba46baeap-47},
	{0x1.7fp-01, 0x1.2941afb1868p-02, 0x1.bde7a919e3aebp-45},
	{0x1.7dp-01, 0x1.2e9e2bce12p-02, 0x1.4300c128d1dc2p-45},
	{0x1.7bp-01, 0x1.3401e12aec8p-02, 0x1.d07195523adc6p-45},
	{0x1.79p-01, 0x1.396ce359bcp-02, -0x1.5839c5663663dp-47},
	{0x1.76p-01, 0x1.419b423d5e8p-02, 0x1.8e436ec90e09dp-47},
	{0x1.74p-01, 0x1.4718dc271c8p-02, -0x1.f27ce0967d675p-45},
	{0x1.72p-01, 0x1.4c9e09e173p-02, -0x1.e20891b0ad8a4p-45},
	{0x1.7p-01, 0x1.522ae0738ap-02, 0x1.ebe708164c759p-45},
	{0x1.6ep-01, 0x1.57bf753c8dp-02, 0x1.fadedee5d40efp-46},
	{0x1.6cp-01, 0x1.5d5bddf596p-02, -0x1.a0b2a08a465dcp-47},
	{0x1.6ap-01, 0x1.630030b3abp-02, -0x1.db623e731aep-45},
}
