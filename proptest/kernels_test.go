package proptest

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/leanovate/gopter"

	"github.com/focaltk/focal/gen"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// Tolerances of the kernel properties, in units of ulp = 2^−52.
const (
	// exactULPs: numeric.Exact is accurate to "a few ulps" per entry where
	// γ·|log(1−q_i)| ≤ 10, growing like γ·|log(1−q_i)| ulps beyond
	// (numeric/exact.go); the tests allow exactULPs·(1 + γ·L) ulps with
	// L = max_i |log(1−q_i)|, since that largest term also moves the
	// shared scalar s of the KKT system.
	exactULPs = 16
	// psiULPs: the same statement for theory.Psi (theory/psi.go).
	psiULPs = 16
	// subnormalULPs: an entry below 2^−1022 carries fewer bits; both
	// kernels get it to within a few 2^−1074 in absolute terms.
	subnormalULPs = 4
	// riskBaseULPs: a term η_y (1−q_y)^γ log q_y of theory.Risk has the
	// error of pow1m (≤ 9 ulps, or 1 + γ|log(1−q_y)|), of the logarithm
	// (1) and of two products (2); the sum of K non-negative terms adds
	// K ulps of W. riskTol adds the γ·L and K parts.
	riskBaseULPs = 16
	// logHULPs: theory.LogH has an absolute error of "a few ulps of
	// max(|log v|, |γ log(1−v)|, 1)" (theory/phi.go).
	logHULPs = 8
	// logHSepRel: a relative step 2^−20 in v raises log h^γ by at least
	// 0.73·2^−20 ≈ 7e-7, because v·(log h)'(v) ≥ 0.73 on (0, 1) for γ in
	// [0, 100] (measured on a grid of 10^4.5 points per γ with
	// theory.LogHDeriv); that dwarfs 2·logHULPs ulps of 745 or 100·37.
	logHSepRel = 0x1p-20
	// logHSepNearOne: for v ≥ 1/2 and γ > 0, (1−v)·(log h)'(v) ≥
	// 0.98·(γ + 1−v) (same grid), so halving 1−v raises log h by at least
	// 0.98·γ·ln 2 ≥ 6.7e-7 for γ ≥ 1e-6, again far above the rounding.
	logHSepNearOne = 2
)

// exactRel is the relative accuracy allowed to the exact minimizer (and,
// with psiULPs, to Ψ) at q for γ: ulps·(1 + γ·L) ulp.
func exactRel(ulps float64, q []float64, gamma float64) float64 {
	var l float64
	for _, x := range q {
		if x < 1 {
			l = math.Max(l, math.Abs(math.Log1p(-x)))
		}
	}
	return ulps * (1 + gamma*l) * ulp
}

// subnormalAbs is the absolute error allowed to an entry derived from q_i
// when q_i or the entry itself is below 2^−1022: subnormalULPs·2^−1074
// scaled by the ratio of the entry to q_i.
func subnormalAbs(entry, qi float64) float64 {
	scale := 1.0
	if qi > 0 {
		scale = math.Max(1, entry/qi)
	}
	return subnormalULPs * 0x1p-1074 * scale
}

// TestExactStructure: the exact minimizer converges to a probability
// vector that keeps ties in η bitwise tied and zeros in η exactly 0.
func TestExactStructure(t *testing.T) {
	t.Parallel()
	forEntryRanges(t, func(t *testing.T, r entryRange) {
		runProperty(t, "Exact converges to a probability vector; η_i = η_j ⇒ q_i = q_j bitwise; η_i = 0 ⇒ q_i = 0",
			r.samples(2, kMaxCheap, nil), r.restrict(checkExactStructure))
	})
}

func checkExactStructure(s gen.Sample) (string, bool) {
	r, err := numeric.Exact(s.Eta, s.Gamma)
	if err != nil {
		return fmt.Sprintf("error on valid input: %v; %v", err, s), true
	}
	q := r.Q
	if r.Status != numeric.Converged {
		return fmt.Sprintf("status %v after %d iterations, residual %g; %v", r.Status, r.Iterations, r.Residual, s), true
	}
	if err := numeric.ValidateEta(q, s.Gamma); err != nil {
		return fmt.Sprintf("q* is not a probability vector: %v; %v", err, s), true
	}
	first := map[uint64]int{} // bits of η_i -> first index with that value
	for i, e := range s.Eta {
		if e == 0 && math.Float64bits(q[i]) != 0 {
			return fmt.Sprintf("eta[%d] = 0 but q[%d] = %s; %v", i, i, fmtF(q[i]), s), true
		}
		b := math.Float64bits(e)
		j, ok := first[b]
		if !ok {
			first[b] = i
			continue
		}
		if math.Float64bits(q[i]) != math.Float64bits(q[j]) {
			return fmt.Sprintf("eta[%d] = eta[%d] = %s but q = %s, %s; %v",
				j, i, fmtF(e), fmtF(q[j]), fmtF(q[i]), s), true
		}
	}
	return "", true
}

