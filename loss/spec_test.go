package loss

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// every built-in loss with typical parameters, as specs.
var builtinSpecs = []string{
	"ce", "focal:gamma=2", "focal-alpha:gamma=2,alpha=0.25/0.75", "flsd53", "poly1:eps=1",
	"poly-focal:gamma=2,eps=1", "gce:q=0.7", "gce:q=1", "ls:eps=0.1", "focal-ls:gamma=2,eps=0.1",
	"sigmoid-focal", "sigmoid-focal:gamma=2,alpha=0.25", "fl-star:gamma=2", "asl:gamma_neg=4,clip=0.05",
	"inverse-focal:gamma=2", "dual-focal:gamma=2", "brier",
	`expr:"-(1-u)^g*log(u)";g=2`, `expr:-log(u)`, `expr:"-log(u) + e*(1-u)";e=1`,
}

func TestParseBuiltins(t *testing.T) {
	names := map[string]bool{}
	for _, s := range builtinSpecs {
		l, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		names[l.Name] = true
		if l.Doc == "" {
			t.Errorf("%s: no doc", s)
		}
		// The canonical spec parses back to the same loss.
		back, err := Parse(l.String())
		if err != nil || back.String() != l.String() {
			t.Fatalf("%q → %q → %v (%v)", s, l.String(), back, err)
		}
		switch l.Kind {
		case Separable:
			for _, u := range []float64{0.05, 0.3, 0.9} {
				if a, b := l.G(u), back.G(u); a != b || math.IsNaN(a) {
					t.Errorf("%s: g(%v) = %v, parsed back %v", s, u, a, b)
				}
			}
		case General:
			q := []float64{0.2, 0.3, 0.5}
			if a := l.Term(q, 1); math.IsNaN(a) || a != back.Term(q, 1) {
				t.Errorf("%s: ℓ = %v", s, a)
			}
		case Sigmoid:
			if a, b := l.Pos(0.3), l.Neg(0.3); math.IsNaN(a) || math.IsNaN(b) {
				t.Errorf("%s: Pos %v Neg %v", s, a, b)
			}
		}
	}
	for _, n := range Names() {
		if !names[n] {
			t.Errorf("registry loss %s has no spec in builtinSpecs", n)
		}
	}
}

// TestParseErrors: each bad spec fails with a *SpecError whose message
// names the bad part.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ spec, part string }{
		{"", ""},
		{"focall:gamma=2", "focall"},
		{"focal", "missing parameter gamma"},
		{"focal:gama=2", "gama"},
		{"focal:gamma=-1", "gamma=-1"},
		{"focal:gamma=NaN", "gamma=NaN"},
		{"focal:gamma=2,gamma=3", "gamma"},
		{"focal:gamma", "gamma"},
		{"focal:", "empty parameter list"},
		{"poly1:eps=-0.5", "eps=-0.5"},
		{"gce:q=0", "q=0"},
		{"ls:eps=1", "eps=1"},
		{"focal-alpha:gamma=2,alpha=0.5/-1", "alpha=0.5/-1"},
		{"expr", "needs an expression"},
		{`expr:"-log(u)`, "unterminated"},
		{`expr:"-log(u"`, "missing )"},
		{`expr:"-(1-u)^g*log(u)"`, `unknown name "g"`},
		{`expr:"-(1-u)^g*log(u)";g=x`, "g=x"},
		{`expr:"-log(u)";g=2`, "not used"},
		{`expr:"g";g=2`, "not a function of u"},
		{`expr:"-log(u)";u=2`, "u is the variable"},
		{`expr:"-log(u)";log=2`, "like a function"},
		{`expr:"-log(u)" g=2`, "after the quoted expression"},
		{`expr:"-log(u)";`, "empty parameter list"},
		{`expr:"-lg(u)"`, `unknown function "lg"`},
		// Not evaluable on (0, 1): the first point is named.
		{`expr:"-log(u)/(u-0.5)"`, "is +Inf at u = 0.5"},
		{`expr:"sqrt(u-0.5)"`, "is NaN at u = 1e-12"},
		{`expr:"log(u-0.5)^2"`, "is NaN at u = 1e-12"},
		{`expr:"-log(u)+sqrt((u-0.5)^2)"`, "cannot be evaluated at u = 0.5 (NaN)"}, // g′ = 0/0 there
	} {
		_, err := Parse(c.spec)
		var se *SpecError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a *SpecError", c.spec, err)
			continue
		}
		if !strings.Contains(err.Error(), c.part) {
			t.Errorf("Parse(%q): %q does not name %q", c.spec, err, c.part)
		}
	}
}

// FuzzParse: Parse never panics; a spec it accepts has a canonical form
// that parses back to the same canonical form.
func FuzzParse(f *testing.F) {
	for _, s := range builtinSpecs {
		f.Add(s)
	}
	f.Add(`expr:"u^-2*exp(-u)/sqrt(1+u)";a=1`)
	f.Add(`expr:(((u)))`)
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Parse(s)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T %v is not a *SpecError", s, err, err)
			}
			return
		}
		c := l.String()
		back, err := Parse(c)
		if err != nil {
			t.Fatalf("Parse(%q) ok, canonical %q fails: %v", s, c, err)
		}
		if back.String() != c {
			t.Fatalf("canonical %q parses back as %q", c, back.String())
		}
	})
}
