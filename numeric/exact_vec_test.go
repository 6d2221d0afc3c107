package numeric

import (
	"math"
	"math/rand/v2"
	"testing"
)

// exactVecRelTol and exactVecULPsPerA bound the difference between
// Minimize with its vector kernels and without them, for entries of at
// least 1e-300 (the accuracy contract's floor). The kernels give the
// scalar loops' per-entry values bit for bit and only add the main pass's
// sums in four lanes instead of one, which changes the rounding of each
// step's shift and the iterate at which the stopping rule ends. Each
// solution is held to the accuracy contract (docs/numerics.md; measured by
// theory's TestAccuracy on the vector path): relative error 1e-14 where
// a = γ·|log(1−q_i)| ≤ 10 for every entry, 16·a ulps beyond. Two such
// solutions differ by at most twice that.
const (
	exactVecRelTol   = 2 * 1e-14
	exactVecULPsPerA = 2 * 16
)

// Minimize with and without its vector kernels converges on the same
// vectors, keeps the same zeros, and agrees to exactVecULPs, over every
// regime of directGens, γ in [1e-6, 100], and K from 2 to 1000 (lengths
// with every remainder mod 4, and a top entry above 1/2, the complemented
// mode, at every position).
func TestExactVectorMatchesScalar(t *testing.T) {
	if !exactVecOK {
		t.Skip("no vector kernels on this platform")
	}
	var worst, worstModerate float64
	anyGamma := func(_ int, rng *rand.Rand) float64 { return directRandGamma(rng) }
	exactBothWays(t, 0x7ec, vecKernels, anyGamma, func(n int, c exactCase, vec, scalar Result) {
		gamma, seed := c.gamma, c.seed
		if vec.Status != scalar.Status {
			t.Fatalf("case %d (%s, K=%d, γ=%v): status %v with the vector kernels, %v without (FOCAL_SEED=%d)", n, c.name, len(c.eta), gamma, vec.Status, scalar.Status, seed)
		}
		var a float64
		for _, q := range scalar.Q {
			a = max(a, -gamma*math.Log1p(-q))
		}
		relTol := exactVecRelTol
		if a > 10 {
			relTol = exactVecULPsPerA * a * 0x1p-52
		}
		for i, q := range scalar.Q {
			if (q == 0) != (vec.Q[i] == 0) {
				t.Fatalf("case %d: q_%d = %v with the vector kernels, %v without", n, i, vec.Q[i], q)
			}
			if q < 1e-300 {
				continue
			}
			ulps := math.Abs(vec.Q[i]-q) / ulp(q)
			worst = max(worst, ulps)
			tol := relTol * q / ulp(q)
			if a <= 10 {
				worstModerate = max(worstModerate, ulps)
			}
			if ulps > tol {
				t.Fatalf("case %d (%s, K=%d, γ=%v): q_%d = %v with the vector kernels, %v without (%.1f ulps); rerun with FOCAL_SEED=%d go test ./numeric -run TestExactVectorMatchesScalar",
					n, c.name, len(c.eta), gamma, i, vec.Q[i], q, ulps, seed)
			}
		}
	})
	t.Logf("largest difference: %.1f ulps where every a ≤ 10, %.1f overall", worstModerate, worst)
}

// ulp returns the spacing of float64 at x > 0.
func ulp(x float64) float64 { return math.Nextafter(x, math.Inf(1)) - x }

