package theory

import "math"

// The kernel of Psi and PsiRows, portable Go: γ in (0, psiDirectMaxGamma]
// and rows whose entries are all in [2^−1022, 1), the common case. For
// integer γ in [1, 1+maxIntPow] the power (1−x)^{γ−1} is formed by binary
// powering, at every other γ by pow1mExp, as hTerms forms it.
//
// It computes what hTerms and scaleBy compute, bit for bit (the same
// logarithms, products, quotients and sum), with fewer instructions: three
// passes over the row in one function that calls nothing on its hot path (a
// call in a loop makes the compiler spill and reload registers in every
// iteration). The first takes the logarithms and folds in the range check
// of every entry, the second forms h and its four-lane compensated sum
// (sum4) with a branch-free TwoSum, the third scales. archPsiKernel
// (psi_amd64.s) is its twin on the vector unit, four entries at a time.

// psiKernelLo and psiKernelSpan define the kernels' domain: x is in it iff
// bits(x) − psiKernelLo < psiKernelSpan (unsigned), that is x in
// [2^−1022, 1): normal, so that Log needs none of its special cases, and
// below 1, so that h^γ(x) is finite and the row no special case of Psi.
const (
	psiKernelLo   = 0x0010000000000000               // bits of 2^−1022
	psiKernelSpan = 0x3ff0000000000000 - psiKernelLo // bits of 1, minus psiKernelLo
)

// psiKernelGamma reports whether the kernels serve γ, that is 0 < γ ≤
// psiDirectMaxGamma, and returns n = γ − 1 if that is an integer in [0,
// maxIntPow] (the power by binary powering), n = psiExpPow otherwise (the
// power by pow1mExp).
func psiKernelGamma(gamma float64) (n int, ok bool) {
	if !(gamma > 0 && gamma <= psiDirectMaxGamma) {
		return 0, false
	}
	p := gamma - 1
	if n = int(p); p >= 0 && p <= maxIntPow && float64(n) == p {
		return n, true
	}
	return psiExpPow, true
}

// psiExpPow is the n of psiKernelGamma that selects pow1mExp.
const psiExpPow = -1

// psiKernelDomain reports whether every entry of row is in [2^−1022, 1).
func psiKernelDomain(row []float64) bool {
	var bad uint64
	for _, x := range row {
		u := math.Float64bits(x) - psiKernelLo
		bad |= u | (psiKernelSpan - 1 - u)
	}
	return bad>>63 == 0
}

// psiKernel writes Ψ^γ(row) into out for γ − 1 = n in [0, maxIntPow], or
// any γ in (0, psiDirectMaxGamma] with n = psiExpPow, if every entry of
// row is in [2^−1022, 1), and reports whether they all are;
// if not, out holds garbage and lv the logarithms of a prefix, but row is
// untouched unless out aliases it. lv receives Log(row) (len(row) entries;
// it may be out itself when out does not alias row).
func psiKernel(out, row, lv []float64, n int, gamma float64) bool {
	out, lv = out[:len(row)], lv[:len(row)]
	// Pass 1: lv = Log(row), and the range check of every entry: bad has
	// its top bit set iff some bits(x) − psiKernelLo ≥ psiKernelSpan.
	//
	// The body is Log's for normal x, copied (as logSlice's is) because Log
	// is too big to inline and a call per entry would cost the loop its
	// registers; it reads Log's constants from psiLogK, which the compiler
	// folds into the arithmetic. Calling logSlice after a range-check pass
	// of its own instead made this kernel about 12 % slower (Psi at γ = 2,
	// K = 10 and 1000, -tags purego). TestPsiKernelLogIsLog checks the copy
	// against Log bit for bit over the whole domain.
	var bad uint64
	for j, x := range row {
		ix := math.Float64bits(x)
		u := ix - psiKernelLo
		bad |= u | (psiKernelSpan - 1 - u)
		tmp := ix - logOff
		i := (tmp >> (52 - logTableBits)) % logN
		k := float64(int64(tmp) >> 52)
		z := math.Float64frombits(ix - tmp&(0xfff<<52))
		e := &logTab[i]
		r := math.FMA(z, e.invc, -1)
		w := k*psiLogK.ln2Hi + e.logcHi
		hi := w + r
		lo := (w - hi) + r + (k*psiLogK.ln2Lo + e.logcLo)
		r2 := r * r
		q := r2 * ((psiLogK.c2 + r*psiLogK.c3) + r2*(psiLogK.c4+r*psiLogK.c5) + r2*r2*(psiLogK.c6+r*psiLogK.c7))
		lv[j] = hi + (lo + q)
	}
	if bad>>63 != 0 {
		return false
	}
	// Pass 2: h = x / ((1−x)^{γ−1}·((1−x) − γ x log x)) as hTerms forms
	// it, and their four-lane compensated sum, as hTerms adds them.
	var acc sum4
	if n == psiExpPow {
		p := gamma - 1
		for j, x := range row {
			w := 1 - x
			h := x / (pow1mExp(x, p) * (w - gamma*x*lv[j]))
			out[j] = h
			acc.add(j, h)
		}
	} else {
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
	}
	// Pass 3: scaleBy. Every h is finite and about 2^−1022 or more, so the
	// sum is normal and its reciprocal finite; were it not, scaleBy would
	// divide instead, which the general code does.
	inv := 1 / acc.total()
	if !(inv <= math.MaxFloat64) {
		return false
	}
	for j := range out {
		out[j] *= inv
	}
	return true
}

// psiLogK holds Log's constants as variables for psiKernel: the compiler
// folds a load of a variable into the arithmetic that uses it, but loads
// each constant into a register first (one instruction more).
var psiLogK = struct{ ln2Hi, ln2Lo, c2, c3, c4, c5, c6, c7 float64 }{
	logLn2Hi, logLn2Lo, logC2, logC3, logC4, logC5, logC6, logC7,
}
