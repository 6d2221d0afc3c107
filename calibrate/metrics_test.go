package calibrate_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/focaltk/focal/calibrate"
)

// docTol: torchmetrics prints its docstring values to 4 decimals.
const docTol = 5e-5

// The docstring examples of torchmetrics' BinaryCalibrationError
// (src/torchmetrics/functional/classification/calibration_error.py:
// preds [0.25, 0.25, 0.55, 0.75, 0.75], target [0, 0, 1, 1, 1], n_bins=2,
// norm l1/l2/max → 0.2900, 0.2918, 0.3167). Binary calibration error there
// bins the positive-class probability against y = 1 (not the top label).
// No value lies on an interior edge, so both edge conventions agree.
func TestTorchmetricsBinary(t *testing.T) {
	preds := []float64{0.25, 0.25, 0.55, 0.75, 0.75}
	hit := []bool{false, false, true, true, true}
	for _, e := range []calibrate.Edges{calibrate.EdgesRightClosed, calibrate.EdgesLeftClosed} {
		r := calibrate.EqualWidth(preds, hit, 2, e)
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"l1", r.ECE(), 0.2900}, {"l2", r.RMSCE(), 0.2918}, {"max", r.MCE(), 0.3167}} {
			if math.Abs(c.got-c.want) > docTol {
				t.Errorf("%v: %s = %.6f, torchmetrics %.4f", e, c.name, c.got, c.want)
			}
		}
	}
}

// torchmetrics' MulticlassCalibrationError docstring: preds
// [[0.25,0.20,0.55],[0.55,0.05,0.40],[0.10,0.30,0.60],[0.90,0.05,0.05]],
// target [0,1,2,0], n_bins=3 → l1 0.2000, l2 0.2082, max 0.2333 (top-label).
func TestTorchmetricsMulticlass(t *testing.T) {
	probs := []float64{0.25, 0.20, 0.55, 0.55, 0.05, 0.40, 0.10, 0.30, 0.60, 0.90, 0.05, 0.05}
	labels := []int{0, 1, 2, 0}
	for _, e := range []calibrate.Edges{calibrate.EdgesRightClosed, calibrate.EdgesLeftClosed} {
		m := calibrate.Evaluate(probs, 3, labels, calibrate.Settings{Bins: 3, Edges: e})
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"l1", m.ECE, 0.2000}, {"l2", m.RMSCE, 0.2082}, {"max", m.MCE, 0.2333}} {
			if math.Abs(c.got-c.want) > docTol {
				t.Errorf("%v: %s = %.6f, torchmetrics %.4f", e, c.name, c.got, c.want)
			}
		}
	}
}

// exactTol: the hand-computed values below are sums of a few products of
// short decimals; a few ulps of 1.
const exactTol = 1e-15

