package proptest

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leanovate/gopter"

	"github.com/focaltk/focal/gen"
)

const (
	// defaultSeed is the gopter seed when FOCAL_SEED is unset: fixed, so
	// that CI runs are reproducible.
	defaultSeed = 20210619
	// defaultCases is the minimum number of decided cases per property
	// when FOCAL_CASES is unset.
	defaultCases = 1000
	// maxDiscardRatio bounds the undecided cases (outside a claim's
	// hypothesis, ok = false, or outside the property's entry range) per
	// decided one. The largest ratio measured is about 2.3 (cor9-above-half,
	// whose hypothesis max q* > 1/2 excludes spread vectors); the bound
	// only stops a property that can no longer find cases at all.
	maxDiscardRatio = 60

	// slowCase: a single case taking longer than this is logged with its
	// input; the slowest normal case (Direct at K = 64) takes ~50 ms.
	slowCase = 10 * time.Second

	// kMaxCheap is the largest K of the properties that only call the
	// exact minimizer, Ψ or the thresholds (O(K) each).
	kMaxCheap = 1000
	// kMaxDirect is the largest K of the properties that call the direct
	// minimizer (BFGS, O(K²) per iteration): measured at about 1 ms per
	// case on average for K ≤ 64 without -race.
	kMaxDirect = 64
)

// config returns the gopter seed and the number of cases, from FOCAL_SEED
// and FOCAL_CASES or their defaults.
func config(t *testing.T) (seed int64, cases int) {
	t.Helper()
	seed, cases = defaultSeed, defaultCases
	if s := os.Getenv("FOCAL_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("FOCAL_SEED=%q: %v", s, err)
		}
		seed = v
	}
	if s := os.Getenv("FOCAL_CASES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("FOCAL_CASES=%q: want a positive integer", s)
		}
		cases = v
	}
	return seed, cases
}

// rerun returns the command that reruns the current (sub)test with the
// given seed and number of cases.
func rerun(t *testing.T, seed int64, cases int) string {
	return fmt.Sprintf("FOCAL_SEED=%d FOCAL_CASES=%d go test ./proptest -run '%s'",
		seed, cases, runPattern(t.Name()))
}

// runPattern anchors each level of a test name for go test -run.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// maxHeap bounds the live heap of the test binary: a kernel that allocates
// without bound (a development version of numeric.Direct reached 24 GB on
// one input, and the OOM killer took the whole report with it) stops the
// binary with the inputs of the running cases instead. The properties
// themselves need well under 100 MB.
const maxHeap = 4 << 30

// running maps a test name to the runningCase it is checking.
var running sync.Map

type runningCase struct {
	value any
	rerun string
}

func TestMain(m *testing.M) {
	stop := make(chan struct{})
	go watchHeap(stop)
	code := m.Run()
	close(stop)
	os.Exit(code)
}

// watchHeap panics, after listing the running cases on stderr, once the
// live heap exceeds maxHeap.
func watchHeap(stop chan struct{}) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		if heap := sample[0].Value.Uint64(); heap > maxHeap {
			running.Range(func(name, c any) bool {
				rc := c.(runningCase)
				fmt.Fprintf(os.Stderr, "%s: running case (rerun: %s): %+v\n", name, rc.rerun, rc.value)
				return true
			})
			panic(fmt.Sprintf("proptest: live heap %d MB exceeds %d MB; the running cases are listed above", heap>>20, maxHeap>>20))
		}
	}
}

// runProperty checks fn on cases from g (which must generate values of
// type T) with the configured seed and number of cases, and reports a
// failure with the shrunk counterexample, the original one, and the command
// that reruns the test. fn returns decided = false for a case outside the
// property's hypothesis (discarded, and not shrunk); otherwise failure is
// "" when the property holds and otherwise a label that states the margin
// and the inputs.
func runProperty[T any](t *testing.T, statement string, g gopter.Gen, fn func(T) (failure string, decided bool)) {
	t.Helper()
	seed, cases := config(t)
	params := gopter.DefaultTestParametersWithSeed(seed)
	params.MinSuccessfulTests = cases
	params.MaxDiscardRatio = maxDiscardRatio
	var decided, discarded int
	props := gopter.NewProperties(params)
	cmd := rerun(t, seed, cases)
	watched := func(v T) (string, bool) {
		// Report a case that hangs, on stderr at once: go test's
		// -timeout dump shows neither the input nor buffered t.Log output.
		timer := time.AfterFunc(slowCase, func() {
			fmt.Fprintf(os.Stderr, "%s: case still running after %v (rerun: %s): %+v\n",
				t.Name(), slowCase, cmd, v)
		})
		running.Store(t.Name(), runningCase{v, cmd})
		defer func() {
			timer.Stop()
			running.Delete(t.Name())
		}()
		return fn(v)
	}
	props.Property(statement, forAll(g, watched, &decided, &discarded))
	var out bytes.Buffer
	if !props.Run(gopter.NewFormatedReporter(true, 1<<20, &out)) {
		t.Errorf("%s\nrerun: %s", strings.TrimSpace(out.String()), cmd)
		return
	}
	t.Logf("%d cases decided, %d discarded (seed %d)", decided, discarded, seed)
}

