package calibrate_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/focaltk/focal/calibrate"
)

// The per-label binary metrics of multi-label sigmoid outputs. Label 0 is
// torchmetrics' BinaryCalibrationError docstring example (preds
// [0.25, 0.25, 0.55, 0.75, 0.75], target [0, 0, 1, 1, 1], n_bins = 2: l1
// 0.2900); label 1 by hand: preds (0.9, 0.1, 0.6, 0.4, 0.5), targets
// (1, 0, 0, 1, 1), two right-closed bins: [0, .5] {.1, .4, .5} conf 1/3
// acc 2/3, (.5, 1] {.9, .6} conf .75 acc .5: ECE = ⅗·⅓ + ⅖·.25 = .3. The
// per-label ECE is their mean, .295, the largest .3; BCE and Brier are
// means over the 10 entries, by hand below. End to end through Calibrate
// with --label-kind multi (raw = the input probabilities).
func TestPerLabelMulti(t *testing.T) {
	p0 := []float64{0.25, 0.25, 0.55, 0.75, 0.75}
	y0 := []float64{0, 0, 1, 1, 1}
	p1 := []float64{0.9, 0.1, 0.6, 0.4, 0.5}
	y1 := []float64{1, 0, 0, 1, 1}
	var probs, y []float64
	var csvP, csvY string
	for i := range p0 {
		probs = append(probs, p0[i], p1[i])
		y = append(y, y0[i], y1[i])
		csvP += ftoa(p0[i]) + "," + ftoa(p1[i]) + "\n"
		csvY += ftoa(y0[i]) + "," + ftoa(y1[i]) + "\n"
	}
	var bce, brier float64
	for i, p := range probs {
		bce -= y[i]*math.Log(p) + (1-y[i])*math.Log(1-p)
		brier += (p - y[i]) * (p - y[i])
	}
	bce, brier = bce/10, brier/10
	check := func(where string, m calibrate.PerLabelMetrics) {
		t.Helper()
		// docTol for the docstring's 4 decimals; the by-hand values are
		// exact to a few ulps (exactTol).
		if math.Abs(m.ECE-(0.29+0.3)/2) > docTol || math.Abs(m.MaxECE-0.3) > exactTol ||
			math.Abs(m.NLL-bce) > exactTol || math.Abs(m.Brier-brier) > exactTol || m.Labels != 2 || m.Entries != 10 {
			t.Errorf("%s: %+v; want ECE .295, max .3, BCE %v, Brier %v", where, m, bce, brier)
		}
	}
	a := calibrate.NewPerLabelAccumulator(2, calibrate.Settings{Bins: 2})
	a.Add(probs, y)
	check("accumulator", a.Metrics())

	dir := t.TempDir()
	in, lab := filepath.Join(dir, "p.csv"), filepath.Join(dir, "y.csv")
	if os.WriteFile(in, []byte(csvP), 0o644) != nil || os.WriteFile(lab, []byte(csvY), 0o644) != nil {
		t.Fatal("cannot write the fixtures")
	}
	rep, _, err := runJSON(t, calibrate.Options{Input: in, Output: filepath.Join(dir, "o.csv"), Labels: lab, LabelKind: calibrate.LabelsMulti,
		Loss: calibrate.LossSigmoid, Alpha: []float64{-1}, Gamma: 2, Bins: 2})
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Variants []struct {
			Name     string
			Metrics  json.RawMessage
			PerLabel *calibrate.PerLabelMetrics `json:"per_label"`
		}
	}
	if err := json.Unmarshal([]byte(rep), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Variants) != 2 || r.Variants[0].PerLabel == nil || r.Variants[1].PerLabel == nil || r.Variants[0].Metrics != nil {
		t.Fatalf("variants: %s", rep)
	}
	check("Calibrate raw", *r.Variants[0].PerLabel)
}

// With class labels, a sigmoid model's per-label metrics score each
// output against [y = j]: the same as multi-label targets that are the
// one-hot rows of the labels.
func TestPerLabelClasses(t *testing.T) {
	probs := []float64{0.9, 0.2, 0.1, 0.3, 0.8, 0.6, 0.05, 0.5, 0.7}
	labels := []int{0, 2, 1}
	a := calibrate.NewPerLabelAccumulator(3, calibrate.Settings{})
	a.AddClasses(probs, labels)
	b := calibrate.NewPerLabelAccumulator(3, calibrate.Settings{})
	b.Add(probs, oneHot(labels, 3))
	// Exact equality: both feed the same (p, y) pairs to the same bins in
	// the same order, so every sum is the same bits.
	if a.Metrics() != b.Metrics() {
		t.Errorf("classes %+v, one-hot targets %+v", a.Metrics(), b.Metrics())
	}
}
