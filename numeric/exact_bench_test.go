package numeric

import (
	"math/rand/v2"
	"syscall"
	"testing"
)

var sinkResult Result

// benchEta returns a seeded Dirichlet(1)-like probability vector of length k.
func benchEta(k int) []float64 {
	return dirichlet1(rand.New(rand.NewPCG(1, uint64(k))), k)
}

// dirichlet1 returns a Dirichlet(1) probability vector of length k drawn
// from rng (normalized exponential variates).
func dirichlet1(rng *rand.Rand, k int) []float64 {
	eta := make([]float64, k)
	for i := range eta {
		eta[i] = rng.ExpFloat64()
	}
	return normalize(eta)
}

func BenchmarkExact(b *testing.B) {
	for _, k := range []int{10, 1000, 100000} {
		b.Run("K="+itoa(k), func(b *testing.B) {
			eta := benchEta(k)
			dst := make([]float64, k)
			var sv ExactSolver
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				r, err := sv.Minimize(dst, eta, 2)
				if err != nil {
					b.Fatal(err)
				}
				sinkResult = r
			}
			reportCPU(b, cpu)
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

// processCPU returns the CPU time this process has used so far, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// reportCPU adds the metric cpu-ns/op: the process CPU time per operation
// since start (from processCPU). On a shared machine wall time (ns/op)
// also counts the time the benchmark waited for a core; CPU time does not,
// so it is the figure to compare with a per-core target there. It is
// omitted where getrusage is unavailable.
func reportCPU(b *testing.B, start int64) {
	if end := processCPU(); start >= 0 && end >= 0 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}
