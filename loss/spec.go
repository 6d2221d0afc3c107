package loss

// The loss spec: the one syntax every command reads a loss in.
//
//	NAME                       ce, brier
//	NAME:key=value,key=value   focal:gamma=2, poly1:eps=1, focal-alpha:gamma=2,alpha=0.25/0.75
//	expr:"EXPRESSION";k=v,k=v  expr:"-(1-u)^g*log(u)";g=2
//	expr:EXPRESSION;k=v        the same without quotes (the expression ends at the first ';')
//
// Quoting rule. The expression of expr: is either enclosed in double
// quotes, and then ends at the next double quote (the language has no use
// for '"'), or unquoted, and then ends at the first ';'. Parameters follow
// a single ';' as key=value pairs separated by ',' or ';'. On a shell
// command line wrap the whole spec in single quotes, which keep the double
// quotes, '^', '*', '(' and ';' away from the shell:
//
//	verify loss 'expr:"-(1-u)^g*log(u)";g=2'
//
// A list-valued parameter (focal-alpha's per-class alpha) separates its
// entries with '/'. Values are float64 numbers as strconv.ParseFloat reads
// them; NaN and infinities are refused.

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// SpecError reports a spec that does not parse or names an unknown loss
// or parameter; Part is the offending part of the spec and Accepted lists
// what would have been accepted there.
type SpecError struct {
	Spec     string
	Part     string
	Msg      string
	Accepted string
}

func (e *SpecError) Error() string {
	s := fmt.Sprintf("loss spec %q: %s", e.Spec, e.Msg)
	if e.Part != "" {
		s += fmt.Sprintf(" (at %q)", e.Part)
	}
	if e.Accepted != "" {
		s += "; accepted: " + e.Accepted
	}
	return s
}

// Names returns the registry's loss names, sorted, expr included.
func Names() []string {
	out := make([]string, 0, len(registry)+1)
	for n := range registry {
		out = append(out, n)
	}
	out = append(out, "expr")
	sort.Strings(out)
	return out
}

// rawParam is one key=value pair of a spec, in the order written.
type rawParam struct {
	key, val string
}

// Parse reads a loss spec (see the syntax above) and builds the loss. Every
// error is a *SpecError or, for an expression that does not parse, one
// wrapping the *ExprError.
func Parse(spec string) (*Loss, error) {
	bad := func(part, msg, acc string) error {
		return &SpecError{Spec: spec, Part: part, Msg: msg, Accepted: acc}
	}
	name, rest, hasColon := strings.Cut(spec, ":")
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, bad("", "empty loss name", strings.Join(Names(), ", "))
	}
	if name == "expr" {
		if !hasColon {
			return nil, bad(spec, "expr needs an expression, as in expr:\"-log(u)\"", "")
		}
		return parseExprSpec(spec, rest)
	}
	def, ok := registry[name]
	if !ok {
		return nil, bad(name, "unknown loss", strings.Join(Names(), ", "))
	}
	var raw []rawParam
	if hasColon {
		var err error
		raw, err = splitParams(spec, rest, ",")
		if err != nil {
			return nil, err
		}
	}
	vals := map[string]float64{}
	var list []float64
	for _, d := range def.params {
		vals[d.name] = d.def
	}
	seen := map[string]bool{}
	for _, r := range raw {
		pd, ok := def.param(r.key)
		if !ok {
			return nil, bad(r.key, "unknown parameter of "+name, def.paramList())
		}
		if seen[r.key] {
			return nil, bad(r.key, "parameter given twice", "")
		}
		seen[r.key] = true
		if pd.list {
			for _, f := range strings.Split(r.val, "/") {
				v, err := parseValue(f)
				if err != nil {
					return nil, bad(r.key+"="+r.val, err.Error(), pd.domain)
				}
				if !pd.ok(v) {
					return nil, bad(r.key+"="+r.val, "value outside the domain of "+r.key, pd.domain)
				}
				list = append(list, v)
			}
			continue
		}
		v, err := parseValue(r.val)
		if err != nil {
			return nil, bad(r.key+"="+r.val, err.Error(), pd.domain)
		}
		if !pd.ok(v) {
			return nil, bad(r.key+"="+r.val, "value outside the domain of "+r.key, pd.domain)
		}
		vals[r.key] = v
	}
	for _, d := range def.params {
		if d.required && !seen[d.name] {
			return nil, bad(name, "missing parameter "+d.name, def.paramList())
		}
	}
	return def.build(vals, list), nil
}

func parseValue(s string) (float64, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("not a finite number: %q", s)
	}
	return v, nil
}

