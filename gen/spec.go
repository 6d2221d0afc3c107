package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/focaltk/focal/numeric"
)

// Regime names a family of probability vectors. Each is produced on purpose
// because it stresses a different part of the kernels.
const (
	// Dirichlet: Dirichlet(α) with α = Spec.Param log-uniform in
	// [0.01, 100]; small α gives sparse vectors whose small entries
	// underflow to subnormals or 0, large α near-uniform ones.
	Dirichlet = "dirichlet"
	// Tiny: entries 10^U(Param, 0) with Param in [−300, −1] (half the
	// time −300), then normalized; half the time Spec.Tiny is 1 or 2.
	Tiny = "tiny"
	// OneHot: one entry 1 − ε, ε = Spec.Param log-uniform in [2^−53, 1/2]
	// (sometimes exactly 2^−53), the mass ε spread at random over the rest.
	OneHot = "near-one-hot"
	// NearUniform: (1 + r·u_i)/K with u_i uniform in (−1, 1) and
	// r = Spec.Param log-uniform in [1e-12, 0.1], then normalized.
	NearUniform = "near-uniform"
	// Ties: Spec.M distinct values (1 ≤ M < K, so some value repeats),
	// Dirichlet(Param) weights per value; entries with the same value are
	// bitwise copies of one float64.
	Ties = "ties"
	// Zeros: Spec.M entries exactly 0 (1 ≤ M < K; M = K−1 gives a vertex
	// e_y), the rest Dirichlet(Param).
	Zeros = "zeros"
	// TopM: Spec.M equal top entries a and K−M equal entries b = r·a,
	// r = Spec.Param in [0, 1); r = 0 gives a vector of S^K (Prop 6).
	TopM = "top-m"
)

// Regimes lists every regime, in the order the generators number them.
var Regimes = []string{Dirichlet, Tiny, OneHot, NearUniform, Ties, Zeros, TopM}

// Parameter ranges of the regimes (see the regime constants).
const (
	minAlpha   = 0.01
	maxAlpha   = 100
	tinyMinExp = -300.0 // decimal exponent range of Tiny entries
	// Forced tiny entries are 10^U(forcedMinExp, forcedMaxExp): from the
	// smallest subnormal 2^−1074 ≈ 10^−323.3 to 1e-301, so that they stay
	// below 1e-300 after the renormalization (which divides by a sum
	// ≥ 1/3) and about two thirds of them are subnormal.
	forcedMinExp = -323.3
	forcedMaxExp = -301.0
	maxForced    = 2 // entries forced tiny (Spec.Tiny)
	minEps       = 0x1p-53
	maxEps       = 0.5
	minPerturb   = 1e-12
	maxPerturb   = 0.1
)

// Spec determines a probability vector completely: Build(spec) is a pure
// function of it, so a Spec (printed in every failure report) reproduces
// a case without the gopter seed, and shrinking a Spec (smaller K, simpler
// parameters) regenerates a valid vector of the same regime.
type Spec struct {
	// Regime is one of Regimes.
	Regime string
	// K is the number of classes (≥ 2).
	K int
	// Param is the regime's continuous parameter (see the regime
	// constants): α for Dirichlet, Ties and Zeros; the lowest decimal
	// exponent for Tiny; ε for OneHot; the relative perturbation for
	// NearUniform; the ratio r for TopM.
	Param float64
	// M is the regime's integer parameter: distinct values (Ties), zeros
	// (Zeros), top classes (TopM); unused (0) otherwise. Build clamps it
	// to the range valid at K.
	M int
	// Tiny (0–2, at most K−1) entries other than the largest are forced
	// into [2^−1074, 1e-301] after the regime has built the vector, which
	// is then renormalized: a tiny-entry variant of any regime.
	Tiny int
	// Seed seeds the generator of the vector's entries (math/rand/v2
	// PCG); it is drawn from gopter's random source.
	Seed uint64
}

// String formats s so that it can be pasted back as a Go literal.
func (s Spec) String() string {
	return fmt.Sprintf("gen.Spec{Regime: %q, K: %d, Param: %s, M: %d, Tiny: %d, Seed: %d}",
		s.Regime, s.K, strconv.FormatFloat(s.Param, 'g', -1, 64), s.M, s.Tiny, s.Seed)
}

// Sample is one generated case: a probability vector η, a focusing
// parameter γ, the regime that produced η, and the Spec that rebuilds it.
type Sample struct {
	Eta    []float64
	Gamma  float64
	Regime string
	Spec   Spec
}

// maxPrintK is the largest K for which String prints η in full; above it
// the Spec (which rebuilds η with Build) stands for it.
const maxPrintK = 32

