package theory

// Class is the confidence class of a risk minimizer relative to the class
// posterior (Def. 7).
type Class int

const (
	// Exact: max_y q_y = max_y η_y (for instance q ∈ S^K, Prop 6).
	Exact Class = iota
	// UnderConfident (ηUC, Eq. 8): max_y q_y < max_y η_y.
	UnderConfident
	// OverConfident (ηOC, Eq. 9): max_y q_y > max_y η_y.
	OverConfident
)

func (c Class) String() string {
	switch c {
	case Exact:
		return "exact"
	case UnderConfident:
		return "underconfident"
	case OverConfident:
		return "overconfident"
	}
	return "Class(?)"
}

// Confidence returns the confidence class (Def. 7) of a minimizer q with
// respect to the class posterior eta, by comparing max_y q_y with
// max_y η_y exactly. Given only a focal risk minimizer q, pass
// Psi(dst, q, γ) as eta (Thm 11), which settles the ambiguous region
// (τ_oc, τ_uc) of Thm 8.
//
// Confidence panics if len(q) != len(eta) or both are empty.
func Confidence(q, eta []float64) Class {
	if len(q) != len(eta) || len(q) == 0 {
		panic("theory: length mismatch")
	}
	mq, me := Max(q), Max(eta)
	switch {
	case mq < me:
		return UnderConfident
	case mq > me:
		return OverConfident
	}
	return Exact
}

// InSK reports whether v is in S^K of Prop 6: every entry is 0 or equal to
// max_j v_j (a uniform vector on a subset of classes), compared exactly.
// It does not check that v sums to 1. InSK of an empty slice is false.
func InSK(v []float64) bool {
	if len(v) == 0 {
		return false
	}
	m := Max(v)
	for _, vi := range v {
		if vi != 0 && vi != m {
			return false
		}
	}
	return true
}

// Max returns the largest entry of v (NaN entries are skipped unless all
// are NaN); it panics on an empty slice.
func Max(v []float64) float64 {
	m := v[0]
	for _, x := range v[1:] {
		if x > m || m != m {
			m = x
		}
	}
	return m
}

// Argmax returns the smallest index of a largest entry of v; it panics on an
// empty slice.
func Argmax(v []float64) int {
	k := 0
	for i, x := range v {
		if x > v[k] {
			k = i
		}
	}
	return k
}
