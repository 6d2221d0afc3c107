// Package proptest holds the property tests of the toolkit: go test
// ./proptest runs one gopter property per claim of the verify registry (on
// the float64 production kernels), properties of the kernels themselves
// (monotonicity of h, the exact minimizer against the direct one and
// against W itself, Ψ against the exact minimizer, ties and zeros), and
// example tests of the edge regimes. The case generators live in the
// package gen (shared with the search).
//
// Environment:
//
//	FOCAL_SEED   gopter seed (int64; default defaultSeed, so CI is reproducible)
//	FOCAL_CASES  minimum number of decided cases per property (default 1000)
//
// A failing property prints the command that reruns it, for instance
//
//	FOCAL_SEED=1 FOCAL_CASES=1000 go test ./proptest -run 'TestClaims/thm11-recovery'
package proptest
