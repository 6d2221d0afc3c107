package calibrate

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/focaltk/focal/numeric"
)

// DefaultBins is the default number of bins of the binned metrics (15, as
// in Guo et al. 2017 and torchmetrics).
const DefaultBins = 15

// Edges selects which side of an equal-width bin is closed.
type Edges int

const (
	// EdgesRightClosed: bin b of B is (b/B, (b+1)/B], the first bin
	// [0, 1/B] (Guo et al. 2017). The default.
	EdgesRightClosed Edges = iota
	// EdgesLeftClosed: bin b of B is [b/B, (b+1)/B), and confidences equal
	// to 1 form a separate bin B (torchmetrics' CalibrationError:
	// torch.bucketize(right=True) − 1 on linspace(0, 1, B+1)).
	EdgesLeftClosed
)

func (e Edges) String() string {
	if e == EdgesLeftClosed {
		return "left-closed [lo, hi), 1 alone (torchmetrics)"
	}
	return "right-closed (lo, hi], first bin [0, 1/B] (Guo et al.)"
}

// edge returns the b-th of B+1 equal-width edges, b/B in float64.
func edge(b, bins int) float64 { return float64(b) / float64(bins) }

// binIndex returns the equal-width bin of x in [0, 1] under the edge
// convention: in [0, bins) for EdgesRightClosed, [0, bins] for
// EdgesLeftClosed (bins is the bin of x = 1). The comparison with the
// float64 edges b/B is exact; the first guess from x·B is corrected by at
// most one bin either way.
func binIndex(x float64, bins int, e Edges) int {
	fb := float64(bins)
	if e == EdgesLeftClosed {
		i := int(math.Floor(x * fb))
		i = max(0, min(i, bins))
		if i > 0 && x < edge(i, bins) {
			i--
		}
		if i < bins && x >= edge(i+1, bins) {
			i++
		}
		return i
	}
	i := int(math.Ceil(x*fb)) - 1
	i = max(0, min(i, bins-1))
	if i > 0 && x <= edge(i, bins) {
		i--
	}
	if i < bins-1 && x > edge(i+1, bins) {
		i++
	}
	return i
}

// Bin accumulates the samples whose confidence falls in [Lo, Hi] (with the
// convention's open side).
type Bin struct {
	// Lo and Hi are the bin's edges: b/B and (b+1)/B for equal-width bins
	// (Lo = Hi = 1 for the extra bin of EdgesLeftClosed), the smallest and
	// largest confidence in the bin for equal-mass bins.
	Lo, Hi float64
	// Count is the number of samples in the bin.
	Count int
	// SumConf is the sum of their confidences, SumHit the number of them
	// whose outcome is positive (a correct prediction, or y = 1), or with
	// soft labels the sum of the outcomes' probabilities; SumHit2 the sum
	// of their squares (SumHit for hard labels), for the variance of the
	// bin's accuracy.
	SumConf, SumHit, SumHit2 float64
}

// Conf returns the mean confidence in the bin (NaN if empty).
func (b Bin) Conf() float64 { return b.SumConf / float64(b.Count) }

// Acc returns the fraction of positive outcomes in the bin (NaN if empty).
func (b Bin) Acc() float64 { return b.SumHit / float64(b.Count) }

// Reliability is a binned reliability curve: per bin, the mean confidence
// and the observed frequency of the outcome.
type Reliability struct {
	Bins []Bin
	// N is the total number of samples.
	N int
}

// ECE returns the expected calibration error Σ_b (n_b/N)·|acc_b − conf_b|
// (torchmetrics' norm "l1"); 0 for N = 0.
func (r Reliability) ECE() float64 {
	var s float64
	for _, b := range r.Bins {
		if b.Count > 0 {
			s += float64(b.Count) * math.Abs(b.Acc()-b.Conf())
		}
	}
	return s / float64(max(r.N, 1))
}

// RMSCE returns the root-mean-square calibration error
// √(Σ_b (n_b/N)·(acc_b − conf_b)²) (torchmetrics' norm "l2", without
// debiasing).
func (r Reliability) RMSCE() float64 {
	var s float64
	for _, b := range r.Bins {
		if b.Count > 0 {
			d := b.Acc() - b.Conf()
			s += float64(b.Count) * d * d
		}
	}
	return math.Sqrt(s / float64(max(r.N, 1)))
}

