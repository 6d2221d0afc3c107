package numeric

// LossSolver: LossExact's problem with the loss's analysis done once and
// the buffers reused, for callers that solve many η for one loss (the
// search of package verify).
//
// Monotone case (h_g increasing, −r′ not increasing). Each coordinate
// function F_j(u) = η_j w_j (−g′(u)) − r′(u) is decreasing, and the KKT
// system is F_j(q_j) = λ, Σ_j q_j = 1. The inner equation is solved by a
// safeguarded Newton iteration on log F_j against log u (F′_j = −η_j w_j g″
// where g″ is known and r = 0; bisection otherwise: geometric while the bracket spans more
// than a factor 4, arithmetic after), kept inside the bracket that the
// signs of F_j − λ maintain, and warm-started at the previous λ's root.
// The outer equation S(t) = Σ_j q_j(e^t) = 1 is solved in t = log λ by
// Newton (S′(t) = λ Σ_j 1/F′_j(q_j)) where F′ is known and by the Illinois
// variant of regula falsi otherwise, inside a bracket found by doubling
// the step in t; it stops when S rounds to 1 within 2 ulps or λ stops
// moving, and q is then divided by S.
//
// Piecewise case (−g′ monotone on pieces, g discontinuous at their ends:
// loss.Analyze's Pieces). The same solver runs with each coordinate
// confined to one decreasing piece (held at the piece's end where λ is
// outside F_j's range there), for every assignment of coordinates to
// pieces (Minimize: the one of least W, a global minimizer; Stationary:
// every assignment whose coordinates all solve F_j = λ strictly inside
// their pieces).

import (
	"fmt"
	"math"

	"github.com/focaltk/focal/loss"
)

// LossSolver solves W(q; η) → min for one separable loss. It is not safe
// for concurrent use; use one per goroutine.
type LossSolver struct {
	l        *loss.Loss
	facts    loss.Facts
	monotone bool
	dec      []loss.Piece // the decreasing pieces, extended to 0 and 1
	exact    ExactSolver
	newton   bool // g″ known and r = 0: Newton on both levels
	a        []float64
	lo, hi   []float64
	q        []float64
	held     []bool
	flo, fhi []float64 // F_j at the ends of the coordinate's piece
	el       []float64 // elasticity at the last inner iterate
	tPrev    float64   // log λ of the last fill
	best     []float64
	choice   []int
	reweight []float64
	atOne    int // coordinates at 1 in the last fill

	// Warm, when set, starts a monotone solve from the previous one's λ
	// and q when the previous η is close (every entry within a factor 2):
	// far fewer evaluations for a sequence of nearby η (an optimizer's),
	// but the result then depends on the previous call at the level of
	// the solver's accuracy, so a caller that needs results independent
	// of call order leaves it off or calls ResetWarm at fixed points.
	Warm           bool
	warmEta, warmQ []float64
	warmT          float64
	warmOK         bool
}

// ResetWarm forgets the previous solve (see Warm).
func (s *LossSolver) ResetWarm() { s.warmOK = false }

// NewLossSolver analyses a separable loss (loss.Analyze) for LossSolver's
// methods. It returns an error for a loss that is not separable, or whose
// −g′ is not positive on (0, 1) (h_g undefined: use LossDirect).
func NewLossSolver(l *loss.Loss) (*LossSolver, error) {
	if l.Kind != loss.Separable {
		return nil, fmt.Errorf("numeric: loss %s is %s: only the direct minimizer applies", l, l.Kind)
	}
	s := &LossSolver{l: l, facts: loss.Analyze(l)}
	if !s.facts.HPositive {
		return nil, fmt.Errorf("numeric: loss %s: −g′ is not positive at u = %v (h_g undefined there): use LossDirect", l, s.facts.Where)
	}
	s.monotone = s.facts.HIncreasing
	if s.monotone && l.DR != nil {
		grid := loss.Grid(nil)
		for i := 1; i < len(grid); i++ {
			if -l.DR(grid[i], 2) > -l.DR(grid[i-1], 2) {
				s.monotone = false
				break
			}
		}
	}
	s.newton = l.DDG != nil && l.R == nil
	if s.monotone {
		s.dec = []loss.Piece{{Lo: 0, Hi: 1, Decreasing: true}}
	} else {
		grid := loss.Grid(nil)
		for _, p := range s.facts.Pieces {
			if p.Decreasing {
				s.dec = append(s.dec, p)
			}
		}
		if len(s.dec) > 0 {
			if s.dec[0].Lo == grid[0] {
				s.dec[0].Lo = 0
			}
			if s.dec[len(s.dec)-1].Hi == grid[len(grid)-1] {
				s.dec[len(s.dec)-1].Hi = 1
			}
		}
	}
	return s, nil
}

