package proptest

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/focaltk/focal/gen"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
	"github.com/focaltk/focal/verify"
)

// directClaims lists the claims that call Eval.Direct on some inputs but
// are not marked Claim.Slow (which the registry sets on the claims that
// minimize W directly on every case): prop6-sk does on η ∈ S^K.
var directClaims = map[string]bool{
	"prop6-sk": true,
}

// callsDirect reports whether claim c may call the direct minimizer.
func callsDirect(c verify.Claim) bool { return c.Slow || directClaims[c.ID] }

// claimKMax returns the largest K at which the property of claim c runs:
// kMaxDirect for the claims that call the direct minimizer, kMaxCheap for
// the others (a newly registered claim is tested at once, at the K its
// Slow flag allows).
func claimKMax(c verify.Claim) int {
	if callsDirect(c) {
		return kMaxDirect
	}
	return kMaxCheap
}

// TestClaims runs one property per claim of verify.Claims() and range of
// entries (TestClaims/<id>/main and TestClaims/<id>/tiny, see entryRanges),
// on the float64 production kernels (verify.Eval{}), with (γ, K) drawn where
// the claim Applies. A theorem fails on any case with ok and a margin < 0
// (or NaN) that is not numerical noise (checkTheorem), or with an error
// (the generated cases are valid input). A conjecture fails like a theorem
// on the cases where it is expected to hold (conjectureSupported), and on
// an error; elsewhere its property records how many cases were checked and
// the worst margin. TestConjectureRefutations checks where each is
// expected to fail.
func TestClaims(t *testing.T) {
	for _, c := range verify.Claims() {
		t.Run(c.ID, func(t *testing.T) {
			t.Parallel()
			forEntryRanges(t, func(t *testing.T, r entryRange) { runClaim(t, c, r) })
		})
	}
}

func runClaim(t *testing.T, c verify.Claim, r entryRange) {
	g := r.samples(2, claimKMax(c), c.Applies)
	var ev verify.Eval
	hp := verify.Eval{HighPrecision: true}
	switch c.Kind {
	case verify.Theorem:
		noise := noiseStats{worst: math.Inf(1)}
		runProperty(t, c.Statement, g, r.restrict(func(s gen.Sample) (string, bool) {
			return checkTheorem(&ev, &hp, c, s, &noise)
		}))
		if noise.n > 0 {
			t.Logf("theorem %s: %d float64 margins < 0 within the noise bound (%d of them at K > %d not re-checked in high precision, the others not confirmed there); worst %s at %v",
				c.ID, noise.n, noise.unchecked, hiprecMaxK, fmtF(noise.worst), noise.at)
		}
	case verify.Conjecture:
		supported, known := conjectureSupported[c.ID]
		if !known {
			t.Fatalf("conjecture %s has no expected outcome in conjectureSupported (and conjectureRefutations)", c.ID)
		}
		var n, neg, inRegion int
		worst := math.Inf(1)
		var worstS gen.Sample
		runProperty(t, c.Statement, g, r.restrict(func(s gen.Sample) (string, bool) {
			margin, ok, err := c.Check(&ev, verify.Case{Eta: s.Eta, Gamma: s.Gamma})
			if unsolvedSubnormal(err, s.Eta) {
				return "", false
			}
			if err != nil {
				return fmt.Sprintf("error on valid input: %v; %v", err, s), true
			}
			if !ok {
				return "", false
			}
			n++
			if margin < 0 {
				neg++
			}
			if supported(s) {
				// Where the search found the conjecture to hold, it
				// must hold here as a theorem does.
				inRegion++
				if fail, _ := checkTheorem(&ev, &hp, c, s, nil); fail != "" {
					return "expected supported here (conjectureSupported): " + fail, true
				}
			}
			if margin < worst || math.IsNaN(margin) {
				worst, worstS = margin, s
			}
			return "", true
		}))
		if n > 0 {
			t.Logf("conjecture %s: %d cases checked (%d where it is expected to hold), %d with negative margin; worst margin %s at %v",
				c.ID, n, inRegion, neg, fmtF(worst), worstS)
		}
	default:
		t.Errorf("claim %s has unknown kind %q", c.ID, c.Kind)
	}
}

// noiseStats counts the negative float64 margins of a theorem that are
// numerical noise (see checkTheorem); a nil *noiseStats counts nothing.
type noiseStats struct {
	n, unchecked int // noise cases, and those not re-checked in hiprec
	worst        float64
	at           gen.Sample
}