// TestExactVsDirect: the exact (KKT) and the direct (gonum/optimize on W)
// minimizers agree componentwise within numeric.DirectAccuracy plus the
// exact minimizer's own error, and the direct one converges.
func TestExactVsDirect(t *testing.T) {
	t.Parallel()
	forEntryRanges(t, func(t *testing.T, r entryRange) {
		runProperty(t, "Exact and Direct agree within DirectAccuracy", r.samples(2, kMaxDirect, nil), r.restrict(checkExactVsDirect))
	})
}

func checkExactVsDirect(s gen.Sample) (string, bool) {
	ex, err := numeric.Exact(s.Eta, s.Gamma)
	if err != nil {
		return fmt.Sprintf("Exact: error on valid input: %v; %v", err, s), true
	}
	di, err := numeric.Direct(s.Eta, s.Gamma, nil)
	if err != nil {
		return fmt.Sprintf("Direct: error on valid input: %v; %v", err, s), true
	}
	if di.Status == numeric.Failed && hasTiny(s.Eta) {
		return "", false // documented: Direct cannot resolve terms of W from entries below 1e-300
	}
	if di.Status != numeric.Converged {
		return fmt.Sprintf("Direct: status %v after %d iterations, residual %g; %v", di.Status, di.Iterations, di.Residual, s), true
	}
	tol := numeric.DirectAccuracy(s.Eta, s.Gamma) + exactRel(exactULPs, ex.Q, s.Gamma)
	for i, e := range s.Eta {
		qe, qd := ex.Q[i], di.Q[i]
		if e == 0 {
			if qd != 0 {
				return fmt.Sprintf("eta[%d] = 0 but Direct q[%d] = %s; %v", i, i, fmtF(qd), s), true
			}
			continue
		}
		if d := math.Abs(qd - qe); !(d <= tol*qe+subnormalAbs(qe, qe)) {
			return fmt.Sprintf("q[%d]: Exact %s, Direct %s, relative difference %.3g > tolerance %.3g; %v",
				i, fmtF(qe), fmtF(qd), d/qe, tol, s), true
		}
	}
	return "", true
}

// TestExactIsMinimum: W(q*) ≤ W(q) (up to the rounding of theory.Risk) for
// feasible q = q* + t(e_i − e_j) near q*, on pairs with q_i, q_j > 0, with
// t of both signs and several sizes. Only perturbations that keep Σ q
// exactly unchanged are used (an inexact one would change W at first
// order, by λ·Δ, and the comparison would test the rounding instead).
func TestExactIsMinimum(t *testing.T) {
	t.Parallel()
	runProperty(t, "W(q*) ≤ W(q* + t(e_i − e_j)) for small t of both signs", gen.Samples(2, kMaxCheap), checkExactIsMinimum)
}

// perturbSizes are the |t| / min(q_i, q_j) tried; ≤ 1/2 keeps both entries
// within a factor 2 of their old values, so that the differences q'_i − q_i
// are exact (Sterbenz) and the exactness test below is itself exact.
var perturbSizes = []float64{0.5, 1e-2, 1e-4, 1e-8}

func checkExactIsMinimum(s gen.Sample) (string, bool) {
	r, err := numeric.Exact(s.Eta, s.Gamma)
	if err != nil {
		return fmt.Sprintf("error on valid input: %v; %v", err, s), true
	}
	if r.Status != numeric.Converged {
		return "", false // not a claimed minimizer: TestExactStructure reports it
	}
	q := r.Q
	w := theory.Risk(q, s.Eta, s.Gamma)
	var supp []int
	for i, x := range q {
		if x > 0 && s.Eta[i] > 0 {
			supp = append(supp, i)
		}
	}
	if len(supp) < 2 {
		return "", false // a vertex: no feasible direction keeps W finite
	}
	slices.SortFunc(supp, func(a, b int) int {
		switch {
		case q[a] < q[b]:
			return -1
		case q[a] > q[b]:
			return 1
		}
		return a - b
	})
	n := len(supp)
	pairs := [][2]int{{n - 1, n - 2}, {0, 1}, {n / 2, (n - 1) / 2}, {0, n - 1}, {n / 3, 2 * n / 3}}
	qq := slices.Clone(q)
	tested := 0
	for _, pr := range pairs {
		i, j := supp[pr[0]], supp[pr[1]]
		if i == j {
			continue
		}
		for _, f := range perturbSizes {
			for _, sign := range []float64{1, -1} {
				tt := sign * f * math.Min(q[i], q[j])
				qi := q[i] + tt
				d := qi - q[i] // exact: qi is within a factor 2 of q[i]
				qj := q[j] - d
				if d == 0 || qj-q[j] != -d || !(qi > 0 && qj > 0 && qi < 1 && qj < 1) {
					continue // Σ q would change, or q leaves the simplex
				}
				qq[i], qq[j] = qi, qj
				wp := theory.Risk(qq, s.Eta, s.Gamma)
				qq[i], qq[j] = q[i], q[j]
				tested++
				tol := riskTol(w, q, s.Eta, s.Gamma) + riskTol(wp, q, s.Eta, s.Gamma)
				if !(wp >= w-tol) {
					return fmt.Sprintf("W(q*) = %s > W(q*%+.3g(e_%d − e_%d)) = %s by %.3g (tolerance %.3g); %v",
						fmtF(w), d, i, j, fmtF(wp), w-wp, tol, s), true
				}
			}
		}
	}
	if tested == 0 {
		return "", false // no perturbation keeps Σ q exact (e.g. 1−2^−53 and 2^−53)
	}
	return "", true
}

