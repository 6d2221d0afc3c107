package numeric

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/loss"
)

// TestLossNestedAgainstHiprec checks the nested solver, which the monotone
// case runs only where the joint iteration does not converge, on its own
// (noJoint) against hiprec's 40-digit KKT solution, with
// TestLossExactAgainstHiprec's tolerances (and logs the cases where the
// joint iteration does not converge).
func TestLossNestedAgainstHiprec(t *testing.T) {
	seed := uint64(12)
	r := rand.New(rand.NewPCG(seed, 5))
	cases := []struct {
		spec, name string
		param      float64
	}{
		{"ce", "ce", 0}, {"poly1:eps=1", "poly1", 1}, {"poly1:eps=100", "poly1", 100}, {"gce:q=0.5", "gce", 0.5},
		{"gce:q=0.9", "gce", 0.9}, {"ls:eps=0.1", "ls", 0.1},
	}
	for _, c := range cases {
		l, err := loss.Parse(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		nested, err := NewLossSolver(l)
		if err != nil {
			t.Fatal(err)
		}
		nested.noJoint = true
		joint, _ := NewLossSolver(l)
		caseWorst := 0.0
		for _, k := range []int{2, 3, 10} {
			for n := 0; n < 4; n++ {
				eta := lossEta(r, k, n%2 == 1)
				q := make([]float64, k)
				if _, err := nested.Minimize(q, eta); err != nil {
					t.Fatalf("%s η=%v: %v", c.spec, eta, err)
				}
				joint.prepare(eta)
				if _, ok := joint.solveJoint(make([]float64, k), eta); !ok {
					t.Logf("%s K=%d: the joint iteration did not converge (the nested solver takes over)", c.spec, k)
				}
				want, err := hiprec.LossMinimize(c.name, c.param, eta)
				if err != nil {
					t.Fatal(err)
				}
				for i := range eta {
					u := hiprec.ULPs(q[i], want[i])
					caseWorst = math.Max(caseWorst, u)
					tol := float64(lossExactULPs)
					switch {
					case c.name == "gce" && q[i] > 0:
						tol = gceTol(c.param, q[i])
					case c.name == "poly1":
						tol *= 1 + c.param // as in TestLossExactAgainstHiprec
					}
					if u > tol {
						t.Errorf("seed %d: %s K=%d η=%v: nested q[%d] = %v, hiprec %s (%.1f ulps)", seed, c.spec, k, eta, i, q[i], want[i].Text('g'), u)
					}
				}
			}
		}
		t.Logf("%s: nested solver, worst %.1f ulps", c.spec, caseWorst)
	}
}
