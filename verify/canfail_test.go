package verify

import (
	"testing"
)

// A planted fault: a case and a wrong kernel (or none, when the case alone
// lies outside what the statement allows) under which the claim's check
// must return a negative margin, while the same case with the production
// kernels returns a positive one.
type plantedFault struct {
	name  string
	gamma float64
	eta   []float64
	plant plant
}

// The planted kernels: each rewrites x (a result of the kernel at input
// in) in place.

// swapTop exchanges the largest entry of x with the second largest.
func swapTop(x, _ []float64) {
	i, j := -1, -1
	for l, v := range x {
		switch {
		case i < 0 || v > x[i]:
			i, j = l, i
		case j < 0 || v > x[j]:
			j = l
		}
	}
	x[i], x[j] = x[j], x[i]
}

// mixUniform returns x ← (1−d)·x + d·u: toward the uniform vector u
// (max x falls, other entries rise).
func mixUniform(d float64) func(x, _ []float64) {
	return func(x, _ []float64) {
		k := float64(len(x))
		for i := range x {
			x[i] = (1-d)*x[i] + d/k
		}
	}
}

// mixTop returns x ← (1−d)·x + d·e_top: toward the one-hot vector of x's
// top class (max x rises).
func mixTop(d float64) func(x, _ []float64) {
	return func(x, in []float64) {
		top := 0
		for i, v := range x {
			if v > x[top] {
				top = i
			}
		}
		for i := range x {
			x[i] *= 1 - d
		}
		x[top] += d
	}
}

// identity returns the input: a "minimizer" that answers q* = η.
func identity(x, in []float64) { copy(x, in) }

// uniformOnSupport returns the uniform vector on in's support: a point of
// S^K.
func uniformOnSupport(x, in []float64) {
	n := 0
	for _, v := range in {
		if v > 0 {
			n++
		}
	}
	for i, v := range in {
		x[i] = 0
		if v > 0 {
			x[i] = 1 / float64(n)
		}
	}
}

// scaleFirst multiplies x_0 by 1 + d (without renormalizing).
func scaleFirst(d float64) func(x, _ []float64) {
	return func(x, _ []float64) { x[0] *= 1 + d }
}

// plantedFaults gives, for every registered claim, at least one planted
// fault. TestEveryClaimCanFail requires an entry for each claim of the
// registry: a claim whose check cannot be driven negative is not a claim.
var plantedFaults = map[string][]plantedFault{
	"thm3-calibration": {{"minimizer swaps the top two entries", 1, []float64{0.5, 0.3, 0.2}, plant{minimize: swapTop}}},
	"order-preserving": {{"minimizer swaps the top two entries", 1, []float64{0.5, 0.3, 0.2}, plant{minimize: swapTop}}},
	"thm5-not-proper":  {{"minimizer returns eta", 1, []float64{0.5, 0.3, 0.2}, plant{minimize: identity}}},
	"improper-off-sk":  {{"minimizer returns eta", 1, []float64{0.5, 0.3, 0.2}, plant{minimize: identity}}},
	"prop6-sk": {
		{"eta in S^K, direct minimizer moves off eta", 1, []float64{0.5, 0.5, 0}, plant{direct: scaleFirst(1e-3)}},
		{"eta not in S^K, minimizer returns a point of S^K", 1, []float64{0.5, 0.3, 0.2}, plant{minimize: uniformOnSupport}},
	},
	"thm8-order": {
		{"tau_oc 1% too large", 1, []float64{0.5, 0.3, 0.2}, plant{tau: func(oc, uc float64) (float64, float64) { return oc * 1.01, uc }}},
		{"tau_uc 1% too small", 1, []float64{0.5, 0.3, 0.2}, plant{tau: func(oc, uc float64) (float64, float64) { return oc, uc * 0.99 }}},
		{"tau_uc 1e-4 too large at gamma = 1e-3", 1e-3, []float64{0.5, 0.3, 0.2}, plant{tau: func(oc, uc float64) (float64, float64) { return oc, uc * (1 + 1e-4) }}},
	},
	"thm8-overconfident": {{"minimizer halves the distance from uniform", 1,
		[]float64{0.11, 0.105, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.095, 0.09}, plant{minimize: mixUniform(0.5)}}},
	"thm8-underconfident": {{"minimizer halves the distance to one-hot", 1, []float64{0.7, 0.2, 0.1}, plant{minimize: mixTop(0.5)}}},
	"cor9-above-half":     {{"minimizer halves the distance to one-hot", 1, []float64{0.8, 0.15, 0.05}, plant{minimize: mixTop(0.5)}}},
	"cor10-binary":        {{"minimizer halves the distance to one-hot", 1, []float64{0.7, 0.3}, plant{minimize: mixTop(0.5)}}},
	"thm11-recovery": {
		{"direct minimizer off by 1e-3 in one entry", 1, []float64{0.5, 0.3, 0.2}, plant{direct: scaleFirst(1e-3)}},
		{"Psi off by 1e-3 in one entry", 1, []float64{0.5, 0.3, 0.2}, plant{psi: scaleFirst(1e-3)}},
	},
	"prop12-argmax":                     {{"Psi swaps the top two entries", 1, []float64{0.5, 0.3, 0.2}, plant{psi: swapTop}}},
	"gamma0-proper":                     {{"direct minimizer off by 1e-3 in one entry", 0, []float64{0.5, 0.3, 0.2}, plant{direct: scaleFirst(1e-3)}}},
	"always-underconfident":             {{"minimizer halves the distance to one-hot", 1, []float64{0.5, 0.3, 0.2}, plant{minimize: mixTop(0.5)}}},
	"overconfidence-needs-five-classes": {{"minimizer halves the distance to one-hot", 1, []float64{0.5, 0.3, 0.2}, plant{minimize: mixTop(0.5)}}},
	"footnote-2-threshold": {{"minimizer halves the distance from uniform", 0.02,
		[]float64{0.3, 0.25, 0.2, 0.15, 0.1}, plant{minimize: mixUniform(0.5)}}},
}

