// Package gen provides gopter generators of focal-loss test cases:
// probability vectors η from deliberately chosen regimes (Regimes) and
// focusing parameters γ. It is used by the property tests in package
// proptest and by the counterexample search in package verify, and so it
// must not import verify.
//
// Generators:
//
//	Eta(k), EtaRange(kMin, kMax)     []float64 probability vectors, every regime
//	Gamma()                          float64 γ: 0, 1, 2, the ends 1e-6 and 100, log-uniform
//	Samples(kMin, kMax)              Sample (η, γ, regime, Spec)
//	SamplesWhere(kMin, kMax, pred)   Samples where pred(γ, K) holds (a claim's Applies)
//	TinySamplesWhere(kMin, kMax, pred)  the same with entries forced below 1e-300
//	SamplesAt(k, gamma)              fixed K and γ (the search at one (γ, K))
//	SamplesOf(regime, k, gamma)      fixed regime, K and γ
//
// All randomness comes from gopter's GenParameters.Rng: a vector is built
// from a Spec (regime, K, parameters, seed) whose fields, seed included, are
// drawn from that source, so a gopter seed reproduces every case, and a Spec
// printed in a failure report reproduces its vector alone (Build).
//
// Shrinking stays on the simplex. The Sample generators shrink the Spec (K
// toward its minimum, parameters toward simple values, the seed toward 0)
// and γ (toward 1, 2, 0 and round values) and rebuild the vector; the
// []float64 generators drop entries or round them to fewer digits and
// renormalize. Every generator carries a sieve (numeric.ValidateEta, and the
// K and γ constraints), which gopter also applies to shrunk values.
package gen

import (
	"math"
	"reflect"
	"strconv"

	"github.com/leanovate/gopter"

	"github.com/focaltk/focal/numeric"
)

// Probabilities of the constant γ values drawn by Gamma; the rest (56%) is
// log-uniform in [MinGamma, MaxGamma].
const (
	MinGamma = 1e-6
	MaxGamma = 100

	pGammaConst = 0.12 // each of 0, 1, 2
	pGammaEnd   = 0.04 // each of MinGamma, MaxGamma
)

// Probabilities of the edge values of K drawn by EtaRange and Samples; the
// rest is log-uniform, so small K dominates.
const (
	pKMin = 0.10
	pKMax = 0.05
)

// maxPairTries bounds the rejection sampling of (K, γ) in SamplesWhere. The
// narrowest predicate the registry has (K = 5 and 0 < γ ≤ 0.03) accepts
// about 2% of the pairs from K in [2, 64], so a miss in 10^4 tries has
// probability below 1e-80; a miss gives an undecided case, not a wrong one.
const maxPairTries = 10000

var sampleType = reflect.TypeOf(Sample{})

// Gamma returns a generator of focusing parameters γ: the constants 0, 1
// and 2 (12% each), the ends MinGamma and MaxGamma (4% each), and otherwise
// log-uniform in [MinGamma, MaxGamma]. It shrinks toward 1, 2, 0 and
// values with fewer significant digits.
func Gamma() gopter.Gen {
	return func(p *gopter.GenParameters) *gopter.GenResult {
		r := gopter.NewGenResult(drawGamma(p), shrinkGammaValue)
		r.Sieve = func(v interface{}) bool {
			g, ok := v.(float64)
			return ok && g >= 0 && g <= MaxGamma
		}
		return r
	}
}

// Eta returns a generator of probability vectors of length k ≥ 2, every
// regime with equal weight. Shrinks keep the length (entries are rounded
// to fewer significant digits and renormalized).
func Eta(k int) gopter.Gen { return EtaRange(k, k) }

// EtaRange returns a generator of probability vectors whose length K is
// drawn from [kMin, kMax] (2 ≤ kMin ≤ kMax): kMin with probability 10%,
// kMax with 5%, otherwise log-uniform, so that small K dominates and large
// K still occurs. Every regime has equal weight. Shrinks drop entries (down
// to kMin) or round them to fewer significant digits, and renormalize.
func EtaRange(kMin, kMax int) gopter.Gen {
	checkRange(kMin, kMax)
	return func(p *gopter.GenParameters) *gopter.GenResult {
		k := drawK(p, kMin, kMax)
		s := Build(drawSpec(p, k), 0)
		r := gopter.NewGenResult(s.Eta, vecShrinker(kMin))
		r.Sieve = func(v interface{}) bool {
			eta, ok := v.([]float64)
			return ok && len(eta) >= kMin && len(eta) <= kMax && numeric.ValidateEta(eta, 0) == nil
		}
		return r
	}
}

