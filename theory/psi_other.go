//go:build !amd64 || purego || amd64.v3

package theory

// psiVecOK is false: psiRowFast has no assembly kernels on this platform
// (see psi_amd64.go).
var psiVecOK = false

// psiRowVec reports that the caller must run the scalar code.
func psiRowVec(out, row, lv []float64, pn int, gamma float64) (refused, ok bool) {
	return false, false
}

// psiVec reports that the vector kernel did nothing.
func psiVec(dst, v []float64, pn int, gamma float64) bool { return false }

// logsVec leaves all of x to the caller.
func logsVec(dst, x []float64) (done int) { return 0 }
