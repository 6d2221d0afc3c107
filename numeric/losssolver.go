package numeric

// LossSolver: LossExact's solver with the loss's analysis done once and
// the buffers reused, for callers that solve many η for one loss (the
// search of package verify). The methods are in lossexact.go's doc; the
// joint iteration is in lossjoint.go, the nested solver in lossnested.go.

import (
	"fmt"
	"math"

	"github.com/focaltk/focal/loss"
)

// LossSolver solves W(q; η) → min for one separable loss. It is not safe
// for concurrent use; use one per goroutine.
type LossSolver struct {
	l      *loss.Loss
	plan   *lossPlan // nil for the focal loss, which needs no analysis
	focal  bool      // the focal loss or focal-alpha: ExactSolver
	dec    []loss.Piece
	exact  ExactSolver
	newton bool // g″ (and r″ where r ≠ 0) known: Newton slopes on both levels

	// The nested solver's state (lossnested.go).
	a        []float64
	lo, hi   []float64
	q        []float64
	held     []bool
	flo, fhi []float64 // F_j at the ends of the coordinate's piece
	el       []float64 // elasticity at the last inner iterate
	tPrev    float64   // log λ of the last fill
	atOne    int       // coordinates at 1 in the last fill

	best     []float64
	reweight []float64
	joint    jointBuf
	noJoint  bool // tests: the nested solver only
}

// wholePiece is the one piece of a monotone loss.
var wholePiece = []loss.Piece{{Lo: 0, Hi: 1, Decreasing: true}}

// NewLossSolver analyses a separable loss (loss.Analyze, once per loss)
// for LossSolver's methods. It returns an error for a loss that is not
// separable, or whose −g′ is not positive on (0, 1) (h_g undefined: use
// LossDirect).
func NewLossSolver(l *loss.Loss) (*LossSolver, error) {
	s := new(LossSolver)
	if err := s.bind(l); err != nil {
		return nil, err
	}
	return s, nil
}

// bind makes s a solver for l (NewLossSolver's checks), keeping its
// buffers.
func (s *LossSolver) bind(l *loss.Loss) error {
	if l.Kind != loss.Separable {
		return fmt.Errorf("numeric: loss %s is %s: only the direct minimizer applies", l, l.Kind)
	}
	s.l = l
	s.focal = l.Focal && l.R == nil
	s.newton = l.DDG != nil && (l.R == nil || l.DDR != nil)
	if s.focal {
		s.plan, s.dec = nil, wholePiece
		return nil
	}
	s.plan = planFor(l)
	if f := s.plan.facts; !f.HPositive {
		s.l = nil
		return fmt.Errorf("numeric: loss %s: −g′ is not positive at u = %v (h_g undefined there): use LossDirect", l, f.Where)
	}
	s.dec = s.plan.dec
	if s.plan.facts.HIncreasing {
		s.dec = wholePiece
	}
	return nil
}

// unbind drops the loss (LossExact, before the solver goes back to the
// pool, so that the pool does not keep the loss alive).
func (s *LossSolver) unbind() { s.l, s.plan = nil, nil }

// Monotone reports whether h_g is increasing and −r′(·; k) not increasing,
// so that the KKT solution at K = k is unique and Minimize solves it
// directly.
func (s *LossSolver) Monotone(k int) bool {
	return s.focal || s.plan.facts.HIncreasing && s.plan.rMonotone(s.l, k)
}

// Pieces returns the number of decreasing pieces of −g′ the enumeration
// uses (1 when h_g is increasing; 0 when there is none, and Minimize then
// fails unless the loss is monotone).
func (s *LossSolver) Pieces() int { return len(s.dec) }

// Candidates returns the number of piece assignments Minimize enumerates
// at K classes (1 for a monotone loss; pieces^K, saturated at
// MaxLossCandidates+1).
func (s *LossSolver) Candidates(k int) int {
	if s.Monotone(k) {
		return 1
	}
	total := 1
	for range k {
		total *= len(s.dec)
		if total > MaxLossCandidates {
			return MaxLossCandidates + 1
		}
	}
	return total
}

