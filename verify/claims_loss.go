package verify

// The claims of a loss search (Options.Loss): the statements of the
// paper's Thm 3, Thm 5/Sec. 4.1, Thm 11 and Def. 7 asked of any loss of
// the loss lab, and the literature's claims about particular losses
// (claims_literature.go). Each claim's Kind at a loss comes from what the
// derivation below says of that loss (Expect), never from the solvers
// under test: Theorem where it is derived to hold, Conjecture where it is
// derived to fail or not derived at all.
//
// Derivations (separable losses, r = 0, w = 1). On the open simplex the
// minimizer solves η_j = c·h_g(q*_j), Σ q* = 1 (loss.go's KKT form).
//
//   - h_g positive and strictly increasing: η_i < η_j ⇔ q*_i < q*_j, and
//     η_i = η_j ⇔ q*_i = q*_j, so q* is order-preserving, hence calibrated,
//     and Ψ_g(q*) = η (the KKT system read backwards).
//   - Strictly proper ⇔ q* = η for every η ⇔ h_g(v) ∝ v.
//   - Confidence. η_j/q*_j = c·h_g(q*_j)/q*_j, and Σ_j q*_j·(η_j/q*_j) =
//     Σ η = 1 = Σ q*: the ratios average to 1 with weights q*. If h_g(v)/v
//     is strictly decreasing, the ratio is smallest at the top entry, so
//     max η/max q* < 1 unless every ratio is 1 (q* ∈ S^K): q* is ηOC
//     wherever q* ∉ S^K, never ηUC. If h_g(v)/v is strictly increasing,
//     the reverse: ηUC, never ηOC.
//     Poly-1: h_g(v)/v = 1/(1 + εv), strictly decreasing for ε > 0: always
//     over-confident ("Poly-1 with ε > 0 raises confidence" holds).
//     GCE, 0 < A < 1: h_g(v)/v = v^(−A), strictly decreasing: over-confident.
//   - Label smoothing (r ≠ 0): q* = (1−ε)η + ε/K, so order-preserving,
//     max q* − max η = ε(1/K − max η) ≤ 0: never ηOC, ηUC off the uniform
//     vector; q* = η only for ε = 0. The focal loss with smoothed targets
//     has F_j = ((1−ε)η_j + ε/K)·φ^γ(u)/u: q* is the focal minimizer at
//     (1−ε)η + ε/K, order-preserving, proper only at γ = ε = 0.
//   - focal-alpha: the focal minimizer at η' ∝ α⊙η (loss/builtin.go): with
//     unequal weights its argmax is that of α⊙η, not of η (not calibrated
//     with respect to η); Ψ divided by α recovers η.
//   - Brier (Brier 1950): strictly proper, q* = η.
//   - Otherwise (FLSD-53, inverse-focal, GCE with A ≥ 1, dual-focal, expr)
//     nothing is derived here; for an expr loss whose h_g loss.Analyze finds
//     increasing, the first item applies.

import (
	"math"
	"strconv"

	"github.com/focaltk/focal/loss"
	"github.com/focaltk/focal/theory"
)

// Expectation is what the derivation says of one claim at one loss.
type Expectation struct {
	ID string `json:"id"`
	// Expected is "holds", "fails" or "unknown" (not derived).
	Expected string `json:"expected"`
	Why      string `json:"why"`
}

// The expectations.
const (
	ExpectHolds   = "holds"
	ExpectFails   = "fails"
	ExpectUnknown = "unknown"
)

// lossFacts is the derivation's summary of a loss.
type lossFacts struct {
	monotone   bool   // h_g positive and increasing (or the r-term analogue)
	monoWhy    string //
	proper     string // holds / fails / unknown
	properWhy  string
	recovery   bool // a recovery formula exists (loss.Recover applies)
	neverOC    string
	neverUC    string
	confWhy    string
	calibrated string // overrides monotone's "holds" (focal-alpha)
	calWhy     string
}

func param(l *loss.Loss, name string) float64 { v, _ := l.Param(name); return v }

