package numeric

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/focaltk/focal/theory"
)

// Tolerances of the Direct tests.
const (
	// directTolSum bounds |Σ Q − 1|: Q is K rounded exponentials,
	// K·2^−53 ≈ 1.1e-13 at K = 1000, with a factor 10 of margin.
	directTolSum = 1e-12
	// directTolGammaZero bounds |Q_i − η_i|/η_i for γ = 0, where the start
	// q = η is the minimum: η passes through log and exp, which costs
	// |log η_i|·2^−53 ≤ 745·1.1e-16 ≈ 8e-14, with a factor 10 of margin.
	directTolGammaZero = 1e-12
	// directTolSK bounds |Q_i − η_i|/η_i for η ∈ S^K (Prop 6): equal z
	// give Q_i = exp(−log m), (1 + log m) ulps ≤ 8 ulps at m = 1000.
	directTolSK = 8 * 0x1p-52
	// directRiskSlack is the rounding of theory.Risk relative to W (a sum
	// of K terms, each a few ulps): the first-order test below allows it.
	directRiskSlack = 64 * 0x1p-52
	// directFDStep is the relative step t/min(q_i, q_j) of the feasible
	// perturbations q ± t(e_i − e_j): large enough that the second-order
	// increase (~t²) dominates both the first-order term left by an
	// optimizer error ≤ DirectTol (~DirectTol·t) and W's rounding.
	directFDStep = 1e-4
)

// directCheckInvariants checks what every Direct result must satisfy, and
// returns a failure label ("" if none).
func directCheckInvariants(eta []float64, gamma float64, r Result) string {
	if len(r.Q) != len(eta) {
		return fmt.Sprintf("len(Q) = %d, want %d", len(r.Q), len(eta))
	}
	if risk := theory.Risk(r.Q, eta, gamma); math.Float64bits(risk) != math.Float64bits(r.Risk) {
		return fmt.Sprintf("Risk = %v, theory.Risk(Q) = %v", r.Risk, risk)
	}
	var s float64
	for i, q := range r.Q {
		if eta[i] == 0 && q != 0 {
			return fmt.Sprintf("Q[%d] = %v where eta is 0", i, q)
		}
		if !(q >= 0 && q <= 1) {
			return fmt.Sprintf("Q[%d] = %v", i, q)
		}
		s += q
	}
	if math.Abs(s-1) > directTolSum {
		return fmt.Sprintf("sum Q - 1 = %.3g", s-1)
	}
	// Prop 12: argmax q* = argmax η. Entries of η within DirectTol of the
	// maximum may swap places in Q (Direct resolves q only to DirectTol).
	if m := theory.Max(eta); eta[theory.Argmax(r.Q)] < m*(1-DirectTol) {
		return fmt.Sprintf("argmax Q = %d is not an argmax of eta", theory.Argmax(r.Q))
	}
	if r.Status == Converged && !(r.Residual <= DirectAcceptFactor*DefaultDirectGradTol) {
		return fmt.Sprintf("Converged with Residual %.3g", r.Residual)
	}
	return ""
}

func TestDirectGammaZero(t *testing.T) {
	// Cross-entropy is strictly proper: the minimizer is η itself.
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, g := range directGens {
		for _, k := range []int{2, 3, 10, 100} {
			eta := g.gen(rng, k)
			r, err := Direct(eta, 0, nil)
			if err != nil {
				t.Fatalf("FOCAL_SEED=%d %s K=%d: %v", seed, g.name, k, err)
			}
			if msg := directCheckInvariants(eta, 0, r); msg != "" {
				t.Errorf("FOCAL_SEED=%d %s K=%d: %s", seed, g.name, k, msg)
			}
			if e := directRelErr(r.Q, eta); r.Status != Converged || e > directTolGammaZero {
				t.Errorf("FOCAL_SEED=%d %s K=%d: status %v, |Q-eta|/eta = %.3g > %.3g", seed, g.name, k, r.Status, e, directTolGammaZero)
			}
			if directSupport(eta) > 1 && r.Iterations < 1 {
				t.Errorf("%s K=%d: Iterations = %d; the optimizer must run", g.name, k, r.Iterations)
			}
		}
	}
}

func directSupport(eta []float64) int {
	n := 0
	for _, e := range eta {
		if e > 0 {
			n++
		}
	}
	return n
}

