package verify

import (
	"context"
	"errors"
	"math"
	"math/rand"

	"github.com/leanovate/gopter"
	"gonum.org/v1/gonum/optimize"

	"github.com/focaltk/focal/gen"
	"github.com/focaltk/focal/loss"
)

// worker is one goroutine's state: a float64 Eval (whose minimizer cache
// the claims checked on one case share) and a high-precision Eval for
// confirmation.
type worker struct {
	ev, hp Eval
	z, eta []float64
}

func newWorker(l *loss.Loss) *worker {
	return &worker{ev: Eval{Loss: l}, hp: Eval{HighPrecision: true, Loss: l}}
}

func (s *searcher) run(ctx context.Context, wk *worker, u *unit) *unitResult {
	switch u.strategy {
	case StrategyRandom:
		return s.runRandom(ctx, wk, u)
	case StrategyStructured:
		return s.runStructured(ctx, wk, u)
	}
	return s.runAdversarial(ctx, wk, u)
}

func (s *searcher) newResult(u *unit) *unitResult {
	r := &unitResult{pair: u.pair}
	if u.claim >= 0 {
		r.tallies = []tally{newTally(u.claim)}
		return r
	}
	for _, ci := range u.pair.claims {
		r.tallies = append(r.tallies, newTally(ci))
	}
	return r
}

// check runs claim ci on eta and records the margin in t.
func (s *searcher) check(wk *worker, r *unitResult, t *tally, eta []float64, at Locator) float64 {
	c := &s.claims[t.claim]
	r.checks++
	m, ok, err := c.Check(&wk.ev, Case{Eta: eta, Gamma: r.pair.gamma})
	switch {
	case err != nil:
		t.errors++
		return math.NaN()
	case !ok:
		return math.NaN()
	}
	t.note(m, eta, at)
	return m
}

// genParams returns gopter generator parameters whose random source is
// seeded with seed (math/rand, as gopter requires).
func genParams(seed uint64) *gopter.GenParameters {
	return &gopter.GenParameters{MaxSize: 100, MaxShrinkCount: 1000, Rng: rand.New(rand.NewSource(int64(seed)))}
}

// runRandom checks every claim of the pair on the unit's random cases
// (gen.SamplesAt, all regimes), then shrinks and confirms each claim's
// worst negative case.
func (s *searcher) runRandom(ctx context.Context, wk *worker, u *unit) *unitResult {
	r := s.newResult(u)
	p := u.pair
	g := gen.SamplesAt(p.k, p.gamma)
	params := genParams(u.seed)
	type kept struct {
		sample gen.Sample
		res    *gopter.GenResult
	}
	worst := make([]kept, len(r.tallies))
	for i := u.lo; i < u.hi; i++ {
		gr := g(params)
		v, ok := gr.Retrieve()
		if !ok {
			continue
		}
		smp := v.(gen.Sample)
		for j := range r.tallies {
			t := &r.tallies[j]
			if c := &s.claims[t.claim]; c.Fixed != nil || (c.Slow && i%slowStride != 0) {
				continue
			}
			before := t.worst
			s.check(wk, r, t, smp.Eta, Locator{Strategy: StrategyRandom, Unit: u.part, Case: i, Seed: u.seed, Label: smp.Regime})
			if t.worst < before {
				worst[j] = kept{smp, gr}
			}
		}
	}
	for j := range r.tallies {
		t := &r.tallies[j]
		if !s.claims[t.claim].Violates(t.worst) || ctx.Err() != nil || s.noConfirm {
			continue
		}
		c := &s.claims[t.claim]
		k := worst[j]
		if shrunk, steps := s.shrink(wk, c, p.gamma, k.sample, k.res); steps > 0 {
			if cex, _, _, _ := s.confirm(wk, c, p.gamma, shrunk.Eta, t.at); cex != nil {
				cex.Shrunk, cex.Spec = true, shrunk.Spec.String()
				t.cex = cex
				continue
			}
		}
		cex, mh, checked, noOracle := s.confirm(wk, c, p.gamma, t.eta, t.at)
		t.worstHP, t.hasHP, t.unconfirmed = mh, checked, noOracle
		if cex != nil {
			cex.Spec = k.sample.Spec.String()
			t.cex = cex
		}
	}
	return r
}

