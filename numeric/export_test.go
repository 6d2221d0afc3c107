package numeric

// Exposes to the black-box tests (package numeric_test) the portable twin
// of the exact minimizer and its bit-for-bit vector path, as Go's math
// package exposes its portable functions beside the assembly ones, and the
// tests' one normalization helper.

// ExactPortable is Exact with the portable loops alone (exact_kernels.go),
// the code every platform without the vector kernels runs.
func ExactPortable(eta []float64, gamma float64) (Result, error) {
	s := ExactSolver{FinalResidual: true}
	return s.minimize(make([]float64, len(eta)), eta, gamma, portableKernels)
}

// ExactVecBitForBit is Exact with the vector kernels whose results equal
// the portable loops' bit for bit (all but the main pass's), where the
// CPU has them; otherwise ExactPortable.
func ExactVecBitForBit(eta []float64, gamma float64) (Result, error) {
	if !exactVecOK {
		return ExactPortable(eta, gamma)
	}
	s := ExactSolver{FinalResidual: true}
	return s.minimize(make([]float64, len(eta)), eta, gamma, vecExactKernels)
}

// Normalize is the tests' normalization of a random vector (normalize).
func Normalize(v []float64) []float64 { return normalize(v) }
