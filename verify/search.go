package verify

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/focaltk/focal/loss"
)

// The search strategies (Locator.Strategy).
const (
	StrategyRandom      = "random"
	StrategyStructured  = "structured"
	StrategyAdversarial = "adversarial"
)

// DefaultBudget is the default number of cases per claim and (γ, K). With
// it, the README's run (γ ∈ {0.5, 1, 2}, K ∈ {3, 4, 5, 10}, every claim)
// spends about 10 s of CPU time, so it finishes well within a minute on 2
// cores even when they are shared.
const DefaultBudget = 20000

// Budget split and unit sizes. The budget B of cases per claim and (γ, K)
// is spent as follows: the structured family (structuredFamily) takes up
// to ⌈B/4⌉ cases (evenly strided when it is larger), the adversarial
// optimizer ⌈B/4⌉ claim evaluations per claim, and the random generators
// the rest. Cases of the random and structured strategies are shared by
// all claims (each claim is checked on each case, and the minimizer is
// solved once per case); adversarial evaluations belong to one claim.
// A claim that does not depend on η (Claim.Fixed) is checked once per
// (γ, K) instead, by the first structured unit, and has no adversarial
// units; a Slow claim is checked on 1/slowStride of the shared cases and
// gets 1/slowStride of the adversarial evaluations.
const (
	// randomChunk is the number of random cases per work unit.
	randomChunk = 256
	// structuredChunk is the number of structured cases per work unit.
	structuredChunk = 128
	// advEvalsPerStart is the number of claim evaluations one adversarial
	// work unit (one Nelder–Mead start, with restarts) spends.
	advEvalsPerStart = 250
	// slowStride: claims marked Slow (they minimize W directly, ~1 ms per
	// case) are checked on every slowStride-th random case and get
	// 1/slowStride of the adversarial evaluations.
	slowStride = 16
)

// ShrinkFloor is how negative a float64 margin must stay for a shrunk
// random case to be kept: 1e-12 is far above the rounding of any margin
// (differences of probabilities, ≤ a few 1e-16, amplified by at most the
// conditioning the claims' own tolerances allow), so a shrunk case is
// still a clear violation in float64 before it is re-checked in hiprec.
const ShrinkFloor = 1e-12

// ConfirmFloor is how negative a margin re-evaluated in high precision
// must be to confirm a counterexample. Package hiprec's results are good to
// 40 digits, but Eval rounds them to float64 and the claims' float64
// arithmetic then forms the margin, which moves it by a few ulps of the
// quantities compared (probabilities ≤ 1, or relative differences): a
// margin within 8 ulps of 1 of zero is within that rounding, and is
// reported as noise.
const ConfirmFloor = 8 * 0x1p-53

// maxShrinkSteps bounds the accepted shrinking steps of one case, and
// maxShrinkTries the candidates tried in all.
const (
	maxShrinkSteps = 40
	maxShrinkTries = 400
)

// Options configures Search.
type Options struct {
	// Gammas and Ks are the (γ, K) grid; every pair is searched.
	Gammas []float64
	Ks     []int
	// Claims to check; nil means Claims(). A claim is checked at (γ, K)
	// only when its Applies says so.
	Claims []Claim
	// Budget is the number of cases per claim and (γ, K); 0 means
	// DefaultBudget.
	Budget int
	// Seed seeds everything: each work unit's seed is derived from Seed,
	// γ, K, the strategy, the claim ID (adversarial units) and the unit's
	// index, so reports do not depend on Workers or on how the work is
	// sharded.
	Seed uint64
	// Workers is the number of goroutines; 0 means runtime.NumCPU().
	Workers int
	// ShardIndex in 1..ShardCount selects the work units whose index
	// (in the canonical order of the whole search) is ShardIndex−1
	// modulo ShardCount; ShardCount 0 means the whole search.
	ShardIndex, ShardCount int
	// Progress, if set, is called after each work unit with the number of
	// units done and the total (from one goroutine at a time).
	Progress func(done, total int)
	// Loss, when set, searches that loss of the loss lab instead of the
	// focal loss at Gammas (which must then be empty): the claims are
	// LossClaims(Loss) unless Claims is set, minimized as Eval.Loss says,
	// over Ks; the report names the loss (Report.Loss). nil is the focal
	// loss at Gammas.
	Loss *loss.Loss
}