// riskTol bounds the rounding error of theory.Risk at a point near q:
// (riskBaseULPs + γ·L + K) ulps of w, L = max |log(1−q_i)| (see
// riskBaseULPs); the perturbed points move q by at most a factor 3/2, which
// changes L by at most log 2 (absorbed in the base). Where the terms are
// subnormal (W below 2^−1022, as for η with only subnormal entries off the
// top one) each operation rounds to an absolute 2^−1074 instead, so the
// same count of roundings is also allowed in units of 2^−1074.
func riskTol(w float64, q, eta []float64, gamma float64) float64 {
	var l float64
	for _, x := range q {
		if x < 1 {
			l = math.Max(l, math.Abs(math.Log1p(-x)))
		}
	}
	n := riskBaseULPs + gamma*(l+math.Ln2) + float64(len(eta))
	return n*ulp*math.Abs(w) + n*0x1p-1074
}

// TestPsiInvertsExact: Ψ^γ(q*(η)) = η componentwise within the bound
// psiInvTol: the exact minimizer's error amplified by Ψ's conditioning,
// Ψ's own rounding, and the deviation of Σ η from 1 (q* depends on η only
// through η/Σ η, so Ψ(q*) = η/Σ η).
func TestPsiInvertsExact(t *testing.T) {
	t.Parallel()
	forEntryRanges(t, func(t *testing.T, r entryRange) {
		runProperty(t, "Ψ^γ(q*(η)) = η", r.samples(2, kMaxCheap, nil), r.restrict(checkPsiInvertsExact))
	})
}

// psiInvTol bounds max_i |Ψ_i(q) − η_i| / η_i for q the exact minimizer:
// a relative error δ_j of q_j moves log h(q_j) by D_j δ_j with
// D_j = q_j (log h)'(q_j), hence log Ψ_i by at most 2·max_j D_j·δ (its own
// term and the normalization; the argument of verify.recoveryTol), plus
// Ψ's own error, plus |Σ η − 1| and the K ulps of computing that sum.
func psiInvTol(q, eta []float64, gamma float64) float64 {
	var maxD, sum float64
	for i, x := range q {
		if x > 0 && x < 1 {
			maxD = math.Max(maxD, x*theory.LogHDeriv(x, gamma))
		}
		sum += eta[i]
	}
	return 2*math.Max(maxD, 1)*exactRel(exactULPs, q, gamma) + exactRel(psiULPs, q, gamma) +
		math.Abs(sum-1) + float64(len(eta))*ulp
}

// representsOne reports whether q has an entry equal to 1 and another
// positive entry: q*_m = 1 − δ with δ < 2^−54 rounds to 1, and Ψ of a
// vector with an entry 1 is the vertex (theory.Psi), so the float64 q*
// no longer carries the other entries' share of η (the true q* does).
func representsOne(q []float64) bool {
	one, pos := false, 0
	for _, x := range q {
		if x == 1 {
			one = true
		}
		if x > 0 {
			pos++
		}
	}
	return one && pos > 1
}

func checkPsiInvertsExact(s gen.Sample) (string, bool) {
	r, err := numeric.Exact(s.Eta, s.Gamma)
	if err != nil {
		return fmt.Sprintf("error on valid input: %v; %v", err, s), true
	}
	if r.Status != numeric.Converged {
		return "", false // not a claimed minimizer: TestExactStructure reports it
	}
	q := r.Q
	if representsOne(q) {
		return "", false // Ψ of a float64 q cannot recover η (see representsOne)
	}
	psi := theory.Psi(make([]float64, len(q)), q, s.Gamma)
	tol := psiInvTol(q, s.Eta, s.Gamma)
	for i, e := range s.Eta {
		if e == 0 {
			if psi[i] != 0 {
				return fmt.Sprintf("eta[%d] = 0 but Psi(q*)[%d] = %s; %v", i, i, fmtF(psi[i]), s), true
			}
			continue
		}
		if d := math.Abs(psi[i] - e); !(d <= tol*e+subnormalAbs(e, q[i])) {
			return fmt.Sprintf("Psi(q*)[%d] = %s, eta[%d] = %s (q*[%d] = %s): relative error %.3g > tolerance %.3g; %v",
				i, fmtF(psi[i]), i, fmtF(e), i, fmtF(q[i]), d/e, tol, s), true
		}
	}
	return "", true
}

