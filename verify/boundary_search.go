package verify

// The search for an ηOC minimizer at one (γ, K), the part of the boundary
// that decides each step of the bisections in boundary.go: it maximizes the
// gap G(q) (boundary.go's opening comment) in float64 over structured
// families of q and with Nelder–Mead, then confirms the best candidates on
// the minimizer itself with package hiprec. Kept apart from boundary.go
// because it is the part that a better search would replace.

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

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
// rounding error.
func ocGap(q []float64, gamma float64) (g, bound float64) {
	a := newGapSum(theory.Max(q), gamma)
	for _, x := range q {
		a.add(1, x)
	}
	return a.result()
}

// level is one group of equal entries of a structured q.
type level struct {
	n int
	v float64
}

// levelsGap is ocGap for q = (t ×m, levels…) given by its distinct values.
func levelsGap(t float64, levels []level, gamma float64) (g, bound float64) {
	a := newGapSum(t, gamma)
	for _, l := range levels {
		a.add(float64(l.n), l.v)
	}
	return a.result()
}

// gapSum accumulates G term by term in a form whose rounding error scales
// with γ, so that its sign stays reliable as γ → 0, where every term is
// O(γ) (1/φ = 1 − O(γ)) and the plain difference 1/φ(q_l) − 1/φ(t) of two
// numbers near 1 would leave only rounding (γ ≲ 1e-14):
//
//	1/φ(x) − 1/φ(t) = e^{−L(t)}·expm1(L(t) − L(x)),   L = log φ,
//
// with L from logPhi, each of whose two terms is O(γ) and relative-accurate.
type gapSum struct {
	t, gamma   float64
	lt, st, it float64 // L(t), its error scale, 1/φ(t) = e^{−L(t)}
	g, bound   float64
	started    bool
}

func newGapSum(t, gamma float64) gapSum { return gapSum{t: t, gamma: gamma} }

// add adds n terms at value v (none at v = 0 or v = t).
func (a *gapSum) add(n, v float64) {
	if n == 0 || v == 0 || v == a.t {
		return
	}
	if !a.started {
		a.lt, a.st = logPhi(a.t, a.gamma)
		a.it = math.Exp(-a.lt)
		a.started = true
	}
	lv, sv := logPhi(v, a.gamma)
	d := a.lt - lv
	em := math.Expm1(d)
	a.g += n * v * a.it * em
	// d is off by about (a.st + sv) ulps, which expm1 turns into
	// e^d·(a.st + sv); e^{−L(t)} is off by a.st ulps of the term.
	a.bound += n * v * a.it * (math.Exp(d)*(a.st+sv) + math.Abs(em)*(1+a.st))
}

func (a *gapSum) result() (g, bound float64) {
	return a.g, gapULPs * 0x1p-53 * a.bound
}

// gapULPs: each of logPhi's terms, the subtraction, expm1, exp and the
// products add a few ulps of the scales counted in gapSum.add.
const gapULPs = 16

// logPhi returns L = log φ^γ(v) for v in (0, 1) as the sum of two O(γ)
// terms, γ·log1p(−v) + log1p(−γ v log v/(1−v)) (Eq. 10 with (1−v)^γ
// factored out; theory.LogH and theory.TauUC use the same split), and the
// scale of its rounding error, |γ log1p(−v)| + γ v |log v|/(1−v). Package
// theory exports log h = log v − L but not L, and recovering L from log h
// would cancel its O(γ) value against log v.
func logPhi(v, gamma float64) (l, scale float64) {
	a := gamma * math.Log1p(-v)
	x := -gamma * v * theory.Log(v) / (1 - v)
	return a + math.Log1p(x), math.Abs(a) + x
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
	src := rand.NewPCG(opt.Seed, uint64(k)^math.Float64bits(gamma))
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
		dir := distuv.Gamma{Alpha: []float64{1, 0.3, 3}[len(z0s)%3], Beta: 1, Src: src}
		for i := range z {
			z[i] = math.Log(dir.Rand() + 1e-300)
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
	w, _ := confirmWitnessCount(gamma, k, cands)
	return w
}

// ocConfirmFloor is the 40-digit margin a witness must exceed: the
// minimizer of hiprec.OCMargin carries hiprec.Digits significant digits, so
// its margin is off by less than 10^-Digits; a hundred times that is a sign
// no rounding can fake.
var ocConfirmFloor = math.Pow10(2 - hiprec.Digits)

// confirmWitnessCount is confirmWitness that also counts the candidates
// with G > 0 whose 40-digit margin is below ocConfirmFloor in magnitude:
// the oracle cannot tell their sign (at γ ≲ 1e-34 the margin, ∝ γ, is
// that small).
func confirmWitnessCount(gamma float64, k int, cands []ocPoint) (best *Witness, unresolved int) {
	for _, c := range cands {
		if !c.found() {
			continue
		}
		eta := theory.Psi(make([]float64, k), c.q, gamma)
		if numeric.ValidateEta(eta, gamma) != nil {
			continue
		}
		mh, qh, err := hiprecOCMargin(eta, gamma)
		if err == nil && math.Abs(mh) <= ocConfirmFloor {
			unresolved++
		}
		if err != nil || !(mh > ocConfirmFloor) {
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
	return best, unresolved
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

// hiprecOCMargin returns hiprec.OCMargin (max q* − max η/Σ η with the
// 40-digit minimizer) and q*, both rounded to float64.
func hiprecOCMargin(eta []float64, gamma float64) (float64, []float64, error) {
	m, qd, err := hiprec.OCMargin(eta, gamma)
	if err != nil {
		return 0, nil, err
	}
	q := make([]float64, len(qd))
	for i, d := range qd {
		q[i] = hiprec.Float(d)
	}
	return hiprec.Float(m), q, nil
}
