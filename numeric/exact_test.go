package numeric

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/theory"
)

// exactRiskTermULPs bounds the difference of one term of Result.Risk from
// the same term of theory.Risk(Q), in ulps: both use the same powers and
// differ in log q_i (the solver's x_i against theory.Log, each within a few
// ulps of log q_i, where |log q_i| ≥ log 2 for every entry but the top one,
// which both evaluate with theory.LossTerm); 8 is a few ulps with margin.
// On top of it, theory.Risk's plain sum of K nonnegative terms may be off
// by up to K−1 ulps of W (Result.Risk's sum is compensated).
const exactRiskTermULPs = 8

// TestExactRisk checks that Exact's Risk, evaluated from the solver's own
// log q, agrees with theory.Risk at the returned Q over every regime of
// directGens and γ in [1e-6, 100].
func TestExactRisk(t *testing.T) {
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0xe1ac7))
	var sv ExactSolver
	for n := 0; n < 4000; n++ {
		g := directGens[n%len(directGens)]
		k := []int{2, 3, 10, 100, 1000}[rng.IntN(5)]
		eta := g.gen(rng, k)
		gamma := directRandGamma(rng)
		r, err := sv.Minimize(make([]float64, k), eta, gamma)
		if err != nil {
			t.Fatalf("case %d (%s, K=%d, γ=%v): %v (FOCAL_SEED=%d)", n, g.name, k, gamma, err, seed)
		}
		want := theory.Risk(r.Q, eta, gamma)
		tol := float64(exactRiskTermULPs+k) * 0x1p-52
		if d := math.Abs(r.Risk - want); !(d <= tol*want) {
			t.Fatalf("case %d (%s, K=%d, γ=%v): Risk = %v, theory.Risk(Q) = %v (rel. diff %.3g); rerun with FOCAL_SEED=%d go test ./numeric -run TestExactRisk",
				n, g.name, k, gamma, r.Risk, want, d/want, seed)
		}
	}
}

// exactAdversarialMaxIter bounds the iterations of TestExactAdversarial:
// the largest count seen on 2·10^5 such vectors was 14; 20 leaves margin
// while still catching a return of the one-e-fold-per-step crawl (which
// took 200 iterations).
const exactAdversarialMaxIter = 20

// TestExactAdversarial solves vectors built to be hard: a top entry near 1
// next to subnormal, tiny (down to 1e-300), zero and ordinary entries, with
// γ log-uniform in [1e-6, 100]. Every solve must converge, within
// exactAdversarialMaxIter iterations, to a vector whose zeros are kept.
// Before the exact-sum step (globalShift) and the scaled sums, 162 of
// 2·10^5 such solves ended at IterationLimit, e.g. η = (2^−1074, 1) at
// γ = 0.25, whose answer (1.8945e-259, 1) they approached one e-fold per
// iteration.
func TestExactAdversarial(t *testing.T) {
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0xad5))
	var sv ExactSolver
	n := 20000
	if testing.Short() {
		n = 2000
	}
	cases := [][]float64{{0x1p-1074, 1}, {1, 0x1p-1074}, {0x1p-1074, 0x1p-1074, 1}}
	for len(cases) < n {
		k := 2 + rng.IntN(20)
		eta := make([]float64, k)
		for i := range eta {
			switch rng.IntN(4) {
			case 0:
				eta[i] = math.Ldexp(float64(1+rng.IntN(1<<20)), -1074)
			case 1:
				eta[i] = math.Pow(10, -300*rng.Float64())
			case 2:
				eta[i] = 0
			default:
				eta[i] = rng.Float64()
			}
		}
		eta[rng.IntN(k)] = 1
		cases = append(cases, normalize(eta))
	}
	for i, eta := range cases {
		gamma := math.Pow(10, -6+8*rng.Float64())
		if i < 3 {
			gamma = 0.25
		}
		r, err := sv.Minimize(make([]float64, len(eta)), eta, gamma)
		if err != nil {
			t.Fatalf("case %d: Exact(%v, %v): %v", i, eta, gamma, err)
		}
		if r.Status != Converged || r.Iterations > exactAdversarialMaxIter {
			t.Fatalf("case %d: Exact(%v, %v): status %v after %d iterations (residual %g); rerun with FOCAL_SEED=%d go test ./numeric -run TestExactAdversarial",
				i, eta, gamma, r.Status, r.Iterations, r.Residual, seed)
		}
		for j, e := range eta {
			if e == 0 && r.Q[j] != 0 {
				t.Fatalf("case %d: η_%d = 0 but q_%d = %v (FOCAL_SEED=%d)", i, j, j, r.Q[j], seed)
			}
		}
	}
}

// exactMeanItersMax bounds the mean iteration count of TestExactOrder: the
// third-order step with its cubic stopping rule takes 2 to 2.3 iterations
// on average on Dirichlet(1) vectors at K = 1000 for these γ; Newton alone
// (the correction removed) takes 3 (4 at γ = 5), which this bound catches.
const exactMeanItersMax = 2.5

