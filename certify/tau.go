package certify

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// This file is the statement "tau": for each γ of its claims, enclosures
// of τ_oc^γ and τ_uc^γ of relative width ≤ TauRelWidth and the shape of φ^γ
// that Thm 8's three regions rest on (docs/proofs.md, Lemma T).
//
// With D(v) = ln v·(γv − 1) − 2(1 − v), the sign of φ' (DPhiCore), and
// claims τ_oc ∈ [a, b], τ_uc ∈ [c, d], the checker requires boxes that
// tile, in v:
//
//	[0, a]  check "D>0"        (the box at 0 by the lemma "near-zero")
//	[a, b]  check "D'<0"       (D is strictly decreasing there)
//	[b, 1]  check "D/(1-v)<0"  (D/(1 − v) = DPhiCoreOver1m, finite at 1)
//	[c, c]  check "ln phi>0"
//	[d, d]  check "ln phi<0"
//
// and 0 < a < b ≤ c < d < 1. Then φ is strictly increasing on [0, τ_oc]
// and strictly decreasing on [τ_oc, 1] with τ_oc ∈ (a, b) its unique
// maximizer, and τ_uc ∈ (c, d) is the unique root of φ = 1 in (0, 1),
// with φ > 1 on (0, τ_uc) and φ < 1 on (τ_uc, 1].

// Checks and lemmas of the statement "tau".
const (
	CheckDPos      = "D>0"
	CheckDDNeg     = "D'<0"
	CheckDOver1m   = "D/(1-v)<0"
	CheckLnPhiPos  = "ln phi>0"
	CheckLnPhiNeg  = "ln phi<0"
	LemmaNearZero  = "near-zero"
	tauClaimOC     = "tau_oc"
	tauClaimUC     = "tau_uc"
	tauProduceHalf = 2.5e-13 // half the relative width the producer aims at
)

// TauRelWidth is the largest relative width (hi − lo)/lo of a claimed
// enclosure of τ_oc or τ_uc.
const TauRelWidth = 1e-12

// TauText is the statement of a "tau" certificate.
const TauText = "For each gamma of the claims: phi^gamma is strictly increasing on [0, tau_oc] and strictly decreasing on [tau_oc, 1], tau_oc = argmax phi^gamma lies in the claimed tau_oc interval, and tau_uc, the unique root of phi^gamma = 1 in (0, 1), lies in the claimed tau_uc interval, with phi^gamma > 1 on (0, tau_uc) and < 1 on (tau_uc, 1]; so Thm 8's regions (0, tau_oc] and [tau_uc, 1) are as stated for that gamma. Enclosures have relative width <= 1e-12."

// nearZeroBound encloses the lemma's lower bound of D on (0, a0]:
// |ln a0|·(1 − γ a0) − 2, valid when a0 < 1 and γ a0 < 1.
func nearZeroBound(a0, g float64) Interval {
	A, G := Point(a0), Point(g)
	om := Sub(Int(1), Mul(G, A))
	if !(a0 > 0 && a0 < 1) || !om.Positive() {
		return Interval{}
	}
	return Sub(Mul(Neg(Log(A)), om), Int(2))
}

// tauBoxFunc returns the function whose sign box b must have, and the sign.
func tauBoxFunc(b Box) (Interval, sign, error) {
	g := b.Lo[0]
	V := Between(b.Lo[1], b.Hi[1])
	G := Point(g)
	if b.Lemma != "" && (b.Check != CheckDPos || b.Lemma != LemmaNearZero) {
		return Interval{}, 0, fmt.Errorf("lemma %q does not apply to check %q", b.Lemma, b.Check)
	}
	switch b.Check {
	case CheckDPos:
		if b.Lo[1] == 0 {
			if b.Lemma != LemmaNearZero {
				return Interval{}, 0, fmt.Errorf("a %s box at v = 0 needs the lemma %q", CheckDPos, LemmaNearZero)
			}
			return nearZeroBound(b.Hi[1], g), positive, nil
		}
		if b.Lemma != "" {
			return Interval{}, 0, fmt.Errorf("the lemma %q applies only to a box starting at v = 0", LemmaNearZero)
		}
		return DPhiCore(V, G), positive, nil
	case CheckDDNeg:
		return DDPhiCore(V, G), negative, nil
	case CheckDOver1m:
		return DPhiCoreOver1m(V, G), negative, nil
	case CheckLnPhiPos:
		return LogPhi(V, G), positive, nil
	case CheckLnPhiNeg:
		return LogPhi(V, G), negative, nil
	}
	return Interval{}, 0, fmt.Errorf("unknown check %q", b.Check)
}

