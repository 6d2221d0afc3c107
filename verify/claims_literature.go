package verify

// Claims from the literature about the losses of the loss lab, registered
// as conjectures (Kind Conjecture at every loss) and searched like the
// others (Options.Loss). Expectations (Expect) say what is derived or
// proved elsewhere.

import (
	"math"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/loss"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// mukhotiRel is the rounding slack of mukhoti-bound's margin, relative to
// the size of its two terms: each is a product of a logarithm and an
// expm1 or a sum of K products, good to a few ulps; 1e-14 is ~50 ulps.
const mukhotiRel = 1e-14

// stationaryMatch is how close the posterior recovered in high precision
// from a float64 stationary point must be to the case's η for the point's
// high-precision margin to count (the float64 solves are good to ~1e-15;
// a point that is not near-stationary for η is no witness).
const stationaryMatch = 1e-12

var literatureClaims = []lossClaim{
	{Claim: Claim{ID: "mukhoti-bound", Source: "Mukhoti et al. 2020, Sec. 4 (their proof assumes γ ≥ 1; docs/certificates/mukhoti.json certifies every γ ≥ 0)",
		Statement: "the focal loss bounds KL minus γ times the prediction's entropy: −(1−p_y)^γ log p_y ≥ −log p_y − γ H(p) for every p and y, also for γ < 1 (checked on p = the case vector, every y with p_y > 0)",
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			if ev.HighPrecision {
				return 0, false, errNoOracle
			}
			g := param(ev.Loss, "gamma")
			p := normalized(ev.scratch(len(c.Eta)), c.Eta)
			var h float64
			for _, x := range p {
				if x > 0 {
					h -= x * math.Log(x)
				}
			}
			m := math.Inf(1)
			for _, x := range p {
				if x > 0 && x < 1 {
					// L_FL − (−log p_y) + γH = γH − log(1/p_y)·(1 − (1−p_y)^γ).
					a := -math.Log(x) * -math.Expm1(g*math.Log1p(-x))
					m = math.Min(m, g*h-a+mukhotiRel*(g*h+a)+0x1p-1022) // below the least normal number float64 resolves nothing
				}
			}
			if math.IsInf(m, 1) {
				return 0, false, nil
			}
			return m, true, nil
		}},
		literature: true,
		appliesTo:  func(l *loss.Loss) bool { return l.Focal && l.Weights == nil }},
	{Claim: Claim{ID: "raises-entropy", Source: "Mukhoti et al. 2020, Sec. 4; Ghosh et al. 2022 (AdaFocal), Sec. 3: the focal loss regularizes (raises) the entropy of the prediction",
		Statement: "the minimizer is at least as uncertain as the posterior: H(q*) ≥ H(η)",
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			q, err := ev.Minimize(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			hq, he := entropy(q), entropy(normalized(ev.scratch(len(c.Eta)), c.Eta))
			// An entry off by a relative δ moves H by δ·q_j(1 + |log q_j|):
			// at most δ(1 + H + …); 2δ(1 + H(q)) with δ = lossTol.
			return hq - he + 2*lossTol(ev, q)*(1+hq), true, nil
		}},
		literature: true, appliesTo: hasMinimizer},
	{Claim: Claim{ID: "flsd53-stationary-argmax", Source: "Mukhoti et al. 2020, Sec. 5 (FLSD-53 is calibrated), as it trains: γ chosen per sample from q_y, then held constant in the gradient",
		Statement: "at every stationary point of FLSD-53's training gradient (η_j φ^{γ(q_j)}(q_j)/q_j equal for all j: every KKT solution on both branches), the argmax of q is an argmax of η",
		Strict:    true,
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			return stationaryArgmax(ev, c.Eta)
		}},
		literature: true,
		appliesTo:  func(l *loss.Loss) bool { return l.Name == "flsd53" },
		applies: func(l *loss.Loss, k int) bool {
			s, err := LossSolverOf(l)
			return err == nil && s.Candidates(k) <= maxGlobalCandidates
		}},
	{Claim: Claim{ID: "poly1-raises-confidence", Source: "Leng et al. 2022 (PolyLoss), Sec. 4: a positive ε raises the prediction confidence",
		Statement: "the minimizer with ε is at least as confident as with ε = 0: max q*(ε) ≥ max q*(0) (for poly1, q*(0) = η)",
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			q, err := ev.Minimize(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			mq := theory.Max(q)
			be := ev.baseEval()
			q0, err := be.Minimize(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			return mq - theory.Max(q0) + confTol(ev, q) + confTol(be, q0), true, nil
		}},
		literature: true,
		appliesTo:  func(l *loss.Loss) bool { return (l.Name == "poly1" || l.Name == "poly-focal") && param(l, "eps") > 0 }},
}

