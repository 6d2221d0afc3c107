package numeric

// The exact minimizer for any separable loss of package loss.
//
// KKT. For ℓ(q, y) = w_y g(q_y) + Σ_j r(q_j), W(q; η) = Σ_j [η_j w_j g(q_j)
// + r(q_j)], and on the open simplex ∂W/∂q_j = −λ' for all j, i.e.
//
//	F_j(q_j) = λ,  F_j(u) = η_j w_j (−g′(u)) − r′(u),  Σ_j q_j = 1.
//
// Monotone case (h_g increasing: −g′ decreasing; −r′ decreasing too).
// Each F_j is decreasing, so q_j(λ) is unique and Σ_j q_j(λ) decreases in
// λ: one scalar root. Both levels are safeguarded Newton iterations on
// logarithms, with secant slopes (no g″ needed) and bisection of bit
// patterns as the fallback (lossmonotone.go); the analysis of the loss is
// derived once per loss and cached.
//
// Otherwise (h_g not monotone or g discontinuous: loss.Analyze's Pieces)
// the KKT system can have several solutions. On each piece where −g′
// decreases a coordinate has at most one root; LossExact enumerates every
// assignment of coordinates to such pieces, solves the sum constraint for
// each (a coordinate whose root would leave its piece is held at the
// piece's end: at a jump this is the limit point of an infimum that is
// not attained), and keeps the assignment of least W. Pieces where −g′
// increases hold no local minimizer of a coordinate with the others
// free... except for at most one coordinate; those are not enumerated,
// and the result says so.

import (
	"fmt"
	"math"

	"github.com/focaltk/focal/loss"
)

// LossMethod says how LossExact found its result.
type LossMethod int