func deriveFacts(l *loss.Loss) lossFacts {
	f := lossFacts{proper: ExpectUnknown, neverOC: ExpectUnknown, neverUC: ExpectUnknown,
		properWhy: "not derived", confWhy: "not derived"}
	yes := func(b bool) string {
		if b {
			return ExpectHolds
		}
		return ExpectFails
	}
	switch l.Name {
	case "ce":
		f.monotone, f.monoWhy = true, "h_g(v) = v"
		f.proper, f.properWhy = ExpectHolds, "h_g(v) = v: q* = η"
		f.neverOC, f.neverUC, f.confWhy = ExpectHolds, ExpectHolds, "q* = η"
	case "focal":
		g := param(l, "gamma")
		f.monotone, f.monoWhy = true, "h^γ increasing (the paper's Thm 3)"
		f.proper, f.properWhy = yes(g == 0), "Thm 5: proper only at γ = 0"
		if g == 0 {
			f.neverOC, f.neverUC, f.confWhy = ExpectHolds, ExpectHolds, "γ = 0: q* = η"
		} else {
			f.neverUC, f.confWhy = ExpectFails, "Cor 9: ηUC wherever max q* > 1/2 and q* ∉ S^K; ηOC only where max q* ≤ τ_oc (Thm 8), not derived for all K"
		}
	case "focal-alpha":
		f.monotone, f.monoWhy = true, "the focal minimizer at η' ∝ α⊙η (h^γ increasing)"
		eq := true
		for _, w := range l.Weights {
			eq = eq && w == l.Weights[0]
		}
		if !eq {
			f.calibrated, f.calWhy = ExpectFails, "argmax q* = argmax α⊙η, not argmax η, for unequal α"
		}
		f.proper, f.properWhy = ExpectUnknown, "the focal loss at η' ∝ α⊙η"
		if !eq {
			f.proper, f.properWhy = ExpectFails, "q* is the focal minimizer at η' ∝ α⊙η ≠ η"
		}
	case "poly1":
		e := param(l, "eps")
		f.monotone, f.monoWhy = true, "h_g(v) = v/(1+εv) increasing"
		f.proper, f.properWhy = yes(e == 0), "h_g(v)/v = 1/(1+εv): constant only for ε = 0"
		if e == 0 {
			f.neverOC, f.neverUC, f.confWhy = ExpectHolds, ExpectHolds, "ε = 0: q* = η"
		} else {
			f.neverOC, f.neverUC, f.confWhy = ExpectFails, ExpectHolds, "h_g(v)/v = 1/(1+εv) strictly decreasing: ηOC wherever q* ∉ S^K"
		}
	case "poly-focal":
		g, e := param(l, "gamma"), param(l, "eps")
		f.monotone, f.monoWhy = true, "−g′ = φ^γ(u)/u + ε(γ+1)(1−u)^γ, a sum of decreasing functions"
		f.proper, f.properWhy = yes(g == 0 && e == 0), "h_g(v) ∝ v only at γ = ε = 0"
	case "gce":
		a := param(l, "q")
		if a < 1 {
			f.monotone, f.monoWhy = true, "h_g(v) = v^(1−A) increasing for A < 1"
			f.proper, f.properWhy = ExpectFails, "h_g(v)/v = v^(−A) not constant"
			f.neverOC, f.neverUC, f.confWhy = ExpectFails, ExpectHolds, "h_g(v)/v = v^(−A) strictly decreasing: ηOC wherever q* ∉ S^K"
		} else {
			f.monoWhy = "h_g(v) = v^(1−A) not increasing for A ≥ 1 (W is linear or concave in q: a vertex minimizes it)"
		}
	case "ls":
		e := param(l, "eps")
		f.monotone, f.monoWhy = true, "q* = (1−ε)η + ε/K"
		f.proper, f.properWhy = yes(e == 0), "q* = (1−ε)η + ε/K = η only for ε = 0"
		if e == 0 {
			f.neverOC, f.neverUC, f.confWhy = ExpectHolds, ExpectHolds, "ε = 0: q* = η"
		} else {
			f.neverOC, f.neverUC, f.confWhy = ExpectHolds, ExpectFails, "max q* − max η = ε(1/K − max η) ≤ 0: ηUC off the uniform vector"
		}
	case "focal-ls":
		g, e := param(l, "gamma"), param(l, "eps")
		f.monotone, f.monoWhy = true, "the focal minimizer at (1−ε)η + ε/K"
		f.proper, f.properWhy = yes(g == 0 && e == 0), "proper only at γ = ε = 0"
	case "brier":
		f.monotone, f.monoWhy = true, "strictly proper (Brier 1950): q* = η"
		f.proper, f.properWhy = ExpectHolds, "Brier 1950: q* = η"
		f.neverOC, f.neverUC, f.confWhy = ExpectHolds, ExpectHolds, "q* = η"
		return f
	default:
		if l.Kind == loss.Separable && l.R == nil {
			a := loss.Analyze(l)
			if a.HIncreasing {
				f.monotone, f.monoWhy = true, "h_g increasing on loss.Analyze's grid"
				f.proper = yes(a.Proper)
				f.properWhy = "h_g(v)/v flat on loss.Analyze's grid or not"
			} else {
				f.monoWhy = "h_g not increasing on (0, 1) (loss.Analyze): not derived"
			}
		} else {
			f.monoWhy = "not derived for this loss"
		}
	}
	f.recovery = f.monotone && l.Kind == loss.Separable
	return f
}

