//go:build !purego && !amd64.v3

package theory

import "math"

// haveArchKernels reports whether the assembly kernels of psi_amd64.s
// (archPsiKernel, archLogs) can run: the CPU has AVX2 (integer arithmetic
// and shuffles on 256-bit vectors) and FMA (for Log's r, which the portable
// code forms with math.FMA), and the OS saves the 256-bit registers. It is
// set once, from CPUID, and never changed; the tests run the portable code
// by calling it (export_test.go), not by switching this off.
//
// The build leaves the kernels out with GOAMD64=v3, where the compiler
// fuses the portable code's multiply–adds into FMAs itself and the two would
// differ in the last bit, and with the purego tag (psi_noasm.go).
var haveArchKernels = cpuHasAVX2FMA()

// cpuHasAVX2FMA reads the CPU's feature flags with CPUID, as
// golang.org/x/sys/cpu does (the package is standard library only, so it
// does not import it): FMA and AVX in CPUID leaf 1, the OS's saving of the
// XMM and YMM state in XCR0 (if it enabled XSAVE), AVX2 in leaf 7.
func cpuHasAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const osxsave, avx, fma = 1 << 27, 1 << 28, 1 << 12
	if ecx1&osxsave == 0 || ecx1&avx == 0 || ecx1&fma == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}

// cpuid and xgetbv run the instructions of those names (psi_amd64.s).
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// avx2K holds the kernels' constants, each repeated in four lanes, in the
// order of the offsets defined in psi_amd64.s.
//
//lint:ignore U1000 read by psi_amd64.s
var avx2K = [...][4]uint64{
	lanes(psiKernelLo),
	lanes(psiKernelSpan),
	lanes(logOff),
	lanes(logN - 1),
	lanes(0xfff << 52),
	lanes(1 << 63),
	lanes(0x4338000000000000), // bits of 1.5·2^52
	lanes(0x4338000000000800), // bits of 1.5·2^52 + 2048
	flanes(-1),
	flanes(logLn2Hi),
	flanes(logLn2Lo),
	flanes(logC2),
	flanes(logC3),
	flanes(logC4),
	flanes(logC5),
	flanes(logC6),
	flanes(logC7),
	flanes(1),
	lanes(math.MaxUint64),
	flanes(0.5),
	{math.MaxUint64, 0, 0, 0}, // the tail masks: 1, 2 and 3 lanes
	{math.MaxUint64, math.MaxUint64, 0, 0},
	{math.MaxUint64, math.MaxUint64, math.MaxUint64, 0},
	lanes(0x7ff0000000000000 - psiKernelLo), // bits of +Inf − bits of 2^−1022
	flanes(expInvLn2),
	flanes(expLn2),
	flanes(expLn2Lo),
	flanes(expC2),
	flanes(expC3),
	flanes(expC4),
	flanes(expC5),
	flanes(expC6),
	flanes(expC7),
	flanes(expC8),
	flanes(expC9),
	flanes(expC10),
	flanes(expC11),
	flanes(expC12),
	flanes(expC13),
}

func lanes(u uint64) [4]uint64 { return [4]uint64{u, u, u, u} }

func flanes(x float64) [4]uint64 { return lanes(math.Float64bits(x)) }

// psiRowAVX2 is documented in psi_amd64.s.
//
//go:noescape
func psiRowAVX2(out, row, lv *float64, k, pn int, gamma float64) (bad uint64)

// psiRowExpAVX2 is documented in psi_amd64.s.
//
//go:noescape
func psiRowExpAVX2(out, row, lv *float64, k int, gamma float64) (bad uint64)

// psiRowsExpAVX2 is documented in psi_amd64.s.
//
//go:noescape
func psiRowsExpAVX2(out, src *float64, k, rows, per int, gamma float64) (done int)

// psiRowsChunk is the number of entries psiRowsExpAVX2 takes in one chunk
// of rows (its frame holds their x and h, XBUF and HBUF in psi_amd64.s).
const psiRowsChunk = 64

// archPsiRowsExp sets dst row r = Ψ^γ(v row r) for the rows of k entries
// of v, with psiKernel's operations for n = psiExpPow (bit for bit), up to
// the first row it refuses (an entry outside [2^−1022, 1), or the sum of
// the h too small to invert), and returns the number of rows done before
// it. A refused row, and the rows after it, are as they were (dst may be
// v); dst and v have the same length, a multiple of k. Only if
// haveArchKernels and 1 ≤ k ≤ psiRowsMaxK.
func archPsiRowsExp(dst, v []float64, k int, gamma float64) int {
	if len(v) == 0 {
		return 0
	}
	_ = dst[len(v)-1]
	return psiRowsExpAVX2(&dst[0], &v[0], k, len(v)/k, psiRowsChunk/k, gamma)
}

// archPsiKernel is psiKernel on the vector unit, bit for bit: out = Ψ^γ(row)
// for γ − 1 = pn (pn = psiExpPow: any γ of the direct path), and lv =
// Log(row) if lv is not nil (for the tests). It
// reports false if an entry of row is outside [2^−1022, 1) (or the sum of
// the h too small to invert), out then holding garbage: it writes out
// before it has seen the whole row, so out may be row only if the row is
// known to be in the domain. Only if haveArchKernels; len(row) ≥ 1, and out
// and lv (if not nil) have len(row) entries.
func archPsiKernel(out, row, lv []float64, pn int, gamma float64) bool {
	var plv *float64
	if lv != nil {
		_ = lv[len(row)-1]
		plv = &lv[0]
	}
	_ = out[len(row)-1]
	if pn == psiExpPow {
		return psiRowExpAVX2(&out[0], &row[0], plv, len(row), gamma)>>63 == 0
	}
	return psiRowAVX2(&out[0], &row[0], plv, len(row), pn, gamma)>>63 == 0
}

// logsAVX2 is documented in psi_amd64.s.
//
//go:noescape
func logsAVX2(dst, x *float64, n int) (done int)

// archLogs sets dst[j] = Log(x[j]) on the vector unit for the longest
// prefix of x whose length is a multiple of 4, and returns that length; a
// block of four with an entry outside Log's main path (not a positive
// normal number) goes through logSlice. Only if haveArchKernels;
// len(dst) = len(x); dst may alias x.
func archLogs(dst, x []float64) (done int) {
	n := len(x) &^ 3
	if n == 0 {
		return 0
	}
	_ = dst[n-1]
	for j := 0; j < n; j += 4 {
		j += logsAVX2(&dst[j], &x[j], n-j)
		if j < n {
			logSlice(dst[j:j+4], x[j:j+4])
		}
	}
	return n
}
