package verify

// The margins the claims of claims.go return, and the tolerances they are
// measured against: each check there is a line or two that calls one of
// these, so that the registry reads as a list of statements and what is
// computed for each lives here, beside the accuracy it assumes.

import (
	"math"
	"slices"

	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// tauBracket is the relative half-width of the intervals around the
// computed τ_oc and τ_uc in which thm8-order proves the true thresholds to
// lie: far above their float64 accuracy (1e-14 relative, theory.TauOC), far
// below their distances from each other, from 0 and from 1/2 for γ up to
// MaxGamma and down to about 1e-6 (below, τ_uc's bracket is narrowed to
// half its distance from 1/2).
const tauBracket = 1e-6

// tauOrderMargin is thm8-order's check. A root finder returns a point in
// the interval it searches, so the order of the computed τ_oc, τ_uc says
// nothing by itself; the check proves instead, from signs of φ^γ evaluated
// by the Eval, that the true thresholds lie in brackets [a, b] around the
// computed ones: φ^γ rises before a_oc and falls after b_oc (so its maximum
// τ_oc lies in between: φ^γ is unimodal on (0, 1/2), which is how Thm 8
// defines τ_oc), and φ^γ − 1 is positive at a_uc and negative at b_uc (so
// the root τ_uc of φ^γ = 1 after τ_oc lies in between). The margin is then
// the order the brackets prove, min(a_oc, a_uc − b_oc, 1/2 − b_uc). A sign
// that contradicts a bracket gives minus its half-width (the computed
// threshold is off by more than that). Where the signs cannot be resolved
// (float64 cannot place a bracket strictly around τ_uc within 1/2, which
// happens for γ ≲ 1e-15 where τ_uc = 1/2 − 0.196γ rounds to within an ulp
// of 1/2; or hiprec's 40 digits cannot tell the values apart, for γ ≲
// 1e-25) there is no verdict (ok = false).
func tauOrderMargin(ev *Eval, gamma float64) (float64, bool, error) {
	oc, uc := ev.TauOC(gamma), ev.TauUC(gamma)
	if ev.HighPrecision && uc == 0.5 {
		// hiprec's τ_uc < 1/2, rounded to float64 (γ ≲ 1e-16).
		return 0, false, nil
	}
	if !(oc > 0 && oc < uc && uc < 0.5) {
		m := math.Min(oc, math.Min(uc-oc, 0.5-uc))
		if math.IsNaN(m) {
			m = math.Inf(-1)
		}
		return m, true, nil
	}
	woc, wuc := tauBracket*oc, math.Min(tauBracket*uc, (0.5-uc)/2)
	aoc, boc, auc, buc := oc-woc, oc+woc, uc-wuc, uc+wuc
	if !(aoc < oc && oc < boc && auc < uc && uc < buc && buc < 0.5) {
		return 0, false, nil
	}
	sOC := ev.phiPeakIn(aoc, oc, boc, gamma)
	sUC := ev.phiCrossesOne(auc, buc, gamma)
	switch {
	case sOC < 0:
		return -woc, true, nil
	case sUC < 0:
		return -wuc, true, nil
	case sOC == 0 || sUC == 0:
		return 0, false, nil
	}
	return math.Min(aoc, math.Min(auc-boc, 0.5-buc)), true, nil
}

// confidenceCheck is the shape of Thm 8 (2, 3), Cor 9 and Cor 10: when
// q* ∉ S^K and cond(max q*) holds, q* is ηOC (sign = +1: margin
// max q* − max η) or ηUC (sign = −1: margin max η − max q*).
func confidenceCheck(ev *Eval, c Case, cond func(maxQ float64) bool, sign float64) (float64, bool, error) {
	if c.Gamma == 0 {
		return 0, false, nil
	}
	q, err := ev.Minimize(c.Eta, c.Gamma)
	if err != nil {
		return 0, false, err
	}
	if theory.InSK(q) {
		return 0, false, nil
	}
	mq := theory.Max(q)
	if !cond(mq) {
		return 0, false, nil
	}
	if ev.HighPrecision {
		// The gap in decimal arithmetic, from the unrounded q*: where
		// max q* and max η round to the same float64 (both to 1 near a
		// vertex), the float64 margin is 0, which violates these strict
		// statements, and only the unrounded gap can resolve it.
		g, _, err := hiprecOCMargin(c.Eta, c.Gamma)
		if err != nil {
			return 0, false, err
		}
		return sign * g, true, nil
	}
	return sign * (mq - maxNormalized(c.Eta)), true, nil
}

// maxNormalized returns max_i η_i / Σ η: the largest entry of the class
// posterior the minimizer is solved for. A float64 η sums to 1 only to
// within a few ulps (numeric.SumTol allows 1e-9), and the minimizers solve
// for η/Σ η, so comparing max q* with max η itself would mistake that
// rounding for under- or over-confidence. The sum is compensated: a plain
// one is off by up to K ulps, which at K = 1000 and γ = 10^−6 (where
// max q* and max η differ by less than an ulp) showed up as a violation
// of Thm 8 (3) that high precision "confirmed".
func maxNormalized(eta []float64) float64 {
	return theory.Max(eta) / theory.Sum(eta)
}

// topGap returns min_{i ∈ argmax ref} x_i − max_{j ∉ argmax ref} x_j: positive
// iff every top entry of ref is a strict top entry of x. Entries tied at the
// top of ref must also be tied in x (else the margin is minus their spread).
// When every entry of ref is tied the statement is vacuous (ok = false).
func topGap(ref, x []float64) (float64, bool, error) {
	top := theory.Max(ref)
	inMin, inMax, outMax := math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i, r := range ref {
		if r == top {
			inMin = math.Min(inMin, x[i])
			inMax = math.Max(inMax, x[i])
		} else {
			outMax = math.Max(outMax, x[i])
		}
	}
	if inMin != inMax {
		return inMin - inMax, true, nil
	}
	if math.IsInf(outMax, -1) {
		return 0, false, nil
	}
	return inMin - outMax, true, nil
}

// orderMargin returns the smallest gap q_j − q_i over pairs with η_i < η_j,
// or, when some pair tied in η is not tied in q, minus the largest such
// difference; +Inf when η has a single distinct value. idx holds
// 0, 1, …, K−1 on entry (scratch space, reordered).
func orderMargin(eta, q []float64, idx []int) float64 {
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case eta[a] < eta[b]:
			return -1
		case eta[a] > eta[b]:
			return 1
		}
		return a - b
	})
	margin := math.Inf(1)
	tieBreak := 0.0
	for k := 1; k < len(idx); k++ {
		i, j := idx[k-1], idx[k]
		if eta[i] == eta[j] {
			tieBreak = math.Max(tieBreak, math.Abs(q[i]-q[j]))
			continue
		}
		margin = math.Min(margin, q[j]-q[i])
	}
	// Within a run of equal η every q must be equal, and then the gap
	// between consecutive runs is the gap between adjacent entries.
	if tieBreak > 0 {
		return math.Min(-tieBreak, margin)
	}
	return margin
}

