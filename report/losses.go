package report

// docs/losses.md: the loss lab's table (a row per built-in loss, the
// columns of `verify loss`), the witnesses of over- and under-confidence
// computed by the solvers, FLSD-53's minimizer at K = 2 across its jump,
// and the figure of h_g(v)/v.

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot"

	"github.com/focaltk/focal/loss"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/verify"
)

// LossesFile is the loss lab's page, relative to Options.OutDir.
const LossesFile = "losses.md"

// lossRow is one row of the loss table: a spec with the derivation of its
// h_g (written by hand from g; the other columns come from loss.Describe).
type lossRow struct {
	spec, derivation string
}

// lossRows are the built-in losses at representative parameters, in the
// registry's order of loss/builtin.go.
var lossRows = []lossRow{
	{"ce", "−g′ = 1/u, h_g(v) = v: h_g/v constant, so strictly proper"},
	{"focal:gamma=2", "−g′ = φ^γ(u)/u (Eq. 10), h_g = h^γ = v/φ^γ(v) increasing (Lemma 10); h/v = 1/φ^γ not constant for γ > 0: not proper"},
	{"focal-alpha:gamma=2,alpha=0.25/0.75", "the focal risk at the posterior ∝ α⊙η: η_y ∝ h^γ(v_y)/α_y; not proper unless γ = 0 and α constant"},
	{"flsd53", "focal with γ = 5 below u = 0.2, γ = 3 above: g jumps up at 0.2, so no coordinate of a minimizer lies in [0.2, v*) (v* ≈ 0.265, g₃(v*) = g₅(0.2)); h_g is not monotone across the jump"},
	{"poly1:eps=1", "−g′ = 1/u + ε, h_g(v) = v/(1+εv) increasing; h/v = 1/(1+εv) decreasing: over-confident"},
	{"poly-focal:gamma=2,eps=1", "−g′ = φ^γ(u)/u + ε(γ+1)(1−u)^γ, a sum of two decreasing terms: h_g increasing"},
	{"gce:q=0.7", "−g′ = u^{A−1}, h_g(v) = v^{1−A} increasing for A < 1; h/v = v^{−A} decreasing: over-confident"},
	{"gce:q=1", "A = 1 is MAE: −g′ = 1, h_g constant: every minimizer is a vertex (argmax η), no recovery"},
	{"ls:eps=0.1", "not of the form g(q_y): W = Σ_j ((1−ε)η_j + ε/K)(−log q_j), minimized at q = (1−ε)η + ε/K (Müller et al.): under-confident, q_max − η_max = ε(1/K − η_max)"},
	{"focal-ls:gamma=2,eps=0.1", "W = Σ_j ((1−ε)η_j + ε/K) g_focal(q_j): the focal minimizer at the smoothed posterior"},
	{"inverse-focal:gamma=1", "−g′ = (1+u)^{γ−1}((1+u)/u + γ log u): decreasing for γ ≤ 1 (derivative of the bracket (γu − 1)/u² < 0)"},
	{"inverse-focal:gamma=4", "the bracket (1+u)/u + γ log u is 1 + (1−γ)/e + … < 0 near u = 1/e once γ ≥ e + 1: g increases there, h_g < 0"},
	{"dual-focal:gamma=2", "−(1 − q_y + max_{j≠y} q_j)^γ log q_y depends on another coordinate: not separable, no h_g"},
	{"brier", "W(q; η) = Σ_j (q_j − η_j)² + 1 − Σ_j η_j²: strictly proper (Brier 1950)"},
	{"sigmoid-focal", "per label: the binary focal loss of RetinaNet (Lin et al. 2017); the simplex analysis does not apply"},
	{"fl-star", "per label: FL* (Lin et al. 2017, App. A)"},
	{"asl", "per label: ASL (Ridnik et al. 2021)"},
	{`expr:"-(1-u)^g*log(u)";g=2`, "the focal loss as an expression: g′ derived symbolically, h_g shown by verify loss"},
}

