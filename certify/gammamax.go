package certify

import (
	"context"
	"fmt"
	"math"
)

// This file is the statement "gamma-max": for each K of its claims, an
// enclosure [lo, hi] (relative width ≤ GammaMaxRelWidth) of γ_max(K), the
// γ with τ_uc^γ = 1/(K−1), and certified ηOC witnesses at γ below it.
//
// By the shape lemma (docs/proofs.md, Lemma S), ln φ^γ(v) > 0 exactly
// when v < τ_uc^γ, and τ_uc^γ is strictly decreasing in γ (Lemma M); so
// ln φ^lo(1/(K−1)) > 0 > ln φ^hi(1/(K−1)) puts the unique γ_max(K) in
// (lo, hi). A witness box at (K, γ, ε) certifies, for
// q = (t, …, t, ε) with t = (1 − ε)/(K − 1) (K − 1 entries t) and
// η = Ψ^γ(q), that max q − max η = t − h(t)/((K−1) h(t) + h(ε)) > 0;
// since q is the focal risk minimizer at η = Ψ^γ(q) (Lemma KKT), the
// minimizer at η is ηOC.
//
// The checker requires, per claimed K, exactly one box of each sign check
// at γ = lo and γ = hi, and per claimed witness (a claim "witness" at
// [K, γ, ε] whose [lo, hi] encloses max q − max η) exactly one witness box
// at that point, with γ below the K's γ_max enclosure; every witness box
// must be claimed.

// Checks of the statement "gamma-max".
const (
	CheckLnPhiInvKm1Pos = "ln phi(1/(K-1))>0"
	CheckLnPhiInvKm1Neg = "ln phi(1/(K-1))<0"
	CheckWitnessOC      = "max q - max eta>0"
	gammaMaxClaim       = "gamma_max"
	witnessClaim        = "witness"
)

// GammaMaxRelWidth is the largest relative width of a claimed γ_max(K).
const GammaMaxRelWidth = 1e-12

// MaxGammaMaxK is the largest K of a "gamma-max" certificate.
const MaxGammaMaxK = 100_000

// GammaMaxText is the statement of a "gamma-max" certificate.
const GammaMaxText = "For each K of the claims: gamma_max(K), the gamma with tau_uc^gamma = 1/(K-1), lies in the claimed interval (relative width <= 1e-12), and at each witness (K, gamma, eps) with gamma below it, eta = Psi^gamma(q) for q = ((1-eps)/(K-1) x(K-1), eps) has the focal risk minimizer q, which is etaOC: max q - max eta > 0 (enclosed). So etaOC minimizers exist at those gamma (they exist for every gamma < gamma_max(K): docs/proofs.md, Lemma B1); that none exists for gamma >= gamma_max(K) is the statement no-oc."

func lnPhiInvKm1(k int64, g float64) Interval {
	return LogPhi(Div(Int(1), Int(k-1)), Point(g))
}

// witnessMargin encloses max q − max η for q = (t ×(K−1), ε),
// t = (1 − ε)/(K − 1), η = Ψ^γ(q).
func witnessMargin(k int64, g, eps float64) Interval {
	E, G := Point(eps), Point(g)
	t := Div(Sub(Int(1), E), Int(k-1))
	ht, he := F(t, G), F(E, G)
	return Sub(t, Div(ht, Add(Mul(Int(k-1), ht), he)))
}

