package calibrate_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/focaltk/focal/calibrate"
)

// synthLogits returns n rows of k logits and labels drawn from
// softmax(z/t0): data for which the true temperature is t0.
func synthLogits(n, k int, t0 float64, seed uint64) ([]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 9))
	z := make([]float64, n*k)
	labels := make([]int, n)
	p := make([]float64, k)
	for i := range n {
		row := z[i*k : (i+1)*k]
		for j := range row {
			row[j] = 3 * rng.NormFloat64()
		}
		calibrate.ScaleTemperature(p, row, k, t0, 1)
		u := rng.Float64()
		labels[i] = k - 1
		for j, pj := range p {
			if u < pj {
				labels[i] = j
				break
			}
			u -= pj
		}
	}
	return z, labels
}

func TestFitTemperatureRecoversT(t *testing.T) {
	// tempStatTol: with 20000 samples the maximum-likelihood estimate of
	// T has a relative standard error of about 1%; 5% is 5σ.
	const tempStatTol = 0.05
	for _, t0 := range []float64{0.5, 1, 2} {
		z, y := synthLogits(20000, 5, t0, uint64(t0*10))
		fit, err := calibrate.FitTemperature(z, 5, y, 0)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(fit.T/t0-1) > tempStatTol {
			t.Errorf("T0=%v: fitted T=%v (%+v)", t0, fit.T, fit)
		}
		if !(fit.NLL <= fit.NLL1) || fit.Used != 20000 || fit.Skipped != 0 {
			t.Errorf("T0=%v: %+v", t0, fit)
		}
		// A minimum: the NLL at T(1 ± 1e-3) is not lower (evaluated by
		// scaling and measuring with Evaluate, a second code path).
		nll := func(temp float64) float64 {
			p := calibrate.ScaleTemperature(make([]float64, len(z)), z, 5, temp, 0)
			return calibrate.Evaluate(p, 5, y, calibrate.Settings{}).NLL
		}
		// minTol: the NLL changes by ~1e-7 over the step; its rounding is
		// ~1e-13. agreeTol: FitTemperature's NLL and Evaluate's are the
		// same sum in another order, within the same rounding.
		const minTol, agreeTol = 1e-12, 1e-12
		at := nll(fit.T)
		if math.Abs(at-fit.NLL) > agreeTol {
			t.Errorf("T0=%v: NLL at T by FitTemperature %v, by Evaluate %v", t0, fit.NLL, at)
		}
		for _, f := range []float64{1 - 1e-3, 1 + 1e-3} {
			if nll(fit.T*f) < at-minTol {
				t.Errorf("T0=%v: NLL(%v·T) < NLL(T)", t0, f)
			}
		}
	}
}

// Shifting a row of logits by a constant changes nothing; the number of
// workers changes nothing (fixed chunking).
func TestFitTemperatureInvariance(t *testing.T) {
	z, y := synthLogits(3000, 4, 1.5, 3)
	a, _ := calibrate.FitTemperature(z, 4, y, 1)
	b, _ := calibrate.FitTemperature(z, 4, y, 7)
	if a.T != b.T || a.NLL != b.NLL {
		t.Errorf("workers change the fit: %+v vs %+v", a, b)
	}
	zs := append([]float64(nil), z...)
	for i := range zs {
		zs[i] += float64(i/4) * 0.125 // exact shifts per row
	}
	c, _ := calibrate.FitTemperature(zs, 4, y, 1)
	// shiftTol: exp(β(x − max)) sees the same differences up to rounding
	// of the shifted values (an ulp of ~400 relative to O(1) logits).
	const shiftTol = 1e-9
	if math.Abs(c.T/a.T-1) > shiftTol {
		t.Errorf("shifted logits: T=%v, unshifted %v", c.T, a.T)
	}
}

func TestFitTemperatureEdges(t *testing.T) {
	ninf := math.Inf(-1)
	// Row 1's true class has probability 0: skipped.
	z := []float64{2, 0, ninf, 1, 0.5, 0}
	fit, err := calibrate.FitTemperature(z, 2, []int{0, 0, 1}, 1)
	if err != nil || fit.Skipped != 1 || fit.Used != 2 {
		t.Errorf("%+v %v", fit, err)
	}
	// All predictions right and separable: the NLL falls as T → 0, until
	// its gradient is below the stopping threshold.
	fit, err = calibrate.FitTemperature([]float64{5, 0, 0, 5}, 2, []int{0, 1}, 1)
	if err != nil || !(fit.T < 0.5) || !(fit.NLL < 1e-9) {
		t.Errorf("separable: %+v %v", fit, err)
	}
	for _, bad := range [][]float64{{math.NaN(), 0}, {math.Inf(1), 0}} {
		if _, err := calibrate.FitTemperature(bad, 2, []int{0}, 1); err == nil {
			t.Errorf("FitTemperature(%v) accepted", bad)
		}
	}
	if _, err := calibrate.FitTemperature([]float64{ninf, 0}, 2, []int{0}, 1); err == nil {
		t.Error("no usable row accepted")
	}
	if _, err := calibrate.FitTemperature([]float64{0, 0}, 2, []int{2}, 1); err == nil {
		t.Error("label out of range accepted")
	}
	// T = 1 on log-probabilities is the identity.
	p := []float64{0.7, 0.2, 0.1, 0, 0.5, 0.5}
	got := calibrate.ScaleTemperature(make([]float64, 6), calibrate.LogRows(make([]float64, 6), p), 3, 1, 1)
	for i := range p {
		if math.Abs(got[i]-p[i]) > 4e-16 {
			t.Errorf("ScaleTemperature(log p, 1) = %v, want %v", got, p)
			break
		}
	}
}
