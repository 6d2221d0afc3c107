package theory_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/theory"
)

// Tolerances of PsiLogits and LogPsiLogits against hiprec, in ulps per unit
// of the contract's allowance 1 + γ·|log(1 − v_m)| (docs/numerics.md:
// a few ulps where γ·|log(1−v_m)| ≤ 10, growing like it beyond; v_m the
// largest softmax probability):
//
//   - psiLogitsULPs: each component ≥ 1e-300 is formed from exactly split
//     logit differences, one exp, one power (math.Pow's error, or the
//     exponent's amplification of a log where the power leaves the normal
//     range) and a compensated sum: measured at most 4.3 per unit (γ = 30, moderate logits) on the sweep
//     below;
//   - logPsiLogitsULPs: the logarithm of such a component, or its
//     log-domain sum below the normal range (relative to |log Ψ_i|), or
//     −log1p of the others' share for the largest: measured at most 2.5 per unit.
const (
	psiLogitsULPs    = 16
	logPsiLogitsULPs = 16
	// contractModerateULPs is the moderate regime's 1e-14 of
	// docs/numerics.md in ulps (1e-14/2^-52 ≈ 45).
	contractModerateULPs = 45
)

// logitsAllowance returns 1 + γ·|log(1 − v_m)| of softmax(z), from
// log(1 − v_m) = log r − log1p(r), r = Σ_{j≠m} e^{z_j − z_m} (float64 is
// enough for a tolerance's scale).
func logitsAllowance(z []float64, gamma float64) float64 {
	m := 0
	for i := range z {
		if z[i] > z[m] {
			m = i
		}
	}
	z2 := math.Inf(-1)
	for j, x := range z {
		if j != m && x > z2 {
			z2 = x
		}
	}
	var s float64
	for j, x := range z {
		if j != m {
			s += math.Exp(x - z2)
		}
	}
	logR := z2 - z[m] + math.Log(s)
	l := logR - math.Log1p(math.Exp(logR))
	return 1 + gamma*math.Abs(l)
}

// logitsCase is one row of logits and a γ.
type logitsCase struct {
	z     []float64
	gamma float64
}

// logitsCases returns the directed edge cases and n seeded random rows:
// gaps up to 10^4, ties, huge offsets, −Inf entries, γ = 0, tiny and large,
// K = 2 to 300.
func logitsCases(seed uint64, n int) []logitsCase {
	cs := []logitsCase{
		{[]float64{50, 0, 0}, 2}, {[]float64{50, 0, 0}, 1}, {[]float64{1e4, 0, 0}, 2},
		{[]float64{0, -1e4, -2e4}, 2.5}, {[]float64{0, -1e4}, 1e-9}, {[]float64{0, -1e4}, 17},
		{[]float64{3, 3, 0}, 2}, {[]float64{1, 1, 1, 1}, 2}, {[]float64{-5, 7, 7, 7}, 3},
		{[]float64{1e6 + 3, 1e6, 1e6 - 40}, 2}, {[]float64{-1e8, -1e8 + 1e3, 0}, 2},
		{[]float64{2, math.Inf(-1), 0}, 2}, {[]float64{math.Inf(-1), 4, math.Inf(-1), -3}, 0.5},
		{[]float64{0, 37}, 2}, {[]float64{0, 38}, 2}, {[]float64{0, 745}, 0}, {[]float64{0, 800}, 0.1},
		{[]float64{0, 172}, 3}, {[]float64{0, 690}, 0}, {[]float64{0, 1e-300}, 2}, {[]float64{0, 0x1p-1074}, 2},
		{[]float64{0.3, -0.2, 0.1}, 0}, {[]float64{10, -10}, 100}, {[]float64{1, 0}, 1000},
	}
	rng := rand.New(rand.NewPCG(seed, 0x109175))
	big := make([]float64, 300)
	for i := range big {
		big[i] = rng.NormFloat64() * 8
	}
	cs = append(cs, logitsCase{big, 2.5})
	gammas := []float64{0, 1e-9, 0.5, 1, 2, 2.5, 3, 5, 9.5, 17, 30}
	scales := []float64{1, 10, 50, 300, 1e3, 1e4}
	for range n {
		k := 2 + rng.IntN(9)
		z := make([]float64, k)
		scale := scales[rng.IntN(len(scales))]
		for i := range z {
			z[i] = (rng.Float64()*2 - 1) * scale
		}
		if rng.IntN(4) == 0 {
			z[1] = z[0] // a tie
		}
		cs = append(cs, logitsCase{z, gammas[rng.IntN(len(gammas))]})
	}
	return cs
}

