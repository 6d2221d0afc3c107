package certify

import (
	"context"
	"fmt"
	"math"
)

// This file is the statement "k3": for K = 3 and every γ ∈ [K3GammaLo,
// K3GammaTop], no focal risk minimizer is ηOC; with Lemma B2 (γ ≥ γ_max(4),
// and K3GammaTop > γ_max(4) is checked here) it holds for every
// γ ≥ K3GammaLo. docs/proofs.md, "K ≤ 3", gives the argument.
//
// A minimizer q = (t, a, b), sorted (t ≥ a ≥ b ≥ 0), is not ηOC iff
// G = a(ψ(a) − ψ(t)) + b(ψ(b) − ψ(t)) ≤ 0 (Lemma G; the form without the
// O(1) terms that cancel, so that its enclosure scales with γ). t ≥ 1/3;
// for t ≥ τ_uc^γ, Thm 8 (3) settles it, and τ_uc^γ < 1/2 (Corollary U).
// The sorted q with top t ∈ [1/3, 1/2] are a = ((1−t) + λ(3t−1))/2,
// b = ((1−t) − λ(3t−1))/2, λ ∈ [0, 1], so the variables are (γ, t, λ).
//
// Claims "slab" at [g0, g1] with lo = hi = T: the slabs tile
// [K3GammaLo, K3GammaTop] in γ, T ≤ 1/2, and a box "ln phi(T)<0" at
// (g0, T, 0) shows τ_uc^γ ≤ τ_uc^{g0} < T for γ ∈ [g0, g1] (Lemma M). Each
// slab's region R = [g0, g1] × [t0, T] × [0, 1], t0 the float64 just below
// 1/3, must be covered by boxes obtained from R by the bisection rule
// k3Split (the checker rebuilds the tree: a box is accepted only where the
// rule puts it, every box must be used). Boxes: "G<0" (an enclosure of G
// on the box) or, on boxes with t from t0, the lemma "near-uniform": with
// u = (1/3, 1/3, 1/3) and the mean value theorem along the segment from
// (1/3, 1/3) to (t, a), G(t, a) = ∂_tG(ξ)(t − 1/3) + ∂_aG(ξ)(a − 1/3), and
// |a − 1/3| ≤ t − 1/3 for sorted q, so G ≤ (t − 1/3)·sup(∂_tG + |∂_aG|) ≤ 0
// when the enclosure E of ∂_tG + |∂_aG| over the hull
// [t0, t1] × [(1 − t1)/2, t1] (b = 1 − t − a) is negative; E is the
// recorded enclosure. (∂_tG = −f′(b) + ψ(t) − (1−t)ψ′(t), ∂_aG = f′(a) − f′(b),
// with f = vψ, ψ′ = −φ′ψ², G written as f(a) + f(b) − (1−t)ψ(t).) One more
// box "ln phi(1/3)<0" at (K3GammaTop, 1/3⁺, 0) shows τ_uc^γ < 1/3 for every
// γ ≥ K3GammaTop, where Thm 8 (3) applies to every q.

// Checks and lemma of the statement "k3".
const (
	CheckK3G           = "G<0"
	CheckK3SlabT       = "ln phi(T)<0"
	CheckK3Top         = "ln phi(1/3)<0"
	LemmaK3NearUniform = "near-uniform"
	k3SlabClaim        = "slab"
)

// K3GammaTop is the top of the γ range that the "k3" boxes cover;
// ln φ^{K3GammaTop}(1/3) < 0 (so γ_max(4) < K3GammaTop).
const K3GammaTop = 1.43

// k3T0 is the float64 just below 1/3: the lower end of t in every slab.
var k3T0 = math.Nextafter(1.0/3, 0)

// K3Text is the statement of a "k3" certificate.
const K3Text = "For K = 3 and every gamma >= the lower end of the first slab, no focal risk minimizer is etaOC: for every sorted q = (t, a, b) in the simplex, G = a(psi(a) - psi(t)) + b(psi(b) - psi(t)) <= 0 (docs/proofs.md, Lemma G and K <= 3)."

func k3ab(t, lam Interval) (a, b Interval) {
	s := Sub(Int(1), t)
	d := Mul(lam, Sub(Mul(Int(3), t), Int(1)))
	return Scale(Add(s, d), -1), Scale(Sub(s, d), -1)
}

