package verify

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"gonum.org/v1/gonum/optimize"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// The over-confidence boundary.
//
// By Thm 11 the minimizer at η = Ψ^γ(q) is q itself, so "some η gives an
// ηOC minimizer" is "some q ∉ S^K has max_y q_y > max_y Ψ^γ_y(q)". With
// t = max q, h(v) = v/φ(v) and Σ q_l = 1 that inequality reads
// Σ_l h(q_l) > h(t)/t, i.e.
//
//	G(q) = Σ_l q_l·(1/φ(q_l) − 1/φ(t)) > 0,
//
// a sum in which the top entries contribute 0 and every other term is
// computed without cancellation between large numbers, so its sign is
// reliable down to G ≈ 1e-16·Σ_l q_l/φ(q_l) (ocGap's bound). The boundary
// search maximizes G; every answer it gives is then confirmed on the
// minimizer itself, by package hiprec at the float64 vector η = Ψ(q).
//
// What the search finds (K = 3…8, reproduced by the tests at K = 4, 5):
//
//   - K = 3: no ηOC minimizer for any γ. K ≥ 4: ηOC minimizers exist
//     exactly for γ below γ_max(K), the γ at which τ_uc^γ = 1/(K−1)
//     (1.428852 at K = 4, 3.070227 at K = 5, 4.850554 at K = 6). The
//     supremum is approached, not attained, by q → (1/(K−1), …, 1/(K−1), 0):
//     with K−1 entries t = (1−ε)/(K−1) and one ε, G > 0 ⟺ φ(ε) < φ(t),
//     which holds for small ε exactly when φ(1/(K−1)) > 1 = φ(0), i.e.
//     1/(K−1) < τ_uc^γ. That is far above the near-uniform threshold.
//   - Near the uniform vector, the linearization of Ψ gives
//     q* − u ≈ (η − u)/D with D = 1 − vφ'(v)/φ(v) at v = 1/K, so
//     near-uniform minimizers are ηOC iff φ'(1/K) > 0 iff 1/K < τ_oc^γ,
//     i.e. γ < γ_nu(K) = 1 + (K−1)(ln K − 2)/ln K: negative for K ≤ 4
//     (never), 0.0293205 at K = 5 (so footnote 2's "γ ≤ 0.03" is slightly
//     too generous: for γ in (0.0293205, 0.03] near-uniform minimizers
//     are ηUC), 0.418894 at K = 6. The high-precision bisection agrees
//     with the closed form to 1e-9.

// BoundaryOptions configures BoundaryK and BoundaryGamma; the zero value
// is the default.
type BoundaryOptions struct {
	// Seed seeds the random starts of the optimizer.
	Seed uint64
	// Evals is the number of evaluations of G the Nelder–Mead part of
	// each search spends; 0 means DefaultBoundaryEvals.
	Evals int
	// RelTol is the relative width at which the bisections over γ stop;
	// 0 means DefaultBoundaryRelTol.
	RelTol float64
}

const (
	// DefaultBoundaryEvals: Nelder–Mead evaluations per search (on top of
	// the structured grid, which has 10^4–10^5 points at K ≤ 12).
	DefaultBoundaryEvals = 3000
	// DefaultBoundaryRelTol: 1e-9 relative width leaves the answers good
	// to 8 significant digits, past the 6 asked for.
	DefaultBoundaryRelTol = 1e-9
	// nearUniformStep is the displacement s of q = (1 + s·w)/K from the
	// uniform vector at which the near-uniform bisection evaluates G in
	// high precision: the second-order term (∝ s²) is then 10^25 below
	// the first-order one at the bisection's final width, and 60 digits
	// resolve the first-order one (∝ s·φ'(1/K)) down to φ' ≈ 1e-12.
	nearUniformStep = "1e-25"
)

// boundaryGammaGrid is where the boundary scans start: from the smallest
// γ the search considers, then upward until no ηOC minimizer is found.
var boundaryGammaGrid = []float64{1e-6, 1e-3, 0.01, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000}