// Expect returns the derivation's expectation for every claim of a loss
// search, in LossClaims' order.
func Expect(l *loss.Loss) []Expectation {
	f := deriveFacts(l)
	mono := func() (string, string) {
		if f.monotone {
			return ExpectHolds, f.monoWhy
		}
		return ExpectUnknown, f.monoWhy
	}
	var out []Expectation
	for _, c := range lossRegistry {
		e := Expectation{ID: c.ID, Expected: ExpectUnknown, Why: "not derived"}
		switch c.ID {
		case "loss-calibration":
			e.Expected, e.Why = mono()
			if f.calibrated != "" {
				e.Expected, e.Why = f.calibrated, f.calWhy
			}
		case "loss-order-preserving":
			e.Expected, e.Why = mono()
			if f.calibrated != "" {
				e.Expected, e.Why = f.calibrated, f.calWhy
			}
		case "loss-strictly-proper":
			e.Expected, e.Why = f.proper, f.properWhy
		case "loss-recovery":
			e.Expected, e.Why = mono()
		case "loss-never-overconfident":
			e.Expected, e.Why = f.neverOC, f.confWhy
		case "loss-never-underconfident":
			e.Expected, e.Why = f.neverUC, f.confWhy
		default:
			if x, ok := literatureExpect(l, c.ID); ok {
				e = x
			}
		}
		out = append(out, e)
	}
	return out
}

// LossClaims returns the claims of a search on l: every entry of the loss
// registry that applies to l, with Kind Theorem where Expect says it holds
// and Conjecture otherwise, and Applies true at every K where it applies.
func LossClaims(l *loss.Loss) []Claim {
	exp := Expect(l)
	var out []Claim
	for i, c := range lossRegistry {
		if c.appliesTo != nil && !c.appliesTo(l) {
			continue
		}
		cl := c.Claim
		cl.Kind = Conjecture
		if exp[i].Expected == ExpectHolds && !c.literature {
			cl.Kind = Theorem
		}
		if c.applies != nil {
			ap := c.applies
			cl.Applies = func(_ float64, k int) bool { return ap(l, k) }
		} else {
			cl.Applies = always
		}
		out = append(out, cl)
	}
	return out
}

// lossClaim is a loss registry entry: a Claim (Kind set per loss by
// LossClaims) and which losses and K it applies to.
type lossClaim struct {
	Claim
	appliesTo func(l *loss.Loss) bool
	applies   func(l *loss.Loss, k int) bool
	// literature marks a claim from the literature: a Conjecture whatever
	// the derivation expects.
	literature bool
}

func hasMinimizer(l *loss.Loss) bool { return l.Kind != loss.Sigmoid }

// confTol is the slack of the confidence claims: lossTol·max q, the
// accuracy of max q* (0 in high precision beyond hiprecTol).
func confTol(ev *Eval, q []float64) float64 { return lossTol(ev, q) * theory.Max(q) }

