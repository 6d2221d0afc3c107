package calibrate_test

import (
	"math"
	"testing"

	"github.com/focaltk/focal/calibrate"
)

// The debiased RMSCE by hand (Kumar et al. 2019's estimator, torchmetrics'
// debias=True): confidences {.1, .2, .9, .8}, outcomes {1, 1, 0, 1}, B = 2
// right-closed. Bin [0, .5]: acc 1, conf .15, (acc − conf)² = .7225, the
// outcomes' sample variance 0: 2·.7225 = 1.445. Bin (.5, 1]: acc .5, conf
// .85, .1225, sample variance (1 − 2·.25)/1 = .5 over n = 2: 2·.1225 − 2·.5/2
// = −.255. Debiased: √((1.445 − .255)/4) = √.2975; plug-in √((1.445 +
// .245)/4) = .65. A case whose correction exceeds the plug-in gives 0.
func TestRMSCEDebiasedByHand(t *testing.T) {
	r := calibrate.EqualWidth([]float64{0.1, 0.2, 0.9, 0.8}, []bool{true, true, false, true}, 2, calibrate.EdgesRightClosed)
	if got, want := r.RMSCEDebiased(), math.Sqrt(0.2975); math.Abs(got-want) > exactTol {
		t.Errorf("debiased RMSCE %v, want %v", got, want)
	}
	if got := r.RMSCE(); math.Abs(got-0.65) > exactTol {
		t.Errorf("RMSCE %v, want 0.65", got)
	}
	// {.6, .7, .8} with outcomes {1, 0, 1} and {.5} missed: plug-in
	// (.25 + 3/900)/4, correction 3·(1/9)/4 exceeds it.
	r = calibrate.EqualWidth([]float64{0.6, 0.7, 0.8, 0.5}, []bool{true, false, true, false}, 2, calibrate.EdgesRightClosed)
	if got := r.RMSCEDebiased(); got != 0 {
		t.Errorf("debiased RMSCE %v, want 0 (correction beyond the estimate)", got)
	}
}

// Confidences exactly 0 and 1 land in the first and last bins of the
// right-closed convention, and in the first bin and the separate bin {1}
// of the left-closed one (torchmetrics' bucketize puts 1.0 in an extra
// bin that its reliability diagram does not show; here it is a bin of the
// Reliability and of the diagram, and counts in every metric). Through
// the Accumulator: one-hot predictions (top-label confidence 1) and their
// zero entries (classwise confidence 0).
func TestConfidenceZeroAndOne(t *testing.T) {
	probs := []float64{1, 0, 0, 0, 1, 0, 0.5, 0.5, 0}
	labels := []int{0, 2, 1}
	// Top-label: conf 1 (hit), 1 (miss), .5 (miss: prediction 0).
	for _, c := range []struct {
		edges     calibrate.Edges
		bins      int
		lastCount int
		ece       float64
	}{
		// Right-closed, B = 2: (.5, 1] holds 1, 1 (one hit), [0, .5]
		// holds .5 (miss): ECE = ⅔·.5 + ⅓·.5 = .5.
		{calibrate.EdgesRightClosed, 2, 2, 0.5},
		// Left-closed: [.5, 1) holds .5 (miss), {1} holds 1, 1: the same
		// bins here, at index 1 and 2, ECE .5.
		{calibrate.EdgesLeftClosed, 3, 2, 0.5},
	} {
		a := calibrate.NewAccumulator(3, calibrate.Settings{Bins: 2, Edges: c.edges})
		a.Add(probs, labels)
		m := a.Metrics()
		bs := m.Reliability.Bins
		if len(bs) != c.bins || bs[len(bs)-1].Count != c.lastCount || bs[len(bs)-1].Hi != 1 {
			t.Errorf("%v: bins %+v", c.edges, bs)
		}
		if math.Abs(m.ECE-c.ece) > exactTol || math.Abs(m.MCE-0.5) > exactTol {
			t.Errorf("%v: ECE %v MCE %v, want %v and .5", c.edges, m.ECE, m.MCE, c.ece)
		}
		// Classwise: class 0 has p = (1, 0, .5), y = (1, 0, 0): the 0
		// lands in the first bin of either convention. Right-closed
		// [0, .5] {0, .5} conf .25 acc 0, (.5, 1] {1} acc 1: ⅔·.25 = 1/6.
		// Left-closed [0, .5) {0} 0, [.5, 1) {.5} acc 0: ⅓·.5, {1}: 0.
		// Class 1: p = (0, 1, .5), y = (0, 0, 1): right-closed [0, .5]
		// {0, .5} conf .25 acc .5 → ⅔·.25, (.5, 1] {1} acc 0 → ⅓; left:
		// {0} 0, {.5} acc 1 → ⅓·.5, {1} → ⅓. Class 2: p = (0, 0, 0),
		// y = (0, 1, 0): [0, …] conf 0 acc ⅓ → ⅓ in both.
		want := (1.0/6 + (2.0/3*0.25 + 1.0/3) + 1.0/3) / 3
		if c.edges == calibrate.EdgesLeftClosed {
			want = (0.5/3 + (0.5/3 + 1.0/3) + 1.0/3) / 3
		}
		if math.Abs(m.ClasswiseECE-want) > exactTol {
			t.Errorf("%v: classwise ECE %v, want %v", c.edges, m.ClasswiseECE, want)
		}
	}
}
