package verify

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/focaltk/focal/theory"
)

// The over-confidence boundary: the answers of `verify boundary` and of
// findings.md's boundary table, that is the report types, the bisections
// over γ and the text saying how each answer was established. The scans
// over γ are in boundary_scan.go, the search for an ηOC minimizer at one
// (γ, K) in boundary_search.go, the near-uniform test in
// boundary_uniform.go.
//
// By Thm 11 the minimizer at η = Ψ^γ(q) is q itself, so "some η gives an
// ηOC minimizer" is "some q ∉ S^K has max_y q_y > max_y Ψ^γ_y(q)". With
// t = max q, h(v) = v/φ(v) and Σ q_l = 1 that inequality reads
// Σ_l h(q_l) > h(t)/t, i.e.
//
//	G(q) = Σ_l q_l·(1/φ(q_l) − 1/φ(t)) > 0,
//
// a sum in which the top entries contribute 0. Each term is computed as
// e^{−L(t)}·expm1(L(t) − L(q_l)) with L = log φ (gapSum), whose rounding
// error scales with γ like the term itself, so the sign of G is reliable
// at small γ too (down to γ ≈ 1e-36, below which BoundaryGamma stops:
// the margins are then beyond what 40 digits confirm). The boundary
// search maximizes G; every answer it gives is then confirmed on the
// minimizer itself, by package hiprec at the float64 vector η = Ψ(q).
//
// What the search finds (K = 3…8, reproduced by the tests at K = 4, 5):
//
//   - K = 3: no ηOC minimizer found for any γ tried. K ≥ 4: ηOC
//     minimizers exist for every γ below γ_max(K), the γ at which
//     τ_uc^γ = 1/(K−1) (1.428852 at K = 4, 3.070227 at K = 5, 4.850554 at
//     K = 6), approached, not attained, by q → (1/(K−1), …, 1/(K−1), 0):
//     with K−1 entries t = (1−ε)/(K−1) and one ε, G > 0 ⟺ φ(ε) < φ(t),
//     which holds for small ε exactly when φ(1/(K−1)) > 1 = φ(0), i.e.
//     1/(K−1) < τ_uc^γ (proven). That none exist at γ ≥ γ_max(K) is only
//     what the search shows: none found at the γ it tried above the
//     bracket.
//   - Near the uniform vector, the linearization of Ψ gives
//     q* − u ≈ (η − u)/D with D = 1 − vφ'(v)/φ(v) at v = 1/K, so
//     near-uniform minimizers are ηOC iff φ'(1/K) > 0 iff 1/K < τ_oc^γ,
//     i.e. γ < γ_nu(K) = 1 + (K−1)(ln K − 2)/ln K: negative for K ≤ 4
//     (never), 0.0293205 at K = 5 (so footnote 2's "γ ≤ 0.03" is slightly
//     too generous: for γ in (0.0293205, 0.03] near-uniform minimizers
//     are ηUC), 0.418894 at K = 6. The high-precision bisection agrees
//     with the closed form to 1e-9.

// BoundaryOptions configures BoundaryK and BoundaryGamma; the zero value
// is the default.
type BoundaryOptions struct {
	// Seed seeds the random starts of the optimizer.
	Seed uint64
	// Evals is the number of evaluations of G the Nelder–Mead part of
	// each search spends; 0 means DefaultBoundaryEvals.
	Evals int
	// RelTol is the relative width at which the bisections over γ stop;
	// 0 means DefaultBoundaryRelTol.
	RelTol float64
}

const (
	// DefaultBoundaryEvals: Nelder–Mead evaluations per search (on top of
	// the structured grid, which has 10^4–10^5 points at K ≤ 12).
	DefaultBoundaryEvals = 3000
	// DefaultBoundaryRelTol: 1e-9 relative width leaves the answers good
	// to 8 significant digits, past the 6 asked for.
	DefaultBoundaryRelTol = 1e-9
	// nearUniformStep is the displacement s of q = (1 + s·w)/K from the
	// uniform vector at which the near-uniform bisection evaluates G with
	// hiprec.NearUniformGap. G = s·c₁(w) + O(s²) with c₁ ∝ φ'(1/K), so the
	// second-order term can decide the sign only where |φ'(1/K)| ≲ s,
	// within about 1e-25 (relative) of γ_nu, far inside the bisection's
	// final width 1e-9; there G ≈ 1e-25·1e-9 is still 30 orders above the
	// 1e-65 absolute error of hiprec's working precision.
	nearUniformStep = 1e-25
)