// Witness is a confirmed ηOC case: at γ, the minimizer q* of W(·; η) has
// max q* > max η. Margin is max q* − max η with the float64 minimizer
// (numeric.Exact); MarginHiprec is the same with the 40-digit minimizer of
// package hiprec, formed in decimal arithmetic (against η/Σ η).
type Witness struct {
	Gamma        Float   `json:"gamma"`
	Eta          []Float `json:"eta"`
	Q            []Float `json:"q"`
	Margin       Float   `json:"margin"`
	MarginHiprec Float   `json:"margin_hiprec"`
	// Label says which family the witness comes from.
	Label string `json:"label"`
}

// BoundaryKReport answers, for one K: the supremum of γ for which some η
// gives an ηOC minimizer (GammaMax, with a Witness just below it), and the
// supremum of γ for which ηOC minimizers exist arbitrarily close to the
// uniform vector (GammaNearUniform); null when no γ > 0 has any.
type BoundaryKReport struct {
	Version int `json:"version"`
	K       int `json:"K"`
	// GammaMax is the bisection's answer, GammaMaxBracket its final
	// bracket: an ηOC minimizer found (and confirmed) at the low end, none
	// found by the search at the high end.
	GammaMax        *Float   `json:"gamma_max"`
	GammaMaxBracket []Float  `json:"gamma_max_bracket,omitempty"`
	Witness         *Witness `json:"witness"`
	// WitnessFloat64 is a witness at the largest γ below gamma_max on
	// the grid gamma_max·(1 − 10^−j), j = 6…1, where the float64 exact
	// minimizer shows the over-confidence too, by more than robustMargin
	// (Witness, closer to the supremum, usually needs 40 digits to show
	// it).
	WitnessFloat64 *Witness `json:"witness_float64,omitempty"`
	// GammaTauUC is the γ at which τ_uc^γ = 1/(K−1), from theory.TauUC
	// (absent for K ≤ 3, where 1/(K−1) ≥ 1/2 > τ_uc^γ for every γ): the
	// value GammaMax is observed to equal (see the package comment of
	// the boundary, above BoundaryOptions).
	GammaTauUC *Float `json:"gamma_tau_uc,omitempty"`
	// GammaNearUniform is the bisection's answer for the near-uniform
	// limit, GammaNearUniformBracket its bracket, and
	// GammaNearUniformFormula the linearization's closed form
	// 1 + (K−1)(ln K − 2)/ln K (negative for K ≤ 4), for comparison.
	GammaNearUniform        *Float  `json:"gamma_near_uniform"`
	GammaNearUniformBracket []Float `json:"gamma_near_uniform_bracket,omitempty"`
	GammaNearUniformFormula Float   `json:"gamma_near_uniform_formula"`
	// Method says how each answer was established.
	Method string `json:"method"`
}

// BoundaryGammaReport answers, for one γ, the smallest K with an ηOC
// minimizer (KMin, with a Witness); null when none up to the K where the
// near-uniform argument guarantees one (which cannot happen for γ > 0).
type BoundaryGammaReport struct {
	Version int      `json:"version"`
	Gamma   Float    `json:"gamma"`
	KMin    *int     `json:"k_min"`
	Witness *Witness `json:"witness"`
	Method  string   `json:"method"`
}

func (o *BoundaryOptions) defaults() {
	if o.Evals <= 0 {
		o.Evals = DefaultBoundaryEvals
	}
	if !(o.RelTol > 0) {
		o.RelTol = DefaultBoundaryRelTol
	}
}

