package loss_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/focaltk/focal/loss"
	"github.com/focaltk/focal/numeric"
)

// witnessQTol is how close the direct minimizer (numeric.LossDirect,
// gonum BFGS, stopped at a relative gradient spread of LossDirectAccept =
// 1e-7) must come to a witness's q: the stopping rule leaves q about
// 1e-7 relative from the minimizer where W is well conditioned; 1e-6 is
// that with a factor 10. A witness's margin is checked against it too.
const witnessQTol = 1e-6

// exactQTol bounds the relative distance of the exact solver's minimizer
// (a few ulps of the KKT point, docs/numerics.md) from a witness's q (Ψ_g
// inverted there, a few ulps): 1e-9 leaves room for the conditioning of
// h_g^{-1} at entries near 1e-17.
const exactQTol = 1e-9

// TestConfidenceWitnessesAreMinimizers: every witness is an η whose risk
// minimizer, found by an independent method (the direct minimizer on
// gonum/optimize, which knows nothing of h_g or Ψ_g), is the witness's q,
// and whose margin max q − max η has the witness's sign.
func TestConfidenceWitnessesAreMinimizers(t *testing.T) {
	for _, c := range []struct {
		spec   string
		k      int
		oc, uc bool // a witness is expected
	}{
		{"focal:gamma=2", 10, true, true},
		{"focal:gamma=0.5", 5, true, true},
		{"focal:gamma=2", 2, false, true},
		{"poly1:eps=1", 3, true, false},
		{"gce:q=0.7", 4, true, false},
		{"inverse-focal:gamma=1", 5, true, true},
		{"poly-focal:gamma=2,eps=1", 10, true, true},
	} {
		l, err := loss.Parse(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		cf := loss.ConfidenceAt(l, c.k)
		if !cf.Applies {
			t.Fatalf("%s K=%d: %s", c.spec, c.k, cf.Why)
		}
		for _, e := range []struct {
			name string
			want bool
			ex   loss.Existence
			sign float64
		}{{"ηOC", c.oc, cf.OC, 1}, {"ηUC", c.uc, cf.UC, -1}} {
			if (e.ex.Witness != nil) != e.want {
				t.Errorf("%s K=%d %s: %s (%s), want a witness: %v", c.spec, c.k, e.name, e.ex.Exists, e.ex.How, e.want)
				continue
			}
			w := e.ex.Witness
			if w == nil {
				continue
			}
			// Two methods: the exact solver (KKT point from g′ by root
			// finding, not from Ψ_g), relative to each entry; the direct
			// minimizer, where it converges, absolutely (its stopping rule
			// bounds the gradient, so entries near 1e-11 are only known to
			// about 1e-11).
			lr, err := numeric.LossExact(w.Eta, l)
			if err != nil {
				t.Fatalf("%s K=%d %s: exact: %v at η %v", c.spec, c.k, e.name, err, w.Eta)
			}
			for i := range lr.Q {
				if math.Abs(lr.Q[i]-w.Q[i]) > exactQTol*w.Q[i] {
					t.Errorf("%s K=%d %s: exact minimizer %v, witness q %v", c.spec, c.k, e.name, lr.Q, w.Q)
					break
				}
			}
			r, err := numeric.LossDirect(w.Eta, l, 0)
			if err != nil {
				t.Fatalf("%s K=%d %s: direct: %v", c.spec, c.k, e.name, err)
			}
			if r.Status != numeric.Converged {
				r = lr.Result
			}
			for i := range r.Q {
				if math.Abs(r.Q[i]-w.Q[i]) > witnessQTol {
					t.Errorf("%s K=%d %s: direct minimizer %v, witness q %v", c.spec, c.k, e.name, r.Q, w.Q)
					break
				}
			}
			if m := slices.Max(r.Q) - slices.Max(w.Eta); e.sign*m <= witnessQTol && e.sign*w.Margin > 10*witnessQTol {
				t.Errorf("%s K=%d %s: the direct minimizer's margin %g, the witness's %g", c.spec, c.k, e.name, m, w.Margin)
			}
		}
	}
}

// TestConfidenceProofs: the answers the argument gives by proof, and
// those known from the literature: cross-entropy is strictly proper
// (neither, at every K); Poly-1 and GCE have h_g(v)/v decreasing
// (h = v/(1+εv), h = v^{1−A}): every non-uniform minimizer ηOC; the focal
// loss has no ηOC minimizer at K = 2 (the paper's Cor. 10) nor, as the
// search finds, at K = 3 (footnote 2), and has them at K = 5 for γ = 2
// (Thm 8 (2) with the paper's Fig. 3); label smoothing's closed form and
// Brier's properness.
func TestConfidenceProofs(t *testing.T) {
	for _, c := range []struct {
		spec, trend string
		k           int
		oc, uc      string
	}{
		{"ce", "constant", 10, "no", "no"},
		{"ce", "constant", 2, "no", "no"},
		{"poly1:eps=0.5", "decreasing", 7, "yes", "no"},
		{"gce:q=0.3", "decreasing", 3, "yes", "no"},
		{"focal:gamma=2", "mixed", 2, "not found", "yes"},
		{"focal:gamma=2", "mixed", 3, "not found", "yes"},
		{"focal:gamma=2", "mixed", 5, "yes", "yes"},
	} {
		l, _ := loss.Parse(c.spec)
		cf := loss.ConfidenceAt(l, c.k)
		if cf.Trend != c.trend || cf.OC.Exists != c.oc || cf.UC.Exists != c.uc || cf.Calibrated.Answer != "yes" || cf.OrderPreserving.Answer != "yes" {
			t.Errorf("%s K=%d: trend %s, ηOC %s, ηUC %s, calibrated %s; want %s, %s, %s, yes", c.spec, c.k, cf.Trend, cf.OC.Exists, cf.UC.Exists, cf.Calibrated.Answer, c.trend, c.oc, c.uc)
		}
	}
	for _, spec := range []string{"ls:eps=0.1", "brier"} {
		l, _ := loss.Parse(spec)
		if cf := loss.ConfidenceAt(l, 4); cf.Applies || cf.Calibrated.Answer != "yes" || cf.Why == "" {
			t.Errorf("%s: %+v", spec, cf)
		}
	}
	for _, spec := range []string{"flsd53", "dual-focal:gamma=2", "focal-alpha:gamma=2,alpha=1/2/3"} {
		l, _ := loss.Parse(spec)
		if cf := loss.ConfidenceAt(l, 3); cf.Applies || cf.Calibrated.Answer != "unknown" {
			t.Errorf("%s: applies %v, calibrated %s: want the argument not to apply", spec, cf.Applies, cf.Calibrated.Answer)
		}
	}
}

// boundaryRel bounds how far below γ_max(K) the loss lab's boundary for
// the focal loss may end: its witnesses near the boundary,
// q = ((1−ε)/(K−1) ×(K−1), ε) with ε ≥ 1e-12/K, have margins that vanish
// at γ_max, and those below MarginTol are not counted, which ends the
// witnesses about 1e-4 relative below γ_max (measured: 1.1e-4 at K = 4,
// 8.5e-5 at K = 5); 1e-3 is that with a factor 10.
const boundaryRel = 1e-3

// TestFocalBoundaryMatchesCertificate: along γ, the focal loss's last
// ηOC witness lies just below γ_max(K), whose enclosure
// docs/certificates/gamma-max.json certifies (an oracle computed from
// τ_uc by interval arithmetic, by code that shares nothing with this
// package), at K = 4, 5 and 10.
func TestFocalBoundaryMatchesCertificate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "certificates", "gamma-max.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cert struct {
		Claims []struct {
			Name   string    `json:"name"`
			At     []float64 `json:"at"`
			Lo, Hi float64
		} `json:"claims"`
	}
	if err := json.Unmarshal(b, &cert); err != nil {
		t.Fatal(err)
	}
	gmax := map[int][2]float64{}
	for _, c := range cert.Claims {
		if c.Name == "gamma_max" {
			gmax[int(c.At[0])] = [2]float64{c.Lo, c.Hi}
		}
	}
	l, _ := loss.Parse("focal:gamma=1")
	for _, k := range []int{4, 5, 10} {
		g, ok := gmax[k]
		if !ok {
			t.Fatalf("no γ_max(%d) in the certificate", k)
		}
		param, ts, ok := loss.Boundary(l, k)
		if !ok || param != "gamma" {
			t.Fatalf("K=%d: Boundary %q %v", k, param, ok)
		}
		var last *loss.Transition
		for i := range ts {
			if ts[i].Kind == "overconfident" && ts[i].Below == "yes" {
				last = &ts[i]
			}
		}
		if last == nil {
			t.Fatalf("K=%d: no end of the ηOC witnesses in %+v", k, ts)
		}
		if !(last.Lo <= g[1] && last.Lo > g[0]*(1-boundaryRel)) {
			t.Errorf("K=%d: the last ηOC witness at γ = %v, the certified γ_max ∈ [%v, %v]", k, last.Lo, g[0], g[1])
		}
	}
}
