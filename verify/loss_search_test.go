package verify

import (
	"bytes"
	"context"
	"testing"

	"github.com/focaltk/focal/loss"
)

// lossSearch runs a small loss search (Seed 1) and returns its results by
// (K, ID).
func lossSearch(t *testing.T, spec string, ks []int, budget int) (*Report, map[[2]any]Result) {
	t.Helper()
	l, err := loss.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Search(context.Background(), Options{Loss: l, Ks: ks, Budget: budget, Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	m := map[[2]any]Result{}
	for _, r := range rep.Results {
		m[[2]any{r.K, r.ID}] = r
	}
	return rep, m
}

// TestLossSearchPoly1: the statuses the derivation gives (claims_loss.go,
// written independently of the solvers): h_g(v) = v/(1+εv) is increasing
// (calibrated, order-preserving, recovery) and h_g(v)/v = 1/(1+εv)
// strictly decreasing, so every minimizer off S^K is over-confident: the
// search must confirm an ηOC witness in hiprec and find no ηUC one, and
// refute properness.
func TestLossSearchPoly1(t *testing.T) {
	rep, m := lossSearch(t, "poly1:eps=1", []int{3}, 600)
	if rep.Loss != "poly1:eps=1" || len(rep.Solvers) != 1 || rep.Solvers[0].Solver != SolverExact || !rep.Solvers[0].Oracle {
		t.Fatalf("loss %q solvers %+v", rep.Loss, rep.Solvers)
	}
	want := map[string]Status{
		"loss-calibration": Holds, "loss-order-preserving": Holds, "loss-strictly-proper": Refuted,
		"loss-never-overconfident": Refuted, "loss-never-underconfident": Holds,
		"poly1-raises-confidence": Supported,
	}
	for id, st := range want {
		r, ok := m[[2]any{3, id}]
		if !ok {
			t.Fatalf("no result for %s", id)
		}
		if r.Status != st {
			t.Errorf("%s: status %s, want %s (worst margin %v at %v)", id, r.Status, st, r.WorstMargin, r.WorstEta)
		}
		if st == Refuted && (r.Counterexample == nil || !(r.Counterexample.MarginHiprec < 0)) {
			t.Errorf("%s: refuted without a hiprec-confirmed counterexample", id)
		}
	}
	if len(rep.NotApplicable) != len(registry) {
		t.Errorf("%d focal claims listed as not applicable, want %d", len(rep.NotApplicable), len(registry))
	}
}

// TestLossSearchCE: cross-entropy is strictly proper (h_g(v) = v): every
// loss claim holds, at K = 2 and 10.
func TestLossSearchCE(t *testing.T) {
	rep, _ := lossSearch(t, "ce", []int{2, 10}, 300)
	for _, r := range rep.Results {
		if r.ID == "raises-entropy" { // a literature claim: a conjecture, expected to hold here (q* = η)
			if r.Status != Supported {
				t.Errorf("K=%d %s: %s", r.K, r.ID, r.Status)
			}
			continue
		}
		if r.Kind != Theorem || (r.Status != Holds) {
			t.Errorf("K=%d %s: %s %s (worst %v at %v)", r.K, r.ID, r.Kind, r.Status, r.WorstMargin, r.WorstEta)
		}
	}
}

// TestLossSearchFLSDStationary: FLSD-53's training-time stationary points
// reverse the argmax from K = 5 on, never below (the derivation in
// literatureExpect), and the reversal is confirmed from hiprec.LogH.
func TestLossSearchFLSDStationary(t *testing.T) {
	l, _ := loss.Parse("flsd53")
	var claims []Claim
	for _, c := range LossClaims(l) {
		if c.ID == "flsd53-stationary-argmax" || c.ID == "loss-calibration" {
			claims = append(claims, c)
		}
	}
	rep, err := Search(context.Background(), Options{Loss: l, Ks: []int{3, 5}, Budget: 40, Seed: 1, Workers: 2, Claims: claims})
	if err != nil {
		t.Fatal(err)
	}
	m := map[[2]any]Result{}
	for _, r := range rep.Results {
		m[[2]any{r.K, r.ID}] = r
	}
	if r := m[[2]any{3, "flsd53-stationary-argmax"}]; r.Status != Supported {
		t.Errorf("K=3: %s (worst %v at %v), want supported", r.Status, r.WorstMargin, r.WorstEta)
	}
	if r := m[[2]any{5, "flsd53-stationary-argmax"}]; r.Status != Refuted {
		t.Errorf("K=5: %s (worst %v at %v), want refuted", r.Status, r.WorstMargin, r.WorstEta)
	}
	// No hiprec minimizer for FLSD-53: the other claims' violations are
	// unconfirmed, never "refuted" or "noise".
	if r := m[[2]any{3, "loss-calibration"}]; r.Status == Refuted || r.Status == Noise {
		t.Errorf("K=3 loss-calibration: %s without an oracle", r.Status)
	}
}

// TestLossSearchReproducible: a budget-capped loss search is byte for byte
// reproducible from its seed (Timing aside), and its seed depends on the
// loss.
func TestLossSearchReproducible(t *testing.T) {
	enc := func(spec string) string {
		rep, _ := lossSearch(t, spec, []int{4}, 100)
		rep.Timing = nil
		var b bytes.Buffer
		if err := WriteJSON(&b, rep); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	a, b := enc("poly1:eps=0.5"), enc("poly1:eps=0.5")
	if a != b {
		t.Fatal("two runs with one seed differ")
	}
	if c := enc("poly1:eps=0.25"); c == a {
		t.Fatal("two losses gave the same report")
	}
}

// TestLossSearchOptions: a loss search takes no gamma and no sigmoid loss.
func TestLossSearchOptions(t *testing.T) {
	l, _ := loss.Parse("ce")
	if _, err := Search(context.Background(), Options{Loss: l, Gammas: []float64{1}, Ks: []int{3}}); err == nil {
		t.Error("gamma with a loss: no error")
	}
	s, _ := loss.Parse("asl")
	if _, err := Search(context.Background(), Options{Loss: s, Ks: []int{3}}); err == nil {
		t.Error("a sigmoid loss: no error")
	}
}
