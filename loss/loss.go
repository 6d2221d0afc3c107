// Package loss is the loss lab's abstraction: a classification loss as a
// value with a name, parameters, its function g and derivative g′ on
// (0, 1], the recovery Ψ_g where it exists, and its source in the
// literature. The focal loss is one member, computed by theory's kernels.
//
// Forms. A loss is one of
//
//   - Separable: ℓ(q, y) = w_y·g(q_y) + Σ_j r(q_j; K), with class weights
//     w (1 unless given) and an optional term r over every class (label
//     smoothing). The pointwise risk is W(q; η) = Σ_y η_y w_y g(q_y) +
//     Σ_j r(q_j), and on the open simplex its KKT conditions read
//     η_j w_j (−g′(q_j)) − r′(q_j) = λ. With r = 0 and w = 1 this is
//     η_j ∝ h_g(q_j), h_g = 1/(−g′).
//   - General: any ℓ(q, y); only the direct minimizer applies.
//   - Sigmoid: a per-label binary loss of a probability p with a 0/1
//     target, ℓ(p, 1) = Pos(p), ℓ(p, 0) = Neg(p).
//
// Specs (Parse) name a loss and its parameters in one syntax used by every
// command; see spec.go.
package loss

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Kind is the form of a loss (see the package doc).
type Kind int

const (
	Separable Kind = iota
	General
	Sigmoid
)

