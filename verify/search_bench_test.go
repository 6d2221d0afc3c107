package verify

import (
	"context"
	"sync/atomic"
	"testing"
)

// sinkReport keeps the benchmarks' results alive.
var sinkChecks int64

// BenchmarkRandomPhase measures the random strategy at K = 10, γ = 0.5:
// claim checks per second over all CPUs (b.RunParallel), each goroutine
// running random work units of randomChunk cases. "checking" skips the
// shrinking and high-precision confirmation of failures (the hot loop);
// "with-confirmation" includes them (always-underconfident fails in most
// units at this (γ, K), so each unit pays a few hiprec solves); "fast-claims"
// leaves out the claims marked Slow (numeric.Direct), which dominate the
// mixed figure.
func BenchmarkRandomPhase(b *testing.B) {
	for _, bc := range []struct {
		name      string
		slow      bool
		noConfirm bool
	}{
		{"checking", true, true},
		{"with-confirmation", true, false},
		{"fast-claims", false, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var claims []Claim
			for _, c := range Claims() {
				if bc.slow || !c.Slow {
					claims = append(claims, c)
				}
			}
			s := &searcher{opt: Options{Gammas: []float64{0.5}, Ks: []int{10}, Claims: claims, Budget: 1 << 20, Seed: 1}, claims: claims, noConfirm: bc.noConfirm}
			s.plan()
			var units []*unit
			for i := range s.units {
				if s.units[i].strategy == StrategyRandom {
					units = append(units, &s.units[i])
				}
			}
			var next, checks atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				wk := newWorker(nil)
				for pb.Next() {
					u := units[int(next.Add(1)-1)%len(units)]
					r := s.runRandom(context.Background(), wk, u)
					checks.Add(r.checks)
				}
			})
			b.ReportMetric(float64(checks.Load())/b.Elapsed().Seconds(), "checks/s")
			b.ReportMetric(float64(checks.Load())/float64(b.N), "checks/op")
			sinkChecks += checks.Load()
		})
	}
}