// Minimize writes the minimizer of W(q; η) into dst (length K) and
// returns the result, whose Q is dst. For the focal loss (and focal-alpha,
// at the reweighted posterior) it is ExactSolver's; for a monotone loss
// the unique KKT solution; otherwise the assignment of least W over every
// assignment of coordinates to decreasing pieces of −g′ (Method
// LossEnumerated; AtPieceEnd lists coordinates held at a piece's end).
// Errors: an *InputError for bad η, an error when the enumeration would
// exceed MaxLossCandidates or no assignment sums to 1.
func (s *LossSolver) Minimize(dst, eta []float64) (LossResult, error) {
	if err := ValidateEta(eta, 0); err != nil {
		return LossResult{}, err
	}
	l := s.l
	if err := l.Validate(len(eta)); err != nil {
		return LossResult{}, err
	}
	k := len(eta)
	dst = dst[:k]
	if s.focal {
		return s.minimizeFocal(dst, eta)
	}
	s.prepare(eta)
	if s.Monotone(k) {
		it, ok := s.solveMonotone(dst, eta)
		if !ok {
			return LossResult{}, fmt.Errorf("numeric: loss %s: the KKT system has no solution summing to 1", l)
		}
		res := LossResult{Method: LossMonotone}
		res.Q, res.Iterations, res.Status = dst, it, Converged
		res.Risk, res.Residual = l.Risk(dst, eta), s.residual(dst, eta, nil)
		return res, nil
	}
	return s.enumerate(dst, eta)
}

// minimizeFocal is Minimize for the focal loss and focal-alpha
// (ExactSolver at η_j w_j / Σ_l η_l w_l; W at η).
func (s *LossSolver) minimizeFocal(dst, eta []float64) (LossResult, error) {
	l, e := s.l, eta
	if l.Weights != nil {
		s.reweight = growF(s.reweight, len(eta))
		e = s.reweight
		var sum float64
		for i := range eta {
			e[i] = eta[i] * l.Weights[i]
			sum += e[i]
		}
		for i := range e {
			e[i] /= sum
		}
	}
	r, err := s.exact.Minimize(dst, e, l.Gamma)
	if err != nil {
		return LossResult{}, err
	}
	if l.Weights != nil {
		r.Risk = l.Risk(dst, eta)
	}
	return LossResult{Result: r, Method: LossFocalExact}, nil
}

// solveMonotone fills dst with the unique KKT point: the joint iteration
// from η, and where it does not converge the nested solver. It returns the
// steps taken and false when neither finds a point summing to 1. (A warm
// start from the previous solve's q, for an optimizer's sequence of nearby
// η, was measured to make no difference to the search's checks/s: the
// joint iteration converges in a few steps from η. Without it each result
// depends on η alone.)
func (s *LossSolver) solveMonotone(dst, eta []float64) (int, bool) {
	steps := 0
	if !s.noJoint {
		it, ok := s.solveJoint(dst, eta)
		if ok {
			return it, true
		}
		steps = it
	}
	for j := range eta {
		s.lo[j], s.hi[j] = 0, 1
	}
	sum, it, ok := s.solve(eta)
	if !ok {
		return steps + it, false
	}
	s.normalize(dst, sum)
	return steps + it, true
}

// enumerate is Minimize's global case: every assignment of coordinates to
// decreasing pieces of −g′, the one of least W kept.
func (s *LossSolver) enumerate(dst, eta []float64) (LossResult, error) {
	l, k := s.l, len(eta)
	if len(s.dec) == 0 {
		return LossResult{}, fmt.Errorf("numeric: loss %s: −g′ decreases on no piece of (0, 1): no KKT point has a local minimum per coordinate; use LossDirect", l)
	}
	total := s.Candidates(k)
	if total > MaxLossCandidates {
		return LossResult{}, fmt.Errorf("numeric: loss %s: %d monotone pieces for K = %d exceed %d assignments", l, len(s.dec), k, MaxLossCandidates)
	}
	s.best = growF(s.best, k)
	bestW := math.Inf(1)
	var res LossResult
	iters := 0
	for c := range total {
		s.assign(c)
		sum, it, ok := s.solve(eta)
		iters += it
		if !ok {
			continue
		}
		s.normalize(dst, sum)
		if w := l.Risk(dst, eta); w < bestW {
			bestW = w
			copy(s.best, dst)
			res.AtPieceEnd = res.AtPieceEnd[:0]
			for j := range s.held {
				// A coordinate at a flat piece's end (a piece of one
				// point) is a minimizer's value, attained: not listed.
				if s.held[j] && s.active(eta, j) && s.lo[j] < s.hi[j] {
					res.AtPieceEnd = append(res.AtPieceEnd, j)
				}
			}
		}
	}
	if math.IsInf(bestW, 1) {
		return LossResult{}, fmt.Errorf("numeric: loss %s: no KKT assignment satisfies the sum constraint", l)
	}
	copy(dst, s.best)
	res.Q, res.Risk, res.Iterations, res.Status = dst, bestW, iters, Converged
	res.Method, res.Candidates = LossEnumerated, total
	res.Residual = s.residual(dst, eta, res.AtPieceEnd)
	if n := s.plan.skipped; n > 0 {
		res.Note = fmt.Sprintf("%d piece(s) where h_g decreases were not enumerated", n)
	}
	return res, nil
}

