package loss

// The expression language of `expr:` losses: a small expression tree with
// a symbolic derivative, written here because no well-kept Go library does
// both parsing and symbolic differentiation (the general expression
// evaluators in the module lists, such as expr-lang/expr and cel-go,
// evaluate but do not differentiate). It is deliberately small: numbers,
// the variable u, named parameters, + − * / ^, unary minus, parentheses and
// the functions log, log1p, exp, expm1, sqrt.
//
// Grammar (precedence low to high; ^ is right-associative and binds tighter
// than unary minus, so -u^2 is −(u²)):
//
//	sum    = term { ("+" | "-") term }
//	term   = unary { ("*" | "/") unary }
//	unary  = "-" unary | power
//	power  = atom [ "^" unary ]
//	atom   = number | name | name "(" sum ")" | "(" sum ")"

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// op is the operation of an expression node.
type op int

const (
	opNum   op = iota
	opVar      // the variable u
	opParam    // a named parameter
	opAdd
	opSub
	opMul
	opDiv
	opPow
	opNeg
	opFunc
)

// Expr is a node of an expression tree. The zero value is not valid; build
// trees with ParseExpr.
type Expr struct {
	op   op
	num  float64
	name string // parameter or function name
	a, b *Expr
}

// funcs are the functions the language knows, with their float64 value.
var funcs = map[string]func(float64) float64{
	"log":   math.Log,
	"log1p": math.Log1p,
	"exp":   math.Exp,
	"expm1": math.Expm1,
	"sqrt":  math.Sqrt,
}

// ExprError reports an expression that does not parse or names an unknown
// symbol; Pos is the byte offset in the expression.
type ExprError struct {
	Expr string
	Pos  int
	Msg  string
}

func (e *ExprError) Error() string {
	return fmt.Sprintf("expression %q at offset %d: %s", e.Expr, e.Pos, e.Msg)
}

type exprParser struct {
	s      string
	pos    int
	params map[string]bool
}

// ParseExpr parses s as an expression of u and of the parameters named in
// params (each may be used or not). An unknown name, a syntax error, or an
// expression in which u does not occur is an *ExprError.
func ParseExpr(s string, params []string) (*Expr, error) {
	p := &exprParser{s: s, params: map[string]bool{}}
	for _, n := range params {
		p.params[n] = true
	}
	p.skip()
	if p.pos == len(p.s) {
		return nil, p.err("empty expression")
	}
	e, err := p.sum()
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.pos != len(p.s) {
		return nil, p.err(fmt.Sprintf("unexpected %q", p.s[p.pos:p.pos+1]))
	}
	if !e.hasVar() {
		return nil, &ExprError{Expr: s, Pos: 0, Msg: "not a function of u (u does not occur)"}
	}
	return e, nil
}

func (p *exprParser) err(msg string) error { return &ExprError{Expr: p.s, Pos: p.pos, Msg: msg} }

func (p *exprParser) skip() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *exprParser) peek() byte {
	p.skip()
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *exprParser) sum() (*Expr, error) {
	e, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		c := p.peek()
		if c != '+' && c != '-' {
			return e, nil
		}
		p.pos++
		r, err := p.term()
		if err != nil {
			return nil, err
		}
		if c == '+' {
			e = &Expr{op: opAdd, a: e, b: r}
		} else {
			e = &Expr{op: opSub, a: e, b: r}
		}
	}
}

func (p *exprParser) term() (*Expr, error) {
	e, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		c := p.peek()
		if c != '*' && c != '/' {
			return e, nil
		}
		p.pos++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		if c == '*' {
			e = &Expr{op: opMul, a: e, b: r}
		} else {
			e = &Expr{op: opDiv, a: e, b: r}
		}
	}
}

func (p *exprParser) unary() (*Expr, error) {
	if p.peek() == '-' {
		p.pos++
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Expr{op: opNeg, a: e}, nil
	}
	return p.power()
}

