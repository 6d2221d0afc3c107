package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/focaltk/focal/numeric"
)

// testSeed is the seed of the searches in these tests; FOCAL_SEED
// overrides it (the failing seed is printed by each test).
func testSeed(t testing.TB) uint64 {
	if s := os.Getenv("FOCAL_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("bad FOCAL_SEED %q", s)
		}
		return v
	}
	return 1
}

func mustSearch(t *testing.T, opt Options) *Report {
	t.Helper()
	rep, err := Search(context.Background(), opt)
	if err != nil {
		t.Fatalf("Search(seed %d): %v", opt.Seed, err)
	}
	return rep
}

// jsonNoTiming encodes the report without its Timing (the only part that
// may differ between runs).
func jsonNoTiming(t *testing.T, rep *Report) []byte {
	t.Helper()
	cp := *rep
	cp.Timing = nil
	var b bytes.Buffer
	if err := WriteJSON(&b, &cp); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func claimsByID(t *testing.T, ids ...string) []Claim {
	t.Helper()
	var out []Claim
	for _, id := range ids {
		c, ok := Lookup(id)
		if !ok {
			t.Fatalf("no claim %q", id)
		}
		out = append(out, c)
	}
	return out
}

func result(t *testing.T, rep *Report, gamma float64, k int, id string) *Result {
	t.Helper()
	for i := range rep.Results {
		r := &rep.Results[i]
		if float64(r.Gamma) == gamma && r.K == k && r.ID == id {
			return r
		}
	}
	t.Fatalf("no result for %s at (%v, %d)", id, gamma, k)
	return nil
}

// hiprecMaxGap returns max q* − max η/Σ η with q* from hiprec.Minimize,
// formed in decimal arithmetic: an oracle for over-confidence that shares
// no code with the claims.
func hiprecMaxGap(t *testing.T, eta []float64, gamma float64) float64 {
	t.Helper()
	m, _, err := hiprecOCMargin(eta, gamma)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The known counterexample: at K = 10 and γ = 0.5 some minimizers are
// over-confident (Fig. 2b of the paper shows it at K = 1000).
func TestSearchRefutesAlwaysUnderconfident(t *testing.T) {
	seed := testSeed(t)
	rep := mustSearch(t, Options{Gammas: []float64{0.5}, Ks: []int{10}, Claims: claimsByID(t, "always-underconfident"), Budget: 300, Seed: seed, Workers: 2})
	r := result(t, rep, 0.5, 10, "always-underconfident")
	if r.Status != Refuted || r.Counterexample == nil {
		t.Fatalf("seed %d: status %s, want refuted with a counterexample", seed, r.Status)
	}
	c := r.Counterexample
	if !(c.Margin < 0 && c.MarginHiprec < -ConfirmFloor) {
		t.Errorf("seed %d: margins %v (float64), %v (hiprec), want both negative", seed, c.Margin, c.MarginHiprec)
	}
	// Independent oracle: the 40-digit minimizer at η is over-confident.
	eta := float64s(c.Eta)
	if g := hiprecMaxGap(t, eta, 0.5); !(g > 0) {
		t.Errorf("seed %d: hiprec max q* − max η = %v at η = %v, want > 0", seed, g, eta)
	}
	if len(c.Q) != 10 || len(c.Psi) != 10 || c.Strategy == "" || c.Seed == 0 {
		t.Errorf("incomplete counterexample %+v", c)
	}
	// Ψ(q*) = η (Thm 11), to the rounding of hiprec's results.
	for i := range eta {
		if d := math.Abs(float64(c.Psi[i]) - eta[i]); d > 1e-15*math.Max(eta[i], 1e-300) && d > 1e-300 {
			t.Errorf("Ψ(q*)[%d] = %v, η = %v", i, c.Psi[i], eta[i])
		}
	}
}

func TestSearchDeterministicAcrossWorkers(t *testing.T) {
	opt := Options{Gammas: []float64{0.5, 2}, Ks: []int{3, 10}, Budget: 120, Seed: testSeed(t)}
	opt.Workers = 1
	a := jsonNoTiming(t, mustSearch(t, opt))
	opt.Workers = 2
	b := jsonNoTiming(t, mustSearch(t, opt))
	opt.Workers = 5
	c := jsonNoTiming(t, mustSearch(t, opt))
	if !bytes.Equal(a, b) || !bytes.Equal(a, c) {
		t.Fatalf("seed %d: reports differ between 1, 2 and 5 workers", opt.Seed)
	}
}

func TestShardMergeEqualsWhole(t *testing.T) {
	opt := Options{Gammas: []float64{0.5, 1}, Ks: []int{4, 10}, Budget: 150, Seed: testSeed(t), Workers: 2}
	whole := jsonNoTiming(t, mustSearch(t, opt))
	var shards []*Report
	for i := 3; i >= 1; i-- { // any order
		o := opt
		o.ShardIndex, o.ShardCount = i, 3
		rep := mustSearch(t, o)
		if rep.Shard == nil || rep.Shard.Index != i {
			t.Fatalf("shard %d report has Shard %+v", i, rep.Shard)
		}
		// Through JSON, as the CLI does.
		var back Report
		if err := json.Unmarshal(jsonNoTiming(t, rep), &back); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, &back)
	}
	merged, err := Merge(shards)
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonNoTiming(t, merged); !bytes.Equal(got, whole) {
		t.Fatalf("seed %d: merged shards differ from the whole run:\n%s\nwant\n%s", opt.Seed, got, whole)
	}
	// Bad merges.
	if _, err := Merge(shards[:2]); !errors.Is(err, ErrMerge) {
		t.Errorf("missing shard: err = %v", err)
	}
	if _, err := Merge(append(shards, shards[0])); !errors.Is(err, ErrMerge) {
		t.Errorf("duplicate shard: err = %v", err)
	}
	other := *shards[0]
	other.Seed++
	if _, err := Merge([]*Report{&other, shards[1], shards[2]}); !errors.Is(err, ErrMerge) {
		t.Errorf("different seed: err = %v", err)
	}
}

// A unit's cases depend only on the seed, γ, K, the claim and the budget,
// not on the rest of the grid: a run restricted to one (γ, K) and claim
// reproduces the result of a larger run.
func TestUnitsIndependentOfGrid(t *testing.T) {
	seed := testSeed(t)
	big := mustSearch(t, Options{Gammas: []float64{1, 0.5}, Ks: []int{5, 10}, Budget: 100, Seed: seed})
	small := mustSearch(t, Options{Gammas: []float64{0.5}, Ks: []int{10}, Claims: claimsByID(t, "always-underconfident"), Budget: 100, Seed: seed})
	a, _ := json.Marshal(result(t, big, 0.5, 10, "always-underconfident"))
	b, _ := json.Marshal(result(t, small, 0.5, 10, "always-underconfident"))
	if !bytes.Equal(a, b) {
		t.Errorf("seed %d: the same (γ, K, claim) differs between grids:\n%s\n%s", seed, a, b)
	}
}

// A deliberately false theorem is refuted, and a float64-only violation is
// reported as noise, not as a counterexample.
func TestConfirmation(t *testing.T) {
	falseThm := Claim{
		ID: "test-false-always-overconfident", Kind: Theorem, Statement: "max q* ≥ max η (false)",
		Applies: func(g float64, k int) bool { return g > 0 },
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			q, err := ev.Minimize(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			return maxOf(q) - maxNormalized(c.Eta), true, nil
		},
	}
	noisy := Claim{
		ID: "test-noise", Kind: Theorem, Statement: "negative in float64 only",
		Applies: always,
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			if ev.HighPrecision {
				return 1e-17, true, nil
			}
			return -1e-17, true, nil
		},
	}
	tiny := Claim{
		ID: "test-tiny", Kind: Conjecture, Statement: "negative by less than ConfirmFloor in hiprec",
		Applies: always,
		Check: func(ev *Eval, c Case) (float64, bool, error) {
			return -ConfirmFloor / 2, true, nil
		},
	}
	rep := mustSearch(t, Options{Gammas: []float64{1}, Ks: []int{3}, Claims: []Claim{falseThm, noisy, tiny}, Budget: 40, Seed: testSeed(t)})
	if r := result(t, rep, 1, 3, falseThm.ID); r.Status != Refuted || r.Counterexample == nil || !(r.Counterexample.MarginHiprec < 0) {
		t.Errorf("false theorem: status %s, counterexample %+v", r.Status, r.Counterexample)
	}
	for _, id := range []string{noisy.ID, tiny.ID} {
		r := result(t, rep, 1, 3, id)
		if r.Status != Noise || r.Counterexample != nil || r.WorstMargin == nil || !(*r.WorstMargin < 0) {
			t.Errorf("%s: status %s, worst %v, counterexample %+v; want noise", id, r.Status, r.WorstMargin, r.Counterexample)
		}
	}
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// Footnote 2 at K = 5: near-uniform minimizers are ηOC below γ_nu(5) =
// 1 + 4(ln 5 − 2)/ln 5 ≈ 0.0293205 and ηUC above, so "γ ≤ 0.03" fails on
// (0.0293205, 0.03].
func TestFootnote2Threshold(t *testing.T) {
	seed := testSeed(t)
	rep := mustSearch(t, Options{Gammas: []float64{0.02, 0.0292, 0.0295, 0.03}, Ks: []int{5}, Claims: claimsByID(t, "footnote-2-threshold"), Budget: 200, Seed: seed})
	for _, c := range []struct {
		gamma   float64
		refuted bool
	}{{0.02, false}, {0.0292, false}, {0.0295, true}, {0.03, true}} {
		r := result(t, rep, c.gamma, 5, "footnote-2-threshold")
		if got := r.Status == Refuted; got != c.refuted {
			t.Errorf("seed %d, γ = %v: status %s (worst %v), want refuted = %v", seed, c.gamma, r.Status, r.WorstMargin, c.refuted)
		}
		if c.refuted {
			// Independent oracle: the 40-digit minimizer at an η close to
			// uniform in the counterexample's direction is ηUC.
			d := float64s(r.Counterexample.Eta)
			eta, _ := towardUniform(make([]float64, 5), d, 1e-3)
			if g := hiprecMaxGap(t, eta, c.gamma); !(g < 0) {
				t.Errorf("γ = %v: hiprec max q* − max η = %v near uniform, want < 0", c.gamma, g)
			}
		}
	}
}

func TestStructuredFamilyValid(t *testing.T) {
	for _, k := range []int{2, 3, 5, 10, 40} {
		for _, g := range []float64{0, 0.03, 1, 50} {
			fam := structuredFamily(g, k)
			if len(fam) == 0 {
				t.Fatalf("empty family at (%v, %d)", g, k)
			}
			seen := map[string]string{}
			for _, c := range fam {
				if err := numeric.ValidateEta(c.eta, g); err != nil {
					t.Errorf("(%v, %d) %s: %v", g, k, c.label, err)
				}
				// Distinct cases only (issue 16.6): %v prints a float64
				// so that it parses back to the same bits.
				key := fmt.Sprint(c.eta)
				if first, dup := seen[key]; dup {
					t.Errorf("(%v, %d): %s repeats %s", g, k, c.label, first)
				}
				seen[key] = c.label
			}
		}
	}
}

// The claims share one minimizer solve per case, and checking a case
// allocates nothing once the Eval is warm.
func TestEvalSharesSolves(t *testing.T) {
	eta := []float64{0.3, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05}
	var ev Eval
	for _, c := range Claims() {
		if c.Slow || c.ID == "footnote-2-threshold" || !c.Applies(0.5, len(eta)) {
			continue
		}
		if _, _, err := c.Check(&ev, Case{Eta: eta, Gamma: 0.5}); err != nil {
			t.Fatal(err)
		}
	}
	// One solve for the case, one for thm5-not-proper's witness, which
	// depends on (K, γ) only and is cached: a second case adds one solve.
	if ev.solves != 2 {
		t.Errorf("%d minimizer solves for the first case, want 2 (the case and thm5's witness)", ev.solves)
	}
	eta2 := []float64{0.25, 0.25, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025}
	for _, c := range Claims() {
		if c.Slow || c.ID == "footnote-2-threshold" || !c.Applies(0.5, len(eta2)) {
			continue
		}
		if _, _, err := c.Check(&ev, Case{Eta: eta2, Gamma: 0.5}); err != nil {
			t.Fatal(err)
		}
	}
	if ev.solves != 3 {
		t.Errorf("%d minimizer solves after a second case, want 3", ev.solves)
	}
	for _, c := range Claims() {
		if c.Slow {
			continue
		}
		c := c
		if n := testing.AllocsPerRun(20, func() { c.Check(&ev, Case{Eta: eta, Gamma: 0.5}) }); n != 0 {
			t.Errorf("%s: %v allocations per check", c.ID, n)
		}
	}
}

func TestSearchOptionsErrors(t *testing.T) {
	for _, opt := range []Options{
		{Gammas: []float64{-1}, Ks: []int{3}},
		{Gammas: []float64{math.NaN()}, Ks: []int{3}},
		{Gammas: []float64{1}, Ks: []int{1}},
		{Gammas: []float64{1}},
		{Gammas: []float64{1}, Ks: []int{3}, ShardIndex: 3, ShardCount: 2},
		{Gammas: []float64{1}, Ks: []int{3}, Budget: -1},
	} {
		if _, err := Search(context.Background(), opt); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: err = %v, want ErrOptions", opt, err)
		}
	}
}