// String formats the sample for failure reports: regime, K, γ, the Spec
// (if the sample was built from one), and η in full (round-trip precision)
// when K ≤ 32 or there is no Spec.
func (s Sample) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "regime=%s K=%d gamma=%s", s.Regime, len(s.Eta), strconv.FormatFloat(s.Gamma, 'g', -1, 64))
	built := s.Spec.Regime != ""
	if built {
		fmt.Fprintf(&b, " spec=%v", s.Spec)
	}
	if len(s.Eta) <= maxPrintK || !built {
		b.WriteString(" eta=")
		b.WriteString(FormatVec(s.Eta))
	} else {
		fmt.Fprintf(&b, " eta=gen.Build(spec) (max %s, min %s)",
			strconv.FormatFloat(maxOf(s.Eta), 'g', -1, 64),
			strconv.FormatFloat(minOf(s.Eta), 'g', -1, 64))
	}
	return b.String()
}

// FormatVec formats v as a Go slice literal with round-trip precision.
func FormatVec(v []float64) string {
	var b strings.Builder
	b.WriteString("[]float64{")
	for i, x := range v {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	}
	b.WriteString("}")
	return b.String()
}

// Build returns the sample of spec at γ. It panics if spec.Regime is not
// one of Regimes or spec.K < 2. The vector always passes
// numeric.ValidateEta (a test checks this over many seeds); Build panics
// if it does not, since that is a bug here.
func Build(spec Spec, gamma float64) Sample {
	spec = spec.clamped()
	r := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))
	k := spec.K
	var eta []float64
	switch spec.Regime {
	case Dirichlet:
		eta = dirichlet(r, k, spec.Param)
	case Tiny:
		eta = tiny(r, k, spec.Param)
	case OneHot:
		eta = oneHot(r, k, spec.Param)
	case NearUniform:
		eta = nearUniform(r, k, spec.Param)
	case Ties:
		eta = ties(r, k, spec.M, spec.Param)
	case Zeros:
		eta = zeros(r, k, spec.M, spec.Param)
	case TopM:
		eta = topM(r, k, spec.M, spec.Param)
	default:
		panic("gen: unknown regime " + strconv.Quote(spec.Regime))
	}
	if spec.Tiny > 0 {
		eta = forceTiny(r, eta, spec.Tiny)
	}
	if err := numeric.ValidateEta(eta, 0); err != nil {
		panic(fmt.Sprintf("gen: %v built an invalid vector: %v", spec, err))
	}
	return Sample{Eta: eta, Gamma: gamma, Regime: spec.Regime, Spec: spec}
}

// clamped returns s with its parameters moved into the ranges valid at s.K
// (shrinking K can leave M out of range).
func (s Spec) clamped() Spec {
	if s.K < 2 {
		panic(fmt.Sprintf("gen: K = %d < 2", s.K))
	}
	clampF := func(x, lo, hi float64) float64 {
		if !(x >= lo) { // also catches NaN
			return lo
		}
		return math.Min(x, hi)
	}
	clampI := func(x, lo, hi int) int { return max(lo, min(x, hi)) }
	switch s.Regime {
	case Dirichlet:
		s.Param, s.M = clampF(s.Param, minAlpha, maxAlpha), 0
	case Tiny:
		s.Param, s.M = clampF(s.Param, tinyMinExp, -1), 0
	case OneHot:
		s.Param, s.M = clampF(s.Param, minEps, maxEps), 0
	case NearUniform:
		s.Param, s.M = clampF(s.Param, minPerturb, maxPerturb), 0
	case Ties, Zeros:
		s.Param = clampF(s.Param, minAlpha, maxAlpha)
		s.M = clampI(s.M, 1, s.K-1)
	case TopM:
		s.Param = clampF(s.Param, 0, math.Nextafter(1, 0))
		s.M = clampI(s.M, 1, s.K-1)
	}
	s.Tiny = clampI(s.Tiny, 0, min(maxForced, s.K-1))
	return s
}

// logGamma returns the logarithm of a Gamma(α, 1) variate, by Marsaglia and
// Tsang's method (ACM TOMS 26(3), 2000), with the boost
// G(α) = G(α+1)·U^{1/α} for α < 1 taken in logarithms so that it never
// underflows.
//
// Why not gonum's distuv.Gamma (a dependency already): it returns the
// variate itself, and at the Dirichlet regime's smallest concentration
// (minAlpha = 0.01) the variate is below 1e-308 with probability ~1e-3 and
// subnormal or zero then, so the ratios between entries, which
// expNormalize keeps exact from logarithms, would lose their precision or
// become zeros the Dirichlet regime must not produce (that is the zeros
// regime's job). It would also change every Dirichlet sample of a seed,
// and so every Spec.Seed recorded in reports and docs.
func logGamma(r *rand.Rand, alpha float64) float64 {
	boost := 0.0
	if alpha < 1 {
		boost = math.Log(1-r.Float64()) / alpha // U in (0, 1]
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
		u := 1 - r.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return math.Log(d*v) + boost
		}
	}
}