// BoundaryK computes the over-confidence boundary in γ at K (see
// BoundaryKReport). It returns ctx's error if ctx is done first.
func BoundaryK(ctx context.Context, k int, opt BoundaryOptions) (*BoundaryKReport, error) {
	if err := CheckK(k); err != nil {
		return nil, err
	}
	if k > maxBoundaryK {
		return nil, fmt.Errorf("%w: K %d: the boundary search handles K <= %d", ErrOptions, k, maxBoundaryK)
	}
	opt.defaults()
	kf := float64(k)
	rep := &BoundaryKReport{Version: ReportVersion, K: k,
		GammaNearUniformFormula: Float(theory.GammaNearUniform(kf))}
	var method strings.Builder

	// (a) Any η.
	oc := func(g float64) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		best := searchOC(g, k, opt)
		return best.found(), nil
	}
	lo, hi, ok, err := bisectGamma(oc, opt.RelTol)
	if err != nil {
		return nil, err
	}
	if !ok {
		fmt.Fprintf(&method, "gamma_max: no ηOC minimizer found at any γ of the scan %v (each a search of the structured families and %d Nelder–Mead evaluations of G), so none is reported. ",
			boundaryGammaGrid, opt.Evals)
	} else {
		gm := Float(lo + (hi-lo)/2)
		rep.GammaMax, rep.GammaMaxBracket = &gm, []Float{Float(lo), Float(hi)}
		w, err := witnessBelow(ctx, k, lo, hi, opt)
		if err != nil {
			return nil, err
		}
		rep.Witness = w
		if rep.WitnessFloat64, err = witnessFloat64(ctx, k, lo, opt); err != nil {
			return nil, err
		}
		fmt.Fprintf(&method, "gamma_max: bisection over γ to relative width %g: at the low end %s the search finds q with G(q) > 0 beyond its rounding bound; at the high end %s the search (structured families: m equal top entries, up to two more levels and zeros, including the limits toward S^K; plus %d Nelder–Mead evaluations of G over softmax-parametrized q from structured and random starts) finds none. ",
			opt.RelTol, fmtFloat(lo), fmtFloat(hi), opt.Evals)
		if w != nil {
			fmt.Fprintf(&method, "Witness at γ = %s (%.2g below gamma_max, relative) from %q, confirmed by the 40-digit minimizer: max q* − max η = %.3g. ",
				fmtFloat(float64(w.Gamma)), (float64(gm)-float64(w.Gamma))/float64(gm), w.Label, float64(w.MarginHiprec))
		} else {
			method.WriteString("No witness could be confirmed in high precision within relative 0.1 below the bracket. ")
		}
	}
	if gt := gammaTauUC(k); !math.IsNaN(float64(gt)) {
		rep.GammaTauUC = &gt
		if rep.GammaMax != nil {
			fmt.Fprintf(&method, "It agrees with the γ where τ_uc^γ = 1/(K−1) (%s, relative difference %.1g): the supremum is approached by q → (1/(K−1), …, 1/(K−1), 0). ",
				fmtFloat(float64(gt)), math.Abs(float64(*rep.GammaMax)-float64(gt))/float64(gt))
		}
	}

	// (b) Near the uniform vector.
	nu := func(g float64) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		return nearUniformOC(g, k), nil
	}
	lo, hi, ok, err = bisectGamma(nu, opt.RelTol)
	if err != nil {
		return nil, err
	}
	if !ok {
		fmt.Fprintf(&method, "gamma_near_uniform: at no γ of the scan is G(q) > 0 (40-digit hiprec) at q = (1 + s·w)/K, s = %s, for any of the directions w tried, so ηOC minimizers do not come arbitrarily close to uniform for any γ > 0 (the linearization's γ_nu(K) = %.6g is negative).",
			nearUniformStep, float64(rep.GammaNearUniformFormula))
	} else {
		g := Float(lo + (hi-lo)/2)
		rep.GammaNearUniform, rep.GammaNearUniformBracket = &g, []Float{Float(lo), Float(hi)}
		fmt.Fprintf(&method, "gamma_near_uniform: bisection over γ to relative width %g on the sign of G(q), evaluated with package hiprec (60 digits) at q = (1 + s·w)/K, s = %s, for %d directions w (positive for some w at the low end %s, for none at the high end %s); the closed form 1 + (K−1)(ln K − 2)/ln K = %s differs by %.1g relative.",
			opt.RelTol, nearUniformStep, len(nearUniformDirections(k)), fmtFloat(lo), fmtFloat(hi),
			fmtFloat(float64(rep.GammaNearUniformFormula)), math.Abs(float64(g)-float64(rep.GammaNearUniformFormula))/float64(g))
	}
	rep.Method = strings.TrimSpace(method.String())
	return rep, nil
}

