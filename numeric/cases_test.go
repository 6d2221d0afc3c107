package numeric

// The random cases of the minimizers' tests (Exact and Direct alike): the
// seed, the regimes of η the accuracy claims cover (directGens), γ over the
// covered range, and the helpers that build and compare them. Apart from
// the tests so that each test file holds tests.

import (
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// directSeed returns the seed of the random tests: FOCAL_SEED if set, else a
// fixed value. Failure messages print it.
func directSeed(t testing.TB) uint64 {
	if s := os.Getenv("FOCAL_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("FOCAL_SEED=%q: %v", s, err)
		}
		return v
	}
	return 20210601
}

// directLogGamma returns the log of a Gamma(alpha, 1) variate, drawn by
// gonum's distuv.Gamma from rng; for alpha < 1 by the boost X = Y·U^{1/alpha},
// Y ~ Gamma(alpha+1), in log space, so that the tiny variates of small
// concentrations (Dirichlet(0.01) entries far below 1e-300) do not
// underflow to 0, which would turn the regime into one with zeros.
func directLogGamma(rng *rand.Rand, alpha float64) float64 {
	if alpha < 1 {
		return directLogGamma(rng, alpha+1) + math.Log(1-rng.Float64())/alpha
	}
	return math.Log(distuv.Gamma{Alpha: alpha, Beta: 1, Src: rng}.Rand())
}

// directMinEntry is the smallest positive entry the generators produce:
// 1e-300, the bottom of the range the accuracy claim covers; smaller
// entries are set to 0.
const directMinEntry = 1e-300

// normalize divides v by its sum, in place, and returns it: the one
// normalization of the tests' random vectors (the sum stays within K ulps
// of 1, far inside SumTol, and ties stay exact). The black-box tests reach
// it as Normalize (export_test.go).
func normalize(v []float64) []float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	for i := range v {
		v[i] /= s
	}
	return v
}

// directNormalize normalizes eta and zeroes its entries below
// directMinEntry.
func directNormalize(eta []float64) []float64 {
	for i, e := range normalize(eta) {
		if e < directMinEntry {
			eta[i] = 0
		}
	}
	return eta
}

// directGen is a named generator of class-posterior vectors of length k.
type directGen struct {
	name string
	gen  func(rng *rand.Rand, k int) []float64
}

// directDirichlet draws a Dirichlet(alpha, …, alpha) vector of length k,
// from log-space Gamma variates so that small alpha does not underflow.
func directDirichlet(rng *rand.Rand, k int, alpha float64) []float64 {
	l := make([]float64, k)
	m := math.Inf(-1)
	for i := range l {
		l[i] = directLogGamma(rng, alpha)
		m = math.Max(m, l[i])
	}
	for i := range l {
		l[i] = math.Exp(l[i] - m)
	}
	return directNormalize(l)
}

// directGens are the regimes of the accuracy claim (Direct, DirectTol).
var directGens = []directGen{
	{"dirichlet", func(rng *rand.Rand, k int) []float64 {
		// Concentration log-uniform in [0.01, 100].
		return directDirichlet(rng, k, math.Pow(10, -2+4*rng.Float64()))
	}},
	{"log-uniform", func(rng *rand.Rand, k int) []float64 {
		e := make([]float64, k)
		for i := range e {
			e[i] = math.Pow(10, -300*rng.Float64())
		}
		return directNormalize(e)
	}},
	{"near-one-hot", func(rng *rand.Rand, k int) []float64 {
		e := make([]float64, k)
		eps := math.Pow(10, -300*rng.Float64())
		for i := range e {
			e[i] = eps * (1 - rng.Float64()) / float64(k)
		}
		e[rng.IntN(k)] = 1
		return directNormalize(e)
	}},
	{"ties", func(rng *rand.Rand, k int) []float64 {
		e := make([]float64, k)
		v := 1 - rng.Float64()
		for i := range e {
			if rng.IntN(2) == 0 {
				e[i] = v
			} else {
				e[i] = v * rng.Float64()
			}
		}
		return directNormalize(e)
	}},
}

// directRandGamma draws γ from the covered range [1e-6, 100]: special
// values, or log-uniform.
func directRandGamma(rng *rand.Rand) float64 {
	if rng.IntN(2) == 0 {
		return []float64{1e-6, 0.5, 1, 2, 5, 20, 50, 100}[rng.IntN(8)]
	}
	return math.Pow(10, -6+8*rng.Float64())
}

// directRelErr returns max_i |q_i − ref_i| / ref_i over ref_i > 0, and +Inf
// if q_i ≠ 0 where ref_i = 0.
func directRelErr(q, ref []float64) float64 {
	var e float64
	for i, r := range ref {
		if r == 0 {
			if q[i] != 0 {
				return math.Inf(1)
			}
			continue
		}
		if d := math.Abs(q[i]-r) / r; !(d <= e) {
			e = d
		}
	}
	return e
}