// expNormalize sets x_i = exp(l_i − log Σ exp(l_j)) and returns x: the
// normalization of exp(l) computed without overflow; small entries
// underflow gracefully to subnormals or 0. The largest entry is ≥ 1/K.
func expNormalize(l []float64) []float64 {
	m := math.Inf(-1)
	for _, x := range l {
		m = math.Max(m, x)
	}
	var s float64
	for _, x := range l {
		s += math.Exp(x - m)
	}
	ls := math.Log(s)
	for i, x := range l {
		l[i] = math.Exp(x - m - ls)
	}
	return normalize(l)
}

// normalize divides x by its sum (one more pass after expNormalize puts the
// sum within K ulps of 1) and returns x.
func normalize(x []float64) []float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	for i := range x {
		x[i] /= s
	}
	return x
}

func dirichlet(r *rand.Rand, k int, alpha float64) []float64 {
	l := make([]float64, k)
	for i := range l {
		l[i] = logGamma(r, alpha)
	}
	return expNormalize(l)
}

func tiny(r *rand.Rand, k int, lo float64) []float64 {
	l := make([]float64, k)
	for i := range l {
		l[i] = (lo * r.Float64()) * math.Ln10
	}
	return expNormalize(l)
}

// forceTiny overwrites n entries other than the largest with values
// 10^U(forcedMinExp, forcedMaxExp) and renormalizes.
func forceTiny(r *rand.Rand, eta []float64, n int) []float64 {
	top := argmax(eta)
	for _, i := range r.Perm(len(eta)) {
		if n == 0 {
			break
		}
		if i == top {
			continue
		}
		e := forcedMinExp + (forcedMaxExp-forcedMinExp)*r.Float64()
		eta[i] = math.Max(math.Pow(10, e), 0x1p-1074)
		n--
	}
	// The overwritten entries may have held real mass; dividing by the
	// new sum (≥ 1/3: at most two entries below the largest were
	// removed) keeps the forced ones below 1e-300 (a subnormal may lose a
	// few bits, and stays a valid probability).
	return normalize(eta)
}

func oneHot(r *rand.Rand, k int, eps float64) []float64 {
	w := dirichlet(r, k-1, 1)
	top := r.IntN(k)
	eta := make([]float64, 0, k)
	for i, j := 0, 0; i < k; i++ {
		if i == top {
			eta = append(eta, 1-eps)
			continue
		}
		eta = append(eta, eps*w[j])
		j++
	}
	return eta
}

func nearUniform(r *rand.Rand, k int, rel float64) []float64 {
	eta := make([]float64, k)
	for i := range eta {
		eta[i] = 1 + rel*(2*r.Float64()-1)
	}
	return normalize(eta)
}

// ties assigns the K entries to d groups (each non-empty, so some group has
// two members when d < K) and gives every member of a group the same float64.
func ties(r *rand.Rand, k, d int, alpha float64) []float64 {
	w := dirichlet(r, d, alpha)
	group := make([]int, k)
	n := make([]float64, d)
	for i := range group {
		g := i
		if i >= d {
			g = r.IntN(d)
		}
		group[i] = g
		n[g]++
	}
	r.Shuffle(k, func(i, j int) { group[i], group[j] = group[j], group[i] })
	var s float64
	for g, x := range w {
		s += n[g] * x
	}
	val := make([]float64, d)
	for g, x := range w {
		val[g] = x / s
	}
	eta := make([]float64, k)
	for i, g := range group {
		eta[i] = val[g]
	}
	return eta
}

func zeros(r *rand.Rand, k, z int, alpha float64) []float64 {
	pos := dirichlet(r, k-z, alpha)
	eta := make([]float64, k)
	for j, i := range r.Perm(k)[:k-z] {
		eta[i] = pos[j]
	}
	return eta
}

// topM sets m entries to a = 1/(m + (K−m)·ratio) and the others to
// b = ratio·a, each computed once so that the ties are bitwise.
func topM(r *rand.Rand, k, m int, ratio float64) []float64 {
	a := 1 / (float64(m) + float64(k-m)*ratio)
	b := ratio * a
	eta := make([]float64, k)
	for i := range eta {
		eta[i] = b
	}
	for _, i := range r.Perm(k)[:m] {
		eta[i] = a
	}
	return eta
}

func argmax(v []float64) int {
	k := 0
	for i, x := range v {
		if x > v[k] {
			k = i
		}
	}
	return k
}

func maxOf(v []float64) float64 { return v[argmax(v)] }

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}
