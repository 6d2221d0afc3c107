package verify

// Eval with a loss of the loss lab (Eval.Loss): the minimizer is
// numeric.LossSolver's (exact where h_g is increasing, global enumeration
// over the pieces of −g′ where it is not), or numeric.LossDirect's where
// neither applies (not separable, h_g not positive, no decreasing piece,
// or too many pieces for the enumeration at K); the independent one is
// always numeric.LossDirect; in high precision both are
// hiprec.LossMinimize's where it covers the loss (lossOracle), and
// otherwise no high-precision value exists (errNoOracle: the search then
// reports a violation as unconfirmed).

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/loss"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// The minimizers of a loss search (Report.Solver names the one used).
const (
	SolverFocalExact = "focal-exact"        // numeric.Exact (focal, focal-alpha)
	SolverExact      = "exact"              // the monotone KKT system, numeric.LossSolver
	SolverGlobal     = "global-enumeration" // every assignment of coordinates to pieces of −g′
	SolverDirect     = "direct"             // numeric.LossDirect only (BFGS on W, gradient sampling at kinks; local)
)

// maxGlobalCandidates bounds the piece assignments the search's global
// enumeration solves per case (pieces^K): 2^6,
// FLSD-53 up to K = 6; beyond, the direct minimizer is used.
const maxGlobalCandidates = 1 << 6

// errNoOracle: package hiprec has no minimizer for the loss, so a float64
// violation cannot be confirmed.
var errNoOracle = errors.New("verify: no high-precision minimizer for this loss")

// LossSolverFor returns the minimizer a search uses for l at K classes and
// why.
func LossSolverFor(l *loss.Loss, k int) (solver, why string) {
	var s *numeric.LossSolver
	var err error
	if l.Kind == loss.Separable {
		s, err = numeric.NewLossSolver(l)
	}
	return solverFor(l, s, err, k)
}

func solverFor(l *loss.Loss, s *numeric.LossSolver, err error, k int) (solver, why string) {
	switch {
	case l.Kind != loss.Separable:
		return SolverDirect, fmt.Sprintf("%s loss: the direct minimizer only (BFGS on W from (η + 1/K)/2, gradient sampling where W has a kink: a local minimizer)", l.Kind)
	case l.Focal && l.R == nil:
		return SolverFocalExact, "the focal loss: numeric.Exact (at the posterior reweighted by α for focal-alpha)"
	}
	switch {
	case err != nil:
		return SolverDirect, "h_g is not positive on (0, 1): the direct minimizer only (local)"
	case s.Monotone(k):
		return SolverExact, "h_g positive and increasing: the unique KKT solution (numeric.LossSolver)"
	case s.Pieces() == 0:
		return SolverDirect, "−g′ decreases nowhere on (0, 1): no KKT point is a per-coordinate minimum; the direct minimizer only (local)"
	case s.Candidates(k) > maxGlobalCandidates:
		return SolverDirect, fmt.Sprintf("h_g not monotone and %d pieces^K = more than %d assignments at K = %d: the direct minimizer only (local)", s.Pieces(), maxGlobalCandidates, k)
	}
	return SolverGlobal, fmt.Sprintf("h_g not monotone (g discontinuous or −g′ not decreasing): the global minimizer, by enumerating the KKT solutions over %d pieces of −g′ (%d assignments) and comparing W", s.Pieces(), s.Candidates(k))
}

// lossOracle returns hiprec.LossMinimize's name and parameter for l, or
// ok = false where package hiprec has no solver for it.
func lossOracle(l *loss.Loss) (name string, param float64, ok bool) {
	switch l.Name {
	case "ce":
		return "ce", 0, true
	case "focal":
		g, _ := l.Param("gamma")
		return "focal", g, true
	case "poly1":
		e, _ := l.Param("eps")
		return "poly1", e, true
	case "gce":
		a, _ := l.Param("q")
		return "gce", a, a > 0 && a < 1
	case "ls":
		e, _ := l.Param("eps")
		return "ls", e, true
	}
	return "", 0, false
}

// HasOracle reports whether package hiprec can confirm l's violations.
func HasOracle(l *loss.Loss) bool { _, _, ok := lossOracle(l); return ok }

