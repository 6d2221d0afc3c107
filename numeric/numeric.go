// Package numeric minimizes the pointwise focal risk W(q; η) of Eq. 7 over
// the probability simplex, with two independent methods:
//
//   - Exact: solves the KKT conditions η_i / h^γ(q_i) = const (design.md)
//     by a safeguarded Newton iteration, O(K) work per iteration, to a
//     relative error below 1e-14 where γ·|log(1−q_i)| ≤ 10 (ExactSolver
//     states the contract beyond). It is q^{γ,*} = (Ψ^γ)^{−1}(η).
//   - Direct: minimizes W itself with gonum/optimize on an unconstrained
//     (softmax) parametrization of the simplex, never calling h, φ or Ψ. It
//     is the independent "argmin" against which Thm 11 is checked.
//
// Both validate their input (ValidateEta) and return a Result whose Status
// says whether they converged; non-convergence is data, not a panic. The
// package also holds the batch kernels over N×K matrices of rows (batch.go:
// Ψ^γ, its α-balanced and sigmoid variants, softmax) and the validation of
// such rows (rows.go); reading and writing them from files is package
// matio's.
package numeric

import (
	"fmt"
	"math"
)

// SumTol is the tolerance on |Σ η_i − 1| accepted by ValidateEta: 1e-9 is
// far above the rounding of a sum of K ≤ 10^7 float64 values (≤ K·2^−53 ≈
// 1e-9 at K = 10^7 only in the worst case, √K·2^−53 typically) and far below
// any meaningful probability mass.
const SumTol = 1e-9

// Status says how a minimizer stopped.
type Status int

const (
	// Converged: the stopping rule of the method was met.
	Converged Status = iota
	// IterationLimit: the iteration budget ran out first; X is the best
	// iterate and Residual says how far it is from optimal.
	IterationLimit
	// Failed: the method broke down (a non-finite value); X is the best
	// iterate found.
	Failed
)

func (s Status) String() string {
	switch s {
	case Converged:
		return "converged"
	case IterationLimit:
		return "iteration limit"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is what a minimizer returns.
type Result struct {
	// Q is the minimizer found, a probability vector of the length of η.
	Q []float64
	// Risk is W(Q; η), as theory.Risk computes it (Exact evaluates it
	// with its own log Q_i, within a few ulps of theory.Risk).
	Risk float64
	// Iterations counts the outer iterations of the method.
	Iterations int
	// Status says whether the method converged.
	Status Status
	// Residual is an a posteriori accuracy figure; each method documents
	// which (a KKT residual for Exact, a projected-gradient norm for Direct).
	Residual float64
}

// InputError reports bad input to a minimizer, naming the offending entry.
type InputError struct {
	// Index is the offending entry of η, or -1 when the problem is not one
	// entry (γ, K or the sum).
	Index int
	// Value is the offending value.
	Value float64
	// Reason says what is wrong.
	Reason string
}

func (e *InputError) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("numeric: eta[%d] = %v: %s", e.Index, e.Value, e.Reason)
	}
	return fmt.Sprintf("numeric: %s (got %v)", e.Reason, e.Value)
}

// ValidateEta returns an *InputError if γ is not a finite number ≥ 0, if η
// has fewer than 2 entries, if an entry is NaN, ±Inf or negative, or if
// |Σ η_i − 1| > SumTol; otherwise nil.
func ValidateEta(eta []float64, gamma float64) error {
	if math.IsNaN(gamma) || math.IsInf(gamma, 0) || gamma < 0 {
		return &InputError{Index: -1, Value: gamma, Reason: "gamma must be a finite number >= 0"}
	}
	if len(eta) < 2 {
		return &InputError{Index: -1, Value: float64(len(eta)), Reason: "need K >= 2 classes"}
	}
	var sum float64
	for i, x := range eta {
		switch {
		case math.IsNaN(x):
			return &InputError{Index: i, Value: x, Reason: "NaN"}
		case math.IsInf(x, 0):
			return &InputError{Index: i, Value: x, Reason: "infinite"}
		case x < 0:
			return &InputError{Index: i, Value: x, Reason: "negative"}
		case x > 1:
			return &InputError{Index: i, Value: x, Reason: "greater than 1"}
		}
		sum += x
	}
	if math.Abs(sum-1) > SumTol {
		return &InputError{Index: -1, Value: sum, Reason: fmt.Sprintf("eta must sum to 1 within %g", SumTol)}
	}
	return nil
}