func yesNo(b *bool) string {
	switch {
	case b == nil:
		return "n/a"
	case *b:
		return "yes"
	}
	return "no"
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// genLossTable is the table of docs/losses.md: a row per built-in loss,
// the columns of `verify loss` (loss.Describe) and the derivation.
func genLossTable(ctx context.Context, _ *run) (string, error) {
	var rows [][]string
	for _, lr := range lossRows {
		l, err := loss.Parse(lr.spec)
		if err != nil {
			return "", fmt.Errorf("loss table: %s: %w", lr.spec, err)
		}
		d := loss.Describe(l)
		rec := d.Recovery
		if d.RecoveryFormula != "" && d.Recovery != "none" {
			rec += ": " + d.RecoveryFormula
		}
		conf, err := confidenceCell(ctx, l)
		if err != nil {
			return "", err
		}
		rows = append(rows, []string{"`" + mdCell(d.Spec) + "`", d.Kind, yesNo(d.HPositive), yesNo(d.HIncreasing),
			d.StrictlyProper, mdCell(rec), conf, mdCell(lr.derivation)})
	}
	return table([]string{"loss (`verify loss SPEC`)", "kind", "h_g > 0", "h_g increasing", "strictly proper", "recovery", "ηOC / ηUC minimizers at K = " + intsText(lossTableK), "derivation"}, rows) +
		"\nThe ηOC / ηUC column is `verify loss SPEC --K " + strings.ReplaceAll(intsText(lossTableK), " ", "") + "`, per K: yes (a witness, or a proof from the trend of h_g(v)/v), no (a proof), – (none found by a search: not a proof), * (where neither the h_g argument nor a closed form applies: the answer of verify loss's search, " + fmt.Sprint(verify.LossAnswerBudget) + " cases per claim and K, seed 1, its witness a float64 minimizer (a local one for the direct minimizer) with no hiprec oracle), n/a (a sigmoid loss, or a K that the class weights do not fit).\n", nil
}

// lossTableK are the K of the loss table's ηOC/ηUC column (verify loss's
// default --K).
var lossTableK = []int{2, 3, 10}

func intsText(ks []int) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = fmt.Sprint(k)
	}
	return strings.Join(s, ", ")
}