func (ev *Eval) lossSolver() (*numeric.LossSolver, error) {
	if ev.ls == nil && ev.lsErr == nil {
		if ev.Loss.Kind != loss.Separable {
			ev.lsErr = fmt.Errorf("verify: loss %s is not separable", ev.Loss)
		} else {
			ev.ls, ev.lsErr = numeric.NewLossSolver(ev.Loss)
		}
	}
	return ev.ls, ev.lsErr
}

// solverKind is LossSolverFor(ev.Loss, k), remembered for the last K.
func (ev *Eval) solverKind(k int) string {
	if ev.kindK != k {
		s, err := ev.lossSolver()
		ev.kind, _ = solverFor(ev.Loss, s, err, k)
		ev.kindK = k
	}
	return ev.kind
}

// hiprecLoss returns the 40-digit minimizer of the loss, or errNoOracle.
func (ev *Eval) hiprecLoss(eta []float64) ([]*apd.Decimal, error) {
	name, p, ok := lossOracle(ev.Loss)
	if !ok {
		return nil, errNoOracle
	}
	if err := numeric.ValidateEta(eta, 0); err != nil {
		return nil, err
	}
	return hiprec.LossMinimize(name, p, eta)
}

// solveLoss is Minimize's solve for Eval.Loss.
func (ev *Eval) solveLoss(dst, eta []float64) error {
	if ev.HighPrecision {
		qd, err := ev.hiprecLoss(eta)
		if err != nil {
			return err
		}
		for i, d := range qd {
			dst[i] = hiprec.Float(d)
		}
		return nil
	}
	solver := ev.solverKind(len(eta))
	if solver == SolverDirect {
		r, err := ev.lossDirect(eta)
		if err != nil {
			return err
		}
		copy(dst, r)
		return nil
	}
	s, err := ev.lossSolver()
	if err != nil {
		return err
	}
	res, err := s.Minimize(dst, eta)
	if err == nil && res.Status != numeric.Converged {
		err = &SolverError{Solver: solver, Status: res.Status, Eta: len(eta), Gamma: math.NaN()}
	}
	return err
}

// lossDirect is numeric.LossDirect (a *SolverError unless it converged).
//
// The search runs it without the kink polish (NoKinkPolish): the polish
// costs about 10^3 BFGS runs at K = 10 on dual-focal, and a point BFGS
// leaves uncertified is an unsolved case (counted in Result.Errors), not
// a wrong one. verify minimize and the report's witnesses polish.
func (ev *Eval) lossDirect(eta []float64) ([]float64, error) {
	r, err := numeric.LossDirectWith(eta, ev.Loss, numeric.LossDirectOptions{NoKinkPolish: true})
	if err != nil {
		return nil, err
	}
	if r.Status != numeric.Converged {
		return nil, &SolverError{Solver: "direct", Status: r.Status, Eta: len(eta), Gamma: math.NaN()}
	}
	if ev.plant != nil && ev.plant.direct != nil {
		ev.plant.direct(r.Q, eta)
	}
	return r.Q, nil
}

// directLoss is Direct for Eval.Loss: numeric.LossDirect, or hiprec's
// minimizer in high precision. The slice is freshly allocated.
func (ev *Eval) directLoss(eta []float64) ([]float64, error) {
	if ev.HighPrecision {
		qd, err := ev.hiprecLoss(eta)
		if err != nil {
			return nil, err
		}
		q := make([]float64, len(qd))
		for i, d := range qd {
			q[i] = hiprec.Float(d)
		}
		return q, nil
	}
	return ev.lossDirect(eta)
}

// recoveryLoss is Recovery for Eval.Loss: the direct minimizer q and the
// KKT recovery loss.Recover(q) (Ψ_g where r = 0); ok = false as Recovery's.
func (ev *Eval) recoveryLoss(eta []float64) (q, psi []float64, ok bool, err error) {
	q, err = ev.directLoss(eta)
	if err != nil {
		return nil, nil, false, err
	}
	if theory.Max(q) == 1 {
		for _, x := range q {
			if x > 0 && x < 1 {
				return nil, nil, false, nil
			}
		}
	}
	psi = ev.Loss.Recover(make([]float64, 0, len(q)), q)
	if ev.plant != nil && ev.plant.psi != nil {
		ev.plant.psi(psi, q)
	}
	return q, psi, true, nil
}

