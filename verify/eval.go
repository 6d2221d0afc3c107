// Package verify holds the registry of the paper's claims and of conjectures
// from the literature, each with a check that returns a signed margin; the
// counterexample search over (γ, K) (Search), which confirms every negative
// margin in high precision before calling it a counterexample; the
// over-confidence boundary in γ and K (BoundaryK, BoundaryGamma); and the
// versioned reports both produce (text and JSON).
package verify

import (
	"fmt"
	"math"

	"github.com/cockroachdb/apd/v3"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/loss"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// Eval evaluates the quantities claims are about: the focal risk minimizer
// (exact and direct), Ψ^γ and the thresholds. The zero value evaluates with
// the float64 production kernels (theory, numeric); with HighPrecision set
// it evaluates with package hiprec (≥ 40 digits, rounded to float64 at the
// end), which is how a negative margin is confirmed. An Eval reuses its
// buffers: use one per goroutine, and copy results that must outlive the
// next call.
//
// Minimize remembers its last few results (evalCacheSize of them, keyed on
// γ and the bits of η), so that the claims checked on one case share one
// solve: a search calls every claim on the same η in turn.
type Eval struct {
	// HighPrecision selects package hiprec instead of the float64 kernels.
	HighPrecision bool
	// Loss, when set, is the loss whose minimizer Minimize, Direct and
	// Recovery return (eval_loss.go), and γ arguments are ignored; nil is
	// the focal loss at the γ given.
	Loss *loss.Loss

	ls    *numeric.LossSolver
	lsErr error
	kind  string // solverKind's result for K = kindK
	kindK int
	base  *Eval // baseEval's

	exact numeric.ExactSolver
	cache [evalCacheSize]cacheEntry
	next  int // the cache entry to overwrite next
	psi   []float64
	tmp   []float64
	idx   []int
	tau   struct {
		gamma, oc, uc float64
		ok            bool
	}
	// witness caches thm5-not-proper's margin, which depends on (K, γ)
	// only.
	witness struct {
		k            int
		gamma, value float64
		ok           bool
	}
	// solves counts the minimizer solves that missed the cache (for tests
	// and benchmarks).
	solves int
	// plant, set only by tests, replaces the results of the kernels with
	// wrong ones, to show that each claim's check can fail
	// (TestEveryClaimCanFail).
	plant *plant
}

// plant holds deliberately wrong kernels for tests: each non-nil function
// rewrites the result of the corresponding Eval method in place (q* of
// Minimize, q of Direct and Recovery, Ψ of Psi and Recovery) or replaces
// the thresholds.
type plant struct {
	minimize, direct, psi func(x, in []float64)
	tau                   func(oc, uc float64) (float64, float64)
}

// evalCacheSize is how many (η, γ) → q* results an Eval keeps: a case's
// own η plus the two displaced vectors footnote-2-threshold solves at.
const evalCacheSize = 4

type cacheEntry struct {
	gamma float64
	eta   []float64
	q     []float64
	err   error
	ok    bool
}

func (e *cacheEntry) matches(eta []float64, gamma float64) bool {
	if !e.ok || len(e.eta) != len(eta) || math.Float64bits(e.gamma) != math.Float64bits(gamma) {
		return false
	}
	for i, x := range eta {
		if math.Float64bits(x) != math.Float64bits(e.eta[i]) {
			return false
		}
	}
	return true
}

// Minimize returns q^{γ,*}(η) from the exact (KKT) minimizer, or from
// hiprec.Minimize with HighPrecision. A float64 solve that does not converge
// is a *SolverError. The slice belongs to the Eval: it
// stays valid at least until the next call of Minimize, and must not be
// modified.
func (ev *Eval) Minimize(eta []float64, gamma float64) ([]float64, error) {
	for i := range ev.cache {
		if e := &ev.cache[i]; e.matches(eta, gamma) {
			return e.q, e.err
		}
	}
	e := &ev.cache[ev.next]
	ev.next = (ev.next + 1) % evalCacheSize
	e.ok = false
	e.gamma = gamma
	e.eta = append(e.eta[:0], eta...)
	e.q = grow(e.q, len(eta))
	e.err = ev.solve(e.q, eta, gamma)
	if ev.plant != nil && ev.plant.minimize != nil && e.err == nil {
		ev.plant.minimize(e.q, eta)
	}
	e.ok = true
	ev.solves++
	if e.err != nil {
		return nil, e.err
	}
	return e.q, nil
}

func (ev *Eval) solve(dst, eta []float64, gamma float64) error {
	if ev.Loss != nil {
		return ev.solveLoss(dst, eta)
	}
	if ev.HighPrecision {
		if err := numeric.ValidateEta(eta, gamma); err != nil {
			return err
		}
		qd, err := hiprec.Minimize(eta, gamma)
		if err != nil {
			return err
		}
		for i, d := range qd {
			dst[i] = hiprec.Float(d)
		}
		return nil
	}
	res, err := ev.exact.Minimize(dst, eta, gamma)
	if err == nil && res.Status != numeric.Converged {
		err = &SolverError{Solver: "exact", Status: res.Status, Eta: len(eta), Gamma: gamma}
	}
	return err
}

// minimizerRelDiff returns d = max_i |q*_i − η_i| / q*_i at (η, γ) and the
// accuracy tol of d. In float64, q* is Minimize's and tol is
// fixedPointTol. With HighPrecision, d is formed in decimal arithmetic from
// hiprec.Minimize's unrounded result (so that a difference below float64's
// resolution is not rounded away) and tol is hiprecResolution.
func (ev *Eval) minimizerRelDiff(eta []float64, gamma float64) (d, tol float64, err error) {
	if !ev.HighPrecision {
		q, err := ev.Minimize(eta, gamma)
		if err != nil {
			return 0, 0, err
		}
		return maxRelDiff(q, eta), fixedPointTol(ev, q, gamma), nil
	}
	if err := numeric.ValidateEta(eta, gamma); err != nil {
		return 0, 0, err
	}
	qd, err := hiprec.Minimize(eta, gamma)
	if err != nil {
		return 0, 0, err
	}
	for i, x := range eta {
		d = math.Max(d, hiprec.RelErr(x, qd[i]))
	}
	return d, hiprecResolution, nil
}

// minimizerDiffs returns q* at (η, γ) up to a common offset, for margins
// made only of differences of its entries (an order, a top gap). In float64
// it is Minimize's q*. With HighPrecision it is hiprec.Minimize's unrounded
// q* minus its rounded largest entry (hiprec.Offsets), so that entries that
// differ by less than float64 resolves (η = (1/2 + 1 ulp, 1/2 − 1 ulp): both
// round to 1/2) keep their order, and a zero float64 margin on a strict claim
// is confirmed or refuted rather than tied again. The slice is freshly
// allocated in high precision and Minimize's cached one otherwise.
func (ev *Eval) minimizerDiffs(eta []float64, gamma float64) ([]float64, error) {
	if !ev.HighPrecision {
		return ev.Minimize(eta, gamma)
	}
	if err := numeric.ValidateEta(eta, gamma); err != nil {
		return nil, err
	}
	qd, err := hiprec.Minimize(eta, gamma)
	if err != nil {
		return nil, err
	}
	c := math.Inf(-1)
	for _, d := range qd {
		c = math.Max(c, hiprec.Float(d))
	}
	q := hiprec.Offsets(qd, c)
	if ev.plant != nil && ev.plant.minimize != nil {
		ev.plant.minimize(q, eta)
	}
	return q, nil
}

// SolverError reports that a float64 minimizer did not converge on a case:
// its result is not a minimizer, so no margin can be computed from it. The
// search counts such cases in Result.Errors.
type SolverError struct {
	Solver string
	Status numeric.Status
	Eta    int // K
	Gamma  float64
}

func (e *SolverError) Error() string {
	return fmt.Sprintf("verify: the %s minimizer stopped with status %q (K = %d, gamma = %v)", e.Solver, e.Status, e.Eta, e.Gamma)
}

// Direct returns the minimizer found by numeric.Direct, which minimizes W
// itself and never calls h, φ or Ψ (a *SolverError if it does not
// converge); with HighPrecision it returns the hiprec minimizer (an
// independent high-precision solution of the same problem).
// The slice is freshly allocated.
func (ev *Eval) Direct(eta []float64, gamma float64) ([]float64, error) {
	if ev.HighPrecision {
		if err := numeric.ValidateEta(eta, gamma); err != nil {
			return nil, err
		}
		qd, err := hiprec.Minimize(eta, gamma)
		if err != nil {
			return nil, err
		}
		q := make([]float64, len(qd))
		for i, d := range qd {
			q[i] = hiprec.Float(d)
		}
		return q, nil
	}
	r, err := numeric.Direct(eta, gamma, nil)
	if err != nil {
		return nil, err
	}
	if r.Status != numeric.Converged {
		return nil, &SolverError{Solver: "direct", Status: r.Status, Eta: len(eta), Gamma: gamma}
	}
	if ev.plant != nil && ev.plant.direct != nil {
		ev.plant.direct(r.Q, eta)
	}
	return r.Q, nil
}

// Recovery returns the direct minimizer q of W(·; η) (Direct) and
// Ψ^γ(q), the two sides of Thm 11. With HighPrecision both come from
// package hiprec and Ψ is evaluated at the unrounded minimizer
// (hiprec.PsiDecimal), so that rounding q to float64 — which turns a top
// entry 1 − 1e-21 into 1, or an entry 2.37e-322 into a multiple of 2^−1074
// — does not enter the comparison. In float64, ok = false when q has an
// entry equal to 1 and another positive one: such a q is the rounding of a
// minimizer float64 cannot represent, and Ψ's rule for one-hot vectors
// would apply to a vector that is not one-hot. Both slices are freshly
// allocated.
func (ev *Eval) Recovery(eta []float64, gamma float64) (q, psi []float64, ok bool, err error) {
	if ev.HighPrecision {
		if err := numeric.ValidateEta(eta, gamma); err != nil {
			return nil, nil, false, err
		}
		qd, err := hiprec.Minimize(eta, gamma)
		if err != nil {
			return nil, nil, false, err
		}
		q, psi = make([]float64, len(qd)), make([]float64, len(qd))
		for i, d := range hiprec.PsiDecimal(qd, gamma) {
			q[i], psi[i] = hiprec.Float(qd[i]), hiprec.Float(d)
		}
		return q, psi, true, nil
	}
	q, err = ev.Direct(eta, gamma)
	if err != nil {
		return nil, nil, false, err
	}
	if theory.Max(q) == 1 {
		for _, x := range q {
			if x > 0 && x < 1 {
				return nil, nil, false, nil
			}
		}
	}
	psi = theory.Psi(make([]float64, len(q)), q, gamma)
	if ev.plant != nil && ev.plant.psi != nil {
		ev.plant.psi(psi, q)
	}
	return q, psi, true, nil
}

// Psi returns Ψ^γ(v). The slice is reused by the next call.
func (ev *Eval) Psi(v []float64, gamma float64) []float64 {
	ev.psi = grow(ev.psi, len(v))
	if ev.HighPrecision {
		for i, d := range hiprec.Psi(v, gamma) {
			ev.psi[i] = hiprec.Float(d)
		}
		return ev.psi
	}
	theory.Psi(ev.psi, v, gamma)
	if ev.plant != nil && ev.plant.psi != nil {
		ev.plant.psi(ev.psi, v)
	}
	return ev.psi
}

// TauOC returns τ_oc^γ (remembered for the last γ).
func (ev *Eval) TauOC(gamma float64) float64 {
	ev.taus(gamma)
	return ev.tau.oc
}

// TauUC returns τ_uc^γ (remembered for the last γ).
func (ev *Eval) TauUC(gamma float64) float64 {
	ev.taus(gamma)
	return ev.tau.uc
}

func (ev *Eval) taus(gamma float64) {
	if ev.tau.ok && math.Float64bits(ev.tau.gamma) == math.Float64bits(gamma) {
		return
	}
	if ev.HighPrecision {
		ev.tau.oc, ev.tau.uc = hiprec.Float(hiprec.TauOC(gamma)), hiprec.Float(hiprec.TauUC(gamma))
	} else {
		ev.tau.oc, ev.tau.uc = theory.TauOC(gamma), theory.TauUC(gamma)
	}
	if ev.plant != nil && ev.plant.tau != nil {
		ev.tau.oc, ev.tau.uc = ev.plant.tau(ev.tau.oc, ev.tau.uc)
	}
	ev.tau.gamma, ev.tau.ok = gamma, true
}

// phiPeakIn reports whether the maximum of φ^γ on (0, 1/2) lies in (a, b),
// with a < t < b: +1 if shown, −1 if contradicted, 0 if the evaluation
// cannot tell. In float64 it takes the signs of φ' (theory.PhiDeriv,
// relative-accurate away from its root) at a (> 0) and b (< 0); in high
// precision, it compares the 40-digit values φ(a) < φ(t) > φ(b) (hiprec has
// no φ'), which is as conclusive for a unimodal φ.
func (ev *Eval) phiPeakIn(a, t, b, gamma float64) int {
	if ev.HighPrecision {
		pt := hiprec.Phi(t, gamma)
		ca, cb := hiprec.Phi(a, gamma).Cmp(pt), hiprec.Phi(b, gamma).Cmp(pt)
		switch {
		case ca > 0 || cb > 0:
			return -1
		case ca == 0 || cb == 0:
			return 0
		}
		return 1
	}
	da, db := theory.PhiDeriv(a, gamma), theory.PhiDeriv(b, gamma)
	switch {
	case da < 0 || db > 0:
		return -1
	case !(da > 0 && db < 0):
		return 0
	}
	return 1
}

// phiCrossesOne reports whether φ^γ − 1 is positive at a and negative at b
// (+1), has a sign contradicting that (−1), or cannot be resolved (0). In
// float64 it evaluates log φ^γ(v) = γ log1p(−v) + log1p(−γ v log v/(1−v))
// (Eq. 10 taken to logarithms, both terms O(γ), so that the sign survives
// small γ, where φ^γ itself rounds to 1); in high precision it compares
// hiprec.Phi with 1.
func (ev *Eval) phiCrossesOne(a, b, gamma float64) int {
	var sa, sb int
	if ev.HighPrecision {
		one := apd.New(1, 0)
		sa, sb = hiprec.Phi(a, gamma).Cmp(one), hiprec.Phi(b, gamma).Cmp(one)
	} else {
		logPhi := func(v float64) float64 {
			return gamma*math.Log1p(-v) + math.Log1p(-gamma*v*math.Log(v)/(1-v))
		}
		sign := func(x float64) int {
			switch {
			case x > 0:
				return 1
			case x < 0:
				return -1
			}
			return 0
		}
		sa, sb = sign(logPhi(a)), sign(logPhi(b))
	}
	switch {
	case sa < 0 || sb > 0:
		return -1
	case sa == 0 || sb == 0:
		return 0
	}
	return 1
}

// scratch returns a float64 buffer of length n owned by the Eval, for
// checks that need temporary storage (it is reused by the next call).
func (ev *Eval) scratch(n int) []float64 {
	ev.tmp = grow(ev.tmp, n)
	return ev.tmp
}

// indices returns 0, 1, …, n−1 in a buffer owned by the Eval.
func (ev *Eval) indices(n int) []int {
	if cap(ev.idx) < n {
		ev.idx = make([]int, n)
	}
	ev.idx = ev.idx[:n]
	for i := range ev.idx {
		ev.idx[i] = i
	}
	return ev.idx
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
