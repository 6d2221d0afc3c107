package hiprec

import (
	"math"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// refOCGap is G(q) = Σ_l q_l (1/φ(q_l) − 1/φ(max q)) computed with apd's
// own Ln and Pow at 110 digits straight from Eq. 10,
// φ(v) = (1−v)^γ − γ(1−v)^{γ−1} v ln v: an implementation that shares
// nothing with package hiprec's big.Float kernels.
func refOCGap(t *testing.T, q []*apd.Decimal, gamma float64) *apd.Decimal {
	t.Helper()
	g := Exact(gamma)
	one := apd.New(1, 0)
	phi := func(v *apd.Decimal) *apd.Decimal {
		c := hiOp(t, hiCtx.Sub, one, v)
		p := hiOp(t, hiCtx.Pow, c, g)
		p1 := hiOp(t, hiCtx.Pow, c, hiOp(t, hiCtx.Sub, g, one))
		r := hiOp(t, hiCtx.Mul, hiOp(t, hiCtx.Mul, g, p1), hiOp(t, hiCtx.Mul, v, hiLn(t, v)))
		return hiOp(t, hiCtx.Sub, p, r)
	}
	top := q[0]
	for _, x := range q {
		if x.Cmp(top) > 0 {
			top = x
		}
	}
	it := hiOp(t, hiCtx.Quo, one, phi(top))
	sum := apd.New(0, 0)
	for _, x := range q {
		if x.IsZero() || x.Cmp(top) == 0 {
			continue
		}
		d := hiOp(t, hiCtx.Sub, hiOp(t, hiCtx.Quo, one, phi(x)), it)
		sum = hiOp(t, hiCtx.Add, sum, hiOp(t, hiCtx.Mul, x, d))
	}
	return sum
}

// ocGapTol: G is a sum of differences of numbers near 1, formed at 70
// digits and rounded to 60; near uniform (q_l − 1/K ≈ 1e-26) the
// differences lose 26 digits, so G keeps about 40 relative to itself. 1e-35
// relative leaves 5 digits for the conditioning of φ.
const ocGapTol = 1e-35

// The family toward S^K at K = 4, q = ((1−ε)/3 ×3, ε), whose G is positive
// for small γ and negative for large, and a near-uniform q at K = 5 on
// either side of γ_nu(5) = 1 + 4(ln 5 − 2)/ln 5 = 0.0293205… (findings.md,
// Sec. 4), each against the apd reference.
func TestOCGapAgainstReference(t *testing.T) {
	eps := mustDec(t, "0.001")
	top := hiOp(t, hiCtx.Quo, hiOp(t, hiCtx.Sub, apd.New(1, 0), eps), apd.New(3, 0))
	q4 := []*apd.Decimal{top, top, top, eps}
	for _, c := range []struct {
		gamma float64
		sign  int
	}{{0.5, 1}, {1, 1}, {2, -1}, {3.5, -1}} {
		got := OCGap(q4, c.gamma)
		checkRel(t, "OCGap(K=4 family)", got, refOCGap(t, q4, c.gamma), consistencyTol)
		if got.Sign() != c.sign {
			t.Errorf("γ = %v: OCGap(K=4 family) = %s, want sign %d", c.gamma, got, c.sign)
		}
	}

	const s = 1e-25
	w := []float64{1, -0.25, -0.25, -0.25, -0.25}
	q5 := make([]*apd.Decimal, len(w))
	for i, x := range w {
		num := hiOp(t, hiCtx.Add, apd.New(1, 0), hiOp(t, hiCtx.Mul, Exact(s), Exact(x)))
		q5[i] = hiOp(t, hiCtx.Quo, num, apd.New(5, 0))
	}
	for _, c := range []struct {
		gamma float64
		sign  int
	}{{0.01, 1}, {0.029, 1}, {0.0297, -1}, {0.05, -1}, {1, -1}} {
		got := NearUniformGap(w, s, c.gamma)
		checkRel(t, "NearUniformGap", got, refOCGap(t, q5, c.gamma), ocGapTol)
		if got.Sign() != c.sign {
			t.Errorf("γ = %v: NearUniformGap = %s, want sign %d", c.gamma, got, c.sign)
		}
	}
}

func TestOCGapSpecialCases(t *testing.T) {
	d := func(s string) *apd.Decimal { return mustDec(t, s) }
	nan := math.NaN()
	zero, negInf := apd.New(0, 0), infDec(true)
	for _, c := range []struct {
		q     []*apd.Decimal
		gamma float64
		want  *apd.Decimal
	}{
		{[]*apd.Decimal{d("0.7"), d("0.2"), d("0.1")}, 0, zero},
		{[]*apd.Decimal{d("1"), d("0"), d("0")}, 2, zero},
		{[]*apd.Decimal{d("0.25"), d("0.25"), d("0.25"), d("0.25")}, 2, zero},
		{[]*apd.Decimal{d("1"), d("0.5")}, 2, negInf},
		{nil, 1, nanDec()},
		{[]*apd.Decimal{d("0.5"), d("-0.1")}, 1, nanDec()},
		{[]*apd.Decimal{d("0.5"), d("1.5")}, 1, nanDec()},
		{[]*apd.Decimal{d("0.5"), nil}, 1, nanDec()},
		{[]*apd.Decimal{d("0.5"), d("0.5")}, -1, nanDec()},
		{[]*apd.Decimal{d("0.5"), d("0.5")}, nan, nanDec()},
		{[]*apd.Decimal{d("0.5"), d("0.5")}, math.Inf(1), nanDec()},
	} {
		if got := OCGap(c.q, c.gamma); !alike(got, c.want) {
			t.Errorf("OCGap(%v, %v) = %s, want %s", c.q, c.gamma, got, c.want)
		}
	}
	for _, c := range []struct {
		w        []float64
		s, gamma float64
		want     *apd.Decimal
	}{
		{[]float64{1, -1}, 0.1, 0, zero},
		{[]float64{0, 0, 0}, 0.1, 2, zero},
		{nil, 0.1, 1, nanDec()},
		{[]float64{1, -1}, nan, 1, nanDec()},
		{[]float64{1, nan}, 0.1, 1, nanDec()},
		{[]float64{1, -1}, 3, 1, nanDec()}, // q = (2, −1)
		{[]float64{1, -1}, 0.1, -1, nanDec()},
	} {
		if got := NearUniformGap(c.w, c.s, c.gamma); !alike(got, c.want) {
			t.Errorf("NearUniformGap(%v, %v, %v) = %s, want %s", c.w, c.s, c.gamma, got, c.want)
		}
	}
}

// OCMargin against OCGap through the identity
// max q* − max Ψ(q*) = t·G(q*)/Σ_l h(q*_l) (t = max q*, h = v/φ), with
// Ψ(q*) = η̂ by Thm 11: the margin comes from Minimize, the right side from
// φ alone.
func TestOCMarginIdentity(t *testing.T) {
	for _, c := range []struct {
		eta   []float64
		gamma float64
	}{
		{[]float64{0.3276, 0.3276, 0.3276, 0.0172}, 0.5},
		{[]float64{0.3276, 0.3276, 0.3276, 0.0172}, 2},
		{[]float64{0.2389, 0.2389, 0.2389, 0.2389, 0.0444}, 1},
		{[]float64{0.6, 0.3, 0.1}, 1},
		{[]float64{0.2 + 1e-9, 0.2, 0.2, 0.2, 0.2 - 1e-9}, 0.01},
	} {
		m, q, err := OCMargin(c.eta, c.gamma)
		if err != nil {
			t.Fatal(err)
		}
		top := q[0]
		sumH := apd.New(0, 0)
		for _, x := range q {
			if x.Cmp(top) > 0 {
				top = x
			}
			sumH = hiOp(t, hiCtx.Add, sumH, hiOp(t, hiCtx.Quo, x, PhiDecimal(x, c.gamma)))
		}
		want := hiOp(t, hiCtx.Quo, hiOp(t, hiCtx.Mul, top, OCGap(q, c.gamma)), sumH)
		if e := absDiffDec(m, want); !(e <= 1e-45) {
			t.Errorf("η = %v, γ = %v: OCMargin = %s, t·G/Σh = %s (diff %.3g)", c.eta, c.gamma, m, want, e)
		}
	}
	if m, _, err := OCMargin([]float64{1, 2, 3}, 0); err != nil || !m.IsZero() {
		t.Errorf("OCMargin at γ = 0 = %v, %v; want 0", m, err)
	}
	for _, eta := range [][]float64{nil, {0, 0}, {0.5, math.NaN()}, {-0.1, 1.1}} {
		if _, _, err := OCMargin(eta, 1); err == nil {
			t.Errorf("OCMargin(%v, 1): no error", eta)
		}
	}
	if _, _, err := OCMargin([]float64{0.5, 0.5}, -1); err == nil {
		t.Error("OCMargin at γ = −1: no error")
	}
}

// vertexMarginTol is the relative tolerance of the comparison below: the
// asymptotic oracle's neglected terms are O(ε·|ln ε|) ≈ 1e-156 relative
// (ε ≈ 2e-159), far below the float64 roundings of the oracle's division
// and square root and of the rounded margin, a few ulps.
const vertexMarginTol = 4 * 0x1p-52

// TestOCMarginNearVertex: at γ = 1 and η = (η_s, 1) with η_s = 8.3e-318,
// max q* = 1 − ε with ε far below any fixed precision's resolution of 1, so
// a margin formed as max q* − max η̂ rounds to 0 (it did). The oracle is the
// asymptotic KKT solution: h^1(v) = v/φ^1(v) ≈ v for v → 0 and
// φ^1(1−ε) = ε − (1−ε) ln(1−ε) ≈ 2ε, so η_s = h(ε)/h(1−ε) ≈ 2ε², and the
// margin max q* − max η̂ = η̂_s − ε ≈ −sqrt(η_s/2).
func TestOCMarginNearVertex(t *testing.T) {
	const etaS = 8.304216e-318
	m, _, err := OCMargin([]float64{etaS, 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := -math.Sqrt(etaS / 2)
	if got := Float(m); !(math.Abs(got-want) <= vertexMarginTol*math.Abs(want)) {
		t.Errorf("OCMargin((%g, 1), 1) = %v, want %v (relative tolerance %g)", etaS, got, want, vertexMarginTol)
	}
}
