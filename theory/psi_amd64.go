//go:build !purego && !amd64.v3

package theory

import "math"

// psiVecOK reports whether psiRowFast and Logs may use their assembly
// kernels (psi_amd64.s): the CPU has AVX2 (integer arithmetic and shuffles
// on 256-bit vectors) and FMA (for Log's r, which the scalar code forms
// with math.FMA), and the OS saves the 256-bit registers. Tests set it to
// false to compare with the scalar code.
//
// The build excludes the kernels with GOAMD64=v3, where the compiler fuses
// the scalar code's multiply–adds into FMAs itself and the two would differ
// in the last bit, and with the purego tag.
var psiVecOK = hasAVX2FMA()

// hasAVX2FMA reads the CPU's feature flags with CPUID, as
// golang.org/x/sys/cpu does (the package is standard library only, so it
// does not import it): FMA and AVX in CPUID leaf 1, the OS's saving of the
// XMM and YMM state in XCR0 (if it enabled XSAVE), AVX2 in leaf 7.
func hasAVX2FMA() bool {
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

// psiVecK holds the kernels' constants, each repeated in four lanes, in the
// order of the offsets defined in psi_amd64.s.
//
//lint:ignore U1000 read by psi_amd64.s
var psiVecK = [...][4]uint64{
	lanes(psiFastLo),
	lanes(psiFastSpan),
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
	lanes(0x7ff0000000000000 - psiFastLo), // bits of +Inf − bits of 2^−1022
}

func lanes(u uint64) [4]uint64 { return [4]uint64{u, u, u, u} }

func flanes(x float64) [4]uint64 { return lanes(math.Float64bits(x)) }

// psiRowAVX2 is documented in psi_amd64.s.
//
//go:noescape
func psiRowAVX2(out, row, lv *float64, k, pn int, gamma float64) (bad uint64)

// psiRowVec is psiRowFast on the vector unit, if the CPU allows (ok false:
// the caller runs the scalar code): out = Ψ^γ(row) for γ − 1 = pn, and lv
// = Log(row) if lv is not nil; refused reports that an entry of row is
// outside [2^−1022, 1) (or the sum of the h too small to invert), out then
// holding garbage. len(row) ≥ 1; out and lv (if not nil) have len(row)
// entries; out may be row only if the row is not refused.
func psiRowVec(out, row, lv []float64, pn int, gamma float64) (refused, ok bool) {
	if !psiVecOK {
		return false, false
	}
	k := len(row)
	_ = out[k-1]
	var plv *float64
	if lv != nil {
		_ = lv[k-1]
		plv = &lv[0]
	}
	return psiRowAVX2(&out[0], &row[0], plv, k, pn, gamma)>>63 != 0, true
}

// psiVec is psiRowVec for Psi, short enough to inline: it reports whether
// the vector kernel wrote Ψ^γ(v) into dst (false: the CPU lacks it, or it
// refused v). len(v) ≥ 1 and dst does not alias v.
func psiVec(dst, v []float64, pn int, gamma float64) bool {
	return psiVecOK && psiRowAVX2(&dst[0], &v[0], nil, len(v), pn, gamma)>>63 == 0
}

// logsAVX2 is documented in psi_amd64.s.
//
//go:noescape
func logsAVX2(dst, x *float64, n int) (done int)

// logsVec sets dst[j] = Log(x[j]) on the vector unit, if the CPU allows,
// for the longest prefix of x whose length is a multiple of 4, and returns
// that length; a block of four with an entry outside Log's main path (not
// a positive normal number) goes through logSlice. len(dst) = len(x); dst
// may alias x.
func logsVec(dst, x []float64) (done int) {
	n := len(x) &^ 3
	if !psiVecOK || n == 0 {
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