// k3G encloses G over the box γ × t × λ.
func k3G(g, t, lam Interval) Interval {
	a, b := k3ab(t, lam)
	pt := Psi(t, g)
	return Add(Mul(a, Sub(Psi(a, g), pt)), Mul(b, Sub(Psi(b, g), pt)))
}

// psiPrime encloses ψ′ = −φ′ψ².
func psiPrime(v, g Interval) Interval {
	p := Psi(v, g)
	return Neg(Mul(DPhi(v, g), Mul(p, p)))
}

// fPrime encloses f′ = ψ + vψ′.
func fPrime(v, g Interval) Interval { return Add(Psi(v, g), Mul(v, psiPrime(v, g))) }

// absI encloses |x|.
func absI(x Interval) Interval {
	if !x.Valid() {
		return Interval{}
	}
	if x.lo.Sign() >= 0 {
		return x
	}
	if x.hi.Sign() <= 0 {
		return Neg(x)
	}
	m := mag(x)
	return Interval{down(), up().Set(m)}
}

// k3NearUniform encloses ∂_tG + |∂_aG| over the hull of the lemma for
// t ∈ [k3T0, t1].
func k3NearUniform(g Interval, t1 float64) Interval {
	T := Between(k3T0, t1)
	A := Hull(Scale(Sub(Int(1), Point(t1)), -1), Point(t1))
	B := Sub(Sub(Int(1), T), A)
	dt := Add(Neg(fPrime(B, g)), Sub(Psi(T, g), Mul(Sub(Int(1), T), psiPrime(T, g))))
	da := Sub(fPrime(A, g), fPrime(B, g))
	return Add(dt, absI(da))
}

type k3Box [3][2]float64

// k3Split is the bisection rule of the "k3" boxes: the side with the
// largest width relative to the slab's region (the first such side on a
// tie), at its float64 midpoint.
func k3Split(root, b k3Box) (axis int, mid float64) {
	best := -1.0
	for j := range 3 {
		r := (b[j][1] - b[j][0]) / (root[j][1] - root[j][0])
		if r > best {
			best, axis = r, j
		}
	}
	return axis, b[axis][0] + (b[axis][1]-b[axis][0])/2
}

func halves(b k3Box, axis int, mid float64) (k3Box, k3Box) {
	l, r := b, b
	l[axis][1], r[axis][0] = mid, mid
	return l, r
}

func toK3Box(b Box) k3Box {
	return k3Box{{b.Lo[0], b.Hi[0]}, {b.Lo[1], b.Hi[1]}, {b.Lo[2], b.Hi[2]}}
}

// k3BoxFunc returns the enclosure box b must have and its sign.
func k3BoxFunc(b Box) (Interval, error) {
	g := Between(b.Lo[0], b.Hi[0])
	switch {
	case b.Check == CheckK3G && b.Lemma == LemmaK3NearUniform:
		if b.Lo[1] != k3T0 {
			return Interval{}, fmt.Errorf("the lemma %q applies only to boxes with t from %s", LemmaK3NearUniform, g17(k3T0))
		}
		return k3NearUniform(g, b.Hi[1]), nil
	case b.Check == CheckK3G && b.Lemma == "":
		if b.Lo[1] < 1.0/3 {
			return Interval{}, fmt.Errorf("a G<0 box reaching t < 1/3 (the uniform vector, G = 0) needs the lemma %q", LemmaK3NearUniform)
		}
		return k3G(g, Between(b.Lo[1], b.Hi[1]), Between(b.Lo[2], b.Hi[2])), nil
	}
	return Interval{}, fmt.Errorf("check %q with lemma %q does not apply", b.Check, b.Lemma)
}