// Samples returns a generator of Samples: η from EtaRange(kMin, kMax) and γ
// from Gamma.
func Samples(kMin, kMax int) gopter.Gen { return SamplesWhere(kMin, kMax, nil) }

// SamplesWhere is Samples restricted to the (γ, K) pairs for which pred
// holds (nil: all), such as a claim's Applies: (K, γ) is drawn by rejection
// from the distributions of EtaRange and Gamma, and pred is part of the
// sieve, so shrinks respect it too. If no pair is found in maxPairTries
// draws the case is undecided (gopter discards it).
func SamplesWhere(kMin, kMax int, pred func(gamma float64, k int) bool) gopter.Gen {
	return samplesWhere(kMin, kMax, pred, false)
}

// TinySamplesWhere is SamplesWhere with one or two entries of every vector
// forced into [2^−1074, 1e-301] (Spec.Tiny ≥ 1), so that every case has
// entries below 1e-300, about two thirds of them subnormal, on top of the
// shape of any regime (near-uniform vectors with a subnormal entry, for
// instance). Shrinks keep Spec.Tiny ≥ 1.
func TinySamplesWhere(kMin, kMax int, pred func(gamma float64, k int) bool) gopter.Gen {
	return samplesWhere(kMin, kMax, pred, true)
}

func samplesWhere(kMin, kMax int, pred func(gamma float64, k int) bool, tiny bool) gopter.Gen {
	checkRange(kMin, kMax)
	if pred == nil {
		pred = func(float64, int) bool { return true }
	}
	sieve := func(v interface{}) bool {
		s, ok := v.(Sample)
		return ok && len(s.Eta) >= kMin && len(s.Eta) <= kMax && s.Gamma >= 0 &&
			pred(s.Gamma, len(s.Eta)) && (!tiny || s.Spec.Tiny > 0) &&
			numeric.ValidateEta(s.Eta, s.Gamma) == nil
	}
	return func(p *gopter.GenParameters) *gopter.GenResult {
		for range maxPairTries {
			k, g := drawK(p, kMin, kMax), drawGamma(p)
			if !pred(g, k) {
				continue
			}
			spec := drawSpec(p, k)
			if tiny {
				spec.Tiny = 1 + p.Rng.Intn(maxForced)
				spec = spec.clamped()
			}
			r := gopter.NewGenResult(Build(spec, g), sampleShrinker(kMin, true))
			r.Sieve = sieve
			return r
		}
		r := gopter.NewEmptyResult(sampleType)
		r.Sieve = sieve
		return r
	}
}

// SamplesAt returns a generator of Samples with K = k and γ = gamma fixed
// and the regime, parameters and seed drawn; it is what a search at one
// (γ, K) uses. Shrinks simplify the Spec only.
func SamplesAt(k int, gamma float64) gopter.Gen {
	checkRange(k, k)
	return func(p *gopter.GenParameters) *gopter.GenResult {
		r := gopter.NewGenResult(Build(drawSpec(p, k), gamma), sampleShrinker(k, false))
		r.Sieve = func(v interface{}) bool {
			s, ok := v.(Sample)
			return ok && len(s.Eta) == k && s.Gamma == gamma && numeric.ValidateEta(s.Eta, gamma) == nil
		}
		return r
	}
}

// SamplesOf is SamplesAt restricted to one regime.
func SamplesOf(regime string, k int, gamma float64) gopter.Gen {
	checkRange(k, k)
	return func(p *gopter.GenParameters) *gopter.GenResult {
		spec := drawSpecOf(p, regime, k)
		r := gopter.NewGenResult(Build(spec, gamma), sampleShrinker(k, false))
		r.Sieve = func(v interface{}) bool {
			s, ok := v.(Sample)
			return ok && len(s.Eta) == k && s.Gamma == gamma && s.Regime == regime
		}
		return r
	}
}

func checkRange(kMin, kMax int) {
	if kMin < 2 || kMax < kMin {
		panic("gen: need 2 <= kMin <= kMax")
	}
}

