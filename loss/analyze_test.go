package loss

import "testing"

// TestAnalyze: the facts Analyze derives numerically agree with the
// derivations in each loss's doc: h_g(v) = v for ce (proper), v/(1+εv) for
// poly1 (increasing, not proper), v^(1−A) for gce (constant at A = 1),
// h^γ increasing for the focal loss (the paper, Lemma 1 / Eq. 13),
// FLSD-53 discontinuous at 0.2 (two pieces), inverse-focal's −g′ negative
// somewhere once γ ≥ e + 1 (its bracket 1 + (1−γ)/e at u = 1/e).
func TestAnalyze(t *testing.T) {
	for _, c := range []struct {
		spec                      string
		positive, increasing, prp bool
		pieces                    int
	}{
		{"ce", true, true, true, 1},
		{`expr:"-log(u)"`, true, true, true, 1},
		{`expr:"-2*log(u)"`, true, true, true, 1},
		{"focal:gamma=2", true, true, false, 1},
		{"focal:gamma=0", true, true, true, 1},
		{"poly1:eps=1", true, true, false, 1},
		{"gce:q=0.5", true, true, false, 1},
		{"gce:q=1", true, false, false, 1},
		{"flsd53", true, false, false, 2},
		{"inverse-focal:gamma=1", true, true, false, 1},
		{"inverse-focal:gamma=4", false, false, false, 0},
	} {
		l, err := Parse(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		f := Analyze(l)
		if f.HPositive != c.positive || f.HIncreasing != c.increasing || f.Proper != c.prp {
			t.Errorf("%s: positive %v increasing %v proper %v (at %v), want %v %v %v", c.spec, f.HPositive, f.HIncreasing, f.Proper, f.Where, c.positive, c.increasing, c.prp)
		}
		if c.pieces > 0 && len(f.Pieces) != c.pieces {
			t.Errorf("%s: %d pieces %v, want %d", c.spec, len(f.Pieces), f.Pieces, c.pieces)
		}
	}
}