// logitsSeed seeds the random rows of the logits tests; a failure names it
// (rerun: the same seed gives the same rows).
const logitsSeed = 1

// TestPsiLogitsAccuracy: PsiLogits and LogPsiLogits against hiprec's
// 60-digit softmax-then-Ψ, every component ≥ 1e-300 within psiLogitsULPs
// per unit of allowance, every logarithm within logPsiLogitsULPs.
func TestPsiLogitsAccuracy(t *testing.T) {
	n := 60
	if testing.Short() {
		n = 40
	}
	for ci, c := range logitsCases(logitsSeed, n) {
		k := len(c.z)
		got := theory.PsiLogits(make([]float64, k), c.z, c.gamma)
		lgot := theory.LogPsiLogits(make([]float64, k), c.z, c.gamma)
		want := hiprec.PsiLogits(c.z, c.gamma)
		lwant := hiprec.LogPsiLogits(c.z, c.gamma)
		al := logitsAllowance(c.z, c.gamma)
		// The contract of docs/numerics.md itself: 1e-14 relative (about
		// 45 ulps) where a = al − 1 ≤ 10, 16·a ulps beyond.
		contract := float64(contractModerateULPs)
		if a := al - 1; a > 10 {
			contract = 16 * a
		}
		name := fmt.Sprintf("case %d (seed %d): z=%v γ=%v", ci, logitsSeed, short(c.z), c.gamma)
		for i := range c.z {
			if w := hiprec.Float(want[i]); w >= 1e-300 {
				if u := hiprec.ULPs(got[i], want[i]); !(u <= psiLogitsULPs*al) || !(u <= contract) {
					t.Errorf("%s: Ψ_%d = %v, want %v: %.3g ulps > %v·%.3g or the contract's %.3g", name, i, got[i], w, u, psiLogitsULPs, al, contract)
				}
			} else if !(got[i] < 1e-299) {
				t.Errorf("%s: Ψ_%d = %v, want %v", name, i, got[i], w)
			}
			if u := hiprec.ULPs(lgot[i], lwant[i]); !(u <= logPsiLogitsULPs*al) && !(lgot[i] == hiprec.Float(lwant[i])) {
				t.Errorf("%s: log Ψ_%d = %v, want %v: %.3g ulps > %v·%.3g", name, i, lgot[i], hiprec.Float(lwant[i]), u, logPsiLogitsULPs, al)
			}
		}
	}
}

// short abbreviates a long row for a failure message.
func short(z []float64) []float64 {
	if len(z) > 12 {
		return z[:12]
	}
	return z
}

// TestPsiLogitsIssueExample: logits (50, 0, 0) at γ = 2 give class 1 a
// recovered probability near 8.6e-65 (0 through softmax then Psi), and gaps
// of 10^4 a finite logarithm.
func TestPsiLogitsIssueExample(t *testing.T) {
	z := []float64{50, 0, 0}
	viaSoftmax := theory.Psi(make([]float64, 3), softmax(z), 2)
	got := theory.PsiLogits(make([]float64, 3), z, 2)
	if viaSoftmax[1] != 0 {
		t.Logf("Psi(softmax) gives %v for class 1 (expected 0: the defect PsiLogits removes)", viaSoftmax[1])
	}
	want := hiprec.PsiLogits(z, 2)
	if u := hiprec.ULPs(got[1], want[1]); !(got[1] > 0) || u > psiLogitsULPs*logitsAllowance(z, 2) {
		t.Errorf("PsiLogits(50,0,0)_1 = %v, want %v", got[1], hiprec.Float(want[1]))
	}
	l := theory.LogPsiLogits(make([]float64, 3), []float64{1e4, 0, 0}, 2)
	if math.IsInf(l[1], 0) || !(l[1] < -2.9e4) {
		t.Errorf("LogPsiLogits(1e4,0,0)_1 = %v, want finite near −3e4", l[1])
	}
}