func TestSearchTimeCap(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := Search(ctx, Options{Gammas: []float64{1}, Ks: []int{3}, Budget: 100})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Complete || rep.UnitsRun != 0 {
		t.Errorf("cancelled search: complete %v, %d units run", rep.Complete, rep.UnitsRun)
	}
}

func TestFloatJSON(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want string
	}{
		{math.NaN(), `"NaN"`}, {math.Inf(1), `"+Inf"`}, {math.Inf(-1), `"-Inf"`},
		{0.1, `0.1`}, {1e-300, `1e-300`}, {5e-324, `5e-324`}, {math.Copysign(0, -1), `-0`}, {1 - 0x1p-53, `0.9999999999999999`},
	} {
		b, err := json.Marshal(Float(c.x))
		if err != nil || string(b) != c.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", c.x, b, err, c.want)
		}
		var back Float
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if math.Float64bits(float64(back)) != math.Float64bits(c.x) && !(math.IsNaN(c.x) && math.IsNaN(float64(back))) {
			t.Errorf("round trip of %v gave %v", c.x, back)
		}
	}
}

// The decimal margin helper is exact for an η whose minimizer is known
// (η ∈ S^K: q* = η, Prop 6, so the margin is 0).
func TestHiprecMarginSK(t *testing.T) {
	if m := hiprecMaxGap(t, []float64{0.5, 0.5, 0}, 2); m != 0 {
		t.Errorf("margin at S^K = %v, want 0", m)
	}
}

