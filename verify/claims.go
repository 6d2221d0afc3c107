package verify

import (
	"slices"

	"github.com/focaltk/focal/theory"
)

// Kind says whether a claim is a theorem of the paper (expected to hold) or
// a conjecture (a statement from the literature, or from a careless reading
// of it, that the search confirms or refutes).
type Kind string

const (
	Theorem    Kind = "theorem"
	Conjecture Kind = "conjecture"
)

// Case is one input to a claim check: a probability vector (η for claims
// about the minimizer, v for claims about Ψ) and γ.
type Case struct {
	Eta   []float64
	Gamma float64
}

// Claim is one statement with a check. Check returns a signed margin: > 0
// means the statement holds with that slack, < 0 that it is violated by that
// much, and ok = false that the case lies outside the statement's hypothesis
// (the margin is then meaningless). Errors report invalid cases, never
// violations.
type Claim struct {
	ID        string
	Source    string
	Statement string
	Kind      Kind
	// Applies reports whether the statement can say anything at (γ, K);
	// the search skips the pairs where it cannot.
	Applies func(gamma float64, k int) bool
	Check   func(ev *Eval, c Case) (margin float64, ok bool, err error)
	// Fixed, when set, says that the check does not depend on the case's
	// η beyond its length K (it is about a fixed witness, or about γ
	// only): the search checks it once per (γ, K), on Fixed(K), the vector
	// the check is about, and its case count is then 1 per (γ, K).
	Fixed func(k int) []float64
	// Strict marks statements whose margin is a strict inequality
	// (q*_i < q*_j, max q* > max η, …): a margin of exactly 0 violates
	// them, and the search treats it like a negative one (Violates). The
	// other claims compare a difference with a tolerance, where 0 is the
	// edge of what the tolerance allows.
	Strict bool
	// Slow marks checks that minimize W directly (numeric.Direct, about
	// a millisecond per case at K = 10, against microseconds for the
	// exact solver): the search checks them on fewer cases (Search).
	Slow bool
}

// Violates reports whether margin m (from an ok check) says the statement
// is violated: m < 0, or m = 0 for a Strict claim, or NaN.
func (c *Claim) Violates(m float64) bool { return !(m > 0) && (c.Strict || !(m >= 0)) }

// Claims returns the registry, in a stable order.
func Claims() []Claim { return slices.Clone(registry) }

// Lookup returns the claim with the given ID: of the focal registry, or
// of the loss registry (LossClaims; Kind Conjecture there, as it depends
// on the loss).
func Lookup(id string) (Claim, bool) {
	for _, c := range registry {
		if c.ID == id {
			return c, true
		}
	}
	return lookupLoss(id)
}

// NearUniformT is how far footnote-2-threshold moves from the uniform
// vector u: it solves at η_s = u + s·w/K, w = (d − d̄)/‖d − d̄‖_∞ the
// direction of the case's η = d from its mean (towardUniform), for
// s = NearUniformT and s = NearUniformT/2, so max_y q*_y is within about
// NearUniformT/K of 1/K.
//
// Why an extrapolation and not one small s: the footnote is about the limit
// max q* → 1/K, where m(s) = max q*(η_s) − max η_s = a·s + b·s² + O(s³) and
// only the sign of a matters. The linearization of Ψ at u gives
// a ∝ φ'(1/K), which changes sign at γ_nu(K) = 1 + (K−1)(ln K − 2)/ln K
// (≈ 0.0293205 at K = 5, see BoundaryK). Near γ_nu the first-order term is
// tiny and the second-order one, of either sign depending on w, decides
// m(s) at any fixed s: measured at K = 5 with s = 1e-4, the sign of m(s)
// is wrong for w = e_1 − u at γ = 0.0293 (2e-5 below γ_nu) and for
// w = u − e_1 at γ = 0.02933 (1e-5 above); with s = 1e-3 the window is
// about 1e-3 wide (w = u − e_1 still gives m > 0 at γ = 0.03). A much
// smaller s runs into rounding (m is a difference of two numbers near
// 1/K). So the check returns Richardson's extrapolation
// 4·m(s/2) − m(s) = a·s + O(s³) at s = NearUniformT; measured, its sign
// is right for every direction above from γ_nu ± 5e-7 outwards, with
// margins of ±3e-14 there against a rounding error of about 1e-15.
const NearUniformT = 1e-4

