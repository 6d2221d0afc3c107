package experiments

import (
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/focaltk/focal/calibrate"
	"github.com/focaltk/focal/theory"
)

const (
	// fdStep is the central-difference step: its truncation error
	// h²·|R'''|/6 ≈ 1e-12 for O(1) third derivatives, its rounding error
	// ε·|R|/h ≈ 1e-10.
	fdStep = 1e-6
	// fdTol bounds |analytic − finite difference| relative to max(1, |g|):
	// a hundred times the finite difference's own error, far below any
	// mistake in a term of the gradient (which would be O(1e-2) or more).
	fdTol = 1e-7
	// lossTol bounds the relative difference between the logit-based loss
	// and φ here and theory.LossTerm / theory.Phi of the rounded score p:
	// both are accurate to a few ulps, but p itself carries a rounding
	// error of an ulp, which the loss's condition number |1/log p| (≤ ~10²
	// for the p of the test) and γ|p/(1−p)| amplify.
	lossTol = 1e-11
)

// testSeed returns the seed of the randomized tests: FOCAL_SEED if set,
// otherwise a fixed default. Failures print it.
func testSeed(t *testing.T) uint64 {
	if s := os.Getenv("FOCAL_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("FOCAL_SEED=%q: %v", s, err)
		}
		return v
	}
	return 20210611
}

// TestGradient checks the analytic gradient of the focal objective against
// central finite differences, for several γ (including γ < 1, where φ's
// (1−p)^{γ−1} factor is singular at p = 1) and logits up to ±8.
func TestGradient(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	const n, k, d = 9, 4, 3
	feats := make([]float64, n*d)
	labels := make([]int, n)
	for i := range n {
		feats[i*d] = 1
		for c := 1; c < d; c++ {
			feats[i*d+c] = 2 * rng.NormFloat64()
		}
		labels[i] = rng.IntN(k)
	}
	for _, gamma := range []float64{0, 0.3, 1, 2, 5} {
		obj := newFocalObjective(feats, labels, k, d, gamma, 0.01)
		w := make([]float64, k*d)
		for i := range w {
			w[i] = 1.5 * rng.NormFloat64()
		}
		g := make([]float64, len(w))
		f := obj.eval(g, w)
		if f2 := obj.eval(nil, w); f2 != f {
			t.Errorf("γ=%g: eval with and without gradient differ: %v vs %v (seed %d)", gamma, f, f2, seed)
		}
		for i := range w {
			wp, wm := append([]float64(nil), w...), append([]float64(nil), w...)
			wp[i] += fdStep
			wm[i] -= fdStep
			fd := (obj.eval(nil, wp) - obj.eval(nil, wm)) / (2 * fdStep)
			if diff := math.Abs(fd - g[i]); diff > fdTol*math.Max(1, math.Abs(g[i])) {
				t.Errorf("γ=%g: ∂R/∂w[%d] = %.12g, finite difference %.12g (seed %d; FOCAL_SEED reproduces)", gamma, i, g[i], fd, seed)
			}
		}
	}
}