// boundaryGammaGrid is where the boundary scans start: from the smallest
// γ the search considers, then upward until no ηOC minimizer is found.
var boundaryGammaGrid = []float64{1e-6, 1e-3, 0.01, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000}

// Witness is a confirmed ηOC case: at γ, the minimizer q* of W(·; η) has
// max q* > max η. Margin is max q* − max η with the float64 minimizer
// (numeric.Exact); MarginHiprec is the same with the 40-digit minimizer of
// package hiprec, formed in decimal arithmetic (against η/Σ η).
type Witness struct {
	Gamma        Float   `json:"gamma"`
	Eta          []Float `json:"eta"`
	Q            []Float `json:"q"`
	Margin       Float   `json:"margin"`
	MarginHiprec Float   `json:"margin_hiprec"`
	// Label says which family the witness comes from.
	Label string `json:"label"`
}

// BoundaryKReport answers, for one K: the supremum of γ for which some η
// gives an ηOC minimizer (GammaMax, with a Witness just below it), and the
// supremum of γ for which ηOC minimizers exist arbitrarily close to the
// uniform vector (GammaNearUniform); null when no γ > 0 has any.
type BoundaryKReport struct {
	Version int `json:"version"`
	K       int `json:"K"`
	// GammaMax is the bisection's answer, GammaMaxBracket its final
	// bracket: an ηOC minimizer found (and confirmed) at the low end, none
	// found by the search at the high end.
	GammaMax        *Float  `json:"gamma_max"`
	GammaMaxBracket []Float `json:"gamma_max_bracket,omitempty"`
	// GammaMaxNoneFound is the support for the bracket's high end: the γ
	// above it (or, when no γ had an ηOC minimizer, all γ) at which the
	// search was run and found none. That is all the upper side of
	// gamma_max rests on: numerical support, not a proof.
	GammaMaxNoneFound *GammaScan `json:"gamma_max_none_found,omitempty"`
	Witness           *Witness   `json:"witness"`
	// WitnessFloat64 is a witness at the largest γ below gamma_max on
	// the grid gamma_max·(1 − 10^−j), j = 6…1, where the float64 exact
	// minimizer shows the over-confidence too, by more than robustMargin
	// (Witness, closer to the supremum, usually needs 40 digits to show
	// it).
	WitnessFloat64 *Witness `json:"witness_float64,omitempty"`
	// GammaTauUC is the γ at which τ_uc^γ = 1/(K−1), from theory.TauUC
	// (absent for K ≤ 3, where 1/(K−1) ≥ 1/2 > τ_uc^γ for every γ): the
	// value GammaMax is observed to equal (see the package comment of
	// the boundary, above BoundaryOptions).
	GammaTauUC *Float `json:"gamma_tau_uc,omitempty"`
	// GammaNearUniform is the bisection's answer for the near-uniform
	// limit, GammaNearUniformBracket its bracket, and
	// GammaNearUniformFormula the linearization's closed form
	// 1 + (K−1)(ln K − 2)/ln K (negative for K ≤ 4), for comparison.
	GammaNearUniform        *Float  `json:"gamma_near_uniform"`
	GammaNearUniformBracket []Float `json:"gamma_near_uniform_bracket,omitempty"`
	GammaNearUniformFormula Float   `json:"gamma_near_uniform_formula"`
	// Method says how each answer was established.
	Method string `json:"method"`
}

// GammaScan describes a set of γ at which a search was run: Points values
// from From to To (a geometric grid, see boundaryScanGrid).
type GammaScan struct {
	From   Float `json:"from"`
	To     Float `json:"to"`
	Points int   `json:"points"`
}

