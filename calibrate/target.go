package calibrate

// This file holds Target, the labels of the temperature fits and of the
// validation NLL: hard (one class per row) or soft (a distribution per
// row), and the few operations the fits need of them.

import (
	"fmt"
	"math"

	"github.com/focaltk/focal/numeric"
)

// Target holds the labels of N rows of K classes: Labels (one class in
// [0, K) per row) or, if Soft is not nil, Soft (an N×K matrix of label
// distributions, one-hot rows being hard labels). Exactly one is set.
type Target struct {
	Labels []int
	Soft   []float64
}

// Classes returns the labels as a Target.
func Classes(labels []int) Target { return Target{Labels: labels} }

// rows returns N for rows of k classes.
func (t Target) rows(k int) int {
	if t.Soft != nil {
		return len(t.Soft) / k
	}
	return len(t.Labels)
}

// dot returns Σ_j t_ij x_j over the row x of row i, the terms with t_ij = 0
// left out (so that an x_j = −Inf where the label puts no mass adds
// nothing): the log-likelihood of row i when x is its log probabilities.
func (t Target) dot(x []float64, i int) float64 {
	if t.Soft == nil {
		return x[t.Labels[i]]
	}
	k := len(x)
	var s float64
	for j, w := range t.Soft[i*k : (i+1)*k] {
		if w != 0 {
			s += w * x[j]
		}
	}
	return s
}

// mass returns Σ_j t_ij, the label mass of row i: 1 for a hard label, 1
// within the validation tolerance for a soft one.
func (t Target) mass(i, k int) float64 {
	if t.Soft == nil {
		return 1
	}
	var s float64
	for _, w := range t.Soft[i*k : (i+1)*k] {
		s += w
	}
	return s
}

// checkFit validates the arguments of a temperature fit (named fn in the
// errors) and says which rows it uses: those whose labels put no mass on a
// logit −Inf (whose NLL is +Inf at every temperature).
func checkFit(z []float64, k int, t Target, fn string) (TemperatureFit, []bool, error) {
	var fit TemperatureFit
	n := t.rows(k)
	if k < 1 || len(z) != k*n || t.Soft != nil && len(t.Soft)%k != 0 {
		return fit, nil, fmt.Errorf("calibrate: %s: shape mismatch", fn)
	}
	use := make([]bool, n)
	for i := range n {
		if t.Soft == nil {
			if y := t.Labels[i]; y < 0 || y >= k {
				return fit, nil, fmt.Errorf("calibrate: %s: label %d of row %d out of range", fn, y, i)
			}
		}
		row := z[i*k : (i+1)*k]
		for j, x := range row {
			if math.IsNaN(x) || math.IsInf(x, 1) {
				return fit, nil, &numeric.RowError{Row: i, Col: j, Value: x, Reason: "logit is NaN or +Inf"}
			}
		}
		use[i] = !math.IsInf(t.dot(row, i), -1)
		if use[i] {
			fit.Used++
		} else {
			fit.Skipped++
		}
	}
	if fit.Used == 0 {
		return fit, nil, fmt.Errorf("calibrate: %s: no validation row with a positive true-class probability", fn)
	}
	return fit, use, nil
}

// meanNLL returns the mean −Σ_j t_ij log p_ij of the rows of logp (+Inf if
// a label puts mass on a probability 0, NaN for no rows).
func meanNLL(logp []float64, k int, t Target) float64 {
	n := t.rows(k)
	if n == 0 {
		return math.NaN()
	}
	var s float64
	for i := range n {
		s -= t.dot(logp[i*k:(i+1)*k], i)
	}
	return s / float64(n)
}
