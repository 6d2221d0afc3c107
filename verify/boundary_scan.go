package verify

// The scans over γ behind BoundaryK's answers: the grid at which the search
// runs (boundaryScanGrid), the scan that takes the largest γ with an ηOC
// minimizer and bisects to the next grid point (scanGamma, for gamma_max),
// the first-crossing bisection of the near-uniform test (bisectGamma), and
// the reference γ of τ_uc = 1/(K−1) the tests compare with. Kept apart from
// boundary.go so that what was tested, and where, is in one place.

import (
	"math"
	"slices"

	"github.com/focaltk/focal/theory"
)

// bisectGamma (the near-uniform bisection, whose answer the closed form
// confirms) scans boundaryGammaGrid for the last γ with pred true
// before the first with pred false, then bisects between them to relative
// width relTol. ok = false when pred is false at the first grid point (and
// at every other grid point). If pred holds at every grid point, the
// bracket is (last grid point, +Inf) and lo is a lower bound only.
func bisectGamma(pred func(float64) (bool, error), relTol float64) (lo, hi float64, ok bool, err error) {
	lo, hi = math.NaN(), math.Inf(1)
	for _, g := range boundaryGammaGrid {
		yes, err := pred(g)
		if err != nil {
			return 0, 0, false, err
		}
		if yes {
			lo = g
			continue
		}
		if !math.IsNaN(lo) {
			hi = g
			break
		}
	}
	if math.IsNaN(lo) {
		return 0, 0, false, nil
	}
	if math.IsInf(hi, 1) {
		return lo, hi, true, nil
	}
	lo, hi, err = bisect(pred, lo, hi, relTol)
	return lo, hi, err == nil, err
}

// scanDensity describes boundaryScanGrid for the method texts.
const scanDensity = "a geometric grid of ratio 2^(1/4) from 0.1, with 16 more points between the closed forms of gamma_max(K) and gamma_max(K+1)"

// boundaryScanGrid returns the γ at which BoundaryK runs the search before
// bisecting, ascending: boundaryGammaGrid; a geometric grid of ratio
// 2^{1/4} from 0.1 to MaxGamma; and 16 geometric points in
// (γ_τ(K), γ_τ(K+1)], where γ_τ(K) = theory.GammaForTauUC(1/(K−1)) is the
// closed form gamma_max is compared with (0 for K ≤ 3, then from 0.1).
// The closed forms only place points where a wrong upper end would most
// likely hide (between one K's boundary and the next); the answer comes
// from the search at every point.
func boundaryScanGrid(k int) []float64 {
	g := slices.Clone(boundaryGammaGrid)
	for x := 0.1; x < MaxGamma; x *= scanRatio {
		g = append(g, x)
	}
	a, b := 0.1, theory.GammaForTauUC(1/float64(k))
	if k > 3 {
		a = theory.GammaForTauUC(1 / float64(k-1))
	}
	b = math.Min(b, MaxGamma)
	for j := 1; j <= scanDense && b > a; j++ {
		g = append(g, a*math.Pow(b/a, float64(j)/scanDense))
	}
	g = append(g, MaxGamma)
	slices.Sort(g)
	g = slices.Compact(g)
	for len(g) > 0 && g[len(g)-1] > MaxGamma {
		g = g[:len(g)-1]
	}
	return g
}

// The density of boundaryScanGrid.
var scanRatio = math.Pow(2, 0.25)

const scanDense = 16

// gammaScanResult is scanGamma's answer: the bracket (lo, hi), ok = false
// when pred was false at every grid point; above counts the grid points
// from hi up (all false by construction), aboveTo the largest of them;
// gaps counts the false grid points below lo, lastGap the largest.
type gammaScanResult struct {
	lo, hi, aboveTo, lastGap float64
	ok                       bool
	above, gaps              int
}

// scanGamma evaluates pred at every point of the ascending grid, takes the
// largest γ with pred true as lo and the next grid point as hi (+Inf if
// none), and bisects between them to relative width relTol.
func scanGamma(pred func(float64) (bool, error), grid []float64, relTol float64) (gammaScanResult, error) {
	var r gammaScanResult
	yes := make([]bool, len(grid))
	last := -1
	for i, g := range grid {
		y, err := pred(g)
		if err != nil {
			return r, err
		}
		if yes[i] = y; y {
			last = i
		}
	}
	if last < 0 {
		return r, nil
	}
	r.ok, r.lo, r.hi = true, grid[last], math.Inf(1)
	for i := range last {
		if !yes[i] {
			r.gaps++
			r.lastGap = grid[i]
		}
	}
	if last+1 < len(grid) {
		r.hi = grid[last+1]
		r.above = len(grid) - last - 1
		r.aboveTo = grid[len(grid)-1]
		var err error
		if r.lo, r.hi, err = bisect(pred, r.lo, r.hi, relTol); err != nil {
			return r, err
		}
	}
	return r, nil
}

// bisect narrows (lo, hi), pred(lo) true and pred(hi) false, to relative
// width relTol.
func bisect(pred func(float64) (bool, error), lo, hi, relTol float64) (float64, float64, error) {
	for hi-lo > relTol*hi {
		mid := lo + (hi-lo)/2
		yes, err := pred(mid)
		if err != nil {
			return 0, 0, err
		}
		if yes {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, hi, nil
}

// gammaTauUC returns the γ with τ_uc^γ = 1/(K−1) by bisection on
// theory.TauUC, which decreases in γ from 1/2; NaN for K ≤ 3.
func gammaTauUC(k int) Float {
	target := 1 / float64(k-1)
	if target >= 0.5 {
		return Float(math.NaN())
	}
	lo, hi := 0.0, 1.0
	for theory.TauUC(hi) > target {
		lo, hi = hi, 2*hi
	}
	for i := 0; i < 200 && hi-lo > 1e-15*hi; i++ {
		mid := lo + (hi-lo)/2
		if theory.TauUC(mid) > target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return Float(lo + (hi-lo)/2)
}