// RMSCEDebiased returns the debiased root-mean-square calibration error
// of Kumar, Liang and Ma (NeurIPS 2019, "Verified uncertainty
// calibration"), torchmetrics' norm "l2" with debias=True: the plug-in
// Σ_b (n_b/N)(acc_b − conf_b)² minus, per bin, the variance of acc_b as an
// estimate of the bin's accuracy, s_b²/n_b with s_b² the sample variance of
// the outcomes (acc_b(1 − acc_b)·n_b/(n_b − 1) for 0/1 outcomes), then the
// square root of the result if it is positive and 0 otherwise. Bins with
// fewer than 2 samples get no correction (torchmetrics' 0/0 → 0).
func (r Reliability) RMSCEDebiased() float64 {
	var s float64
	for _, b := range r.Bins {
		if b.Count == 0 {
			continue
		}
		n := float64(b.Count)
		d := b.Acc() - b.Conf()
		s += n * d * d
		if b.Count >= 2 {
			a := b.Acc()
			s -= (b.SumHit2 - n*a*a) / (n - 1)
		}
	}
	s /= float64(max(r.N, 1))
	if !(s > 0) {
		return 0
	}
	return math.Sqrt(s)
}

// MCE returns the maximum calibration error max_b |acc_b − conf_b| over the
// non-empty bins (torchmetrics' norm "max"); 0 if all are empty.
func (r Reliability) MCE() float64 {
	var m float64
	for _, b := range r.Bins {
		if b.Count > 0 {
			m = math.Max(m, math.Abs(b.Acc()-b.Conf()))
		}
	}
	return m
}

// newEqualWidth returns empty equal-width bins: B of them, plus the bin
// {1} for EdgesLeftClosed.
func newEqualWidth(bins int, e Edges) []Bin {
	n := bins
	if e == EdgesLeftClosed {
		n++
	}
	bs := make([]Bin, n)
	for i := range bins {
		bs[i].Lo, bs[i].Hi = edge(i, bins), edge(i+1, bins)
	}
	if e == EdgesLeftClosed {
		bs[bins].Lo, bs[bins].Hi = 1, 1
	}
	return bs
}

// EqualWidth bins the pairs (conf[i], hit[i]) into bins equal-width bins on
// [0, 1] under the edge convention e. conf must lie in [0, 1]; bins ≤ 0
// means DefaultBins. For the top-label ECE pass the confidences and
// correctness of TopLabel; for the ECE of a binary classifier in
// torchmetrics' sense (BinaryCalibrationError), the probabilities of the
// positive class and y == 1.
//
// EqualWidth panics if len(conf) != len(hit).
func EqualWidth(conf []float64, hit []bool, bins int, e Edges) Reliability {
	if len(conf) != len(hit) {
		panic("calibrate: length mismatch")
	}
	if bins <= 0 {
		bins = DefaultBins
	}
	r := Reliability{Bins: newEqualWidth(bins, e), N: len(conf)}
	for i, c := range conf {
		b := &r.Bins[binIndex(c, bins, e)]
		b.Count++
		b.SumConf += c
		if hit[i] {
			b.SumHit++
			b.SumHit2++
		}
	}
	return r
}

// EqualMass bins the pairs (conf[i], hit[i]) into bins bins of (nearly)
// equal count: after a stable sort by confidence, bin b holds the samples of
// rank ⌊bN/B⌋ to ⌊(b+1)N/B⌋ − 1 (the "adaptive" binning of Nixon et al.
// 2019 and Mukhoti et al. 2020). Tied confidences may be split between
// neighbouring bins. Bins are empty when N < B. bins ≤ 0 means DefaultBins.
//
// EqualMass panics if len(conf) != len(hit).
func EqualMass(conf []float64, hit []bool, bins int) Reliability {
	if len(conf) != len(hit) {
		panic("calibrate: length mismatch")
	}
	s := make([]ranked, len(conf))
	for i, c := range conf {
		s[i] = ranked{c, uint32(i), hit[i]}
	}
	sortRanked(s)
	return equalMassSorted(len(s), bins, func(i int) (float64, float64) { return s[i].conf, b2f(s[i].hit) })
}

