package numeric

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/loss"
)

// lossExactULPs bounds LossExact's componentwise error against hiprec's
// 40-digit solution of the same KKT system, for a loss whose F_j is
// accurate to a few ulps (ce, poly1, ls: a quotient and a sum): each q_j is
// the float64 at which F_j crosses λ, |u F′/F| = 1 so the error in q is
// that in F, plus the final normalization's ulp; 8 ulps leaves a factor 2
// over the 4 measured.
const lossExactULPs = 8

// gcePowULPsPerUnit: math.Pow(u, y) computes exp(y·log u) and loses about
// |y log u| ulps (measured: at most 1 per unit); GCE's F = η u^(A−1) then
// has that error, and q = (η/λ)^(1/(1−A)) multiplies every error in F or λ
// by the condition number 1/(1−A). gceTol is 2 ulps per unit of both, the
// factor 2 over the measured (252 ulps at q = 9e-125, A = 0.9, tolerance
// 587).
const gcePowULPsPerUnit = 2

func gceTol(a, q float64) float64 {
	return lossExactULPs + gcePowULPsPerUnit*(1+math.Abs((a-1)*math.Log(q)))/(1-a)
}

// lossEta draws a seeded posterior: Dirichlet(1) of K entries, or with
// tiny entries (1e-12 relative) mixed in.
func lossEta(r *rand.Rand, k int, tiny bool) []float64 {
	e := make([]float64, k)
	var s float64
	for i := range e {
		e[i] = -math.Log(1 - r.Float64())
		if tiny && i%3 == 2 {
			e[i] *= 1e-12
		}
		s += e[i]
	}
	for i := range e {
		e[i] /= s
	}
	return e
}