// forAll is prop.ForAll for one generator, except that an undecided case
// is discarded without shrinking (prop.ForAll shrinks every case that is
// not a success, undecided ones included), and that only a failure is
// shrunk, to the last failing value reached by following the first
// failing candidate of each shrink stream (at most MaxShrinkCount steps).
func forAll[T any](g gopter.Gen, fn func(T) (string, bool), decided, discarded *int) gopter.Prop {
	return gopter.SaveProp(func(p *gopter.GenParameters) *gopter.PropResult {
		res := g(p)
		v, ok := res.Retrieve()
		if !ok {
			*discarded++
			return &gopter.PropResult{Status: gopter.PropUndecided}
		}
		fail, ok := fn(v.(T))
		switch {
		case !ok:
			*discarded++
			return &gopter.PropResult{Status: gopter.PropUndecided}
		case fail == "":
			*decided++
			return &gopter.PropResult{Status: gopter.PropTrue}
		}
		orig, origFail := v, fail
		shrinks := 0
	shrinking:
		for shrinks < p.MaxShrinkCount {
			next := res.Shrinker(v).Filter(res.Sieve)
			for w, ok := next(); ok; w, ok = next() {
				if f, dec := fn(w.(T)); dec && f != "" {
					v, fail = w, f
					shrinks++
					continue shrinking
				}
			}
			break
		}
		labels := []string{fail}
		if shrinks > 0 {
			labels = append(labels, "before shrinking: "+origFail)
		}
		return &gopter.PropResult{
			Status: gopter.PropFalse,
			Labels: labels,
			Args: []*gopter.PropArg{gopter.NewPropArg(res, shrinks, v, fmt.Sprintf("%+v", v),
				orig, fmt.Sprintf("%+v", orig))},
		}
	})
}

// tinyEntry is the threshold below which the kernels document no accuracy
// ("a few ulps for every entry ≥ 1e-300", numeric/exact.go, theory/psi.go):
// cases with positive entries below it are tested as a separate range.
const tinyEntry = 1e-300

// entryRange splits the cases of a property by the size of η's entries, so
// that a failure specific to tiny entries does not hide the others (gopter
// reports only the first failure of a property).
type entryRange struct {
	name string
	tiny bool // some 0 < η_i < tinyEntry
}

var entryRanges = []entryRange{{"main", false}, {"tiny", true}}

// hasTiny reports whether some entry of eta is positive and below tinyEntry.
func hasTiny(eta []float64) bool {
	for _, e := range eta {
		if e > 0 && e < tinyEntry {
			return true
		}
	}
	return false
}

// samples returns the generator of the range: gen.SamplesWhere for main,
// gen.TinySamplesWhere (vectors with forced entries below 1e-300) for tiny.
func (r entryRange) samples(kMin, kMax int, pred func(float64, int) bool) gopter.Gen {
	if r.tiny {
		return gen.TinySamplesWhere(kMin, kMax, pred)
	}
	return gen.SamplesWhere(kMin, kMax, pred)
}

// restrict makes the cases outside r undecided.
func (r entryRange) restrict(fn func(gen.Sample) (string, bool)) func(gen.Sample) (string, bool) {
	return func(s gen.Sample) (string, bool) {
		if hasTiny(s.Eta) != r.tiny {
			return "", false
		}
		return fn(s)
	}
}

// forEntryRanges runs f as parallel subtests <name>/main and <name>/tiny.
func forEntryRanges(t *testing.T, f func(*testing.T, entryRange)) {
	for _, r := range entryRanges {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			f(t, r)
		})
	}
}

// ulp is the unit roundoff 2^−52 in which the tolerances below are counted
// (an ulp of a number in [1, 2)).
const ulp = 0x1p-52

func fmtF(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// genParams returns gopter generator parameters whose source is seeded with
// seed, for tests that draw samples directly.
func genParams(seed int64) *gopter.GenParameters {
	p := gopter.DefaultGenParameters()
	p.Rng = rand.New(gopter.NewLockedSource(seed))
	return p
}
