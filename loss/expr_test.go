package loss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/focaltk/focal/theory"
)

// fdRelTol bounds the relative disagreement of the symbolic derivative with
// a Richardson-extrapolated central difference (step h = 2^-10·scale, error
// O(h⁴)·f⁽⁵⁾ plus rounding ≈ ε·|f|/h): 1e-6 leaves room for both on the
// smooth expressions tested, far below any real error of a wrong rule
// (which is O(1)).
const fdRelTol = 1e-6

// richardson returns the derivative of f at x by central differences at
// steps h and h/2 combined to cancel the h² term.
func richardson(f func(float64) float64, x, h float64) float64 {
	d1 := (f(x+h) - f(x-h)) / (2 * h)
	d2 := (f(x+h/2) - f(x-h/2)) / h
	return (4*d2 - d1) / 3
}

// randExpr builds a random expression of u of the given depth from the
// language's operations, with the parameter a.
func randExpr(r *rand.Rand, depth int) *Expr {
	if depth == 0 {
		switch r.IntN(3) {
		case 0:
			return &Expr{op: opVar}
		case 1:
			return &Expr{op: opParam, name: "a"}
		default:
			return num(float64(r.IntN(5)+1) / 2)
		}
	}
	a := randExpr(r, depth-1)
	switch r.IntN(9) {
	case 0:
		return &Expr{op: opAdd, a: a, b: randExpr(r, depth-1)}
	case 1:
		return &Expr{op: opSub, a: a, b: randExpr(r, depth-1)}
	case 2:
		return &Expr{op: opMul, a: a, b: randExpr(r, depth-1)}
	case 3:
		return &Expr{op: opDiv, a: a, b: add(num(1), randExpr(r, depth-1))}
	case 4:
		// positive base so that real powers are defined
		return &Expr{op: opPow, a: add(num(1), &Expr{op: opMul, a: a, b: a}), b: randExpr(r, depth-1)}
	case 5:
		return &Expr{op: opNeg, a: a}
	case 6:
		return fn("log", add(num(2), &Expr{op: opMul, a: a, b: a}))
	case 7:
		return fn("exp", fn("log1p", &Expr{op: opMul, a: a, b: a}))
	default:
		return fn("sqrt", add(num(1), &Expr{op: opMul, a: a, b: a}))
	}
}

// TestDerivFiniteDifferences checks Deriv on seeded random expressions at
// many points of (0, 1) against finite differences of Eval.
func TestDerivFiniteDifferences(t *testing.T) {
	seed := uint64(20261203)
	r := rand.New(rand.NewPCG(seed, 1))
	env := map[string]float64{"a": 1.5}
	checked := 0
	for n := 0; n < 400; n++ {
		e := randExpr(r, 1+r.IntN(4))
		if !e.hasVar() {
			continue
		}
		d := e.Deriv()
		f := func(u float64) float64 { return e.Eval(u, env) }
		for i := 1; i < 20; i++ {
			u := float64(i) / 20
			want := richardson(f, u, 0x1p-10)
			got := d.Eval(u, env)
			if math.IsNaN(want) || math.IsInf(want, 0) || math.Abs(f(u)) > 1e6 {
				continue
			}
			scale := math.Max(math.Abs(want), math.Max(1, math.Abs(f(u))))
			// Near a pole the difference quotient itself has not
			// converged: skip points where halving the step moves it by
			// more than a tenth of the tolerance.
			if math.Abs(richardson(f, u, 0x1p-11)-want) > fdRelTol*scale/10 {
				continue
			}
			if math.Abs(got-want) > fdRelTol*scale {
				t.Fatalf("seed %d: d/du %s at u=%v: symbolic %s = %v, finite differences %v", seed, e, u, d, got, want)
			}
			checked++
		}
	}
	if checked < 2000 {
		t.Fatalf("only %d points checked", checked)
	}
}

// TestStringRoundTrip: String writes what ParseExpr reads back to the same
// values (on random trees, seeded).
func TestStringRoundTrip(t *testing.T) {
	seed := uint64(7)
	r := rand.New(rand.NewPCG(seed, 2))
	env := map[string]float64{"a": 0.75}
	for n := 0; n < 300; n++ {
		e := randExpr(r, 1+r.IntN(4))
		if !e.hasVar() {
			continue
		}
		back, err := ParseExpr(e.String(), []string{"a"})
		if err != nil {
			t.Fatalf("seed %d: %s does not parse back: %v", seed, e, err)
		}
		// A folded negative literal (-2) reads back as −(2): compare the
		// second round trip's text, and the values.
		again, err := ParseExpr(back.String(), []string{"a"})
		if err != nil || again.String() != back.String() {
			t.Fatalf("seed %d: %s parses back as %s, then %v (%v)", seed, e, back, again, err)
		}
		for _, u := range []float64{0.1, 0.5, 0.9} {
			if x, y := e.Eval(u, env), back.Eval(u, env); x != y && !(math.IsNaN(x) && math.IsNaN(y)) {
				t.Fatalf("seed %d: %s at %v: %v, parsed back %v", seed, e, u, x, y)
			}
		}
	}
}