func TestDirectSK(t *testing.T) {
	// Prop 6: η uniform on a subset of the classes (S^K) is its own
	// minimizer, for every γ; one-hot η gives the vertex, with no
	// iterations.
	for _, k := range []int{2, 3, 10, 1000} {
		for _, m := range []int{1, 2, k / 2, k} {
			if m < 1 {
				continue
			}
			eta := make([]float64, k)
			for i := 0; i < m; i++ {
				eta[(i*7+3)%k] = 1 / float64(m)
			}
			if !theory.InSK(eta) {
				t.Fatalf("K=%d m=%d: test vector not in S^K", k, m)
			}
			for _, gamma := range []float64{0, 1e-6, 1, 2, 100} {
				r, err := Direct(eta, gamma, nil)
				if err != nil {
					t.Fatal(err)
				}
				if msg := directCheckInvariants(eta, gamma, r); msg != "" {
					t.Errorf("K=%d m=%d gamma=%v: %s", k, m, gamma, msg)
				}
				if e := directRelErr(r.Q, eta); r.Status != Converged || e > directTolSK {
					t.Errorf("K=%d m=%d gamma=%v: status %v, |Q-eta|/eta = %.3g > %.3g", k, m, gamma, r.Status, e, directTolSK)
				}
				if h := 3 % k; m == 1 && (r.Iterations != 0 || r.Q[h] != 1) {
					t.Errorf("one-hot K=%d gamma=%v: Iterations %d, Q[%d] = %v; want 0 and 1", k, gamma, r.Iterations, h, r.Q[h])
				}
			}
		}
	}
}

func TestDirectFirstOrder(t *testing.T) {
	// At the minimizer no feasible move q ± t(e_i − e_j) lowers W, as
	// computed by theory.Risk (independently of Direct's own evaluation).
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, 2))
	cases := [][]float64{{0.5, 0.5}, {0.9, 0.1}, {0.6, 0.3, 0.1}, {1e-3, 0.2, 0.799}}
	for range 20 {
		cases = append(cases, directGens[0].gen(rng, 2+rng.IntN(5)))
	}
	for _, eta := range cases {
		gamma := directRandGamma(rng)
		r, err := Direct(eta, gamma, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != Converged {
			t.Errorf("FOCAL_SEED=%d eta %v gamma %v: %v", seed, eta, gamma, r.Status)
			continue
		}
		w := theory.Risk(r.Q, eta, gamma)
		q := make([]float64, len(eta))
		for i := range eta {
			for j := range eta {
				// Entries below 1e-3 move W by less than its rounding.
				if i == j || r.Q[i] < 1e-3 || r.Q[j] < 1e-3 {
					continue
				}
				step := directFDStep * math.Min(r.Q[i], r.Q[j])
				for _, s := range []float64{step, -step} {
					copy(q, r.Q)
					q[i] += s
					q[j] -= s
					if wp := theory.Risk(q, eta, gamma); wp < w*(1-directRiskSlack) {
						t.Errorf("FOCAL_SEED=%d eta %v gamma %v: W(Q) = %.17g > W(Q + %.3g(e_%d - e_%d)) = %.17g",
							seed, eta, gamma, w, s, i, j, wp)
					}
				}
			}
		}
	}
}

func TestDirectGammaOneClosedForm(t *testing.T) {
	// K = 2, γ = 1, by hand: with g(v) = (1−v) − v log v, the minimizer
	// of W(·; η) is q when η_1/η_2 = h(q_1)/h(q_2), h(v) = v/g(v) (Eq. 13).
	// At the paper's thresholds for γ = 1 (Thm 8), g(e^−1) = 1 and
	// g'(e^−2) = 0, so h(e^−1) = e^−1 and h(e^−2) = e^−2/(1 + e^−2).
	g := func(v float64) float64 { return (1 - v) - v*math.Log(v) }
	for _, v := range []float64{math.Exp(-1), math.Exp(-2), 0.5, 0.9} {
		h1, h2 := v/g(v), (1-v)/g(1-v)
		eta := []float64{h1 / (h1 + h2), h2 / (h1 + h2)}
		r, err := Direct(eta, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{v, 1 - v}
		if e := directRelErr(r.Q, want); r.Status != Converged || e > DirectTol {
			t.Errorf("q_1 = %v: eta %v, Direct %v (%v), relative error %.3g", v, eta, r.Q, r.Status, e)
		}
	}
}

func TestDirectRoundTrip(t *testing.T) {
	// Thm 11 read backwards: q minimizes W(·; Ψ^γ(q)), so Direct(Ψ^γ(q))
	// recovers q. theory.Psi is an oracle independent of Direct.
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, 3))
	worst := 0.0
	for range 60 {
		// q with log-normal entries (spread up to e^±12), so that q_max < 1
		// and Ψ^γ(q) stays away from a vertex.
		k := []int{2, 3, 5, 20}[rng.IntN(4)]
		q := make([]float64, k)
		sigma := 4 * rng.Float64()
		for i := range q {
			q[i] = math.Exp(sigma * rng.NormFloat64())
		}
		q = directNormalize(q)
		gamma := directRandGamma(rng)
		eta := theory.Psi(make([]float64, k), q, gamma)
		if ValidateEta(eta, gamma) != nil || slices.Min(eta) < directMinEntry {
			continue // (1−q)^γ made an entry of Ψ^γ(q) underflow
		}
		r, err := Direct(eta, gamma, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := directRelErr(r.Q, q)
		worst = math.Max(worst, e)
		if r.Status != Converged || e > DirectAccuracy(eta, gamma) {
			t.Errorf("FOCAL_SEED=%d q %v gamma %v: %v, |Direct(Psi(q)) - q|/q = %.3g", seed, q, gamma, r.Status, e)
		}
	}
	t.Logf("largest relative error %.3g", worst)
}

