package certify

import (
	"context"
	"fmt"
	"math"
)

// This file is the statement "gamma-nu": for each K of its claims, an
// enclosure [lo, hi] of relative width ≤ GammaNuRelWidth of the γ at
// which φ^γ′(1/K) changes sign, γ_nu(K) = 1 + (K−1)(ln K − 2)/ln K; with
// the linearization lemma of docs/proofs.md (Lemma N), minimizers
// arbitrarily close to the uniform vector are ηOC for γ < γ_nu(K) and
// every minimizer in some neighbourhood of it (off u) is ηUC for
// γ > γ_nu(K).
//
// At v = 1/K, D(v) = ln v·(γv − 1) − 2(1 − v) is affine in γ with slope
// v ln v < 0, so it has exactly one root in γ. The checker requires, per
// claimed K, three boxes at that K: "D(1/K)>0" at γ = lo, "D(1/K)<0" at
// γ = hi (so the root is in (lo, hi)), and "closed form" at γ ∈ [lo, hi],
// whose enclosure of 1 + (K−1)(ln K − 2)/ln K must lie in [lo, hi] (so the
// formula is that root, up to the width).

// Checks of the statement "gamma-nu".
const (
	CheckDAtUniformPos = "D(1/K)>0"
	CheckDAtUniformNeg = "D(1/K)<0"
	CheckClosedForm    = "closed form"
	gammaNuClaim       = "gamma_nu"
)

// GammaNuRelWidth is the largest relative width of a claimed γ_nu(K).
const GammaNuRelWidth = 1e-12

// GammaNuText is the statement of a "gamma-nu" certificate.
const GammaNuText = "For each K of the claims: phi^gamma'(1/K) > 0 for gamma below the claimed interval and < 0 above it, the interval holds 1 + (K-1)(ln K - 2)/ln K and has relative width <= 1e-12; by the linearization lemma (docs/proofs.md, Lemma N), minimizers arbitrarily close to the uniform vector are etaOC exactly when gamma < gamma_nu(K) (etaUC in a neighbourhood when gamma > gamma_nu(K))."

func closedFormGammaNu(k int64) Interval {
	K := Int(k)
	l := Log(K)
	return Add(Int(1), Div(Mul(Sub(K, Int(1)), Sub(l, Int(2))), l))
}

func dAtUniform(k int64, g float64) Interval {
	return DPhiCore(Div(Int(1), Int(k)), Point(g))
}

