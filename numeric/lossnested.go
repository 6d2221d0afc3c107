package numeric

// LossSolver's nested solver: the enumeration's solver for each piece
// assignment, and the monotone case's fallback where the joint iteration
// does not converge.
//
// Each coordinate function F_j(u) = η_j w_j (−g′(u)) − r′(u) is
// decreasing on the coordinate's piece [lo_j, hi_j], and the KKT system is
// F_j(q_j) = λ, Σ_j q_j = 1. The inner equation is solved by a safeguarded
// Newton iteration on log F_j against log u (F′_j = −η_j w_j g″ − r″ where
// g″ and r″ are known; bisection otherwise: geometric while the bracket
// spans more than a factor 4, arithmetic after), kept inside the bracket
// that the signs of F_j − λ maintain, and started at the previous λ's
// root. The outer equation S(t) = Σ_j q_j(e^t) = 1 is solved in t = log λ
// by Newton (S′(t) = λ Σ_j 1/F′_j(q_j)) where F′ is known and by the
// Illinois variant of regula falsi otherwise, inside a bracket found by
// doubling the step in t; it stops when S rounds to 1 within 2 ulps or λ
// stops moving, and q is then divided by S. A coordinate whose root is
// outside its piece is held at the piece's end.

import (
	"math"

	"github.com/focaltk/focal/theory"
)

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
			el := s.elasticity(j, k, u)
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
	t := theory.Log(lam0) // theory.Log: math.Log is wrong at subnormal arguments on amd64
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

// normalize writes q with its sum brought to 1 into dst, each entry kept
// in its piece. A coordinate held at a piece's end stays there exactly
// (it is that end, not a root) and the free ones take the sum's error,
// scaled by (1 − Σ held)/Σ free; with none free (or none held) every entry
// is divided by sum. Clamping to the piece matters: dividing an entry
// held at 0.2⁻ by a sum of 1 − 1 ulp would move it across FLSD-53's jump
// onto the other branch of g.
func (s *LossSolver) normalize(dst []float64, sum float64) []float64 {
	var held, free float64
	for j, x := range s.q {
		if s.held[j] {
			held += x
		} else {
			free += x
		}
	}
	keep := held > 0 && free > 0 // held entries stay, free ones rescale
	scale := (1 - held) / free
	for j, x := range s.q {
		switch {
		case !keep:
			x /= sum
		case !s.held[j]:
			x *= scale
		}
		dst[j] = math.Min(math.Max(x, s.lo[j]), s.hi[j])
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
			if tj := theory.Log(s.fhi[j]); tj > t {
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
