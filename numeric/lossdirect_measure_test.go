package numeric

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/focaltk/focal/loss"
)

// TestLossDirectMeasure tabulates LossDirect's statuses and errors on the
// general losses over directEtas (seeded): per loss and K, how many runs
// ended Converged, IterationLimit or Failed, the largest max_j |q_j − q*_j|
// against the oracle (oracleMinimize; brier: q* = η), the largest
// W(q) − W(q*) and W(q*) − W(q) (positive where the oracle, a local
// search at K = 10, stopped above LossDirect), the largest error among
// the runs reported Converged and their largest Residual.
// A measurement, not a check: it runs only with FOCAL_MEASURE=N (N
// posteriors per family and K; the seed from FOCAL_SEED, default 1):
//
//	FOCAL_MEASURE=25 go test -run TestLossDirectMeasure -v ./numeric
func TestLossDirectMeasure(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("FOCAL_MEASURE"))
	if err != nil || n <= 0 {
		t.Skip("a measurement: set FOCAL_MEASURE=N to run it")
	}
	seed := uint64(1)
	if s, err := strconv.ParseUint(os.Getenv("FOCAL_SEED"), 10, 64); err == nil {
		seed = s
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "loss\tK\truns\tconverged\titer-limit\tfailed\tmax|q−q*|\tmax|q−q*| (conv.)\tmax W−W*\tmax W*−W\tmax residual (conv.)\t\n")
	for _, spec := range []string{"brier", "dual-focal:gamma=1", "dual-focal:gamma=2", "dual-focal:gamma=5"} {
		l, err := loss.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{2, 3, 10} {
			r := rand.New(rand.NewPCG(seed, uint64(k)))
			var counts [3]int
			var errAll, errConv, dw, dwo, resConv float64
			cases := directEtas(r, k, n)
			for _, c := range cases {
				d, err := LossDirect(c.eta, l, 0)
				if err != nil {
					t.Fatalf("seed %d: %s %v: %v", seed, spec, c.eta, err)
				}
				counts[d.Status]++
				var want []float64
				var ww float64
				if l.Name == "brier" {
					want, ww = c.eta, l.Risk(c.eta, c.eta)
				} else {
					want, ww = oracleMinimize(c.eta, l)
				}
				var e float64
				for i := range want {
					e = math.Max(e, math.Abs(d.Q[i]-want[i]))
				}
				if math.IsNaN(e) {
					e = math.Inf(1)
				}
				errAll = math.Max(errAll, e)
				dw = math.Max(dw, d.Risk-ww)
				dwo = math.Max(dwo, ww-d.Risk)
				if d.Status == Converged {
					errConv = math.Max(errConv, e)
					resConv = math.Max(resConv, d.Residual)
				}
				if os.Getenv("FOCAL_MEASURE_VERBOSE") != "" {
					t.Logf("%s K=%d %s η=%s: %v res %.3g |q−q*| %.3g W−W* %.3g", spec, k, c.family, fmtVec(c.eta), d.Status, d.Residual, e, d.Risk-ww)
				}
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%.2g\t%.2g\t%.2g\t%.2g\t%.2g\t\n", spec, k, len(cases), counts[Converged], counts[IterationLimit], counts[Failed], errAll, errConv, dw, dwo, resConv)
		}
	}
	tw.Flush()
	t.Logf("seed %d, %d posteriors per family (random, zeros, ties, near1) and K:\n%s", seed, n, b.String())
}
