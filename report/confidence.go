package report

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/plot"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
	"github.com/focaltk/focal/verify"
)

// Section 2 of findings.md: the confidence of the minimizer (Fig. 2 of
// the paper) on the family η = (t, (1−t)/(K−1), …, (1−t)/(K−1)), and the
// fixed points q* = η off S^K that separate its ηOC and ηUC parts.

// confGammas are the curves of Fig. 2.
var confGammas = []float64{0, 0.5, 1, 2, 3, 5}

// family returns η with m entries t and K−m entries (1 − m·t)/(K−m).
func family(k, m int, t float64) []float64 {
	eta := make([]float64, k)
	b := (1 - float64(m)*t) / float64(k-m)
	for i := range eta {
		if i < m {
			eta[i] = t
		} else {
			eta[i] = b
		}
	}
	return eta
}

// confidenceCurve returns max q* − max η along the family (t, rest equal)
// at K for each t, with the exact minimizer.
func confidenceCurve(k int, ts []float64, gamma float64) (maxQ []float64, err error) {
	maxQ = make([]float64, len(ts))
	for i, t := range ts {
		res, err := numeric.Exact(family(k, 1, t), gamma)
		if err != nil {
			return nil, err
		}
		if res.Status != numeric.Converged {
			return nil, fmt.Errorf("report: exact solver at K = %d, t = %g, γ = %g: %v", k, t, gamma, res.Status)
		}
		maxQ[i] = theory.Max(res.Q)
	}
	return maxQ, nil
}

// confidenceW, confidenceH are the size of confidence.png in inches.
const confidenceW, confidenceH = 7, 5.4

func drawConfidence(ctx context.Context, r *run, path string) error {
	g, err := confidenceFigure(ctx, r)
	if err != nil {
		return err
	}
	return g.save(path, confidenceW, confidenceH)
}

func confidenceFigure(ctx context.Context, r *run) (*grid, error) {
	type panel struct {
		k  int
		ts []float64
	}
	panels := []panel{
		{2, linspace(0.5, 1, 201)},
		{1000, logspace(-3, 0, 241)},
	}
	top := make([]*plot.Plot, len(panels))
	bot := make([]*plot.Plot, len(panels))
	g := newGrid([][]*plot.Plot{top, bot}, 1.6)
	for j, pn := range panels {
		xlab := "max_{y} η_{y} = t"
		title := fmt.Sprintf("K = %d: η = (t, (1−t)/%d, …)", pn.k, pn.k-1)
		if pn.k == 2 {
			title = "K = 2: η = (t, 1−t)"
		}
		pt := newPlot(title, xlab, "max_{y} q^{*}_{y}")
		pb := newPlot(fmt.Sprintf("K = %d: ηOC above 0, ηUC below", pn.k), xlab, "(max q* − max η) / max η")
		top[j], bot[j] = pt, pb
		lo := pn.ts[0]
		pt.X.Min, pt.X.Max, pt.Y.Min, pt.Y.Max = lo, 1, 0, 1
		pb.X.Min, pb.X.Max = lo, 1
		if pn.k > 2 {
			setLog(pt, true, true)
			setLog(pb, true, false)
			pt.Y.Min = lo
		} else {
			pt.Y.Min = 0.5
			pt.X.Tick.Marker = linTicks(0.5, 1, 0.05, 2)
			pt.Y.Tick.Marker = linTicks(0.5, 1, 0.05, 2)
			pb.X.Tick.Marker = linTicks(0.5, 1, 0.05, 2)
		}
		diffs := make([][]float64, len(confGammas))
		yLo, yHi := 0.0, 0.0
		for i, gm := range confGammas {
			mq, err := confidenceCurve(pn.k, pn.ts, gm)
			if err != nil {
				return nil, err
			}
			d := make([]float64, len(mq))
			for n := range mq {
				d[n] = (mq[n] - pn.ts[n]) / pn.ts[n]
				yLo, yHi = math.Min(yLo, d[n]), math.Max(yHi, d[n])
			}
			diffs[i] = d
			l := curve(pn.ts, mq, lineColor(i), 1.5)
			pt.Add(l)
			if j == 0 {
				label := fmt.Sprintf("γ = %g", gm)
				if gm == 0 {
					// cross-entropy: the diagonal max q* = max η
					label += " (q* = η)"
				}
				g.legend.Add(label, l)
			}
		}
		yHi = math.Max(yHi, 0.02)
		pad := 0.05 * (yHi - yLo)
		pb.Y.Min, pb.Y.Max = yLo-pad, yHi+pad
		oc := band(lo, 1, 0, pb.Y.Max, ocColor)
		uc := band(lo, 1, pb.Y.Min, 0, ucColor)
		pb.Add(oc, uc)
		if j == 0 {
			g.legend.Add("ηOC (max q* > max η)", oc)
			g.legend.Add("ηUC (max q* < max η)", uc)
		}
		for i := range confGammas {
			pb.Add(curve(pn.ts, diffs[i], lineColor(i), 1.5))
		}
	}
	g.forPrint()
	return g, nil
}

