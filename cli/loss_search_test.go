package cli

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/focaltk/focal/verify"
)

// TestSearchLossJSON: verify --loss runs a loss search, names the loss in
// the JSON report (its solver and the derivation's expectations), and is
// reproducible from its seed (Timing aside).
func TestSearchLossJSON(t *testing.T) {
	args := []string{"--loss", "ls:eps=0.2", "--K", "3", "--budget", "60", "--format", "json", "--workers", "2"}
	dec := func(s string) verify.Report {
		var r verify.Report
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatal(err)
		}
		r.Timing = nil
		return r
	}
	a, b := dec(runOK(t, args...)), dec(runOK(t, args...))
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("two runs with one seed differ")
	}
	if a.Loss != "ls:eps=0.2" || len(a.Solvers) != 1 || len(a.Expectations) != len(a.Claims) {
		t.Fatalf("loss %q, solvers %v, %d expectations for %d claims", a.Loss, a.Solvers, len(a.Expectations), len(a.Claims))
	}
	// Label smoothing's minimizer (1−ε)η + ε/K is never over-confident and
	// under-confident off the uniform vector (the derivation in
	// verify/claims_loss.go).
	for _, r := range a.Results {
		switch r.ID {
		case "loss-never-overconfident":
			if r.Status != verify.Holds {
				t.Errorf("%s: %s", r.ID, r.Status)
			}
		case "loss-never-underconfident":
			if r.Status != verify.Refuted {
				t.Errorf("%s: %s", r.ID, r.Status)
			}
		}
	}
}

// TestPsiMinimizeLoss: verify minimize --loss and verify psi --loss are
// inverse to each other where a recovery exists; gce:q=0.5's minimizer is
// q ∝ η² (h_g(v) = √v, so η ∝ √q), checked against that closed form.
func TestPsiMinimizeLoss(t *testing.T) {
	const tol = 1e-14 // a few ulps of the solves, well above their measured error
	var m minimizeJSON
	if err := json.Unmarshal([]byte(runOK(t, "minimize", "--loss", "gce:q=0.5", "--eta", "0.6,0.3,0.1", "--format", "json")), &m); err != nil {
		t.Fatal(err)
	}
	want := []float64{0.36 / 0.46, 0.09 / 0.46, 0.01 / 0.46}
	for i, w := range want {
		if math.Abs(float64(m.Q[i])-w) > tol {
			t.Errorf("q[%d] = %v, want %v", i, m.Q[i], w)
		}
	}
	if m.Method != verify.SolverExact || m.Loss != "gce:q=0.5" {
		t.Errorf("method %q loss %q", m.Method, m.Loss)
	}
	q := make([]string, len(m.Q))
	for i, x := range m.Q {
		q[i] = strings.TrimSpace(ff(float64(x)))
	}
	var p psiJSON
	if err := json.Unmarshal([]byte(runOK(t, "psi", "--loss", "gce:q=0.5", "--q", strings.Join(q, ","), "--format", "json")), &p); err != nil {
		t.Fatal(err)
	}
	for i, e := range []float64{0.6, 0.3, 0.1} {
		if math.Abs(float64(p.Eta[i])-e) > tol {
			t.Errorf("Ψ(q*)[%d] = %v, want %v", i, p.Eta[i], e)
		}
	}
	// FLSD-53: the global enumeration, and the infimum held at the jump.
	out := runOK(t, "minimize", "--loss", "flsd53", "--eta", "0.9567301882343298,0.043269811765670275")
	if !strings.Contains(out, "global-enumeration") || !strings.Contains(out, "held at a jump of g") {
		t.Errorf("flsd53:\n%s", out)
	}
	if out := runOK(t, "minimize", "--loss", "dual-focal:gamma=2", "--eta", "0.6,0.4"); !strings.Contains(out, "direct") {
		t.Errorf("dual-focal:\n%s", out)
	}
}