// hiprecTol is the componentwise relative accuracy of a minimizer or Ψ
// computed by package hiprec and rounded to float64: half an ulp from the
// rounding, with room for the few ulps Ψ's float64 normalization adds.
const hiprecTol = 16 * 0x1p-53

// hiprecResolution is the accuracy of a relative difference formed in
// decimal arithmetic from package hiprec's unrounded (≥ 40-digit) results:
// a thousand times their rounding.
const hiprecResolution = 1e-36

// nearSKSpread: improper-off-sk gives no verdict on η whose positive
// entries are all within this relative spread of each other (η within
// 1e-9 of S^K, where q* − η is O(spread) and below the solvers' accuracy
// times the conditioning).
const nearSKSpread = 1e-9

// fixedPointTol is the componentwise relative accuracy of Eval.Minimize at
// q: 64 ulps·(1 + γ·L), L = max_i |log(1−q_i)|, above the exact solver's
// measured few ulps in the moderate regime and its γ·L growth beyond
// (docs/numerics.md); hiprecTol in high precision.
func fixedPointTol(ev *Eval, q []float64, gamma float64) float64 {
	if ev.HighPrecision {
		return hiprecTol
	}
	var l float64
	for _, x := range q {
		if x < 1 {
			l = math.Max(l, math.Abs(math.Log1p(-x)))
		}
	}
	return 64 * 0x1p-52 * (1 + gamma*l)
}

