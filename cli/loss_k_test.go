package cli

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/focaltk/focal/loss"
	"github.com/focaltk/focal/verify"
)

// TestLossAtK: verify loss answers at K = 2, 3 and 10 for every built-in
// loss (JSON), with the answers the derivations give: cross-entropy
// neither ηOC nor ηUC (strictly proper), Poly-1 ηOC only (h_g(v)/v
// = 1/(1+εv) decreasing), the focal loss no ηOC witness at K = 2 and 3
// (Cor. 10, footnote 2) and one at K = 10, whose boundary along γ is
// reported; sigmoid losses "n/a"; the text output names each K.
func TestLossAtK(t *testing.T) {
	got := map[string]lossJSON{}
	for _, n := range loss.Names() {
		s := builtinSpec(n)
		// The boundary only for the focal loss (it costs about a second per
		// loss; loss.Boundary is tested in package loss).
		var v lossJSON
		if n == "focal-alpha" {
			// Its weights fix K: one spec per K, equal weights (the focal
			// loss, so the focal answers are expected).
			for _, k := range []int{2, 3, 10} {
				var vk lossJSON
				spec := "focal-alpha:gamma=2,alpha=" + strings.Repeat("1/", k-1) + "1"
				if err := json.Unmarshal([]byte(runOK(t, "loss", "--format", "json", "--boundary=false", spec)), &vk); err != nil {
					t.Fatalf("%s: %v", spec, err)
				}
				v.AtK = append(v.AtK, vk.AtK...)
			}
		} else if err := json.Unmarshal([]byte(runOK(t, "loss", "--format", "json", "--K", "2,3,10", "--boundary="+strconv.FormatBool(n == "focal"), s)), &v); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if len(v.AtK) != 3 || v.AtK[0].K != 2 || v.AtK[2].K != 10 {
			t.Fatalf("%s: at_k %+v", s, v.AtK)
		}
		for _, a := range v.AtK {
			// Every question answered: by an argument, or by the search
			// (only a sigmoid loss has none to answer).
			open := a.Calibrated.Answer == "unknown" || a.OrderPreserving.Answer == "unknown" || a.Overconfident.Exists == "" || a.Underconfident.Exists == ""
			if a.Calibrated.How == "" || (!a.Applies && a.Why == "") || open && a.Calibrated.Answer != "n/a" {
				t.Errorf("%s K=%d: %+v", s, a.K, a)
			}
		}
		got[n] = v
	}
	check := func(n string, k int, oc, uc string) {
		t.Helper()
		for _, a := range got[n].AtK {
			if a.K == k && (a.Overconfident.Exists != oc || a.Underconfident.Exists != uc) {
				t.Errorf("%s K=%d: ηOC %s ηUC %s, want %s %s", n, k, a.Overconfident.Exists, a.Underconfident.Exists, oc, uc)
			}
		}
	}
	for _, k := range []int{2, 3, 10} {
		check("ce", k, "no", "no")
		check("poly1", k, "yes", "no")
	}
	check("focal", 2, "not found", "yes")
	check("focal", 3, "not found", "yes")
	check("focal", 10, "yes", "yes")
	// Equal weights are the focal loss: no ηOC minimizer at K = 2, 3
	// (Cor. 10, footnote 2), ηUC ones found; calibrated (Thm 3).
	check("focal-alpha", 2, "not found", "yes")
	check("focal-alpha", 3, "not found", "yes")
	for _, a := range got["focal-alpha"].AtK {
		if a.Calibrated.Answer != "not refuted" {
			t.Errorf("focal-alpha with equal weights K=%d: calibrated %+v, want not refuted", a.K, a.Calibrated)
		}
	}
	// Unequal weights: the minimizer is the focal one at α⊙η (normalized),
	// which keeps the argmax of α⊙η (Lin et al. 2017, Eq. 5), so a
	// calibration witness must have argmax q* = argmax α⊙η ≠ argmax η.
	var fa lossJSON
	if err := json.Unmarshal([]byte(runOK(t, "loss", "--format", "json", "--boundary=false", "focal-alpha:gamma=2,alpha=1/2/3")), &fa); err != nil {
		t.Fatal(err)
	}
	alpha := []float64{1, 2, 3}
	argmax := func(v []float64) int {
		m := 0
		for i := range v {
			if v[i] > v[m] {
				m = i
			}
		}
		return m
	}
	if c := fa.AtK[0].Calibrated; c.Answer != "no" || c.Witness == nil {
		t.Errorf("focal-alpha 1/2/3: calibrated %+v, want a witness of no", c)
	} else {
		eta, q := floatsOf(c.Witness.Eta), floatsOf(c.Witness.Q)
		w := make([]float64, 3)
		for i := range w {
			w[i] = alpha[i] * eta[i]
		}
		if argmax(q) != argmax(w) || argmax(w) == argmax(eta) {
			t.Errorf("focal-alpha 1/2/3: witness η %v q* %v: want argmax q* = argmax α⊙η ≠ argmax η", eta, q)
		}
	}
	if b := got["focal"].AtK[2].Boundary; b == nil || b.Param != "gamma" || len(b.Transitions) == 0 {
		t.Errorf("focal K=10: boundary %+v", b)
	}
	if a := got["sigmoid-focal"].AtK[0]; a.Applies || a.Calibrated.Answer != "n/a" {
		t.Errorf("sigmoid-focal: %+v", a)
	}
	// At K = 5 and γ = 2 < γ_max(5) = 3.0702… ηOC minimizers exist; the
	// last witness along γ is just below γ_max(5).
	out := runOK(t, "loss", "--K", "5", "focal:gamma=2")
	for _, want := range []string{"at K = 5 (h_g(v)/v mixed)", "ηOC minimizers             yes", "witness η = (", "along gamma: overconfident minimizers yes at gamma = 3.069"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output has no %q:\n%s", want, out)
		}
	}
}

func floatsOf(v []verify.Float) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