// shrink simplifies a violating sample with its generator's shrinker,
// keeping each candidate that passes the generator's sieve and whose
// float64 margin stays below −ShrinkFloor, as gopter does with a failing
// property. It returns the last violating sample and the number of steps
// taken.
func (s *searcher) shrink(wk *worker, c *Claim, gamma float64, smp gen.Sample, gr *gopter.GenResult) (gen.Sample, int) {
	if gr == nil || gr.Shrinker == nil {
		return smp, 0
	}
	cur, steps, tries := smp, 0, 0
	for steps < maxShrinkSteps && tries < maxShrinkTries {
		next := gr.Shrinker(cur)
		found := false
		for v, ok := next(); ok && tries < maxShrinkTries; v, ok = next() {
			tries++
			cand, isSample := v.(gen.Sample)
			if !isSample || (gr.Sieve != nil && !gr.Sieve(cand)) {
				continue
			}
			m, ok, err := c.Check(&wk.ev, Case{Eta: cand.Eta, Gamma: gamma})
			if err == nil && ok && m < -ShrinkFloor {
				cur, found = cand, true
				break
			}
		}
		if !found {
			break
		}
		steps++
	}
	return cur, steps
}

// confirm re-evaluates a case whose float64 margin violates the claim
// (Claim.Violates: negative, or zero for a strict claim) with package
// hiprec, and returns a Counterexample if the margin is negative there,
// below −ConfirmFloor (and the case still meets the claim's hypothesis).
// It also returns the high-precision margin mh, whether it was evaluated
// (checked), and noOracle when package hiprec cannot evaluate the claim
// at the search's loss (the violation is then unconfirmed).
func (s *searcher) confirm(wk *worker, c *Claim, gamma float64, eta []float64, at Locator) (cex *Counterexample, mh float64, checked, noOracle bool) {
	m, ok, err := c.Check(&wk.ev, Case{Eta: eta, Gamma: gamma})
	if err != nil || !ok || !c.Violates(m) {
		return nil, 0, false, false
	}
	mh, ok, err = c.Check(&wk.hp, Case{Eta: eta, Gamma: gamma})
	if errors.Is(err, errNoOracle) {
		return nil, 0, false, true
	}
	if err != nil || !ok {
		return nil, 0, false, false
	}
	if !(mh < -ConfirmFloor) {
		return nil, mh, true, false
	}
	var q, psi []float64
	if l := wk.hp.Loss; l != nil {
		// Minimize's cache has the solve the high-precision check made.
		if qc, err := wk.hp.Minimize(eta, gamma); err == nil {
			q = append([]float64(nil), qc...)
			psi = l.Recover(nil, q)
		}
	} else {
		q, err = wk.hp.Minimize(eta, gamma)
		if err != nil {
			return nil, mh, true, false
		}
		q = append([]float64(nil), q...)
		psi = wk.hp.Psi(q, gamma)
	}
	return &Counterexample{
		Gamma: Float(gamma), Eta: Floats(eta), Q: Floats(q), Psi: Floats(psi),
		Margin: Float(m), MarginHiprec: Float(mh),
		Seed: at.Seed, Strategy: at.Strategy, Unit: at.Unit, Case: at.Case, Label: at.Label,
	}, mh, true, false
}

// confirmWorst confirms each tally's worst case when it violates the claim.
func (s *searcher) confirmWorst(ctx context.Context, wk *worker, r *unitResult) {
	for j := range r.tallies {
		t := &r.tallies[j]
		if t.eta != nil && s.claims[t.claim].Violates(t.worst) && ctx.Err() == nil && !s.noConfirm {
			t.cex, t.worstHP, t.hasHP, t.unconfirmed = s.confirm(wk, &s.claims[t.claim], r.pair.gamma, t.eta, t.at)
		}
	}
}

// fixedLabel labels the one case of a claim with Claim.Fixed.
const fixedLabel = "fixed: the check does not depend on eta"

// runStructured checks every claim of the pair on the unit's slice of the
// structured family; the first unit also checks the claims with
// Claim.Fixed, once each.
func (s *searcher) runStructured(ctx context.Context, wk *worker, u *unit) *unitResult {
	r := s.newResult(u)
	p := u.pair
	if u.part == 0 {
		// The claims that do not depend on η, once per (γ, K).
		for j := range r.tallies {
			t := &r.tallies[j]
			if c := &s.claims[t.claim]; c.Fixed != nil {
				s.check(wk, r, t, c.Fixed(p.k), Locator{Strategy: StrategyStructured, Seed: u.seed, Label: fixedLabel})
			}
		}
	}
	for i := u.lo; i < u.hi; i++ {
		fc := &p.family[i*p.structuredStride]
		for j := range r.tallies {
			t := &r.tallies[j]
			if c := &s.claims[t.claim]; c.Fixed != nil || (c.Slow && i%slowStride != 0) {
				continue
			}
			s.check(wk, r, t, fc.eta, Locator{Strategy: StrategyStructured, Unit: u.part, Case: i, Seed: u.seed, Label: fc.label})
		}
	}
	s.confirmWorst(ctx, wk, r)
	return r
}