// hPair is a case of TestLogHIncreasing: two points of [0, 1] and γ.
type hPair struct{ U, V, Gamma float64 }

func (p hPair) String() string {
	return fmt.Sprintf("u=%s v=%s gamma=%s", fmtF(p.U), fmtF(p.V), fmtF(p.Gamma))
}

// hEdges are the values of [0, 1] where h^γ is most likely to misbehave.
var hEdges = []float64{0, 0x1p-1074, 0x1p-1073, 0x1p-1022, 1e-300, 1e-100, 1e-17, 0.5,
	1 - 0x1p-52, 1 - 0x1p-53, 1}

// unitValue draws a point of [0, 1]: an edge value, τ_oc or τ_uc at γ,
// log-uniform 10^U(−324, 0) (subnormals included), 1 − 10^U(−16.3, 0), or
// uniform.
func unitValue(p *gopter.GenParameters, gamma float64) float64 {
	switch p.Rng.Intn(6) {
	case 0:
		return hEdges[p.Rng.Intn(len(hEdges))]
	case 1:
		if p.Rng.Intn(2) == 0 {
			return theory.TauOC(gamma)
		}
		return theory.TauUC(gamma)
	case 2, 3:
		return math.Pow(10, -324*p.Rng.Float64())
	case 4:
		return 1 - math.Pow(10, -16.3*p.Rng.Float64())
	}
	return p.Rng.Float64()
}

// hPairs generates pairs u ≤ v: independent points, adjacent floats, and
// points a small relative step apart; γ from gen.Gamma.
func hPairs() gopter.Gen {
	gammas := gen.Gamma()
	return func(p *gopter.GenParameters) *gopter.GenResult {
		gv, _ := gammas(p).Retrieve()
		g := gv.(float64)
		u := unitValue(p, g)
		var v float64
		switch p.Rng.Intn(3) {
		case 0:
			v = unitValue(p, g)
		case 1:
			v = math.Nextafter(u, float64(2*p.Rng.Intn(2)-1))
		default:
			v = u * (1 + math.Ldexp(1, -1-p.Rng.Intn(52)))
		}
		v = math.Max(0, math.Min(v, 1))
		if v < u {
			u, v = v, u
		}
		return gopter.NewGenResult(hPair{u, v, g}, gopter.NoShrinker)
	}
}

// TestLogHIncreasing: h^γ is strictly increasing on [0, 1] (the fact behind
// Prop 12): for u < v, LogH(u) < LogH(v) whenever u and v are far enough
// apart for the increase to exceed the rounding (logHSepRel,
// logHSepNearOne), and LogH(u) ≤ LogH(v) up to that rounding otherwise.
func TestLogHIncreasing(t *testing.T) {
	t.Parallel()
	runProperty(t, "log h^γ is increasing on [0, 1]", hPairs(), checkLogHIncreasing)
}

func checkLogHIncreasing(p hPair) (string, bool) {
	u, v, g := p.U, p.V, p.Gamma
	a, b := theory.LogH(u, g), theory.LogH(v, g)
	if math.IsNaN(a) || math.IsNaN(b) {
		return fmt.Sprintf("LogH(u) = %v, LogH(v) = %v; %v", a, b, p), true
	}
	if u == v {
		return "", false // nothing to compare
	}
	separated := v >= u*(1+logHSepRel) ||
		(g > 0 && u >= 0.5 && (1-u) >= logHSepNearOne*(1-v))
	if separated {
		if !(a < b) {
			return fmt.Sprintf("LogH(u) = %s ≥ LogH(v) = %s for separated u < v; %v", fmtF(a), fmtF(b), p), true
		}
		return "", true
	}
	scale := 1.0
	for _, x := range []float64{u, v} {
		scale = math.Max(scale, math.Abs(math.Log(x)))
		if g > 0 && x < 1 {
			scale = math.Max(scale, g*math.Abs(math.Log1p(-x)))
		}
	}
	if tol := 2 * logHULPs * ulp * scale; !(a <= b+tol) {
		return fmt.Sprintf("LogH(u) = %s > LogH(v) = %s + tolerance %.3g for u < v; %v", fmtF(a), fmtF(b), tol, p), true
	}
	return "", true
}