// BoundaryGammaReport answers, for one γ, the smallest K with an ηOC
// minimizer (KMin, with a Witness), or says why it could not (Status).
type BoundaryGammaReport struct {
	Version int   `json:"version"`
	Gamma   Float `json:"gamma"`
	// Status says whether KMin was established (KMinFound), cannot exist
	// (KMinNone, γ = 0 only) or could not be established
	// (KMinUndetermined, with the reason in Method); KMin and Witness are
	// set only with KMinFound.
	Status  KMinStatus `json:"status"`
	KMin    *int       `json:"k_min"`
	Witness *Witness   `json:"witness"`
	Method  string     `json:"method"`
}

// KMinStatus is the outcome of BoundaryGamma.
type KMinStatus string

const (
	// KMinFound: no ηOC minimizer found for K < k_min, one confirmed in
	// 40 digits at k_min.
	KMinFound KMinStatus = "found"
	// KMinNone: no K has an ηOC minimizer (γ = 0, the cross-entropy).
	KMinNone KMinStatus = "none"
	// KMinUndetermined: for γ > 0 some K has ηOC minimizers (near-uniform
	// ones once 1/K < τ_oc^γ), but the search could not confirm one at the
	// smallest K where it found candidates, or found none up to its cap.
	KMinUndetermined KMinStatus = "undetermined"
)

func (o *BoundaryOptions) defaults() {
	if o.Evals <= 0 {
		o.Evals = DefaultBoundaryEvals
	}
	if !(o.RelTol > 0) {
		o.RelTol = DefaultBoundaryRelTol
	}
}