func checkGammaMax(ctx context.Context, c *Certificate) error {
	claims := map[float64]Claim{}
	witnesses := map[[3]float64]Claim{}
	var ks []float64
	for i, cl := range c.Claims {
		if cl.Name == witnessClaim && len(cl.At) == 3 {
			key := [3]float64(cl.At)
			if _, dup := witnesses[key]; dup {
				return fmt.Errorf("certify: %w: claim %d repeats a witness", ErrFormat, i)
			}
			if !(cl.Lo > 0 && cl.Lo <= cl.Hi) {
				return unsettled(-1, "witness claim %d: [%s, %s] is not a positive enclosure", i, g17(cl.Lo), g17(cl.Hi))
			}
			witnesses[key] = cl
			continue
		}
		if cl.Name != gammaMaxClaim || len(cl.At) != 1 || cl.At[0] != math.Trunc(cl.At[0]) || cl.At[0] < 3 || cl.At[0] > MaxGammaMaxK {
			return fmt.Errorf("certify: %w: claim %d needs name %q and at = [K], K an integer in [3, %d], or name %q and at = [K, gamma, eps]", ErrFormat, i, gammaMaxClaim, MaxGammaMaxK, witnessClaim)
		}
		if _, dup := claims[cl.At[0]]; dup {
			return fmt.Errorf("certify: %w: claim %d repeats K = %s", ErrFormat, i, g17(cl.At[0]))
		}
		if !(0 < cl.Lo && cl.Lo < cl.Hi) || cl.Hi-cl.Lo > GammaMaxRelWidth*cl.Lo {
			return unsettled(-1, "K = %s: the enclosure [%s, %s] is empty, not positive or wider than %g relative", g17(cl.At[0]), g17(cl.Lo), g17(cl.Hi), GammaMaxRelWidth)
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
		if b.Lemma != "" {
			return unsettled(i, "no lemma applies to %q", b.Check)
		}
		k := int64(b.Lo[0])
		point := b.Lo[1] == b.Hi[1] && b.Lo[2] == b.Hi[2]
		switch b.Check {
		case CheckLnPhiInvKm1Pos:
			if !point || b.Lo[1] != cl.Lo || b.Lo[2] != 0 {
				return unsettled(i, "%s must be at gamma = %s, eps = 0", b.Check, g17(cl.Lo))
			}
			return settle(c, i, lnPhiInvKm1(k, cl.Lo), positive)
		case CheckLnPhiInvKm1Neg:
			if !point || b.Lo[1] != cl.Hi || b.Lo[2] != 0 {
				return unsettled(i, "%s must be at gamma = %s, eps = 0", b.Check, g17(cl.Hi))
			}
			return settle(c, i, lnPhiInvKm1(k, cl.Hi), negative)
		case CheckWitnessOC:
			g, eps := b.Lo[1], b.Lo[2]
			if !point || !(g > 0 && g < cl.Lo) || !(eps > 0 && eps < 1) {
				return unsettled(i, "a witness needs a point with 0 < gamma < %s and 0 < eps < 1", g17(cl.Lo))
			}
			w, ok := witnesses[[3]float64{b.Lo[0], g, eps}]
			if !ok {
				return unsettled(i, "the witness at K = %d, gamma = %s, eps = %s is not claimed", k, g17(g), g17(eps))
			}
			m := witnessMargin(k, g, eps)
			if err := settle(c, i, m, positive); err != nil {
				return err
			}
			if !(w.Lo <= m.Lo() && m.Hi() <= w.Hi) {
				return unsettled(i, "the witness claim [%s, %s] does not hold the recomputed margin [%s, %s]", g17(w.Lo), g17(w.Hi), g17(m.Lo()), g17(m.Hi()))
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
		if seen[CheckLnPhiInvKm1Pos] != 1 || seen[CheckLnPhiInvKm1Neg] != 1 {
			return unsettled(-1, "K = %s: needs exactly one %q box and one %q box", g17(k), CheckLnPhiInvKm1Pos, CheckLnPhiInvKm1Neg)
		}
	}
	for key := range witnesses {
		if _, ok := claims[key[0]]; !ok {
			return unsettled(-1, "the witness at K = %s has no gamma_max claim", g17(key[0]))
		}
		n := 0
		for _, b := range c.Boxes {
			if b.Check == CheckWitnessOC && b.Lo[0] == key[0] && b.Lo[1] == key[1] && b.Lo[2] == key[2] {
				n++
			}
		}
		if n != 1 {
			return unsettled(-1, "the witness at K = %s, gamma = %s, eps = %s needs exactly one box, has %d", g17(key[0]), g17(key[1]), g17(key[2]), n)
		}
	}
	return nil
}

// GammaMaxWitnessFractions are the γ/lo of the witnesses ProduceGammaMax
// certifies below each γ_max(K).
var GammaMaxWitnessFractions = []float64{0.01, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999}

// gammaMaxProduceHalf: half the relative width the producer aims at.
const gammaMaxProduceHalf = 2.5e-13

// ProduceGammaMax builds a "gamma-max" certificate for the given K (in
// [3, MaxGammaMaxK]; K = 3 has γ_max = 0 and is refused).
func ProduceGammaMax(ctx context.Context, ks []int, command string) (*Certificate, error) {
	c := &Certificate{Format: Format, Version: Version, Statement: "gamma-max", Text: GammaMaxText, Command: command,
		Variables: statements["gamma-max"].variables}
	seen := map[int]bool{}
	for _, k := range ks {
		if k < 4 || k > MaxGammaMaxK || seen[k] {
			return nil, fmt.Errorf("certify: K = %d repeated or outside [4, %d] (K = 3 has no gamma > 0 with tau_uc >= 1/2)", k, MaxGammaMaxK)
		}
		seen[k] = true
		k64 := int64(k)
		g := rootBetween(func(g float64) Interval { return lnPhiInvKm1(k64, g) }, 1e-9, 1e6)
		lo, hi := g*(1-gammaMaxProduceHalf), g*(1+gammaMaxProduceHalf)
		pos, neg := lnPhiInvKm1(k64, lo), lnPhiInvKm1(k64, hi)
		if !pos.Positive() || !neg.Negative() {
			return nil, fmt.Errorf("certify: K = %d: no certified sign change of ln phi(1/(K-1)) across [%s, %s]", k, g17(lo), g17(hi))
		}
		kf := float64(k)
		c.Claims = append(c.Claims, Claim{gammaMaxClaim, []float64{kf}, lo, hi})
		c.Boxes = append(c.Boxes,
			Box{Check: CheckLnPhiInvKm1Pos, Lo: []float64{kf, lo, 0}, Hi: []float64{kf, lo, 0}, Enclosure: []float64{pos.Lo(), pos.Hi()}},
			Box{Check: CheckLnPhiInvKm1Neg, Lo: []float64{kf, hi, 0}, Hi: []float64{kf, hi, 0}, Enclosure: []float64{neg.Lo(), neg.Hi()}})
		for _, fr := range GammaMaxWitnessFractions {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			gw := lo * fr
			found := false
			for e := 1; e <= 300 && !found; e++ {
				eps := math.Pow(10, -float64(e))
				m := witnessMargin(k64, gw, eps)
				if m.Positive() {
					c.Claims = append(c.Claims, Claim{witnessClaim, []float64{kf, gw, eps}, m.Lo(), m.Hi()})
					c.Boxes = append(c.Boxes, Box{Check: CheckWitnessOC, Lo: []float64{kf, gw, eps}, Hi: []float64{kf, gw, eps}, Enclosure: []float64{m.Lo(), m.Hi()}})
					found = true
				}
			}
			if !found {
				return nil, fmt.Errorf("certify: K = %d, gamma = %s: no eps = 10^-e (e <= 300) gives a certified witness", k, g17(gw))
			}
		}
	}
	return c, nil
}