// Adversarial strategy parameters.
const (
	// advPool is the number of candidate starting points (half random,
	// half structured) an adversarial unit evaluates before optimizing.
	advPool = 32
	// advPenalty is the objective outside the claim's hypothesis (or on
	// invalid input): above every margin a claim returns except +Inf.
	advPenalty = 1e300
)

// runAdversarial minimizes the claim's margin over η = softmax(z) with
// Nelder–Mead, from the most violating of advPool candidate points,
// restarting with a larger simplex when it converges before its budget is
// spent.
func (s *searcher) runAdversarial(ctx context.Context, wk *worker, u *unit) *unitResult {
	r := s.newResult(u)
	p := u.pair
	t := &r.tallies[0]
	budget := u.hi
	evals := 0
	at := func(i int, label string) Locator {
		return Locator{Strategy: StrategyAdversarial, Unit: u.part, Case: i, Seed: u.seed, Label: label}
	}

	// Candidate starts: random samples and a stride of the structured
	// family (offset by the unit's index), the most violating one wins.
	nPool := min(advPool, max(1, budget/4))
	g := gen.SamplesAt(p.k, p.gamma)
	params := genParams(u.seed)
	best, bestM := []float64(nil), math.Inf(1)
	consider := func(eta []float64, label string) {
		m := s.check(wk, r, t, eta, at(evals, label))
		evals++
		if m < bestM {
			best, bestM = eta, m
		}
	}
	for i := 0; i < nPool/2 && evals < budget; i++ {
		if v, ok := g(params).Retrieve(); ok {
			smp := v.(gen.Sample)
			consider(smp.Eta, "start "+smp.Regime)
		}
	}
	if n := len(p.family); n > 0 {
		stride := max(1, n/(nPool-nPool/2))
		for i := u.part % stride; i < n && evals < nPool && evals < budget; i += stride {
			consider(p.family[i].eta, "start "+p.family[i].label)
		}
	}
	if best == nil || ctx.Err() != nil {
		s.confirmWorst(ctx, wk, r)
		return r
	}

	k := p.k
	wk.z, wk.eta = grow(wk.z, k), grow(wk.eta, k)
	z0 := logits(make([]float64, k), best)
	// A Slow claim minimizes W directly (numeric.Direct), which does not
	// converge on η with subnormal entries (below 2^−1022; its documented
	// limit, measured: no failure with entries ≥ 3e-308 at K ≤ 10, 14 %
	// of cases with entries near 1e-313): keep its optimizer's η normal,
	// so that its evaluations are not spent on cases it cannot solve.
	// (Subnormal entries still reach it from the random "tiny" regime.)
	floor := 0.0
	if s.claims[t.claim].Slow {
		floor = float64(k) * 0x1p-1022
	}
	prob := optimize.Problem{Func: func(z []float64) float64 {
		eta := softmaxFloor(wk.eta, z, floor)
		m := s.check(wk, r, t, eta, at(evals, "nelder-mead"))
		evals++
		switch {
		case math.IsNaN(m):
			return advPenalty
		case m > advPenalty:
			return advPenalty
		}
		return m
	}}
	sizes := []float64{0.05, 0.5, 2}
	for run := 0; evals < budget && ctx.Err() == nil; run++ {
		set := &optimize.Settings{
			FuncEvaluations: budget - evals,
			Converger:       &optimize.FunctionConverge{Absolute: 1e-300, Relative: 1e-12, Iterations: 40},
		}
		nm := &optimize.NelderMead{SimplexSize: sizes[(u.part+run)%len(sizes)]}
		before := evals
		res, err := optimize.Minimize(prob, z0, set, nm)
		if err != nil || res == nil || evals == before {
			break
		}
		z0 = res.X
	}
	s.confirmWorst(ctx, wk, r)
	return r
}
