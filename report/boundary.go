package report

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"

	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
	"github.com/focaltk/focal/verify"
)

// Section 4 of findings.md: the over-confidence boundary in γ and K.

// boundaryKs are the K of the boundary table computed by verify.BoundaryK
// (which handles K ≤ 200); boundaryCheapKs are those the staleness test
// recomputes (about 1 s without -race, 5–8 s with it).
var (
	boundaryKs      = []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20, 50, 100}
	boundaryCheapKs = []int{3, 4, 5}
	// boundaryBigK is the K of the last row: beyond BoundaryK's range, so
	// only the closed forms are given there, checked by genBoundaryK1000.
	boundaryBigK = 1000
)

// gammaNearUniform is the closed form 1 + (K−1)(ln K − 2)/ln K
// (findings.md derives it; negative for K ≤ 4).
func gammaNearUniform(k float64) float64 { return theory.GammaNearUniform(k) }

// gammaMaxClosed is the γ at which τ_uc^γ = 1/(K−1) (0 for K ≤ 3, where
// 1/(K−1) ≥ 1/2 = τ_uc^0).
func gammaMaxClosed(k float64) float64 {
	if k <= 3 {
		return 0
	}
	return theory.GammaForTauUC(1 / (k - 1))
}

type boundaryRow struct {
	k   int
	rep *verify.BoundaryKReport
}

// boundaryReports runs verify.BoundaryK for ks, on all CPUs (each K is
// deterministic given the seed, so the order of completion does not matter).
func boundaryReports(ctx context.Context, r *run, ks []int) ([]boundaryRow, error) {
	rows := make([]boundaryRow, len(ks))
	errs := make([]error, len(ks))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range min(runtime.NumCPU(), len(ks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rep, err := verify.BoundaryK(ctx, ks[i], verify.BoundaryOptions{Seed: r.opt.Seed})
				rows[i], errs[i] = boundaryRow{ks[i], rep}, err
				mu.Lock()
				r.logf("  boundary K = %d done", ks[i])
				mu.Unlock()
			}
		}()
	}
	// largest K first: they take longest (K = 100 about 7 s of the ~30 s)
	for i := len(ks) - 1; i >= 0; i-- {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return rows, nil
}

func (r *run) boundaryRows(ctx context.Context) ([]boundaryRow, error) {
	if r.boundary == nil {
		rows, err := boundaryReports(ctx, r, boundaryKs)
		if err != nil {
			return nil, err
		}
		r.boundary = rows
	}
	return r.boundary, nil
}

func relDiff(a, b float64) string { return rel(math.Abs(a-b) / math.Abs(b)) }

// boundaryLine is one row of the boundary table.
func boundaryLine(b boundaryRow) string {
	k := float64(b.k)
	gm, gnu := gammaMaxClosed(k), gammaNearUniform(k)
	cols := []string{fmt.Sprint(b.k)}
	switch {
	case b.rep == nil: // beyond BoundaryK
		cols = append(cols, "not searched", "not searched", fixed(gm, 9), "—", "not searched", fixed(gnu, 9), "—")
	default:
		if b.rep.GammaMax != nil {
			g := float64(*b.rep.GammaMax)
			cols = append(cols, fixed(g, 9), noneFound(b.rep.GammaMaxNoneFound), fixed(gm, 9), relDiff(g, gm))
		} else if gm == 0 {
			cols = append(cols, "none found", noneFound(b.rep.GammaMaxNoneFound), "0 (τ_uc < 1/2 = 1/(K−1))", "—")
		} else {
			cols = append(cols, "none found", noneFound(b.rep.GammaMaxNoneFound), fixed(gm, 9), "—")
		}
		if b.rep.GammaNearUniform != nil {
			g := float64(*b.rep.GammaNearUniform)
			cols = append(cols, fixed(g, 9), fixed(gnu, 9), relDiff(g, gnu))
		} else {
			cols = append(cols, "none", fixed(gnu, 9)+" (< 0: none)", "—")
		}
	}
	return "| " + strings.Join(cols, " | ") + " |"
}

// noneFound describes the γ at which the search found no ηOC minimizer.
func noneFound(s *verify.GammaScan) string {
	if s == nil {
		return "— (found up to the largest γ scanned)"
	}
	return fmt.Sprintf("%d γ in [%.9g, %.9g]", s.Points, float64(s.From), float64(s.To))
}