// splitParams splits "k=v<sep>k=v" (sep ',' or, for expr, ',' and ';').
func splitParams(spec, s, seps string) ([]rawParam, error) {
	if strings.TrimSpace(s) == "" {
		return nil, &SpecError{Spec: spec, Part: s, Msg: "empty parameter list after ':' or ';'", Accepted: "key=value,key=value"}
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) })
	if len(fields) == 0 {
		return nil, &SpecError{Spec: spec, Part: s, Msg: "empty parameter list", Accepted: "key=value,key=value"}
	}
	out := make([]rawParam, 0, len(fields))
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.TrimSpace(v) == "" {
			return nil, &SpecError{Spec: spec, Part: f, Msg: "a parameter is key=value", Accepted: "key=value"}
		}
		out = append(out, rawParam{key: k, val: v})
	}
	return out, nil
}

func parseExprSpec(spec, rest string) (*Loss, error) {
	var src, params string
	r := strings.TrimLeft(rest, " ")
	if strings.HasPrefix(r, `"`) {
		end := strings.IndexByte(r[1:], '"')
		if end < 0 {
			return nil, &SpecError{Spec: spec, Part: r, Msg: "unterminated quoted expression"}
		}
		src = r[1 : 1+end]
		after := strings.TrimSpace(r[2+end:])
		if after != "" {
			if after[0] != ';' {
				return nil, &SpecError{Spec: spec, Part: after, Msg: "after the quoted expression comes ';' and the parameters"}
			}
			params = after[1:]
			if strings.TrimSpace(params) == "" {
				return nil, &SpecError{Spec: spec, Part: after, Msg: "empty parameter list after ';'", Accepted: "key=value,key=value"}
			}
		}
	} else {
		var hasSemi bool
		src, params, hasSemi = strings.Cut(r, ";")
		if hasSemi && strings.TrimSpace(params) == "" {
			return nil, &SpecError{Spec: spec, Part: r, Msg: "empty parameter list after ';'", Accepted: "key=value,key=value"}
		}
	}
	var raw []rawParam
	if params != "" {
		var err error
		raw, err = splitParams(spec, params, ",;")
		if err != nil {
			return nil, err
		}
	}
	env := map[string]float64{}
	var names []string
	for _, p := range raw {
		if p.key == "u" {
			return nil, &SpecError{Spec: spec, Part: p.key, Msg: "u is the variable, not a parameter"}
		}
		if _, isFunc := funcs[p.key]; isFunc {
			return nil, &SpecError{Spec: spec, Part: p.key, Msg: "a parameter may not be named like a function", Accepted: knownFuncs()}
		}
		if !validName(p.key) {
			return nil, &SpecError{Spec: spec, Part: p.key, Msg: "a parameter name is a letter or '_' followed by letters, digits or '_'"}
		}
		if _, dup := env[p.key]; dup {
			return nil, &SpecError{Spec: spec, Part: p.key, Msg: "parameter given twice"}
		}
		v, err := parseValue(p.val)
		if err != nil {
			return nil, &SpecError{Spec: spec, Part: p.key + "=" + p.val, Msg: err.Error()}
		}
		env[p.key] = v
		names = append(names, p.key)
	}
	e, err := ParseExpr(src, names)
	if err != nil {
		return nil, &SpecError{Spec: spec, Part: src, Msg: err.Error()}
	}
	used := map[string]bool{}
	for _, n := range e.Params() {
		used[n] = true
	}
	for _, n := range names {
		if !used[n] {
			return nil, &SpecError{Spec: spec, Part: n, Msg: "parameter not used by the expression"}
		}
	}
	l := newExprLoss(e, names, env)
	if err := checkEvaluable(l); err != nil {
		return nil, &SpecError{Spec: spec, Part: src, Msg: err.Error()}
	}
	return l, nil
}

// checkEvaluable returns an error naming the first point of the analysis
// grid (and of the sample table of verify loss) where an expr loss's g is
// NaN or infinite, or its derived g′ is NaN: the lab samples g and g′ on
// (0, 1) and cannot judge a loss there. (g′ = ±Inf is allowed: −g′ may
// grow without bound towards 0, as for −log u. u = 1 itself is not
// checked: there a form such as (1−u)^(γ−1)·log u is 0·∞ = NaN although
// its limit exists, and the grid stops at 1 − 1e-12.)
func checkEvaluable(l *Loss) error {
	for _, u := range append(Grid(nil), SampleUs...) {
		if g := l.G(u); math.IsNaN(g) || math.IsInf(g, 0) {
			return fmt.Errorf("g(u) = %s is %v at u = %v: a loss must be finite on (0, 1)", l.Expr, g, u)
		}
		if d := l.DG(u); math.IsNaN(d) {
			return fmt.Errorf("the derived g′(u) = %s cannot be evaluated at u = %v (NaN)", l.DExpr, u)
		}
	}
	return nil
}

func validName(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isLetter(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}
