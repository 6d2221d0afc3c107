package theory

// Exposed to the black-box tests (package theory_test), as package math's
// export_test.go exposes its portable twins: the tests run the portable code
// and the assembly side by side on the same inputs and compare bits, rather
// than switching the assembly off.

// HaveArchKernels reports whether this build and CPU run the assembly
// kernels (psi_amd64.s).
var HaveArchKernels = haveArchKernels

// PsiGeneral is Psi without its kernels: the special cases, then h formed
// directly or scaled.
var PsiGeneral = psiGeneral

// PsiKernelGamma reports whether the kernels serve γ.
func PsiKernelGamma(gamma float64) bool {
	_, ok := psiKernelGamma(gamma)
	return ok
}

// PsiKernel runs the portable kernel: out = Ψ^γ(row) and lv = Log(row), or
// false if it refuses the row. γ must be one PsiKernelGamma accepts.
func PsiKernel(out, row, lv []float64, gamma float64) bool {
	n, ok := psiKernelGamma(gamma)
	if !ok {
		panic("PsiKernel: γ outside the kernels' range")
	}
	return psiKernel(out, row, lv, n, gamma)
}

// ArchPsiKernel runs the assembly kernel, the same contract as PsiKernel
// (lv may be nil); only if HaveArchKernels, and out must not alias row.
func ArchPsiKernel(out, row, lv []float64, gamma float64) bool {
	n, ok := psiKernelGamma(gamma)
	if !ok {
		panic("ArchPsiKernel: γ outside the kernels' range")
	}
	return archPsiKernel(out, row, lv, n, gamma)
}

// LogSlice is the portable Logs (Log's body in a loop).
var LogSlice = logSlice

// ArchLogs runs the assembly Logs on the longest prefix of x whose length is
// a multiple of 4 and returns that length; only if HaveArchKernels.
var ArchLogs = archLogs