// lossDirectTol is the componentwise relative accuracy of
// numeric.LossDirect's minimizer: its BFGS stops at a gradient spread of
// LossDirectAccept = 1e-7 (about √ε in q, from W's resolution), and a
// spread δ in ∂W/∂q moves q_j by δ/(q_j ∂²W/∂q_j²) relative, of order δ for
// the built-in losses; 1e-5 leaves a factor 100 for their conditioning.
const lossDirectTol = 1e-5

// lossTol is the componentwise relative accuracy of Eval.Minimize at q in
// loss mode: hiprecTol in high precision; lossDirectTol for the direct
// minimizer; for the focal loss fixedPointTol; otherwise 64 ulps times
// (1 + κ)(1 + L/8), κ = max_j |g′(q_j)/(q_j g″(q_j))| the amplification
// of F_j's rounding into q_j (1 + ε q for Poly-1, 1/(1 − A) for GCE) and
// L = max_j |log q_j| for the ulps math.Pow loses (numeric's gceTol
// measures one per unit).
func lossTol(ev *Eval, q []float64) float64 {
	if ev.HighPrecision {
		return hiprecTol
	}
	l := ev.Loss
	switch ev.solverKind(len(q)) {
	case SolverDirect:
		return lossDirectTol
	case SolverFocalExact:
		return fixedPointTol(ev, q, l.Gamma)
	}
	kappa, logs := 1.0, 0.0
	for _, x := range q {
		if x > 0 && x < 1 {
			if l.DDG != nil {
				if c := math.Abs(l.DG(x) / (x * l.DDG(x))); c < math.Inf(1) {
					kappa = math.Max(kappa, c)
				}
			}
			logs = math.Max(logs, math.Abs(math.Log(x)))
		}
	}
	return 64 * 0x1p-52 * (1 + kappa) * (1 + logs/8)
}

// decDiff returns d_a − d_b formed from the unrounded decimals and
// rounded once (the subtraction at 2000 digits is exact for hiprec's
// results: their exponents differ by less than float64's range).
func decDiff(da, db *apd.Decimal) float64 {
	var r apd.Decimal
	if _, err := decCtx.Sub(&r, da, db); err != nil {
		return math.NaN()
	}
	return hiprec.Float(&r)
}

var decCtx = apd.BaseContext.WithPrecision(2000)

// lossOrderHP is orderMargin and topGap in high precision for a loss
// search: from hiprec's unrounded minimizer, each difference of entries
// formed in decimal arithmetic (decDiff), so that label smoothing's
// q = (1−ε)η + ε/K keeps the order of η = (1e-300, 2e-300, …), which no
// float64 q can. ok is topGap's.
func (ev *Eval) lossOrderHP(eta []float64, top bool) (float64, bool, error) {
	qd, err := ev.hiprecLoss(eta)
	if err != nil {
		return 0, false, err
	}
	if top {
		mx := theory.Max(eta)
		lo, hi, out := -1, -1, -1
		for i, r := range eta {
			switch {
			case r == mx:
				if lo < 0 || qd[i].Cmp(qd[lo]) < 0 {
					lo = i
				}
				if hi < 0 || qd[i].Cmp(qd[hi]) > 0 {
					hi = i
				}
			default:
				if out < 0 || qd[i].Cmp(qd[out]) > 0 {
					out = i
				}
			}
		}
		if qd[lo].Cmp(qd[hi]) != 0 {
			return decDiff(qd[lo], qd[hi]), true, nil
		}
		if out < 0 {
			return 0, false, nil
		}
		return decDiff(qd[lo], qd[out]), true, nil
	}
	idx := ev.indices(len(eta))
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case eta[a] < eta[b]:
			return -1
		case eta[a] > eta[b]:
			return 1
		}
		return a - b
	})
	margin, tie := math.Inf(1), 0.0
	for k := 1; k < len(idx); k++ {
		i, j := idx[k-1], idx[k]
		d := decDiff(qd[j], qd[i])
		if eta[i] == eta[j] {
			tie = math.Max(tie, math.Abs(d))
			continue
		}
		margin = math.Min(margin, d)
	}
	if tie > 0 {
		return math.Min(-tie, margin), true, nil
	}
	return margin, true, nil
}