// BoundaryK computes the over-confidence boundary in γ at K (see
// BoundaryKReport). It returns ctx's error if ctx is done first.
func BoundaryK(ctx context.Context, k int, opt BoundaryOptions) (*BoundaryKReport, error) {
	if err := CheckK(k); err != nil {
		return nil, err
	}
	if k > maxBoundaryK {
		return nil, fmt.Errorf("%w: K %d: the boundary search handles K <= %d", ErrOptions, k, maxBoundaryK)
	}
	opt.defaults()
	kf := float64(k)
	rep := &BoundaryKReport{Version: ReportVersion, K: k,
		GammaNearUniformFormula: Float(theory.GammaNearUniform(kf))}
	var method strings.Builder

	// (a) Any η.
	oc := func(g float64) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		best := searchOC(g, k, opt)
		return best.found(), nil
	}
	grid := boundaryScanGrid(k)
	sc, err := scanGamma(oc, grid, opt.RelTol)
	if err != nil {
		return nil, err
	}
	searchText := fmt.Sprintf("structured families: m equal top entries, up to two more levels and zeros, including the limits toward S^K; plus %d Nelder–Mead evaluations of G over softmax-parametrized q from structured and random starts", opt.Evals)
	if !sc.ok {
		rep.GammaMaxNoneFound = &GammaScan{From: Float(grid[0]), To: Float(grid[len(grid)-1]), Points: len(grid)}
		fmt.Fprintf(&method, "gamma_max: no ηOC minimizer found at any of %d γ from %s to %s (each a search: %s), so none is reported; this is what the search shows, not a proof that none exist. ",
			len(grid), fmtFloat(grid[0]), fmtFloat(grid[len(grid)-1]), searchText)
	} else {
		lo, hi := sc.lo, sc.hi
		gm := Float(lo + (hi-lo)/2)
		rep.GammaMax, rep.GammaMaxBracket = &gm, []Float{Float(lo), Float(hi)}
		if sc.above > 0 {
			rep.GammaMaxNoneFound = &GammaScan{From: Float(hi), To: Float(sc.aboveTo), Points: sc.above}
		}
		w, err := witnessBelow(ctx, k, lo, hi, opt)
		if err != nil {
			return nil, err
		}
		rep.Witness = w
		if rep.WitnessFloat64, err = witnessFloat64(ctx, k, lo, opt); err != nil {
			return nil, err
		}
		fmt.Fprintf(&method, "gamma_max: scan of %d γ from %s to %s, then bisection to relative width %g: at the low end %s the search finds q with G(q) above its rounding bound; at the high end %s, and at each of the %d scanned γ above it up to %s (%s), it finds none (%s). The high end is thus numerical support only (docs/proofs.md, Lemma C, proves it for the K of docs/certificates/no-oc.json), and the supremum is not attained. ",
			len(grid), fmtFloat(grid[0]), fmtFloat(grid[len(grid)-1]), opt.RelTol, fmtFloat(lo), fmtFloat(hi), sc.above, fmtFloat(sc.aboveTo), scanDensity, searchText)
		if sc.gaps > 0 {
			fmt.Fprintf(&method, "Below the low end the search found none at %d scanned γ (the largest %s), so the found set is not an interval at the scanned points. ", sc.gaps, fmtFloat(sc.lastGap))
		}
		if math.IsInf(hi, 1) {
			method.WriteString("ηOC minimizers were found up to the largest γ scanned, so gamma_max is a lower bound only. ")
		}
		if w != nil {
			fmt.Fprintf(&method, "Witness at γ = %s (%.2g below gamma_max, relative) from %q, confirmed by the 40-digit minimizer: max q* − max η = %.3g. ",
				fmtFloat(float64(w.Gamma)), (float64(gm)-float64(w.Gamma))/float64(gm), w.Label, float64(w.MarginHiprec))
		} else {
			method.WriteString("No witness could be confirmed in high precision within relative 0.1 below the bracket. ")
		}
	}
	if gt := gammaTauUC(k); !math.IsNaN(float64(gt)) {
		rep.GammaTauUC = &gt
		if rep.GammaMax != nil {
			fmt.Fprintf(&method, "It agrees with the γ where τ_uc^γ = 1/(K−1) (%s, relative difference %.1g): the supremum is approached by q → (1/(K−1), …, 1/(K−1), 0). ",
				fmtFloat(float64(gt)), math.Abs(float64(*rep.GammaMax)-float64(gt))/float64(gt))
		}
	}

	// (b) Near the uniform vector.
	nu := func(g float64) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		return nearUniformOC(g, k), nil
	}
	lo, hi, ok, err := bisectGamma(nu, opt.RelTol)
	if err != nil {
		return nil, err
	}
	if !ok {
		fmt.Fprintf(&method, "gamma_near_uniform: at no γ of the scan is G(q) > 0 (40-digit hiprec) at q = (1 + s·w)/K, s = %g, for any of the directions w tried, so ηOC minimizers do not come arbitrarily close to uniform for any γ > 0 (the linearization's γ_nu(K) = %.6g is negative).",
			nearUniformStep, float64(rep.GammaNearUniformFormula))
	} else {
		g := Float(lo + (hi-lo)/2)
		rep.GammaNearUniform, rep.GammaNearUniformBracket = &g, []Float{Float(lo), Float(hi)}
		fmt.Fprintf(&method, "gamma_near_uniform: bisection over γ to relative width %g on the sign of G(q), evaluated with package hiprec (60 digits) at q = (1 + s·w)/K, s = %g, for %d directions w (positive for some w at the low end %s, for none at the high end %s); the closed form 1 + (K−1)(ln K − 2)/ln K = %s differs by %.1g relative.",
			opt.RelTol, nearUniformStep, len(nearUniformDirections(k)), fmtFloat(lo), fmtFloat(hi),
			fmtFloat(float64(rep.GammaNearUniformFormula)), math.Abs(float64(g)-float64(rep.GammaNearUniformFormula))/float64(g))
	}
	rep.Method = strings.TrimSpace(method.String())
	return rep, nil
}

// boundaryMinGamma is the smallest γ at which BoundaryGamma searches:
// below it the largest margin max q* − max η seen at K = 4, about 7e-4·γ,
// is below ocConfirmFloor, so no witness could be confirmed.
const boundaryMinGamma = 1e-36

