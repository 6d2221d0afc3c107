//go:build !purego && !amd64.v3

package numeric

import "golang.org/x/sys/cpu"

// exactVecOK reports whether Minimize may use its vector kernels
// (exact_amd64.s, AVX instructions on four float64 lanes). They give the
// portable loops' per-entry results bit for bit (the same operations in the
// same order); only the sums of the main pass are added in another order.
// The build excludes them with GOAMD64=v3, where the compiler fuses the
// portable code's multiply–adds, and with the purego tag (exact_other.go).
// It is set once from the CPU; the tests choose the kernels of a solve
// (exactKernels) rather than assigning it.
var exactVecOK = cpu.X86.HasAVX

// exactTAVX and exactMainAVX are documented in exact_amd64.s.
//
//go:noescape
func exactTAVX(a *exactLanes, rho, eta, q, x *float64, n, pn int)

//go:noescape
func exactMainAVX(a *exactLanes, eta, q, x, rho, d, a2 *float64, n, corr int)

//go:noescape
func exactStepAVX(a *exactStepLanes, eta, q, x, rho, d, a2 *float64, n int) (done int)

// exactTVec forms Minimize's products t_i for i in [lo, lo+n), n the
// largest multiple of 4 up to hi − lo, for an integer power pn in 0..3,
// and returns n (0: the caller does them all). The caller checks
// exactVecOK.
func exactTVec(a *exactLanes, rho, eta, q, x []float64, lo, hi, pn int) int {
	n := (hi - lo) &^ 3
	if n <= 0 {
		return 0
	}
	_, _, _, _ = rho[lo+n-1], eta[lo+n-1], q[lo+n-1], x[lo+n-1]
	exactTAVX(a, &rho[lo], &eta[lo], &q[lo], &x[lo], n, pn)
	return n
}

// exactMainVec runs Minimize's main pass for i in [lo, lo+n), n as in
// exactTVec, adding into a's accumulators, and returns n.
func exactMainVec(a *exactLanes, eta, q, x, rho, d, a2 []float64, lo, hi int, corr bool) int {
	n := (hi - lo) &^ 3
	if n <= 0 {
		return 0
	}
	_, _, _, _, _, _ = eta[lo+n-1], q[lo+n-1], x[lo+n-1], rho[lo+n-1], d[lo+n-1], a2[lo+n-1]
	c := 0
	if corr {
		c = 1
	}
	exactMainAVX(a, &eta[lo], &q[lo], &x[lo], &rho[lo], &d[lo], &a2[lo], n, c)
	return n
}

// exactStepVec takes Minimize's step for i from lo, four entries at a time
// up to the last multiple of 4 below hi, while every entry of a block
// takes the scalar loop's fast path, and returns how many it did (the
// caller does the next block, or the rest of the range, itself).
func exactStepVec(a *exactStepLanes, eta, q, x, rho, d, a2 []float64, lo, hi int) int {
	n := (hi - lo) &^ 3
	if n <= 0 {
		return 0
	}
	_, _, _, _, _, _ = eta[lo+n-1], q[lo+n-1], x[lo+n-1], rho[lo+n-1], d[lo+n-1], a2[lo+n-1]
	return exactStepAVX(a, &eta[lo], &q[lo], &x[lo], &rho[lo], &d[lo], &a2[lo], n)
}