func TestDirectAgainstExact(t *testing.T) {
	// The contract the property tests rely on: a Converged result is
	// within DirectAccuracy of the exact minimizer, in every regime of the
	// accuracy claim, and the residual tracks the error.
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, 4))
	ks := []int{2, 3, 10, 50, 200}
	n := 40
	if testing.Short() {
		n = 10
	}
	for _, g := range directGens {
		worst := 0.0
		for c := range n {
			k := ks[rng.IntN(len(ks))]
			if c == 0 {
				k = 1000
			}
			eta := g.gen(rng, k)
			gamma := directRandGamma(rng)
			ex, err := Exact(eta, gamma)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Direct(eta, gamma, nil)
			if err != nil {
				t.Fatal(err)
			}
			label := fmt.Sprintf("FOCAL_SEED=%d %s K=%d gamma=%v", seed, g.name, k, gamma)
			if msg := directCheckInvariants(eta, gamma, r); msg != "" {
				t.Errorf("%s: %s", label, msg)
			}
			e := directRelErr(r.Q, ex.Q)
			worst = math.Max(worst, e)
			switch {
			case r.Status != Converged:
				t.Errorf("%s: %v, Residual %.3g, error %.3g", label, r.Status, r.Residual, e)
			case e > DirectAccuracy(eta, gamma):
				t.Errorf("%s: error %.3g > DirectAccuracy %.3g (Residual %.3g)", label, e, DirectAccuracy(eta, gamma), r.Residual)
			case e > 2*r.Residual+directTolResidual:
				t.Errorf("%s: error %.3g not within 2·Residual (%.3g)", label, e, r.Residual)
			}
		}
		t.Logf("%s: largest relative error %.3g", g.name, worst)
	}
}

// directTolResidual is the part of the difference from Exact that Direct's
// Residual does not see: the rounding of log q for entries near 1e-300
// (|log q|·2^−53 ≈ 8e-14), and mostly Exact's own error, measured up to
// 2.3e-11 at K = 1000, γ = 50, Dirichlet(100) η (there Ψ^γ(Q) matches η to
// 7e-13 for Direct's Q but only to 1.8e-11 for Exact's), with margin.
const directTolResidual = 1e-10

func TestDirectInvariants(t *testing.T) {
	// Zeros in η, and a rerun that must be bit-identical.
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, 5))
	for range 30 {
		k := 2 + rng.IntN(30)
		eta := directGens[rng.IntN(len(directGens))].gen(rng, k)
		for i := range eta {
			if rng.IntN(4) == 0 && eta[i] != theory.Max(eta) {
				eta[i] = 0
			}
		}
		eta = directNormalize(eta)
		gamma := directRandGamma(rng)
		r1, err1 := Direct(eta, gamma, nil)
		r2, err2 := Direct(eta, gamma, nil)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		label := fmt.Sprintf("FOCAL_SEED=%d eta %v gamma %v", seed, eta, gamma)
		if msg := directCheckInvariants(eta, gamma, r1); msg != "" {
			t.Errorf("%s: %s", label, msg)
		}
		same := r1.Risk == r2.Risk && r1.Iterations == r2.Iterations && r1.Status == r2.Status &&
			math.Float64bits(r1.Residual) == math.Float64bits(r2.Residual)
		for i := range r1.Q {
			same = same && math.Float64bits(r1.Q[i]) == math.Float64bits(r2.Q[i])
		}
		if !same {
			t.Errorf("%s: rerun differs: %+v vs %+v", label, r1, r2)
		}
	}
}

