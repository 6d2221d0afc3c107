package experiments

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/focaltk/focal/calibrate"
	"github.com/focaltk/focal/numeric"
)

// ECEBins is the number of equal-width bins of every ECE here: 10, as in
// Sec. 6 of the paper, with calibrate's default right-closed bins (Guo et
// al., ICML 2017).
const ECEBins = 10

// Scores are the metrics of one set of class scores on a labelled test set.
type Scores struct {
	// Error is the error rate of the prediction (the smallest index of a
	// largest score).
	Error float64
	// NLL is the mean negative log-likelihood of the labels (natural
	// logarithm); +Inf if some label has score 0.
	NLL float64
	// ECE is the top-label expected calibration error over ECEBins
	// equal-width bins.
	ECE float64
}

func scoresOf(probs []float64, k int, labels []int) Scores {
	m := calibrate.Evaluate(probs, k, labels, calibrate.Settings{Bins: ECEBins})
	return Scores{Error: m.Error, NLL: m.NLL, ECE: m.ECE}
}

// outputs are the three sets of test scores compared everywhere: the raw
// softmax outputs q, temperature scaling softmax(z/T) with T fitted by NLL
// on the validation set, and Ψ^γ(q).
type outputs struct {
	raw, ts, psi []float64
	// tsNLL is the test NLL of temperature scaling from the logits
	// (logitNLL): finite where softmax(z/T) underflows to 0 at a small T.
	tsNLL   float64
	t       float64
	tStatus string // calibrate.TemperatureFit.Status
}

// postprocess forms the three outputs of a model with test logits zTest
// from its validation logits zVal (for the temperature).
func postprocess(zVal []float64, yVal []int, zTest []float64, yTest []int, k int, gamma float64) (outputs, error) {
	fitT, err := calibrate.FitTemperature(zVal, k, yVal, 1)
	if err != nil {
		return outputs{}, err
	}
	var o outputs
	o.t, o.tStatus = fitT.T, fitT.Status
	o.raw = numeric.SoftmaxRows(make([]float64, len(zTest)), zTest, k, 1)
	o.ts = calibrate.ScaleTemperature(make([]float64, len(zTest)), zTest, k, fitT.T, 1)
	o.tsNLL = logitNLL(zTest, k, yTest, fitT.T)
	o.psi = numeric.PsiRows(make([]float64, len(zTest)), o.raw, k, gamma, 1)
	return o, nil
}

// logitNLL returns the mean NLL −(1/N) Σ_i log softmax(z_i/t)_{y_i} of the
// N×k logits z, in the log domain: log softmax(z/t)_y = z_y/t − m −
// log Σ_j exp(z_j/t − m) with m = max_j z_j/t, which is finite for finite
// logits however small t is (softmax(z/t) itself rounds the true class's
// probability to 0 once (m − z_y/t) exceeds about 745, and the NLL of
// those probabilities is +Inf).
func logitNLL(z []float64, k int, labels []int, t float64) float64 {
	var s float64
	for i, y := range labels {
		row := z[i*k : (i+1)*k]
		m := math.Inf(-1)
		for _, x := range row {
			m = math.Max(m, x/t)
		}
		var e float64
		for _, x := range row {
			e += math.Exp(x/t - m)
		}
		s -= row[y]/t - m - math.Log(e)
	}
	return s / float64(len(labels))
}

// runJobs calls fn(i) for i in [0, n) on up to GOMAXPROCS goroutines, in
// the order of i, and returns the error of the smallest i that failed (or
// the context's error). Each job must write only its own result slot and
// draw only from its own random stream, so that results do not depend on
// scheduling.
func runJobs(ctx context.Context, n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[i] = err
					continue
				}
				errs[i] = fn(i)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// errorRate returns the fraction of rows of the N×K logits z whose
// prediction (the smallest index of a largest logit) is not the label.
func errorRate(z []float64, k int, labels []int) float64 {
	errs := 0
	for i, y := range labels {
		row := z[i*k : (i+1)*k]
		m := 0
		for j, v := range row {
			if v > row[m] {
				m = j
			}
		}
		if m != y {
			errs++
		}
	}
	return float64(errs) / float64(max(len(labels), 1))
}

// meanSD returns the mean and the sample standard deviation of x (sd = 0
// for fewer than two values).
func meanSD(x []float64) (mean, sd float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	for _, v := range x {
		sd += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(sd / float64(len(x)-1))
}
