package calibrate

import (
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/focaltk/focal/theory"
)

// Settings configures the metrics; the zero value is a sensible default.
type Settings struct {
	// Bins is the number of bins of the binned metrics; 0 means
	// DefaultBins.
	Bins int
	// Edges is the equal-width bin convention; the zero value is
	// EdgesRightClosed.
	Edges Edges
	// Bootstrap is the number of bootstrap resamples for the interval of
	// the ECE; 0 means no interval.
	Bootstrap int
	// Level is the coverage of the bootstrap interval; 0 means
	// DefaultLevel.
	Level float64
	// Seed seeds the bootstrap.
	Seed uint64
	// Workers bounds the goroutines of the bootstrap; ≤ 0 means
	// GOMAXPROCS.
	Workers int
}

func (s Settings) bins() int {
	if s.Bins <= 0 {
		return DefaultBins
	}
	return s.Bins
}

// Metrics are the calibration metrics of a probability matrix against its
// labels. Every binned metric uses Settings.Bins bins; "equal-width" ones
// use the Settings.Edges convention.
type Metrics struct {
	// N is the number of samples.
	N int `json:"n"`
	// Error is the error rate: the fraction of rows whose prediction (the
	// smallest index of a largest probability) is not the label.
	Error float64 `json:"error"`
	// NLL is the mean negative log-likelihood −(1/N) Σ_i log p_{i,y_i}
	// (natural logarithm); +Inf if some true class has probability 0.
	NLL float64 `json:"nll"`
	// Brier is the mean multiclass Brier score (1/N) Σ_i Σ_j (p_ij −
	// [j = y_i])², in [0, 2].
	Brier float64 `json:"brier"`
	// ECE, RMSCE and MCE are the top-label expected, root-mean-square and
	// maximum calibration errors over equal-width bins.
	ECE   float64 `json:"ece"`
	RMSCE float64 `json:"rmsce"`
	MCE   float64 `json:"mce"`
	// RMSCEDebiased is the top-label RMSCE debiased as Kumar et al. (2019)
	// and torchmetrics' debias=True (Reliability.RMSCEDebiased).
	RMSCEDebiased float64 `json:"rmsce_debiased"`
	// SmoothECE is the top-label smooth ECE of Błasiok and Nakkiran
	// (2023) at its own bandwidth SmoothBandwidth (SmoothECE).
	SmoothECE       float64 `json:"smooth_ece"`
	SmoothBandwidth float64 `json:"smooth_ece_bandwidth"`
	// ECEMass is the top-label ECE over equal-mass bins (EqualMass).
	ECEMass float64 `json:"ece_equal_mass"`
	// ClasswiseECE is the classwise ECE of Kull et al. (NeurIPS 2019):
	// the mean over classes j of the ECE of p_j against [y = j], over
	// equal-width bins of p_j.
	ClasswiseECE float64 `json:"classwise_ece"`
	// ECELow and ECEHigh bound the bootstrap interval of ECE (NaN without
	// Settings.Bootstrap; omitted from JSON then).
	ECELow  float64 `json:"-"`
	ECEHigh float64 `json:"-"`
	// Reliability holds the equal-width top-label bins behind ECE.
	Reliability Reliability `json:"-"`
}

// Accumulator computes Metrics over rows added in blocks, in one pass: the
// sums and bins are O(K·B) memory, and 8 bytes per row are kept for the
// equal-mass ECE and the bootstrap (the confidence, with its sign bit
// carrying correctness).
type Accumulator struct {
	k    int
	set  Settings
	bins int
	n    int
	errs float64
	nll  float64
	bri  float64
	top  []Bin
	cls  []Bin // K × nb, row j for class j
	nb   int
	conf []float64 // +conf for a correct prediction, −conf otherwise (hard labels); conf (soft)
	// hit is nil for hard labels (Add, AddLog); for soft ones (AddSoft)
	// it holds each row's label probability of the predicted class.
	hit []float64
}

// NewAccumulator returns an Accumulator for rows of k probabilities.
func NewAccumulator(k int, s Settings) *Accumulator {
	b := s.bins()
	a := &Accumulator{k: k, set: s, bins: b, top: newEqualWidth(b, s.Edges)}
	a.nb = len(a.top)
	a.cls = make([]Bin, k*a.nb)
	for j := range k {
		copy(a.cls[j*a.nb:(j+1)*a.nb], a.top)
	}
	return a
}