// A claim that does not depend on η (Claim.Fixed) is checked once per
// (γ, K), on its own vector, whatever the budget (issue 16.6: thm5's fixed
// witness was counted 20,000 times).
func TestFixedClaimsOncePerPair(t *testing.T) {
	ids := []string{"thm5-not-proper", "thm8-order"}
	for _, b := range []int{1, 500} {
		rep := mustSearch(t, Options{Gammas: []float64{0.5, 2}, Ks: []int{3, 10}, Claims: claimsByID(t, append(ids, "thm3-calibration")...), Budget: b, Seed: testSeed(t)})
		for _, r := range rep.Results {
			c, _ := Lookup(r.ID)
			if c.Fixed == nil {
				continue
			}
			if r.Cases != 1 || r.WorstEta == nil || !slices.Equal(float64s(r.WorstEta), c.Fixed(r.K)) {
				t.Errorf("budget %d: %s at (%v, %d): %d cases at %v; want 1 at %v", b, r.ID, r.Gamma, r.K, r.Cases, r.WorstEta, c.Fixed(r.K))
			}
		}
	}
	for _, id := range ids {
		if c, _ := Lookup(id); c.Fixed == nil {
			t.Errorf("%s depends on (gamma, K) only but has no Fixed", id)
		}
	}
}