func TestDirectConcurrent(t *testing.T) {
	// Direct is safe for concurrent use: parallel calls agree bit for bit
	// (go test -race checks the sharing).
	eta := []float64{0.5, 0.2, 0.2, 0.05, 0.05 - 1e-200, 1e-200}
	want, err := Direct(eta, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Result)
	for range 4 {
		go func() {
			r, _ := Direct(eta, 2, nil)
			done <- r
		}()
	}
	for range 4 {
		r := <-done
		for i := range r.Q {
			if math.Float64bits(r.Q[i]) != math.Float64bits(want.Q[i]) {
				t.Fatalf("concurrent call: Q = %v, want %v", r.Q, want.Q)
			}
		}
	}
}

func TestDirectMethods(t *testing.T) {
	// BFGS and L-BFGS agree with the default within DirectTol; Nelder–Mead,
	// which sees only values of W, within its own tolerance, when it
	// converges (it must on these well-conditioned cases).
	cases := []struct {
		eta   []float64
		gamma float64
	}{
		{[]float64{0.9, 0.1}, 1},
		{[]float64{0.5, 0.3, 0.2}, 2},
		{[]float64{0.05, 0.15, 0.3, 0.5}, 5},
		{[]float64{0.25, 0.25, 0.4, 0.1}, 0.5},
		{[]float64{0.7, 0.2, 0.1}, 20},
	}
	for _, c := range cases {
		ref, err := Direct(c.eta, c.gamma, nil)
		if err != nil || ref.Status != Converged {
			t.Fatalf("eta %v gamma %v: %v %v", c.eta, c.gamma, err, ref.Status)
		}
		for _, m := range []DirectMethod{DirectBFGS, DirectLBFGS, DirectNelderMead} {
			r, err := Direct(c.eta, c.gamma, &DirectSettings{Method: m})
			if err != nil {
				t.Fatal(err)
			}
			if msg := directCheckInvariants(c.eta, c.gamma, r); msg != "" && m != DirectNelderMead {
				t.Errorf("method %d eta %v gamma %v: %s", m, c.eta, c.gamma, msg)
			}
			tol := DirectTol
			if m == DirectNelderMead {
				tol = 2 * DirectAcceptFactor * DirectNelderMeadTol
			}
			if e := directRelErr(r.Q, ref.Q); r.Status != Converged || e > tol {
				t.Errorf("method %d eta %v gamma %v: %v (Residual %.3g), |Q - Q_auto|/Q_auto = %.3g > %.3g",
					m, c.eta, c.gamma, r.Status, r.Residual, e, tol)
			}
		}
	}
}

func TestDirectSettings(t *testing.T) {
	eta := []float64{0.6, 0.3, 0.1}
	// A budget of one iteration is reported, not a panic.
	r, err := Direct(eta, 2, &DirectSettings{MaxIter: 1})
	if err != nil || r.Status != IterationLimit || r.Iterations != 1 {
		t.Errorf("MaxIter 1: err %v, status %v, iterations %d; want IterationLimit after 1", err, r.Status, r.Iterations)
	}
	if msg := directCheckInvariants(eta, 2, r); msg != "" {
		t.Errorf("MaxIter 1: %s", msg)
	}
	// A loose GradTol stops earlier, with a larger residual.
	loose, _ := Direct(eta, 2, &DirectSettings{GradTol: 1e-4})
	tight, _ := Direct(eta, 2, nil)
	if loose.Status != Converged || !(loose.Residual <= DirectAcceptFactor*1e-4) || loose.Iterations > tight.Iterations {
		t.Errorf("GradTol 1e-4: %+v (default: %d iterations)", loose, tight.Iterations)
	}
}

func TestDirectAccuracy(t *testing.T) {
	// Special cases of DirectAccuracy.
	if a := DirectAccuracy([]float64{0.5, 0.5}, 2); a != DirectTol {
		t.Errorf("normal entries: %v, want DirectTol", a)
	}
	if a := DirectAccuracy([]float64{1 - 1e-310, 1e-310}, 2); !(a > DirectTol) {
		t.Errorf("subnormal entry: %v, want more than DirectTol", a)
	}
	if a := DirectAccuracy([]float64{0.5, 0.5}, -1); !math.IsNaN(a) {
		t.Errorf("gamma -1: %v, want NaN", a)
	}
}