// Stationary returns every KKT point of W(·; η) on the open simplex: the
// solutions of F_j(q_j) = λ, Σ q = 1 with every active coordinate strictly
// inside one decreasing piece of −g′ (one point per assignment of
// coordinates to pieces that has one). For FLSD-53 these are the points
// where the training gradient, with γ chosen per sample from q_y and then
// held constant, vanishes. Errors as Minimize's; the focal loss has the
// one point Minimize returns.
func (s *LossSolver) Stationary(eta []float64) ([][]float64, error) {
	if err := ValidateEta(eta, 0); err != nil {
		return nil, err
	}
	if err := s.l.Validate(len(eta)); err != nil {
		return nil, err
	}
	k := len(eta)
	if s.Monotone(k) {
		q := make([]float64, k)
		if _, err := s.Minimize(q, eta); err != nil {
			return nil, err
		}
		return [][]float64{q}, nil
	}
	total := s.Candidates(k)
	if len(s.dec) == 0 || total > MaxLossCandidates {
		return nil, fmt.Errorf("numeric: loss %s: %d decreasing pieces for K = %d: cannot enumerate", s.l, len(s.dec), k)
	}
	s.prepare(eta)
	var out [][]float64
	for c := range total {
		s.assign(c)
		sum, _, ok := s.solve(eta)
		if !ok {
			continue
		}
		interior := true
		for j := range s.held {
			if s.held[j] && s.active(eta, j) {
				interior = false
			}
		}
		if interior {
			out = append(out, s.normalize(make([]float64, k), sum))
		}
	}
	return out, nil
}

// residual is LossResult's Residual at q: max_j |F_j(q_j)/λ̄ − 1| over the
// coordinates strictly inside (0, 1) and not in skip, λ̄ their mean F.
func (s *LossSolver) residual(q, eta []float64, skip []int) float64 {
	k := len(q)
	inside := func(j int) bool {
		if !(q[j] > 0 && q[j] < 1) {
			return false
		}
		for _, i := range skip {
			if i == j {
				return false
			}
		}
		return true
	}
	var fsum float64
	n := 0
	for j := range q {
		if inside(j) {
			fsum += s.f(j, k, q[j])
			n++
		}
	}
	res := 0.0
	if n > 0 {
		lam := fsum / float64(n)
		for j := range q {
			if inside(j) {
				res = math.Max(res, math.Abs(s.f(j, k, q[j])/lam-1))
			}
		}
	}
	return res
}

// prepare sizes the buffers for K = len(eta) and sets a_j = η_j w_j.
func (s *LossSolver) prepare(eta []float64) {
	k := len(eta)
	s.a, s.lo, s.hi, s.q = growF(s.a, k), growF(s.lo, k), growF(s.hi, k), growF(s.q, k)
	s.flo, s.fhi, s.el = growF(s.flo, k), growF(s.fhi, k), growF(s.el, k)
	if cap(s.held) < k {
		s.held = make([]bool, k)
	}
	s.held = s.held[:k]
	for j, e := range eta {
		w := 1.0
		if s.l.Weights != nil {
			w = s.l.Weights[j]
		}
		s.a[j] = e * w
	}
}

// assign confines coordinate j to piece (c / pieces^j) mod pieces.
func (s *LossSolver) assign(c int) {
	n := len(s.dec)
	for j := range s.lo {
		p := s.dec[c%n]
		c /= n
		s.lo[j], s.hi[j] = p.Lo, p.Hi
	}
}

// active reports whether coordinate j takes part in W: η_j > 0, or every
// coordinate where the loss has an r term.
func (s *LossSolver) active(eta []float64, j int) bool { return eta[j] > 0 || s.l.DR != nil }

// f is F_j(u) (prepare sets a_j). Where the loss has h_g in closed form
// and no r, it is η_j w_j / h_g(u): at a subnormal u, −g′ = 1/u overflows
// while h_g(u) = u does not.
func (s *LossSolver) f(j, k int, u float64) float64 {
	v := 0.0
	if s.a[j] != 0 {
		if s.l.H != nil && s.l.R == nil {
			return s.a[j] / s.l.H(u)
		}
		v = -s.a[j] * s.l.DG(u)
	}
	if s.l.DR != nil {
		v -= s.l.DR(u, k)
	}
	return v
}

// elasticity is u F_j′(u)/F_j(u): u g″(u)/g′(u) where r = 0, and
// u(a_j g″ + r″)/(a_j g′ + r′) otherwise (prepare sets a_j); NaN where it
// cannot be evaluated (g′ overflows at a subnormal u).
func (s *LossSolver) elasticity(j, k int, u float64) float64 {
	l := s.l
	if l.R == nil {
		return u * l.DDG(u) / l.DG(u)
	}
	a := s.a[j]
	return u * (a*l.DDG(u) + l.DDR(u, k)) / (a*l.DG(u) + l.DR(u, k))
}

func growF(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
