package calibrate_test

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/focaltk/focal/calibrate"
)

// oneHot returns the N×K one-hot rows of labels.
func oneHot(labels []int, k int) []float64 {
	t := make([]float64, len(labels)*k)
	for i, y := range labels {
		t[i*k+y] = 1
	}
	return t
}

// One-hot soft labels are hard labels: the whole report (metrics of every
// variant, the temperature fits, the validation NLL) is the same as with
// the classes they encode, through the soft code paths (AddSoft, the
// fits' cross-entropy).
func TestSoftOneHotIsHard(t *testing.T) {
	const n, k, g = 4000, 3, 2.0
	eta := posteriors(n, k, 1e-3, 31)
	y := sample(eta, k, 32)
	dir := t.TempDir()
	in := writeNpy(t, dir, "p.npy", eta, k, false)
	hard := writeLabels(t, dir, "y.npy", y)
	soft := writeNpy(t, dir, "t.npy", oneHot(y, k), k, false)
	a, _, err := runJSON(t, calibrate.Options{Input: in, Output: dir + "/a.npy", Labels: hard, Gamma: g, Val: "0.3", Bootstrap: 20})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := runJSON(t, calibrate.Options{Input: in, Output: dir + "/b.npy", Labels: soft, LabelKind: calibrate.LabelsSoft, Gamma: g, Val: "0.3", Bootstrap: 20})
	if err != nil {
		t.Fatal(err)
	}
	var ra, rb map[string]any
	if json.Unmarshal([]byte(a), &ra) != nil || json.Unmarshal([]byte(b), &rb) != nil {
		t.Fatalf("reports:\n%s\n%s", a, b)
	}
	for _, key := range []string{"variants", "validation_nll", "test_rows", "val_rows"} {
		if d := jsonDiff(ra[key], rb[key]); d != "" {
			t.Errorf("%s: hard and soft differ at %s", key, d)
		}
	}
}

// jsonDiff returns where two decoded JSON values differ, numbers compared
// within oneHotTol, or "".
func jsonDiff(a, b any) string {
	// oneHotTol: the soft paths sum the same terms as the hard ones but
	// form a bin's gap as Σ (t − c) instead of Σ 1 − Σ c (the bootstrap
	// bounds differ in the last bits, measured 1e-17); every other
	// figure is bit for bit.
	const oneHotTol = 1e-15
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return "a map"
		}
		for k, v := range x {
			if d := jsonDiff(v, y[k]); d != "" {
				return k + "." + d
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return "a list"
		}
		for i := range x {
			if d := jsonDiff(x[i], y[i]); d != "" {
				return fmt.Sprint(i) + "." + d
			}
		}
	case float64:
		y, ok := b.(float64)
		if !ok || math.Abs(x-y) > oneHotTol {
			return fmt.Sprintf("%v vs %v", a, b)
		}
	default:
		if a != b {
			return fmt.Sprintf("%v vs %v", a, b)
		}
	}
	return ""
}

// Soft labels: each metric is its expectation under the label
// distribution, computed here by hand on three rows; and a soft label
// (1/2, 1/2) is the same, for the NLL and the temperature fit, as the row
// twice with each label (the cross-entropy is linear in the target).
func TestSoftLabels(t *testing.T) {
	probs := []float64{0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.1, 0.1, 0.8}
	tgt := []float64{0.5, 0.5, 0, 0, 1, 0, 0.2, 0.3, 0.5}
	a := calibrate.NewAccumulator(3, calibrate.Settings{Bins: 2})
	a.AddSoft(probs, nil, tgt)
	m := a.Metrics()
	// By hand: predictions 0, 1, 2 with label mass 0.5, 1, 0.5 on them.
	wantErr := (0.5 + 0 + 0.5) / 3
	wantNLL := -(0.5*math.Log(0.7) + 0.5*math.Log(0.2) + math.Log(0.5) + 0.2*math.Log(0.1) + 0.3*math.Log(0.1) + 0.5*math.Log(0.8)) / 3
	wantBrier := ((0.2*0.2 + 0.3*0.3 + 0.1*0.1) + (0.2*0.2 + 0.5*0.5 + 0.3*0.3) + (0.1*0.1 + 0.2*0.2 + 0.3*0.3)) / 3
	// Two right-closed bins: (0, 0.5] holds the confidence 0.5, (0.5, 1]
	// holds 0.7 and 0.8 with label mass 0.5 and 0.5.
	wantECE := (1*math.Abs(1-0.5) + 2*math.Abs(0.5-0.75)) / 3
	// softTol: sums of three terms, a few ulps.
	const softTol = 1e-15
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"error", m.Error, wantErr}, {"nll", m.NLL, wantNLL}, {"brier", m.Brier, wantBrier}, {"ece", m.ECE, wantECE}} {
		if math.Abs(c.got-c.want) > softTol {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	z, y := synthLogits(2000, 4, 1.7, 33)
	k := 4
	soft := make([]float64, len(z))
	var z2 []float64
	var y2 []int
	for i := range y {
		o := (y[i] + 1) % k
		soft[i*k+y[i]], soft[i*k+o] = 0.5, 0.5
		z2 = append(z2, z[i*k:(i+1)*k]...)
		z2 = append(z2, z[i*k:(i+1)*k]...)
		y2 = append(y2, y[i], o)
	}
	fs, err := calibrate.FitTemperatureTarget(z, k, calibrate.Target{Soft: soft}, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := calibrate.FitTemperature(z2, k, y2, 0)
	if err != nil {
		t.Fatal(err)
	}
	// twinTol: the same mean by two summation orders; the fitted T then
	// agrees to the optimizer's stopping rule.
	const twinTol, twinTTol = 1e-13, 1e-7
	if math.Abs(fs.NLL-fh.NLL) > twinTol || math.Abs(fs.T/fh.T-1) > twinTTol {
		t.Errorf("soft (1/2, 1/2): T %v NLL %v; duplicated hard rows: T %v NLL %v", fs.T, fs.NLL, fh.T, fh.NLL)
	}
	gs, err := calibrate.FitTSThenFocalTarget(z, k, calibrate.Target{Soft: soft}, nil, 2, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	gh, err := calibrate.FitTSThenFocal(z2, k, y2, nil, 2, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The 2-D fit stops on a central-difference gradient: 1e-5 in T, γ'.
	// twin2DNLLTol: both runs start at the same point and Nelder–Mead
	// takes the same steps wherever the two objectives agree to rounding,
	// so their final NLLs differ by the sums' rounding accumulated over
	// the iterations, not by the (1e-5)² a different stopping point would
	// give: 1e-12.
	const twin2DTol, twin2DNLLTol = 1e-5, 1e-12
	if math.Abs(gs.NLL-gh.NLL) > twin2DNLLTol || math.Abs(gs.T/gh.T-1) > twin2DTol || math.Abs(*gs.Gamma-*gh.Gamma) > twin2DTol {
		t.Errorf("TS then focal, soft: T %v γ' %v NLL %v; duplicated: T %v γ' %v NLL %v", gs.T, *gs.Gamma, gs.NLL, gh.T, *gh.Gamma, gh.NLL)
	}
}