// Monotone reports whether h_g is increasing (and −r′ not increasing), so
// that the KKT solution is unique and Minimize solves it directly.
func (s *LossSolver) Monotone() bool { return s.monotone }

// Pieces returns the number of decreasing pieces of −g′ the enumeration
// uses (1 in the monotone case; 0 when there is none, and Minimize then
// fails).
func (s *LossSolver) Pieces() int { return len(s.dec) }

// Candidates returns the number of piece assignments Minimize enumerates
// at K classes (pieces^K, saturated at MaxLossCandidates+1).
func (s *LossSolver) Candidates(k int) int {
	if s.monotone {
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
// at the reweighted posterior) it is ExactSolver's; for a monotone h_g the
// unique KKT solution; otherwise the assignment of least W over every
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
	if l.Focal && l.R == nil {
		e := eta
		if l.Weights != nil {
			s.reweight = growF(s.reweight, k)
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
		return LossResult{Result: r, Method: LossFocalExact}, nil
	}
	s.prepare(eta)
	if s.monotone {
		for j := range k {
			s.lo[j], s.hi[j] = 0, 1
		}
		sum, it, ok := s.solve(eta)
		if !ok {
			s.warmOK = false
			return LossResult{}, fmt.Errorf("numeric: loss %s: the KKT system has no solution summing to 1", l)
		}
		if s.Warm {
			s.warmEta = append(s.warmEta[:0], eta...)
			s.warmQ = append(s.warmQ[:0], s.q...)
			s.warmT, s.warmOK = s.tPrev, true
		}
		for j := range dst {
			dst[j] = s.q[j] / sum
		}
		res := LossResult{Method: LossMonotone}
		res.Q, res.Iterations, res.Status = dst, it, Converged
		res.Risk = l.Risk(dst, eta)
		return res, nil
	}
	total := s.Candidates(k)
	if len(s.dec) == 0 {
		return LossResult{}, fmt.Errorf("numeric: loss %s: −g′ decreases on no piece of (0, 1): no KKT point has a local minimum per coordinate; use LossDirect", l)
	}
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
				if s.held[j] && s.active(eta, j) {
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
	return res, nil
}

// Stationary returns every KKT point of W(·; η) on the open simplex: the
// solutions of F_j(q_j) = λ, Σ q = 1 with every active coordinate strictly
// inside one decreasing piece of −g′ (one point per assignment of
// coordinates to pieces that has one). For FLSD-53 these are the points
// where the training gradient, with γ chosen per sample from q_y and then
// held constant, vanishes. Errors as Minimize's.
func (s *LossSolver) Stationary(eta []float64) ([][]float64, error) {
	if err := ValidateEta(eta, 0); err != nil {
		return nil, err
	}
	if err := s.l.Validate(len(eta)); err != nil {
		return nil, err
	}
	k := len(eta)
	total := s.Candidates(k)
	if len(s.dec) == 0 || total > MaxLossCandidates {
		return nil, fmt.Errorf("numeric: loss %s: %d decreasing pieces for K = %d: cannot enumerate", s.l, len(s.dec), k)
	}
	s.prepare(eta)
	var out [][]float64
	for c := range total {
		if s.monotone {
			for j := range k {
				s.lo[j], s.hi[j] = 0, 1
			}
		} else {
			s.assign(c)
		}
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
		if !interior {
			continue
		}
		out = append(out, s.normalize(make([]float64, k), sum))
	}
	return out, nil
}

func (s *LossSolver) prepare(eta []float64) {
	k := len(eta)
	s.a, s.lo, s.hi, s.q = growF(s.a, k), growF(s.lo, k), growF(s.hi, k), growF(s.q, k)
	s.flo, s.fhi, s.el = growF(s.flo, k), growF(s.fhi, k), growF(s.el, k)
	if cap(s.held) < k {
		s.held = make([]bool, k)
		s.choice = make([]int, k)
	}
	s.held, s.choice = s.held[:k], s.choice[:k]
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

func (s *LossSolver) active(eta []float64, j int) bool { return eta[j] > 0 || s.l.DR != nil }

// f is F_j(u). Where the loss has h_g in closed form and no r, it is
// η_j w_j / h_g(u): at a subnormal u, −g′ = 1/u overflows while h_g(u) = u
// does not.
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

// elasticity is u F_j′(u)/F_j(u) = u g″(u)/g′(u) (r = 0), NaN where it
// cannot be evaluated (g′ overflows at a subnormal u).
func (s *LossSolver) elasticity(u float64) float64 { return u * s.l.DDG(u) / s.l.DG(u) }

// root solves F_j(u) = lam on the coordinate's piece [lo_j, hi_j] (F_j
// decreasing there, its values at the ends in flo_j, fhi_j), starting at
// u0; held reports a root outside the piece (the result is an end). It
// leaves the elasticity at the last iterate in el_j.
func (s *LossSolver) root(j, k int, lam, u0 float64) (u float64, held bool, evals int) {
	lo, hi := s.lo[j], s.hi[j]
	if lo == 0 {
		lo = math.SmallestNonzeroFloat64
	}
	if s.fhi[j] >= lam {
		return hi, hi < 1, 0
	}
	if s.flo[j] <= lam {
		return lo, true, 0
	}
	u = u0
	if !(u > lo && u < hi) {
		u = midpoint(lo, hi)
	}
	for range 400 {
		fv := s.f(j, k, u) - lam
		evals++
		if fv == 0 {
			return u, false, evals
		}
		if fv > 0 {
			lo = u
		} else {
			hi = u
		}
		next := math.NaN()
		if s.newton {
			// Newton on log F_j(e^x) = log λ, x = log u: exact in one
			// step for F ∝ 1/u (cross-entropy) and well scaled where
			// F ∝ u^(A−1), unlike Newton on u, which only doubles u
			// per step from far below the root of a/u = λ. Near the
			// root, exp(−x) is replaced by 1 − x (the step's own error
			// is then O(x²), corrected by the next step).
			el := s.elasticity(u)
			s.el[j] = el
			x := fv / lam / el
			if math.Abs(x) < 1e-4 {
				next = u * (1 - x)
			} else {
				next = u * math.Exp(-math.Log1p(fv/lam)/el)
			}
		}
		if !(next > lo && next < hi) {
			next = midpoint(lo, hi)
		}
		if next == lo || next == hi || math.Abs(next-u) <= 0x1p-52*u {
			if next == lo || next == hi {
				// The bracket is two adjacent floats: the nearer end.
				flo, fhi := s.f(j, k, lo)-lam, s.f(j, k, hi)-lam
				if flo < -fhi {
					return lo, false, evals + 2
				}
				return hi, false, evals + 2
			}
			return next, false, evals
		}
		u = next
	}
	return u, false, evals
}

// midpoint returns a point strictly inside (lo, hi) if there is one:
// geometric while the bracket spans more than a factor 4.
func midpoint(lo, hi float64) float64 {
	if hi > 4*lo {
		m := math.Sqrt(lo) * math.Sqrt(hi)
		if m > lo && m < hi {
			return m
		}
	}
	m := lo + (hi-lo)/2
	return m
}

// fill sets q_j(e^t) for every coordinate and returns Σ q_j and Σ 1/F′_j
// (NaN where F′ is unknown).
func (s *LossSolver) fill(eta []float64, t float64) (sum, dsum float64, evals int) {
	lam := math.Exp(t)
	k := len(eta)
	s.atOne = 0
	for j := range s.q {
		if !s.active(eta, j) {
			s.q[j], s.held[j] = 0, false
			continue
		}
		u0 := s.q[j]
		if el := s.el[j]; s.newton && !s.held[j] && el < 0 && !math.IsInf(el, 0) && !math.IsNaN(s.tPrev) {
			// Predict the root at the new λ: d log q_j / d log λ = 1/elasticity.
			u0 *= math.Exp((t - s.tPrev) / el)
		}
		u, held, e := s.root(j, k, lam, u0)
		if u == 1 && s.hi[j] == 1 {
			s.atOne++
		}
		s.q[j], s.held[j] = u, held
		evals += e
		sum += u
		if s.newton && !held {
			// dq_j/dt = λ dq_j/dλ = q_j/elasticity (t = log λ).
			if d := u / s.el[j]; !math.IsNaN(d) && !math.IsInf(d, 0) {
				dsum += d
			}
		} else if !s.newton {
			dsum = math.NaN()
		}
	}
	s.tPrev = t
	return sum, dsum, evals
}

// solve finds λ with Σ q_j(λ) = 1 under the current pieces; it returns
// the sum (q is then divided by it), the function evaluations spent, and
// false when no λ brings the sum to 1.
func (s *LossSolver) solve(eta []float64) (float64, int, bool) {
	k := len(eta)
	// Start: λ0 = Σ η_j F_j(η_j) (1 for cross-entropy, where q = η).
	var lam0 float64
	for j, e := range eta {
		if e > 0 {
			u := math.Min(math.Max(e, s.lo[j]), s.hi[j])
			lam0 += e * s.f(j, k, math.Max(u, math.SmallestNonzeroFloat64))
		}
		s.q[j] = e
	}
	if !(lam0 > 0) || math.IsInf(lam0, 0) {
		lam0 = 1
	}
	s.tPrev = math.NaN()
	for j := range s.q {
		lo := s.lo[j]
		if lo == 0 {
			lo = math.SmallestNonzeroFloat64
		}
		s.flo[j], s.fhi[j], s.el[j], s.held[j] = s.f(j, k, lo), s.f(j, k, s.hi[j]), math.NaN(), false
	}
	t := math.Log(lam0)
	if s.warmUsable(eta) {
		t = s.warmT
		for j, e := range eta {
			if e > 0 {
				s.q[j] = s.warmQ[j] * (e / s.warmEta[j])
			}
		}
	}
	evals := 0
	sum, dsum, e := s.fill(eta, t)
	evals += e
	// Bracket [ta, tb]: S(ta) ≥ 1 ≥ S(tb).
	ta, tb := math.Inf(-1), math.Inf(1)
	sa, sb := math.NaN(), math.NaN()
	note := func(t, sum float64) {
		if sum >= 1 {
			ta, sa = t, sum
		} else {
			tb, sb = t, sum
		}
	}
	note(t, sum)
	const tMin, tMax = -745, 709 // log of the smallest and largest λ
	step := 1.0
	for math.IsInf(ta, -1) || math.IsInf(tb, 1) {
		if sum == 1 && !(s.atOne > 0 && s.positive() > 1) {
			return s.sum(), evals, true
		}
		if sum, ok := s.leaveOne(eta, t, sum, &evals); ok {
			return sum, evals, true
		}
		var next float64
		if math.IsInf(tb, 1) {
			next = math.Min(ta+step, tMax)
		} else {
			next = math.Max(tb-step, tMin)
		}
		if s.newton && dsum < 0 {
			// A Newton step, if it stays within the doubling step.
			if n := t - (sum-1)/dsum; n != t && n > t-step && n < t+step && n >= tMin && n <= tMax {
				next = n
			}
		}
		if next == t {
			return 0, evals, false
		}
		step *= 2
		t = next
		sum, dsum, e = s.fill(eta, t)
		evals += e
		note(t, sum)
	}
	side := 0 // Illinois: the end kept twice in a row
	// A Newton or secant step that did not halve |S − 1| is followed by a
	// bisection (near a coordinate held at 1, S is steep on one side and
	// flat on the other, and Newton from the flat side creeps).
	prevErr := math.Inf(1)
	for range 400 {
		// A coordinate at 1 beside other positive ones: Σ q rounds to 1
		// on a whole range of λ, and the root lies at its upper end,
		// where that coordinate leaves 1; bisect on to it.
		if math.Abs(sum-1) <= 2*0x1p-53 && !(s.atOne > 0 && s.positive() > 1) {
			break
		}
		if sum, ok := s.leaveOne(eta, t, sum, &evals); ok {
			return sum, evals, true
		}
		var next float64
		if math.Abs(sum-1) > prevErr/2 {
			next = ta + (tb-ta)/2
		} else if s.newton && dsum != 0 && !math.IsNaN(dsum) {
			// S′(t) = Σ_j dq_j/dt (fill).
			next = t - (sum-1)/dsum
		} else {
			fa, fb := sa-1, sb-1
			switch side {
			case 1:
				fa /= 2
			case -1:
				fb /= 2
			}
			next = ta - fa*(tb-ta)/(fb-fa)
		}
		if !(next > ta && next < tb) {
			next = ta + (tb-ta)/2
		}
		if next == ta || next == tb || next == t {
			break
		}
		t = next
		prevErr = math.Abs(sum - 1)
		sum, dsum, e = s.fill(eta, t)
		evals += e
		if sum >= 1 {
			side = 1
		} else {
			side = -1
		}
		if side == 1 && ta == t || side == -1 && tb == t {
			side = 0
		}
		note(t, sum)
	}
	// The better end of the final bracket when it is better than t.
	for _, end := range [2]float64{ta, tb} {
		if end != t && !math.IsInf(end, 0) {
			se := sa
			if end == tb {
				se = sb
			}
			if math.Abs(se-1) < math.Abs(sum-1) {
				t = end
				sum, _, e = s.fill(eta, t)
				evals += e
			}
		}
	}
	if !(sum > 0) || math.Abs(sum-1) > 0.5 {
		return 0, evals, false
	}
	return s.sum(), evals, true
}

// sum returns Σ q summed with Neumaier's compensation, so that K
// roundings of a plain sum do not move every normalized entry by up to
// K/2 ulps.
func (s *LossSolver) sum() float64 {
	var sum, c float64
	for _, x := range s.q {
		t := sum + x
		if math.Abs(sum) >= math.Abs(x) {
			c += (sum - t) + x
		} else {
			c += (x - t) + sum
		}
		sum = t
	}
	return sum + c
}

// normalize writes q/sum into dst, each entry kept in its piece: dividing
// an entry held at 0.2⁻ by a sum of 1 − 1 ulp would move it across
// FLSD-53's jump onto the other branch of g.
func (s *LossSolver) normalize(dst []float64, sum float64) []float64 {
	for j, x := range s.q {
		dst[j] = math.Min(math.Max(x/sum, s.lo[j]), s.hi[j])
	}
	return dst
}

// leaveOne handles a coordinate held at 1 beside other positive ones
// while Σ q rounds to 1: that coordinate leaves 1 at λ = F_j(1), where the
// others take their values and 1 + their sum still rounds to 1, so that
// is the root to float64 resolution (bisecting for it would spend some
// 60 fills). It returns the sum and true when it applies.
func (s *LossSolver) leaveOne(eta []float64, t, sum float64, evals *int) (float64, bool) {
	if s.atOne != 1 || math.Abs(sum-1) > 2*0x1p-53 {
		return 0, false
	}
	for j, x := range s.q {
		if x == 1 && s.hi[j] == 1 {
			if tj := math.Log(s.fhi[j]); tj > t {
				var e int
				sum, _, e = s.fill(eta, tj)
				*evals += e
			}
			break
		}
	}
	if math.Abs(sum-1) > 2*0x1p-53 {
		return 0, false
	}
	return s.sum(), true
}

// warmUsable reports whether the previous solve may start this one.
func (s *LossSolver) warmUsable(eta []float64) bool {
	if !s.Warm || !s.warmOK || !s.monotone || len(eta) != len(s.warmEta) {
		return false
	}
	for j, e := range eta {
		w := s.warmEta[j]
		if (e == 0) != (w == 0) || e > 2*w || w > 2*e {
			return false
		}
	}
	return true
}

// positive counts the coordinates of q above 0.
func (s *LossSolver) positive() int {
	n := 0
	for _, x := range s.q {
		if x > 0 {
			n++
		}
	}
	return n
}

func growF(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
