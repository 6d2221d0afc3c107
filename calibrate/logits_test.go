package calibrate_test

import (
	"context"
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/focaltk/focal/calibrate"
	"github.com/focaltk/focal/hiprec"
)

// logitsE2ETol bounds the recovered entries read back from the output
// against hiprec's Ψ(softmax(z)): theory's psiLogitsULPs (16 per unit of
// allowance 1 + γ|log(1−v_m)|, here at most 1 + 2·10^4) in float64 .npy,
// which the pipeline writes exactly.
const logitsE2ETol = 16 * (1 + 2*1e4) * 0x1p-52

// TestRunLogitsLogDomain: logits with gaps up to 10^4 (the (50, 0, 0)
// among them) calibrated end to end: every recovered entry ≥ 1e-300 as
// hiprec gives it, and the NLL of labels on tiny classes finite for the raw,
// recovered and temperature-scaled variants.
func TestRunLogitsLogDomain(t *testing.T) {
	dir := t.TempDir()
	const k = 3
	rows := [][]float64{
		{50, 0, 0}, {0, 50, 0}, {1e4, 0, 0}, {0, -1e4, 1e4}, {3, 1, -2}, {-2, 4, 1},
		{0.5, 0, 0.2}, {2, -1, 0}, {200, 0, 100}, {0, 0, 1},
	}
	labels := []int{1, 0, 2, 1, 0, 1, 2, 0, 1, 2}
	var z []float64
	for _, r := range rows {
		z = append(z, r...)
	}
	in := writeNpy(t, dir, "z.npy", z, k, false)
	lab := writeLabels(t, dir, "y.npy", labels)
	out := filepath.Join(dir, "eta.npy")
	val := writeLabels(t, dir, "val.npy", []int{0, 5})
	const gamma = 2
	r, err := calibrate.Calibrate(context.Background(), calibrate.Options{
		Input: in, InputKind: calibrate.InputLogits, Labels: lab, Output: out, Gamma: gamma, Val: val, Seed: 1,
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readNpy(t, out)
	for i, row := range rows {
		want := hiprec.PsiLogits(row, gamma)
		for j := range row {
			w := hiprec.Float(want[j])
			g := got[i*k+j]
			if w >= 1e-300 && math.Abs(g-w) > logitsE2ETol*w {
				t.Errorf("row %d %v: Ψ_%d = %v, want %v", i, row, j, g, w)
			}
			if w >= 1e-300 && g == 0 {
				t.Errorf("row %d %v: Ψ_%d = 0, want %v", i, row, j, w)
			}
		}
	}
	for _, v := range r.Variants {
		if nll := v.Metrics.NLL; math.IsInf(nll, 0) || math.IsNaN(nll) {
			t.Errorf("variant %s: NLL %v, want finite (every label's log-probability is finite)", v.Name, nll)
		}
	}
	// The test rows' recovered NLL, from hiprec's log Ψ.
	var want float64
	n := 0
	for i, row := range rows {
		if i == 0 || i == 5 { // the validation rows
			continue
		}
		want -= hiprec.Float(hiprec.LogPsiLogits(row, gamma)[labels[i]])
		n++
	}
	want /= float64(n)
	for _, v := range r.Variants {
		if v.Name == "psi" && math.Abs(v.Metrics.NLL-want) > 1e-12*math.Abs(want) {
			t.Errorf("psi NLL %v, want %v", v.Metrics.NLL, want)
		}
	}
}
