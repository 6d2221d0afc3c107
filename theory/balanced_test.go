package theory_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"

	"github.com/focaltk/focal/theory"
)

func allNaN(x []float64) bool {
	for _, v := range x {
		if !math.IsNaN(v) {
			return false
		}
	}
	return true
}

// One line per line of PsiBalanced's "Special cases are".
func TestPsiBalancedSpecialCases(t *testing.T) {
	v := []float64{0.5, 0.3, 0.2}
	a := []float64{1, 2, 0.5}
	dst := make([]float64, 3)
	for _, c := range []struct {
		v, alpha []float64
		gamma    float64
	}{
		{v, a, nan}, {v, a, -1}, {v, a, inf},
		{[]float64{nan, 0.5, 0.5}, a, 2}, {[]float64{-0.1, 0.6, 0.5}, a, 2}, {[]float64{1.5, 0, 0}, a, 2},
		{[]float64{0, 0, 0}, a, 2}, {[]float64{0, 0, 0}, a, 0},
		{v, []float64{nan, 1, 1}, 2}, {v, []float64{inf, 1, 1}, 2}, {v, []float64{1, -inf, 1}, 2},
		{v, []float64{1, 0, 1}, 2}, {v, []float64{1, 1, -2}, 2},
	} {
		if !allNaN(theory.PsiBalanced(dst, c.v, c.alpha, c.gamma)) {
			t.Errorf("PsiBalanced(%v, %v, %v) = %v, want all NaN", c.v, c.alpha, c.gamma, dst)
		}
	}
	for _, g := range []float64{1e-9, 2, 17, 18, 100} {
		for y := range 3 {
			e := make([]float64, 3)
			e[y] = 1
			theory.PsiBalanced(dst, e, a, g)
			for i := range dst {
				if dst[i] != e[i] {
					t.Errorf("PsiBalanced(e_%d, %v, %v) = %v", y, a, g, dst)
					break
				}
			}
		}
	}
	// Two entries at 1: proportional to 1/α there.
	theory.PsiBalanced(dst, []float64{1, 0.3, 1}, []float64{1, 1, 3}, 2)
	if dst[0] != 0.75 || dst[1] != 0 || dst[2] != 0.25 {
		t.Errorf("PsiBalanced((1, .3, 1), (1, 1, 3), 2) = %v, want (0.75, 0, 0.25)", dst)
	}
}

// With equal weights PsiBalanced is Psi, and scaling every weight by the
// same factor changes nothing (identities between two code paths).
func TestPsiBalancedEqualWeights(t *testing.T) {
	// eqWeightsULPs: both sides normalize a vector with rounding of an ulp
	// per entry; dividing by a common weight first adds one more.
	const eqWeightsULPs = 4
	rng := rand.New(rand.NewPCG(11, 12))
	for _, g := range []float64{0, 0.5, 1, 2, 3, 17, 25} {
		for range 20 {
			k := 2 + rng.IntN(8)
			v := randSimplex(rng, k)
			w := 0.1 + 10*rng.Float64()
			ones, scaled := make([]float64, k), make([]float64, k)
			alpha := make([]float64, k)
			for i := range ones {
				ones[i] = w
				alpha[i] = 0.05 + rng.Float64()
				scaled[i] = 7 * alpha[i]
			}
			psi := theory.Psi(make([]float64, k), v, g)
			got := theory.PsiBalanced(make([]float64, k), v, ones, g)
			a := theory.PsiBalanced(make([]float64, k), v, alpha, g)
			b := theory.PsiBalanced(make([]float64, k), v, scaled, g)
			for i := range v {
				if d := math.Abs(got[i]-psi[i]) / ulp(psi[i]); d > eqWeightsULPs {
					t.Errorf("γ=%v v=%v: PsiBalanced with equal weights %v differs from Psi %v by %.1f ulps", g, v, got, psi, d)
				}
				if d := math.Abs(a[i]-b[i]) / ulp(a[i]); d > eqWeightsULPs {
					t.Errorf("γ=%v v=%v α=%v: scaling α by 7 moves entry %d by %.1f ulps", g, v, alpha, i, d)
				}
			}
		}
	}
}

