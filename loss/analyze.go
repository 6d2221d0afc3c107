package loss

import (
	"math"
	"sort"
)

// GridSize is the number of points of (0, 1) on which Analyze samples −g′.
const GridSize = 4096

// properRelTol is how flat h_g(v)/v must be on the grid for the loss to be
// called strictly proper: 1e-12, a thousand times the rounding of the
// closed forms evaluated (a few ulps), far below any real variation (GCE
// with A = 1 − 1e-9 already varies by 1e-8 over the grid).
const properRelTol = 1e-12

// noiseRel is the relative change of −g′ between grid neighbours below
// which Analyze calls it flat, not a rise or fall: 64 ulps, the rounding of
// the closed forms and expression trees evaluated (a few ulps each) with a
// wide margin. Where −g′ is flat within noise (its slope vanishes, as
// inverse-focal's at u = 1 for γ = 1), the sign of g″ decides, if known.
const noiseRel = 64 * 0x1p-52

// Piece is an interval of (0, 1) on which −g′ is continuous and monotone
// on the grid: Decreasing means h_g = 1/(−g′) increases there (or stays
// constant: Flat, where −g′ changes by no more than rounding between any
// two grid neighbours of the piece, as MAE's −g′ = 1; a minimizer's
// coordinate then sits at an end of the piece, since W is linear in it
// there).
type Piece struct {
	Lo, Hi     float64
	Decreasing bool
	Flat       bool
}

// Facts are a separable loss's derived facts, decided numerically on a
// grid (How says how).
type Facts struct {
	// HPositive: −g′ > 0 (so h_g > 0) at every grid point.
	HPositive bool
	// HIncreasing: h_g strictly increasing on (0, 1): −g′ strictly
	// decreasing at consecutive grid points, g″ > 0 at every grid point
	// where g″ is known, and g continuous (no Jumps).
	HIncreasing bool
	// Proper: h_g(v)/v constant on the grid within properRelTol (the loss
	// is strictly proper exactly when h_g(v) ∝ v), with r = 0 and no weights.
	Proper bool
	// Pieces of (0, 1) on which −g′ is monotone, split at Jumps and at the
	// grid points where its direction changes.
	Pieces []Piece
	// Where is the first grid point that broke HPositive or HIncreasing (0
	// if none).
	Where float64
	How   string
}

// Grid returns the sample points of Analyze: GridSize points of (0, 1),
// geometric towards both ends (down to 1e-12 and 1 − 1e-12) and uniform in
// between, sorted, with both sides of every jump.
func Grid(jumps []float64) []float64 {
	var g []float64
	n := GridSize / 4
	for i := 0; i < n; i++ {
		t := float64(i) / float64(n)
		x := math.Pow(10, -12+11*t) // 1e-12 … 1e-1
		g = append(g, x, 1-x)
	}
	for i := 0; i < 2*n; i++ {
		g = append(g, 0.1+0.8*float64(i)/float64(2*n))
	}
	for _, j := range jumps {
		g = append(g, math.Nextafter(j, 0), j)
	}
	sort.Float64s(g)
	return g
}

// Analyze derives a separable loss's facts: h_g's sign and monotonicity on
// the grid (plus g″'s sign where known), properness, and the monotone
// pieces of −g′. For a loss with r (label smoothing) the facts are those
// of g alone; the solvers use the per-coordinate function
// η_j w_j (−g′) − r′, which is monotone when both −g′ and −r′ decrease.
func Analyze(l *Loss) Facts {
	f := Facts{HPositive: true, HIncreasing: len(l.Jumps) == 0}
	if l.Kind != Separable {
		f.HPositive, f.HIncreasing = false, false
		f.How = "not separable: h_g does not apply"
		return f
	}
	grid := Grid(l.Jumps)
	isJump := func(a, b float64) bool {
		for _, j := range l.Jumps {
			if a < j && b >= j {
				return true
			}
		}
		return false
	}
	m := make([]float64, len(grid))
	for i, u := range grid {
		m[i] = -l.DG(u)
		if !(m[i] > 0) && f.HPositive {
			f.HPositive = false
			if f.Where == 0 {
				f.Where = u
			}
		}
	}
	// Monotone pieces of −g′.
	start := grid[0]
	dir := 0 // −1 decreasing, +1 increasing, 0 not yet known
	for i := 1; i < len(grid); i++ {
		if isJump(grid[i-1], grid[i]) {
			f.Pieces = append(f.Pieces, Piece{start, grid[i-1], dir <= 0, dir == 0})
			start, dir = grid[i], 0
			continue
		}
		d := 0
		noise := noiseRel * math.Max(math.Abs(m[i]), math.Abs(m[i-1]))
		switch {
		case m[i] < m[i-1]-noise:
			d = -1
		case m[i] > m[i-1]+noise:
			d = 1
		}
		flatOK := d == 0 && l.DDG != nil && l.DDG(grid[i]) > 0
		if (d > 0 || d == 0 && !flatOK) && f.HIncreasing {
			f.HIncreasing = false
			if f.Where == 0 {
				f.Where = grid[i]
			}
		}
		if d != 0 && dir != 0 && d != dir {
			f.Pieces = append(f.Pieces, Piece{start, grid[i-1], dir < 0, false})
			start = grid[i-1]
		}
		if d != 0 {
			dir = d
		}
	}
	f.Pieces = append(f.Pieces, Piece{start, grid[len(grid)-1], dir <= 0, dir == 0})
	if l.DDG != nil && f.HIncreasing {
		for _, u := range grid {
			if !(l.DDG(u) > 0) {
				f.HIncreasing = false
				f.Where = u
				break
			}
		}
	}
	f.HIncreasing = f.HIncreasing && f.HPositive
	if l.R == nil && l.Weights == nil && f.HPositive {
		ref := 1 / (m[len(m)/2] * grid[len(m)/2])
		f.Proper = true
		for i, u := range grid {
			if math.Abs(1/(m[i]*u)/ref-1) > properRelTol {
				f.Proper = false
				break
			}
		}
	}
	f.How = "sampled −g′ at 4096 points of (0, 1) (geometric to 1e-12 at both ends, both sides of each jump): sign, strict decrease between consecutive points"
	if l.DDG != nil {
		if l.Expr != nil {
			f.How += ", and the sign of the symbolically derived g″ at every point"
		} else {
			f.How += ", and the sign of the closed-form g″ at every point"
		}
	}
	return f
}
