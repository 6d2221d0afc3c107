package verify

// The near-uniform limit of the boundary (gamma_near_uniform): whether ηOC
// minimizers exist arbitrarily close to the uniform vector u at γ. Unlike
// the search of boundary_search.go it needs no optimizer: the sign of G at
// q = u + s·w/K for tiny s is that of its first-order term, which
// hiprec.NearUniformGap resolves, so it suffices to try a few directions w.

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/focaltk/focal/hiprec"
)

// nearUniformDirections returns the displacement directions of the
// near-uniform test: the structured ones and four Dirichlet-random ones
// (fixed seed), each with Σ w = 0 and max |w| = 1.
func nearUniformDirections(k int) [][]float64 {
	var out [][]float64
	for _, d := range directions(k) {
		out = append(out, d.w)
	}
	exp1 := distuv.Gamma{Alpha: 1, Beta: 1, Src: rand.NewPCG(uint64(k), 0x5eed)}
	for range 4 {
		w := make([]float64, k)
		var s float64
		for i := range w {
			w[i] = exp1.Rand()
			s += w[i]
		}
		var m float64
		for i := range w {
			w[i] -= s / float64(k)
			m = math.Max(m, math.Abs(w[i]))
		}
		for i := range w {
			w[i] /= m
		}
		out = append(out, w)
	}
	return out
}

// nearUniformOC reports whether G(q) > 0, evaluated with package hiprec,
// at q = (1 + s·w)/K for some direction w, s = nearUniformStep.
func nearUniformOC(gamma float64, k int) bool {
	for _, w := range nearUniformDirections(k) {
		if hiprec.Float(hiprec.NearUniformGap(w, nearUniformStep, gamma)) > 0 {
			return true
		}
	}
	return false
}
