package numeric

import (
	"math/rand/v2"
	"testing"
)

var sinkResult Result

// benchEta returns a seeded Dirichlet(1)-like probability vector of length k.
func benchEta(k int) []float64 {
	rng := rand.New(rand.NewPCG(1, uint64(k)))
	eta := make([]float64, k)
	var s float64
	for i := range eta {
		eta[i] = rng.ExpFloat64()
		s += eta[i]
	}
	for i := range eta {
		eta[i] /= s
	}
	return eta
}

func BenchmarkExact(b *testing.B) {
	for _, k := range []int{10, 1000, 100000} {
		b.Run("K="+itoa(k), func(b *testing.B) {
			eta := benchEta(k)
			dst := make([]float64, k)
			var sv ExactSolver
			b.ReportAllocs()
			for b.Loop() {
				r, err := sv.Minimize(dst, eta, 2)
				if err != nil {
					b.Fatal(err)
				}
				sinkResult = r
			}
		})
	}
}

func itoa(k int) string {
	switch k {
	case 100000:
		return "1e5"
	}
	s := ""
	for ; k > 0; k /= 10 {
		s = string(rune('0'+k%10)) + s
	}
	return s
}