// EqualMassSoft is EqualMass of pairs whose hit is a number in [0, 1]
// (the probability of the predicted class under a soft label).
//
// EqualMassSoft panics if len(conf) != len(hit).
func EqualMassSoft(conf, hit []float64, bins int) Reliability {
	if len(conf) != len(hit) {
		panic("calibrate: length mismatch")
	}
	type pair struct {
		conf, hit float64
		idx       uint32
	}
	s := make([]pair, len(conf))
	for i, c := range conf {
		s[i] = pair{c, hit[i], uint32(i)}
	}
	slices.SortFunc(s, func(a, b pair) int {
		if c := cmp.Compare(a.conf, b.conf); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	return equalMassSorted(len(s), bins, func(i int) (float64, float64) { return s[i].conf, s[i].hit })
}

// ranked is a sample for equal-mass binning: its confidence, its index
// (the tie-breaker that makes the order that of a stable sort) and its
// outcome.
type ranked struct {
	conf float64
	idx  uint32
	hit  bool
}

// sortRanked sorts by confidence, ties by index: the order of a stable
// sort by confidence, with pdqsort's O(n log n).
func sortRanked(s []ranked) {
	slices.SortFunc(s, func(a, b ranked) int {
		if c := cmp.Compare(a.conf, b.conf); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
}

// b2f is 1 for true and 0 for false: a hard label's hit.
func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// equalMassSorted builds equal-mass bins from n samples given in increasing
// order of confidence by at(i), which returns the confidence and the hit
// (1 or 0 for a hard label, the label's probability of the predicted
// class for a soft one).
func equalMassSorted(n, bins int, at func(int) (float64, float64)) Reliability {
	if bins <= 0 {
		bins = DefaultBins
	}
	r := Reliability{Bins: make([]Bin, bins), N: n}
	for b := range bins {
		lo, hi := b*n/bins, (b+1)*n/bins
		bin := &r.Bins[b]
		bin.Lo, bin.Hi = math.NaN(), math.NaN()
		for i := lo; i < hi; i++ {
			c, h := at(i)
			if i == lo {
				bin.Lo = c
			}
			bin.Hi = c
			bin.Count++
			bin.SumConf += c
			bin.SumHit += h
			bin.SumHit2 += h * h
		}
	}
	return r
}

// TopLabel returns, for each row of the N×K probability matrix probs, the
// top-label confidence max_j p_j and whether its prediction (the smallest
// index of a largest entry) equals the label.
//
// TopLabel panics if len(probs) != k·len(labels).
func TopLabel(probs []float64, k int, labels []int) (conf []float64, hit []bool) {
	if k < 1 || len(probs) != k*len(labels) {
		panic("calibrate: shape mismatch")
	}
	conf = make([]float64, len(labels))
	hit = make([]bool, len(labels))
	for i, y := range labels {
		row := probs[i*k : (i+1)*k]
		m := 0
		for j, p := range row {
			if p > row[m] {
				m = j
			}
		}
		conf[i], hit[i] = row[m], m == y
	}
	return conf, hit
}

// DefaultLevel is the default coverage of the ECE interval.
const DefaultLevel = 0.95

// IntervalMethod names the method of BootstrapECE's interval in reports.
const IntervalMethod = "bias-bounded bootstrap"

// BootstrapECE returns an interval [lo, hi] of coverage at least level (0
// means DefaultLevel) for the calibration error that the equal-width ECE
// of the pairs (conf, hit) estimates: θ = Σ_b w_b |d_b|, with w_b the
// weight of bin b and d_b its expected accuracy minus its mean confidence.
//
// The plug-in ECE = Σ_b w_b |d̂_b| is biased upward (|d̂_b| averages above
// |d_b| when d̂_b is noisy), so a percentile bootstrap of it is centred
// above θ and can exclude even the ECE itself. Instead, with the noise
// ε_b = d̂_b − d_b, the triangle inequality bounds θ on both sides:
//
//	θ ≥ ECE − Σ_b w_b |ε_b|            (lower)
//	θ ≤ ECE − Σ_b w_b σ_b ε_b,  σ_b = sign d_b   (upper)
//
// The bootstrap gives the distribution of the noise terms: each of reps
// resamples of N pairs drawn with replacement yields
// D* = Σ_b |S*_b − n*_b d̂_b|/N and L* = Σ_b σ̂_b (S*_b − n*_b d̂_b)/N, with
// S*_b the resample's Σ (hit − conf) in bin b, n*_b its count and σ̂_b the
// sign of d̂_b. Then lo = max(0, ECE − q_{(1+level)/2}(D*)) and
// hi = ECE − q_{(1−level)/2}(L*) (quantiles with linear interpolation
// between order statistics). Each bound fails with probability about
// (1−level)/2, the lower one less (the triangle inequality is loose), so
// the interval is conservative; it always contains the ECE, and its lower
// end is 0 when the ECE is within its own noise of 0. TestBootstrapECECoverage
// measures the coverage on data of known θ.
//
// Resample r draws from its own PCG stream (seed, r), so the interval
// depends only on the data and seed, not on the number of workers (≤ 0:
// GOMAXPROCS). It returns NaN, NaN for reps < 1 or no data. The resamples
// stop soon after ctx is done (each checks it before it starts), and
// BootstrapECE then returns NaN, NaN and ctx's error.
//
// BootstrapECE panics if len(conf) != len(hit).
func BootstrapECE(ctx context.Context, conf []float64, hit []bool, bins int, e Edges, reps int, level float64, seed uint64, workers int) (lo, hi float64, err error) {
	if len(conf) != len(hit) {
		panic("calibrate: length mismatch")
	}
	n := len(conf)
	if reps < 1 || n == 0 {
		return math.NaN(), math.NaN(), ctx.Err()
	}
	signed := make([]float64, n)
	for i, c := range conf {
		signed[i] = c
		if !hit[i] {
			signed[i] = -c
		}
	}
	return bootstrapPairs(ctx, signed, nil, bins, e, reps, level, seed, workers)
}

// bootstrapPairs is BootstrapECE of the store of Accumulator: the
// confidences |c| of conf, with hit[i] the hit of row i, or, when hit is
// nil, a hit when the sign bit of conf[i] is clear (−0 is a miss at
// confidence 0), for reps ≥ 1 and len(conf) > 0.
func bootstrapPairs(ctx context.Context, conf, hit []float64, bins int, e Edges, reps int, level float64, seed uint64, workers int) (lo, hi float64, err error) {
	n := len(conf)
	hitAt := func(i int) float64 {
		if hit != nil {
			return hit[i]
		}
		return b2f(!math.Signbit(conf[i]))
	}
	if bins <= 0 {
		bins = DefaultBins
	}
	if !(level > 0 && level < 1) {
		level = DefaultLevel
	}
	nb := len(newEqualWidth(bins, e))
	idx := make([]int32, n)
	cnt := make([]int, nb)
	gap := make([]float64, nb) // Σ (hit − conf) per bin
	for i, s := range conf {
		c := math.Abs(s)
		b := binIndex(c, bins, e)
		idx[i] = int32(b)
		cnt[b]++
		gap[b] += hitAt(i) - c
	}
	d := make([]float64, nb)    // d̂_b
	sign := make([]float64, nb) // σ̂_b
	var ece float64
	for b, c := range cnt {
		if c > 0 {
			d[b] = gap[b] / float64(c)
		}
		sign[b] = 1
		if gap[b] < 0 {
			sign[b] = -1
		}
		ece += math.Abs(gap[b])
	}
	ece /= float64(n)
	dev := make([]float64, reps) // D*
	lin := make([]float64, reps) // L*
	numeric.ParallelChunks(reps, workers, 1, func(rlo, rhi int) {
		cnt := make([]int, nb)
		gap := make([]float64, nb)
		for r := rlo; r < rhi; r++ {
			if ctx.Err() != nil {
				return
			}
			clear(cnt)
			clear(gap)
			rng := rand.New(rand.NewPCG(seed, uint64(r)))
			for range n {
				j := rng.IntN(n)
				b := idx[j]
				cnt[b]++
				// The hard-label store inline (the hot loop of long
				// bootstraps), the soft one through hit.
				s := conf[j]
				if hit != nil {
					gap[b] += hit[j] - s
				} else if gap[b] -= math.Abs(s); !math.Signbit(s) {
					gap[b]++
				}
			}
			var sd, sl float64
			for b, c := range cnt {
				x := gap[b] - float64(c)*d[b]
				sd += math.Abs(x)
				sl += sign[b] * x
			}
			dev[r], lin[r] = sd/float64(n), sl/float64(n)
		}
	})
	if err := ctx.Err(); err != nil {
		return math.NaN(), math.NaN(), err
	}
	sort.Float64s(dev)
	sort.Float64s(lin)
	lo = max(0, ece-quantile(dev, (1+level)/2))
	hi = ece - quantile(lin, (1-level)/2)
	return min(lo, ece), max(hi, ece), nil
}

// quantile returns the q-quantile of sorted x by linear interpolation
// between order statistics (Hyndman and Fan's type 7, NumPy's default).
func quantile(x []float64, q float64) float64 {
	h := q * float64(len(x)-1)
	i := int(math.Floor(h))
	if i >= len(x)-1 {
		return x[len(x)-1]
	}
	return x[i] + (h-float64(i))*(x[i+1]-x[i])
}