func checkK3(ctx context.Context, c *Certificate) error {
	type slab struct{ g0, g1, T float64 }
	var slabs []slab
	for i, cl := range c.Claims {
		if cl.Name != k3SlabClaim || len(cl.At) != 2 {
			return fmt.Errorf("certify: %w: claim %d needs name %q and at = [g0, g1]", ErrFormat, i, k3SlabClaim)
		}
		if !(cl.At[0] > 0 && cl.At[0] < cl.At[1]) || cl.Lo != cl.Hi || !(cl.Lo > 1.0/3 && cl.Lo <= 0.5) {
			return unsettled(-1, "slab claim %d needs 0 < g0 < g1 and lo = hi = T in (1/3, 1/2]", i)
		}
		slabs = append(slabs, slab{cl.At[0], cl.At[1], cl.Lo})
	}
	if len(slabs) == 0 {
		return unsettled(-1, "no slab")
	}
	for i := 1; i < len(slabs); i++ {
		if slabs[i].g0 != slabs[i-1].g1 {
			return unsettled(-1, "slab %d starts at gamma = %s, the previous ends at %s", i, g17(slabs[i].g0), g17(slabs[i-1].g1))
		}
	}
	if last := slabs[len(slabs)-1]; last.g1 != K3GammaTop {
		return unsettled(-1, "the slabs end at gamma = %s, not %s", g17(last.g1), g17(K3GammaTop))
	}
	// Index the boxes: the slab-T and top boxes by their point, the
	// others by their side lists.
	index := map[k3Box]int{}
	used := make([]bool, len(c.Boxes))
	for i, b := range c.Boxes {
		if b.Check == CheckK3G {
			k := toK3Box(b)
			if _, dup := index[k]; dup {
				return unsettled(i, "repeats another box")
			}
			index[k] = i
		}
	}
	err := settleAll(ctx, len(c.Boxes), func(i int) error {
		b := c.Boxes[i]
		switch b.Check {
		case CheckK3SlabT:
			if b.Lo[0] != b.Hi[0] || b.Lo[1] != b.Hi[1] || b.Lo[2] != 0 || b.Hi[2] != 0 || b.Lemma != "" {
				return unsettled(i, "%s must be a point (g0, T, 0)", b.Check)
			}
			return settle(c, i, LogPhi(Point(b.Lo[1]), Point(b.Lo[0])), negative)
		case CheckK3Top:
			if b.Lo[0] != K3GammaTop || b.Hi[0] != K3GammaTop || b.Lo[1] != k3T0 || b.Hi[1] != 1.0/3 || b.Lo[2] != 0 || b.Hi[2] != 0 || b.Lemma != "" {
				return unsettled(i, "%s must be the box gamma = %s, t ∈ [%s, %s], lambda = 0", b.Check, g17(K3GammaTop), g17(k3T0), g17(1.0/3))
			}
			return settle(c, i, LogPhi(Between(k3T0, 1.0/3), Point(K3GammaTop)), negative)
		case CheckK3G:
			e, err := k3BoxFunc(b)
			if err != nil {
				return unsettled(i, "%v", err)
			}
			return settle(c, i, e, negative)
		}
		return unsettled(i, "unknown check %q", b.Check)
	})
	if err != nil {
		return err
	}
	top := 0
	for i, b := range c.Boxes {
		if b.Check == CheckK3Top {
			top++
			used[i] = true
		}
	}
	if top != 1 {
		return unsettled(-1, "needs exactly one %q box, has %d", CheckK3Top, top)
	}
	for si, s := range slabs {
		found := false
		for i, b := range c.Boxes {
			if b.Check == CheckK3SlabT && b.Lo[0] == s.g0 && b.Lo[1] == s.T {
				found, used[i] = true, true
			}
		}
		if !found {
			return unsettled(-1, "slab %d (gamma ∈ [%s, %s]) has no %q box at T = %s", si, g17(s.g0), g17(s.g1), CheckK3SlabT, g17(s.T))
		}
		root := k3Box{{s.g0, s.g1}, {k3T0, s.T}, {0, 1}}
		var walk func(b k3Box, depth int) error
		walk = func(b k3Box, depth int) error {
			if i, ok := index[b]; ok {
				used[i] = true
				return nil
			}
			axis, mid := k3Split(root, b)
			if depth >= maxCoverDepth*3 || mid <= b[axis][0] || mid >= b[axis][1] {
				return unsettled(-1, "slab %d: no box covers gamma ∈ [%s, %s], t ∈ [%s, %s], lambda ∈ [%s, %s]", si,
					g17(b[0][0]), g17(b[0][1]), g17(b[1][0]), g17(b[1][1]), g17(b[2][0]), g17(b[2][1]))
			}
			l, r := halves(b, axis, mid)
			if err := walk(l, depth+1); err != nil {
				return err
			}
			return walk(r, depth+1)
		}
		if err := walk(root, 0); err != nil {
			return err
		}
	}
	for i, u := range used {
		if !u {
			return unsettled(i, "is not a box of the bisection of any slab")
		}
	}
	return nil
}

