package verify

import (
	"strings"
	"testing"
)

// textReport is a small report with a theorem that holds, a theorem with
// noise at one pair and a conjecture refuted at one of two pairs.
func textReport() *Report {
	m := func(x float64) *Float { f := Float(x); return &f }
	at := &Locator{Strategy: "structured", Label: "top-m"}
	cex := &Counterexample{Gamma: 0.5, Eta: []Float{0.33, 0.33, 0.33, 0.01}, Q: []Float{0.331, 0.331, 0.331, 0.007},
		Psi: []Float{0.33, 0.33, 0.33, 0.01}, Margin: -1e-4, MarginHiprec: -1e-4, Strategy: "structured", Label: "top-m"}
	return &Report{Version: ReportVersion, Seed: 7, Budget: 100, Units: 4, UnitsRun: 4, Complete: true, Checks: 400,
		Results: []Result{
			{Gamma: 0.5, K: 4, ID: "thm3-calibration", Kind: Theorem, Status: Holds, Cases: 100, WorstMargin: m(0), WorstAt: at},
			{Gamma: 0.5, K: 4, ID: "order-preserving", Kind: Theorem, Status: Noise, Cases: 100, WorstMargin: m(-5e-17), WorstEta: cex.Eta, WorstAt: at},
			{Gamma: 0.5, K: 4, ID: "always-underconfident", Kind: Conjecture, Status: Refuted, Cases: 100, WorstMargin: m(-1e-4), WorstAt: at, Counterexample: cex},
			{Gamma: 2, K: 4, ID: "thm3-calibration", Kind: Theorem, Status: Holds, Cases: 100, WorstMargin: m(0), WorstAt: at},
			{Gamma: 2, K: 4, ID: "order-preserving", Kind: Theorem, Status: Holds, Cases: 100, WorstMargin: m(0), WorstAt: at},
			{Gamma: 2, K: 4, ID: "always-underconfident", Kind: Conjecture, Status: Supported, Cases: 100, WorstMargin: m(0), WorstAt: at},
		}}
}

// The text report opens with a result line and a per-claim summary (status
// and where refuted), defines the statuses and margins once, states each
// claim, and gives the witnesses' details only when asked (issue 16.5).
func TestWriteTextSummaryFirst(t *testing.T) {
	rep := textReport()
	var b strings.Builder
	if err := WriteText(&b, rep, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := squeeze(b.String())
	table := strings.Index(out, "\ngamma = 0.5, K = 4\n")
	for _, want := range []string{
		"Result: no theorem refuted (2 checked); 1 of 1 conjectures refuted; 1 claim with float64 noise only.",
		"always-underconfident conjecture refuted 1 of 2 gamma 0.5: K 4\n",
		"order-preserving theorem noise 1 of 2 gamma 0.5: K 4\n",
		"reproduce: verify --seed 7 --budget 100 --gamma 0.5 --K 4 --claims always-underconfident",
		"Statuses: holds = ",
		"Margins: each check returns a signed margin",
		"always-underconfident (reading of Mukhoti et al., NeurIPS 2020): the focal risk minimizer is never ηOC",
	} {
		i := strings.Index(out, want)
		if i < 0 || table < 0 || i > table {
			t.Errorf("text report lacks %q before the tables:\n%s", want, out)
		}
	}
	if strings.Contains(out, "q*       =") || !strings.Contains(out, "1 counterexample: rerun with --witnesses") {
		t.Errorf("witness details without --witnesses, or no pointer to them:\n%s", out)
	}
	b.Reset()
	if err := WriteText(&b, rep, TextOptions{Witnesses: true}); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "q*       = (0.331, 0.331, 0.331, 0.007)") || !strings.Contains(out, "reproduce: verify --seed 7 --budget 100 --gamma 0.5 --K 4 --claims always-underconfident\n") {
		t.Errorf("--witnesses: no details:\n%s", out)
	}
}

// squeeze replaces each run of spaces inside a line (tabwriter's padding)
// by one space.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