func softmax(z []float64) []float64 {
	m := math.Inf(-1)
	for _, x := range z {
		m = math.Max(m, x)
	}
	out := make([]float64, len(z))
	var s float64
	for i, x := range z {
		out[i] = math.Exp(x - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

// TestPsiLogitsSpecialCases: the "Special cases are:" block of PsiLogits,
// and aliasing.
func TestPsiLogitsSpecialCases(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	allNaN := func(x []float64) bool {
		for _, v := range x {
			if !math.IsNaN(v) {
				return false
			}
		}
		return true
	}
	for _, c := range []logitsCase{{[]float64{1, nan}, 2}, {[]float64{1, 2}, -1}, {[]float64{1, 2}, nan}, {[]float64{1, 2}, inf}, {[]float64{-inf, -inf}, 2}} {
		if got := theory.PsiLogits(make([]float64, 2), c.z, c.gamma); !allNaN(got) {
			t.Errorf("PsiLogits(%v, %v) = %v, want NaN", c.z, c.gamma, got)
		}
		if got := theory.LogPsiLogits(make([]float64, 2), c.z, c.gamma); !allNaN(got) {
			t.Errorf("LogPsiLogits(%v, %v) = %v, want NaN", c.z, c.gamma, got)
		}
	}
	eq := func(a, b []float64) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	checks := []struct {
		z, want, wantLog []float64
	}{
		{[]float64{inf, 0, inf, -inf}, []float64{0.5, 0, 0.5, 0}, []float64{-math.Ln2, -inf, -math.Ln2, -inf}},
		{[]float64{3, -inf}, []float64{1, 0}, []float64{0, -inf}},
		{[]float64{7}, []float64{1}, []float64{0}},
		{[]float64{1e308, -1e308}, []float64{1, 0}, []float64{0, -inf}},
		{[]float64{2, 2}, []float64{0.5, 0.5}, []float64{-math.Ln2, -math.Ln2}},
	}
	for _, c := range checks {
		if got := theory.PsiLogits(make([]float64, len(c.z)), c.z, 2); !eq(got, c.want) {
			t.Errorf("PsiLogits(%v) = %v, want %v", c.z, got, c.want)
		}
		if got := theory.LogPsiLogits(make([]float64, len(c.z)), c.z, 2); !eq(got, c.wantLog) {
			t.Errorf("LogPsiLogits(%v) = %v, want %v", c.z, got, c.wantLog)
		}
	}
	// In place, bit for bit.
	z := []float64{4, -1, 0.5, -30}
	want := theory.PsiLogits(make([]float64, 4), z, 2.5)
	wantLog := theory.LogPsiLogits(make([]float64, 4), z, 2.5)
	a, b := append([]float64(nil), z...), append([]float64(nil), z...)
	if theory.PsiLogits(a, a, 2.5); !eq(a, want) {
		t.Errorf("PsiLogits in place: %v, want %v", a, want)
	}
	if theory.LogPsiLogits(b, b, 2.5); !eq(b, wantLog) {
		t.Errorf("LogPsiLogits in place: %v, want %v", b, wantLog)
	}
}

// balancedTol: PsiBalancedLogits against PsiLogits divided by α and
// normalized (a second method): each side a few ulps of the true value
// per unit of allowance, plus the division and normalization.
const balancedTol = 2*psiLogitsULPs + 4

// TestPsiBalancedLogits: the α-balanced twin against its identity
// η ∝ Ψ_i/α_i, and its logarithm against the log of it.
func TestPsiBalancedLogits(t *testing.T) {
	rng := rand.New(rand.NewPCG(logitsSeed, 7))
	for it := range 300 {
		k := 2 + rng.IntN(6)
		z, alpha := make([]float64, k), make([]float64, k)
		for i := range z {
			z[i] = rng.NormFloat64() * 6
			alpha[i] = 0.05 + rng.Float64()*3
		}
		g := []float64{0, 0.5, 2, 2.5, 5}[rng.IntN(5)]
		ref := theory.PsiLogits(make([]float64, k), z, g)
		var s float64
		for i := range ref {
			ref[i] /= alpha[i]
			s += ref[i]
		}
		got := theory.PsiBalancedLogits(make([]float64, k), z, alpha, g)
		lgot := theory.LogPsiBalancedLogits(make([]float64, k), z, alpha, g)
		tol := balancedTol * logitsAllowance(z, g) * 0x1p-52
		for i := range ref {
			want := ref[i] / s
			if math.Abs(got[i]-want) > tol*want {
				t.Errorf("case %d (seed %d): z=%v α=%v γ=%v: η_%d = %v, want %v", it, logitsSeed, z, alpha, g, i, got[i], want)
			}
			if want > 1e-300 && math.Abs(lgot[i]-math.Log(want)) > tol*math.Max(1, math.Abs(math.Log(want))) {
				t.Errorf("case %d (seed %d): log η_%d = %v, want %v", it, logitsSeed, i, lgot[i], math.Log(want))
			}
		}
	}
}

// Fuzz tolerances, independent of the code: fuzzLogitsSumTol bounds
// |Σ Ψ − 1| (a compensated sum of K ≤ 64 terms and K divisions);
// fuzzLogitsExpTol the relative gap between Ψ_i and exp(log Ψ_i) for
// Ψ_i ≥ 1e-300 (exp turns log's absolute error, ≤ 700 ulps of 1 there, and
// the contract's allowance into a relative one); fuzzLogitsSoftmaxTol the
// gap to Psi(softmax(z)) where softmax is well conditioned (every entry in
// [1e-8, 1 − 1e-6]), to which the softmax side adds the rounding of its
// largest entry v_m, amplified (1+γ)/(1 − v_m) times in the small
// components (each ∝ (1 − v_m)^γ).
const (
	fuzzLogitsSumTol     = 256 * 0x1p-52
	fuzzLogitsExpTol     = 1e-11
	fuzzLogitsSoftmaxTol = 1e-12
)

// FuzzPsiLogits: for finite logits and γ in [0, 17], PsiLogits is a
// probability vector ordered as z, its logarithm is LogPsiLogits, and it
// agrees with Psi(softmax(z)) where softmax loses nothing.
func FuzzPsiLogits(f *testing.F) {
	f.Add(fuzzBytes(50, 0, 0), 2.0)
	f.Add(fuzzBytes(1e4, 0, -1e4), 2.5)
	f.Add(fuzzBytes(3, 3, 0), 0.0)
	f.Add(fuzzBytes(0.1, -0.2, 0.3, 0.05), 1e-9)
	f.Add(fuzzBytes(1e300, -1e300), 17.0)
	f.Fuzz(func(t *testing.T, b []byte, gamma float64) {
		z := fuzzVec(b, 64)
		if len(z) == 0 || !(gamma >= 0 && gamma <= 17) {
			return
		}
		for _, x := range z {
			if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e300 {
				return
			}
		}
		k := len(z)
		psi := theory.PsiLogits(make([]float64, k), z, gamma)
		lpsi := theory.LogPsiLogits(make([]float64, k), z, gamma)
		var s float64
		for i := range z {
			if !(psi[i] >= 0 && psi[i] <= 1) || math.IsNaN(lpsi[i]) || lpsi[i] > 0 {
				t.Fatalf("z=%v γ=%v: Ψ_%d = %v, log %v", z, gamma, i, psi[i], lpsi[i])
			}
			s += psi[i]
			if psi[i] >= 1e-300 && math.Abs(math.Exp(lpsi[i])-psi[i]) > fuzzLogitsExpTol*psi[i] {
				t.Fatalf("z=%v γ=%v: exp(log Ψ_%d) = %v, Ψ_%d = %v", z, gamma, i, math.Exp(lpsi[i]), i, psi[i])
			}
			for j := range z {
				// Rounding may swap components whose logits differ by less
				// than their own error (a few ulps).
				if z[i] > z[j] && psi[i] < psi[j]*(1-fuzzLogitsSumTol) {
					t.Fatalf("z=%v γ=%v: z_%d > z_%d but Ψ %v < %v (Prop 12)", z, gamma, i, j, psi[i], psi[j])
				}
			}
		}
		if math.Abs(s-1) > fuzzLogitsSumTol {
			t.Fatalf("z=%v γ=%v: Σ Ψ = %v", z, gamma, s)
		}
		sm := softmax(z)
		vmax := 0.0
		for _, v := range sm {
			if !(v >= 1e-8 && v <= 1-1e-6) {
				return
			}
			vmax = math.Max(vmax, v)
		}
		tol := fuzzLogitsSoftmaxTol + (1+gamma)*8*0x1p-52/(1-vmax)
		want := theory.Psi(make([]float64, k), sm, gamma)
		for i := range want {
			if math.Abs(psi[i]-want[i]) > tol*want[i] {
				t.Fatalf("z=%v γ=%v: PsiLogits_%d = %v, Psi(softmax) %v", z, gamma, i, psi[i], want[i])
			}
		}
	})
}