func randSimplex(rng *rand.Rand, k int) []float64 {
	v := make([]float64, k)
	var s float64
	for i := range v {
		v[i] = rng.ExpFloat64()
		s += v[i]
	}
	for i := range v {
		v[i] /= s
	}
	return v
}

// directBalanced minimizes the α-balanced risk W_α(q; η) itself with
// gonum/optimize (BFGS) over the softmax parametrization q = softmax(z),
// z_0 = 0, from z = 0 (the uniform vector). It uses only the definition of
// the risk and its derivative, ∂/∂q_i of −α_i η_i (1−q_i)^γ log q_i, never
// h^γ, φ^γ or Ψ^γ, so it is an independent argmin for checking the recovery
// transform.
func directBalanced(eta, alpha []float64, gamma float64) ([]float64, error) {
	k := len(eta)
	q := make([]float64, k)
	qg := make([]float64, k)
	set := func(x []float64) {
		m := 0.0
		for _, xi := range x {
			m = math.Max(m, xi)
		}
		s := math.Exp(-m)
		q[0] = s
		for i, xi := range x {
			q[i+1] = math.Exp(xi - m)
			s += q[i+1]
		}
		for i := range q {
			q[i] /= s
		}
	}
	f := func(x []float64) float64 {
		set(x)
		var w float64
		for i, e := range eta {
			w -= alpha[i] * e * math.Pow(1-q[i], gamma) * math.Log(q[i])
		}
		return w
	}
	grad := func(g, x []float64) {
		set(x)
		// q_i ∂W/∂q_i = α_i η_i [γ q_i (1−q_i)^{γ−1} log q_i − (1−q_i)^γ].
		var sum float64
		for i, e := range eta {
			qi := q[i]
			var t float64
			if gamma != 0 {
				t = gamma * qi * math.Pow(1-qi, gamma-1) * math.Log(qi)
			}
			qg[i] = alpha[i] * e * (t - math.Pow(1-qi, gamma))
			sum += qg[i]
		}
		// ∂W/∂z_j = q_j ∂W/∂q_j − q_j Σ_i q_i ∂W/∂q_i.
		for j := 1; j < k; j++ {
			g[j-1] = qg[j] - q[j]*sum
		}
	}
	res, err := optimize.Minimize(optimize.Problem{Func: f, Grad: grad}, make([]float64, k-1),
		&optimize.Settings{GradientThreshold: directGradTol, Converger: optimize.NeverTerminate{}},
		&optimize.BFGS{})
	if err != nil && res == nil {
		return nil, err
	}
	// A line search that fails at the rounding floor of W, with the
	// gradient already below directAcceptTol, is a converged run.
	if res.Status != optimize.GradientThreshold && !(floats.Norm(res.Gradient, math.Inf(1)) <= directAcceptTol) {
		return nil, fmt.Errorf("direct minimizer stopped with %v (%v), gradient %v", res.Status, err, res.Gradient)
	}
	set(res.X)
	return append([]float64(nil), q...), nil
}

// directGradTol: the gradient in z is a difference of terms of size W ≈ 1
// whose rounding is ~1e-16·K; 1e-12 is often reachable. directAcceptTol:
// the line search stalls where W no longer resolves a step, at a gradient
// of about √(ε·W·λ) ≈ 1e-9 (λ the Hessian's scale); 1e-8 accepts that
// floor with a margin.
const (
	directGradTol   = 1e-12
	directAcceptTol = 1e-8
)

