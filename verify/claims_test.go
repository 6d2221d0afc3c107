package verify

import "testing"

// TestThm5NeverRefutedAtTinyGamma: Thm 5 holds for every γ > 0, but at
// γ ≲ 1e-13 its witness's q* differs from η by less than float64 resolves,
// so the float64 margin is negative. The high-precision confirmation must
// then not "confirm" it (it did, comparing float64-rounded hiprec values):
// the status is noise, and no theorem is refuted (issue 14.1).
func TestThm5NeverRefutedAtTinyGamma(t *testing.T) {
	gammas := []float64{1e-14, 1e-16, 1e-300}
	rep := mustSearch(t, Options{Gammas: gammas, Ks: []int{3, 10}, Claims: claimsByID(t, "thm5-not-proper"), Budget: 5, Seed: testSeed(t)})
	for _, r := range rep.Results {
		if r.Status == Refuted {
			t.Errorf("thm5-not-proper refuted at gamma = %v, K = %d: margin %v (float64), %v (hiprec); seed %d",
				r.Gamma, r.K, r.Counterexample.Margin, r.Counterexample.MarginHiprec, rep.Seed)
		}
	}
	// The high-precision margin itself resolves q* − η where float64
	// cannot, and is never below −ConfirmFloor.
	c, _ := Lookup("thm5-not-proper")
	for _, g := range gammas {
		hp := Eval{HighPrecision: true}
		m, ok, err := c.Check(&hp, Case{Eta: []float64{1, 0, 0}, Gamma: g})
		if err != nil || !ok || !(m >= -ConfirmFloor) {
			t.Errorf("gamma %v: high-precision margin %v, ok %v, err %v; want >= -ConfirmFloor", g, m, ok, err)
		}
		if g >= 1e-16 && !(m > 0) {
			t.Errorf("gamma %v: high-precision margin %v; want > 0 (q* - eta is resolved at 40 digits)", g, m)
		}
	}
}
