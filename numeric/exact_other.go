//go:build !amd64 || purego || amd64.v3

package numeric

// exactVecOK is false: Minimize has no vector kernels on this platform
// (see exact_amd64.go), and the compiler drops the calls to them.
const exactVecOK = false

// exactTVec leaves all the entries to the caller.
func exactTVec(a *exactLanes, rho, eta, q, x []float64, lo, hi, pn int) int { return 0 }

// exactMainVec leaves all the entries to the caller.
func exactMainVec(a *exactLanes, eta, q, x, rho, d, a2 []float64, lo, hi int, corr bool) int {
	return 0
}

// exactStepVec leaves all the entries to the caller.
func exactStepVec(a *exactStepLanes, eta, q, x, rho, d, a2 []float64, lo, hi int) int { return 0 }