func (ns *noiseStats) add(margin float64, s gen.Sample, checked bool) {
	if ns == nil {
		return
	}
	ns.n++
	if !checked {
		ns.unchecked++
	}
	if margin < ns.worst {
		ns.worst, ns.at = margin, s
	}
}

// checkTheorem checks theorem claim c at s (the check of TestClaims and of
// the edge examples) with the float64 Eval ev. A margin that does not
// violate the claim (Claim.Violates: ≥ 0, or > 0 for a strict claim)
// passes. Any other is re-checked with hp, an Eval with
// HighPrecision set, reused so that the claims on one case share its cached
// high-precision solve (design.md: a negative margin is a counterexample
// only once hiprec confirms it). It is noise, and passes (counted in
// noise), when the high-precision margin is not below −verify.ConfirmFloor
// (the rounding of a margin formed from float64-rounded hiprec results,
// the threshold of the verify search) and the float64 margin is within
// marginNoise of 0; at K > hiprecMaxK, a float64 margin within a noise
// bound below ConfirmFloor/2 is noise without the (slow) re-check. Otherwise
// it fails, the label giving both margins: the statement is violated
// (hiprec agrees), or the float64 kernels are wrong by more than their
// accuracy.
// unsolvedSubnormal reports whether err is a minimizer's documented
// non-convergence: numeric.Direct's on an η with entries below 1e-300.
// Such a case is discarded, not failed. (numeric.Exact converges on every
// input, subnormal entries included.)
func unsolvedSubnormal(err error, eta []float64) bool {
	var se *verify.SolverError
	if !errors.As(err, &se) {
		return false
	}
	return se.Solver == "direct" && hasTiny(eta)
}

func checkTheorem(ev, hp *verify.Eval, c verify.Claim, s gen.Sample, noise *noiseStats) (string, bool) {
	cs := verify.Case{Eta: s.Eta, Gamma: s.Gamma}
	margin, ok, err := c.Check(ev, cs)
	switch {
	case unsolvedSubnormal(err, s.Eta):
		return "", false
	case err != nil:
		return fmt.Sprintf("%s: error on valid input: %v; %v", c.ID, err, s), true
	case !ok:
		return "", false
	case !c.Violates(margin):
		return "", true
	}
	tol := marginNoise(s)
	if margin >= -tol && len(s.Eta) > hiprecMaxK && tol <= verify.ConfirmFloor/2 {
		// Within the noise bound, which is itself far below the
		// confirmation threshold: hiprec could only confirm if the
		// float64 kernels were off by more than their tested accuracy.
		noise.add(margin, s, false)
		return "", true
	}
	hm, hok, herr := c.Check(hp, cs)
	if herr == nil && hok && hm >= -verify.ConfirmFloor && margin >= -tol {
		noise.add(margin, s, true)
		return "", true
	}
	return fmt.Sprintf("%s: margin %s < 0 (noise bound %.3g); high precision: margin %s, ok %v, err %v; at %v",
		c.ID, fmtF(margin), tol, fmtF(hm), hok, herr, s), true
}

// hiprecMaxK is the largest K at which a noise-level margin is always
// re-checked in high precision: hiprec.Minimize takes about 0.3 s at
// K = 1000 (several seconds under -race), and near-uniform vectors at large
// K give dozens of noise-level margins per property.
const hiprecMaxK = 64

// marginNoise bounds the float64 noise of a claim's margin at s: the
// margins are differences of probabilities (of q*, Ψ or η) of size at most
// max η, each accurate to exactRel (the exact minimizer's accuracy); the
// claims that compare with max η/Σ η (verify.maxNormalized) add the
// relative error of that quotient, sumQuotientULPs.
func marginNoise(s gen.Sample) float64 {
	q := s.Eta
	if r, err := numeric.Exact(s.Eta, s.Gamma); err == nil && r.Status == numeric.Converged {
		q = r.Q
	}
	return (exactRel(exactULPs, q, s.Gamma) + sumQuotientULPs*ulp) * theory.Max(s.Eta)
}

// sumQuotientULPs: max η/Σ η with Σ η compensated (theory.Sum, within 2
// ulps) and one division (half an ulp), rounded up.
const sumQuotientULPs = 3

