package numeric

// The exact minimizer for any separable loss of package loss: LossExact,
// and LossSolver (losssolver.go) for callers that solve many η for one
// loss. Both are one solver: LossExact binds a pooled LossSolver to the
// loss and calls its Minimize.
//
// KKT. For ℓ(q, y) = w_y g(q_y) + Σ_j r(q_j), W(q; η) = Σ_j [η_j w_j g(q_j)
// + r(q_j)], and on the open simplex ∂W/∂q_j = −λ' for all j, i.e.
//
//	F_j(q_j) = λ,  F_j(u) = η_j w_j (−g′(u)) − r′(u),  Σ_j q_j = 1.
//
// The focal loss (and focal-alpha, at the reweighted posterior) goes to
// ExactSolver, bit for bit.
//
// Monotone case (h_g increasing: −g′ decreasing; −r′ not increasing).
// Each F_j is decreasing, so q_j(λ) is unique and Σ_j q_j(λ) decreases in
// λ: the KKT point is unique. It is found by the joint Newton iteration on
// the whole system (lossjoint.go), and where that does not converge by
// the nested solver (lossnested.go: a scalar root in log λ around a
// safeguarded root per coordinate), which always does.
//
// Otherwise (h_g not monotone or g discontinuous: loss.Analyze's Pieces)
// the KKT system can have several solutions. On each piece where −g′
// decreases a coordinate has at most one root; the nested solver runs with
// each coordinate confined to one such piece (held at the piece's end
// where λ is outside F_j's range there: at a jump this is the limit point
// of an infimum that is not attained), for every assignment of coordinates
// to pieces, and the assignment of least W is the result. Pieces where −g′
// increases are not enumerated (no coordinate but at most one can have a
// local minimum there with the others free), and the result says so.

import (
	"fmt"
	"runtime"
	"sync"
	"weak"

	"github.com/focaltk/focal/loss"
)

// LossMethod says how LossExact found its result.
type LossMethod int

const (
	// LossFocalExact: the focal loss (or focal-alpha, at the reweighted
	// posterior), by Exact.
	LossFocalExact LossMethod = iota
	// LossMonotone: the unique KKT point (h_g increasing).
	LossMonotone
	// LossEnumerated: global minimization over the per-coordinate KKT
	// solutions on the monotone pieces of −g′ (h_g not monotone or g
	// discontinuous).
	LossEnumerated
)

func (m LossMethod) String() string {
	switch m {
	case LossFocalExact:
		return "focal-exact"
	case LossMonotone:
		return "monotone-kkt"
	case LossEnumerated:
		return "global-enumeration"
	}
	return fmt.Sprintf("LossMethod(%d)", int(m))
}

// LossResult is LossExact's result. Residual is the KKT residual
// max_j |F_j(q_j)/λ̄ − 1| over the coordinates strictly inside (0, 1) and
// not held at a piece's end, λ̄ their mean F (ExactSolver's own residual
// for the focal loss).
type LossResult struct {
	Result
	Method LossMethod
	// Candidates is the number of KKT assignments compared (LossEnumerated).
	Candidates int
	// AtPieceEnd lists the coordinates held at the end of their piece in
	// the returned point (LossEnumerated): there the KKT equation does not
	// hold, and at a jump of g the infimum is approached, not attained.
	AtPieceEnd []int
	// Note says what the enumeration left out, if anything.
	Note string
}

// MaxLossCandidates bounds the number of piece assignments LossExact
// enumerates (pieces^K).
const MaxLossCandidates = 1 << 16

// lossSolvers holds LossExact's solvers between calls (their buffers; the
// loss is unbound before a solver goes back).
var lossSolvers = sync.Pool{New: func() any { return new(LossSolver) }}

// LossExact returns the minimizer of W(q; η) over the simplex for a
// separable loss (LossSolver.Minimize on a pooled solver; safe for
// concurrent use). Errors: an *InputError for bad η, and an error for a
// loss that is not separable (use LossDirect), whose h_g is not positive,
// or whose enumeration would exceed MaxLossCandidates.
func LossExact(eta []float64, l *loss.Loss) (LossResult, error) {
	if err := ValidateEta(eta, 0); err != nil {
		return LossResult{}, err
	}
	s := lossSolvers.Get().(*LossSolver)
	defer lossSolvers.Put(s)
	defer s.unbind()
	if err := s.bind(l); err != nil {
		return LossResult{}, err
	}
	return s.Minimize(make([]float64, len(eta)), eta)
}

// lossPlan is what the solver derives from a loss once: loss.Analyze's
// facts, the decreasing pieces of −g′ (extended to 0 and 1), and, per K,
// whether −r′ does not increase (the r term's share of the monotone case).
type lossPlan struct {
	facts   loss.Facts
	dec     []loss.Piece
	skipped int      // pieces where −g′ increases (not enumerated)
	rMono   sync.Map // int K → bool
}

// enumPieces returns the pieces the enumeration confines coordinates to:
// each piece where −g′ decreases, the first and last extended to 0 and 1;
// a flat piece as its two ends, each a piece of one point (W is linear in
// a coordinate there, so a minimizer's coordinate is at an end: MAE's
// minimizers are vertices); and the number of pieces left out (where −g′
// increases).
func enumPieces(pieces []loss.Piece) (dec []loss.Piece, skipped int) {
	grid := loss.Grid(nil)
	for _, pc := range pieces {
		if pc.Lo == grid[0] {
			pc.Lo = 0
		}
		if pc.Hi == grid[len(grid)-1] {
			pc.Hi = 1
		}
		switch {
		case pc.Flat:
			dec = append(dec, loss.Piece{Lo: pc.Lo, Hi: pc.Lo, Decreasing: true}, loss.Piece{Lo: pc.Hi, Hi: pc.Hi, Decreasing: true})
		case pc.Decreasing:
			dec = append(dec, pc)
		default:
			skipped++
		}
	}
	return dec, skipped
}

// lossPlans caches each live loss's plan, keyed by a weak pointer so that
// a loss that is no longer used is collected and its entry removed. A Loss
// must not be changed after it was first given to a solver.
var lossPlans sync.Map // weak.Pointer[loss.Loss] → *lossPlan

func planFor(l *loss.Loss) *lossPlan {
	key := weak.Make(l)
	if p, ok := lossPlans.Load(key); ok {
		return p.(*lossPlan)
	}
	p := &lossPlan{facts: loss.Analyze(l)}
	p.dec, p.skipped = enumPieces(p.facts.Pieces)
	if q, loaded := lossPlans.LoadOrStore(key, p); loaded {
		return q.(*lossPlan)
	}
	runtime.AddCleanup(l, func(k weak.Pointer[loss.Loss]) { lossPlans.Delete(k) }, key)
	return p
}

// rMonotone reports whether −r′(·; k) does not increase on loss.Grid (true
// without r).
func (p *lossPlan) rMonotone(l *loss.Loss, k int) bool {
	if l.DR == nil {
		return true
	}
	if v, ok := p.rMono.Load(k); ok {
		return v.(bool)
	}
	mono := true
	grid := loss.Grid(nil)
	for i := 1; i < len(grid); i++ {
		if -l.DR(grid[i], k) > -l.DR(grid[i-1], k) {
			mono = false
			break
		}
	}
	p.rMono.Store(k, mono)
	return mono
}
