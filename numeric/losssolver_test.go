package numeric

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/focaltk/focal/loss"
)

// flsdScan3N is the grid of TestLossSolverEnumeratedFLSD53Scan: q_1, q_2
// in steps of 1/flsdScan3N (with 0.2⁻ added, where the infimum at the
// jump lies), 5·10^5 evaluations of W per η.
const flsdScan3N = 1000

// flsdScan3Rel: the enumerated minimum may not exceed the scan's best by
// more than W's rounding (1e-12 relative: flsdScanTol); the scan's best is
// above the true minimum by O(step²) where it is smooth, so it is an upper
// bound only, and the enumeration must reach it.
const flsdScan3Rel = flsdScanTol

// TestLossSolverEnumeratedFLSD53Scan: for FLSD-53 (g discontinuous at 0.2)
// at K = 3, the global enumeration of a reused solver (its buffers resized
// between K) is at least as good as a brute-force scan of the simplex,
// which does not solve any KKT system; TestLossExactFLSD53Global does
// K = 2 on a finer scan.
func TestLossSolverEnumeratedFLSD53Scan(t *testing.T) {
	l, _ := loss.Parse("flsd53")
	s, err := NewLossSolver(l)
	if err != nil {
		t.Fatal(err)
	}
	if s.Monotone(3) || s.Pieces() != 2 {
		t.Fatalf("flsd53: monotone %v, %d pieces; want 2 pieces", s.Monotone(3), s.Pieces())
	}
	seed := uint64(13)
	r := rand.New(rand.NewPCG(seed, 7))
	xs := []float64{math.Nextafter(0.2, 0)}
	for i := 1; i < flsdScan3N; i++ {
		xs = append(xs, float64(i)/flsdScan3N)
	}
	for n := 0; n < 4; n++ {
		if _, err := s.Minimize(make([]float64, 5), lossEta(r, 5, false)); err != nil {
			t.Fatal(err) // a K = 5 solve before, to resize the buffers
		}
		eta := lossEta(r, 3, false)
		got, err := s.Minimize(make([]float64, 3), eta)
		if err != nil {
			t.Fatal(err)
		}
		best, q := math.Inf(1), make([]float64, 3)
		for _, a := range xs {
			for _, b := range xs {
				if a+b >= 1 {
					continue
				}
				q[0], q[1], q[2] = a, b, 1-a-b
				best = math.Min(best, l.Risk(q, eta))
			}
		}
		if got.Risk > best*(1+flsdScan3Rel) {
			t.Errorf("seed %d η=%v: enumerated W %v at %v, the scan finds %v", seed, eta, got.Risk, got.Q, best)
		}
	}
}

// TestLossSolverStationaryFLSD: a stationary point built by hand is found.
// With q = (t, …) every KKT equation is η_j ∝ h(q_j) (h = 1/(−g′) per
// branch), so η := h(q)/Σ h(q) has q among its stationary points.
func TestLossSolverStationaryFLSD(t *testing.T) {
	const tol = 1e-12 // the solves' relative accuracy with a wide margin
	l, _ := loss.Parse("flsd53")
	s, _ := NewLossSolver(l)
	q := []float64{0.199, 0.201, 0.15, 0.15, 0.15, 0.15}
	eta := l.Psi(nil, q)
	pts, err := s.Stationary(eta)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range pts {
		if maxRel(p, q) < tol {
			found = true
		}
	}
	if !found {
		t.Fatalf("η = %v: stationary points %v do not include %v", eta, pts, q)
	}
	if !(eta[0] > eta[1]) {
		t.Fatalf("η = %v: want η_0 > η_1 (h jumps down at 0.2)", eta)
	}
}

func maxRel(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i])/b[i])
	}
	return m
}

func BenchmarkLossSolver(b *testing.B) {
	l, _ := loss.Parse("poly1:eps=1")
	s, _ := NewLossSolver(l)
	r := rand.New(rand.NewPCG(1, 2))
	etas := make([][]float64, 64)
	for i := range etas {
		etas[i] = lossEta(r, 10, i%2 == 1)
	}
	dst := make([]float64, 10)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Minimize(dst, etas[i%len(etas)]); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLossSolverMAEVertex: MAE (gce:q=1) has g(u) = 1 − u, so W(q; η) =
// 1 − η·q is linear and its minimum over the simplex is the vertex at
// the argmax of η, W = 1 − max η (the derivation; the enumeration sees one
// flat piece of −g′ and tries its two ends per coordinate). No coordinate
// is reported at a piece's end: the vertex is attained.
func TestLossSolverMAEVertex(t *testing.T) {
	// maeRiskTol: W = Σ η_j (1 − q_j) at a vertex is 1 − η_m plus the
	// rounding of K terms of which one is nonzero: 4 half-ulps of 1.
	const maeRiskTol = 4 * 0x1p-53
	l, _ := loss.Parse("gce:q=1")
	s, err := NewLossSolver(l)
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(15)
	r := rand.New(rand.NewPCG(seed, 11))
	for _, k := range []int{2, 3, 10} {
		for n := 0; n < 5; n++ {
			eta := lossEta(r, k, n%2 == 1)
			res, err := s.Minimize(make([]float64, k), eta)
			if err != nil {
				t.Fatalf("K=%d η=%v: %v", k, eta, err)
			}
			m := 0
			for i := range eta {
				if eta[i] > eta[m] {
					m = i
				}
			}
			for i, v := range res.Q {
				if want := float64(boolInt(i == m)); v != want {
					t.Errorf("seed %d K=%d η=%v: q* = %v, want the vertex e_%d", seed, k, eta, res.Q, m)
					break
				}
			}
			if len(res.AtPieceEnd) != 0 || math.Abs(res.Risk-(1-eta[m])) > maeRiskTol {
				t.Errorf("seed %d K=%d: at piece end %v, W %v (want %v)", seed, k, res.AtPieceEnd, res.Risk, 1-eta[m])
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