// confidenceCell is the ηOC/ηUC answers of verify loss --K at lossTableK
// (loss.ConfidenceAt, completed by verify.SearchLossAnswers as verify
// loss does): "yes" (a witness or a proof from the trend of h_g(v)/v),
// "no" (a proof), "–" (none found by a search: not a proof), a "*" on an
// answer of the search, "n/a" for a sigmoid loss and at a K that the
// loss's class weights do not fit.
func confidenceCell(ctx context.Context, l *loss.Loss) (string, error) {
	if l.Kind == loss.Sigmoid {
		return "n/a", nil
	}
	var ks []int
	for _, k := range lossTableK {
		if l.Validate(k) == nil {
			ks = append(ks, k)
		}
	}
	facts := make([]loss.ConfidenceFacts, len(ks))
	for i, k := range ks {
		facts[i] = loss.ConfidenceAt(l, k)
	}
	if _, err := verify.SearchLossAnswers(ctx, l, facts, verify.LossAnswerBudget, 1, nil); err != nil {
		return "", fmt.Errorf("loss table: %s: %w", l, err)
	}
	short := map[string]string{"yes": "yes", "no": "no", "not found": "–"}
	cell := func(e loss.Existence) string {
		if strings.HasPrefix(e.How, verify.SearchAnswerPrefix) {
			return short[e.Exists] + "*"
		}
		return short[e.Exists]
	}
	var parts []string
	for _, k := range lossTableK {
		part := "n/a"
		for _, cf := range facts {
			if cf.K == k {
				part = cell(cf.OC) + " / " + cell(cf.UC)
			}
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; "), nil
}

// witnessEtas are the posteriors of the witness table: a skewed one and
// one near uniform, at K = 3.
var witnessEtas = [][]float64{{0.7, 0.2, 0.1}, {0.4, 0.3, 0.3}}

// witnessSpecs are the losses whose minimizers the witness table shows.
var witnessSpecs = []string{"ce", "focal:gamma=2", "flsd53", "poly1:eps=1", "poly-focal:gamma=2,eps=1",
	"gce:q=0.7", "ls:eps=0.1", "focal-ls:gamma=2,eps=0.1", "inverse-focal:gamma=1", "dual-focal:gamma=2", "brier"}

// lossMinimize returns the minimizer of a loss (LossExact for separable
// losses, LossDirect otherwise) and the method's name.
func lossMinimize(l *loss.Loss, eta []float64) ([]float64, string, error) {
	if l.Kind == loss.Separable {
		r, err := numeric.LossExact(eta, l)
		if err != nil {
			return nil, "", err
		}
		m := "LossExact (" + r.Method.String() + ")"
		if len(r.AtPieceEnd) > 0 {
			m += ", at a jump"
		}
		return r.Q, m, nil
	}
	r, err := numeric.LossDirect(eta, l, 0)
	if err != nil {
		return nil, "", err
	}
	return r.Q, "LossDirect (" + r.Status.String() + ")", nil
}

// confidenceWord classifies q*_max − η_max at the rounding of the
// solvers (1e-12: far above LossExact's ulps, below LossDirect's 1e-6
// resolution only for brier and dual-focal, whose rows say so).
func confidenceWord(d float64, direct bool) string {
	tol := 1e-12
	if direct {
		tol = 1e-6
	}
	switch {
	case d > tol:
		return "over"
	case d < -tol:
		return "under"
	}
	return "calibrated"
}

// genLossWitnesses is the witness table: each loss's minimizer at two
// posteriors, computed now by the solvers, with the sign of q*_max − η_max.
func genLossWitnesses(_ context.Context, _ *run) (string, error) {
	header := []string{"loss", "solver"}
	for _, e := range witnessEtas {
		header = append(header, "q* at η = "+vec(e, 2), "q*_max − η_max")
	}
	var rows [][]string
	for _, spec := range witnessSpecs {
		l, err := loss.Parse(spec)
		if err != nil {
			return "", err
		}
		row := []string{"`" + spec + "`", ""}
		var methods []string
		for _, eta := range witnessEtas {
			q, method, err := lossMinimize(l, eta)
			if err != nil {
				return "", fmt.Errorf("witnesses: %s at %v: %w", spec, eta, err)
			}
			if !slices.Contains(methods, method) {
				methods = append(methods, method)
			}
			row[1] = strings.Join(methods, "; ")
			qm, em := 0.0, 0.0
			for i := range eta {
				qm, em = math.Max(qm, q[i]), math.Max(em, eta[i])
			}
			d := qm - em
			row = append(row, vec(q, 4), fmt.Sprintf("%s (%s)", sig(d, 3), confidenceWord(d, l.Kind != loss.Separable)))
		}
		rows = append(rows, row)
	}
	return table(header, rows), nil
}

// flsdEtas are the η_1 of the FLSD-53 table at K = 2.
var flsdEtas = []float64{0.5, 0.6, 0.7, 0.8, 0.9, 0.93, 0.99, 0.999, 1 - 1e-4, 1 - 1e-6}

// flsdAtJump reports whether FLSD-53's minimizer at K = 2 and η =
// (e, 1 − e) has a coordinate at the jump point 0.2⁻.
func flsdAtJump(l *loss.Loss, e float64) (bool, []float64, error) {
	r, err := numeric.LossExact([]float64{e, 1 - e}, l)
	return len(r.AtPieceEnd) > 0, r.Q, err
}

// flsdSwitch bisects η_1 in [lo, hi] (where flsdAtJump differs at the
// ends) to a width of 1e-12 and returns both ends with their minimizers.
func flsdSwitch(l *loss.Loss, lo, hi float64) (float64, float64, []float64, []float64, error) {
	jlo, _, err := flsdAtJump(l, lo)
	if err != nil {
		return 0, 0, nil, nil, err
	}
	for hi-lo > 1e-12 {
		m := lo + (hi-lo)/2
		j, _, err := flsdAtJump(l, m)
		if err != nil {
			return 0, 0, nil, nil, err
		}
		if j == jlo {
			lo = m
		} else {
			hi = m
		}
	}
	_, qlo, err := flsdAtJump(l, lo)
	if err != nil {
		return 0, 0, nil, nil, err
	}
	_, qhi, err := flsdAtJump(l, hi)
	return lo, hi, qlo, qhi, err
}

// genFLSD is the FLSD-53 table: the minimizer at K = 2 for η = (η_1,
// 1 − η_1), and where it jumps.
func genFLSD(_ context.Context, _ *run) (string, error) {
	l, err := loss.Parse("flsd53")
	if err != nil {
		return "", err
	}
	var rows [][]string
	for _, e := range flsdEtas {
		r, err := numeric.LossExact([]float64{e, 1 - e}, l)
		if err != nil {
			return "", err
		}
		where := "γ = 3 branch (both coordinates ≥ 0.2)"
		switch {
		case len(r.AtPieceEnd) > 0:
			where = "q*_2 at the jump 0.2⁻ (infimum, not attained)"
		case r.Q[1] < 0.2:
			where = "q*_2 on the γ = 5 branch (< 0.2)"
		}
		rows = append(rows, []string{sig(e, 7), vec(r.Q, 6), sig(r.Q[0]-e, 3), where})
	}
	var b strings.Builder
	b.WriteString(table([]string{"η_1", "q* (LossExact, global enumeration)", "q*_1 − η_1", "where"}, rows))
	for _, w := range [][2]float64{{0.9, 0.99}, {0.99, 0.999}} {
		lo, hi, qlo, qhi, err := flsdSwitch(l, w[0], w[1])
		if err != nil {
			return "", err
		}
		if d := qhi[0] - qlo[0]; math.Abs(d) > 1e-6 {
			fmt.Fprintf(&b, "\nThe minimizer jumps between η_1 = %s (q* = %s) and η_1 = %s (q* = %s): by %s in q*_1 for %s in η_1.\n",
				sig(lo, 12), vec(qlo, 6), sig(hi, 12), vec(qhi, 6), sig(d, 3), sig(hi-lo, 2))
		} else {
			fmt.Fprintf(&b, "\nIt leaves the jump point continuously at η_1 = %s (q*_2 = %s, then below 0.2 on the γ = 5 branch).\n",
				sig(lo, 9), sig(qhi[1], 9))
		}
	}
	return b.String(), nil
}

// lossHCurves are the losses of losses-h.png.
var lossHCurves = []string{"ce", "focal:gamma=2", "flsd53", "poly1:eps=1", "poly-focal:gamma=2,eps=1", "gce:q=0.7", "inverse-focal:gamma=1"}

// lossesHW, lossesHH are the size of losses-h.png in inches.
const lossesHW, lossesHH = 7, 3.4

// drawLossesH draws h_g(v)/v, normalized to 1 at v = 1/2, for the
// separable losses with h_g > 0 (log–log): flat where the loss is
// proper; decreasing where it is over-confident.
func drawLossesH(_ context.Context, _ *run, path string) error {
	p := newPlot("ρ(v) = h_{g}(v)/v ÷ ρ(1/2): flat ⇔ proper; falling: over-confident", "v", "ρ(v)/ρ(1/2)")
	setLog(p, true, true)
	const yMin, yMax = 0.1, 1000 // the focal family's pole at v = 1 is cut off
	p.Y.Min, p.Y.Max = yMin, yMax
	xs := logspace(-4, 0, 600)
	xs = xs[:len(xs)-1] // v = 1 excluded: h_g(1)/1 is a pole for the focal family
	for _, d := range logspace(-4, -1, 150) {
		xs = append(xs, 1-d)
	}
	xs = append(xs, math.Nextafter(0.2, 0), 0.2) // both sides of FLSD-53's jump
	sort.Float64s(xs)
	g := newGrid([][]*plot.Plot{{p}}, 2.1)
	g.forPrint()
	for i, spec := range lossHCurves {
		l, err := loss.Parse(spec)
		if err != nil {
			return err
		}
		ref := l.HG(0.5) / 0.5
		var cx, cy []float64
		for _, v := range xs {
			y := l.HG(v) / v / ref
			if y >= yMin && y <= yMax {
				cx, cy = append(cx, v), append(cy, y)
			}
		}
		c := curve(cx, cy, lineColor(i), 1.4)
		p.Add(c)
		g.legend.Add(spec, c)
	}
	return g.save(path, lossesHW, lossesHH)
}