const (
	// LossFocalExact: the focal loss (or focal-alpha, at the reweighted
	// posterior), by Exact.
	LossFocalExact LossMethod = iota
	// LossMonotone: one root for λ, one per coordinate (h_g increasing).
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

// LossResult is LossExact's result.
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

// LossExact returns the minimizer of W(q; η) over the simplex for a
// separable loss. Errors: an *InputError for bad η, and an error for a
// loss that is not separable (use LossDirect), whose h_g is not positive,
// or whose enumeration would exceed MaxLossCandidates.
func LossExact(eta []float64, l *loss.Loss) (LossResult, error) {
	if err := ValidateEta(eta, 0); err != nil {
		return LossResult{}, err
	}
	if l.Kind != loss.Separable {
		return LossResult{}, fmt.Errorf("numeric: loss %s is %s: only the direct minimizer applies", l, l.Kind)
	}
	if err := l.Validate(len(eta)); err != nil {
		return LossResult{}, err
	}
	if l.Focal && l.R == nil {
		e := eta
		if l.Weights != nil {
			e = make([]float64, len(eta))
			var s float64
			for i := range eta {
				e[i] = eta[i] * l.Weights[i]
				s += e[i]
			}
			for i := range e {
				e[i] /= s
			}
		}
		r, err := Exact(e, l.Gamma)
		if err != nil {
			return LossResult{}, err
		}
		r.Risk = l.Risk(r.Q, eta)
		return LossResult{Result: r, Method: LossFocalExact}, nil
	}
	plan := planFor(l)
	facts := plan.facts
	if !facts.HPositive {
		return LossResult{}, fmt.Errorf("numeric: loss %s: −g′ is not positive at u = %v (h_g undefined there): use LossDirect", l, facts.Where)
	}
	k := len(eta)
	if facts.HIncreasing && plan.rMonotone(l, k) {
		q := make([]float64, k)
		iters := solveMonotone(q, eta, l)
		res := finishLoss(q, eta, l, iters)
		res.Method = LossMonotone
		return res, nil
	}
	var dec []loss.Piece
	skipped := 0
	for _, p := range facts.Pieces {
		if p.Decreasing {
			dec = append(dec, p)
		} else {
			skipped++
		}
	}
	// Extend the pieces to the ends of (0, 1) and to the jumps exactly.
	if len(dec) > 0 {
		if dec[0].Lo == loss.Grid(nil)[0] {
			dec[0].Lo = 0
		}
		if dec[len(dec)-1].Hi == loss.Grid(nil)[len(loss.Grid(nil))-1] {
			dec[len(dec)-1].Hi = 1
		}
	}
	total := 1
	for range k {
		total *= len(dec)
		if total > MaxLossCandidates {
			return LossResult{}, fmt.Errorf("numeric: loss %s: %d monotone pieces for K = %d exceed %d assignments", l, len(dec), k, MaxLossCandidates)
		}
	}
	pieces := make([][]loss.Piece, k)
	for i := range pieces {
		pieces[i] = dec
	}
	choice := make([]int, k)
	var best LossResult
	best.Risk = math.Inf(1)
	iters := 0
	for c := 0; c < total; c++ {
		x := c
		for i := range choice {
			choice[i] = x % len(dec)
			x /= len(dec)
		}
		q, it := solvePieces(eta, l, pieces, choice)
		iters += it
		if q == nil {
			continue
		}
		w := l.Risk(q, eta)
		if w < best.Risk {
			best = finishLoss(q, eta, l, 0)
			best.AtPieceEnd = best.AtPieceEnd[:0]
			for i, v := range q {
				p := dec[choice[i]]
				if eta[i] > 0 && (v <= math.Nextafter(p.Lo, 2) && p.Lo > 0 || v >= math.Nextafter(p.Hi, -1) && p.Hi < 1) {
					best.AtPieceEnd = append(best.AtPieceEnd, i)
				}
			}
		}
	}
	if math.IsInf(best.Risk, 1) {
		return LossResult{}, fmt.Errorf("numeric: loss %s: no KKT assignment satisfies the sum constraint", l)
	}
	best.Method = LossEnumerated
	best.Candidates = total
	best.Iterations = iters
	if skipped > 0 {
		best.Note = fmt.Sprintf("%d piece(s) where h_g decreases were not enumerated", skipped)
	}
	return best, nil
}

// coordF is F_j(u) = η_j w_j (−g′(u)) − r′(u).
func coordF(l *loss.Loss, eta float64, j, k int, u float64) float64 {
	w := 1.0
	if l.Weights != nil {
		w = l.Weights[j]
	}
	f := 0.0
	if eta != 0 {
		f = -eta * w * l.DG(u)
	}
	if l.DR != nil {
		f -= l.DR(u, k)
	}
	return f
}

// bitMid returns a float64 between the non-negative a < b by bisecting
// their bit patterns (so that 64 steps reach adjacent numbers).
func bitMid(a, b float64) float64 {
	return math.Float64frombits((math.Float64bits(a) + math.Float64bits(b)) / 2)
}

// coordRoot returns the u in [lo, hi] with F(u) = λ for F decreasing on
// the piece, held at the piece's ends where λ is outside F's range there.
func coordRoot(f func(float64) float64, lam, lo, hi float64) float64 {
	a, b := lo, hi
	if a == 0 {
		a = math.SmallestNonzeroFloat64
	}
	if f(b) >= lam {
		return b
	}
	if f(a) <= lam {
		return a
	}
	for {
		m := bitMid(a, b)
		if m == a || m == b {
			break
		}
		if f(m) >= lam {
			a = m
		} else {
			b = m
		}
	}
	if f(a)-lam < lam-f(b) {
		return a
	}
	return b
}

// solvePieces solves the sum constraint with coordinate j on piece
// pieces[j][choice[j]]; nil if the assignment cannot sum to 1.
func solvePieces(eta []float64, l *loss.Loss, pieces [][]loss.Piece, choice []int) ([]float64, int) {
	k := len(eta)
	q := make([]float64, k)
	fs := make([]func(float64) float64, k)
	for j := range fs {
		fs[j] = func(u float64) float64 { return coordF(l, eta[j], j, k, u) }
	}
	active := func(j int) bool { return eta[j] > 0 || l.DR != nil }
	fill := func(lam float64) float64 {
		var s float64
		for j := range q {
			if !active(j) {
				q[j] = 0
				continue
			}
			p := pieces[j][choice[j]]
			q[j] = coordRoot(fs[j], lam, p.Lo, p.Hi)
			s += q[j]
		}
		return s
	}
	// λ range: the ends of every active coordinate's F on its piece.
	lo, hi := math.Inf(1), 0.0
	for j := range q {
		if !active(j) {
			continue
		}
		p := pieces[j][choice[j]]
		a := p.Lo
		if a == 0 {
			a = math.SmallestNonzeroFloat64
		}
		fa, fb := fs[j](a), fs[j](p.Hi)
		lo = math.Min(lo, fb)
		hi = math.Max(hi, fa)
	}
	lo = math.Max(lo, math.SmallestNonzeroFloat64)
	hi = math.Min(hi, math.MaxFloat64)
	slo, shi := fill(lo), fill(hi)
	if slo < 1 || shi > 1 {
		return nil, 0
	}
	it := 0
	for {
		m := bitMid(lo, hi)
		if m == lo || m == hi {
			break
		}
		it++
		if fill(m) >= 1 {
			lo = m
		} else {
			hi = m
		}
	}
	sl := fill(lo)
	qlo := append([]float64(nil), q...)
	sh := fill(hi)
	if sl-1 < 1-sh {
		copy(q, qlo)
		sh = sl
	}
	for j := range q {
		q[j] /= sh
	}
	return q, it
}

// finishLoss fills a result at q: W, and the KKT residual
// max_j |F_j(q_j)/λ̄ − 1| over the active coordinates, λ̄ their mean F.
func finishLoss(q, eta []float64, l *loss.Loss, iters int) LossResult {
	k := len(q)
	var fsum float64
	n := 0
	for j, v := range q {
		if v > 0 && v < 1 {
			fsum += coordF(l, eta[j], j, k, v)
			n++
		}
	}
	res := 0.0
	if n > 0 {
		lam := fsum / float64(n)
		for j, v := range q {
			if v > 0 && v < 1 {
				res = math.Max(res, math.Abs(coordF(l, eta[j], j, k, v)/lam-1))
			}
		}
	}
	return LossResult{Result: Result{Q: q, Risk: l.Risk(q, eta), Iterations: iters, Status: Converged, Residual: res}}
}
