package theory_test

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/focaltk/focal/theory"
)

var sink float64

// benchSimplex returns a seeded probability vector of length k with
// exponential(1) entries normalized (Dirichlet(1)).
func benchSimplex(k int) []float64 {
	rng := rand.New(rand.NewPCG(7, uint64(k)))
	v := make([]float64, k)
	var s float64
	for i := range v {
		v[i] = rng.ExpFloat64()
		s += v[i]
	}
	for i := range v {
		v[i] /= s
	}
	return v
}

// BenchmarkPsi reports ns per element (target at γ = 2: ≤ 10 ns/element on
// one core).
func BenchmarkPsi(b *testing.B) {
	for _, gamma := range []float64{2, 2.5, 50} {
		for _, k := range []int{10, 1000} {
			b.Run("gamma="+strconv.FormatFloat(gamma, 'g', -1, 64)+"/K="+strconv.Itoa(k), func(b *testing.B) {
				v := benchSimplex(k)
				dst := make([]float64, k)
				b.ReportAllocs()
				for b.Loop() {
					theory.Psi(dst, v, gamma)
				}
				sink = dst[0]
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*k), "ns/element")
			})
		}
	}
}

func BenchmarkTau(b *testing.B) {
	for _, gamma := range []float64{0.5, 2, 100} {
		b.Run("OC/gamma="+strconv.FormatFloat(gamma, 'g', -1, 64), func(b *testing.B) {
			for b.Loop() {
				sink = theory.TauOC(gamma)
			}
		})
		b.Run("UC/gamma="+strconv.FormatFloat(gamma, 'g', -1, 64), func(b *testing.B) {
			for b.Loop() {
				sink = theory.TauUC(gamma)
			}
		})
	}
}
