package report

import (
	"context"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"

	"github.com/focaltk/focal/theory"
)

// Section 1 of findings.md: φ^γ, the thresholds τ_oc^γ < τ_uc^γ of Thm 8,
// their closed forms and limits.

// tauGammas are the rows of the τ table.
var tauGammas = []float64{0, 0.01, 0.1, 0.5, 1, 2, 3, 5, 10, 20, 50, 100}

func genTauTable(ctx context.Context, r *run) (string, error) {
	var rows [][]string
	for _, g := range tauGammas {
		oc, uc := theory.TauOC(g), theory.TauUC(g)
		note := ""
		if g == 0 {
			note = " (limit γ → 0)"
		}
		rows = append(rows, []string{sig(g, 6) + note, fixed(oc, 10), fixed(uc, 10), fixed(theory.Phi(oc, g), 10)})
	}
	return "Computed by `theory.TauOC`, `theory.TauUC` and `theory.Phi` (10 significant digits; " +
		"docs/numerics.md has their measured accuracy: within 1.3 ulps of the high-precision oracle over its sweep):\n\n" +
		table([]string{"γ", "τ_oc^γ", "τ_uc^γ", "max φ^γ = φ^γ(τ_oc^γ)"}, rows), nil
}

// lambertW0 returns the principal branch W₀(x) for x in (−1/e, 0), by
// Newton's method on w·e^w = x from w = x (|w| < 1 there): an evaluation
// independent of package theory, which keeps the value as a constant.
func lambertW0(x float64) float64 {
	w := x
	for range 100 {
		ew := math.Exp(w)
		f := w*ew - x
		step := f / (ew * (1 + w))
		w -= step
		if math.Abs(step) < 1e-17 {
			break
		}
	}
	return w
}

// tauLimitGamma is the small γ at which the limits γ → 0 are compared with
// the tool: the first-order terms are then 1e-9 relative, below the 8
// digits printed, and the slopes (difference quotients at tauSlopeGamma)
// are good to about γ·(second derivative) ≈ 1e-6 relative.
const (
	tauLimitGamma = 1e-9
	tauSlopeGamma = 1e-6
)

func genTauLimits(ctx context.Context, r *run) (string, error) {
	tau0 := -lambertW0(-2*math.Exp(-2)) / 2
	slopeOC := -2 * tau0 * tau0 * (1 - tau0) / (1 - 2*tau0)
	slopeUC := -math.Ln2 * math.Ln2 / (8 * (1 - math.Ln2))
	g, h := tauLimitGamma, tauSlopeGamma
	type row struct {
		what, form string
		closed     float64
		tool       float64
		how        string
	}
	rows := []row{
		{"τ_oc^1", "e^{−2}", math.Exp(-2), theory.TauOC(1), "`TauOC(1)`"},
		{"τ_uc^1", "e^{−1}", math.Exp(-1), theory.TauUC(1), "`TauUC(1)`"},
		{"max φ^1", "1 + e^{−2}", 1 + math.Exp(-2), theory.Phi(theory.TauOC(1), 1), "`Phi(TauOC(1), 1)`"},
		{"lim_{γ→0} τ_oc^γ", "−W₀(−2e^{−2})/2", tau0, theory.TauOC(g), "`TauOC(1e-9)`"},
		{"d τ_oc/dγ at 0", "−2τ₀²(1−τ₀)/(1−2τ₀)", slopeOC, (theory.TauOC(h) - tau0) / h, "`(TauOC(1e-6) − τ₀)/1e-6`"},
		{"lim_{γ→0} τ_uc^γ", "1/2", 0.5, theory.TauUC(g), "`TauUC(1e-9)`"},
		{"d τ_uc/dγ at 0", "−(ln 2)²/(8(1 − ln 2))", slopeUC, (theory.TauUC(h) - 0.5) / h, "`(TauUC(1e-6) − 1/2)/1e-6`"},
		{"lim_{γ→0} max φ^γ", "1", 1, theory.Phi(theory.TauOC(g), g), "`Phi(TauOC(1e-9), 1e-9)`"},
	}
	var out [][]string
	for _, x := range rows {
		d := math.Abs(x.tool-x.closed) / math.Abs(x.closed)
		out = append(out, []string{x.what, x.form, fixed(x.closed, 10), fixed(x.tool, 10), x.how, rel(d)})
	}
	return "τ₀ = −W₀(−2e^{−2})/2 is evaluated here by Newton's method on w·e^w = −2e^{−2} (not by package theory). " +
		"The slopes are difference quotients of the tool at γ = 1e-6, so they agree to about 1e-6:\n\n" +
		table([]string{"quantity", "closed form", "closed form, value", "tool", "tool call", "relative difference"}, out), nil
}

