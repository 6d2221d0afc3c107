package loss

import (
	"fmt"
	"strconv"
)

// Sample is g, g′ and h_g at one u.
type Sample struct {
	U, G, DG, H float64
}

// Description is what `verify loss` shows: a loss's derived facts, each
// with how it was established.
type Description struct {
	Spec, Name, Kind, Doc string
	// HPositive and HIncreasing are nil where h_g does not apply (general
	// and sigmoid losses, and losses with an r term, for HIncreasing's
	// meaning as "Ψ_g exists"; the facts of g alone are still given).
	HPositive, HIncreasing *bool
	// Where is the first grid point that broke HPositive or HIncreasing.
	Where float64
	HHow  string
	Jumps []float64
	// StrictlyProper is "yes", "no" or "unknown", with ProperHow.
	StrictlyProper, ProperHow string
	// Recovery is "closed-form", "numeric" or "none", with its formula or
	// reason.
	Recovery, RecoveryFormula string
	// For expr: losses, g, the derived g′ and h_g as expressions.
	GExpr, DGExpr, HGExpr string
	Samples               []Sample
}

// SampleUs are the points at which Describe tabulates g, g′, h_g.
var SampleUs = []float64{1e-6, 0.01, 0.1, 0.2, 0.5, 0.9, 0.99, 1 - 1e-6}

func fmtf(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Describe derives a loss's facts (Analyze for separable losses, the
// derivations in each loss's doc otherwise).
func Describe(l *Loss) Description {
	d := Description{Spec: l.String(), Name: l.Name, Kind: l.Kind.String(), Doc: l.Doc, Jumps: l.Jumps}
	switch l.Kind {
	case General:
		d.HHow = "not separable: h_g does not apply"
		d.Recovery, d.RecoveryFormula = "none", "not separable: no recovery is derived; only the direct minimizer applies"
		if l.Name == "brier" {
			d.StrictlyProper, d.ProperHow = "yes", "proof: W(q; η) = Σ_j (q_j − η_j)² + 1 − Σ_j η_j², minimized only at q = η (Brier 1950)"
			d.Recovery, d.RecoveryFormula = "closed-form", "η = v (the minimizer is η)"
		} else {
			d.StrictlyProper, d.ProperHow = "unknown", "not derived; search the direct minimizer (numeric.LossDirect)"
		}
		return d
	case Sigmoid:
		d.HHow = "per-label sigmoid loss: the simplex analysis does not apply"
		d.StrictlyProper, d.ProperHow = "unknown", "per-label: not analysed by verify loss"
		d.Recovery, d.RecoveryFormula = "none", "per-label posterior: not analysed by verify loss"
		return d
	}
	f := Analyze(l)
	pos, inc := f.HPositive, f.HIncreasing
	d.HPositive, d.HIncreasing, d.Where, d.HHow = &pos, &inc, f.Where, f.How
	for _, u := range SampleUs {
		d.Samples = append(d.Samples, Sample{U: u, G: l.G(u), DG: l.DG(u), H: -1 / l.DG(u)})
	}
	if l.Expr != nil {
		d.GExpr, d.DGExpr, d.HGExpr = l.Expr.String(), l.DExpr.String(), l.HExpr().String()
	}
	switch {
	case l.R != nil:
		switch {
		case l.Name == "ls":
			e, _ := l.Param("eps")
			if e == 0 {
				d.StrictlyProper = "yes"
			} else {
				d.StrictlyProper = "no"
			}
			d.ProperHow = "closed form: the minimizer is (1−ε)η + ε/K (Müller et al. 2019), = η only for ε = 0"
		default:
			d.StrictlyProper, d.ProperHow = "unknown", "not derived for a loss with an r term; compare numeric.LossExact's minimizer with η"
		}
		if inc {
			if l.Recovery != "" {
				d.Recovery, d.RecoveryFormula = "closed-form", l.Recovery
			} else {
				d.Recovery = "numeric"
				d.RecoveryFormula = "η_j = (λ + r′(v_j))/(−g′(v_j)), λ = (1 − Σ_j r′(v_j)/(−g′(v_j)))/Σ_j 1/(−g′(v_j)) (the KKT system solved for η)"
			}
		} else {
			d.Recovery, d.RecoveryFormula = "none", "−g′ is not positive and decreasing on (0, 1)"
		}
	default:
		if f.Proper {
			d.StrictlyProper = "yes"
		} else {
			d.StrictlyProper = "no"
		}
		d.ProperHow = fmt.Sprintf("strictly proper exactly when h_g(v) ∝ v: h_g(v)/v sampled on the grid, flat to %g or not", properRelTol)
		if !pos {
			d.StrictlyProper, d.ProperHow = "no", fmt.Sprintf("h_g ≤ 0 at u = %s (g increasing there)", fmtf(f.Where))
		}
		switch {
		case !inc:
			d.Recovery = "none"
			d.RecoveryFormula = fmt.Sprintf("h_g is not positive and strictly increasing (first at u = %s)", fmtf(f.Where))
			if len(l.Jumps) > 0 {
				d.RecoveryFormula = "g is discontinuous: the minimizer is found by global enumeration and need not be unique or attained"
			}
		case l.Recovery != "":
			d.Recovery, d.RecoveryFormula = "closed-form", l.Recovery
		case l.Expr != nil:
			d.Recovery, d.RecoveryFormula = "closed-form", "η_y ∝ h_g(v_y), h_g(u) = "+d.HGExpr
		default:
			d.Recovery, d.RecoveryFormula = "numeric", "η_y ∝ h_g(v_y) = 1/(−g′(v_y))"
		}
	}
	return d
}
