package numeric_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/focaltk/focal/numeric"
)

// benchRows, benchK: the size the issue fixes for the throughput target
// (10^6 × 10 float64 at γ = 2).
const (
	benchRows = 1_000_000
	benchK    = 10
)

var sinkRows []float64

// randomRows returns n×k random probability rows (exponential weights,
// normalized), seeded.
func randomRows(n, k int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := make([]float64, n*k)
	for r := range n {
		row := m[r*k : (r+1)*k]
		for j := range row {
			row[j] = rng.ExpFloat64()
		}
		numeric.Normalize(row)
	}
	return m
}

// BenchmarkPsiRows reports elements/s of PsiRows on 10^6 × 10 at γ = 2
// and at a non-integer γ (2.5: the power by pow1mExp), each for 1 worker
// and for GOMAXPROCS workers; and at a large γ (30, the scaled path). "copy" is the memory ceiling: copy(dst, src) of the same size,
// which reads and writes as many bytes as PsiRows.
func BenchmarkPsiRows(b *testing.B) {
	src := randomRows(benchRows, benchK, 7)
	dst := make([]float64, len(src))
	// Touch dst once before timing: a fresh 80 MB slice page-faults on its
	// first write (about 40 ms here), which would otherwise be charged to
	// the first sub-benchmark only.
	copy(dst, src)
	b.Run("copy", func(b *testing.B) {
		for b.Loop() {
			copy(dst, src)
		}
		b.ReportMetric(float64(len(src))*float64(b.N)/b.Elapsed().Seconds(), "elements/s")
	})
	for _, c := range []struct {
		gamma   float64
		workers int
	}{{2, 1}, {2, 0}, {2.5, 1}, {2.5, 0}, {30, 0}} {
		name := fmt.Sprintf("gamma=%v/workers=%d", c.gamma, c.workers)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				numeric.PsiRows(dst, src, benchK, c.gamma, c.workers)
			}
			b.ReportMetric(float64(len(src))*float64(b.N)/b.Elapsed().Seconds(), "elements/s")
		})
	}
	sinkRows = dst
}

// BenchmarkBatchVariants reports elements/s of the α-balanced and sigmoid
// kernels on the same 10^6 × 10 matrix at γ = 2, GOMAXPROCS workers.
func BenchmarkBatchVariants(b *testing.B) {
	src := randomRows(benchRows, benchK, 7)
	dst := make([]float64, len(src))
	alpha := []float64{0.25, 0.5, 1, 1, 1, 2, 2, 4, 4, 8}
	for name, f := range map[string]func(){
		"balanced":      func() { numeric.PsiBalancedRows(dst, src, benchK, alpha, 2, 0) },
		"sigmoid":       func() { numeric.SigmoidRows(dst, src, benchK, []float64{0.25}, 2, 0) },
		"sigmoid-logit": func() { numeric.SigmoidLogitRows(dst, src, benchK, []float64{0.25}, 2, 0) },
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f()
			}
			b.ReportMetric(float64(len(src))*float64(b.N)/b.Elapsed().Seconds(), "elements/s")
		})
	}
	sinkRows = dst
}
