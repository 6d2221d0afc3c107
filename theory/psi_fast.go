package theory

import "math"

// The fast path of Psi and PsiRows: integer γ in [1, 1+maxIntPow] and rows
// whose entries are all in [2^−1022, 1), the common case.
//
// It computes what psiDirect and scaleBy compute, bit for bit (the same
// logarithms, products, quotients and sum; TestPsiFastMatchesGeneral), but
// with fewer instructions. On amd64 CPUs with AVX2 and FMA the whole row
// goes through psiRowAVX2 (psi_amd64.s), four entries at a time: Log's
// body on four lanes (the table entries loaded and transposed rather than
// gathered), h, the four-lane sum (sum4, the order psiDirect adds in too),
// and the scaling, in one call. Elsewhere psiRowScalar runs the passes in
// one function that calls nothing on its hot path (a call in a loop makes
// the compiler spill and reload registers in every iteration); the
// logarithms go into dst itself rather than a buffer that would have to be
// zeroed, and are Log's body without its special cases. Both fold the range
// check of every entry into the logarithm pass (a row with an entry outside
// [2^−1022, 1) goes to psiRowSlow, the general code), and both sum with a
// branch-free TwoSum.

// psiFastLo and psiFastSpan define the entries of the fast path: x is fast
// iff bits(x) − psiFastLo < psiFastSpan (unsigned), that is x in
// [2^−1022, 1): normal, so that Log needs none of its special cases, and
// below 1, so that h^γ(x) is finite and the row no special case of Psi.
const (
	psiFastLo   = 0x0010000000000000             // bits of 2^−1022
	psiFastSpan = 0x3ff0000000000000 - psiFastLo // bits of 1, minus psiFastLo
)

// psiInPlaceMaxK is the longest row that the scalar fast path transforms
// in place (dst the same slice as v): it then needs a buffer on the stack
// for the logarithms. Longer rows in place take psiRowSlow, unless the
// vector kernel, which needs none, does them.
const psiInPlaceMaxK = 32

// psiRowsDirect writes Ψ^γ of each row (k ≥ 1 entries) of v into dst for
// 0 < γ ≤ psiDirectMaxGamma: psiRowSlow row by row, which psiRowFast
// replaces, with the same bits, where it can. dst may alias v only if it
// is v itself.
func psiRowsDirect(dst, v []float64, k int, gamma float64) {
	if len(v) == 0 {
		return
	}
	n, fast := psiFastGamma(gamma)
	switch {
	case !fast:
		for lo := 0; lo+k <= len(v); lo += k {
			psiRowSlow(dst[lo:lo+k:lo+k], v[lo:lo+k:lo+k], gamma)
		}
	case &dst[0] != &v[0]:
		// The vector kernel where the CPU has it (psiVec, inlined), else
		// psiRowFast, with out holding the logarithms until it receives h.
		for lo := 0; lo+k <= len(v); lo += k {
			out, row := dst[lo:lo+k:lo+k], v[lo:lo+k:lo+k]
			if psiVec(out, row, n, gamma) || !psiVecOK && psiRowFast(out, row, out, n, gamma) {
				continue
			}
			psiRowSlow(out, row, gamma)
		}
	case k <= psiInPlaceMaxK || psiVecOK:
		// The scalar code needs a buffer for the logarithms, on the stack;
		// the vector code none.
		var lv [psiInPlaceMaxK]float64
		for lo := 0; lo+k <= len(v); lo += k {
			row := v[lo : lo+k : lo+k]
			if !psiRowFast(row, row, lv[:min(k, psiInPlaceMaxK)], n, gamma) {
				psiRowSlow(row, row, gamma)
			}
		}
	default:
		for lo := 0; lo+k <= len(v); lo += k {
			psiRowSlow(dst[lo:lo+k:lo+k], v[lo:lo+k:lo+k], gamma)
		}
	}
}

// psiFastGamma returns n = γ − 1 and true if it is an integer in [0,
// maxIntPow], the γ of the fast path.
func psiFastGamma(gamma float64) (n int, ok bool) {
	p := gamma - 1
	if !(p >= 0 && p <= maxIntPow) {
		return 0, false
	}
	n = int(p)
	return n, float64(n) == p
}