func TestDirectBadInput(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		eta   []float64
		gamma float64
		index int
	}{
		{[]float64{0.5, nan}, 1, 1},
		{[]float64{inf, 0.5}, 1, 0},
		{[]float64{0.5, 0.5, -inf}, 1, 2},
		{[]float64{1.5, -0.5}, 1, 0},
		{[]float64{0.5, 0.7, -0.2}, 1, 2},
		{[]float64{0.5, 0.6}, 1, -1},
		{[]float64{0.5, 0.4}, 1, -1},
		{[]float64{0.5, 0.5}, -1, -1},
		{[]float64{0.5, 0.5}, nan, -1},
		{[]float64{0.5, 0.5}, inf, -1},
		{[]float64{1}, 1, -1},
		{nil, 1, -1},
	} {
		r, err := Direct(c.eta, c.gamma, nil)
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("eta %v gamma %v: err %v, want *InputError", c.eta, c.gamma, err)
			continue
		}
		if ie.Index != c.index {
			t.Errorf("eta %v gamma %v: Index %d, want %d (%v)", c.eta, c.gamma, ie.Index, c.index, err)
		}
		if r.Q != nil {
			t.Errorf("eta %v gamma %v: Q = %v on error", c.eta, c.gamma, r.Q)
		}
	}
}

// TestDirectMeasure prints Direct's accuracy against Exact and its cost, per
// regime: the table behind the doc comment of Direct and docs/numerics.md.
// It runs only with FOCAL_DIRECT_MEASURE=1 (a minute or so);
// FOCAL_DIRECT_REPS sets the cases per cell (default 5).
func TestDirectMeasure(t *testing.T) {
	if os.Getenv("FOCAL_DIRECT_MEASURE") == "" {
		t.Skip("set FOCAL_DIRECT_MEASURE=1 to print the accuracy table")
	}
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, 6))
	reps := 5
	if s := os.Getenv("FOCAL_DIRECT_REPS"); s != "" {
		reps, _ = strconv.Atoi(s)
	}
	gens := append([]directGen(nil), directGens[1:]...)
	for _, alpha := range []float64{0.01, 0.1, 1, 10, 100} {
		gens = append(gens, directGen{fmt.Sprintf("dirichlet(%g)", alpha), func(rng *rand.Rand, k int) []float64 {
			return directDirichlet(rng, k, alpha)
		}})
	}
	t.Logf("%-16s %5s %7s  %9s %9s %6s %10s  %s", "regime", "K", "gamma", "max err", "max res", "iters", "time/call", "not converged")
	for _, g := range gens {
		for _, k := range []int{2, 3, 10, 100, 1000} {
			for _, gamma := range []float64{1e-6, 0.5, 1, 2, 5, 20, 50, 100} {
				var worst, worstRes float64
				var iters []int
				var dur time.Duration
				bad := 0
				for range reps {
					eta := g.gen(rng, k)
					ex, err := Exact(eta, gamma)
					if err != nil {
						t.Fatal(err)
					}
					t0 := time.Now()
					r, err := Direct(eta, gamma, nil)
					dur += time.Since(t0)
					if err != nil {
						t.Fatal(err)
					}
					if r.Status != Converged {
						bad++
						continue
					}
					worst = math.Max(worst, directRelErr(r.Q, ex.Q))
					worstRes = math.Max(worstRes, r.Residual)
					iters = append(iters, r.Iterations)
				}
				sort.Ints(iters)
				med := 0
				if len(iters) > 0 {
					med = iters[len(iters)/2]
				}
				t.Logf("%-16s %5d %7g  %9.2e %9.2e %6d %10v  %d", g.name, k, gamma, worst, worstRes, med,
					(dur / time.Duration(reps)).Round(time.Microsecond), bad)
			}
		}
	}
}

// directSink keeps the benchmark results alive.
var directSink Result

func BenchmarkDirect(b *testing.B) {
	for _, k := range []int{10, 100} {
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, uint64(k)))
			eta := make([]float64, k)
			for i := range eta {
				eta[i] = rng.ExpFloat64() // Dirichlet(1)
			}
			eta = directNormalize(eta)
			b.ReportAllocs()
			for b.Loop() {
				r, err := Direct(eta, 2, nil)
				if err != nil {
					b.Fatal(err)
				}
				directSink = r
			}
		})
	}
}