// The two conventions differ exactly where a confidence lies on an edge or
// equals 1. Hand computation for confidences {0.5, 1, 1, 0.25} with
// outcomes {1, 0, 1, 0} and B = 2:
//
//	right-closed: [0, .5] holds .25 (miss), .5 (hit): conf .375, acc .5;
//	              (.5, 1] holds 1, 1 (one hit):      conf 1,    acc .5.
//	              ECE = ½·.125 + ½·.5 = .3125
//	left-closed:  [0, .5) holds .25: conf .25, acc 0;
//	              [.5, 1) holds .5:  conf .5,  acc 1;
//	              {1} holds 1, 1:    conf 1,   acc .5.
//	              ECE = ¼·.25 + ¼·.5 + ½·.5 = .4375
func TestEdgeConventions(t *testing.T) {
	conf := []float64{0.5, 1, 1, 0.25}
	hit := []bool{true, false, true, false}
	if got := calibrate.EqualWidth(conf, hit, 2, calibrate.EdgesRightClosed).ECE(); math.Abs(got-0.3125) > exactTol {
		t.Errorf("right-closed ECE = %v, want 0.3125", got)
	}
	r := calibrate.EqualWidth(conf, hit, 2, calibrate.EdgesLeftClosed)
	if got := r.ECE(); math.Abs(got-0.4375) > exactTol {
		t.Errorf("left-closed ECE = %v, want 0.4375", got)
	}
	if len(r.Bins) != 3 || r.Bins[2].Count != 2 || r.Bins[2].Lo != 1 {
		t.Errorf("left-closed bins: %+v", r.Bins)
	}
	// Every float64 edge b/B lands in the bin it closes, for many B.
	for _, b := range []int{1, 2, 3, 7, 10, 15, 100} {
		for i := 0; i <= b; i++ {
			x := float64(i) / float64(b)
			rc := calibrate.EqualWidth([]float64{x}, []bool{true}, b, calibrate.EdgesRightClosed)
			want := max(i-1, 0)
			if rc.Bins[want].Count != 1 {
				t.Errorf("B=%d: right-closed edge %v not in bin %d", b, x, want)
			}
			lc := calibrate.EqualWidth([]float64{x}, []bool{true}, b, calibrate.EdgesLeftClosed)
			if lc.Bins[i].Count != 1 {
				t.Errorf("B=%d: left-closed edge %v not in bin %d", b, x, i)
			}
			// Just above the edge: next bin (right-closed), same (left).
			if i < b {
				y := math.Nextafter(x, 2)
				if calibrate.EqualWidth([]float64{y}, []bool{true}, b, calibrate.EdgesRightClosed).Bins[i].Count != 1 {
					t.Errorf("B=%d: right-closed %v not in bin %d", b, y, i)
				}
			}
		}
	}
}

// Hand computation of every metric on a 3-class, 4-row example.
//
//	rows                labels  pred  conf  hit
//	(0.6, 0.3, 0.1)     0       0     0.6   1
//	(0.2, 0.7, 0.1)     2       1     0.7   0
//	(0.1, 0.1, 0.8)     2       2     0.8   1
//	(0.25, 0.25, 0.5)   1       2     0.5   0
//
// Error 2/4. NLL = −(ln .6 + ln .1 + ln .8 + ln .25)/4. Brier: row sums
// .16+.09+.01 = .26; .04+.49+.81 = 1.34; .01+.01+.04 = .06;
// .0625+.5625+.25 = .875; mean 2.535/4. With B = 2 right-closed: [0, .5]
// holds .5 (miss), (.5, 1] holds .6, .7, .8 (two hits): ECE =
// ¼·.5 + ¾·|2/3 − .7| = .15, MCE = .5. Equal-mass, B = 2: {.5, .6} conf
// .55 acc .5; {.7, .8} conf .75 acc .5: ECE = ½·.05 + ½·.25 = .15.
// Classwise (B = 2): class 0, p = (.6, .2, .1, .25), y = (1,0,0,0): [0,.5]
// {.2,.1,.25} conf .55/3 acc 0, (.5,1] {.6} acc 1: ¾·.55/3 + ¼·.4 = .2375;
// class 1, p = (.3,.7,.1,.25), y = (0,0,0,1): [0,.5] {.3,.1,.25} conf
// .65/3 acc 1/3, (.5,1] {.7} acc 0: ¾·|1/3−.65/3| + ¼·.7 = .2625; class 2,
// p = (.1,.1,.8,.5), y = (0,1,1,0): [0,.5] {.1,.1,.5} conf .7/3 acc 1/3,
// (.5,1] {.8} acc 1: ¾·.1 + ¼·.2 = .125. Mean .625/3.
func TestMetricsByHand(t *testing.T) {
	probs := []float64{0.6, 0.3, 0.1, 0.2, 0.7, 0.1, 0.1, 0.1, 0.8, 0.25, 0.25, 0.5}
	labels := []int{0, 2, 2, 1}
	m := calibrate.Evaluate(probs, 3, labels, calibrate.Settings{Bins: 2})
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"error", m.Error, 0.5},
		{"nll", m.NLL, -(math.Log(0.6) + math.Log(0.1) + math.Log(0.8) + math.Log(0.25)) / 4},
		{"brier", m.Brier, 2.535 / 4},
		{"ece", m.ECE, 0.15},
		{"mce", m.MCE, 0.5},
		{"ece equal-mass", m.ECEMass, 0.15},
		{"classwise ece", m.ClasswiseECE, 0.625 / 3},
	} {
		// byHandTol: the sums above are of a dozen terms of short decimals.
		const byHandTol = 1e-14
		if math.Abs(c.got-c.want) > byHandTol {
			t.Errorf("%s = %.17g, want %.17g", c.name, c.got, c.want)
		}
	}
	if m.N != 4 || !math.IsNaN(m.ECELow) {
		t.Errorf("N = %d, interval %v", m.N, m.ECELow)
	}
	// Adding in blocks gives the same result.
	a := calibrate.NewAccumulator(3, calibrate.Settings{Bins: 2})
	a.Add(probs[:3], labels[:1])
	a.Add(probs[3:], labels[1:])
	if m2 := a.Metrics(); m2.ECE != m.ECE || m2.NLL != m.NLL || m2.ClasswiseECE != m.ClasswiseECE || m2.ECEMass != m.ECEMass {
		t.Errorf("blockwise %+v, at once %+v", m2, m)
	}
	// A zero probability on the true class: NLL = +Inf.
	if m := calibrate.Evaluate([]float64{1, 0}, 2, []int{1}, calibrate.Settings{}); !math.IsInf(m.NLL, 1) {
		t.Errorf("NLL with p_y = 0: %v", m.NLL)
	}
}