// A solver's buffers hold whatever its last solve left there: Minimize
// must read none of it. Solves on buffers filled with NaN and with +Inf
// give a fresh solver's result bit for bit, over the regimes of directGens
// and near-one-hot vectors whose top entry ends below 1/2 (where Minimize
// stops carrying it as a complement: its a2 had not been formed, and a
// step without the third-order correction multiplied it by 0).
func TestExactIgnoresBufferContents(t *testing.T) {
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0xb0f))
	type tcase struct {
		eta   []float64
		gamma float64
	}
	var cases []tcase
	for _, k := range []int{3, 10, 1000} {
		for _, top := range []float64{0.6, 0.891, 0.99} {
			eta := make([]float64, k)
			for i := range eta {
				eta[i] = (1 - top) / float64(k-1) * (0.5 + rng.Float64())
			}
			var s float64
			for _, e := range eta[1:] {
				s += e
			}
			eta[0] = 1 - s
			cases = append(cases, tcase{eta, 52.12446534577968}, tcase{eta, 20})
		}
	}
	for n := 0; n < 1500; n++ {
		g := directGens[n%len(directGens)]
		k := []int{2, 3, 5, 10, 33, 1000}[rng.IntN(6)]
		cases = append(cases, tcase{g.gen(rng, k), directRandGamma(rng)})
	}
	for n, c := range cases {
		k := len(c.eta)
		var fresh ExactSolver
		want, err := fresh.Minimize(make([]float64, k), c.eta, c.gamma)
		if err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		for _, fill := range []float64{math.NaN(), math.Inf(1)} {
			sv := ExactSolver{buf: make([]float64, 4*k+8)}
			for i := range sv.buf {
				sv.buf[i] = fill
			}
			got, err := sv.Minimize(make([]float64, k), c.eta, c.gamma)
			if err != nil {
				t.Fatalf("case %d: %v", n, err)
			}
			for i := range want.Q {
				if math.Float64bits(got.Q[i]) != math.Float64bits(want.Q[i]) {
					t.Fatalf("case %d (K=%d, γ=%v), buffers filled with %v: q_%d = %v, a fresh solver %v; rerun with FOCAL_SEED=%d go test ./numeric -run TestExactIgnoresBufferContents",
						n, k, c.gamma, fill, i, got.Q[i], want.Q[i], seed)
				}
			}
		}
	}
}

// The kernels other than the main pass's (the products t_i and the step)
// give the portable loops' results bit for bit: a solve with them
// (vecExactKernels) equals one without any kernel in every bit, over the
// regimes of directGens, every K mod 4, γ in [1e-6, 100] and the integer
// powers the product kernel serves (γ = 1, 2, 3, 4).
func TestExactKernelsBitForBit(t *testing.T) {
	if !exactVecOK {
		t.Skip("no vector kernels on this platform")
	}
	// Half the cases at the integer powers the product kernel serves.
	gammas := func(n int, rng *rand.Rand) float64 {
		if n%2 == 0 {
			return float64(1 + rng.IntN(4))
		}
		return directRandGamma(rng)
	}
	exactBothWays(t, 0xb1b, vecExactKernels, gammas, func(n int, c exactCase, vec, scalar Result) {
		k, gamma, seed := len(c.eta), c.gamma, c.seed
		if vec.Iterations != scalar.Iterations || vec.Status != scalar.Status || math.Float64bits(vec.Risk) != math.Float64bits(scalar.Risk) {
			t.Fatalf("case %d (%s, K=%d, γ=%v): %d iterations, %v, risk %v with the kernels; %d, %v, %v without (FOCAL_SEED=%d)",
				n, c.name, k, gamma, vec.Iterations, vec.Status, vec.Risk, scalar.Iterations, scalar.Status, scalar.Risk, seed)
		}
		for i := range vec.Q {
			if math.Float64bits(vec.Q[i]) != math.Float64bits(scalar.Q[i]) {
				t.Fatalf("case %d (%s, K=%d, γ=%v): q_%d = %v with the kernels, %v without; rerun with FOCAL_SEED=%d go test ./numeric -run TestExactKernelsBitForBit",
					n, c.name, k, gamma, i, vec.Q[i], scalar.Q[i], seed)
			}
		}
	})
}

