package gen

import (
	"math"
	"math/rand"
	"reflect"
	"testing"

	"github.com/leanovate/gopter"

	"github.com/focaltk/focal/numeric"
)

func params(seed int64) *gopter.GenParameters {
	p := gopter.DefaultGenParameters()
	p.Rng = rand.New(gopter.NewLockedSource(seed))
	return p
}

// draws is how many samples the distribution tests draw.
const draws = 3000

// TestValidAndFeatures draws many samples and checks that each is a valid
// probability vector and that the features the regimes promise occur.
func TestValidAndFeatures(t *testing.T) {
	p := params(1)
	g := Samples(2, 300)
	seen := map[string]int{}
	var nTie, nZero, nBelow300, nSubnormal, nOneMinusUlp, nInSK, nK2, nKMax int
	gammas := map[float64]int{}
	for range draws {
		v, ok := g(p).Retrieve()
		if !ok {
			t.Fatal("Samples gave no value")
		}
		s := v.(Sample)
		if err := numeric.ValidateEta(s.Eta, s.Gamma); err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		seen[s.Regime]++
		gammas[s.Gamma]++
		k := len(s.Eta)
		if k == 2 {
			nK2++
		}
		if k == 300 {
			nKMax++
		}
		vals := map[float64]bool{}
		tie, sk := false, true
		top := maxOf(s.Eta)
		for _, x := range s.Eta {
			if x > 0 && vals[x] {
				tie = true
			}
			vals[x] = true
			if x == 0 {
				nZero++
			}
			if x > 0 && x < 1e-300 {
				nBelow300++
			}
			if x > 0 && x < 0x1p-1022 {
				nSubnormal++
			}
			if x == 1-0x1p-53 {
				nOneMinusUlp++
			}
			if x != 0 && x != top {
				sk = false
			}
		}
		if tie {
			nTie++
		}
		if sk {
			nInSK++
		}
	}
	for _, r := range Regimes {
		if n := seen[r]; n < draws/len(Regimes)/2 {
			t.Errorf("regime %s drawn %d times in %d", r, n, draws)
		}
	}
	for _, g := range []float64{0, 1, 2, MinGamma, MaxGamma} {
		if gammas[g] < draws/50 {
			t.Errorf("gamma %g drawn %d times in %d", g, gammas[g], draws)
		}
	}
	t.Logf("ties %d, zeros %d, <1e-300 %d, subnormal %d, 1-2^-53 %d, in S^K %d, K=2 %d, K=max %d",
		nTie, nZero, nBelow300, nSubnormal, nOneMinusUlp, nInSK, nK2, nKMax)
	for name, n := range map[string]int{"ties": nTie, "zeros": nZero, "<1e-300": nBelow300,
		"subnormal": nSubnormal, "1-2^-53": nOneMinusUlp, "S^K": nInSK, "K=2": nK2, "K=max": nKMax} {
		if n == 0 {
			t.Errorf("no %s in %d samples", name, draws)
		}
	}
}

// TestRegimes builds every regime at edge K with edge parameters.
func TestRegimes(t *testing.T) {
	for _, r := range Regimes {
		for _, k := range []int{2, 3, 5, 1000, 2000} {
			for _, param := range []float64{-1e9, 0, 1e-12, 0.5, 1, 1e9, math.NaN()} {
				for _, m := range []int{-1, 0, 1, k / 2, k - 1, k, k + 1} {
					spec := Spec{Regime: r, K: k, Param: param, M: m, Tiny: m % 4, Seed: uint64(k*31 + m)}
					s := Build(spec, 1) // Build panics on an invalid vector
					if len(s.Eta) != k || s.Regime != r {
						t.Fatalf("%v: got %v", spec, s)
					}
				}
			}
		}
	}
}

// TestTiesBitwise checks that Ties and TopM repeat a value bitwise.
func TestTiesBitwise(t *testing.T) {
	for seed := range uint64(200) {
		for _, r := range []string{Ties, TopM} {
			k := 4 + int(seed%50) // M = k/2 ≥ 2 top entries tie
			s := Build(Spec{Regime: r, K: k, Param: 1, M: k / 2, Seed: seed}, 1)
			distinct := map[uint64]bool{}
			for _, x := range s.Eta {
				distinct[math.Float64bits(x)] = true
			}
			if len(distinct) >= k {
				t.Fatalf("%v: no tie in %v", s.Spec, s.Eta)
			}
		}
	}
}