// TestExactOrder checks the order of convergence through its effect: the
// mean number of iterations on seeded Dirichlet(1) vectors at K = 1000.
// The oracle is the iteration count of a quadratic method (3), which the
// third-order correction must beat; accuracy itself is checked against
// hiprec in theory's TestAccuracy.
func TestExactOrder(t *testing.T) {
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0x0de7))
	var sv ExactSolver
	const k, n = 1000, 20
	for _, gamma := range []float64{0.5, 2, 5} {
		total := 0
		for range n {
			eta := dirichlet1(rng, k)
			r, err := sv.Minimize(make([]float64, k), eta, gamma)
			if err != nil || r.Status != Converged {
				t.Fatalf("γ=%v: status %v, err %v (FOCAL_SEED=%d)", gamma, r.Status, err, seed)
			}
			total += r.Iterations
		}
		if mean := float64(total) / n; mean > exactMeanItersMax {
			t.Errorf("γ=%v, K=%d: %.2f iterations on average, want ≤ %v (FOCAL_SEED=%d go test ./numeric -run TestExactOrder)",
				gamma, k, mean, exactMeanItersMax, seed)
		}
	}
}

// exactResidualULPs bounds, in ulps of the terms, the difference between
// two evaluations of the KKT residual at the same point: Result.Residual
// (the solver's float64 ρ_i) and the one of TestExactResidualAtQ (log η_i
// and a correctly rounded log h(q_i) from hiprec), each a sum of a few
// terms rounded to a few ulps; 64 leaves a margin.
const exactResidualULPs = 64

// TestExactResidualAtQ checks that Result.Residual is the KKT residual of
// the returned Q, not of the point before the last step (which it was:
// 2.8e-8 at η = (0.7, 0.2, 0.1), γ = 2, for a Q correct to an ulp). The
// oracle evaluates at Q the residuals r_i = log η_i − log h(q_i), with
// log h from hiprec: KKT asks them to be equal, and for any shift s,
// max_i |r_i + s| lies between half their spread R and the spread itself,
// so (with |Σ q_i − 1| on both sides) R ≤ Residual ≤ 2R, within the
// rounding of the two evaluations.
func TestExactResidualAtQ(t *testing.T) {
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0x4e51d))
	cases := [][]float64{{0.7, 0.2, 0.1}, {0.9, 0.05, 0.05}, {0.5, 0.3, 0.2}, {0.4, 0.35, 0.25}}
	for _, k := range []int{2, 3, 10, 100} {
		for range 5 {
			cases = append(cases, dirichlet1(rng, k))
		}
	}
	sv := ExactSolver{FinalResidual: true}
	for n, eta := range cases {
		for _, gamma := range []float64{0.1, 0.5, 1, 2, 5, 17, 20, 50} {
			r, err := sv.Minimize(make([]float64, len(eta)), eta, gamma)
			if err != nil || r.Status != Converged {
				t.Fatalf("case %d, γ = %v: %v, %v", n, gamma, r.Status, err)
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			var sum, tol float64
			for i, q := range r.Q {
				sum += q
				if eta[i] == 0 || q < minNormal {
					continue
				}
				lh := hiprec.Float(hiprec.LogH(q, gamma))
				ri := math.Log(eta[i]) - lh
				lo, hi = min(lo, ri), max(hi, ri)
				// The terms' size, and the conditioning of log h at the
				// rounded q_i (d log h/d log q ≤ 1 + (γ+1)q/(1−q)).
				tol = max(tol, (1+math.Abs(math.Log(eta[i]))+math.Abs(lh)+(gamma+1)*q/(1-q))*exactResidualULPs*0x1p-52)
			}
			tol += float64(len(eta)) * 0x1p-52 // the plain sum above
			rInd := max((hi-lo)/2, math.Abs(sum-1))
			if !(r.Residual >= rInd-tol && r.Residual <= 2*rInd+tol) {
				t.Errorf("case %d (K=%d), γ = %v: Residual = %.3g, but the residual at Q is %.3g (spread/2; tolerance %.2g); rerun with FOCAL_SEED=%d",
					n, len(eta), gamma, r.Residual, rInd, tol, seed)
			}
		}
	}
}

// TestExactFinalResidualOnlyResidual checks that FinalResidual changes
// Result.Residual alone: Q, Risk, Status and Iterations are bit for bit
// those of a solve without it (the risk has its own pass then, which must
// add the same terms in the same order), on the regimes of the accuracy
// table: complemented top entries, ties, zeros and non-integer γ.
func TestExactFinalResidualOnlyResidual(t *testing.T) {
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0xf1a1))
	cases := [][]float64{{0.7, 0.2, 0.1}, {0.999999, 5e-7, 5e-7}, {0.5, 0.25, 0.25, 0}, {1 - 0x1p-52, 0x1p-53, 0x1p-53}}
	for _, k := range []int{2, 10, 1000} {
		for range 4 {
			cases = append(cases, dirichlet1(rng, k))
		}
	}
	on, off := ExactSolver{FinalResidual: true}, ExactSolver{}
	for n, eta := range cases {
		for _, gamma := range []float64{0.5, 1, 2, 2.5, 7, 50} {
			a, errA := on.Minimize(make([]float64, len(eta)), eta, gamma)
			b, errB := off.Minimize(make([]float64, len(eta)), eta, gamma)
			if errA != nil || errB != nil {
				t.Fatalf("case %d, γ = %v: %v, %v", n, gamma, errA, errB)
			}
			same := a.Status == b.Status && a.Iterations == b.Iterations && math.Float64bits(a.Risk) == math.Float64bits(b.Risk)
			for i := range a.Q {
				same = same && math.Float64bits(a.Q[i]) == math.Float64bits(b.Q[i])
			}
			if !same {
				t.Errorf("case %d (K=%d), γ = %v: with FinalResidual %v risk %v; without %v risk %v; rerun with FOCAL_SEED=%d",
					n, len(eta), gamma, a.Status, a.Risk, b.Status, b.Risk, seed)
			}
		}
	}
}