// TestEveryClaimCanFail checks, for every registered claim, that a planted
// fault drives its margin negative and that the same case with the
// production kernels gives a positive margin (so that the fault, not the
// case, made the difference). A claim registered without a planted fault
// fails the test.
func TestEveryClaimCanFail(t *testing.T) {
	for _, c := range Claims() {
		faults := plantedFaults[c.ID]
		if len(faults) == 0 {
			t.Errorf("claim %s has no planted fault in plantedFaults: show that its check can fail", c.ID)
			continue
		}
		for _, f := range faults {
			cs := Case{Eta: f.eta, Gamma: f.gamma}
			if !c.Applies(f.gamma, len(f.eta)) {
				t.Errorf("%s (%s): the claim does not apply at gamma = %v, K = %d", c.ID, f.name, f.gamma, len(f.eta))
				continue
			}
			var good Eval
			m, ok, err := c.Check(&good, cs)
			if err != nil || !ok || !(m > 0) {
				t.Errorf("%s (%s): production kernels give margin %v, ok %v, err %v at %v; want a positive margin", c.ID, f.name, m, ok, err, cs)
			}
			p := f.plant
			bad := Eval{plant: &p}
			m, ok, err = c.Check(&bad, cs)
			if err != nil || !ok || !(m < 0) {
				t.Errorf("%s (%s): planted fault gives margin %v, ok %v, err %v at %v; want a negative margin", c.ID, f.name, m, ok, err, cs)
			}
		}
	}
	for id := range plantedFaults {
		if _, ok := Lookup(id); !ok {
			t.Errorf("plantedFaults names %q, which is not a registered claim", id)
		}
	}
}

// TestTauOrderAcrossGamma: thm8-order proves 0 < τ_oc < τ_uc < 1/2 from
// signs of φ (positive margin) over the range of γ where float64 can place
// its brackets, gives no verdict (never a negative margin) below it, and
// the high-precision Eval agrees.
func TestTauOrderAcrossGamma(t *testing.T) {
	c, _ := Lookup("thm8-order")
	for _, g := range []float64{1e-300, 1e-30, 1e-16, 1e-14, 1e-12, 1e-9, 1e-6, 1e-3, 0.0293, 0.5, 1, 2, 10, 100, MaxGamma} {
		for _, hp := range []bool{false, true} {
			ev := Eval{HighPrecision: hp}
			m, ok, err := c.Check(&ev, Case{Eta: []float64{0.5, 0.5}, Gamma: g})
			switch {
			case err != nil:
				t.Errorf("gamma %v (hiprec %v): %v", g, hp, err)
			case g >= 1e-14 && !(ok && m > 0):
				t.Errorf("gamma %v (hiprec %v): margin %v, ok %v; want a positive margin", g, hp, m, ok)
			case ok && !(m > 0):
				t.Errorf("gamma %v (hiprec %v): margin %v; want a positive margin or no verdict", g, hp, m)
			}
		}
	}
}