// TestAlwaysUnderconfidentRefuted asserts the known fact that the
// conjecture always-underconfident is false: near the uniform vector with
// K = 1000 and γ = 1, max q* ≈ 1/K lies below τ_oc^1 = e^−2, so q* is
// η-overconfident (Thm 8 (2); Fig. 2b of the paper). The random search
// over near-uniform vectors must find a negative margin within a few
// draws, and package hiprec must confirm it.
func TestAlwaysUnderconfidentRefuted(t *testing.T) {
	const (
		k     = 1000
		gamma = 1.0
		// maxDraws bounds the search; every near-uniform vector at this
		// (K, γ) is a counterexample, so the first draw should do.
		maxDraws = 20
	)
	c, ok := verify.Lookup("always-underconfident")
	if !ok {
		t.Fatal("claim always-underconfident is not registered")
	}
	if c.Kind != verify.Conjecture {
		t.Errorf("always-underconfident has kind %q, want %q", c.Kind, verify.Conjecture)
	}
	seed, _ := config(t)
	g := gen.SamplesOf(gen.NearUniform, k, gamma)
	p := genParams(seed)
	var ev verify.Eval
	for i := range maxDraws {
		v, ok := g(p).Retrieve()
		if !ok {
			continue
		}
		s := v.(gen.Sample)
		margin, ok, err := c.Check(&ev, verify.Case{Eta: s.Eta, Gamma: s.Gamma})
		if err != nil || !ok || !(margin < 0) {
			continue
		}
		hp := verify.Eval{HighPrecision: true}
		hm, hok, herr := c.Check(&hp, verify.Case{Eta: s.Eta, Gamma: s.Gamma})
		if herr != nil || !hok || !(hm < 0) {
			t.Fatalf("float64 margin %s < 0 not confirmed in high precision (margin %s, ok %v, err %v) at %v",
				fmtF(margin), fmtF(hm), hok, herr, s)
		}
		t.Logf("refuted after %d draws: margin %s (float64), %s (hiprec) at %v", i+1, fmtF(margin), fmtF(hm), s)
		return
	}
	t.Errorf("no counterexample to always-underconfident in %d near-uniform draws at K=%d, gamma=%g (seed %d)",
		maxDraws, k, gamma, seed)
}

// gammaNearUniform5 is γ_nu(5) = 1 + 4(ln 5 − 2)/ln 5 = 0.0293205235…,
// below which minimizers near the uniform vector at K = 5 are ηOC (README,
// "What the search finds"; docs/findings.md, Sec. 2).
var gammaNearUniform5 = 1 + 4*(math.Log(5)-2)/math.Log(5)

// Margins around the found boundaries, inside which no outcome is
// asserted: relative for γ_max(K) (approached only in the limit
// q* → (1/(K−1), …, 1/(K−1), 0)), absolute for γ_nu(5) (footnote-2's
// extrapolated margin has the right sign from γ_nu ± 5e-7 outwards,
// verify.NearUniformT).
const (
	gammaMaxSlack = 1e-3
	gammaNUSlack  = 1e-5
)

// conjectureSupported says, for each conjecture of the registry, at which
// (γ, K) it is expected to hold, as the search found it (README's "What the
// search finds", docs/findings.md): there TestClaims checks it as a
// theorem. A conjecture without an entry fails TestClaims.
var conjectureSupported = map[string]func(s gen.Sample) bool{
	// No ηOC minimizer above γ_max(K), the γ where τ_uc^γ = 1/(K−1)
	// (theory.GammaForTauUC; 0 at K = 3, where there is none at all).
	"always-underconfident":             aboveGammaMax,
	"overconfidence-needs-five-classes": aboveGammaMax,
	"footnote-2-threshold":              func(s gen.Sample) bool { return s.Gamma < gammaNearUniform5-gammaNUSlack },
	// At K = 2, Cor 10: q* is ηUC unless uniform or one-hot, so q* ≠ η
	// off S^K; asserted where q* − η = O(γ·spread) is far above the
	// check's float64 tolerance (γ ≥ improperMinGamma, no entry below
	// 1e-300): below, the check cannot resolve it in float64 nor, as it
	// rounds hiprec's q* to float64, in high precision.
	"improper-off-sk": func(s gen.Sample) bool {
		return len(s.Eta) == 2 && s.Gamma >= improperMinGamma && !hasTiny(s.Eta)
	},
}

// improperMinGamma: see conjectureSupported.
const improperMinGamma = 0.01

func aboveGammaMax(s gen.Sample) bool {
	return s.Gamma > (1+gammaMaxSlack)*theory.GammaForTauUC(1/float64(len(s.Eta)-1))
}

