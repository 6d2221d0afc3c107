package numeric

import (
	"testing"

	"github.com/focaltk/focal/loss"
)

var sinkLossResult LossResult

// lossBenchSpecs are the losses of BenchmarkLossExact: the focal loss (by
// Exact, the reference), and the separable losses that take the generic
// monotone solver.
var lossBenchSpecs = []string{"focal:gamma=2", "poly1:eps=1", "ce", "gce:q=0.7", "ls:eps=0.1"}

// BenchmarkLossExact reports the time of LossExact at K = 10 on the
// posterior of BenchmarkExact/K=10, for the focal loss and the losses the
// generic exact solver takes (target: at most 10× BenchmarkExact/K=10).
func BenchmarkLossExact(b *testing.B) {
	for _, spec := range lossBenchSpecs {
		l, err := loss.Parse(spec)
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range []int{10} {
			b.Run("loss="+spec+"/K="+itoa(k), func(b *testing.B) {
				eta := benchEta(k)
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					r, err := LossExact(eta, l)
					if err != nil {
						b.Fatal(err)
					}
					sinkLossResult = r
				}
				reportCPU(b, cpu)
			})
		}
	}
}