// The step kernel against stepRange, its scalar code, on crafted blocks
// that reach every branch: steps past log(1/2) (the first clamp) and
// below −maxLogStep (the second), both polynomials, entries and updates
// below 2^−1022, steps of 2^−4 and more, η_i = 0, with and without the
// third-order term. Blocks the kernel takes must equal stepRange's fast
// path bit for bit; it must stop at the first block with an entry off that
// path and leave that block, and every entry with η_i = 0, untouched.
func TestExactStepKernel(t *testing.T) {
	if !exactVecOK {
		t.Skip("no vector kernels on this platform")
	}
	const seed = 20261128
	rng := rand.New(rand.NewPCG(seed, 1))
	logHalf := -math.Ln2
	clampsSeen := 0
	for trial := range 20000 {
		n := 4 * (1 + rng.IntN(4))
		eta, q, x, rho, d, a2 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			eta[i] = rng.Float64()
			if rng.IntN(8) == 0 {
				eta[i] = 0
			}
			x[i] = logHalf - math.Ldexp(rng.Float64(), -rng.IntN(40))
			if rng.IntN(6) == 0 {
				x[i] = -700 - 50*rng.Float64() // subnormal q
			}
			q[i] = math.Exp(x[i])
			d[i] = 0.5 + rng.Float64()
			a2[i] = rng.NormFloat64()
			// Steps mostly below 2^−10, some up to 2^−4 and beyond.
			rho[i] = rng.NormFloat64() * math.Ldexp(1, -4-rng.IntN(12))
			if rng.IntN(50) == 0 {
				rho[i] = -40 * rng.Float64()
			}
		}
		ds, ds1 := rng.NormFloat64()*1e-4, rng.NormFloat64()*1e-6
		cheb := float64(rng.IntN(2))
		qv, xv := append([]float64(nil), q...), append([]float64(nil), x...)
		var lanes exactStepLanes
		lanes.init(logHalf)
		lanes.start(ds, ds1, cheb)
		done := exactStepVec(&lanes, eta, qv, xv, rho, d, a2, 0, n)
		qs, xs := append([]float64(nil), q...), append([]float64(nil), x...)
		stop := n
		var wantMq, wantMaxStep float64
		wantClamped := false
		for b := 0; b < n && stop == n; b += 4 {
			var acc stepAcc
			stepRange(&acc, eta, qs, xs, rho, d, a2, b, b+4, ds, ds1, cheb, logHalf)
			if acc.slow > 0 {
				stop = b
				break
			}
			if acc.maxSub != 0 || acc.maxNormal != acc.maxStep {
				t.Fatalf("trial %d: a block on the fast path reported maxSub %v, maxNormal %v, maxStep %v", trial, acc.maxSub, acc.maxNormal, acc.maxStep)
			}
			wantMq, wantMaxStep, wantClamped = max(wantMq, acc.mq), max(wantMaxStep, acc.maxStep), wantClamped || acc.clamped
			if acc.clamped {
				clampsSeen++
			}
		}
		if done != stop {
			t.Fatalf("trial %d (seed %d): the kernel did %d entries, the scalar fast path reaches %d", trial, seed, done, stop)
		}
		var mq, maxStep, maxNormal float64
		clamped := false
		lanes.finish(&mq, &maxStep, &maxNormal, &clamped)
		if mq != wantMq || maxStep != wantMaxStep || maxNormal != wantMaxStep || clamped != wantClamped {
			t.Fatalf("trial %d (seed %d): kernel maxima %v, %v, %v, clamped %v; scalar %v, %v, %v, %v", trial, seed, mq, maxStep, maxNormal, clamped, wantMq, wantMaxStep, wantMaxStep, wantClamped)
		}
		for i := range n {
			wantQ, wantX := qs[i], xs[i]
			if i >= done || eta[i] == 0 {
				wantQ, wantX = q[i], x[i] // untouched
			}
			if math.Float64bits(qv[i]) != math.Float64bits(wantQ) || math.Float64bits(xv[i]) != math.Float64bits(wantX) {
				t.Fatalf("trial %d (seed %d), entry %d: kernel q = %v, x = %v; want %v, %v", trial, seed, i, qv[i], xv[i], wantQ, wantX)
			}
		}
	}
	if clampsSeen == 0 {
		t.Fatalf("seed %d: no clamped step on the fast path: the test does not reach the clamps", seed)
	}
}

// exactCase is one case of exactBothWays.
type exactCase struct {
	name  string // the directGens regime
	eta   []float64
	gamma float64
	seed  uint64 // FOCAL_SEED, to rerun
}

// exactBothWays solves 3000 seeded cases, over the regimes of directGens
// with K on both sides of exactVecMinK and of every remainder mod 4, and γ
// from gamma, with the kernels kern and with the portable loops alone, and
// hands both results to check. stream separates the tests' random streams.
func exactBothWays(t *testing.T, stream uint64, kern exactKernels, gamma func(n int, rng *rand.Rand) float64, check func(n int, c exactCase, vec, scalar Result)) {
	t.Helper()
	seed := directSeed(t)
	rng := rand.New(rand.NewPCG(seed, stream))
	var sv ExactSolver
	for n := 0; n < 3000; n++ {
		g := directGens[n%len(directGens)]
		k := []int{2, 3, 4, 5, 7, 10, 12, 13, 14, 15, 33, 100, 1000}[rng.IntN(13)]
		c := exactCase{name: g.name, eta: g.gen(rng, k), gamma: gamma(n, rng), seed: seed}
		vec, err := sv.minimize(make([]float64, k), c.eta, c.gamma, kern)
		if err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		scalar, err := sv.minimize(make([]float64, k), c.eta, c.gamma, portableKernels)
		if err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		check(n, c, vec, scalar)
	}
}