// literatureExpect is Expect for the claims above.
func literatureExpect(l *loss.Loss, id string) (Expectation, bool) {
	e := Expectation{ID: id, Expected: ExpectUnknown, Why: "not derived: the search decides"}
	switch id {
	case "mukhoti-bound":
		e.Expected, e.Why = ExpectHolds, "certified for every γ ≥ 0 and K (docs/certificates/mukhoti.json, docs/proofs.md Lemma MK)"
	case "raises-entropy":
		switch {
		case l.Name == "ce" || l.Name == "brier" || l.Name == "focal" && param(l, "gamma") == 0:
			e.Expected, e.Why = ExpectHolds, "q* = η"
		case l.Name == "ls":
			e.Expected, e.Why = ExpectHolds, "q* = (1−ε)η + ε u mixes η with the uniform u, and H is concave: H(q*) ≥ (1−ε)H(η) + ε log K ≥ H(η)"
		case l.Name == "poly1" && param(l, "eps") > 0, l.Name == "gce" && param(l, "q") < 1:
			e.Why = "q* is ηOC (h_g(v)/v decreasing) but that does not fix the order of the entropies"
		}
	case "flsd53-stationary-argmax":
		e.Expected = ExpectFails
		e.Why = "−g′ = φ^{γ(u)}(u)/u jumps up at 0.2 (h drops from 0.2026 to 0.1770), so η_i ∝ h^5(q_i) > η_j ∝ h^3(q_j) with q_i < 0.2 ≤ q_j < v′ ≈ 0.22 (h^3(v′) = h^5(0.2⁻)): a stationary point whose argmax (q_j) is not η's, e.g. q = (0.199, 0.201, 0.2, 0.2, 0.2); every entry then lies below v′, so this needs K ≥ 5 (holds at K ≤ 4)"
	case "poly1-raises-confidence":
		if l.Name == "poly1" {
			e.Expected, e.Why = ExpectHolds, "h_g(v)/v = 1/(1+εv) strictly decreasing: max q* ≥ max η (claims_loss.go)"
		}
	}
	return e, true
}

// LossSolverOf is numeric.NewLossSolver for a separable loss (an error
// otherwise).
func LossSolverOf(l *loss.Loss) (*numeric.LossSolver, error) {
	ev := &Eval{Loss: l}
	return ev.lossSolver()
}

func entropy(q []float64) float64 {
	var h float64
	for _, x := range q {
		if x > 0 {
			h -= x * math.Log(x)
		}
	}
	return h
}

// baseEval returns an Eval of the same precision for the loss at ε = 0
// (poly1 → ce, poly-focal → focal at the same γ).
func (ev *Eval) baseEval() *Eval {
	if ev.base == nil {
		var l *loss.Loss
		if ev.Loss.Name == "poly1" {
			l, _ = loss.Parse("ce")
		} else {
			l, _ = loss.Parse("focal:gamma=" + ftoa(param(ev.Loss, "gamma")))
		}
		ev.base = &Eval{Loss: l, HighPrecision: ev.HighPrecision}
	}
	return ev.base
}

// stationaryArgmax is flsd53-stationary-argmax's margin: the least topGap
// over the stationary points (numeric.LossSolver.Stationary); ok = false
// when there is none. In high precision each float64 stationary point q
// is re-judged against η′ = the posterior for which q is exactly
// stationary, computed from hiprec.LogH at each entry's own γ: the margin
// is topGap(η′, q), counted only where η′ is within stationaryMatch of η.
func stationaryArgmax(ev *Eval, eta []float64) (float64, bool, error) {
	s, err := ev.lossSolver()
	if err != nil {
		return 0, false, err
	}
	pts, err := s.Stationary(eta)
	if err != nil {
		return 0, false, err
	}
	m, any := math.Inf(1), false
	ref := normalized(ev.scratch(len(eta)), eta)
	for _, q := range pts {
		target := ref
		if ev.HighPrecision {
			target = make([]float64, len(q))
			lh := make([]float64, len(q))
			top := math.Inf(-1)
			for j, x := range q {
				lh[j] = hiprec.Float(hiprec.LogH(x, flsdGamma(x)))
				if eta[j] == 0 {
					lh[j] = math.Inf(-1)
				}
				top = math.Max(top, lh[j])
			}
			var sum float64
			for j := range lh {
				target[j] = math.Exp(lh[j] - top)
				sum += target[j]
			}
			for j := range target {
				target[j] /= sum
			}
			if maxRelDiff(target, ref) > stationaryMatch {
				continue
			}
		}
		g, ok, _ := topGap(target, q)
		if ok {
			m, any = math.Min(m, g), true
		}
	}
	return m, any, nil
}

// flsdGamma is FLSD-53's γ at a target probability (loss/builtin.go).
func flsdGamma(u float64) float64 {
	if u < 0.2 {
		return 5
	}
	return 3
}