// asymGammas are the rows of the γ → ∞ table.
var asymGammas = []float64{10, 100, 1e3, 1e4, 1e6, 1e8}

// xInf returns the root x > 1 of x = ln(1 + x·ln(γ/x)), the leading-order
// equation for x = γ·τ_uc^γ as γ → ∞ (findings.md derives it), by bisection.
// It needs ln γ > e − 1 (γ ≥ 6) for the bracket [1, γ/e].
func xInf(gamma float64) float64 {
	f := func(x float64) float64 { return x - math.Log1p(x*math.Log(gamma/x)) }
	lo, hi := 1.0, gamma/math.E
	for range 200 {
		mid := lo + (hi-lo)/2
		if f(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo <= 1e-15*hi {
			break
		}
	}
	return lo + (hi-lo)/2
}

func genTauAsymptotics(ctx context.Context, r *run) (string, error) {
	var rows [][]string
	for _, g := range asymGammas {
		oc, uc := theory.TauOC(g), theory.TauUC(g)
		lg := math.Log(g)
		x := xInf(g)
		rows = append(rows, []string{
			sig(g, 3),
			fixed(g*oc, 6),
			fixed(lg*(1-g*oc), 6),
			fixed(g*uc, 6),
			fixed(x, 6),
			sig(g*uc/x-1, 2),
			fixed(math.Log(lg), 4),
			fixed(math.E*theory.Phi(oc, g)/(1+lg), 6),
		})
	}
	return table([]string{"γ", "γ·τ_oc (→ 1)", "ln γ·(1 − γ·τ_oc) (→ 2)", "γ·τ_uc", "x_∞(γ)", "γ·τ_uc/x_∞ − 1 (→ 0)", "ln ln γ", "e·max φ/(1 + ln γ) (→ 1)"}, rows), nil
}

// phiGammas are the curves of Fig. 1; phiShadeGamma is the γ whose regions
// are shaded, as in the paper.
var (
	phiGammas     = []float64{0, 0.5, 1, 2, 3, 5}
	phiShadeGamma = 3.0
)

// phiW, phiH are the size of phi.png in inches.
const phiW, phiH = 7, 3.4

func drawPhi(ctx context.Context, r *run, path string) error {
	g, err := phiFigure(ctx, r)
	if err != nil {
		return err
	}
	return g.save(path, phiW, phiH)
}

func phiFigure(ctx context.Context, r *run) (*grid, error) {
	g3 := phiShadeGamma
	oc, uc := theory.TauOC(g3), theory.TauUC(g3)
	p := newPlot(fmt.Sprintf("φ^{γ}(v) (Eq. 10); regions of Thm 8 shaded for γ = %g", g3), "v (the largest entry of q*)", "φ^{γ}(v)")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1.45
	p.X.Tick.Marker = linTicks(0, 1, 0.05, 2)
	p.Y.Tick.Marker = linTicks(0, 1.4, 0.1, 2)
	g := newGrid([][]*plot.Plot{{p}}, 2.1)
	g.forPrint()
	for _, b := range []struct {
		lo, hi float64
		c      color.Color
		label  string
	}{
		{0, oc, ocColor, fmt.Sprintf("ηOC: v ≤ τ_{oc} = %.4f", oc)},
		{oc, uc, ambColor, "ambiguous: τ_{oc} < v < τ_{uc}"},
		{uc, 1, ucColor, fmt.Sprintf("ηUC: v ≥ τ_{uc} = %.4f", uc)},
	} {
		bd := band(b.lo, b.hi, 0, 1.45, b.c)
		p.Add(bd)
		g.legend.Add(b.label, bd)
	}
	xs := linspace(0, 1, 801)
	for i, gm := range phiGammas {
		ys := make([]float64, len(xs))
		for j, v := range xs {
			ys[j] = theory.Phi(v, gm)
		}
		w := 1.2
		if gm == g3 {
			w = 2.4
		}
		l := curve(xs, ys, lineColor(i), w)
		p.Add(l)
		g.legend.Add(fmt.Sprintf("γ = %g", gm), l)
	}
	m := marks([]float64{oc, uc}, []float64{theory.Phi(oc, g3), 1}, black, draw.CircleGlyph{}, 2.5)
	p.Add(m)
	g.legend.Add(fmt.Sprintf("γ = %g: (τ_{oc}, max φ^{γ}), (τ_{uc}, 1)", g3), m)
	return g, nil
}

// tauW, tauH are the size of tau.png in inches.
const tauW, tauH = 7, 3.2

// drawTau draws τ_oc^γ and τ_uc^γ against γ (log–log) with their limits
// as γ → 0 (left), and γ·τ against their asymptotes as γ → ∞ (right).
func drawTau(ctx context.Context, r *run, path string) error {
	g, err := tauFigure(ctx, r)
	if err != nil {
		return err
	}
	return g.save(path, tauW, tauH)
}

func tauFigure(ctx context.Context, r *run) (*grid, error) {
	p := newPlot("τ_{oc}^{γ} and τ_{uc}^{γ} (Thm 8)", "γ", "τ^{γ}")
	setLog(p, true, true)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 1e-3, 1e8, 1e-8, 1
	q := newPlot("scaled by γ, as γ → ∞", "γ", "γ·τ^{γ}")
	setLog(q, true, false)
	q.X.Min, q.X.Max, q.Y.Min, q.Y.Max = 1, 1e8, 0, 4.5
	q.Y.Tick.Marker = linTicks(0, 4.5, 0.5, 2)
	g := newGrid([][]*plot.Plot{{p, q}}, 2.1)
	g.forPrint()
	gs := logspace(-3, 8, 221)
	oc, uc := make([]float64, len(gs)), make([]float64, len(gs))
	for i, gm := range gs {
		oc[i], uc[i] = theory.TauOC(gm), theory.TauUC(gm)
	}
	tau0 := -lambertW0(-2*math.Exp(-2)) / 2
	lOC, lUC := curve(gs, oc, lineColor(0), 2), curve(gs, uc, lineColor(3), 2)
	l0 := curve([]float64{1e-3, 1}, []float64{tau0, tau0}, black, 1, 1, 3)
	l1 := curve([]float64{1e-3, 1}, []float64{0.5, 0.5}, black, 1, 1, 3)
	p.Add(lOC, lUC, l0, l1)
	g.legend.Add("τ_{oc}^{γ} (right: γ·τ_{oc}^{γ})", lOC)
	g.legend.Add("τ_{uc}^{γ} (right: γ·τ_{uc}^{γ})", lUC)
	g.legend.Add("γ → 0: −W_{0}(−2/e^{2})/2 and 1/2", l0)

	big := logspace(0, 8, 161)
	soc, suc, a1, a2 := make([]float64, len(big)), make([]float64, len(big)), make([]float64, len(big)), make([]float64, len(big))
	for i, gm := range big {
		soc[i], suc[i] = gm*theory.TauOC(gm), gm*theory.TauUC(gm)
		a1[i], a2[i] = math.NaN(), math.NaN()
		if gm >= 30 {
			a1[i] = 1 - 2/math.Log(gm)
		}
		if gm >= 10 {
			a2[i] = xInf(gm)
		}
	}
	one := curve([]float64{1, 1e8}, []float64{1, 1}, gridColor, 0.8, 2, 2)
	d1, d2 := curve(big, a1, black, 1.2, 5, 3), curve(big, a2, lineColor(4), 1.5, 5, 3)
	q.Add(one, curve(big, soc, lineColor(0), 2), curve(big, suc, lineColor(3), 2), d1, d2)
	g.legend.Add("γ → ∞: γ·τ_{oc}^{γ} → 1", one)
	g.legend.Add("γ → ∞: γ·τ_{oc}^{γ} ≈ 1 − 2/ln γ", d1)
	g.legend.Add("γ → ∞: γ·τ_{uc}^{γ} ≈ x_{∞}(γ)", d2)
	return g, nil
}