// directTol is the componentwise relative accuracy of Eval.Direct at (η, γ):
// numeric.DirectAccuracy for the float64 direct minimizer, hiprecTol in
// high precision.
func directTol(ev *Eval, eta []float64, gamma float64) float64 {
	if ev.HighPrecision {
		return hiprecTol
	}
	return numeric.DirectAccuracy(eta, gamma)
}

// recoveryTol bounds max_i |Ψ_i(q) − η_i| / η_i when q is within a relative
// directTol of q*(η). A relative error δ_j in q_j moves log h(q_j) by
// D_j·δ_j, with D_j = q_j·(log h)'(q_j), and Ψ_i by at most
// 2·max_j D_j·δ relative (its own term and the normalization); the
// float64 evaluation of Ψ adds a few ulps (psiULPs).
func recoveryTol(ev *Eval, q, eta []float64, gamma float64) float64 {
	const psiULPs = 16 * 0x1p-53
	var maxD float64
	for _, x := range q {
		if x > 0 && x < 1 {
			maxD = math.Max(maxD, x*theory.LogHDeriv(x, gamma))
		}
	}
	return 2*math.Max(maxD, 1)*directTol(ev, eta, gamma) + psiULPs
}

// maxRelDiff returns max_i |a_i − b_i| / b_i over b_i > 0, and +Inf if some
// a_i ≠ 0 where b_i = 0.
func maxRelDiff(a, b []float64) float64 {
	var m float64
	for i := range a {
		switch {
		case b[i] > 0:
			m = math.Max(m, math.Abs(a[i]-b[i])/b[i])
		case a[i] != 0:
			return math.Inf(1)
		}
	}
	return m
}

// spread returns max v − min{v_i : v_i > 0}: positive iff v ∉ S^K.
func spread(v []float64) float64 {
	lo := math.Inf(1)
	for _, x := range v {
		if x > 0 {
			lo = math.Min(lo, x)
		}
	}
	return theory.Max(v) - lo
}

// normalized writes v/Σv into dst and returns dst (Σv compensated, as in
// maxNormalized); dst may be v. It is verify's one normalization (the
// structured family's near-uniform vectors use it too).
func normalized(dst, v []float64) []float64 {
	s := theory.Sum(v)
	for i, x := range v {
		dst[i] = x / s
	}
	return dst
}

// towardUniform writes u + t·w/K into dst, u the uniform vector and
// w = (d − d̄)/‖d − d̄‖_∞ the direction of d from its mean d̄ = Σd/K, and
// returns dst and whether d is not constant. The direction is rescaled so
// that the displacement has the same size, t/K, for every d: the footnote
// is about the direction of approach, and an unscaled d close to u would
// leave a margin below the rounding of the solves. (Centring w keeps
// Σ w = 0 to rounding when d sums to 1 only to within rounding, which the
// rescaling would otherwise amplify.)
func towardUniform(dst, d []float64, t float64) ([]float64, bool) {
	k := float64(len(d))
	var mean float64
	for _, x := range d {
		mean += x
	}
	mean /= k
	var n float64
	for _, x := range d {
		n = math.Max(n, math.Abs(x-mean))
	}
	if n == 0 {
		return dst, false
	}
	// w_i = (d_i − d̄)/n carries the rounding of d̄ amplified by 1/n, so
	// centre w once more, in its own O(1) scale.
	var wmean float64
	for i, x := range d {
		dst[i] = (x - mean) / n
		wmean += dst[i]
	}
	wmean /= k
	for i := range dst {
		dst[i] = 1/k + t*(dst[i]-wmean)/k
	}
	return dst, true
}

// nearUniformGap returns (max q*(η_s) − max η_s)·NearUniformT/s at
// η_s = towardUniform(d, s), or ok = false when d is uniform or η_s ∈ S^K.
func nearUniformGap(ev *Eval, d []float64, gamma, s float64) (float64, bool, error) {
	eta, ok := towardUniform(ev.scratch(len(d)), d, s)
	if !ok || theory.InSK(eta) {
		return 0, false, nil
	}
	me := maxNormalized(eta)
	q, err := ev.Minimize(eta, gamma)
	if err != nil {
		return 0, false, err
	}
	return (theory.Max(q) - me) * (NearUniformT / s), true, nil
}