// Equal-mass bins by hand, with a tie split across a boundary.
func TestEqualMass(t *testing.T) {
	conf := []float64{0.9, 0.5, 0.5, 0.7, 0.6}
	hit := []bool{true, false, true, true, false}
	// Sorted (stable): .5(F) .5(T) .6(F) .7(T) .9(T). B = 2: ranks 0–1 and
	// 2–4: {.5,.5} conf .5 acc .5; {.6,.7,.9} conf 2.2/3 acc 2/3.
	r := calibrate.EqualMass(conf, hit, 2)
	if r.Bins[0].Count != 2 || r.Bins[1].Count != 3 || r.Bins[1].Lo != 0.6 || r.Bins[1].Hi != 0.9 {
		t.Errorf("bins %+v", r.Bins)
	}
	want := 0.6 * math.Abs(2.0/3-2.2/3)
	if got := r.ECE(); math.Abs(got-want) > exactTol {
		t.Errorf("ECE = %v, want %v", got, want)
	}
	// More bins than samples: some empty, no NaN.
	if got := calibrate.EqualMass(conf[:1], hit[:1], 3).ECE(); math.Abs(got-0.1) > exactTol {
		t.Errorf("one sample, three bins: %v", got)
	}
}

// The bootstrap interval is seeded (same seed: same interval, for any
// number of workers), contains the point estimate on a well-behaved
// sample, and narrows with N.
func TestBootstrapECE(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	gen := func(n int) ([]float64, []bool) {
		conf, hit := make([]float64, n), make([]bool, n)
		for i := range conf {
			conf[i] = 0.5 + 0.5*rng.Float64()
			hit[i] = rng.Float64() < conf[i]-0.05 // overconfident by 0.05
		}
		return conf, hit
	}
	conf, hit := gen(2000)
	ece := calibrate.EqualWidth(conf, hit, 10, calibrate.EdgesRightClosed).ECE()
	lo1, hi1, _ := calibrate.BootstrapECE(ctx, conf, hit, 10, calibrate.EdgesRightClosed, 200, 0.9, 42, 1)
	lo2, hi2, _ := calibrate.BootstrapECE(ctx, conf, hit, 10, calibrate.EdgesRightClosed, 200, 0.9, 42, 3)
	if lo1 != lo2 || hi1 != hi2 {
		t.Errorf("workers change the interval: [%v, %v] vs [%v, %v]", lo1, hi1, lo2, hi2)
	}
	if !(lo1 < ece && ece < hi1) {
		t.Errorf("ECE %v outside its interval [%v, %v]", ece, lo1, hi1)
	}
	lo3, hi3, _ := calibrate.BootstrapECE(ctx, conf, hit, 10, calibrate.EdgesRightClosed, 200, 0.9, 43, 1)
	if lo3 == lo1 && hi3 == hi1 {
		t.Errorf("another seed gives the same interval")
	}
	bc, bh := gen(50000)
	blo, bhi, _ := calibrate.BootstrapECE(ctx, bc, bh, 10, calibrate.EdgesRightClosed, 100, 0.9, 42, 0)
	if !(bhi-blo < hi1-lo1) {
		t.Errorf("interval at N=50000 [%v, %v] not narrower than at 2000 [%v, %v]", blo, bhi, lo1, hi1)
	}
	if lo, hi, _ := calibrate.BootstrapECE(ctx, nil, nil, 10, 0, 10, 0, 1, 1); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("no data: [%v, %v]", lo, hi)
	}
	m := calibrate.Evaluate([]float64{0.8, 0.2, 0.3, 0.7, 0.6, 0.4}, 2, []int{0, 0, 0}, calibrate.Settings{Bootstrap: 50, Seed: 1})
	if math.IsNaN(m.ECELow) || !(m.ECELow <= m.ECEHigh) {
		t.Errorf("Evaluate with bootstrap: [%v, %v]", m.ECELow, m.ECEHigh)
	}
}