// Grow reserves room for n more rows, so that adding them allocates no
// more memory for the stored confidences (Add grows its store otherwise,
// by up to a quarter more than it holds).
func (a *Accumulator) Grow(n int) { a.conf = slices.Grow(a.conf, n) }

// AddSoft adds the rows of the N×K matrix probs (with their logarithms
// logp, or nil) against soft labels: the N×K matrix target of label
// distributions (one-hot rows are hard labels). Each metric is then its
// expectation under the label distribution: the error is 1 − t_m at the
// prediction m, the NLL the cross-entropy −Σ_j t_j log p_j (terms with
// t_j = 0 contribute 0), the Brier score Σ_j (p_j − t_j)², and a bin's
// accuracy sums t_m (top-label) or t_j (classwise). The store for the
// equal-mass ECE and the bootstrap is then 16 bytes per row. With
// one-hot targets, every metric equals Add's with the labels they encode
// (TestAddSoftOneHot). An Accumulator takes hard or soft labels, not both:
// AddSoft panics after Add (and Add after AddSoft), and on inconsistent
// shapes. Targets are taken as given: they should be probability rows.
func (a *Accumulator) AddSoft(probs, logp, target []float64) {
	k := a.k
	if len(probs) != len(target) || len(probs)%k != 0 || logp != nil && len(logp) != len(probs) {
		panic("calibrate: shape mismatch")
	}
	if a.hit == nil && a.n > 0 {
		panic("calibrate: AddSoft after Add")
	}
	if a.hit == nil {
		a.hit = make([]float64, 0, cap(a.conf))
	}
	n := len(probs) / k
	for i := range n {
		row, tr := probs[i*k:(i+1)*k], target[i*k:(i+1)*k]
		m := 0
		var brier, nll float64
		for j, p := range row {
			if p > row[m] {
				m = j
			}
			d := p - tr[j]
			brier += d * d
			cb := &a.cls[j*a.nb+binIndex(p, a.bins, a.set.Edges)]
			cb.Count++
			cb.SumConf += p
			cb.SumHit += tr[j]
			cb.SumHit2 += tr[j] * tr[j]
			if tr[j] != 0 {
				lp := 0.0
				if logp != nil {
					lp = logp[i*k+j]
				} else {
					lp = theory.Log(p)
				}
				nll -= tr[j] * lp
			}
		}
		c, h := row[m], tr[m]
		tb := &a.top[binIndex(c, a.bins, a.set.Edges)]
		tb.Count++
		tb.SumConf += c
		tb.SumHit += h
		tb.SumHit2 += h * h
		a.errs += 1 - h
		a.conf = append(a.conf, c)
		a.hit = append(a.hit, h)
		a.nll += nll
		a.bri += brier
	}
	a.n += n
}

// Add adds the rows of the N×K matrix probs with their labels, which must
// be in [0, K) (Add panics otherwise, and if len(probs) != K·len(labels)).
// Rows are taken as given: they should be probability vectors.
func (a *Accumulator) Add(probs []float64, labels []int) { a.AddLog(probs, nil, labels) }

// AddLog is Add with the logarithms of the probabilities given (logp, of
// the length of probs, or nil to take them from probs): the NLL is then
// −log p read from logp, finite for a probability that underflowed to 0
// in probs but not in the log domain (a recovery from logits).
func (a *Accumulator) AddLog(probs, logp []float64, labels []int) {
	k := a.k
	if len(probs) != k*len(labels) || logp != nil && len(logp) != len(probs) {
		panic("calibrate: shape mismatch")
	}
	if a.hit != nil {
		panic("calibrate: Add after AddSoft")
	}
	for i, y := range labels {
		if y < 0 || y >= k {
			panic("calibrate: label out of range")
		}
		row := probs[i*k : (i+1)*k]
		m := 0
		var brier float64
		for j, p := range row {
			if p > row[m] {
				m = j
			}
			d := p
			if j == y {
				d = p - 1
			}
			brier += d * d
			cb := &a.cls[j*a.nb+binIndex(p, a.bins, a.set.Edges)]
			cb.Count++
			cb.SumConf += p
			if j == y {
				cb.SumHit++
				cb.SumHit2++
			}
		}
		c := row[m]
		tb := &a.top[binIndex(c, a.bins, a.set.Edges)]
		tb.Count++
		tb.SumConf += c
		if m == y {
			tb.SumHit++
			tb.SumHit2++
			a.conf = append(a.conf, c)
		} else {
			a.errs++
			a.conf = append(a.conf, -c)
		}
		if logp != nil {
			a.nll -= logp[i*k+y]
		} else {
			a.nll -= theory.Log(row[y])
		}
		a.bri += brier
	}
	a.n += len(labels)
}