func (k Kind) String() string {
	switch k {
	case Separable:
		return "separable"
	case General:
		return "general"
	case Sigmoid:
		return "sigmoid"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Param is one named parameter value of a loss.
type Param struct {
	Name  string
	Value float64
}

// Loss is a parsed loss. Fields that do not apply to its Kind are nil.
type Loss struct {
	// Name is the registry name ("focal", "expr", …); Params the parameter
	// values in the registry's order (for expr, in the order written).
	Name   string
	Params []Param
	Kind   Kind
	// Doc is a one-line description with the source (paper, equation).
	Doc string

	// Separable losses. G and DG are g and g′ on (0, 1] (G(0) may be
	// +Inf); DDG is g″ or nil where the solvers must do without it.
	G, DG, DDG func(u float64) float64
	// H is h_g = 1/(−g′) in closed form (or as theory computes it for the
	// focal loss), nil where it does not apply (r ≠ 0, weights).
	H func(u float64) float64
	// Weights are the class weights w_y of focal-alpha, nil for all 1.
	Weights []float64
	// R, DR and DDR are r(u; K), r′(u; K) and r″(u; K), nil where r = 0
	// (DDR also nil where the solvers must do without it).
	R, DR, DDR func(u float64, k int) float64
	// Jumps lists the points of (0, 1) where g is discontinuous.
	Jumps []float64
	// Focal is true for the focal loss (γ = Gamma) computed by theory's
	// kernels, so that solvers may use numeric.Exact.
	Focal bool
	Gamma float64
	// Recovery is Ψ_g's closed form as text ("" where there is none or
	// h_g is not monotone), for display.
	Recovery string

	// General losses: ℓ(q, y).
	Ell func(q []float64, y int) float64

	// Sigmoid losses: ℓ(p, 1) and ℓ(p, 0).
	Pos, Neg func(p float64) float64

	// Expr losses: the expression of g, its derived g′ and the parameter
	// values.
	Expr, DExpr *Expr
	Env         map[string]float64
}

// Param returns the value of the named parameter and whether it exists.
func (l *Loss) Param(name string) (float64, bool) {
	for _, p := range l.Params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return 0, false
}

// String returns the loss's canonical spec; Parse(l.String()) builds the
// same loss.
func (l *Loss) String() string {
	fmtv := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var ps []string
	for _, p := range l.Params {
		ps = append(ps, p.Name+"="+fmtv(p.Value))
	}
	if l.Weights != nil {
		ws := make([]string, len(l.Weights))
		for i, w := range l.Weights {
			ws[i] = fmtv(w)
		}
		ps = append(ps, "alpha="+strings.Join(ws, "/"))
	}
	if l.Name == "expr" {
		s := `expr:"` + l.Expr.String() + `"`
		if len(ps) > 0 {
			s += ";" + strings.Join(ps, ",")
		}
		return s
	}
	if len(ps) == 0 {
		return l.Name
	}
	return l.Name + ":" + strings.Join(ps, ",")
}

// Term returns ℓ(q, y) for a probability vector q and a class y (Separable
// and General losses).
func (l *Loss) Term(q []float64, y int) float64 {
	switch l.Kind {
	case General:
		return l.Ell(q, y)
	case Separable:
		w := 1.0
		if l.Weights != nil {
			w = l.Weights[y]
		}
		s := w * l.G(q[y])
		if l.R != nil {
			for _, v := range q {
				s += l.R(v, len(q))
			}
		}
		return s
	}
	return math.NaN()
}

// Risk returns W(q; η) = Σ_y η_y ℓ(q, y) (terms with η_y = 0 count 0, so
// that a q_y = 0 there does not make it NaN). For a Separable loss the r
// term is counted once, Σ_j r(q_j) (η sums to 1).
func (l *Loss) Risk(q, eta []float64) float64 {
	var s float64
	switch l.Kind {
	case General:
		for y, e := range eta {
			if e != 0 {
				s += e * l.Ell(q, y)
			}
		}
	case Separable:
		for y, e := range eta {
			if e != 0 {
				w := 1.0
				if l.Weights != nil {
					w = l.Weights[y]
				}
				s += e * w * l.G(q[y])
			}
		}
		if l.R != nil {
			for _, v := range q {
				s += l.R(v, len(q))
			}
		}
	default:
		return math.NaN()
	}
	return s
}

// Grad sets dst to ∂W/∂q at q (Separable losses; General losses by
// central differences of Risk with step h·max(q_j, 1e-300)).
func (l *Loss) Grad(dst, q, eta []float64) []float64 {
	dst = dst[:0]
	switch l.Kind {
	case Separable:
		for j, v := range q {
			var d float64
			if eta[j] != 0 {
				w := 1.0
				if l.Weights != nil {
					w = l.Weights[j]
				}
				d = eta[j] * w * l.DG(v)
			}
			if l.DR != nil {
				d += l.DR(v, len(q))
			}
			dst = append(dst, d)
		}
	case General:
		const h = 0x1p-18 // ≈ ε^(1/3), the central-difference step balancing truncation and rounding
		x := append([]float64(nil), q...)
		for j := range q {
			s := h * math.Max(q[j], 1e-300)
			x[j] = q[j] + s
			fp := l.Risk(x, eta)
			x[j] = q[j] - s
			fm := l.Risk(x, eta)
			x[j] = q[j]
			dst = append(dst, (fp-fm)/(2*s))
		}
	}
	return dst
}

// HG returns h_g(u) = 1/(−g′(u)) (the closed form where the loss has one).
// It is NaN for a loss that is not Separable with r = 0.
func (l *Loss) HG(u float64) float64 {
	if l.Kind != Separable || l.R != nil {
		return math.NaN()
	}
	if l.H != nil {
		return l.H(u)
	}
	return -1 / l.DG(u)
}

// Psi sets dst to Ψ_g(v)_y = h_g(v_y)/Σ_l h_g(v_l) and returns it; meaningful
// where h_g is positive and increasing (see Analyze). For weighted losses
// (focal-alpha) the recovery divides by the weights: η_y ∝ h_g(v_y)/w_y.
func (l *Loss) Psi(dst, v []float64) []float64 {
	dst = dst[:0]
	var s float64
	for y, x := range v {
		h := l.HG(x)
		if l.Weights != nil {
			h /= l.Weights[y]
		}
		dst = append(dst, h)
		s += h
	}
	for i := range dst {
		dst[i] /= s
	}
	return dst
}

// Validate checks that a probability vector and a posterior fit the loss
// (lengths, focal-alpha's number of weights).
func (l *Loss) Validate(k int) error {
	if l.Weights != nil && len(l.Weights) != k {
		return fmt.Errorf("loss %s has %d class weights (alpha) for K = %d classes", l.String(), len(l.Weights), k)
	}
	return nil
}