// noneBelow says that the search found no candidate for K = 2 … k−1.
func noneBelow(k int) string {
	switch k {
	case 2:
		return ""
	case 3:
		return " (none found at K = 2)"
	}
	return fmt.Sprintf(" (none found for K = 2, …, %d)", k-1)
}

// maxBoundaryK bounds K for the boundary searches (their structured grids
// grow like K³ for small K).
const maxBoundaryK = 200

// BoundaryGamma computes the smallest K with an ηOC minimizer at γ (see
// BoundaryGammaReport).
func BoundaryGamma(ctx context.Context, gamma float64, opt BoundaryOptions) (*BoundaryGammaReport, error) {
	if err := CheckGamma(gamma); err != nil {
		return nil, err
	}
	opt.defaults()
	rep := &BoundaryGammaReport{Version: ReportVersion, Gamma: Float(gamma)}
	if gamma == 0 {
		rep.Status = KMinNone
		rep.Method = "γ = 0 is the cross-entropy, which is strictly proper: q* = η for every η and K, so no K gives an ηOC minimizer."
		return rep, nil
	}
	if gamma < boundaryMinGamma {
		rep.Status = KMinUndetermined
		rep.Method = fmt.Sprintf("Undetermined: ηOC minimizers exist at K = 4 for every γ below gamma_max(4) ≈ 1.43 (findings.md, Sec. 4) and none at K = 2 (Cor 10), but at γ < %g their margins max q* − max η (∝ γ, about 7e-4·γ at K = 4) are below %.0e, what the 40-digit minimizer resolves, so no witness can be confirmed and K = 3 cannot be searched.",
			boundaryMinGamma, ocConfirmFloor)
		return rep, nil
	}
	// Near-uniform vectors are ηOC once 1/K < τ_oc (the linearization),
	// so the scan can stop there.
	kNU := int(math.Floor(1/theory.TauOC(gamma))) + 1
	kMax := min(maxBoundaryK, kNU)
	for k := 2; k <= kMax; k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		best := searchOC(gamma, k, opt)
		if !best.found() {
			continue
		}
		w, unresolved := confirmWitnessCount(gamma, k, ocCandidates(gamma, k, opt, best))
		if w == nil {
			if unresolved > 0 {
				rep.Status = KMinUndetermined
				rep.Method = fmt.Sprintf("Undetermined: at K = %d the search finds q with G(q) above its rounding bound, but the margins max q* − max η of their minimizers (∝ γ) are below %.0e, what the 40-digit minimizer resolves, so none is confirmed%s.",
					k, ocConfirmFloor, noneBelow(k))
				return rep, nil
			}
			continue
		}
		km := k
		rep.Status, rep.KMin, rep.Witness = KMinFound, &km, w
		rep.Method = fmt.Sprintf("For K = 2, …, %d the search (structured families and %d Nelder–Mead evaluations of G per K) finds no q with G(q) above its rounding bound; at K = %d it does, and the witness is confirmed by the 40-digit minimizer (max q* − max η = %.3g).",
			k-1, opt.Evals, k, float64(w.MarginHiprec))
		if k == 2 {
			rep.Method = fmt.Sprintf("At K = 2 the search finds an ηOC case, confirmed by the 40-digit minimizer (max q* − max η = %.3g).", float64(w.MarginHiprec))
		}
		return rep, nil
	}
	rep.Status = KMinUndetermined
	if kNU > maxBoundaryK {
		rep.Method = fmt.Sprintf("Undetermined: no ηOC minimizer found for K = 2, …, %d, the search's cap; near-uniform ones exist from K = %d on (1/K < τ_oc^γ), so k_min is in (%d, %d] unless the search missed one.", maxBoundaryK, kNU, maxBoundaryK, kNU)
	} else {
		rep.Method = fmt.Sprintf("Undetermined: no ηOC minimizer found for K = 2, …, %d, although near-uniform ones exist at K = %d (1/K < τ_oc^γ): at this γ the search cannot resolve G (its terms are O(γ) and underflow or drown in rounding).", kMax, kNU)
	}
	return rep, nil
}