// K3Slabs are the γ ends of the slabs ProduceK3 uses.
func k3Slabs(g0 float64, n int) []float64 {
	ends := make([]float64, n+1)
	for i := range ends {
		ends[i] = g0 * math.Pow(K3GammaTop/g0, float64(i)/float64(n))
	}
	ends[n] = K3GammaTop
	return ends
}

// ProduceK3 builds a "k3" certificate for γ ∈ [g0, K3GammaTop] with n slabs
// (geometric in γ).
func ProduceK3(ctx context.Context, g0 float64, n int, command string) (*Certificate, error) {
	if !(g0 > 0 && g0 < K3GammaTop) || n < 1 || n > 10000 {
		return nil, fmt.Errorf("certify: k3 needs 0 < gamma0 < %s and 1 <= slabs <= 10000", g17(K3GammaTop))
	}
	c := &Certificate{Format: Format, Version: Version, Statement: "k3", Text: K3Text, Command: command,
		Variables: statements["k3"].variables}
	top := LogPhi(Between(k3T0, 1.0/3), Point(K3GammaTop))
	if !top.Negative() {
		return nil, fmt.Errorf("certify: ln phi(1/3) at gamma = %s is not certified negative", g17(K3GammaTop))
	}
	c.Boxes = append(c.Boxes, Box{Check: CheckK3Top, Lo: []float64{K3GammaTop, k3T0, 0}, Hi: []float64{K3GammaTop, 1.0 / 3, 0}, Enclosure: []float64{top.Lo(), top.Hi()}})
	ends := k3Slabs(g0, n)
	for si := range n {
		s0, s1 := ends[si], ends[si+1]
		G := Point(s0)
		tuc := rootBetween(func(v float64) Interval { return LogPhi(Point(v), G) }, 1.0/3, 0.5)
		T := math.Min(0.5, tuc*(1+1e-9))
		e := LogPhi(Point(T), G)
		if !e.Negative() {
			return nil, fmt.Errorf("certify: slab %d: ln phi(T) at gamma = %s not certified negative", si, g17(s0))
		}
		c.Claims = append(c.Claims, Claim{k3SlabClaim, []float64{s0, s1}, T, T})
		c.Boxes = append(c.Boxes, Box{Check: CheckK3SlabT, Lo: []float64{s0, T, 0}, Hi: []float64{s0, T, 0}, Enclosure: []float64{e.Lo(), e.Hi()}})
		root := k3Box{{s0, s1}, {k3T0, T}, {0, 1}}
		var rec func(b k3Box, depth int) error
		rec = func(b k3Box, depth int) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			box := Box{Check: CheckK3G, Lo: []float64{b[0][0], b[1][0], b[2][0]}, Hi: []float64{b[0][1], b[1][1], b[2][1]}}
			if b[1][0] == k3T0 {
				box.Lemma = LemmaK3NearUniform
			}
			if e, err := k3BoxFunc(box); err == nil && e.Negative() {
				box.Enclosure = []float64{e.Lo(), e.Hi()}
				c.Boxes = append(c.Boxes, box)
				return nil
			}
			axis, mid := k3Split(root, b)
			if depth >= maxCoverDepth*3 || mid <= b[axis][0] || mid >= b[axis][1] {
				return fmt.Errorf("certify: k3: cannot settle gamma ∈ [%s, %s], t ∈ [%s, %s], lambda ∈ [%s, %s]",
					g17(b[0][0]), g17(b[0][1]), g17(b[1][0]), g17(b[1][1]), g17(b[2][0]), g17(b[2][1]))
			}
			l, r := halves(b, axis, mid)
			if err := rec(l, depth+1); err != nil {
				return err
			}
			return rec(r, depth+1)
		}
		if err := rec(root, 0); err != nil {
			return nil, err
		}
	}
	return c, nil
}
