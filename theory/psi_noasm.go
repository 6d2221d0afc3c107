//go:build !amd64 || purego || amd64.v3

package theory

// haveArchKernels is false: this build has no assembly kernels (see
// psi_amd64.go), so Psi, PsiRows and Logs run the portable code.
const haveArchKernels = false

func archPsiKernel(out, row, lv []float64, pn int, gamma float64) bool {
	panic("theory: archPsiKernel without haveArchKernels")
}

func archPsiRowsExp(dst, v []float64, k int, gamma float64) int {
	panic("theory: archPsiRowsExp without haveArchKernels")
}

func archLogs(dst, x []float64) (done int) {
	panic("theory: archLogs without haveArchKernels")
}
