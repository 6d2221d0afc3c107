package theory

import "math"

// PsiLogits writes Ψ^γ(softmax(z)) into dst and returns dst: the recovery
// transform of Eq. 12 applied to the class probabilities of the logits z,
// formed from the logits themselves, so that no entry is lost where
// softmax(z) would round 1 − max_i softmax(z)_i or a small probability away
// (logits (50, 0, 0) give entries near 1e-61, which Psi(softmax(z)) returns
// as 0).
//
// Method. With m the first index of a largest logit, e_j = exp(z_j − z_m) and
// r = Σ_{j≠m} e_j, softmax gives v_j = e_j/(1+r) and 1 − v_m = r/(1+r), and
// φ^γ(v) = (1−v)^γ (1 + γ w(v)) with w(v) = −v log v/(1−v) (Eq. 10). Every
// h^γ(v_i) = v_i/φ^γ(v_i) multiplied by the common factor (1+r)(1−v_m)^γ is
//
//	T_m = 1/(1 + γ log1p(r)/r),
//	T_j = e_j ρ_j^γ/(1 + γ e_j (log1p(r) − (z_j − z_m))/(1 + r − e_j)),   ρ_j = r/(1 + r − e_j) ≤ 1,
//
// sums of positive terms with no cancellation, and Ψ_i = T_i/Σ_l T_l. The
// logit differences are split exactly (two-sum), e_j and ρ_j^γ are carried
// as mantissa and power of two, so nothing underflows before the final
// division, and the terms are normalized by a compensated sum.
//
// Accuracy (against package hiprec): the contract of docs/numerics.md in
// every component ≥ 1e-300, for logits of any finite size and gaps: a
// relative error ≤ 1e-14 wherever a = γ·|log(1 − v_m)| ≤ 10, ≤ 16·a ulps
// beyond (the float64 logarithm's error amplified by the exponent, as in
// Psi).
//
// Special cases are:
//
//	PsiLogits(dst, z, γ) is all NaN if γ is NaN, negative or +Inf, or any z_i is NaN, or every z_i is −Inf
//	PsiLogits(dst, z, γ) for some z_i = +Inf: uniform on {i : z_i = +Inf}, 0 elsewhere
//	PsiLogits(dst, z, γ)_i = 0 where z_i = −Inf
//	PsiLogits(dst, z, 0) = softmax(z)
//
// PsiLogits panics if len(dst) != len(z). dst may alias z.
func PsiLogits(dst, z []float64, gamma float64) []float64 {
	if len(dst) != len(z) {
		panic("theory: length mismatch")
	}
	return psiLogits(dst, z, nil, gamma, false, dst)
}

// LogPsiLogits writes log Ψ^γ(softmax(z)) into dst and returns dst: the
// logarithms of PsiLogits' components, formed in the log domain where a
// component is below the normal range, so that each is finite wherever the
// true value is (logits with gaps of 10^4 give log Ψ near −3·10^4). A log
// of a component ≥ 1/2 is formed as −log1p(Σ_{others}/itself), so it keeps
// its relative accuracy near 0.
//
// Accuracy: a relative error of a few ulps of |log Ψ_i| for the components
// below 1/2, and an absolute one of a few ulps of 1 − Ψ_i for the largest,
// under the conditions of PsiLogits.
//
// Special cases are those of PsiLogits, with log 0 = −Inf.
//
// LogPsiLogits panics if len(dst) != len(z). dst may alias z.
func LogPsiLogits(dst, z []float64, gamma float64) []float64 {
	if len(dst) != len(z) {
		panic("theory: length mismatch")
	}
	return psiLogits(dst, z, nil, gamma, true, logScratch(len(z)))
}

// PsiBalancedLogits is PsiBalanced applied to softmax(z), formed from the
// logits as PsiLogits is: η_y ∝ T_y/α_y. Its accuracy and special cases are
// those of PsiLogits, with the +Inf case proportional to 1/α_i, and all NaN
// if any α_i is NaN, ±Inf or ≤ 0.
//
// PsiBalancedLogits panics if len(dst) != len(z) or len(alpha) != len(z).
// dst may alias z.
func PsiBalancedLogits(dst, z, alpha []float64, gamma float64) []float64 {
	if len(dst) != len(z) || len(alpha) != len(z) {
		panic("theory: length mismatch")
	}
	return psiLogits(dst, z, alpha, gamma, false, dst)
}