// crossoverCase is one row of the fixed-point table: K, the number m of
// top entries t of η = (t ×m, b ×(K−m)), γ.
type crossoverCase struct {
	k, m  int
	gamma float64
}

var crossoverCases = []crossoverCase{
	{1000, 1, 0.5}, {1000, 1, 1}, {1000, 1, 2}, {1000, 1, 3}, {1000, 1, 5},
	{4, 3, 0.5}, {4, 3, 1}, {4, 3, 1.4},
	{5, 4, 2}, {5, 4, 3},
}

// crossoverSide: the table shows the sign of max q* − max η at t_c ± δ,
// δ = crossoverSide × the distance from t_c to the nearer end of (1/K, 1/m).
const crossoverSide = 1e-2

// crossoverGrid is the grid findCrossover scans for the first sign change.
const crossoverGrid = 4000

// findCrossover returns the smallest t in (1/K, 1/m) where
// η = (t ×m, b ×(K−m)), b = (1 − m·t)/(K−m), is a fixed point of Ψ^γ
// (φ^γ(t) = φ^γ(b)), from verify.FixedPointTops, the one solver of these
// fixed points. (For m = 1 φ(t) − φ(b) is > 0 just above 1/K when
// 1/K < τ_oc and < 0 at τ_uc; for m = K−1 it is < 0 where b = τ_oc and > 0
// as b → 0 when 1/(K−1) < τ_uc, i.e. γ < gamma_max.)
func findCrossover(c crossoverCase) (float64, bool) {
	ts := verify.FixedPointTops(c.k, c.m, c.gamma, crossoverGrid)
	if len(ts) == 0 {
		return 0, false
	}
	return ts[0], true
}

func genCrossover(ctx context.Context, r *run) (string, error) {
	var rows [][]string
	for _, c := range crossoverCases {
		t, ok := findCrossover(c)
		if !ok {
			return "", fmt.Errorf("report: no crossover for %+v", c)
		}
		eta := family(c.k, c.m, t)
		b := eta[c.k-1]
		// The root in 40 digits: φ(t) − φ(b) changes sign across t(1 ± 1e-9).
		hpSign := func(t float64) int {
			b := (1 - float64(c.m)*t) / float64(c.k-c.m)
			d := hiprec.Float(hiprec.Phi(t, c.gamma)) - hiprec.Float(hiprec.Phi(b, c.gamma))
			return int(math.Copysign(1, d))
		}
		confirmed := hpSign(t*(1-1e-9)) == -hpSign(t*(1+1e-9))
		res, err := numeric.Exact(eta, c.gamma)
		if err != nil {
			return "", err
		}
		var dev float64
		for i := range eta {
			dev = math.Max(dev, math.Abs(res.Q[i]-eta[i])/eta[i])
		}
		delta := crossoverSide * math.Min(t-1/float64(c.k), 1/float64(c.m)-t)
		side := func(t float64) (string, error) {
			e := family(c.k, c.m, t)
			res, err := numeric.Exact(e, c.gamma)
			if err != nil {
				return "", err
			}
			m := theory.Max(res.Q) - theory.Max(e)
			return verdict(m) + " (" + sig(m, 2) + ")", nil
		}
		below, err := side(t - delta)
		if err != nil {
			return "", err
		}
		above, err := side(t + delta)
		if err != nil {
			return "", err
		}
		conf := "yes"
		if !confirmed {
			conf = "no"
		}
		rows = append(rows, []string{fmt.Sprint(c.k), fmt.Sprint(c.m), sig(c.gamma, 4), fixed(t, 10), sig(b, 6), fixed(theory.Phi(t, c.gamma), 8), conf, rel(dev), below, above})
	}
	return table([]string{"K", "m", "γ", "t_c", "b_c = (1 − m·t_c)/(K−m)", "φ(t_c) = φ(b_c)", "sign change at t_c(1 ± 1e-9), 40 digits", "max_i \\|q*_i − η_i\\|/η_i at t_c", "at t_c − δ", "at t_c + δ"}, rows), nil
}