// BootstrapECE stops its resamples when ctx is done (15.4): on a
// cancelled ctx it returns ctx's error and NaN promptly, where the same
// call without a cancel takes far longer (bootstrapWork resamples of
// bootstrapN rows: a few seconds).
func TestBootstrapECECancel(t *testing.T) {
	const (
		bootstrapN    = 100000
		bootstrapWork = 20000
		// promptly: the resamples under way when ctx is cancelled finish
		// (one each per worker, about 1 ms each), then it returns; the
		// bound leaves room for a loaded machine.
		promptly = 500 * time.Millisecond
	)
	rng := rand.New(rand.NewPCG(7, 8))
	conf, hit := make([]float64, bootstrapN), make([]bool, bootstrapN)
	for i := range conf {
		conf[i] = rng.Float64()
		hit[i] = rng.Float64() < conf[i]
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	lo, hi, err := calibrate.BootstrapECE(ctx, conf, hit, 10, calibrate.EdgesRightClosed, bootstrapWork, 0.9, 1, 2)
	if d := time.Since(start); !errors.Is(err, context.Canceled) || !math.IsNaN(lo) || !math.IsNaN(hi) || d > promptly {
		t.Errorf("cancelled: [%v, %v], %v after %v, want NaN, NaN and context.Canceled within %v", lo, hi, err, d, promptly)
	}
	// Cancelled while running: it stops soon after.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start = time.Now()
	_, _, err = calibrate.BootstrapECE(ctx, conf, hit, 10, calibrate.EdgesRightClosed, bootstrapWork, 0.9, 1, 2)
	if d := time.Since(start); !errors.Is(err, context.Canceled) || d > 50*time.Millisecond+promptly {
		t.Errorf("cancelled after 50 ms: %v after %v, want context.Canceled within %v", err, d, 50*time.Millisecond+promptly)
	}
}

// Coverage of the ECE interval on data whose calibration error θ is known:
// confidences uniform on [lo, hi], and a prediction correct with
// probability conf − δ, so every bin's accuracy is δ below its confidence
// and θ = |δ| for any binning. Each regime draws coverageReps samples of n
// rows (rep r seeded (r, regime)); the interval must hold θ in at least
// level − coverageTol of them, and always hold the sample's own ECE. The
// regimes include θ = 0 and θ of the order of the ECE's bias, where a
// percentile bootstrap of the ECE covers θ in no repetition at all.
// Rerun one regime with -run 'TestBootstrapECECoverage/<name>'.
func TestBootstrapECECoverage(t *testing.T) {
	const (
		coverageReps = 200
		level        = 0.95
		resamples    = 200
		bins         = calibrate.DefaultBins
		// coverageTol: three binomial standard deviations of the
		// observed coverage over coverageReps repetitions at the nominal
		// level.
		coverageTol = 3 * 0.0154 // √(0.95·0.05/200) = 0.0154
	)
	regimes := []struct {
		name          string
		n             int
		lo, hi, delta float64
	}{
		{"calibrated/n=300", 300, 0.5, 1, 0},
		{"calibrated/n=2000", 2000, 0.5, 1, 0},
		{"overconfident_0.01/n=1000", 1000, 0.5, 1, 0.01},
		{"overconfident_0.02/n=2000", 2000, 0.5, 1, 0.02},
		{"overconfident_0.05/n=1000", 1000, 0.5, 1, 0.05},
		{"underconfident_0.03/n=1000", 1000, 0.3, 0.95, -0.03},
	}
	for g, rg := range regimes {
		t.Run(rg.name, func(t *testing.T) {
			theta := math.Abs(rg.delta)
			covered := 0
			for r := range coverageReps {
				rng := rand.New(rand.NewPCG(uint64(r), uint64(g)))
				conf, hit := make([]float64, rg.n), make([]bool, rg.n)
				for i := range conf {
					conf[i] = rg.lo + (rg.hi-rg.lo)*rng.Float64()
					hit[i] = rng.Float64() < conf[i]-rg.delta
				}
				ece := calibrate.EqualWidth(conf, hit, bins, calibrate.EdgesRightClosed).ECE()
				lo, hi, _ := calibrate.BootstrapECE(context.Background(), conf, hit, bins, calibrate.EdgesRightClosed, resamples, level, uint64(r), 0)
				if !(lo <= ece && ece <= hi) {
					t.Errorf("rep %d: ECE %.4f outside its interval [%.4f, %.4f]", r, ece, lo, hi)
				}
				if lo <= theta && theta <= hi {
					covered++
				}
			}
			cov := float64(covered) / coverageReps
			t.Logf("θ = %.3f: coverage %.3f over %d repetitions", theta, cov, coverageReps)
			if cov < level-coverageTol {
				t.Errorf("θ = %.3f, n = %d: coverage %.3f < %.3f − %.3f", theta, rg.n, cov, level, coverageTol)
			}
		})
	}
}

// The Accumulator's equal-mass ECE (a pdqsort of the stored confidences,
// ties split by a bin boundary put back in row order) equals EqualMass's
// (a stable sort of (confidence, index) pairs) exactly, on data made of
// ties: three confidence values, hits at random, for bin counts that put
// boundaries inside the ties.
func TestEqualMassTies(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, n := range []int{1, 7, 100, 1001} {
		probs := make([]float64, 2*n)
		labels := make([]int, n)
		for i := range n {
			c := []float64{0.5, 0.75, 1}[rng.IntN(3)]
			probs[2*i], probs[2*i+1] = c, 1-c
			labels[i] = rng.IntN(2)
		}
		conf, hit := calibrate.TopLabel(probs, 2, labels)
		for _, bins := range []int{1, 2, 3, 7, 15, 64} {
			got := calibrate.Evaluate(probs, 2, labels, calibrate.Settings{Bins: bins}).ECEMass
			want := calibrate.EqualMass(conf, hit, bins).ECE()
			if got != want {
				t.Errorf("n = %d, %d bins: Accumulator %v, EqualMass %v", n, bins, got, want)
			}
		}
	}
}