// Metrics returns the metrics of the rows added so far.
func (a *Accumulator) Metrics() Metrics {
	m, _ := a.MetricsContext(context.Background())
	return m
}

// MetricsContext is Metrics, stopped by ctx: the bootstrap (the part that
// can take minutes) stops soon after ctx is done, and MetricsContext then
// returns ctx's error.
func (a *Accumulator) MetricsContext(ctx context.Context) (Metrics, error) {
	n := float64(max(a.n, 1))
	m := Metrics{N: a.n, Error: a.errs / n, NLL: a.nll / n, Brier: a.bri / n, ECELow: math.NaN(), ECEHigh: math.NaN()}
	m.Reliability = Reliability{Bins: append([]Bin(nil), a.top...), N: a.n}
	m.ECE, m.RMSCE, m.MCE = m.Reliability.ECE(), m.Reliability.RMSCE(), m.Reliability.MCE()
	m.RMSCEDebiased = m.Reliability.RMSCEDebiased()
	m.SmoothECE, m.SmoothBandwidth = a.smoothECE()
	var cw float64
	for j := range a.k {
		cw += Reliability{Bins: a.cls[j*a.nb : (j+1)*a.nb], N: a.n}.ECE()
	}
	m.ClasswiseECE = cw / float64(a.k)
	if a.set.Bootstrap > 0 && a.n > 0 {
		var err error
		m.ECELow, m.ECEHigh, err = bootstrapPairs(ctx, a.conf, a.hit, a.bins, a.set.Edges, a.set.Bootstrap, a.set.Level, a.set.Seed, a.set.Workers)
		if err != nil {
			return Metrics{}, err
		}
	}
	if a.hit != nil {
		m.ECEMass = EqualMassSoft(a.conf, a.hit, a.bins).ECE()
	} else {
		m.ECEMass = equalMassSigned(a.conf, a.bins).ECE()
	}
	return m, nil
}

// Evaluate returns the Metrics of the N×K probability matrix probs against
// labels in [0, K); see Accumulator. It panics on inconsistent shapes or a
// label out of range.
func Evaluate(probs []float64, k int, labels []int, s Settings) Metrics {
	a := NewAccumulator(k, s)
	a.Add(probs, labels)
	return a.Metrics()
}

// equalMassSigned returns the equal-mass bins of the signed confidences
// conf (the store of Accumulator) in the order of a stable sort by
// confidence, as EqualMass does, with 8 bytes per row of scratch: a copy
// sorted by |c| with pdqsort, whose ties are then put back in index order
// where it matters, in a tie that a bin boundary splits (one pass over conf
// per such tie, at most bins − 1).
func equalMassSigned(conf []float64, bins int) Reliability {
	if bins <= 0 {
		bins = DefaultBins
	}
	n := len(conf)
	s := slices.Clone(conf)
	slices.SortFunc(s, func(x, y float64) int { return cmp.Compare(math.Abs(x), math.Abs(y)) })
	for b := 1; b < bins; b++ {
		p := b * n / bins
		if p == 0 || p == n || math.Abs(s[p-1]) != math.Abs(s[p]) {
			continue
		}
		v := math.Abs(s[p])
		u := p
		for u > 0 && math.Abs(s[u-1]) == v {
			u--
		}
		k := u
		for _, c := range conf {
			if math.Abs(c) == v {
				s[k] = c
				k++
			}
		}
	}
	return equalMassSorted(n, bins, func(i int) (float64, float64) { return math.Abs(s[i]), b2f(!math.Signbit(s[i])) })
}
