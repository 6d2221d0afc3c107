package hiprec

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"strconv"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// roundTripTol: Ψ(q*(η)) against η/Ση. Ψ is well conditioned in relative
// terms (condition ≲ 1 + γ), and q* carries ~65 correct digits, so 1e-50
// leaves ≥ 5 digits of margin above the 60-digit rounding.
const roundTripTol = 1e-50

// testSeed returns the seed of the random cases: HIPREC_SEED if set, else 1.
func testSeed(t *testing.T) int64 {
	if s := os.Getenv("HIPREC_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("HIPREC_SEED=%q: %v", s, err)
		}
		return v
	}
	return 1
}

// minimizeCases returns the η of the round-trip and optimality checks:
// interior, uniform (q* = η), zeros, near one-hot (q*_max = 1 − 10^-k),
// subnormal entries, and random K = 10 and K = 30 vectors with log-uniform
// entries (seeded).
func minimizeCases(seed int64) [][]float64 {
	cs := [][]float64{
		{0.7, 0.2, 0.1},
		{0.5, 0.5},
		{0.25, 0.25, 0.25, 0.25},
		{0.6, 0, 0.4},
		{0.999, 0.001},
		{1, 1e-30},
		{1, 1e-300, 5e-324},
		{0.5, 0.2, 0.1, 0.05, 0.05, 0.04, 0.03, 0.02, 0.006, 0.004},
	}
	rng := rand.New(rand.NewSource(seed))
	for _, k := range []int{10, 30} {
		eta := make([]float64, k)
		for i := range eta {
			eta[i] = math.Pow(10, -6*rng.Float64())
		}
		cs = append(cs, eta)
	}
	return cs
}

var minimizeGammas = []float64{1e-6, 0.5, 1, 2, 10, 1000}

// normalized returns η/Ση exactly up to 110-digit division.
func normalized(t *testing.T, eta []float64) []*apd.Decimal {
	s := sumDec(ExactSlice(eta))
	out := make([]*apd.Decimal, len(eta))
	for i, e := range eta {
		out[i] = hiOp(t, hiCtx.Quo, Exact(e), s)
	}
	return out
}