// LogPsiBalancedLogits is the logarithm of PsiBalancedLogits, formed as
// LogPsiLogits forms its logarithms.
func LogPsiBalancedLogits(dst, z, alpha []float64, gamma float64) []float64 {
	if len(dst) != len(z) || len(alpha) != len(z) {
		panic("theory: length mismatch")
	}
	return psiLogits(dst, z, alpha, gamma, true, logScratch(len(z)))
}

// logitScaleUp: the terms are scaled by 2^logitScaleUp before the sum, as
// in hTermsScaled, so that a component as small as 1e-320 is still normal
// before the final division; every term is ≤ 2^logitScaleUp/min α.
const logitScaleUp = 500

// splitMinExp: expSplit's reduction is exact for |n| < 2^20; below
// e^{−splitMaxArg}, about 2^{−10^6}, a value counts as 0 in the linear
// domain (no product of it with the other factors, all ≤ 2^{1100}, can reach
// the float64 range), and n is this sentinel.
const (
	splitMaxArg = 7e5
	splitMinExp = -1 << 30
)

// expSplit returns n and f with e^{hi+lo} = 2^n·f, f in [0.7, 1.42], for
// |lo| ≤ ulp(hi) (the exact rounding error of the difference hi): the
// Cody–Waite reduction of hi is exact, lo joins the reduced argument. For
// hi < −splitMaxArg it returns splitMinExp, 1.
func expSplit(hi, lo float64) (int, float64) {
	if !(hi >= -splitMaxArg) {
		return splitMinExp, 1
	}
	k := math.Floor(hi/math.Ln2 + 0.5)
	rem := (hi - k*ln2Hi) - k*ln2Lo + lo
	return int(k), math.Exp(rem)
}

// twoDiff returns a − b rounded and its exact rounding error (TwoSum of a
// and −b); the error is 0 where the difference overflows.
func twoDiff(a, b float64) (s, e float64) {
	s, e = twoSum(a, -b)
	if math.IsInf(s, 0) {
		e = 0
	}
	return s, e
}

// logitRow holds what every term of one row of logits shares.
type logitRow struct {
	gamma    float64
	m        int     // first index of a largest z_i
	z2       float64 // largest z_j, j ≠ m
	dHi, dLo float64 // δ = z2 − z_m = dHi + dLo ≤ 0, exactly
	n        int     // e^δ = 2^n·f
	f        float64
	tiny     bool    // r < 2^-1000 (or 0): 1 + r rounds to 1
	bigR     float64 // R = Σ_{j≠m} e^{z_j − z2}, in [1, K−1]
	r        float64 // r = e^δ·R, 0 when tiny
	logR     float64 // log r = δ + log R
	l1pr     float64 // log1p(r)
	cm       float64 // 1 + γ log1p(r)/r
}

// logScratch returns the buffer of the scaled terms of a log-domain row of
// k logits (the logarithms need z after the terms are summed, and dst may
// alias z).
func logScratch(k int) []float64 { return make([]float64, k) }