// lossGapTol is the slack the order claims allow a float64 minimizer:
// lossTol·max q, the accuracy of its entries (lossDirectTol relative for
// the direct minimizer, a few ulps times the conditioning for the exact
// solvers). Two entries whose η differ by less than that are not resolved
// in their order by any float64 solver: focal-ls at η = (1/2 + 2^−53,
// 1/2 − 2^−53) gives tied q (the smoothing halves a 1-ulp gap), and a
// coordinate at η = 3e-22 beside one at 0 lands an ulp below it; without a
// hiprec oracle for the loss these were reported as unconfirmed
// violations. 0 in high precision.
func lossGapTol(ev *Eval, q []float64) float64 {
	if ev.HighPrecision {
		return 0
	}
	return lossTol(ev, q) * theory.Max(q)
}

var lossRegistry = append(coreLossClaims, literatureClaims...)

var coreLossClaims = []lossClaim{
	{Claim: Claim{ID: "loss-calibration", Source: "Thm 3 asked of the loss", Strict: true,
		Statement: "the loss is classification-calibrated: the argmax of q* is an argmax of η (ties stay tied)",
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			if ev.HighPrecision {
				return ev.lossOrderHP(c.Eta, true)
			}
			q, err := ev.Minimize(c.Eta, 0)
			if err != nil {
				return 0, false, err
			}
			m, ok, err := topGap(c.Eta, q)
			return m + lossGapTol(ev, q), ok, err
		}}, appliesTo: hasMinimizer},
	{Claim: Claim{ID: "loss-order-preserving", Source: "Thm 3 (proof) asked of the loss", Strict: true,
		Statement: "q* is strictly order-preserving: η_i < η_j ⇒ q*_i < q*_j, and η_i = η_j ⇒ q*_i = q*_j",
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			if ev.HighPrecision {
				return ev.lossOrderHP(c.Eta, false)
			}
			q, err := ev.Minimize(c.Eta, 0)
			if err != nil {
				return 0, false, err
			}
			return orderMargin(c.Eta, q, ev.indices(len(c.Eta))) + lossGapTol(ev, q), true, nil
		}}, appliesTo: hasMinimizer},
	{Claim: Claim{ID: "loss-strictly-proper", Source: "Thm 5 / Sec. 4.1 asked of the loss",
		Statement: "the loss is strictly proper: q* = η for every η (expected exactly when h_g(v) ∝ v)",
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			q, err := ev.Minimize(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			return lossTol(ev, q) - lossDiff(ev, q, normalized(ev.scratch(len(c.Eta)), c.Eta)), true, nil
		}}, appliesTo: hasMinimizer},
	{Claim: Claim{ID: "loss-recovery", Source: "Thm 11 asked of the loss", Slow: true,
		Statement: "the KKT recovery Ψ_g (loss.Recover) recovers η from the minimizer of W found by minimizing W directly: Ψ_g(argmin W(·; η)) = η (max_i |Ψ_i − η_i| within the direct minimizer's accuracy)",
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			q, psi, ok, err := ev.recoveryLoss(c.Eta)
			if !ok || err != nil {
				return 0, false, err
			}
			// Absolute, not relative: the direct minimizer resolves q to
			// lossDirectTol relative to its largest entries only (its
			// softmax coordinates stop at a gradient spread of
			// LossDirectAccept), so tiny entries of η are not recovered to
			// their own relative accuracy by any direct minimizer.
			return lossRecoveryTol(ev, q) - maxAbsDiff(psi, normalized(ev.scratch(len(c.Eta)), c.Eta)), true, nil
		}}, appliesTo: func(l *loss.Loss) bool { return deriveFacts(l).recovery }},
	{Claim: Claim{ID: "loss-never-overconfident", Source: "Def. 7 asked of the loss",
		Statement: "the minimizer is never ηOC: max q* ≤ max η (a witness is a finding: an over-confident minimizer exists)",
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			q, err := ev.Minimize(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			return maxNormalized(c.Eta) - theory.Max(q) + confTol(ev, q), true, nil
		}}, appliesTo: hasMinimizer},
	{Claim: Claim{ID: "loss-never-underconfident", Source: "Def. 7 asked of the loss",
		Statement: "the minimizer is never ηUC: max q* ≥ max η (a witness is a finding: an under-confident minimizer exists)",
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			q, err := ev.Minimize(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			return theory.Max(q) - maxNormalized(c.Eta) + confTol(ev, q), true, nil
		}}, appliesTo: hasMinimizer},
}

