package theory_test

import (
	"math"
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

// logInputs returns n seeded inputs for BenchmarkLog: "unit" is uniform on
// (0, 1) (the probabilities the kernels take logarithms of), "wide" is
// log-uniform over [2^−1000, 2^1000].
func logInputs(n int, wide bool) []float64 {
	rng := rand.New(rand.NewPCG(11, uint64(n)))
	x := make([]float64, n)
	for i := range x {
		if wide {
			x[i] = math.Exp2(2000*rng.Float64() - 1000)
		} else {
			x[i] = rng.Float64()
		}
		if x[i] == 0 {
			x[i] = 0.5
		}
	}
	return x
}

// BenchmarkLogs: theory.Logs over a slice, against a loop of theory.Log.
func BenchmarkLogs(b *testing.B) {
	for _, k := range []int{10, 1000} {
		x := logInputs(k, false)
		dst := make([]float64, k)
		b.Run("K="+strconv.Itoa(k)+"/Logs", func(b *testing.B) {
			for b.Loop() {
				theory.Logs(dst, x)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*k), "ns/element")
		})
		b.Run("K="+strconv.Itoa(k)+"/Log", func(b *testing.B) {
			for b.Loop() {
				for i, xi := range x {
					dst[i] = theory.Log(xi)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*k), "ns/element")
		})
	}
}

// BenchmarkLog compares theory.Log with math.Log. "throughput" sums the
// logarithms of 1024 independent inputs (ns/element is the figure to quote);
// "latency" chains each result into the next argument, so every call waits
// for the previous one (ns/op includes the chain's two additions, about
// 2 ns).
func BenchmarkLog(b *testing.B) {
	fns := []struct {
		name string
		f    func(float64) float64
	}{{"theory", theory.Log}, {"math", math.Log}}
	for _, in := range []string{"unit", "wide"} {
		x := logInputs(1024, in == "wide")
		for _, fn := range fns {
			f := fn.f
			b.Run("throughput/"+in+"/"+fn.name, func(b *testing.B) {
				var s float64
				for b.Loop() {
					for _, xi := range x {
						s += f(xi)
					}
				}
				sink = s
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/element")
			})
		}
	}
	for _, fn := range fns {
		f := fn.f
		b.Run("latency/"+fn.name, func(b *testing.B) {
			y := 0.3
			for b.Loop() {
				// y converges to the fixed point y = ln(y + 2.5) − 1.2 ≈ −0.51
				// (the argument stays near 2); the time of one call does not
				// depend on the value.
				y = f(y+2.5) - 1.2
			}
			sink = y
		})
	}
}