func (p *exprParser) power() (*Expr, error) {
	e, err := p.atom()
	if err != nil {
		return nil, err
	}
	if p.peek() == '^' {
		p.pos++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		e = &Expr{op: opPow, a: e, b: r}
	}
	return e, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

func (p *exprParser) atom() (*Expr, error) {
	c := p.peek()
	start := p.pos
	switch {
	case c == 0:
		return nil, p.err("unexpected end of expression")
	case c == '(':
		p.pos++
		e, err := p.sum()
		if err != nil {
			return nil, err
		}
		if p.peek() != ')' {
			return nil, p.err("missing )")
		}
		p.pos++
		return e, nil
	case isDigit(c) || c == '.':
		for p.pos < len(p.s) && (isDigit(p.s[p.pos]) || p.s[p.pos] == '.') {
			p.pos++
		}
		if p.pos < len(p.s) && (p.s[p.pos] == 'e' || p.s[p.pos] == 'E') {
			q := p.pos + 1
			if q < len(p.s) && (p.s[q] == '+' || p.s[q] == '-') {
				q++
			}
			if q < len(p.s) && isDigit(p.s[q]) {
				for q < len(p.s) && isDigit(p.s[q]) {
					q++
				}
				p.pos = q
			}
		}
		v, err := strconv.ParseFloat(p.s[start:p.pos], 64)
		if err != nil || math.IsInf(v, 0) {
			p.pos = start
			return nil, p.err(fmt.Sprintf("bad number %q", p.s[start:p.pos]))
		}
		return &Expr{op: opNum, num: v}, nil
	case isLetter(c):
		for p.pos < len(p.s) && (isLetter(p.s[p.pos]) || isDigit(p.s[p.pos])) {
			p.pos++
		}
		name := p.s[start:p.pos]
		if p.peek() == '(' {
			if _, ok := funcs[name]; !ok {
				p.pos = start
				return nil, p.err(fmt.Sprintf("unknown function %q (known: %s)", name, knownFuncs()))
			}
			p.pos++
			arg, err := p.sum()
			if err != nil {
				return nil, err
			}
			if p.peek() != ')' {
				return nil, p.err("missing ) after argument of " + name)
			}
			p.pos++
			return &Expr{op: opFunc, name: name, a: arg}, nil
		}
		if name == "u" {
			return &Expr{op: opVar}, nil
		}
		if p.params[name] {
			return &Expr{op: opParam, name: name}, nil
		}
		p.pos = start
		return nil, p.err(fmt.Sprintf("unknown name %q (the variable is u; parameters are set after ';', as in expr:\"...\";g=2)", name))
	}
	return nil, p.err(fmt.Sprintf("unexpected %q", string(c)))
}

func knownFuncs() string { return "log, log1p, exp, expm1, sqrt" }

func (e *Expr) hasVar() bool {
	if e == nil {
		return false
	}
	return e.op == opVar || e.a.hasVar() || e.b.hasVar()
}

// Params returns the parameter names the expression uses, each once, in
// order of first use.
func (e *Expr) Params() []string {
	var out []string
	var walk func(*Expr)
	walk = func(x *Expr) {
		if x == nil {
			return
		}
		if x.op == opParam && !strings.Contains(" "+strings.Join(out, " ")+" ", " "+x.name+" ") {
			out = append(out, x.name)
		}
		walk(x.a)
		walk(x.b)
	}
	walk(e)
	return out
}

// Eval returns the value of e at u with the parameter values env (a
// parameter missing from env is NaN).
func (e *Expr) Eval(u float64, env map[string]float64) float64 {
	switch e.op {
	case opNum:
		return e.num
	case opVar:
		return u
	case opParam:
		v, ok := env[e.name]
		if !ok {
			return math.NaN()
		}
		return v
	case opAdd:
		return e.a.Eval(u, env) + e.b.Eval(u, env)
	case opSub:
		return e.a.Eval(u, env) - e.b.Eval(u, env)
	case opMul:
		return e.a.Eval(u, env) * e.b.Eval(u, env)
	case opDiv:
		return e.a.Eval(u, env) / e.b.Eval(u, env)
	case opPow:
		return math.Pow(e.a.Eval(u, env), e.b.Eval(u, env))
	case opNeg:
		return -e.a.Eval(u, env)
	case opFunc:
		return funcs[e.name](e.a.Eval(u, env))
	}
	panic("loss: invalid expression node")
}

// constant constructors that fold as they build, so that derivative trees
// stay readable (0·x = 0, 1·x = x, x + 0 = x, …).
func num(v float64) *Expr { return &Expr{op: opNum, num: v} }

func isNum(e *Expr, v float64) bool { return e.op == opNum && e.num == v }

func add(a, b *Expr) *Expr {
	switch {
	case b.op == opNeg: // a + (−x) = a − x, exactly
		return sub(a, b.a)
	case a.op == opNeg: // (−x) + b = b − x, exactly
		return sub(b, a.a)
	case a.op == opNum && a.num < 0 && b.op != opNum: // (−c) + b = b − c
		return sub(b, num(-a.num))
	case b.op == opNum && b.num < 0 && a.op != opNum:
		return sub(a, num(-b.num))
	case isNum(a, 0):
		return b
	case isNum(b, 0):
		return a
	case a.op == opNum && b.op == opNum:
		return num(a.num + b.num)
	}
	return &Expr{op: opAdd, a: a, b: b}
}

func sub(a, b *Expr) *Expr {
	switch {
	case b.op == opNeg: // a − (−x) = a + x, exactly
		return add(a, b.a)
	case b.op == opNum && b.num < 0 && a.op != opNum: // a − (−c) = a + c
		return add(a, num(-b.num))
	case isNum(b, 0):
		return a
	case isNum(a, 0):
		return neg(b)
	case a.op == opNum && b.op == opNum:
		return num(a.num - b.num)
	}
	return &Expr{op: opSub, a: a, b: b}
}

func mul(a, b *Expr) *Expr {
	switch {
	case isNum(a, 0) || isNum(b, 0):
		return num(0)
	case isNum(a, 1):
		return b
	case isNum(b, 1):
		return a
	case isNum(a, -1):
		return neg(b)
	case isNum(b, -1):
		return neg(a)
	case a.op == opNum && b.op == opNum:
		return num(a.num * b.num)
	case a.op == opNeg: // (−x)·y = −(x·y), exactly (rounding is symmetric)
		return neg(mul(a.a, b))
	case b.op == opNeg:
		return neg(mul(a, b.a))
	}
	return &Expr{op: opMul, a: a, b: b}
}

func div(a, b *Expr) *Expr {
	switch {
	case isNum(a, 0):
		return num(0)
	case isNum(b, 1):
		return a
	case a.op == opNeg: // (−x)/y = −(x/y), exactly
		return neg(div(a.a, b))
	case b.op == opNeg:
		return neg(div(a, b.a))
	}
	return &Expr{op: opDiv, a: a, b: b}
}

func neg(a *Expr) *Expr {
	switch {
	case a.op == opNum:
		return num(-a.num)
	case a.op == opNeg:
		return a.a
	case a.op == opSub: // −(x − y) = y − x, exactly
		return sub(a.b, a.a)
	case a.op == opAdd && a.a.op == opNeg: // −(−x + y) = x − y, exactly
		return sub(a.a.a, a.b)
	}
	return &Expr{op: opNeg, a: a}
}

func pow(a, b *Expr) *Expr {
	switch {
	case isNum(b, 0):
		return num(1)
	case isNum(b, 1):
		return a
	}
	return &Expr{op: opPow, a: a, b: b}
}

func fn(name string, a *Expr) *Expr { return &Expr{op: opFunc, name: name, a: a} }

// Deriv returns the derivative of e with respect to u, as a tree (the
// usual rules; for a^b with b free of u the power rule b·a^(b−1)·a′, and
// otherwise a^b·(b′·log a + b·a′/a)).
func (e *Expr) Deriv() *Expr {
	switch e.op {
	case opNum, opParam:
		return num(0)
	case opVar:
		return num(1)
	case opAdd:
		return add(e.a.Deriv(), e.b.Deriv())
	case opSub:
		return sub(e.a.Deriv(), e.b.Deriv())
	case opMul:
		return add(mul(e.a.Deriv(), e.b), mul(e.a, e.b.Deriv()))
	case opDiv:
		// (a/b)′ = a′/b − a·b′/b²
		return sub(div(e.a.Deriv(), e.b), div(mul(e.a, e.b.Deriv()), pow(e.b, num(2))))
	case opNeg:
		return neg(e.a.Deriv())
	case opPow:
		da, db := e.a.Deriv(), e.b.Deriv()
		if !e.b.hasVar() {
			var ex *Expr
			if e.b.op == opNum {
				ex = num(e.b.num - 1)
			} else {
				ex = sub(e.b, num(1))
			}
			return mul(mul(e.b, pow(e.a, ex)), da)
		}
		return mul(e, add(mul(db, fn("log", e.a)), div(mul(e.b, da), e.a)))
	case opFunc:
		da := e.a.Deriv()
		var d *Expr
		switch e.name {
		case "log":
			d = div(num(1), e.a)
		case "log1p":
			d = div(num(1), add(num(1), e.a))
		case "exp":
			d = e
		case "expm1":
			d = fn("exp", e.a)
		case "sqrt":
			d = div(num(1), mul(num(2), e))
		}
		return mul(d, da)
	}
	panic("loss: invalid expression node")
}

// prec is the binding strength of a node's operator, for String.
func (e *Expr) prec() int {
	switch e.op {
	case opAdd, opSub:
		return 1
	case opMul, opDiv:
		return 2
	case opNeg:
		return 3
	case opPow:
		return 4
	}
	return 5
}

// String writes e in the language ParseExpr reads, with the parentheses
// precedence needs (ParseExpr(e.String()) is e).
func (e *Expr) String() string {
	var b strings.Builder
	e.write(&b)
	return b.String()
}

func (e *Expr) write(b *strings.Builder) {
	wrap := func(x *Expr, min int) {
		if x.prec() < min || (x.op == opNum && x.num < 0) {
			b.WriteByte('(')
			x.write(b)
			b.WriteByte(')')
			return
		}
		x.write(b)
	}
	switch e.op {
	case opNum:
		b.WriteString(strconv.FormatFloat(e.num, 'g', -1, 64))
	case opVar:
		b.WriteByte('u')
	case opParam:
		b.WriteString(e.name)
	case opAdd, opSub, opMul, opDiv:
		sym := map[op]string{opAdd: "+", opSub: "-", opMul: "*", opDiv: "/"}[e.op]
		p := e.prec()
		wrap(e.a, p)
		b.WriteString(sym)
		// The right operand needs parentheses at equal precedence, so that
		// the tree's grouping (and its rounding) is kept: a*(b/c) ≠ a*b/c;
		// and a negation there is parenthesized, a-(-x) rather than a--x.
		if e.b.op == opNeg {
			wrap(e.b, 5)
		} else {
			wrap(e.b, p+1)
		}
	case opNeg:
		b.WriteByte('-')
		wrap(e.a, 4)
	case opPow:
		wrap(e.a, 5)
		b.WriteByte('^')
		wrap(e.b, 3)
	case opFunc:
		b.WriteString(e.name)
		b.WriteByte('(')
		e.a.write(b)
		b.WriteByte(')')
	}
}
