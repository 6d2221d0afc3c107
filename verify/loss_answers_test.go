package verify

import (
	"context"
	"math"
	"testing"

	"github.com/focaltk/focal/loss"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// TestSearchLossAnswers: focal-ls is outside the h_g argument (an r
// term), so every answer at K = 3 is open and the search gives them. Its
// minimizer is the focal one at the smoothed posterior (1−ε)η + ε/K (the
// loss's definition), whose maximum is below max η for every non-uniform
// η (the focal loss is never ηOC at K = 3, footnote 2, and smoothing
// lowers the maximum): so ηUC witnesses exist and ηOC ones must not be
// found. The ηUC witness's q* is checked against numeric.Exact at the
// smoothed η, an oracle outside the search. Answers already proved (ce)
// are left alone and no search runs.
func TestSearchLossAnswers(t *testing.T) {
	// witnessRel: the search's minimizer against Exact's, a few ulps of
	// each solver times the conditioning (1e-12, far below any margin).
	const witnessRel = 1e-12
	l, err := loss.Parse("focal-ls:gamma=2,eps=0.1")
	if err != nil {
		t.Fatal(err)
	}
	facts := []loss.ConfidenceFacts{loss.ConfidenceAt(l, 3)}
	if facts[0].OC.Exists != "" || facts[0].Calibrated.Answer != "unknown" {
		t.Fatalf("focal-ls K=3 is not open: %+v", facts[0])
	}
	rep, err := SearchLossAnswers(context.Background(), l, facts, 200, 1, nil)
	if err != nil || rep == nil {
		t.Fatalf("report %v, error %v", rep, err)
	}
	cf := facts[0]
	if cf.Calibrated.Answer != "not refuted" || cf.OrderPreserving.Answer != "not refuted" || cf.OC.Exists != "not found" || cf.UC.Exists != "yes" {
		t.Fatalf("answers %+v", cf)
	}
	w := cf.UC.Witness
	smooth := make([]float64, 3)
	for i, e := range w.Eta {
		smooth[i] = 0.9*e + 0.1/3
	}
	want, err := numeric.Exact(smooth, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range w.Q {
		if math.Abs(w.Q[i]-want.Q[i]) > witnessRel*want.Q[i] {
			t.Errorf("witness η %v: q*[%d] = %v, Exact at the smoothed η %v", w.Eta, i, w.Q[i], want.Q[i])
		}
	}
	if m := theory.Max(want.Q) - theory.Max(w.Eta); !(m < 0) || math.Abs(m-w.Margin) > witnessRel {
		t.Errorf("witness margin %v, from Exact %v", w.Margin, m)
	}

	ce, _ := loss.Parse("ce")
	proved := []loss.ConfidenceFacts{loss.ConfidenceAt(ce, 3)}
	before := proved[0]
	if rep, err := SearchLossAnswers(context.Background(), ce, proved, 200, 1, nil); rep != nil || err != nil {
		t.Errorf("ce: a search ran (report %v, error %v)", rep, err)
	}
	if proved[0].OC != before.OC || proved[0].Calibrated != before.Calibrated {
		t.Errorf("ce: answers changed: %+v", proved[0])
	}
}