var registry = []Claim{
	{
		ID: "thm3-calibration", Source: "Thm 3", Kind: Theorem, Strict: true,
		Statement: "the focal loss is classification-calibrated: the argmax of q* is an argmax of η",
		Applies:   always,
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			q, err := ev.minimizerDiffs(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			return topGap(c.Eta, q)
		},
	},
	{
		ID: "order-preserving", Source: "Thm 3 (proof, App. A.4)", Kind: Theorem, Strict: true,
		Statement: "q* is strictly order-preserving: η_i < η_j ⇒ q*_i < q*_j, and η_i = η_j ⇒ q*_i = q*_j",
		Applies:   always,
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			q, err := ev.minimizerDiffs(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			return orderMargin(c.Eta, q, ev.indices(len(c.Eta))), true, nil
		},
	},
	{
		ID: "thm5-not-proper", Source: "Thm 5", Kind: Theorem, Fixed: thm5Witness,
		Statement: "for γ > 0 the focal loss is not strictly proper: some η has q* ≠ η (witness η = (0.9, 0.1, 0, …))",
		Applies:   func(gamma float64, k int) bool { return gamma > 0 },
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			if c.Gamma == 0 {
				return 0, false, nil
			}
			// An existence statement, checked on a witness: φ^γ(0.9) <
			// φ^γ(0.1) for every γ > 0, so Ψ^γ(η_w) ≠ η_w and q*(η_w) ≠ η_w.
			// The margin is the relative distance beyond the solver's
			// accuracy (so it can be negative, and a wrong solver shows).
			// q* − η_w is O(γ): below γ ≈ 1e-13 float64 cannot resolve
			// it and the float64 margin is negative; the high-precision
			// margin is formed from the unrounded 40-digit q* and
			// resolves it down to hiprecResolution, so such a case is
			// noise, never a counterexample (and where γ is so small that
			// 40 digits cannot resolve it either, the high-precision
			// margin is within hiprecResolution of 0, far above
			// −ConfirmFloor: equality q* = η, which no finite precision
			// can show, is never "confirmed").
			k := len(c.Eta)
			if wc := &ev.witness; wc.ok && wc.k == k && wc.gamma == c.Gamma {
				return wc.value, true, nil
			}
			w := thm5Witness(k)
			d, tol, err := ev.minimizerRelDiff(w, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			v := d - tol
			ev.witness.k, ev.witness.gamma, ev.witness.value, ev.witness.ok = k, c.Gamma, v, true
			return v, true, nil
		},
	},
	{
		ID: "improper-off-sk", Source: "Thm 5 read as a statement about every η ∉ S^K", Kind: Conjecture,
		Statement: "for γ > 0 and η ∉ S^K the minimizer differs from η: q* ≠ η",
		Applies:   func(gamma float64, k int) bool { return gamma > 0 },
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			if c.Gamma == 0 || theory.InSK(c.Eta) || spread(c.Eta) <= nearSKSpread*theory.Max(c.Eta) {
				// Within nearSKSpread of S^K, q* and η differ by less
				// than float64 can resolve: no verdict either way.
				return 0, false, nil
			}
			q, err := ev.Minimize(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			// Negative when q* equals η to within the solver's accuracy:
			// it does wherever φ^γ takes one value on η's support (then
			// Ψ^γ(η) = η), for instance η = (t, (1−t)/(K−1), …) with
			// φ^γ(t) = φ^γ((1−t)/(K−1)) (docs/findings.md, Sec. 2).
			return maxRelDiff(q, c.Eta) - fixedPointTol(ev, q, c.Gamma), true, nil
		},
	},
	{
		ID: "prop6-sk", Source: "Prop 6", Kind: Theorem,
		Statement: "if q* ∈ S^K then q* = η (equivalently: η ∈ S^K gives q* = η, and η ∉ S^K gives q* ∉ S^K)",
		Applies:   always,
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			if theory.InSK(c.Eta) {
				// The exact solver returns η on S^K by construction (it
				// relies on this very statement), so the independent
				// direct minimizer is the witness here.
				q, err := ev.Direct(c.Eta, c.Gamma)
				if err != nil {
					return 0, false, err
				}
				return directTol(ev, c.Eta, c.Gamma) - maxRelDiff(q, c.Eta), true, nil
			}
			if c.Gamma == 0 || spread(c.Eta) <= nearSKSpread*theory.Max(c.Eta) {
				// γ = 0: q* = η ∉ S^K, nothing to check. Within
				// nearSKSpread of S^K, q*'s spread is below what the
				// solvers resolve: no verdict (as in improper-off-sk).
				return 0, false, nil
			}
			q, err := ev.Minimize(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			// q* ∉ S^K: some positive entry lies below the largest one
			// by more than the solver's accuracy can account for (two
			// entries, each off by fixedPointTol relative); a minimizer
			// that returned a point of S^K gives −2·fixedPointTol.
			return spread(q)/theory.Max(q) - 2*fixedPointTol(ev, q, c.Gamma), true, nil
		},
	},
	{
		ID: "thm8-order", Source: "Thm 8 (1)", Kind: Theorem, Strict: true, Fixed: uniformVec,
		Statement: "0 < τ_oc < τ_uc < 1/2 for γ > 0",
		Applies:   func(gamma float64, k int) bool { return gamma > 0 },
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			if c.Gamma == 0 {
				return 0, false, nil
			}
			return tauOrderMargin(ev, c.Gamma)
		},
	},
	{
		ID: "thm8-overconfident", Source: "Thm 8 (2)", Kind: Theorem, Strict: true,
		Statement: "for γ > 0 and q* ∉ S^K, max_y q*_y ≤ τ_oc implies q* is ηOC (max q* > max η)",
		Applies:   func(gamma float64, k int) bool { return gamma > 0 && k >= 3 },
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			return confidenceCheck(ev, c, func(mq float64) bool { return mq <= ev.TauOC(c.Gamma) }, +1)
		},
	},
	{
		ID: "thm8-underconfident", Source: "Thm 8 (3)", Kind: Theorem, Strict: true,
		Statement: "for γ > 0 and q* ∉ S^K, max_y q*_y ≥ τ_uc implies q* is ηUC (max q* < max η)",
		Applies:   func(gamma float64, k int) bool { return gamma > 0 },
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			return confidenceCheck(ev, c, func(mq float64) bool { return mq >= ev.TauUC(c.Gamma) }, -1)
		},
	},
	{
		ID: "cor9-above-half", Source: "Cor 9", Kind: Theorem, Strict: true,
		Statement: "for γ > 0 and q* ∉ S^K, max_y q*_y > 1/2 implies q* is ηUC",
		Applies:   func(gamma float64, k int) bool { return gamma > 0 },
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			return confidenceCheck(ev, c, func(mq float64) bool { return mq > 0.5 }, -1)
		},
	},
	{
		ID: "cor10-binary", Source: "Cor 10", Kind: Theorem, Strict: true,
		Statement: "for γ > 0 and K = 2, q* is ηUC unless it is uniform or one-hot",
		Applies:   func(gamma float64, k int) bool { return gamma > 0 && k == 2 },
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			if len(c.Eta) != 2 {
				return 0, false, nil
			}
			return confidenceCheck(ev, c, func(float64) bool { return true }, -1)
		},
	},
	{
		// Slow: checked on 1/slowStride of the shared cases (about 1/16
		// of the budget, see Search). Cases where numeric.Direct does not
		// converge are counted as unsolved (Result.Errors): η with
		// subnormal entries, from the random "tiny" regime, about 2 % of
		// its cases at K = 3–10; the adversarial optimizer keeps its η
		// normal for this reason (runAdversarial). A q* whose top entry
		// rounds to 1 beside other positive entries is no verdict
		// (Eval.Recovery).
		ID: "thm11-recovery", Source: "Thm 11", Kind: Theorem, Slow: true,
		Statement: "Ψ^γ recovers η from the minimizer of W: Ψ^γ(argmin_q W(q; η)) = η, with the argmin found by minimizing W directly",
		Applies:   always,
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			q, psi, ok, err := ev.Recovery(c.Eta, c.Gamma)
			if !ok || err != nil {
				return 0, false, err
			}
			// Ψ(q*) is η/Σ η: compare with that, not with η, whose sum
			// is 1 only to within K ulps.
			return recoveryTol(ev, q, c.Eta, c.Gamma) - maxRelDiff(psi, normalized(ev.scratch(len(c.Eta)), c.Eta)), true, nil
		},
	},
	{
		ID: "prop12-argmax", Source: "Prop 12", Kind: Theorem, Strict: true,
		Statement: "Ψ^γ keeps the decision rule: argmax Ψ^γ(v) = argmax v (ties stay tied)",
		Applies:   always,
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			return topGap(c.Eta, ev.Psi(c.Eta, c.Gamma))
		},
	},
	{
		ID: "gamma0-proper", Source: "Sec. 4.1 (γ = 0 is cross-entropy)", Kind: Theorem, Slow: true,
		Statement: "for γ = 0 the minimizer of W, found by minimizing W directly, is η",
		Applies:   func(gamma float64, k int) bool { return gamma == 0 },
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			if c.Gamma != 0 {
				return 0, false, nil
			}
			q, err := ev.Direct(c.Eta, 0)
			if err != nil {
				return 0, false, err
			}
			return directTol(ev, c.Eta, 0) - maxRelDiff(q, c.Eta), true, nil
		},
	},
	{
		ID: "always-underconfident", Source: "reading of Mukhoti et al., NeurIPS 2020", Kind: Conjecture,
		Statement: "the focal risk minimizer is never ηOC: max q* ≤ max η",
		Applies:   func(gamma float64, k int) bool { return gamma > 0 },
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			q, err := ev.Minimize(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			return maxNormalized(c.Eta) - theory.Max(q), true, nil
		},
	},
	{
		ID: "overconfidence-needs-five-classes", Source: "footnote 2 (read as a statement about all η)", Kind: Conjecture,
		Statement: "an ηOC minimizer needs K ≥ 5: for K ≤ 4, max q* ≤ max η",
		Applies:   func(gamma float64, k int) bool { return gamma > 0 && k < 5 },
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			if len(c.Eta) >= 5 {
				return 0, false, nil
			}
			q, err := ev.Minimize(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			return maxNormalized(c.Eta) - theory.Max(q), true, nil
		},
	},
	{
		ID: "footnote-2-threshold", Source: "footnote 2 (as written)", Kind: Conjecture, Strict: true,
		Statement: "at K = 5 and every γ ≤ 0.03, minimizers in the limit max q* → 1/K (near the uniform vector) are ηOC",
		Applies:   func(gamma float64, k int) bool { return gamma > 0 && gamma <= 0.03 && k == 5 },
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			if len(c.Eta) != 5 || !(c.Gamma > 0 && c.Gamma <= 0.03) {
				return 0, false, nil
			}
			// The first-order part of max q* − max η at displacement t
			// (see NearUniformT).
			m1, ok, err := nearUniformGap(ev, c.Eta, c.Gamma, NearUniformT)
			if !ok || err != nil {
				return 0, ok, err
			}
			m2, ok, err := nearUniformGap(ev, c.Eta, c.Gamma, NearUniformT/2)
			if !ok || err != nil {
				return 0, ok, err
			}
			return 2*m2 - m1, true, nil
		},
	},
}

func always(float64, int) bool { return true }

// thm5Witness returns thm5-not-proper's witness (0.9, 0.1, 0, …) of length k.
func thm5Witness(k int) []float64 {
	w := make([]float64, k)
	w[0], w[1] = 0.9, 0.1
	return w
}

// uniformVec returns the uniform vector of length k (the η shown for
// claims about γ only).
func uniformVec(k int) []float64 { return constVec(k, 1/float64(k)) }