// TestLossTerms compares the logit-based loss and φ factor with package
// theory's LossTerm and Phi of the rounded score p (an independent
// implementation from probabilities), and checks the limits p → 1, where
// only the logit form keeps 1 − p.
func TestLossTerms(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 2))
	q := make([]float64, 3)
	for range 200 {
		z := []float64{3 * rng.NormFloat64(), 3 * rng.NormFloat64(), 3 * rng.NormFloat64()}
		y := rng.IntN(3)
		for _, gamma := range []float64{0, 0.5, 1, 2, 3, 5} {
			loss, phi := lossTerms(q, z, y, gamma)
			p := q[y]
			if p < 1e-3 || p > 0.999 {
				continue // conditioning of p ↦ loss is outside lossTol's budget
			}
			wantL, wantPhi := theory.LossTerm(p, gamma), theory.Phi(p, gamma)
			if e := math.Abs(loss-wantL) / wantL; e > lossTol {
				t.Errorf("z=%v y=%d γ=%g: loss %v, theory.LossTerm(%v) = %v (rel. error %.2g; seed %d)", z, y, gamma, loss, p, wantL, e, seed)
			}
			if e := math.Abs(phi-wantPhi) / wantPhi; e > lossTol {
				t.Errorf("z=%v y=%d γ=%g: φ %v, theory.Phi(%v) = %v (rel. error %.2g; seed %d)", z, y, gamma, phi, p, wantPhi, e, seed)
			}
		}
	}

	// p → 1 with z = (0, −a): 1 − p = e^{−a}/(1 + e^{−a}) =: u. The γ = 1
	// closed forms are ℓ = −u log(1 − u) ≈ u² and φ^1 = u − (1−u) log(1−u)
	// ≈ 2u, which rounding p to 1 would turn into 0 (a ≥ 37).
	for _, a := range []float64{20, 40, 200, 700} {
		z := []float64{0, -a}
		u := math.Exp(-a) / (1 + math.Exp(-a))
		loss, phi := lossTerms(q[:2], z, 0, 1)
		wantL, wantPhi := -u*math.Log1p(-u), u-(1-u)*math.Log1p(-u)
		if math.Abs(loss-wantL) > lossTol*wantL || math.Abs(phi-wantPhi) > lossTol*wantPhi {
			t.Errorf("z=%v γ=1: loss %v φ %v, want %v and %v", z, loss, phi, wantL, wantPhi)
		}
	}
	// Exactly p = 1 (the other exponential underflows): ℓ = 0 and φ^γ = 0
	// for γ > 0, φ^0 = 1; never NaN, even for γ < 1.
	for _, gamma := range []float64{0, 0.5, 1, 5} {
		loss, phi := lossTerms(q[:2], []float64{0, -800}, 0, gamma)
		wantPhi := 0.0
		if gamma == 0 {
			wantPhi = 1
		}
		if loss != 0 || phi != wantPhi {
			t.Errorf("p = 1, γ=%g: loss %v φ %v, want 0 and %v", gamma, loss, phi, wantPhi)
		}
	}
}

// TestTrainReachesStationaryPoint trains on a small problem and checks the
// stopping rule: the gradient at the returned weights is below the
// threshold the optimizer stopped on.
func TestTrainReachesStationaryPoint(t *testing.T) {
	xs, ys := synthSample(rand.New(rand.NewPCG(testSeed(t), 3)), 500)
	feats := synthFeatureMatrix(xs)
	for _, gamma := range []float64{0, 2} {
		ft, err := train(t.Context(), newFocalObjective(feats, ys, synthK, synthD, gamma, synthLambda))
		if err != nil {
			t.Fatalf("γ=%g: %v", gamma, err)
		}
		if ft.status.String() != "GradientThreshold" || ft.gradInf > trainGradTol {
			t.Errorf("γ=%g: status %v, ‖∇R‖∞ = %.3g (threshold %g)", gamma, ft.status, ft.gradInf, trainGradTol)
		}
	}
}

// logitNLL computes temperature scaling's NLL in the log domain: on a
// row whose true class softmax rounds to probability 0 it is the exact
// value (z_max − z_y)/t + log1p(e^{−…}) = 1000 where the NLL of the
// probabilities is +Inf; elsewhere it agrees with calibrate.Evaluate on
// ScaleTemperature's probabilities (a second method) within logNLLTol.
func TestLogitNLL(t *testing.T) {
	z := []float64{0, 1000}
	if got := logitNLL(z, 2, []int{0}, 1); got != 1000 {
		t.Errorf("logitNLL((0, 1000), y = 0) = %v, want 1000", got)
	}
	p := calibrate.ScaleTemperature(make([]float64, 2), z, 2, 1, 1)
	if m := calibrate.Evaluate(p, 2, []int{0}, calibrate.Settings{}); !math.IsInf(m.NLL, 1) {
		t.Errorf("NLL of the probabilities: %v (expected +Inf: the case logitNLL exists for)", m.NLL)
	}
	// logNLLTol: both sides are sums of 200 terms of size O(1) computed
	// in different orders of operations: a few ulps each.
	const logNLLTol = 1e-12
	rng := rand.New(rand.NewPCG(3, 4))
	const n, k = 200, 4
	zz := make([]float64, n*k)
	y := make([]int, n)
	for i := range zz {
		zz[i] = 3 * rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.IntN(k)
	}
	for _, temp := range []float64{0.3, 1, 2.5} {
		want := calibrate.Evaluate(calibrate.ScaleTemperature(make([]float64, n*k), zz, k, temp, 1), k, y, calibrate.Settings{}).NLL
		if got := logitNLL(zz, k, y, temp); math.Abs(got-want) > logNLLTol {
			t.Errorf("T = %v: logitNLL %v, Evaluate %v", temp, got, want)
		}
	}
}
