package proptest

import (
	"testing"

	"github.com/focaltk/focal/gen"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/verify"
)

// edgeGammas are the γ of the edge examples: cross-entropy, the smallest
// and largest γ of the generators, and the paper's usual values.
var edgeGammas = []float64{0, 1e-6, 1, 2, 100}

// Named edge values.
const (
	oneMinusUlp = 1 - 0x1p-53 // the largest float64 below 1
	halfUlp     = 0x1p-53
	minNormal   = 0x1p-1022
	minSub      = 0x1p-1074 // the smallest subnormal
)

// edgeEtas are explicit probability vectors at the edges the random
// regimes reach only by chance: zeros, ties, entries 1e-300 and
// subnormal, 1 − 2^−53, K = 2 and K = 2000 (the vector one ulp off the
// uniform one is at K = 200: its margins are noise that hiprec must
// confirm, which takes about a second per γ at K = 2000).
func edgeEtas() []struct {
	name string
	eta  []float64
} {
	build := func(spec gen.Spec) []float64 { return gen.Build(spec, 0).Eta }
	return []struct {
		name string
		eta  []float64
	}{
		{"K2-tie", []float64{0.5, 0.5}},
		{"K2-vertex", []float64{0, 1}},
		{"K2-plain", []float64{0.7, 0.3}},
		{"K2-one-minus-ulp", []float64{oneMinusUlp, halfUlp}},
		{"K2-1e-300", []float64{1, 1e-300}},
		{"K2-min-normal", []float64{1, minNormal}},
		{"K2-subnormal", []float64{1, 1e-310}},
		{"K2-min-subnormal", []float64{1, minSub}},
		{"K3-zero-tie", []float64{0.5, 0, 0.5}},
		{"K3-top-tie", []float64{0.4, 0.4, 0.2}},
		{"K3-bottom-tie", []float64{0.2, 0.6, 0.2}},
		{"K3-one-minus-ulp-tie", []float64{oneMinusUlp, 0x1p-54, 0x1p-54}},
		{"K3-1e-300", []float64{0.6, 0.4, 1e-300}},
		{"K3-subnormal", []float64{0.5, 0.5, 1e-310}},
		{"K3-1e-300-tie", []float64{1, 1e-300, 1e-300}},
		{"K5-zeros-ties", []float64{0.3, 0, 0.2, 0.3, 0.2}},
		{"K5-near-uniform", build(gen.Spec{Regime: gen.NearUniform, K: 5, Param: 1e-6, Seed: 1})},
		{"K2000-uniform", build(gen.Spec{Regime: gen.Ties, K: 2000, M: 1, Param: 1, Seed: 1})},
		{"K200-one-below", build(gen.Spec{Regime: gen.TopM, K: 200, M: 199, Param: 1, Seed: 1})},
		{"K2000-near-uniform", build(gen.Spec{Regime: gen.NearUniform, K: 2000, Param: 1e-3, Seed: 1})},
		{"K2000-dirichlet", build(gen.Spec{Regime: gen.Dirichlet, K: 2000, Param: 1, Seed: 1})},
		{"K2000-top3", build(gen.Spec{Regime: gen.TopM, K: 2000, M: 3, Param: 0.5, Seed: 1})},
		{"K2000-tiny", build(gen.Spec{Regime: gen.Tiny, K: 2000, Param: -300, Tiny: 2, Seed: 1})},
	}
}

// TestEdges runs every theorem claim and every kernel check on the edge
// examples at every edge γ; checks that call the direct minimizer run at
// K ≤ kMaxDirect only. Each failing check is reported; none stops the
// others.
func TestEdges(t *testing.T) {
	t.Parallel()
	kernel := []struct {
		name   string
		direct bool
		check  func(gen.Sample) (string, bool)
	}{
		{"exact-structure", false, checkExactStructure},
		{"exact-is-minimum", false, checkExactIsMinimum},
		{"psi-inverts-exact", false, checkPsiInvertsExact},
		{"exact-vs-direct", true, checkExactVsDirect},
	}
	var ev verify.Eval
	hp := verify.Eval{HighPrecision: true}
	for _, e := range edgeEtas() {
		for _, g := range edgeGammas {
			s := gen.Sample{Eta: e.eta, Gamma: g, Regime: "edge:" + e.name}
			small := len(e.eta) <= kMaxDirect
			for _, c := range verify.Claims() {
				if c.Kind != verify.Theorem || !c.Applies(g, len(e.eta)) || (callsDirect(c) && !small) {
					continue
				}
				if fail, _ := checkTheorem(&ev, &hp, c, s, nil); fail != "" {
					t.Errorf("%s gamma=%g: %s", e.name, g, fail)
				}
			}
			for _, k := range kernel {
				if k.direct && !small {
					continue
				}
				if fail, _ := k.check(s); fail != "" {
					t.Errorf("%s gamma=%g: %s: %s", e.name, g, k.name, fail)
				}
			}
		}
	}
}

// TestLogHEdges checks that log h is increasing on every pair of edge
// values of [0, 1] (hEdges) at every edge γ.
func TestLogHEdges(t *testing.T) {
	t.Parallel()
	for _, g := range edgeGammas {
		for i, u := range hEdges {
			for _, v := range hEdges[i+1:] {
				if fail, _ := checkLogHIncreasing(hPair{u, v, g}); fail != "" {
					t.Error(fail)
				}
			}
		}
	}
}

// TestEdgeValuesValid guards the table: every edge vector is valid input.
func TestEdgeValuesValid(t *testing.T) {
	for _, e := range edgeEtas() {
		if err := numeric.ValidateEta(e.eta, 0); err != nil {
			t.Errorf("%s: %v", e.name, err)
		}
	}
}