func checkGammaNu(ctx context.Context, c *Certificate) error {
	claims := map[float64]Claim{}
	var ks []float64
	for i, cl := range c.Claims {
		if cl.Name != gammaNuClaim || len(cl.At) != 1 || cl.At[0] != math.Trunc(cl.At[0]) || cl.At[0] < 2 || cl.At[0] > MaxGammaNuK {
			return fmt.Errorf("certify: %w: claim %d needs name %q and at = [K], K an integer in [2, 1000000]", ErrFormat, i, gammaNuClaim)
		}
		if _, dup := claims[cl.At[0]]; dup {
			return fmt.Errorf("certify: %w: claim %d repeats K = %s", ErrFormat, i, g17(cl.At[0]))
		}
		if !(cl.Lo < cl.Hi) || cl.Hi-cl.Lo > GammaNuRelWidth*math.Abs(cl.Lo) {
			return unsettled(-1, "K = %s: the enclosure [%s, %s] is empty or wider than %g relative", g17(cl.At[0]), g17(cl.Lo), g17(cl.Hi), GammaNuRelWidth)
		}
		claims[cl.At[0]] = cl
		ks = append(ks, cl.At[0])
	}
	err := settleAll(ctx, len(c.Boxes), func(i int) error {
		b := c.Boxes[i]
		cl, ok := claims[b.Lo[0]]
		if b.Lo[0] != b.Hi[0] || !ok {
			return unsettled(i, "its K side is not one claimed K")
		}
		k := int64(b.Lo[0])
		switch b.Check {
		case CheckDAtUniformPos:
			if b.Lo[1] != cl.Lo || b.Hi[1] != cl.Lo {
				return unsettled(i, "%s must be at gamma = %s", b.Check, g17(cl.Lo))
			}
			return settle(c, i, dAtUniform(k, cl.Lo), positive)
		case CheckDAtUniformNeg:
			if b.Lo[1] != cl.Hi || b.Hi[1] != cl.Hi {
				return unsettled(i, "%s must be at gamma = %s", b.Check, g17(cl.Hi))
			}
			return settle(c, i, dAtUniform(k, cl.Hi), negative)
		case CheckClosedForm:
			if b.Lo[1] != cl.Lo || b.Hi[1] != cl.Hi {
				return unsettled(i, "%s must span gamma ∈ [%s, %s]", b.Check, g17(cl.Lo), g17(cl.Hi))
			}
			e := closedFormGammaNu(k)
			r := b.Enclosure
			if !(r[0] <= e.Lo() && e.Hi() <= r[1]) {
				return unsettled(i, "closed form at K = %d: recomputed [%s, %s] is not inside the recorded [%s, %s]", k, g17(e.Lo()), g17(e.Hi()), g17(r[0]), g17(r[1]))
			}
			if !(cl.Lo <= r[0] && r[1] <= cl.Hi) {
				return unsettled(i, "closed form at K = %d: [%s, %s] is not inside the claim", k, g17(r[0]), g17(r[1]))
			}
			return nil
		}
		return unsettled(i, "unknown check %q", b.Check)
	})
	if err != nil {
		return err
	}
	for _, k := range ks {
		seen := map[string]int{}
		for _, b := range c.Boxes {
			if b.Lo[0] == k {
				seen[b.Check]++
			}
		}
		for _, ch := range []string{CheckDAtUniformPos, CheckDAtUniformNeg, CheckClosedForm} {
			if seen[ch] != 1 {
				return unsettled(-1, "K = %s: needs exactly one %q box, has %d", g17(k), ch, seen[ch])
			}
		}
	}
	return nil
}

// gammaNuProduceHalf: the producer widens the float64 enclosure of the
// closed form by this relative amount on each side (its 128-bit enclosure
// is ~1e-35 wide, so the sign checks at the ends have margin).
const gammaNuProduceHalf = 2e-13

// MaxGammaNuK is the largest K of a "gamma-nu" certificate.
const MaxGammaNuK = 1_000_000

// ProduceGammaNu builds a "gamma-nu" certificate for the given K (distinct,
// in [2, MaxGammaNuK]).
func ProduceGammaNu(ctx context.Context, ks []int, command string) (*Certificate, error) {
	c := &Certificate{Format: Format, Version: Version, Statement: "gamma-nu", Text: GammaNuText, Command: command,
		Variables: statements["gamma-nu"].variables}
	seen := map[int]bool{}
	for _, k := range ks {
		if k < 2 || k > MaxGammaNuK || seen[k] {
			return nil, fmt.Errorf("certify: K = %d repeated or outside [2, %d]", k, MaxGammaNuK)
		}
		seen[k] = true
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e := closedFormGammaNu(int64(k))
		w := gammaNuProduceHalf * math.Abs(e.Lo())
		lo, hi := e.Lo()-w, e.Hi()+w
		kf := float64(k)
		pos, neg := dAtUniform(int64(k), lo), dAtUniform(int64(k), hi)
		if !pos.Positive() || !neg.Negative() {
			return nil, fmt.Errorf("certify: K = %d: D(1/K) has no certified sign change across [%s, %s]", k, g17(lo), g17(hi))
		}
		c.Claims = append(c.Claims, Claim{gammaNuClaim, []float64{kf}, lo, hi})
		c.Boxes = append(c.Boxes,
			Box{Check: CheckDAtUniformPos, Lo: []float64{kf, lo}, Hi: []float64{kf, lo}, Enclosure: []float64{pos.Lo(), pos.Hi()}},
			Box{Check: CheckDAtUniformNeg, Lo: []float64{kf, hi}, Hi: []float64{kf, hi}, Enclosure: []float64{neg.Lo(), neg.Hi()}},
			Box{Check: CheckClosedForm, Lo: []float64{kf, lo}, Hi: []float64{kf, hi}, Enclosure: []float64{e.Lo(), e.Hi()}},
		)
	}
	return c, nil
}
