package verify

import (
	"context"
	"testing"

	"github.com/focaltk/focal/loss"
)

// BenchmarkLossSearch measures a whole loss search (Search with
// Options.Loss: every strategy, shrinking and hiprec confirmation
// included) at K = 10 and the default budget, on every CPU: claim checks
// per second of wall time. The target is 100,000 checks/s for
// poly1 on 2 cores. "focal-gamma-0.5" is the focal search at one γ in the
// same run, as a baseline.
func BenchmarkLossSearch(b *testing.B) {
	for _, spec := range []string{"poly1:eps=1", "ce", "gce:q=0.5", "ls:eps=0.1"} {
		b.Run(spec, func(b *testing.B) {
			l, err := loss.Parse(spec)
			if err != nil {
				b.Fatal(err)
			}
			benchSearch(b, Options{Loss: l, Ks: []int{10}, Seed: 1})
		})
	}
	b.Run("focal-gamma-0.5", func(b *testing.B) {
		benchSearch(b, Options{Gammas: []float64{0.5}, Ks: []int{10}, Seed: 1})
	})
}

func benchSearch(b *testing.B, opt Options) {
	var checks int64
	var wall float64
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Search(context.Background(), opt)
		if err != nil {
			b.Fatal(err)
		}
		checks += rep.Checks
		wall += float64(rep.Timing.WallSeconds)
	}
	b.ReportMetric(float64(checks)/wall, "checks/s")
	b.ReportMetric(float64(checks)/float64(b.N), "checks/op")
	sinkChecks += checks
}