// Thm 11 for the α-balanced loss: PsiBalanced(argmin W_α) = η, with the
// argmin found by minimizing W_α directly.
func TestPsiBalancedRecoversPosterior(t *testing.T) {
	// balancedRecoverTol: the direct minimizer leaves |∇| ≤ 1e-8 in z;
	// with entries of η ≥ 0.02 the Hessian's smallest eigenvalue is
	// ≳ 1e-2, so z is within ~1e-6 of the minimizer, and the recovery
	// (derivative ≲ 1 in z on these inputs) moves η as much in the worst
	// case; ~1e-9 is observed.
	const balancedRecoverTol = 1e-6
	rng := rand.New(rand.NewPCG(21, 22))
	cases := []struct{ eta, alpha []float64 }{
		{[]float64{0.5, 0.3, 0.2}, []float64{0.25, 1, 1}},
		{[]float64{0.7, 0.3}, []float64{0.25, 0.75}},
		{[]float64{0.1, 0.1, 0.8}, []float64{3, 1, 0.2}},
	}
	for range 6 {
		k := 2 + rng.IntN(5)
		eta := randSimplex(rng, k)
		for i := range eta {
			eta[i] = 0.02 + 0.9*eta[i]
		}
		eta = normalized(eta)
		alpha := make([]float64, k)
		for i := range alpha {
			alpha[i] = math.Exp(rng.Float64()*4 - 2)
		}
		cases = append(cases, struct{ eta, alpha []float64 }{eta, alpha})
	}
	worst := 0.0
	defer func() { t.Logf("worst |PsiBalanced(argmin W_α) − η| = %.3g", worst) }()
	for _, g := range []float64{0, 0.5, 1, 2, 3, 5} {
		for _, c := range cases {
			q, err := directBalanced(c.eta, c.alpha, g)
			if err != nil {
				t.Fatalf("η=%v α=%v γ=%v: %v", c.eta, c.alpha, g, err)
			}
			got := theory.PsiBalanced(make([]float64, len(q)), q, c.alpha, g)
			for i := range got {
				worst = math.Max(worst, math.Abs(got[i]-c.eta[i]))
				if math.Abs(got[i]-c.eta[i]) > balancedRecoverTol {
					t.Errorf("η=%v α=%v γ=%v: PsiBalanced(argmin) = %v", c.eta, c.alpha, g, got)
					break
				}
			}
		}
	}
}

func normalized(v []float64) []float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	for i := range v {
		v[i] /= s
	}
	return v
}

// With unequal weights the trained model predicts argmax α_y η_y and the
// balanced recovery restores argmax η_y (so it may change the prediction,
// unlike Ψ: Prop 12).
func TestPsiBalancedMovesArgmax(t *testing.T) {
	eta := []float64{0.5, 0.3, 0.2}
	alpha := []float64{0.1, 1, 1} // α η = (0.05, 0.3, 0.2)
	q, err := directBalanced(eta, alpha, 2)
	if err != nil {
		t.Fatal(err)
	}
	if theory.Argmax(q) != 1 {
		t.Fatalf("argmin of W_α = %v, expected its argmax at class 1", q)
	}
	if got := theory.PsiBalanced(make([]float64, 3), q, alpha, 2); theory.Argmax(got) != 0 {
		t.Errorf("PsiBalanced = %v, want argmax 0", got)
	}
}

func TestRiskBalanced(t *testing.T) {
	// riskULPs: a sum of three products, each within an ulp or two.
	const riskULPs = 8
	q, eta := []float64{0.6, 0.3, 0.1}, []float64{0.5, 0.3, 0.2}
	if got, want := theory.RiskBalanced(q, eta, []float64{1, 1, 1}, 2), theory.Risk(q, eta, 2); math.Abs(got-want) > riskULPs*ulp(want) {
		t.Errorf("RiskBalanced with α = 1: %v, Risk %v", got, want)
	}
	// W_α(q; η) = c·W(q; η'), η' = αη/c.
	alpha := []float64{0.2, 1, 4}
	c := 0.0
	etaW := make([]float64, 3)
	for i := range eta {
		etaW[i] = alpha[i] * eta[i]
		c += etaW[i]
	}
	for i := range etaW {
		etaW[i] /= c
	}
	if got, want := theory.RiskBalanced(q, eta, alpha, 2), c*theory.Risk(q, etaW, 2); math.Abs(got-want) > riskULPs*ulp(want) {
		t.Errorf("RiskBalanced = %v, c·W(q; η') = %v", got, want)
	}
	for _, a := range [][]float64{{0, 1, 1}, {nan, 1, 1}, {1, inf, 1}} {
		if got := theory.RiskBalanced(q, eta, a, 2); !math.IsNaN(got) {
			t.Errorf("RiskBalanced with α = %v: %v, want NaN", a, got)
		}
	}
	if got := theory.RiskBalanced([]float64{0, 1}, []float64{0.5, 0.5}, []float64{1, 1}, 2); !math.IsInf(got, 1) {
		t.Errorf("RiskBalanced with q_i = 0 < η_i: %v, want +Inf", got)
	}
}