// TestMinimizeGolden compares with q* for η = (0.7, 0.2, 0.1), γ = 2,
// computed with mpmath 1.3.0 at mp.dps = 120 by nested bisection on the
// KKT conditions (400 bisections of ln h(q_i) = ln η_i + s inside 240 of
// Σ q_i(s) = 1), printed to 60 digits.
func TestMinimizeGolden(t *testing.T) {
	q, err := Minimize([]float64{0.7, 0.2, 0.1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0.535168594133914231989576803460661148170379040225879654987893",
		"0.292692649312414636264027691148401956431916057690262572018308",
		"0.172138756553671131746395505390936895397704902083857772993799"}
	for i := range want {
		checkRel(t, "Minimize((0.7, 0.2, 0.1), 2)", q[i], mustDec(t, want[i]), goldenTol)
	}
}

// TestMinimizeRoundTrip checks Thm 11, Ψ(q*(η)) = η/Ση, per component and,
// for the largest, on the complement 1 − Ψ_max (which is what carries the
// information when η is near one-hot). Ψ is an explicit formula, so this
// checks the solver.
func TestMinimizeRoundTrip(t *testing.T) {
	seed := testSeed(t)
	for _, eta := range minimizeCases(seed) {
		want := normalized(t, eta)
		m := 0
		for i := range eta {
			if eta[i] > eta[m] {
				m = i
			}
		}
		for _, g := range minimizeGammas {
			name := fmt.Sprintf("η = %v, γ = %v (seed %d)", eta, g, seed)
			q, err := Minimize(eta, g)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if d := absDiffDec(sumDec(q), decOne); d > sumTol {
				t.Errorf("%s: Σ q* − 1 = %.3g", name, d)
			}
			psi := PsiDecimal(q, g)
			for i := range eta {
				if eta[i] == 0 {
					if !q[i].IsZero() {
						t.Errorf("%s: q*[%d] = %s, want 0", name, i, q[i])
					}
					continue
				}
				if e := relDiff(psi[i], want[i]); !(e <= roundTripTol) {
					t.Errorf("%s: Ψ(q*)[%d] = %s, want %s (rel err %.3g)", name, i, psi[i], want[i], e)
				}
			}
			cm := exactSub(decOne, psi[m])
			cw := hiOp(t, hiCtx.Sub, decOne, want[m])
			if !cw.IsZero() {
				if e := relDiff(cm, cw); !(e <= roundTripTol) {
					t.Errorf("%s: 1 − Ψ(q*)_max = %s, want %s (rel err %.3g)", name, cm, cw, e)
				}
			}
		}
	}
}

// TestMinimizeIsMinimum checks q* against the definition of the minimizer,
// not the KKT system that Minimize solves: with W evaluated at 150 digits
// (Risk, which uses neither h, φ nor Ψ), W(q* ± ε(e_i − e_m)) > W(q*) for
// every i ≠ m of the support, m the largest component and
// ε = 1e-40·min(q_i, q_m). These directions span the tangent space of the
// simplex and W is convex, so this is the minimality of q*. The increase is
// second order, ~ε²η/q² ≥ 1e-80·η, while an error δ in q* adds a first-order
// term ~ε·δ; so the check fails unless q* is right to about 40 digits
// (a relative error of 1e-39 in one component makes it fail).
func TestMinimizeIsMinimum(t *testing.T) {
	k := newCalc(150)
	seed := testSeed(t)
	cases := minimizeCases(seed)[:9]
	for _, eta := range cases {
		etaD := ExactSlice(eta)
		for _, g := range []float64{1e-6, 0.5, 2, 1000} {
			name := fmt.Sprintf("η = %v, γ = %v", eta, g)
			q, err := Minimize(eta, g)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			G := k.num(g)
			w0 := k.risk(q, etaD, G)
			m := 0
			for i := range q {
				if q[i].Cmp(q[m]) > 0 {
					m = i
				}
			}
			for i := range q {
				if i == m || q[i].IsZero() {
					continue
				}
				eps := new(apd.Decimal) // 1e-40·q_i (q_i ≤ q_m)
				if _, err := exactCtx.Mul(eps, q[i], apd.New(1, -40)); err != nil {
					t.Fatal(err)
				}
				for _, e := range []*apd.Decimal{eps, new(apd.Decimal).Neg(eps)} {
					qp := append([]*apd.Decimal{}, q...)
					qp[i], qp[m] = exactAdd(q[i], e), exactSub(q[m], e)
					if qp[m].Cmp(decOne) > 0 {
						continue
					}
					if w := k.risk(qp, etaD, G); w.Cmp(w0) <= 0 {
						t.Errorf("%s: W(q* + %s(e_%d − e_%d)) − W(q*) = %s ≤ 0", name, e, i, m,
							k.sub(w, w0).Text('g', 5))
					}
				}
			}
		}
	}
}

// TestMinimizePrecision runs the solver at 100 digits and compares.
func TestMinimizePrecision(t *testing.T) {
	k := newCalc(100)
	for _, eta := range minimizeCases(testSeed(t))[:8] {
		for _, g := range []float64{1e-6, 2, 1000} {
			q, err := Minimize(eta, g)
			if err != nil {
				t.Fatal(err)
			}
			var pos []float64
			for _, e := range eta {
				if e > 0 {
					pos = append(pos, e)
				}
			}
			if len(pos) < 2 {
				continue
			}
			hi, err := k.minimize(pos, g)
			if err != nil {
				t.Fatal(err)
			}
			j := 0
			for i := range eta {
				if eta[i] == 0 {
					continue
				}
				checkRel(t, fmt.Sprintf("Minimize(%v, %v)[%d] at 60 vs 100 digits", eta, g, i), q[i], hi[j], consistencyTol)
				if c := exactSub(decOne, hi[j]); c.Cmp(mustDec(t, "1e-5")) < 0 {
					checkRel(t, "complement", exactSub(decOne, q[i]), c, consistencyTol)
				}
				j++
			}
		}
	}
}

func TestMinimizeSpecialCases(t *testing.T) {
	// One positive entry: one-hot, exactly.
	for _, g := range []float64{0, 2} {
		q, err := Minimize([]float64{0, 0.3, 0}, g)
		if err != nil || q[0].Sign() != 0 || q[1].Cmp(decOne) != 0 || q[2].Sign() != 0 {
			t.Errorf("Minimize((0, 0.3, 0), %v) = %v, %v, want e_2", g, q, err)
		}
	}
	// γ = 0: q* = η/Ση.
	eta := []float64{0.7, 0.2, 0.1}
	q, err := Minimize(eta, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range normalized(t, eta) {
		checkRel(t, "Minimize(η, 0)", q[i], w, goldenTol)
	}
	// Scale invariance: q*(cη) = q*(η) (exactly proportional float64s).
	q2, err := Minimize([]float64{4, 2, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	q1, _ := Minimize([]float64{0.5, 0.25, 0.125}, 2)
	for i := range q1 {
		checkRel(t, "Minimize(10η) vs Minimize(η)", q2[i], q1[i], roundTripTol)
	}
	nan, inf := math.NaN(), math.Inf(1)
	for _, tt := range []struct {
		eta   []float64
		gamma float64
	}{
		{nil, 1},
		{[]float64{}, 1},
		{[]float64{0.5, nan}, 1},
		{[]float64{0.5, -0.1}, 1},
		{[]float64{0.5, inf}, 1},
		{[]float64{0, 0}, 1},
		{[]float64{0.5, 0.5}, -1},
		{[]float64{0.5, 0.5}, nan},
		{[]float64{0.5, 0.5}, inf},
	} {
		if q, err := Minimize(tt.eta, tt.gamma); !errors.Is(err, ErrDomain) || q != nil {
			t.Errorf("Minimize(%v, %v) = %v, %v, want ErrDomain", tt.eta, tt.gamma, q, err)
		}
	}
}

func TestRisk(t *testing.T) {
	half := []*apd.Decimal{decHalf, decHalf}
	ln2 := mustDec(t, ln2Digits)
	// W((1/2, 1/2); (1/2, 1/2)) = ln 2 at γ = 0, (ln 2)/2 at γ = 1, (ln 2)/4 at γ = 2.
	for _, tt := range []struct {
		gamma float64
		div   int64
	}{{0, 1}, {1, 2}, {2, 4}} {
		checkRel(t, "Risk", Risk(half, half, tt.gamma), hiOp(t, hiCtx.Quo, ln2, apd.New(tt.div, 0)), goldenTol)
	}
	one := []*apd.Decimal{decOne, apd.New(0, 0)}
	if w := Risk(one, []*apd.Decimal{decOne, apd.New(0, 0)}, 2); !w.IsZero() {
		t.Errorf("Risk(e1; e1) = %s, want 0", w)
	}
	if w := Risk(one, half, 2); w.Form != apd.Infinite || w.Negative {
		t.Errorf("Risk(e1; (1/2, 1/2)) = %s, want +Infinity", w)
	}
	if w := Risk(half, half, -1); w.Form != apd.NaN {
		t.Errorf("Risk(γ = -1) = %s, want NaN", w)
	}
	if w := Risk([]*apd.Decimal{apd.New(2, 0), decHalf}, half, 1); w.Form != apd.NaN {
		t.Errorf("Risk(q = (2, 1/2)) = %s, want NaN", w)
	}
}

var sink []*apd.Decimal

func BenchmarkMinimize(b *testing.B) {
	cs := minimizeCases(1)
	for _, bc := range []struct {
		name string
		eta  []float64
	}{{"K=3", cs[0]}, {"K=10", cs[7]}, {"K=10,log-uniform", cs[8]}, {"K=30,log-uniform", cs[9]}} {
		for _, g := range []float64{1e-6, 2, 1000} {
			b.Run(fmt.Sprintf("%s,gamma=%v", bc.name, g), func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					q, err := Minimize(bc.eta, g)
					if err != nil {
						b.Fatal(err)
					}
					sink = q
				}
			})
		}
	}
}
