package numeric

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/loss"
)

// TestLossSolverAgainstHiprec: LossSolver's Newton levels meet the same
// accuracy bound against hiprec's 40-digit KKT solution as LossExact's
// bisections (lossExactULPs; gceTol for GCE).
func TestLossSolverAgainstHiprec(t *testing.T) {
	seed := uint64(12)
	r := rand.New(rand.NewPCG(seed, 5))
	cases := []struct {
		spec, name string
		param      float64
	}{
		{"ce", "ce", 0}, {"poly1:eps=1", "poly1", 1}, {"poly1:eps=0.25", "poly1", 0.25}, {"poly1:eps=100", "poly1", 100},
		{"gce:q=0.5", "gce", 0.5}, {"gce:q=0.9", "gce", 0.9}, {"ls:eps=0.1", "ls", 0.1}, {"ls:eps=0.9", "ls", 0.9},
		{`expr:"-log(u)+e*(1-u)";e=1`, "poly1", 1},
	}
	worst := 0.0
	for _, c := range cases {
		l, err := loss.Parse(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewLossSolver(l)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Monotone(2) {
			t.Fatalf("%s: not monotone", c.spec)
		}
		for _, k := range []int{2, 3, 10} {
			for n := 0; n < 4; n++ {
				eta := lossEta(r, k, n%2 == 1)
				switch n {
				case 0:
					for i := range eta {
						eta[i] = 1 / float64(k) // ties: the uniform posterior
					}
				case 2:
					for i := range eta { // near one-hot, with a zero
						eta[i] = 0
					}
					eta[0], eta[1] = 1-1e-300, 1e-300
				case 3:
					for i := range eta { // zeros beside a two-point support
						eta[i] = 0
					}
					eta[0], eta[k-1] = 0.75, 0.25
				}
				dst := make([]float64, k)
				res, err := s.Minimize(dst, eta)
				if err != nil {
					t.Fatalf("%s η=%v: %v", c.spec, eta, err)
				}
				want, err := hiprec.LossMinimize(c.name, c.param, eta)
				if err != nil {
					t.Fatal(err)
				}
				for i := range eta {
					u := hiprec.ULPs(res.Q[i], want[i])
					tol := float64(lossExactULPs)
					switch {
					case c.name == "gce" && res.Q[i] > 0:
						tol = gceTol(c.param, res.Q[i])
					case c.name == "poly1":
						// F = η(1/u + ε) is evaluated to a few ulps, and
						// q_j inherits that error times |F/(u F′)| =
						// 1 + ε q_j ≤ 1 + ε.
						tol *= 1 + c.param
					default:
						worst = math.Max(worst, u)
					}
					if u > tol {
						t.Errorf("seed %d: %s K=%d η=%v: q[%d] = %v, hiprec %s (%.1f ulps)", seed, c.spec, k, eta, i, res.Q[i], want[i].Text('g'), u)
					}
				}
			}
		}
	}
	t.Logf("worst %.1f ulps (ce, poly1, ls)", worst)
}

// TestLossSolverEnumeratedMatchesLossExact: for FLSD-53 (g discontinuous
// at 0.2) LossSolver's global enumeration and LossExact's reach the same
// W (two implementations of the enumeration, different root finders), to
// lossEnumRiskRel.
func TestLossSolverEnumeratedMatchesLossExact(t *testing.T) {
	// Both minimize W to float64 rounding of a sum of K terms of size
	// O(W): 1e-13 relative is a hundred times that.
	const lossEnumRiskRel = 1e-13
	l, _ := loss.Parse("flsd53")
	s, err := NewLossSolver(l)
	if err != nil {
		t.Fatal(err)
	}
	if s.Monotone(2) || s.Pieces() != 2 {
		t.Fatalf("flsd53: monotone %v, %d pieces; want 2 pieces", s.Monotone(2), s.Pieces())
	}
	seed := uint64(13)
	r := rand.New(rand.NewPCG(seed, 7))
	for _, k := range []int{2, 3, 5} {
		for n := 0; n < 6; n++ {
			eta := lossEta(r, k, false)
			got, err := s.Minimize(make([]float64, k), eta)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := LossExact(eta, l)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.Risk-ref.Risk) > lossEnumRiskRel*ref.Risk {
				t.Errorf("seed %d K=%d η=%v: W %v (q %v), LossExact %v (q %v)", seed, k, eta, got.Risk, got.Q, ref.Risk, ref.Q)
			}
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