func checkTau(ctx context.Context, c *Certificate) error {
	type pair struct{ oc, uc *Claim }
	claims := map[float64]*pair{}
	var gammas []float64
	for i := range c.Claims {
		cl := &c.Claims[i]
		if len(cl.At) != 1 || !(cl.At[0] > 0) || math.IsInf(cl.At[0], 0) {
			return fmt.Errorf("certify: %w: claim %d needs at = [gamma] with gamma > 0", ErrFormat, i)
		}
		g := cl.At[0]
		p := claims[g]
		if p == nil {
			p = &pair{}
			claims[g] = p
			gammas = append(gammas, g)
		}
		switch {
		case cl.Name == tauClaimOC && p.oc == nil:
			p.oc = cl
		case cl.Name == tauClaimUC && p.uc == nil:
			p.uc = cl
		default:
			return fmt.Errorf("certify: %w: claim %d: unexpected or repeated %q at gamma = %s", ErrFormat, i, cl.Name, g17(g))
		}
	}
	for _, g := range gammas {
		p := claims[g]
		if p.oc == nil || p.uc == nil {
			return unsettled(-1, "gamma = %s: needs both a %s and a %s claim", g17(g), tauClaimOC, tauClaimUC)
		}
		a, b, cc, d := p.oc.Lo, p.oc.Hi, p.uc.Lo, p.uc.Hi
		if !(0 < a && a < b && b <= cc && cc < d && d < 1) {
			return unsettled(-1, "gamma = %s: the claims need 0 < tau_oc.lo < tau_oc.hi <= tau_uc.lo < tau_uc.hi < 1", g17(g))
		}
		if b-a > TauRelWidth*a || d-cc > TauRelWidth*cc {
			return unsettled(-1, "gamma = %s: an enclosure is wider than %g relative", g17(g), TauRelWidth)
		}
	}
	// Every box: settled, and belonging to a claimed γ.
	err := settleAll(ctx, len(c.Boxes), func(i int) error {
		b := c.Boxes[i]
		if b.Lo[0] != b.Hi[0] || claims[b.Lo[0]] == nil {
			return unsettled(i, "its gamma side [%s, %s] is not one claimed gamma", g17(b.Lo[0]), g17(b.Hi[0]))
		}
		e, s, err := tauBoxFunc(b)
		if err != nil {
			return unsettled(i, "%v", err)
		}
		return settle(c, i, e, s)
	})
	if err != nil {
		return err
	}
	// Coverage of each region.
	for _, g := range gammas {
		p := claims[g]
		regions := []struct {
			check  string
			lo, hi float64
		}{
			{CheckDPos, 0, p.oc.Lo},
			{CheckDDNeg, p.oc.Lo, p.oc.Hi},
			{CheckDOver1m, p.oc.Hi, 1},
			{CheckLnPhiPos, p.uc.Lo, p.uc.Lo},
			{CheckLnPhiNeg, p.uc.Hi, p.uc.Hi},
		}
		for _, r := range regions {
			var idx []int
			for i, b := range c.Boxes {
				if b.Lo[0] == g && b.Check == r.check {
					idx = append(idx, i)
				}
			}
			what := fmt.Sprintf("gamma = %s, check %s on v ∈ [%s, %s]", g17(g), r.check, g17(r.lo), g17(r.hi))
			if len(idx) == 0 {
				return unsettled(-1, "%s: no box", what)
			}
			if err := tiling(c, idx, 1, r.lo, r.hi, what); err != nil {
				return err
			}
		}
	}
	for i, b := range c.Boxes {
		known := slices.Contains([]string{CheckDPos, CheckDDNeg, CheckDOver1m, CheckLnPhiPos, CheckLnPhiNeg}, b.Check)
		if !known {
			return unsettled(i, "unknown check %q", b.Check)
		}
	}
	return nil
}