// TestDerivReadable: the derived trees are written without doubled signs
// (a--b, a+-b, a*-b): the constructors move negations outwards and fold
// them into the sums, exactly (negation is exact and rounding symmetric),
// so the values do not change and the text reads as a person writes it.
func TestDerivReadable(t *testing.T) {
	env := map[string]float64{"g": 2, "e": 1, "a": 0.5}
	for _, src := range []string{
		"-(1-u)^g*log(u)", "-log(u)+e*(1-u)", "(1-u^a)/a", "-u+log(u)", "-log(u)/(u+1)",
		"-(1-u)^g*log(u)+e*(1-u)^(g+1)", "exp(-u)*-log(u)", "-(u-1)^2",
	} {
		e, err := ParseExpr(src, []string{"g", "e", "a"})
		if err != nil {
			t.Fatal(src, err)
		}
		for _, d := range []*Expr{e.Deriv(), e.Deriv().Deriv(), div(num(1), neg(e.Deriv()))} {
			txt := d.String()
			for _, bad := range []string{"--", "+-", "*-", "/-", "^-"} {
				if strings.Contains(txt, bad) {
					t.Errorf("%s: derived %s contains %q", src, txt, bad)
				}
			}
			if !d.hasVar() {
				continue // a constant: ParseExpr wants a function of u
			}
			back, err := ParseExpr(txt, []string{"g", "e", "a"})
			if err != nil {
				t.Fatalf("%s: derived %s does not parse: %v", src, txt, err)
			}
			for _, u := range []float64{0.1, 0.5, 0.9} {
				if x, y := d.Eval(u, env), back.Eval(u, env); x != y {
					t.Errorf("%s: derived %s at %v: %v, parsed back %v", src, txt, u, x, y)
				}
			}
		}
	}
}

// exprFocalULPs bounds the disagreement of the expr focal loss's h_g
// (1/(−g′) with g′ = the derived tree evaluated in plain float64, pow and
// log) with theory.H's factored form. Both are a few ulps from the truth
// where γ|log(1−u)| is moderate (theory.H: docs/numerics.md; the tree:
// pow's and log's half ulp, 1−u exact for u ≥ 1/2 and within half an ulp
// below, amplified by γ ≤ 4, and one cancellation-free sum of two positive
// terms); 16 ulps is their sum with a factor 2.
const exprFocalULPs = 16

// TestExprFocalMatchesTheory: expr:"-(1-u)^g*log(u)" has h_g equal to
// theory's h^γ (Eq. 13) to a few ulps, on a fine grid and γ ∈ {0.5, 1, 2, 3, 4}.
func TestExprFocalMatchesTheory(t *testing.T) {
	for _, g := range []float64{0.5, 1, 2, 3, 4} {
		l, err := Parse(fmt.Sprintf(`expr:"-(1-u)^g*log(u)";g=%v`, g))
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i := 1; i < 1000; i++ {
			u := float64(i) / 1000
			got, want := l.HG(u), theory.H(u, g)
			ul := math.Abs(got-want) / (math.Abs(want) * 0x1p-52)
			worst = math.Max(worst, ul)
			if ul > exprFocalULPs {
				t.Errorf("γ=%v u=%v: expr h_g %v, theory.H %v (%.1f ulps)", g, u, got, want, ul)
			}
		}
		t.Logf("γ=%v: worst %.1f ulps", g, worst)
	}
}

// closedFormRelTol bounds the disagreement of each built-in loss's
// hand-derived g′ with the symbolic derivative of its expression: both are
// a few ulps from the truth where no term cancels; 1e-13 ≈ 450 ulps
// leaves room for cancellation in −g′ of inverse-focal near its zero,
// which the grid keeps away from by checking γ < e + 1 only.
const closedFormRelTol = 1e-13

// TestExprMatchesBuiltinDerivatives: the symbolic g′ of each built-in
// loss's g written as an expression equals the hand-derived closed form
// in builtin.go (an independent derivation), and so does g itself.
func TestExprMatchesBuiltinDerivatives(t *testing.T) {
	cases := []struct{ builtin, expr string }{
		{"ce", `expr:"-log(u)"`},
		{"focal:gamma=2", `expr:"-(1-u)^g*log(u)";g=2`},
		{"focal:gamma=0.5", `expr:"-(1-u)^g*log(u)";g=0.5`},
		{"poly1:eps=1", `expr:"-log(u)+e*(1-u)";e=1`},
		{"poly-focal:gamma=2,eps=1", `expr:"-(1-u)^g*log(u)+e*(1-u)^(g+1)";g=2,e=1`},
		{"gce:q=0.7", `expr:"(1-u^a)/a";a=0.7`},
		{"inverse-focal:gamma=2", `expr:"-(1+u)^g*log(u)";g=2`},
	}
	for _, c := range cases {
		b, err := Parse(c.builtin)
		if err != nil {
			t.Fatal(err)
		}
		x, err := Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < 200; i++ {
			u := float64(i) / 200
			for _, f := range []struct {
				name      string
				got, want float64
			}{{"g", x.G(u), b.G(u)}, {"g′", x.DG(u), b.DG(u)}, {"g″", x.DDG(u), b.DDG(u)}} {
				if math.Abs(f.got-f.want) > closedFormRelTol*math.Abs(f.want) {
					t.Errorf("%s vs %s: %s(%v) = %v (expr) vs %v (closed form)", c.expr, c.builtin, f.name, u, f.got, f.want)
				}
			}
		}
	}
}

func TestParseExprErrors(t *testing.T) {
	for _, c := range []struct {
		src string
		pos int
	}{
		{"", 0}, {"-log(", 5}, {"u+", 2}, {"foo(u)", 0}, {"u*b", 2}, {"(u", 2}, {"2", 0}, {"u)", 1}, {"u $ 2", 2},
	} {
		_, err := ParseExpr(c.src, nil)
		ee, ok := err.(*ExprError)
		if !ok {
			t.Errorf("ParseExpr(%q) = %v, want *ExprError", c.src, err)
			continue
		}
		if ee.Pos != c.pos {
			t.Errorf("ParseExpr(%q): error at %d (%v), want %d", c.src, ee.Pos, err, c.pos)
		}
	}
}
