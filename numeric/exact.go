package numeric

// The exact minimizer: what it computes, its special cases and its
// accuracy (ExactSolver, Exact, Minimize). The iteration is in
// exact_solve.go, its portable kernels in exact_kernels.go, their vector
// twins in exact_amd64.s (declared in exact_amd64.go, absent elsewhere:
// exact_other.go).

import (
	"github.com/focaltk/focal/theory"
)

// ExactSolver computes the focal risk minimizer q^{γ,*}(η) = (Ψ^γ)^{−1}(η)
// from the KKT conditions of min_q W(q; η) on the simplex (design.md):
// q_i = 0 where η_i = 0 and, on the support, η_i/h^γ(q_i) is the same for
// every i. It is the fast minimizer (O(K) work per iteration, 2–3
// iterations typically); Direct is the independent one, which minimizes W
// itself. Its zero value is ready to use and it reuses its scratch space
// across calls (it is not safe for concurrent use: use one per goroutine).
//
// Special cases are:
//
//	Minimize(η, γ) = *InputError if ValidateEta(η, γ) fails (γ < 0, NaN or
//	        ±Inf; K < 2; an η_i NaN, ±Inf, < 0 or > 1; |Σ η_i − 1| > SumTol)
//	Minimize(η, 0) = η                       (cross-entropy is strictly proper)
//	Minimize(e_y, γ) = e_y                   (one positive entry: a vertex)
//	Minimize(η, γ) = η if η is uniform on its support  (S^K, Prop 6)
//
// each with Iterations = 0, Residual = 0. Otherwise q_i = 0 exactly where
// η_i = 0, and equal η_i give exactly equal q_i (they follow identical
// arithmetic).
//
// Accuracy: with a = max_i γ·|log(1−q_i)|, every entry q_i ≥ 1e-300 has a
// relative error below 1e-14 (about 45 ulps) where a ≤ 10, and below 16·a
// ulps beyond (checked against package hiprec; the worst errors measured
// are in docs/numerics.md). Result.Residual is the KKT residual
// max(max_i |ρ_i|, |Σ q_i − 1|), ρ_i = log η_i + s − log h^γ(q_i) for the
// solver's shift s, over the entries that are normal float64 numbers: at
// the returned Q with FinalResidual (and from Exact), otherwise at the
// iterate before the last Newton step (a figure one step old, which
// Newton's quadratic convergence makes larger than Q's). Status is Converged on every input the tests cover
// (including subnormal entries next to a top entry within 2^−53 of 1, for
// γ up to 1000).
type ExactSolver struct {
	// MaxIter bounds the Newton iterations; 0 means defaultExactMaxIter.
	MaxIter int
	// FinalResidual asks for Result.Residual at the returned Q, which
	// takes one more look at every entry; a caller that never reads
	// Residual (the search) leaves it off.
	FinalResidual bool

	buf []float64
	// The vector kernels' lanes, kept with the solver rather than in
	// Minimize's frame, which would clear their 1.2 KB on every call.
	lanes exactLanes
	steps exactStepLanes
}

// Exact returns the focal risk minimizer q^{γ,*}(η), as
// ExactSolver.Minimize does with FinalResidual, in a new slice.
func Exact(eta []float64, gamma float64) (Result, error) {
	s := ExactSolver{FinalResidual: true}
	return s.Minimize(make([]float64, len(eta)), eta, gamma)
}

// Minimize writes q^{γ,*}(η) into dst and returns a Result whose Q is dst
// (see ExactSolver for its special cases and accuracy). It panics if
// len(dst) != len(eta).
func (sv *ExactSolver) Minimize(dst, eta []float64, gamma float64) (Result, error) {
	kern := portableKernels
	if exactVecOK {
		kern = vecKernels
	}
	return sv.minimize(dst, eta, gamma, kern)
}

// minimize is Minimize with the kernels chosen by the caller (the tests
// compare the paths).
func (sv *ExactSolver) minimize(dst, eta []float64, gamma float64, kern exactKernels) (Result, error) {
	if len(dst) != len(eta) {
		panic("numeric: length mismatch")
	}
	if err := ValidateEta(eta, gamma); err != nil {
		return Result{}, err
	}
	m := theory.Argmax(eta)
	nmax, npos := 0, 0
	for _, e := range eta {
		if e == eta[m] {
			nmax++
		}
		if e > 0 {
			npos++
		}
	}
	switch {
	case gamma == 0, npos == 1, nmax == npos:
		copy(dst, eta)
		return Result{Q: dst, Risk: theory.Risk(dst, eta, gamma)}, nil
	}
	return sv.solve(dst, eta, gamma, m, nmax == 1, npos, kern), nil
}
