package cli

import (
	"math"
	"strings"
	"testing"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/verify"
)

// gammaForTauTol bounds |τ_uc^γ − p|/p with τ_uc^γ at 40 digits (hiprec)
// and γ the printed one: GammaForTauUC finds its root to a few ulps of δ
// and b (theory/gammainv.go), and τ_uc is about as sensitive to γ as γ is
// large against 1 in log scale, so the round trip measured here is at
// most 8.4e-15 for p down to 1e-100; 1e-13 is theory's own round-trip
// bound (theory/gammainv_test.go).
const gammaForTauTol = 1e-13

func TestGammaForTau(t *testing.T) {
	ps := []float64{0.5, 0.5 - 1e-12, 0.45, 0.36787944117144233, 0.25, 0.2, 0.1, 0.01, 1e-10, 1e-100}
	var arg []string
	for _, p := range ps {
		arg = append(arg, ff(p))
	}
	code, out, errs := run(t, nil, "gamma-for-tau", "--p", strings.Join(arg, ","), "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Version int `json:"version"`
		Points  []struct {
			P     verify.Float `json:"p"`
			Gamma verify.Float `json:"gamma"`
			TauUC verify.Float `json:"tau_uc"`
		} `json:"points"`
	}
	decodeStrict(t, out, &got)
	if got.Version != verify.ReportVersion || len(got.Points) != len(ps) {
		t.Fatalf("version %d, %d points, want %d", got.Version, len(got.Points), len(ps))
	}
	for i, pt := range got.Points {
		p, g := float64(pt.P), float64(pt.Gamma)
		if p != ps[i] {
			t.Errorf("point %d: p = %v, want %v (the order given)", i, p, ps[i])
		}
		if p == 0.5 {
			if g != 0 { // τ_uc^0 = 1/2: φ^0 ≡ 1
				t.Errorf("p = 1/2: γ = %v, want 0", g)
			}
			continue
		}
		if e := hiprec.RelErr(p, hiprec.TauUC(g)); !(e <= gammaForTauTol) {
			t.Errorf("p = %v: γ = %v has τ_uc^γ (40 digits) off p by %.3g relative, want <= %g", p, g, e, gammaForTauTol)
		}
		if tu := float64(pt.TauUC); math.Abs(tu-p) > gammaForTauTol*p {
			t.Errorf("p = %v: printed tau_uc %v is not the round trip", p, tu)
		}
	}
	// The published schedule (Mukhoti et al. 2020, Sec. 5, "FLSD-53"):
	// γ = 5 below 0.2 and 3 up to 0.25, the inverse of τ_uc rounded.
	if g := float64(got.Points[5].Gamma); math.Round(g) != 5 {
		t.Errorf("γ(0.2) = %v, Mukhoti et al. round it to 5", g)
	}
	if g := float64(got.Points[4].Gamma); math.Round(g) != 3 {
		t.Errorf("γ(0.25) = %v, Mukhoti et al. round it to 3", g)
	}
	// τ_uc^1 = 1/e (design.md): the inverse gives 1.
	if g := float64(got.Points[3].Gamma); math.Abs(g-1) > gammaForTauTol {
		t.Errorf("γ(1/e) = %v, want 1", g)
	}
}

func TestGammaForTauText(t *testing.T) {
	code, out, _ := run(t, nil, "gamma-for-tau", "--p", "0.2,1e-310")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || len(lines) != 2 || !strings.HasPrefix(lines[0], "p = 0.2 ") || !strings.Contains(lines[0], "gamma = 4.85") {
		t.Fatalf("exit %d, output %q", code, out)
	}
	// Below p ≈ 1e-307 γ overflows: +Inf, and no τ_uc to recompute.
	if !strings.Contains(lines[1], "gamma = +Inf") || !strings.Contains(lines[1], "tau_uc = NaN") {
		t.Errorf("overflow line %q", lines[1])
	}
}

func TestBadInputGammaForTau(t *testing.T) {
	runMatrix(t, []badCase{
		{[]string{"gamma-for-tau"}, usage, "--p is required"},
		{[]string{"gamma-for-tau", "--p", "0"}, usage, "bad --p: 0 must be in (0, 0.5]"},
		{[]string{"gamma-for-tau", "--p", "-0.1"}, usage, "bad --p: -0.1 must be in (0, 0.5]"},
		{[]string{"gamma-for-tau", "--p", "0.50000001"}, usage, "bad --p: 0.50000001 must be in (0, 0.5]"},
		{[]string{"gamma-for-tau", "--p", "NaN"}, usage, "bad --p"},
		{[]string{"gamma-for-tau", "--p", "Inf"}, usage, "bad --p"},
		{[]string{"gamma-for-tau", "--p", "a"}, usage, "bad --p"},
		{[]string{"gamma-for-tau", "--p", "0.3:0.2"}, usage, "bad --p: malformed range"},
		{[]string{"gamma-for-tau", "--p", "0.1:0.6:0.1"}, usage, "bad --p: 0.6 must be in (0, 0.5]"},
		{[]string{"gamma-for-tau", "--p", ""}, usage, "--p is required"},
		{[]string{"gamma-for-tau", "--p", "0.2", "--format", "xml"}, usage, `bad --format "xml"`},
		{[]string{"gamma-for-tau", "--p", "0.2", "x"}, usage, `unexpected argument "x"`},
		{[]string{"gamma-for-tau", "--gamma", "1"}, usage, "flag provided but not defined: -gamma"},
	})
}