// Validation errors of Options (wrapped with the offending value).
var ErrOptions = errors.New("verify: invalid search options")

func (o *Options) validate() error {
	if o.Loss != nil {
		switch {
		case len(o.Gammas) > 0:
			return fmt.Errorf("%w: a loss search takes no gamma (the loss's spec carries its parameters)", ErrOptions)
		case o.Loss.Kind == loss.Sigmoid:
			return fmt.Errorf("%w: loss %s is a per-label sigmoid loss: it has no minimizer on the simplex to search", ErrOptions, o.Loss)
		case len(o.Ks) == 0:
			return fmt.Errorf("%w: need at least one K", ErrOptions)
		}
		for _, k := range o.Ks {
			if err := o.Loss.Validate(k); err != nil {
				// focal-alpha's weights fix K: every check would fail.
				return fmt.Errorf("%w: %v", ErrOptions, err)
			}
		}
		o.Gammas = []float64{lossGamma(o.Loss)}
		defer func() { o.Gammas = nil }()
	}
	if len(o.Gammas) == 0 || len(o.Ks) == 0 {
		return fmt.Errorf("%w: need at least one gamma and one K", ErrOptions)
	}
	for _, g := range o.Gammas {
		if err := CheckGamma(g); err != nil {
			return err
		}
	}
	for _, k := range o.Ks {
		if err := CheckK(k); err != nil {
			return err
		}
	}
	if o.Budget < 0 {
		return fmt.Errorf("%w: budget %d < 0", ErrOptions, o.Budget)
	}
	if o.ShardCount < 0 || (o.ShardCount > 0 && (o.ShardIndex < 1 || o.ShardIndex > o.ShardCount)) {
		return fmt.Errorf("%w: shard %d/%d: want 1 <= i <= n", ErrOptions, o.ShardIndex, o.ShardCount)
	}
	seen := map[string]bool{}
	for _, c := range o.Claims {
		if seen[c.ID] {
			return fmt.Errorf("%w: claim %q listed twice", ErrOptions, c.ID)
		}
		seen[c.ID] = true
	}
	return nil
}

// MaxGamma and MaxK bound the grid a search accepts: hiprec is validated
// up to γ = 1000; and the 40-digit confirmations grow faster than K (peak
// RSS with --budget 1: 0.65 GB at K = 10^5, 6 GB and still running after
// 5 min at K = 3·10^5, 14.5 GB at K = 10^6; scripts/memcheck.sh), so K
// beyond 10^5 is refused up front rather than run out of memory.
const (
	MaxGamma = 1000
	MaxK     = 100000
)

// CheckGamma returns an error unless 0 ≤ γ ≤ MaxGamma.
func CheckGamma(g float64) error {
	if math.IsNaN(g) || g < 0 || g > MaxGamma {
		return fmt.Errorf("%w: gamma %v: want a number in [0, %d]", ErrOptions, g, MaxGamma)
	}
	return nil
}

// CheckK returns an error unless 2 ≤ K ≤ MaxK.
func CheckK(k int) error {
	if k < 2 || k > MaxK {
		return fmt.Errorf("%w: K %d: want an integer in [2, %d]", ErrOptions, k, MaxK)
	}
	return nil
}

// pair is one (γ, K) of the grid with the claims that apply there.
type pair struct {
	gamma  float64
	k      int
	claims []int // indices into searcher.claims
	family []familyCase
	// per-strategy sizes
	nRandom, nStructured int
	structuredStride     int
	advEvals             int
}

