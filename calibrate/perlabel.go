package calibrate

// This file holds the per-label binary metrics of sigmoid (one-vs-rest,
// multi-label) outputs: each output p_j is the probability of its own
// binary event y_j, binned and scored on its own, without the
// normalization into class probabilities that the top-label metrics use.

import (
	"math"

	"github.com/focaltk/focal/theory"
)

// PerLabelMetrics are the per-label binary metrics of N rows of K sigmoid
// outputs p_ij against binary (or soft) outcomes y_ij ∈ [0, 1]: the
// outcomes are the classes' indicators [y_i = j] for class labels, or the
// rows of a multi-label target. Equal-width bins use Settings.Bins and
// Settings.Edges.
type PerLabelMetrics struct {
	// Labels is K, Entries N·K.
	Labels  int `json:"labels"`
	Entries int `json:"entries"`
	// ECE is the mean over labels j of the binary ECE of p_j against y_j
	// (torchmetrics' BinaryCalibrationError per label, then averaged;
	// the "per-label binary ECE"); MaxECE the largest of them.
	ECE    float64 `json:"ece"`
	MaxECE float64 `json:"max_label_ece"`
	// NLL is the mean binary cross-entropy −[y log p + (1−y) log(1−p)]
	// over the N·K entries (as torch.nn.BCELoss with reduction "mean"),
	// Brier the mean (p − y)² over them.
	NLL   float64 `json:"bce"`
	Brier float64 `json:"brier"`
}

// PerLabelAccumulator computes PerLabelMetrics over rows added in blocks:
// K·Bins bins and two sums, no per-row storage.
type PerLabelAccumulator struct {
	k, bins int
	edges   Edges
	nb      int
	n       int
	nll     float64
	bri     float64
	cls     []Bin
}

// NewPerLabelAccumulator returns a PerLabelAccumulator for rows of k
// sigmoid outputs.
func NewPerLabelAccumulator(k int, s Settings) *PerLabelAccumulator {
	b := s.bins()
	proto := newEqualWidth(b, s.Edges)
	a := &PerLabelAccumulator{k: k, bins: b, edges: s.Edges, nb: len(proto), cls: make([]Bin, k*len(proto))}
	for j := range k {
		copy(a.cls[j*a.nb:(j+1)*a.nb], proto)
	}
	return a
}

// Add adds the rows of the N×K matrix probs against the N×K outcomes y in
// [0, 1]. It panics on inconsistent shapes.
func (a *PerLabelAccumulator) Add(probs, y []float64) {
	k := a.k
	if len(probs) != len(y) || len(probs)%k != 0 {
		panic("calibrate: shape mismatch")
	}
	for i, p := range probs {
		a.entry(i%k, p, y[i])
	}
	a.n += len(probs) / k
}

// AddClasses adds the rows of probs against class labels: y_ij = [labels_i
// = j]. It panics on inconsistent shapes or a label out of range.
func (a *PerLabelAccumulator) AddClasses(probs []float64, labels []int) {
	k := a.k
	if len(probs) != k*len(labels) {
		panic("calibrate: shape mismatch")
	}
	for i, c := range labels {
		if c < 0 || c >= k {
			panic("calibrate: label out of range")
		}
		for j, p := range probs[i*k : (i+1)*k] {
			a.entry(j, p, b2f(j == c))
		}
	}
	a.n += len(labels)
}

func (a *PerLabelAccumulator) entry(j int, p, y float64) {
	b := &a.cls[j*a.nb+binIndex(p, a.bins, a.edges)]
	b.Count++
	b.SumConf += p
	b.SumHit += y
	b.SumHit2 += y * y
	d := p - y
	a.bri += d * d
	// Terms with weight 0 are left out, so that p = 0 with y = 0 (and p =
	// 1 with y = 1) costs 0 and not NaN.
	if y != 0 {
		a.nll -= y * theory.Log(p)
	}
	if y != 1 {
		a.nll -= (1 - y) * math.Log1p(-p)
	}
}

// Metrics returns the metrics of the rows added so far.
func (a *PerLabelAccumulator) Metrics() PerLabelMetrics {
	e := float64(max(a.n*a.k, 1))
	m := PerLabelMetrics{Labels: a.k, Entries: a.n * a.k, NLL: a.nll / e, Brier: a.bri / e}
	for j := range a.k {
		v := Reliability{Bins: a.cls[j*a.nb : (j+1)*a.nb], N: a.n}.ECE()
		m.ECE += v
		m.MaxECE = math.Max(m.MaxECE, v)
	}
	m.ECE /= float64(a.k)
	return m
}