// psiLogits is PsiLogits, LogPsiLogits and their balanced twins (alpha not
// nil). The scaled terms are written into w (len(z) entries): dst itself
// for the linear output, a buffer apart from z and dst for the logarithms.
func psiLogits(dst, z, alpha []float64, gamma float64, logOut bool, w []float64) []float64 {
	if len(z) == 0 {
		return dst
	}
	if !validGamma(gamma) {
		return fillNaN(dst)
	}
	for _, a := range alpha {
		if !validWeight(a) {
			return fillNaN(dst)
		}
	}
	m, infs := -1, 0
	for i, x := range z {
		switch {
		case x != x:
			return fillNaN(dst)
		case math.IsInf(x, 1):
			infs++
		}
		if m < 0 && x > math.Inf(-1) || m >= 0 && x > z[m] {
			m = i
		}
	}
	switch {
	case m < 0: // every z_i = −Inf
		return fillNaN(dst)
	case infs > 0:
		return logitsAtInf(dst, z, alpha, logOut)
	}
	var lr logitRow
	lr.gamma, lr.m, lr.z2 = gamma, m, math.Inf(-1)
	for j, x := range z {
		if j != m && x > lr.z2 {
			lr.z2 = x
		}
	}
	zm := z[m]
	lr.dHi, lr.dLo = twoDiff(lr.z2, zm)
	if math.IsInf(lr.dHi, -1) {
		return logitsOneHot(dst, m, logOut)
	}
	var s neumaier
	for j, x := range z {
		if j != m {
			s = s.add(expDiff(x, lr.z2))
		}
	}
	lr.bigR = s.total()
	lr.n, lr.f = expSplit(lr.dHi, lr.dLo)
	lr.logR = lr.dHi + (lr.dLo + math.Log(lr.bigR))
	lr.r = math.Ldexp(lr.f*lr.bigR, lr.n)
	lr.tiny = lr.r < 0x1p-1000
	lr.cm = 1 + gamma // log1p(r)/r → 1 as r → 0
	if !lr.tiny {
		lr.l1pr = math.Log1p(lr.r)
		lr.cm = 1 + gamma*(lr.l1pr/lr.r)
	} else {
		lr.r = 0
	}
	// The scaled terms W'_i = T_i/α_i·2^logitScaleUp, their sum and the
	// largest.
	var sum neumaier
	big := 0
	for j := range z {
		var t float64
		if j == m {
			t = math.Ldexp(1/lr.cm, logitScaleUp)
		} else {
			mant, e := lr.term(z[j])
			t = math.Ldexp(mant, e+logitScaleUp)
		}
		if alpha != nil {
			t /= alpha[j]
		}
		w[j] = t
		sum = sum.add(t)
		if t > w[big] {
			big = j
		}
	}
	total := sum.total()
	if !logOut {
		for i := range dst {
			dst[i] /= total
		}
		return dst
	}
	// The largest component's log from the others' share, the others'
	// from the quotient where it is normal and from the log-domain term
	// otherwise (recomputed from z: such entries are rare).
	var others neumaier
	for i, t := range w {
		if i != big {
			others = others.add(t)
		}
	}
	logTotal := math.Log(total) - logitScaleUp*math.Ln2
	topLog := -math.Log1p(others.total()/w[big]) + 0
	for i, t := range w {
		switch q := t / total; {
		case i == big:
			dst[i] = topLog
		case q >= 0x1p-1000:
			dst[i] = math.Log(q)
		case i == m:
			dst[i] = -math.Log(lr.cm) - logAlpha(alpha, i) - logTotal
		default:
			dst[i] = lr.logTerm(z[i]) - logAlpha(alpha, i) - logTotal
		}
	}
	return dst
}

// logAlpha returns log α_i, or 0 without weights.
func logAlpha(alpha []float64, i int) float64 {
	if alpha == nil {
		return 0
	}
	return math.Log(alpha[i])
}

// expDiff returns e^{x−y} for x ≤ y, the difference taken exactly.
func expDiff(x, y float64) float64 {
	hi, lo := twoDiff(x, y)
	if !(hi >= -746) {
		return 0
	}
	a := math.Exp(hi)
	return a + a*lo
}

// term returns T_j = e_j ρ_j^γ/g_j of the logit zj ≠ z_m as mant·2^e.
func (lr *logitRow) term(zj float64) (float64, int) {
	hi, lo := twoDiff(zj, lr.z2)
	if !(hi >= -splitMaxArg) {
		return 0, 0
	}
	na, fa := expSplit(hi, lo) // e^{z_j − z2}
	ef, ee := lr.f*fa, lr.n+na // e_j = ef·2^ee
	ej := math.Ldexp(ef, ee)
	if lr.gamma == 0 {
		return ef, ee
	}
	negD := -(hi + lo) - (lr.dHi + lr.dLo) // −(z_j − z_m) ≥ 0
	var pm float64
	var pe int
	var g float64
	if lr.tiny {
		pe, pm = expSplit(lr.gamma*lr.logR, 0)
		g = 1 + lr.gamma*(ej*negD)
	} else {
		rest := math.Ldexp(lr.f*(lr.bigR-math.Ldexp(fa, na)), lr.n) // r − e_j
		den := 1 + rest
		var ok bool
		if pm, pe, ok = powSplit(lr.r/den, lr.gamma); !ok {
			pe, pm = expSplit(lr.gamma*(lr.logR-math.Log1p(rest)), 0)
		}
		g = 1 + lr.gamma*(ej*((lr.l1pr+negD)/den))
	}
	return ef * pm / g, ee + pe
}