// lossRecoveryTol bounds max_i |Ψ_i(q) − η_i|/η_i when q is within a
// relative lossDirectTol of q*: h_g's elasticity in q_j is
// κ_j = |q_j h′/h| = |q_j g″/g′| (1 for cross-entropy), and the entry and
// the normalization each move Ψ by at most κ·δ, so 2(1 + κ)·δ with δ the
// minimizer's accuracy (hiprecTol in high precision, where q is the
// oracle's), plus Ψ's own rounding.
func lossRecoveryTol(ev *Eval, q []float64) float64 {
	l := ev.Loss
	tol := lossDirectTol
	if ev.HighPrecision {
		tol = hiprecTol
	}
	kappa := 1.0
	if l.DDG != nil {
		for _, x := range q {
			if x > 0 && x < 1 {
				if c := math.Abs(x * l.DDG(x) / l.DG(x)); c < math.Inf(1) {
					kappa = math.Max(kappa, c)
				}
			}
		}
	}
	return 2*(1+kappa)*tol + 16*0x1p-53
}

// lookupLoss finds a loss claim by ID (Kind Conjecture: it depends on the
// loss).
func lookupLoss(id string) (Claim, bool) {
	for _, c := range lossRegistry {
		if c.ID == id {
			cl := c.Claim
			cl.Kind = Conjecture
			return cl, true
		}
	}
	return Claim{}, false
}

// lossGamma is the γ a loss search's pairs carry: the focal loss's γ
// (for its structured family and generators), 1 otherwise (the structured
// family maps vectors through Ψ^1, which gives varied η; its value is
// immaterial to the claims, which read Eval.Loss).
func lossGamma(l *loss.Loss) float64 {
	if l.Focal {
		return l.Gamma
	}
	return 1
}

// lossReport fills a loss search's report fields.
func (s *searcher) lossReport(rep *Report, l *loss.Loss) {
	rep.Loss = l.String()
	rep.Gammas = []Float{}
	for _, k := range s.opt.Ks {
		sv, why := LossSolverFor(l, k)
		rep.Solvers = append(rep.Solvers, SolverInfo{K: k, Solver: sv, Why: why, Oracle: HasOracle(l)})
	}
	exp := Expect(l)
	for _, c := range s.claims {
		for _, e := range exp {
			if e.ID == c.ID {
				rep.Expectations = append(rep.Expectations, e)
			}
		}
	}
	for _, c := range registry {
		reason := "about the focal loss's closed forms (τ, φ, Thm 8, footnote 2) or its own minimizers; does not apply to loss " + l.String()
		if l.Focal && l.Weights == nil {
			reason = "a focal-registry claim: run it with verify --gamma " + ftoa(l.Gamma)
		}
		rep.NotApplicable = append(rep.NotApplicable, NotApplicable{ID: c.ID, Reason: reason})
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// maxAbsDiff returns max_i |a_i − b_i|.
func maxAbsDiff(a, b []float64) float64 {
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// lossDiff is the distance the properness claim compares with lossTol: for
// the direct minimizer max_i |q_i − η_i| (it resolves entries relative to
// the largest, and frees entries where η is 0), otherwise
// maxRelDiff over the entries of η that are normal numbers and, below
// 2^−1022, the difference relative to 2^−1022 (a subnormal has no
// relative accuracy to speak of).
func lossDiff(ev *Eval, q, eta []float64) float64 {
	if !ev.HighPrecision && ev.solverKind(len(q)) == SolverDirect {
		return maxAbsDiff(q, eta)
	}
	var m float64
	for i := range q {
		switch {
		case eta[i] >= 0x1p-1022:
			m = math.Max(m, math.Abs(q[i]-eta[i])/eta[i])
		case eta[i] > 0 || q[i] != 0:
			m = math.Max(m, math.Abs(q[i]-eta[i])/0x1p-1022)
		}
	}
	return m
}