// rootBetween returns a float64 near the sign change of fn on [lo, hi]
// (fn(lo) > 0 > fn(hi), by bisection on point enclosures, stopping at
// adjacent floats or where a point enclosure straddles 0).
func rootBetween(fn func(v float64) Interval, lo, hi float64) float64 {
	for {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			return mid
		}
		e := fn(mid)
		switch {
		case e.Positive():
			lo = mid
		case e.Negative():
			hi = mid
		default:
			return mid
		}
	}
}

// maxCoverDepth bounds the bisection of a region (2^-80 of its width is
// below any float64 spacing the producer needs).
const maxCoverDepth = 80

// cover tiles [lo, hi] with boxes that try settles, bisecting the ones it
// cannot settle; the boxes come out in order.
func cover(ctx context.Context, lo, hi float64, try func(lo, hi float64) (Box, bool)) ([]Box, error) {
	var out []Box
	var rec func(lo, hi float64, depth int) error
	rec = func(lo, hi float64, depth int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if b, ok := try(lo, hi); ok {
			out = append(out, b)
			return nil
		}
		mid := lo + (hi-lo)/2
		if depth >= maxCoverDepth || mid <= lo || mid >= hi {
			return fmt.Errorf("certify: cannot settle [%s, %s]", g17(lo), g17(hi))
		}
		if err := rec(lo, mid, depth+1); err != nil {
			return err
		}
		return rec(mid, hi, depth+1)
	}
	return out, rec(lo, hi, 0)
}

// tryBox returns the box of check on [lo, hi] at γ with its enclosure,
// and whether that enclosure settles it.
func tryTauBox(check string, g, lo, hi float64) (Box, bool) {
	b := Box{Check: check, Lo: []float64{g, lo}, Hi: []float64{g, hi}}
	if check == CheckDPos && lo == 0 {
		b.Lemma = LemmaNearZero
	}
	e, s, err := tauBoxFunc(b)
	if err != nil || !e.Valid() {
		return b, false
	}
	b.Enclosure = []float64{e.Lo(), e.Hi()}
	return b, (s == positive && e.Positive()) || (s == negative && e.Negative())
}

// ProduceTau builds a "tau" certificate for the given γ > 0.
func ProduceTau(ctx context.Context, gammas []float64, command string) (*Certificate, error) {
	c := &Certificate{Format: Format, Version: Version, Statement: "tau", Text: TauText, Command: command,
		Variables: statements["tau"].variables}
	for _, g := range gammas {
		if !(g > 0) || math.IsInf(g, 0) {
			return nil, fmt.Errorf("certify: gamma must be finite and > 0, got %v", g)
		}
		G := Point(g)
		// D > 0 near 0 and D(1/2) = ln 2·(1 − γ/2) − 1 < 0 for γ ≥ 0.
		toc := rootBetween(func(v float64) Interval { return DPhiCore(Point(v), G) }, 0x1p-1000, 0.5)
		a, b := toc*(1-tauProduceHalf), toc*(1+tauProduceHalf)
		// ln φ > 0 just after τ_oc (φ(τ_oc) > φ(0) = 1), < 0 at 1/2 (τ_uc < 1/2 for γ > 0).
		tuc := rootBetween(func(v float64) Interval { return LogPhi(Point(v), G) }, b, 0.5)
		cc, d := tuc*(1-tauProduceHalf), tuc*(1+tauProduceHalf)
		c.Claims = append(c.Claims, Claim{tauClaimOC, []float64{g}, a, b}, Claim{tauClaimUC, []float64{g}, cc, d})
		for _, r := range []struct {
			check  string
			lo, hi float64
		}{
			{CheckDPos, 0, a}, {CheckDDNeg, a, b}, {CheckDOver1m, b, 1}, {CheckLnPhiPos, cc, cc}, {CheckLnPhiNeg, d, d},
		} {
			boxes, err := cover(ctx, r.lo, r.hi, func(lo, hi float64) (Box, bool) { return tryTauBox(r.check, g, lo, hi) })
			if err != nil {
				return nil, fmt.Errorf("%w (gamma = %s, check %s)", err, g17(g), r.check)
			}
			c.Boxes = append(c.Boxes, boxes...)
		}
	}
	return c, nil
}