// logTerm returns log T_j of the logit zj ≠ z_m.
func (lr *logitRow) logTerm(zj float64) float64 {
	hi, lo := twoDiff(zj, lr.z2)
	d := hi + (lo + (lr.dHi + lr.dLo)) // z_j − z_m
	if math.IsInf(hi, -1) {
		return math.Inf(-1)
	}
	if lr.gamma == 0 {
		return d
	}
	ej := math.Exp(d)
	if lr.tiny {
		return d + lr.gamma*lr.logR - math.Log1p(lr.gamma*ej*(-d))
	}
	rest := lr.r - ej
	den := 1 + rest
	return d + lr.gamma*(lr.logR-math.Log1p(rest)) - math.Log1p(lr.gamma*ej*((lr.l1pr-d)/den))
}

// powSplit returns ρ^γ for 0 < ρ ≤ 1 and γ > 0 by math.Pow (binary
// powering for integer γ ≤ maxIntPow) and true where the result is normal;
// false where it may not be, and the caller forms e^{γ log ρ} split instead
// (with log ρ's error amplified by the exponent, as in Pow1m).
func powSplit(rho, gamma float64) (float64, int, bool) {
	if !(rho >= 0x1p-1021) {
		return 0, 0, false
	}
	if _, xe := math.Frexp(rho); float64(xe-1)*gamma <= -1000 {
		return 0, 0, false
	}
	if gamma == math.Trunc(gamma) && gamma <= maxIntPow {
		return powNat(rho, int(gamma)), 0, true
	}
	return math.Pow(rho, gamma), 0, true
}

// logitsAtInf is the +Inf case: uniform (∝ 1/α_i) on the +Inf logits.
func logitsAtInf(dst, z, alpha []float64, logOut bool) []float64 {
	for i, x := range z {
		dst[i] = 0
		if math.IsInf(x, 1) {
			dst[i] = 1
			if alpha != nil {
				dst[i] = 1 / alpha[i]
			}
		}
	}
	normalize(dst)
	if logOut {
		for i, x := range dst {
			dst[i] = math.Log(x)
		}
	}
	return dst
}

// logitsOneHot writes e_m (or its logarithm): every other logit is −Inf or
// so far below z_m that the difference overflows.
func logitsOneHot(dst []float64, m int, logOut bool) []float64 {
	off, on := 0.0, 1.0
	if logOut {
		off, on = math.Inf(-1), 0
	}
	for i := range dst {
		dst[i] = off
	}
	dst[m] = on
	return dst
}

// PsiLogitsRows writes PsiLogits of each row of the row-major matrix z
// (rows of k logits) into dst and returns dst, or PsiBalancedLogits with
// class weights alpha (of length k) if alpha is not nil: row by row, bit for
// bit, with the same special cases per row.
//
// PsiLogitsRows panics if k < 1, len(z) is not a multiple of k,
// len(dst) != len(z) or alpha is neither nil nor of length k. dst may
// alias z only if it is z itself.
func PsiLogitsRows(dst, z []float64, k int, alpha []float64, gamma float64) []float64 {
	checkLogitRows(dst, z, k, alpha)
	for lo := 0; lo < len(z); lo += k {
		psiLogits(dst[lo:lo+k:lo+k], z[lo:lo+k:lo+k], alpha, gamma, false, dst[lo:lo+k:lo+k])
	}
	return dst
}

// LogPsiLogitsRows is PsiLogitsRows for the logarithms (LogPsiLogits,
// LogPsiBalancedLogits), with one scratch row for the whole matrix.
func LogPsiLogitsRows(dst, z []float64, k int, alpha []float64, gamma float64) []float64 {
	checkLogitRows(dst, z, k, alpha)
	w := logScratch(k)
	for lo := 0; lo < len(z); lo += k {
		psiLogits(dst[lo:lo+k:lo+k], z[lo:lo+k:lo+k], alpha, gamma, true, w)
	}
	return dst
}

func checkLogitRows(dst, z []float64, k int, alpha []float64) {
	if k < 1 || len(z)%k != 0 || len(dst) != len(z) || alpha != nil && len(alpha) != k {
		panic("theory: logit rows shape mismatch")
	}
}