// float draws a uniform number in [0, 1) from gopter's source.
func float(p *gopter.GenParameters) float64 { return p.Rng.Float64() }

func logUniform(p *gopter.GenParameters, lo, hi float64) float64 {
	return math.Exp(math.Log(lo) + (math.Log(hi)-math.Log(lo))*float(p))
}

func drawGamma(p *gopter.GenParameters) float64 {
	u := float(p)
	switch {
	case u < pGammaConst:
		return 0
	case u < 2*pGammaConst:
		return 1
	case u < 3*pGammaConst:
		return 2
	case u < 3*pGammaConst+pGammaEnd:
		return MinGamma
	case u < 3*pGammaConst+2*pGammaEnd:
		return MaxGamma
	}
	return math.Min(logUniform(p, MinGamma, MaxGamma), MaxGamma)
}

// drawK draws K in [kMin, kMax]: kMin or kMax with probabilities pKMin and
// pKMax, otherwise ⌊exp(U(log kMin, log(kMax+1)))⌋.
func drawK(p *gopter.GenParameters, kMin, kMax int) int {
	u := float(p)
	switch {
	case u < pKMin:
		return kMin
	case u < pKMin+pKMax:
		return kMax
	}
	k := int(logUniform(p, float64(kMin), float64(kMax)+1))
	return max(kMin, min(k, kMax))
}

func drawSpec(p *gopter.GenParameters, k int) Spec {
	return drawSpecOf(p, Regimes[p.Rng.Intn(len(Regimes))], k)
}

// drawSpecOf draws the parameters of one regime at K = k (see the regime
// constants for their meaning and ranges).
func drawSpecOf(p *gopter.GenParameters, regime string, k int) Spec {
	s := Spec{Regime: regime, K: k}
	rng := p.Rng
	switch regime {
	case Dirichlet:
		s.Param = logUniform(p, minAlpha, maxAlpha)
	case Tiny:
		s.Param = tinyMinExp
		if rng.Intn(2) == 0 {
			s.Param = -logUniform(p, 1, -tinyMinExp) // often spread vectors
		}
		s.Tiny = []int{0, 0, 1, 2}[rng.Intn(4)]
	case OneHot:
		s.Param = minEps
		if rng.Intn(8) != 0 {
			s.Param = logUniform(p, minEps, maxEps)
		}
	case NearUniform:
		s.Param = logUniform(p, minPerturb, maxPerturb)
	case Ties:
		s.Param = logUniform(p, minAlpha, maxAlpha)
		if rng.Intn(2) == 0 {
			s.M = 1 + rng.Intn(k-1) // any number of distinct values
		} else {
			s.M = int(logUniform(p, 1, float64(k))) // few distinct values
		}
	case Zeros:
		s.Param = logUniform(p, minAlpha, maxAlpha)
		s.M = 1 + rng.Intn(k-1)
		if rng.Intn(6) == 0 {
			s.M = k - 1 // a vertex e_y
		}
	case TopM:
		s.M = 1
		if rng.Intn(2) == 0 {
			s.M = 1 + rng.Intn(k-1)
		}
		switch rng.Intn(5) {
		case 0:
			s.Param = 0 // uniform on the top m: S^K
		case 1, 2:
			s.Param = float(p)
		default:
			s.Param = logUniform(p, 1e-10, 1)
		}
	default:
		panic("gen: unknown regime " + strconv.Quote(regime))
	}
	s.Seed = p.NextUint64()
	return s.clamped()
}

// simpleParam is the value a Spec's Param shrinks to first.
var simpleParam = map[string]float64{
	Dirichlet: 1, Tiny: -10, OneHot: 0.1, NearUniform: 0.1, Ties: 1, Zeros: 1, TopM: 0.5,
}