// maxBoundaryK bounds K for the boundary searches (their structured grids
// grow like K³ for small K).
const maxBoundaryK = 200

// BoundaryGamma computes the smallest K with an ηOC minimizer at γ (see
// BoundaryGammaReport).
func BoundaryGamma(ctx context.Context, gamma float64, opt BoundaryOptions) (*BoundaryGammaReport, error) {
	if err := CheckGamma(gamma); err != nil {
		return nil, err
	}
	opt.defaults()
	rep := &BoundaryGammaReport{Version: ReportVersion, Gamma: Float(gamma)}
	if gamma == 0 {
		rep.Method = "γ = 0 is the cross-entropy, which is strictly proper: q* = η for every η and K, so no K gives an ηOC minimizer."
		return rep, nil
	}
	// Near-uniform vectors are ηOC once 1/K < τ_oc (the linearization),
	// so the scan can stop there.
	kMax := min(maxBoundaryK, int(math.Floor(1/theory.TauOC(gamma)))+1)
	for k := 2; k <= kMax; k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		best := searchOC(gamma, k, opt)
		if !best.found() {
			continue
		}
		w := confirmWitness(gamma, k, ocCandidates(gamma, k, opt, best))
		if w == nil {
			continue
		}
		km := k
		rep.KMin, rep.Witness = &km, w
		rep.Method = fmt.Sprintf("For K = 2, …, %d the search (structured families and %d Nelder–Mead evaluations of G per K) finds no q with G(q) > 0; at K = %d it does, and the witness is confirmed by the 40-digit minimizer (max q* − max η = %.3g).",
			k-1, opt.Evals, k, float64(w.MarginHiprec))
		if k == 2 {
			rep.Method = fmt.Sprintf("At K = 2 the search finds an ηOC case, confirmed by the 40-digit minimizer (max q* − max η = %.3g).", float64(w.MarginHiprec))
		}
		return rep, nil
	}
	rep.Method = fmt.Sprintf("No ηOC minimizer found for K = 2, …, %d (searched up to the K where 1/K < τ_oc^γ guarantees near-uniform ones, capped at %d).", kMax, maxBoundaryK)
	return rep, nil
}