var boundaryHeader = []string{"K", "gamma_max (search)", "no ηOC minimizer found at", "γ with τ_uc^γ = 1/(K−1)", "rel. diff.", "gamma_near_uniform (search)", "1 + (K−1)(ln K − 2)/ln K", "rel. diff."}

func genBoundaryTable(ctx context.Context, r *run) (string, error) {
	rows, err := r.boundaryRows(ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(table(boundaryHeader, nil))
	for _, row := range rows {
		b.WriteString(boundaryLine(row) + "\n")
	}
	b.WriteString(boundaryLine(boundaryRow{k: boundaryBigK}) + "\n")
	return fmt.Sprintf("`verify.BoundaryK` with seed %d and its defaults (%d Nelder–Mead evaluations per search on top of the structured families, bisection to relative width %g). "+
		"gamma_max (search) is the bisection's answer: just below it an ηOC minimizer is found and confirmed in 40 digits; the next column lists the γ above it, up to %d, at which the search ran and found none. "+
		"By itself that upper side is numerical support (what this search, with this budget, did not find); Sec. 8 proves it for K = 3 … 12, 20, 50, 100 (no ηOC minimizer at any γ ≥ the closed form: proofs.md Lemma C, no-oc.json), and the supremum is not attained. "+
		"The closed forms come from `theory.GammaForTauUC(1/(K−1))` and the formula. Reproduce a row with `go run ./cmd/verify boundary --K K --seed %d` "+
		"(it also prints the witnesses).\n\n", r.opt.Seed, verify.DefaultBoundaryEvals, verify.DefaultBoundaryRelTol, verify.MaxGamma, r.opt.Seed) + b.String(), nil
}

// k1000Offset is the relative distance from the closed forms at which the
// K = 1000 check evaluates the minimizer: far enough for a margin well
// above rounding (it is ∝ the offset), close enough to locate the
// boundary to 0.1%.
const k1000Offset = 1e-3

// genBoundaryK1000 checks the two closed forms at K = 1000, beyond the
// range of verify.BoundaryK, with the tool's minimizer: just below each
// closed form its family is ηOC, just above it is not.
func genBoundaryK1000(ctx context.Context, r *run) (string, error) {
	const k = 1000
	gnu, gm := gammaNearUniform(k), gammaMaxClosed(k)
	var rows [][]string
	// (a) Near uniform: η = (1 + s·w)/K with w = (1, −1/(K−1), …), q* by
	// the exact solver.
	const s = 1e-4
	eta := make([]float64, k)
	eta[0] = (1 + s) / k
	for i := 1; i < k; i++ {
		eta[i] = (1 - s/(k-1)) / k
	}
	for _, d := range []float64{-k1000Offset, k1000Offset} {
		g := gnu * (1 + d)
		res, err := numeric.Exact(eta, g)
		if err != nil {
			return "", err
		}
		if res.Status != numeric.Converged {
			return "", fmt.Errorf("report: exact solver at K = %d, γ = %g: %v", k, g, res.Status)
		}
		m := res.Q[0] - eta[0]
		rows = append(rows, []string{"near uniform: η = (1 + s·w)/K, s = 1e-4, w = (1, −1/(K−1) ×999)", fmt.Sprintf("γ_nu·(1 %s) = %s", signed(d), fixed(g, 8)),
			"`numeric.Exact(η, γ)`", sig(m, 3), verdict(m)})
	}
	// (b) The supremum family: q = (t ×999, ε), t = (1−ε)/999; by Thm 11 q
	// is the minimizer at η = Ψ(q).
	const eps = 1e-8
	q := make([]float64, k)
	for i := 0; i < k-1; i++ {
		q[i] = (1 - eps) / (k - 1)
	}
	q[k-1] = eps
	psi := make([]float64, k)
	for _, d := range []float64{-k1000Offset, k1000Offset} {
		g := gm * (1 + d)
		theory.Psi(psi, q, g)
		res, err := numeric.Exact(psi, g)
		if err != nil {
			return "", err
		}
		m := res.Q[0] - psi[0]
		rows = append(rows, []string{"toward S^K: q = (t ×999, ε), ε = 1e-8, η = Ψ^γ(q)", fmt.Sprintf("γ_max·(1 %s) = %s", signed(d), fixed(g, 8)),
			"`numeric.Exact(Psi(q, γ), γ)`", sig(m, 3), verdict(m)})
	}
	return fmt.Sprintf("At K = %d: γ_nu = %s and γ_max = %s. Each family is checked %g (relative) below and above the closed form; "+
		"the margin max q* − max η is many orders above the rounding of q* (entries ≈ 1e-3, ulp ≈ 2e-19):\n\n", k, fixed(gnu, 9), fixed(gm, 9), k1000Offset) +
		table([]string{"family", "γ", "tool", "max q* − max η", "verdict"}, rows), nil
}

// signed writes d as "+ 0.001" or "− 0.001".
func signed(d float64) string {
	if d < 0 {
		return "− " + sig(-d, 3)
	}
	return "+ " + sig(d, 3)
}

// kTicks labels K = 3, 4, 5, 10, 20, 50, 100, 1000 with minor ticks
// between.
func kTicks() []plot.Tick {
	var ts []plot.Tick
	for _, k := range []float64{3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000} {
		t := plot.Tick{Value: k}
		switch k {
		case 3, 4, 5, 10, 20, 50, 100, 200, 500, 1000:
			t.Label = fmt.Sprint(k)
		}
		ts = append(ts, t)
	}
	return ts
}

func verdict(m float64) string {
	switch {
	case m > 0:
		return "ηOC"
	case m < 0:
		return "ηUC"
	}
	return "neither"
}

func drawBoundary(ctx context.Context, r *run, path string) error {
	rows, err := r.boundaryRows(ctx)
	if err != nil {
		return err
	}
	p := newPlot("Where the search found ηOC minimizers (Sec. 4 of findings.md)", "K (number of classes)", "γ")
	setLog(p, true, true)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 3, 1200, 0.01, 6000
	g := newGrid([][]*plot.Plot{{p}}, 2.6)
	p.X.Tick.Marker = plot.ConstantTicks(kTicks())
	// closed forms as curves over real K
	ksMax := logspace(math.Log10(4), math.Log10(1000), 300)
	gmax, gnuLow := make([]float64, len(ksMax)), make([]float64, len(ksMax))
	for i, k := range ksMax {
		gmax[i] = gammaMaxClosed(k)
		gnuLow[i] = math.Max(gammaNearUniform(k), p.Y.Min)
	}
	k0 := 4.5 // γ_nu(K) crosses 0 between 4 and 5
	for gammaNearUniform(k0) < p.Y.Min {
		k0 += 1e-4
	}
	ksNu := logspace(math.Log10(k0), math.Log10(1000), 300)
	gnu := make([]float64, len(ksNu))
	for i, k := range ksNu {
		gnu[i] = gammaNearUniform(k)
	}
	between := areaBetween(ksMax, gmax, gnuLow, ocColor)
	below := area(ksNu, gnu, p.Y.Min, ocDarkColor)
	p.Add(between, below)
	g.legend.Add("ηOC minimizers found (for some η)", between)
	g.legend.Add("… also arbitrarily near uniform", below)
	l1 := curve(ksMax, gmax, lineColor(3), 1.5)
	l2 := curve(ksNu, gnu, lineColor(0), 1.5)
	p.Add(l1, l2)
	g.legend.Add("γ with τ_{uc}^{γ} = 1/(K−1)", l1)
	g.legend.Add("1 + (K−1)(ln K − 2)/ln K", l2)
	var kx, ky, nx, ny []float64
	for _, row := range rows {
		if row.rep.GammaMax != nil {
			kx = append(kx, float64(row.k))
			ky = append(ky, float64(*row.rep.GammaMax))
		}
		if row.rep.GammaNearUniform != nil {
			nx = append(nx, float64(row.k))
			ny = append(ny, float64(*row.rep.GammaNearUniform))
		}
	}
	m1 := marks(kx, ky, lineColor(3), draw.CircleGlyph{}, 3)
	m2 := marks(nx, ny, lineColor(0), draw.SquareGlyph{}, 3)
	fn := marks([]float64{5}, []float64{0.03}, black, draw.CrossGlyph{}, 5)
	p.Add(m1, m2, fn)
	g.legend.Add("gamma_max (search)", m1)
	g.legend.Add("gamma_near_uniform (search)", m2)
	g.legend.Add("footnote 2: K = 5, γ = 0.03", fn)
	return g.save(path, 8.5, 5)
}