// conjectureRefutations gives, for each conjecture, a case where it is
// expected to fail: the float64 margin is negative and the high-precision
// one below −verify.ConfirmFloor.
var conjectureRefutations = map[string][]verify.Case{
	// K = 10 < γ_nu(10) ≈ 2.18 at γ = 0.5: near-uniform minimizers are
	// ηOC.
	"always-underconfident": {{Eta: normalizedCopy([]float64{1.1, 1, 1, 1, 1, 1, 1, 1, 1, 0.9}), Gamma: 0.5}},
	// README: η ≈ (0.3276 ×3, 0.0172) at K = 4, γ = 0.5 < γ_max(4).
	"overconfidence-needs-five-classes": {{Eta: []float64{0.3276, 0.3276, 0.3276, 0.0172}, Gamma: 0.5}},
	// γ in (γ_nu(5), 0.03]: near-uniform minimizers are ηUC.
	"footnote-2-threshold": {
		{Eta: []float64{0.3, 0.25, 0.2, 0.15, 0.1}, Gamma: 0.03},
		{Eta: []float64{0.1, 0.15, 0.2, 0.25, 0.3}, Gamma: gammaNearUniform5 + 1e-4},
	},
	// A fixed point off S^K: φ^γ(t) = φ^γ(r) with 3 entries t and one r
	// (README: η ≈ (0.3199 ×3, 0.0404) at γ = 0.5), so Ψ^γ(η) = η.
	"improper-off-sk": {{Eta: phiLevelVector(4, 3, 0.5), Gamma: 0.5}},
}

func normalizedCopy(v []float64) []float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / s
	}
	return out
}

// phiLevelVector returns (t ×m, r ×(k−m)), r = (1 − m t)/(k − m), with
// φ^γ(t) = φ^γ(r) and t in (1/k, 1/m), found by bisection on the sign of
// φ^γ(t) − φ^γ(r) (positive near 1/k+, where r < t ≤ τ_oc… is not assumed:
// the bracket is checked).
func phiLevelVector(k, m int, gamma float64) []float64 {
	f := func(t float64) float64 {
		r := (1 - float64(m)*t) / float64(k-m)
		return theory.Phi(t, gamma) - theory.Phi(r, gamma)
	}
	lo, hi := 1/float64(k)+1e-3, 1/float64(m)-1e-3
	if f(lo)*f(hi) >= 0 {
		panic(fmt.Sprintf("phiLevelVector(%d, %d, %v): no sign change on [%v, %v]", k, m, gamma, lo, hi))
	}
	for range 200 {
		mid := lo + (hi-lo)/2
		if f(mid)*f(lo) > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	v := make([]float64, k)
	for i := range v {
		if i < m {
			v[i] = lo
		} else {
			v[i] = (1 - float64(m)*lo) / float64(k-m)
		}
	}
	return v
}

// TestConjectureRefutations: every conjecture of the registry has an
// expected outcome, and fails (confirmed in high precision) where the
// search found it to fail. With TestClaims, which checks it where it is
// expected to hold, a conjecture check replaced by a constant fails a test.
func TestConjectureRefutations(t *testing.T) {
	for _, c := range verify.Claims() {
		if c.Kind != verify.Conjecture {
			continue
		}
		cases := conjectureRefutations[c.ID]
		if len(cases) == 0 || conjectureSupported[c.ID] == nil {
			t.Errorf("conjecture %s: no expected outcome (conjectureSupported and conjectureRefutations)", c.ID)
			continue
		}
		for _, cs := range cases {
			if !c.Applies(cs.Gamma, len(cs.Eta)) || conjectureSupported[c.ID](gen.Sample{Eta: cs.Eta, Gamma: cs.Gamma}) {
				t.Errorf("%s: refutation at gamma %v, K %d lies where the claim does not apply or is expected to hold", c.ID, cs.Gamma, len(cs.Eta))
				continue
			}
			var ev verify.Eval
			hp := verify.Eval{HighPrecision: true}
			m, ok, err := c.Check(&ev, cs)
			hm, hok, herr := c.Check(&hp, cs)
			if err != nil || herr != nil || !ok || !hok || !(m < 0) || !(hm < -verify.ConfirmFloor) {
				t.Errorf("%s at %v: margin %s (ok %v, err %v), high precision %s (ok %v, err %v); want both negative (expected refuted)",
					c.ID, cs, fmtF(m), ok, err, fmtF(hm), hok, herr)
			}
		}
	}
}