// bisectGamma scans boundaryGammaGrid for the last γ with pred true
// before the first with pred false, then bisects between them to relative
// width relTol. ok = false when pred is false at the first grid point (and
// at every other grid point). If pred holds at every grid point, the
// bracket is (last grid point, +Inf) and lo is a lower bound only.
func bisectGamma(pred func(float64) (bool, error), relTol float64) (lo, hi float64, ok bool, err error) {
	lo, hi = math.NaN(), math.Inf(1)
	for _, g := range boundaryGammaGrid {
		yes, err := pred(g)
		if err != nil {
			return 0, 0, false, err
		}
		if yes {
			lo = g
			continue
		}
		if !math.IsNaN(lo) {
			hi = g
			break
		}
	}
	if math.IsNaN(lo) {
		return 0, 0, false, nil
	}
	if math.IsInf(hi, 1) {
		return lo, hi, true, nil
	}
	for hi-lo > relTol*hi {
		mid := lo + (hi-lo)/2
		yes, err := pred(mid)
		if err != nil {
			return 0, 0, false, err
		}
		if yes {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, hi, true, nil
}

// gammaTauUC returns the γ with τ_uc^γ = 1/(K−1) by bisection on
// theory.TauUC, which decreases in γ from 1/2; NaN for K ≤ 3.
func gammaTauUC(k int) Float {
	target := 1 / float64(k-1)
	if target >= 0.5 {
		return Float(math.NaN())
	}
	lo, hi := 0.0, 1.0
	for theory.TauUC(hi) > target {
		lo, hi = hi, 2*hi
	}
	for i := 0; i < 200 && hi-lo > 1e-15*hi; i++ {
		mid := lo + (hi-lo)/2
		if theory.TauUC(mid) > target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return Float(lo + (hi-lo)/2)
}

// ocPoint is a candidate q with its gap G and G's rounding bound.
type ocPoint struct {
	q      []float64
	g, err float64
	label  string
}

func (p ocPoint) found() bool { return p.q != nil && p.g > p.err }

// better orders points by how clearly G is positive.
func (p ocPoint) better(o ocPoint) bool {
	if o.q == nil {
		return p.q != nil
	}
	return p.g-p.err > o.g-o.err
}

// ocGap returns G(q) = Σ_l q_l (1/φ(q_l) − 1/φ(max q)) and a bound on its
// rounding error (a few ulps of each term's parts).
func ocGap(q []float64, gamma float64) (g, bound float64) {
	t := theory.Max(q)
	it := 1 / theory.Phi(t, gamma)
	for _, x := range q {
		if x == t || x == 0 {
			continue
		}
		ix := 1 / theory.Phi(x, gamma)
		g += x * (ix - it)
		bound += x * (ix + it)
	}
	return g, gapULPs * 0x1p-53 * bound
}

// gapULPs: φ has a relative error of a few ulps (theory.Phi); each term of
// G adds a reciprocal, a subtraction and a product.
const gapULPs = 16

// level is one group of equal entries of a structured q.
type level struct {
	n int
	v float64
}

// levelsGap is ocGap for q = (t ×m, levels…) given by its distinct values.
func levelsGap(t float64, levels []level, gamma float64) (g, bound float64) {
	it := 1 / theory.Phi(t, gamma)
	for _, l := range levels {
		if l.n == 0 || l.v == 0 || l.v == t {
			continue
		}
		ix := 1 / theory.Phi(l.v, gamma)
		g += float64(l.n) * l.v * (ix - it)
		bound += float64(l.n) * l.v * (ix + it)
	}
	return g, gapULPs * 0x1p-53 * bound
}

func expand(k, m int, t float64, levels []level) []float64 {
	q := make([]float64, 0, k)
	for range m {
		q = append(q, t)
	}
	for _, l := range levels {
		for range l.n {
			q = append(q, l.v)
		}
	}
	for len(q) < k {
		q = append(q, 0)
	}
	return q
}

// partitions lists (m, a, b) — m top entries, a entries at x, b at y, the
// rest 0 — for the structured search: all of them for K ≤ 12, a sparser
// set above.
func partitions(k int) [][3]int {
	var out [][3]int
	if k <= 12 {
		for m := 1; m < k; m++ {
			for a := 1; a <= k-m; a++ {
				for b := 0; b <= k-m-a; b++ {
					out = append(out, [3]int{m, a, b})
				}
			}
		}
		return out
	}
	for _, m := range topMs(k) {
		r := k - m
		as := dedupe([]int{1, 2, 3, r / 2, r - 1, r})
		for _, a := range as {
			if a < 1 || a > r {
				continue
			}
			for _, b := range dedupe([]int{0, 1, (r - a) / 2, r - a}) {
				if b >= 0 && b <= r-a {
					out = append(out, [3]int{m, a, b})
				}
			}
		}
	}
	return out
}

func dedupe(x []int) []int {
	slices.Sort(x)
	return slices.Compact(x)
}

// Grid sizes of the structured boundary search.
const (
	ocGridT = 24
	ocGridX = 16
)

// limitEps approach S^K: top entries (1−ε)/m and one entry ε.
var limitEps = []float64{1e-2, 1e-3, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 1e-15, 1e-30, 1e-100, 1e-300}

// searchOC maximizes G over the structured families and with Nelder–Mead
// from the best of them and from random points, and returns the best.
func searchOC(gamma float64, k int, opt BoundaryOptions) ocPoint {
	pts := structuredOC(gamma, k, 4)
	best := ocPoint{}
	if len(pts) > 0 {
		best = pts[0]
	}
	if nm := nelderMeadOC(gamma, k, opt, pts); nm.better(best) {
		best = nm
	}
	return best
}

// structuredOC evaluates G on the structured grid and returns its best
// top points (one per partition), best first.
func structuredOC(gamma float64, k, top int) []ocPoint {
	var bests []ocPoint
	for _, p := range partitions(k) {
		m, a, b := p[0], p[1], p[2]
		pos := m + a + b
		tlo, thi := 1/float64(pos), 1/float64(m)
		var ts []float64
		for j := 1; j <= ocGridT; j++ {
			ts = append(ts, tlo+(thi-tlo)*float64(j)/(ocGridT+1))
		}
		if b == 0 {
			for _, e := range limitEps {
				ts = append(ts, (1-e)/float64(m))
			}
		}
		best := ocPoint{}
		consider := func(t float64, lv []level, label string) {
			g, e := levelsGap(t, lv, gamma)
			if best.q == nil || g-e > best.g-best.err {
				best = ocPoint{q: expand(k, m, t, lv), g: g, err: e, label: label}
			}
		}
		for _, t := range ts {
			if b == 0 {
				x := (1 - float64(m)*t) / float64(a)
				if x > 0 && x < t {
					consider(t, []level{{a, x}}, fmt.Sprintf("m=%d top, %d equal, %d zero", m, a, k-pos))
				}
				continue
			}
			for j := 0; j <= ocGridX+1; j++ {
				x := t * float64(j) / (ocGridX + 1)
				if j == 0 {
					x = t * 1e-9
				}
				if j == ocGridX+1 {
					x = t * (1 - 1e-9)
				}
				y := (1 - float64(m)*t - float64(a)*x) / float64(b)
				if y > 0 && y < t {
					consider(t, []level{{a, x}, {b, y}}, fmt.Sprintf("m=%d top, %d and %d equal, %d zero", m, a, b, k-pos))
				}
			}
		}
		if best.q != nil {
			bests = append(bests, best)
		}
	}
	slices.SortStableFunc(bests, func(x, y ocPoint) int {
		switch {
		case x.better(y):
			return -1
		case y.better(x):
			return 1
		}
		return 0
	})
	if len(bests) > top {
		bests = bests[:top]
	}
	return bests
}

// nelderMeadOC maximizes G over q = softmax(z) with Nelder–Mead, from the
// given points and from Dirichlet-random ones, within opt.Evals
// evaluations.
func nelderMeadOC(gamma float64, k int, opt BoundaryOptions, starts []ocPoint) ocPoint {
	rng := rand.New(rand.NewPCG(opt.Seed, uint64(k)^math.Float64bits(gamma)))
	q := make([]float64, k)
	best := ocPoint{}
	evals := 0
	f := func(z []float64) float64 {
		evals++
		softmax(q, z)
		if theory.InSK(q) {
			return 0
		}
		g, e := ocGap(q, gamma)
		if math.IsNaN(g) {
			return advPenalty
		}
		if p := (ocPoint{q: q, g: g, err: e}); p.better(best) {
			best = ocPoint{q: slices.Clone(q), g: g, err: e, label: "Nelder–Mead"}
		}
		return -(g - e)
	}
	var z0s [][]float64
	for _, s := range starts {
		z0s = append(z0s, logits(make([]float64, k), s.q))
	}
	for len(z0s) < 8 {
		z := make([]float64, k)
		alpha := []float64{1, 0.3, 3}[len(z0s)%3]
		for i := range z {
			z[i] = math.Log(gammaVariate(rng, alpha) + 1e-300)
		}
		z0s = append(z0s, z)
	}
	per := max(1, opt.Evals/len(z0s))
	for _, z0 := range z0s {
		set := &optimize.Settings{FuncEvaluations: per,
			Converger: &optimize.FunctionConverge{Absolute: 1e-300, Relative: 1e-12, Iterations: 50}}
		optimize.Minimize(optimize.Problem{Func: f}, z0, set, &optimize.NelderMead{SimplexSize: 0.3})
	}
	return best
}

// gammaVariate draws Gamma(α, 1) by Marsaglia and Tsang's method.
func gammaVariate(r *rand.Rand, alpha float64) float64 {
	boost := 1.0
	if alpha < 1 {
		boost = math.Pow(r.Float64(), 1/alpha)
		alpha++
	}
	d := alpha - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		if u := r.Float64(); math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v * boost
		}
	}
}

// ocCandidates lists candidate witnesses at (γ, K): the best structured
// points, the optimizer's best, and the limit family toward S^K with
// K−1 top entries.
func ocCandidates(gamma float64, k int, opt BoundaryOptions, best ocPoint) []ocPoint {
	c := structuredOC(gamma, k, 8)
	if best.q != nil {
		c = append(c, best)
	}
	if k >= 3 {
		m := k - 1
		for e := 0.1; e >= 1e-14; e /= math.Sqrt(10) {
			t := (1 - e) / float64(m)
			g, er := levelsGap(t, []level{{1, e}}, gamma)
			c = append(c, ocPoint{q: expand(k, m, t, []level{{1, e}}), g: g, err: er, label: fmt.Sprintf("m=%d top, 1 at %.2g", m, e)})
		}
	}
	return c
}

// confirmWitness maps each candidate with G > 0 to η = Ψ(q) in float64 and
// returns the one whose 40-digit minimizer is the most clearly ηOC, or
// nil.
func confirmWitness(gamma float64, k int, cands []ocPoint) *Witness {
	var best *Witness
	for _, c := range cands {
		if !c.found() {
			continue
		}
		eta := theory.Psi(make([]float64, k), c.q, gamma)
		if numeric.ValidateEta(eta, gamma) != nil {
			continue
		}
		mh, qh, err := hiprecOCMargin(eta, gamma)
		if err != nil || !(mh > 0) {
			continue
		}
		if best != nil && mh <= float64(best.MarginHiprec) {
			continue
		}
		q, err := numeric.Exact(eta, gamma)
		if err != nil {
			continue
		}
		best = &Witness{Gamma: Float(gamma), Eta: Floats(eta), Q: Floats(qh),
			Margin: Float(theory.Max(q.Q) - theory.Max(eta)), MarginHiprec: Float(mh), Label: c.label}
	}
	return best
}

// witnessBelow finds a confirmed witness at a γ just below the bracket
// [lo, hi]: at lo if possible, else stepping down by relative 10^−7,
// 10^−6, …, 10^−1 (close to the supremum the margin shrinks like the
// square of the distance and drowns in the rounding of η to float64).
func witnessBelow(ctx context.Context, k int, lo, hi float64, opt BoundaryOptions) (*Witness, error) {
	for _, rel := range []float64{0, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		g := lo * (1 - rel)
		best := searchOC(g, k, opt)
		if w := confirmWitness(g, k, ocCandidates(g, k, opt, best)); w != nil {
			return w, nil
		}
	}
	return nil, nil
}

// robustMargin is the float64 margin a witness_float64 must exceed: a
// thousand times the rounding of max q* − max η in float64 (≈ 1e-16), so
// that no float64 solver of ordinary accuracy can miss it.
const robustMargin = 1e-13

// witnessFloat64 finds a witness below lo whose float64 margin (exact
// minimizer) exceeds robustMargin, as well as its high-precision one.
func witnessFloat64(ctx context.Context, k int, lo float64, opt BoundaryOptions) (*Witness, error) {
	for _, rel := range []float64{1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		g := lo * (1 - rel)
		cands := ocCandidates(g, k, opt, searchOC(g, k, opt))
		var robust []ocPoint
		for _, c := range cands {
			if !c.found() {
				continue
			}
			eta := theory.Psi(make([]float64, k), c.q, g)
			if q, err := numeric.Exact(eta, g); err == nil && q.Status == numeric.Converged && theory.Max(q.Q) > theory.Max(eta) {
				robust = append(robust, c)
			}
		}
		if w := confirmWitness(g, k, robust); w != nil && w.Margin > robustMargin {
			return w, nil
		}
	}
	return nil, nil
}

// hiprecCtx is the decimal context for the boundary's high-precision
// arithmetic: 80 digits, past hiprec's 60-digit results.
var hiprecCtx = &apd.Context{Precision: 80, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent,
	Traps: apd.DefaultTraps, Rounding: apd.RoundHalfEven}

// hiprecOCMargin returns max q* − max η̂ with q* = hiprec.Minimize(η) and
// η̂ = η/Σ η (the posterior hiprec.Minimize solves for), formed in
// 80-digit decimal arithmetic and rounded to float64 at the end, and q*
// rounded to float64.
func hiprecOCMargin(eta []float64, gamma float64) (float64, []float64, error) {
	qd, err := hiprec.Minimize(eta, gamma)
	if err != nil {
		return 0, nil, err
	}
	maxQ := qd[0]
	q := make([]float64, len(qd))
	for i, d := range qd {
		q[i] = hiprec.Float(d)
		if d.Cmp(maxQ) > 0 {
			maxQ = d
		}
	}
	sum := new(apd.Decimal)
	for _, x := range eta {
		if _, err := hiprecCtx.Add(sum, sum, hiprec.Exact(x)); err != nil {
			return 0, nil, err
		}
	}
	maxEta := new(apd.Decimal)
	if _, err := hiprecCtx.Quo(maxEta, hiprec.Exact(theory.Max(eta)), sum); err != nil {
		return 0, nil, err
	}
	d := new(apd.Decimal)
	if _, err := hiprecCtx.Sub(d, maxQ, maxEta); err != nil {
		return 0, nil, err
	}
	return hiprec.Float(d), q, nil
}

// nearUniformDirections returns the displacement directions of the
// near-uniform test: the structured ones and four Dirichlet-random ones
// (fixed seed), each with Σ w = 0 and max |w| = 1.
func nearUniformDirections(k int) [][]float64 {
	var out [][]float64
	for _, d := range directions(k) {
		out = append(out, d.w)
	}
	r := rand.New(rand.NewPCG(uint64(k), 0x5eed))
	for range 4 {
		w := make([]float64, k)
		var s float64
		for i := range w {
			w[i] = gammaVariate(r, 1)
			s += w[i]
		}
		var m float64
		for i := range w {
			w[i] -= s / float64(k)
			m = math.Max(m, math.Abs(w[i]))
		}
		for i := range w {
			w[i] /= m
		}
		out = append(out, w)
	}
	return out
}

// nearUniformOC reports whether G(q) > 0, evaluated with package hiprec,
// at q = (1 + s·w)/K for some direction w, s = nearUniformStep.
func nearUniformOC(gamma float64, k int) bool {
	for _, w := range nearUniformDirections(k) {
		if g, err := hiprecNearUniformGap(gamma, k, w); err == nil && g.Sign() > 0 {
			return true
		}
	}
	return false
}

// hiprecNearUniformGap returns G(q) at q_i = (1 + s·w_i)/K in decimal
// arithmetic (80 digits), with φ from hiprec.PhiDecimal (60 digits).
func hiprecNearUniformGap(gamma float64, k int, w []float64) (*apd.Decimal, error) {
	s, _, err := apd.NewFromString(nearUniformStep)
	if err != nil {
		return nil, err
	}
	kd := apd.New(int64(k), 0)
	q := make([]*apd.Decimal, k)
	var maxQ *apd.Decimal
	for i, wi := range w {
		d := new(apd.Decimal)
		hiprecCtx.Mul(d, s, hiprec.Exact(wi))
		hiprecCtx.Add(d, d, apd.New(1, 0))
		hiprecCtx.Quo(d, d, kd)
		q[i] = d
		if maxQ == nil || d.Cmp(maxQ) > 0 {
			maxQ = d
		}
	}
	inv := func(v *apd.Decimal) (*apd.Decimal, error) {
		d := new(apd.Decimal)
		_, err := hiprecCtx.Quo(d, apd.New(1, 0), hiprec.PhiDecimal(v, gamma))
		return d, err
	}
	it, err := inv(maxQ)
	if err != nil {
		return nil, err
	}
	g := new(apd.Decimal)
	cache := map[string]*apd.Decimal{}
	for _, v := range q {
		if v.Cmp(maxQ) == 0 {
			continue
		}
		key := v.String()
		iv, ok := cache[key]
		if !ok {
			if iv, err = inv(v); err != nil {
				return nil, err
			}
			cache[key] = iv
		}
		t := new(apd.Decimal)
		hiprecCtx.Sub(t, iv, it)
		hiprecCtx.Mul(t, t, v)
		hiprecCtx.Add(g, g, t)
	}
	return g, nil
}