// unit is one work unit: a chunk of random or structured cases shared by
// the pair's claims, or one adversarial start for one claim.
type unit struct {
	index    int // canonical index in the whole search
	pair     *pair
	strategy string
	claim    int // claim index for adversarial units, −1 otherwise
	part     int // index among the units of this strategy (and claim) at the pair
	seed     uint64
	lo, hi   int // case range (random, structured) or evaluation budget (adversarial: hi)
}

type searcher struct {
	opt    Options
	claims []Claim
	pairs  []*pair
	units  []unit
	// noConfirm skips shrinking and confirmation (benchmarks of the
	// checking loop only).
	noConfirm bool
}

// Search runs the counterexample search described by opt and returns its
// report. It stops early, with Report.Complete = false, when ctx is done
// (a time cap): such a report depends on timing and is not reproducible,
// while a budget-capped one is byte-for-byte reproducible from the seed.
func Search(ctx context.Context, opt Options) (*Report, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if opt.Claims == nil {
		opt.Claims = Claims()
		if opt.Loss != nil {
			opt.Claims = LossClaims(opt.Loss)
		}
	}
	if opt.Loss != nil {
		opt.Gammas = []float64{lossGamma(opt.Loss)}
	}
	if opt.Budget == 0 {
		opt.Budget = DefaultBudget
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.NumCPU()
	}
	start := time.Now()
	s := &searcher{opt: opt, claims: opt.Claims}
	s.plan()

	// Select this shard's units.
	var mine []int
	for i := range s.units {
		if opt.ShardCount == 0 || i%opt.ShardCount == opt.ShardIndex-1 {
			mine = append(mine, i)
		}
	}
	results := make([]*unitResult, len(s.units))
	var (
		next, done atomic.Int64
		checks     atomic.Int64
		progressMu sync.Mutex
		wg         sync.WaitGroup
	)
	for w := 0; w < opt.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := newWorker(opt.Loss)
			for {
				j := int(next.Add(1) - 1)
				if j >= len(mine) || ctx.Err() != nil {
					return
				}
				u := &s.units[mine[j]]
				r := s.run(ctx, wk, u)
				results[u.index] = r
				checks.Add(r.checks)
				d := int(done.Add(1))
				if opt.Progress != nil {
					progressMu.Lock()
					opt.Progress(d, len(mine))
					progressMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()

	rep := s.report(results)
	rep.Checks = checks.Load()
	rep.Complete = int(done.Load()) == len(mine)
	if opt.ShardCount > 0 {
		rep.Shard = &ShardInfo{Index: opt.ShardIndex, Count: opt.ShardCount}
	}
	wall := time.Since(start).Seconds()
	rep.Timing = &Timing{WallSeconds: Float(wall), ChecksPerSecond: Float(float64(rep.Checks) / wall)}
	return rep, nil
}

// plan lays out the pairs and the work units in canonical order: γ in the
// given order, then K, then the random units, the structured units and the
// adversarial units claim by claim (in the order of Options.Claims).
func (s *searcher) plan() {
	b := s.opt.Budget
	for _, g := range s.opt.Gammas {
		for _, k := range s.opt.Ks {
			p := &pair{gamma: g, k: k}
			for ci, c := range s.claims {
				if c.Applies(g, k) {
					p.claims = append(p.claims, ci)
				}
			}
			s.pairs = append(s.pairs, p)
			if len(p.claims) == 0 {
				continue
			}
			p.family = structuredFamily(g, k)
			capS := ceilDiv(b, 4)
			p.nStructured, p.structuredStride = len(p.family), 1
			if p.nStructured > capS {
				p.structuredStride = ceilDiv(len(p.family), capS)
				p.nStructured = ceilDiv(len(p.family), p.structuredStride)
			}
			p.advEvals = ceilDiv(b, 4)
			p.nRandom = max(0, b-p.nStructured-p.advEvals)
			for part, lo := 0, 0; lo < p.nRandom; part, lo = part+1, lo+randomChunk {
				s.add(unit{pair: p, strategy: StrategyRandom, claim: -1, part: part, lo: lo, hi: min(p.nRandom, lo+randomChunk)})
			}
			for part, lo := 0, 0; lo < p.nStructured; part, lo = part+1, lo+structuredChunk {
				s.add(unit{pair: p, strategy: StrategyStructured, claim: -1, part: part, lo: lo, hi: min(p.nStructured, lo+structuredChunk)})
			}
			for _, ci := range p.claims {
				if s.claims[ci].Fixed != nil {
					continue // checked once, by the first structured unit
				}
				evals := p.advEvals
				if s.claims[ci].Slow {
					evals = ceilDiv(evals, slowStride)
				}
				for part, lo := 0, 0; lo < evals; part, lo = part+1, lo+advEvalsPerStart {
					s.add(unit{pair: p, strategy: StrategyAdversarial, claim: ci, part: part, lo: 0, hi: min(evals-lo, advEvalsPerStart)})
				}
			}
		}
	}
}

func (s *searcher) add(u unit) {
	u.index = len(s.units)
	id := ""
	if u.claim >= 0 {
		id = s.claims[u.claim].ID
	}
	seed := s.opt.Seed
	if s.opt.Loss != nil {
		// A loss search's units are seeded by the loss's spec too, so
		// that two losses at the same γ do not share cases.
		h := fnv.New64a()
		h.Write([]byte(s.opt.Loss.String()))
		seed = mix64(seed ^ h.Sum64())
	}
	u.seed = UnitSeed(seed, u.pair.gamma, u.pair.k, u.strategy, id, u.part)
	s.units = append(s.units, u)
}

// UnitSeed derives a work unit's seed from the run's seed, γ, K, the
// strategy, the claim ID ("" for units shared by all claims) and the
// unit's index: an FNV-1a hash of them, finished with SplitMix64's mixer.
func UnitSeed(seed uint64, gamma float64, k int, strategy, claimID string, part int) uint64 {
	h := fnv.New64a()
	var b [8]byte
	put := func(x uint64) {
		for i := range b {
			b[i] = byte(x >> (8 * i))
		}
		h.Write(b[:])
	}
	put(seed)
	put(math.Float64bits(gamma))
	put(uint64(k))
	h.Write([]byte(strategy))
	h.Write([]byte{0})
	h.Write([]byte(claimID))
	h.Write([]byte{0})
	put(uint64(part))
	return mix64(h.Sum64())
}

// mix64 is SplitMix64's finalizer.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// tally is what one unit found for one claim.
type tally struct {
	claim  int
	cases  int
	errors int
	worst  float64
	eta    []float64
	at     Locator
	cex    *Counterexample
	// worstHP is the high-precision margin at eta, when confirm
	// re-evaluated it (hasHP).
	worstHP float64
	hasHP   bool
	// unconfirmed: the worst case violated the claim and package hiprec
	// cannot evaluate it at the search's loss.
	unconfirmed bool
}

func newTally(ci int) tally { return tally{claim: ci, worst: math.Inf(1)} }

// note records a margin; eta is copied when it is the unit's worst.
func (t *tally) note(m float64, eta []float64, at Locator) {
	t.cases++
	if m < t.worst || (t.eta == nil && m == t.worst) {
		t.worst = m
		t.eta = append(t.eta[:0], eta...)
		t.at = at
	}
}

type unitResult struct {
	pair    *pair
	tallies []tally
	checks  int64
}

// report aggregates the unit results in canonical order.
func (s *searcher) report(results []*unitResult) *Report {
	rep := &Report{
		Version: ReportVersion, Seed: s.opt.Seed, Budget: s.opt.Budget,
		Gammas: Floats(s.opt.Gammas), Ks: slices.Clone(s.opt.Ks),
		Units: len(s.units), Results: []Result{},
	}
	for _, c := range s.claims {
		rep.Claims = append(rep.Claims, c.ID)
	}
	if l := s.opt.Loss; l != nil {
		s.lossReport(rep, l)
	}
	// One Result per (pair, applicable claim), in canonical order.
	index := map[[2]int]int{} // (pair index, claim index) → Results index
	for pi, p := range s.pairs {
		for _, ci := range p.claims {
			index[[2]int{pi, ci}] = len(rep.Results)
			c := s.claims[ci]
			rep.Results = append(rep.Results, Result{Gamma: Float(p.gamma), K: p.k, ID: c.ID, Kind: c.Kind})
		}
	}
	pairIndex := map[*pair]int{}
	for pi, p := range s.pairs {
		pairIndex[p] = pi
	}
	for _, r := range results {
		if r == nil {
			continue
		}
		rep.UnitsRun++
		pi := pairIndex[r.pair]
		for _, t := range r.tallies {
			res := &rep.Results[index[[2]int{pi, t.claim}]]
			res.combine(t.result())
		}
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		r.finish(s.claims[slices.IndexFunc(s.claims, func(c Claim) bool { return c.ID == r.ID })].Strict)
	}
	return rep
}

// result turns a tally into a partial Result (no status yet).
func (t *tally) result() Result {
	r := Result{Cases: t.cases, Errors: t.errors, Counterexample: t.cex}
	if t.cases > 0 {
		w := Float(t.worst)
		r.WorstMargin = &w
		r.WorstEta = Floats(t.eta)
		at := t.at
		r.WorstAt = &at
		if t.hasHP {
			h := Float(t.worstHP)
			r.WorstMarginHiprec = &h
		}
		r.Unconfirmed = t.unconfirmed
	}
	return r
}

// combine merges the partial result o into r; it is associative and
// commutative (ties are broken by Locator order), which is what makes
// sharded and merged reports equal to whole ones.
func (r *Result) combine(o Result) {
	r.Cases += o.Cases
	r.Errors += o.Errors
	if o.WorstMargin != nil {
		if r.WorstMargin == nil || *o.WorstMargin < *r.WorstMargin ||
			(*o.WorstMargin == *r.WorstMargin && locatorLess(o.locator(), r.locator())) {
			r.WorstMargin, r.WorstEta, r.WorstAt, r.WorstMarginHiprec = o.WorstMargin, o.WorstEta, o.WorstAt, o.WorstMarginHiprec
			r.Unconfirmed = o.Unconfirmed
		}
	}
	if c := o.Counterexample; c != nil {
		if r.Counterexample == nil || c.MarginHiprec < r.Counterexample.MarginHiprec ||
			(c.MarginHiprec == r.Counterexample.MarginHiprec && locatorLess(c.locator(), r.Counterexample.locator())) {
			r.Counterexample = c
		}
	}
}

// finish sets the status from the aggregated figures; strict is the
// claim's Strict (a worst margin of 0 not confirmed in high precision is
// then noise, not a pass).
func (r *Result) finish(strict bool) {
	switch {
	case r.Counterexample != nil:
		r.Status = Refuted
	case r.WorstMargin == nil:
		r.Status = Vacuous
	case r.Unconfirmed && (*r.WorstMargin < 0 || strict && *r.WorstMargin == 0):
		r.Status = Unconfirmed
	case *r.WorstMargin < 0,
		strict && *r.WorstMargin == 0 && !(r.WorstMarginHiprec != nil && *r.WorstMarginHiprec > 0):
		r.Status = Noise
	case r.Kind == Theorem:
		r.Status = Holds
	default:
		r.Status = Supported
	}
}

func (c *Counterexample) locator() Locator {
	return Locator{Strategy: c.Strategy, Unit: c.Unit, Case: c.Case}
}

var strategyRank = map[string]int{StrategyRandom: 0, StrategyStructured: 1, StrategyAdversarial: 2}

func locatorLess(a, b Locator) bool {
	if ra, rb := strategyRank[a.Strategy], strategyRank[b.Strategy]; ra != rb {
		return ra < rb
	}
	if a.Unit != b.Unit {
		return a.Unit < b.Unit
	}
	return a.Case < b.Case
}