// sampleShrinker shrinks a Sample by rebuilding it from a simpler Spec
// (and, if free, smaller K and a simpler γ); kMin bounds K from below.
// Every candidate is strictly simpler in one field and no less simple in
// the others (smaller K, lower gammaRank or paramRank, smaller M or seed),
// so shrinking cannot cycle.
func sampleShrinker(kMin int, free bool) gopter.Shrinker {
	return func(v interface{}) gopter.Shrink {
		s := v.(Sample)
		spec := s.Spec
		var cands []Sample
		add := func(t Spec, g float64) {
			t = t.clamped()
			if t != spec || g != s.Gamma {
				cands = append(cands, Sample{Spec: t, Gamma: g})
			}
		}
		if free {
			for _, k := range []int{kMin, (spec.K + kMin) / 2, spec.K - 1} {
				if k >= kMin && k < spec.K {
					t := spec
					t.K = k
					add(t, s.Gamma)
				}
			}
			for _, g := range gammaCandidates(s.Gamma) {
				add(spec, g)
			}
		}
		for _, x := range []float64{simpleParam[spec.Regime], roundSig(spec.Param, 1)} {
			if paramRank(spec.Regime, x) < paramRank(spec.Regime, spec.Param) {
				t := spec
				t.Param = x
				add(t, s.Gamma)
			}
		}
		for _, m := range []int{0, 1, spec.M / 2} {
			if m < spec.M {
				t := spec
				t.M = m
				add(t, s.Gamma)
			}
		}
		if spec.Tiny > 1 {
			t := spec
			t.Tiny = 1
			add(t, s.Gamma)
		}
		for _, seed := range []uint64{0, 1} {
			if seed < spec.Seed {
				t := spec
				t.Seed = seed
				add(t, s.Gamma)
			}
		}
		i := 0
		return func() (interface{}, bool) {
			if i >= len(cands) {
				return nil, false
			}
			i++
			return Build(cands[i-1].Spec, cands[i-1].Gamma), true
		}
	}
}

// paramRank orders the values of a Spec's Param by simplicity: the
// regime's simple value, then one significant digit, then the rest.
func paramRank(regime string, x float64) int {
	switch {
	case x == simpleParam[regime]:
		return 0
	case x == roundSig(x, 1):
		return 1
	}
	return 2
}

// gammaRank orders γ values by simplicity: 1, 2, 0, then one and three
// significant digits, then the rest.
func gammaRank(g float64) int {
	switch {
	case g == 1:
		return 0
	case g == 2:
		return 1
	case g == 0:
		return 2
	case g == roundSig(g, 1):
		return 3
	case g == roundSig(g, 3):
		return 4
	}
	return 5
}

// gammaCandidates lists the simpler values γ shrinks to (lower gammaRank).
func gammaCandidates(g float64) []float64 {
	var out []float64
	for _, c := range []float64{1, 2, 0, roundSig(g, 1), roundSig(g, 3)} {
		if gammaRank(c) < gammaRank(g) && c >= 0 && c <= MaxGamma && !containsF(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func shrinkGammaValue(v interface{}) gopter.Shrink {
	c := gammaCandidates(v.(float64))
	i := 0
	return func() (interface{}, bool) {
		if i >= len(c) {
			return nil, false
		}
		i++
		return c[i-1], true
	}
}

// vecShrinker shrinks a probability vector: keep its first half or drop
// its last entry (not below kMin entries), or round every entry to 1, 2, 4
// or 8 significant digits; each candidate is renormalized, and the sieve
// rejects any that is not a valid probability vector.
func vecShrinker(kMin int) gopter.Shrinker {
	return func(v interface{}) gopter.Shrink {
		eta := v.([]float64)
		var cands [][]float64
		for _, n := range []int{max(kMin, len(eta)/2), len(eta) - 1} {
			if n >= kMin && n < len(eta) {
				if c, ok := renormalized(eta[:n]); ok {
					cands = append(cands, c)
				}
			}
		}
		for _, d := range []int{1, 2, 4, 8} {
			c := make([]float64, len(eta))
			for i, x := range eta {
				c[i] = roundSig(x, d)
			}
			if c, ok := renormalized(c); ok && !equalVec(c, eta) {
				cands = append(cands, c)
			}
		}
		i := 0
		return func() (interface{}, bool) {
			if i >= len(cands) {
				return nil, false
			}
			i++
			return cands[i-1], true
		}
	}
}

func renormalized(x []float64) ([]float64, bool) {
	var s float64
	for _, v := range x {
		s += v
	}
	if !(s > 0) {
		return nil, false
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v / s
	}
	return out, true
}

// roundSig rounds x to d significant decimal digits.
func roundSig(x float64, d int) float64 {
	y, err := strconv.ParseFloat(strconv.FormatFloat(x, 'e', d-1, 64), 64)
	if err != nil {
		return x
	}
	return y
}

func containsF(s []float64, x float64) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func equalVec(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