// TestReproducible checks that a seed reproduces the samples and that a
// Spec reproduces its vector.
func TestReproducible(t *testing.T) {
	a, b := params(7), params(7)
	g := Samples(2, 100)
	for range 200 {
		x, _ := g(a).Retrieve()
		y, _ := g(b).Retrieve()
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("same seed, different samples: %v vs %v", x, y)
		}
		s := x.(Sample)
		if z := Build(s.Spec, s.Gamma); !reflect.DeepEqual(z, s) {
			t.Fatalf("Build(%v) = %v, want %v", s.Spec, z, s)
		}
	}
}

// TestShrinksStayValid walks shrink streams and checks that every shrunk
// value passes the generator's sieve constraints.
func TestShrinksStayValid(t *testing.T) {
	p := params(3)
	gens := map[string]gopter.Gen{
		"Samples":   Samples(2, 200),
		"SamplesAt": SamplesAt(17, 0.5),
		"EtaRange":  EtaRange(3, 200),
		"Eta":       Eta(9),
		"Gamma":     Gamma(),
		"Where": SamplesWhere(2, 64, func(g float64, k int) bool {
			return k == 5 && g > 0 && g <= 0.03
		}),
		"TinyWhere": TinySamplesWhere(2, 300, func(g float64, k int) bool { return g > 0 }),
	}
	for name, g := range gens {
		for range 100 {
			res := g(p)
			v, ok := res.Retrieve()
			if !ok {
				t.Fatalf("%s: no value", name)
			}
			// Follow the first shrink repeatedly, checking all of
			// each stream.
			for depth := 0; depth < 20; depth++ {
				all := res.Shrinker(v).Filter(res.Sieve).All()
				for _, w := range all {
					checkValid(t, name, w)
				}
				if len(all) == 0 {
					break
				}
				v = all[0]
			}
		}
	}
}

func checkValid(t *testing.T, name string, v interface{}) {
	t.Helper()
	switch x := v.(type) {
	case Sample:
		if err := numeric.ValidateEta(x.Eta, x.Gamma); err != nil {
			t.Fatalf("%s: shrunk to invalid %v: %v", name, x, err)
		}
		if name == "SamplesAt" && (len(x.Eta) != 17 || x.Gamma != 0.5) {
			t.Fatalf("%s: shrink changed K or gamma: %v", name, x)
		}
		if name == "TinyWhere" && (!hasTiny(x.Eta) || x.Gamma == 0) {
			t.Fatalf("%s: shrunk to %v: no entry below 1e-300 or gamma = 0", name, x)
		}
	case []float64:
		if err := numeric.ValidateEta(x, 0); err != nil {
			t.Fatalf("%s: shrunk to invalid %v: %v", name, x, err)
		}
		if name == "Eta" && len(x) != 9 {
			t.Fatalf("%s: shrink changed K: %v", name, x)
		}
		if len(x) < 3 {
			t.Fatalf("%s: shrunk below kMin: %v", name, x)
		}
	case float64:
		if !(x >= 0 && x <= MaxGamma) {
			t.Fatalf("%s: shrunk to gamma %v", name, x)
		}
	default:
		t.Fatalf("%s: unexpected %T", name, v)
	}
}

func hasTiny(eta []float64) bool {
	for _, e := range eta {
		if e > 0 && e < 1e-300 {
			return true
		}
	}
	return false
}

// TestTinySamples checks that every TinySamplesWhere vector has an entry
// below 1e-300, for every regime, and that some are subnormal.
func TestTinySamples(t *testing.T) {
	p := params(11)
	g := TinySamplesWhere(2, 1000, nil)
	seen := map[string]int{}
	sub := 0
	for range draws {
		v, ok := g(p).Retrieve()
		if !ok {
			t.Fatal("no value")
		}
		s := v.(Sample)
		if !hasTiny(s.Eta) {
			t.Fatalf("no entry below 1e-300: %v", s)
		}
		seen[s.Regime]++
		if minPositive(s.Eta) < 0x1p-1022 {
			sub++
		}
	}
	if len(seen) != len(Regimes) || sub < draws/3 {
		t.Errorf("regimes %v, %d of %d with a subnormal entry", seen, sub, draws)
	}
}

func minPositive(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		if x > 0 {
			m = math.Min(m, x)
		}
	}
	return m
}