// TestLossExactAgainstHiprec: the monotone path (the joint iteration)
// against hiprec's 40-digit solution of the same KKT system, through
// LossExact (a pooled solver) on even cases and through one reused
// LossSolver on odd ones, on Dirichlet posteriors with and without tiny
// entries, the uniform posterior (ties), a near one-hot one (1 − 1e-300,
// 1e-300, zeros) and a two-point support beside zeros.
func TestLossExactAgainstHiprec(t *testing.T) {
	seed := uint64(11)
	r := rand.New(rand.NewPCG(seed, 3))
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
		reused, err := NewLossSolver(l)
		if err != nil {
			t.Fatal(err)
		}
		caseWorst := 0.0
		for _, k := range []int{2, 3, 10} {
			for n := 0; n < 6; n++ {
				eta := lossEta(r, k, n%2 == 1)
				switch n {
				case 0:
					for i := range eta {
						eta[i] = 1 / float64(k) // ties: the uniform posterior
					}
				case 2:
					clear(eta) // near one-hot, with zeros
					eta[0], eta[1] = 1-1e-300, 1e-300
				case 3:
					clear(eta) // zeros beside a two-point support
					eta[0], eta[k-1] = 0.75, 0.25
				}
				var res LossResult
				if n%2 == 0 {
					res, err = LossExact(eta, l)
				} else {
					res, err = reused.Minimize(make([]float64, k), eta)
				}
				if err != nil {
					t.Fatalf("%s η=%v: %v", c.spec, eta, err)
				}
				if res.Method != LossMonotone {
					t.Fatalf("%s: method %v, want monotone", c.spec, res.Method)
				}
				want, err := hiprec.LossMinimize(c.name, c.param, eta)
				if err != nil {
					t.Fatal(err)
				}
				for i := range eta {
					u := hiprec.ULPs(res.Q[i], want[i])
					caseWorst = math.Max(caseWorst, u)
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
		t.Logf("%s: worst %.1f ulps", c.spec, caseWorst)
	}
	t.Logf("worst %.1f ulps (ce, ls)", worst)
}

// TestLossExactFocalUsesExact: the focal loss goes to Exact unchanged.
func TestLossExactFocalUsesExact(t *testing.T) {
	l, _ := loss.Parse("focal:gamma=2")
	eta := []float64{0.5, 0.3, 0.2}
	res, err := LossExact(eta, l)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := Exact(eta, 2)
	if res.Method != LossFocalExact {
		t.Fatalf("method %v", res.Method)
	}
	for i := range eta {
		if res.Q[i] != ref.Q[i] {
			t.Fatalf("q[%d] = %v, Exact %v", i, res.Q[i], ref.Q[i])
		}
	}
}

// flsdScanTol: the enumerated minimum of FLSD-53 at K = 2 must not exceed
// the least W on a scan of 10^6 points of q_1 (W is flat to second order
// at a KKT point, so the scan's best is above the minimum by O(step²));
// 1e-12 relative is the rounding of W's two terms.
const flsdScanTol = 1e-12

// TestLossExactFLSD53Global: the global enumeration is at least as good as
// a brute-force scan at K = 2, and says how it found its result.
func TestLossExactFLSD53Global(t *testing.T) {
	l, _ := loss.Parse("flsd53")
	for _, e1 := range []float64{0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95} {
		eta := []float64{e1, 1 - e1}
		res, err := LossExact(eta, l)
		if err != nil {
			t.Fatal(err)
		}
		if res.Method != LossEnumerated {
			t.Fatalf("method %v", res.Method)
		}
		best := math.Inf(1)
		const n = 1000000
		for i := 1; i < n; i++ {
			q := float64(i) / n
			best = math.Min(best, l.Risk([]float64{q, 1 - q}, eta))
		}
		if res.Risk > best*(1+flsdScanTol) {
			t.Errorf("η=%v: enumerated W %v at %v, scan finds %v", eta, res.Risk, res.Q, best)
		}
		t.Logf("η=%v: q=%v W=%v (scan %v) at piece end %v", eta, res.Q, res.Risk, best, res.AtPieceEnd)
	}
}

// TestLossFocalLSIsFocalAtSmoothedEta: focal-ls's risk is the focal risk
// at the smoothed posterior, W(q; η) = Σ_j ((1−ε)η_j + ε/K) g_γ(q_j)
// (the loss's definition), so its minimizer is Exact's at that posterior:
// an oracle that shares no code with the generic solver. Posteriors: the
// uniform one, near-uniform ones (η_1 − 1/K of 1e-13, where a wrong Newton
// slope once stopped the joint iteration 680 ulps off, found by the loss
// search at η = (0.5 + 4e-14, 0.5 − 4e-14)), Dirichlet ones and a near
// one-hot one. Tolerance: lossExactULPs times 1 + κ, κ =
// |g′/(u g″)| at the oracle's q (the amplification of F_j's rounding into
// q_j), plus Exact's own few ulps inside lossExactULPs.
func TestLossFocalLSIsFocalAtSmoothedEta(t *testing.T) {
	seed := uint64(14)
	r := rand.New(rand.NewPCG(seed, 9))
	for _, spec := range []string{"focal-ls:gamma=2,eps=0.1", "focal-ls:gamma=0.5,eps=0.3", "focal-ls:gamma=5,eps=0.05"} {
		l, err := loss.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := l.Param("gamma")
		e, _ := l.Param("eps")
		for _, k := range []int{2, 3, 10} {
			for n := 0; n < 10; n++ {
				eta := lossEta(r, k, n == 9)
				switch {
				case n <= 5: // uniform, and offsets 1e-15 … 1e-11
					for i := range eta {
						eta[i] = 1 / float64(k)
					}
					if n > 0 {
						d := math.Pow(10, float64(n-16))
						eta[0] += d
						eta[1] -= d
					}
				case n == 6:
					clear(eta)
					eta[0], eta[1] = 1-1e-9, 1e-9
				}
				smooth := make([]float64, k)
				for i := range eta {
					smooth[i] = (1-e)*eta[i] + e/float64(k)
				}
				want, err := Exact(smooth, g)
				if err != nil {
					t.Fatal(err)
				}
				got, err := LossExact(eta, l)
				if err != nil {
					t.Fatalf("%s η=%v: %v", spec, eta, err)
				}
				for i := range eta {
					u := want.Q[i]
					kappa := math.Abs(l.DG(u) / (u * l.DDG(u)))
					tol := lossExactULPs * (1 + kappa)
					if d := math.Abs(got.Q[i]-u) / (math.Nextafter(u, 2) - u); d > tol {
						t.Errorf("seed %d: %s K=%d η=%v: q[%d] = %v, Exact at the smoothed η %v (%.0f ulps, tolerance %.0f)", seed, spec, k, eta, i, got.Q[i], u, d, tol)
					}
				}
			}
		}
	}
}