// psiRowFast writes Ψ^γ(row) into out, for integer γ−1 = n in
// [0, maxIntPow], if every entry of row is in [2^−1022, 1), and reports
// whether they all are; if not, out holds garbage (and psiRowSlow must
// redo the row). On amd64 with AVX2 and FMA it runs in psiRowVec, four
// entries at a time and bit for bit the same; otherwise lv is scratch for
// the logarithms, len(row) entries (out itself if out does not alias row;
// if lv is shorter, psiRowFast reports false).
func psiRowFast(out, row, lv []float64, n int, gamma float64) bool {
	out = out[:len(row)]
	if psiVecOK && &out[0] == &row[0] && !psiFastRow(row) {
		return false // psiRowVec would overwrite the row before refusing it
	}
	if refused, ok := psiRowVec(out, row, nil, n, gamma); ok {
		return !refused
	}
	var acc sum4
	if !psiRowScalar(out, row, lv, n, gamma, &acc) {
		return false
	}
	// Pass 3: scaleBy. Every h is finite and about 2^−1022 or more, so the
	// sum is normal and its reciprocal finite; were it not, scaleBy would
	// divide instead, and psiRowSlow does that.
	inv := 1 / acc.total()
	if !(inv <= math.MaxFloat64) {
		return false
	}
	for j := range out {
		out[j] *= inv
	}
	return true
}

// psiFastRow reports whether every entry of row is in [2^−1022, 1).
func psiFastRow(row []float64) bool {
	var bad uint64
	for _, x := range row {
		u := math.Float64bits(x) - psiFastLo
		bad |= u | (psiFastSpan - 1 - u)
	}
	return bad>>63 == 0
}

// psiRowScalar is psiRowFast's first two passes without the vector unit.
func psiRowScalar(out, row, lv []float64, n int, gamma float64, acc *sum4) bool {
	if len(lv) < len(row) {
		return false
	}
	lv = lv[:len(row)]
	// Pass 1: lv = Log(row) (Log's body for normal x, which cannot differ
	// from logSlice's), and the range check of every entry: bad has its
	// top bit set iff some bits(x) − psiFastLo ≥ psiFastSpan.
	var bad uint64
	for j, x := range row {
		ix := math.Float64bits(x)
		u := ix - psiFastLo
		bad |= u | (psiFastSpan - 1 - u)
		tmp := ix - logOff
		i := (tmp >> (52 - logTableBits)) % logN
		k := float64(int64(tmp) >> 52)
		z := math.Float64frombits(ix - tmp&(0xfff<<52))
		e := &logTab[i]
		r := math.FMA(z, e.invc, -1)
		w := k*psiC.ln2Hi + e.logcHi
		hi := w + r
		lo := (w - hi) + r + (k*psiC.ln2Lo + e.logcLo)
		r2 := r * r
		q := r2 * ((psiC.c2 + r*psiC.c3) + r2*(psiC.c4+r*psiC.c5) + r2*r2*(psiC.c6+r*psiC.c7))
		lv[j] = hi + (lo + q)
	}
	if bad>>63 != 0 {
		return false
	}
	// Pass 2: h = x / ((1−x)^{γ−1}·((1−x) − γ x log x)) as psiDirect forms
	// it, and their four-lane compensated sum, as psiDirect adds them.
	for j, x := range row {
		w := 1 - x
		pw := w
		if n != 1 {
			pw = powNat(w, n)
		}
		h := x / (pw * (w - gamma*x*lv[j]))
		out[j] = h
		acc.add(j, h)
	}
	return true
}

// psiC holds Log's constants as variables: the compiler folds a load of a
// variable into the arithmetic that uses it, but loads each constant into
// a register first (one instruction more).
var psiC = struct{ ln2Hi, ln2Lo, c2, c3, c4, c5, c6, c7 float64 }{
	logLn2Hi, logLn2Lo, logC2, logC3, logC4, logC5, logC6, logC7,
}

// powNat returns w^n for n ≥ 0 by binary powering; short enough to inline
// (powInt uses it too).
func powNat(w float64, n int) float64 {
	r := 1.0
	for n > 0 {
		if n&1 == 1 {
			r *= w
		}
		w *= w
		n >>= 1
	}
	return r
}

// psiRowSlow is Psi for one row with 0 < γ ≤ psiDirectMaxGamma, the general
// code: the special cases, then psiDirect and scaleBy.
func psiRowSlow(out, row []float64, gamma float64) {
	ones := 0
	for _, x := range row {
		if !validProb(x) {
			fillNaN(out)
			return
		}
		if x == 1 {
			ones++
		}
	}
	if ones > 0 {
		shareOnes(out, row, ones)
		return
	}
	scaleBy(out, psiDirect(out, row, gamma))
}

// shareOnes writes Ψ^γ(v) for γ > 0 and a v with ones > 0 entries equal to
// 1 (and so the others 0): 1/ones at each of those, 0 elsewhere.
func shareOnes(dst, v []float64, ones int) []float64 {
	w := 1 / float64(ones)
	for i, x := range v {
		if x == 1 {
			dst[i] = w
		} else {
			dst[i] = 0
		}
	}
	return dst
}
