package certify

import (
	"context"
	"fmt"
	"math"
	"math/big"
)

// This file is the statement "no-oc": for each claimed K, no focal risk
// minimizer in K classes is ηOC at any γ > 0 with γ ≥ γ_max(K) (γ_max(3)
// = 0: for K = 3, at no γ > 0). docs/proofs.md, Lemma C and "The
// boundary", gives the argument; in short:
//
// Lemma C. Let q have top value t. Every other coordinate lies in
// [1 − (K−1)t, t] (each is ≤ t and they sum to 1 − t). φ is unimodal
// (Lemma S), so on that interval φ ≥ min(φ(1 − (K−1)t), φ(t)). Hence if
// φ(1 − (K−1)t) ≥ φ(t), every ψ(q_l) ≤ ψ(t), G(q) ≤ 0 and q is not ηOC.
// (The converse holds too: if φ(1 − (K−1)t) < φ(t), the two-level vector
// (t ×(K−1), 1 − (K−1)t) is ηOC. So the boundary reduces to it.)
//
// For γ ≥ γ_max(K), t ≥ τ_uc^γ settles itself (Thm 8 (3)) and
// τ_uc^γ ≤ 1/(K−1), so it suffices to show φ(1 − (K−1)t) ≥ φ(t) for
// t ∈ [1/K, 1/(K−1)], γ in the claimed window [g0, g1] with
// g0 ≤ γ_max(K) (a box "ln phi(1/(K-1))>0" at g0, K ≥ 4; g0 = 0 for
// K = 3) and g1 > γ_max(K+1) (a box "ln phi(1/K)<0" at g1: for γ ≥ g1,
// τ_uc^γ < 1/K ≤ t for every q, Lemma M and Thm 8 (3)).
//
// The window [g0, g1] × [t0, tK] (t0 the float64 below 1/K, tK the one
// above 1/(K−1)) is covered by the boxes of the bisection tree of
// nocSplit; the checker rebuilds it (a box is accepted only where the
// rule puts it, every box must be used). Each box (K, γ, t) is settled by
//
//   - "M>0": an enclosure of M = ℓ(1 − (K−1)t) − ℓ(t) > 0, where
//     ℓ = ln φ^γ/γ = ln(1 − v) + ln(1 + γ b(v))/γ, b = −v ln v/(1 − v)
//     (Ell): then ln φ(1 − (K−1)t) > ln φ(t);
//   - "ln phi(t)<0": ln φ^γ(t_lo) < 0, so every t of the box is above
//     τ_uc^γ (Thm 8 (3));
//   - the lemma "decreasing" (boxes with t from t0): D^γ(1 − (K−1)t_hi)
//     < 0, so τ_oc^γ < 1 − (K−1)t for every t of the box (Lemma S), φ
//     decreases on [1 − (K−1)t, t] and φ(1 − (K−1)t) ≥ φ(t);
//   - the lemma "corner" (boxes with t up to tK): with β = 1 − (K−1)t ∈
//     (0, β0], β0 = 1 − (K−1)t_lo ≤ 1/4, and ℓ(1/(K−1)) ≤ 0 for
//     γ ≥ γ_max(K), M ≥ ℓ(β) − (ℓ(t) − ℓ(1/(K−1))) ≥ β·(ℓ(β)/β −
//     S/(K−1)), S = sup of −ℓ′ over the box; ℓ(β)/β ≥ ln(1−β0)/β0 +
//     (−ln β0)·L(γ_hi b(β0)), L(x) = ln(1+x)/x, so the recorded
//     enclosure is that of ln(1−β0)/β0 + (−ln β0)·L(γ_hi b(β0)) −
//     S/(K−1), which must be positive (NocCorner).

// Checks and lemmas of the statement "no-oc".
const (
	CheckNocM      = "M>0"
	CheckNocTuc    = "ln phi(t)<0"
	CheckNocD      = "D(1-(K-1)t)<0"
	CheckNocLo     = "ln phi(1/(K-1))>0"
	CheckNocHi     = "ln phi(1/K)<0"
	LemmaNocDecr   = "decreasing"
	LemmaNocCorner = "corner"
	nocClaim       = "no-oc"
)

// nocMaxNodes bounds the boxes the producer tries per K (the committed
// certificates need a few hundred).
const nocMaxNodes = 200_000

// MaxNocK is the largest K of a "no-oc" certificate.
const MaxNocK = 1000

// nocCornerBeta0 is the largest β0 the corner lemma takes (b(β) =
// −β ln β/(1 − β) increases on [0, 1/e]).
const nocCornerBeta0 = 0.25

// NocText is the statement of a "no-oc" certificate.
const NocText = "For each claimed K (at = [K], window [lo, hi]): no focal risk minimizer in K classes is etaOC at any gamma > 0 with gamma >= gamma_max(K) (gamma_max(3) = 0). Lemma C (docs/proofs.md): it suffices that phi(1 - (K-1)t) >= phi(t) for t in [1/K, 1/(K-1)] and gamma in the window, the window's ends certified below gamma_max(K) and above gamma_max(K+1)."

// Ell encloses ℓ(v) = ln φ^γ(v)/γ = ln(1 − v) + ln(1 + γ b)/γ, b =
// −v ln v/(1 − v) ≥ 0, for v ⊂ [0, 1), γ ⊂ [0, ∞) (at γ = 0 its limit
// ln(1 − v) + b). ln(1 + γb)/γ = b·L(γb) increases in b and decreases in
// γ (L(x) = ln(1 + x)/x = ∫₀¹ ds/(1 + sx) decreases), so it is enclosed
// by its values at (b_lo, γ_hi) and (b_hi, γ_lo).
func Ell(v, g Interval) Interval {
	if !inUnit(v) || !g.Valid() || g.lo.Sign() < 0 {
		return Interval{}
	}
	b := Div(Neg(XLogX(v)), Sub(Int(1), v))
	if !b.Valid() {
		return Interval{}
	}
	at := func(b, g *big.Float) Interval {
		B := pointBig(b)
		if B.lo.Sign() < 0 {
			B = Int(0) // b ≥ 0: its enclosure's negative part is spurious
		}
		return Mul(B, Log1pOver(Mul(pointBig(g), B)))
	}
	bl := Interval{at(b.lo, g.hi).lo, at(b.hi, g.lo).hi}
	return Add(Log1p(Neg(v)), bl)
}

// Log1pOver encloses L(x) = ln(1 + x)/x on x ⊂ [0, ∞), with L(0) = 1;
// L decreases, so the enclosure is taken at the endpoints.
func Log1pOver(x Interval) Interval {
	if !x.Valid() || x.lo.Sign() < 0 {
		return Interval{}
	}
	at := func(y *big.Float) Interval {
		if y.Sign() == 0 {
			return Int(1)
		}
		p := pointBig(y)
		return Div(Log1p(p), p)
	}
	return Interval{at(x.hi).lo, at(x.lo).hi}
}

// EllPrime encloses ℓ′(v) = φ′/(γφ) = D(v)/((1 − v)·((1 − v) − γ v ln v))
// for v ⊂ (0, 1).
func EllPrime(v, g Interval) Interval {
	if !inUnit(v) {
		return Interval{}
	}
	return Div(DPhiCore(v, g), Mul(Sub(Int(1), v), inner(v, g)))
}

// nocBeta encloses β = 1 − (K−1)t.
func nocBeta(k int64, t Interval) Interval { return Sub(Int(1), Mul(Int(k-1), t)) }

// NocM encloses M = ℓ(1 − (K−1)t) − ℓ(t) over the box.
func NocM(k int64, t, g Interval) Interval { return Sub(Ell(nocBeta(k, t), g), Ell(t, g)) }

// NocCorner encloses the corner lemma's bound for t ∈ [tlo, thi]: invalid
// unless β0 = 1 − (K−1)tlo lies in (0, nocCornerBeta0].
func NocCorner(k int64, tlo, thi float64, g Interval) Interval {
	b0 := nocBeta(k, Point(tlo))
	if !b0.Positive() || b0.hi.Cmp(big.NewFloat(nocCornerBeta0)) > 0 {
		return Interval{}
	}
	B := pointBig(b0.hi)
	bb := Div(Neg(XLogX(B)), Sub(Int(1), B))
	lower := Add(Log1mOver(B), Mul(Neg(Log(B)), Log1pOver(Mul(pointBig(g.hi), bb))))
	S := Neg(EllPrime(Between(tlo, thi), g))
	return Sub(lower, Div(S, Int(k-1)))
}

// nocD encloses D^γ(1 − (K−1)t_hi).
func nocD(k int64, thi float64, g Interval) Interval {
	v := nocBeta(k, Point(thi))
	if !v.Positive() {
		return Interval{}
	}
	return DPhiCore(v, g)
}

// nocT0 and nocTK are the float64 just below 1/K and just above 1/(K−1).
func nocT0(k int64) float64 { return math.Nextafter(1/float64(k), 0) }
func nocTK(k int64) float64 { return math.Nextafter(1/float64(k-1), 1) }

type nocBox [2][2]float64 // γ, t

// nocSplit is the bisection rule: the side with the largest width relative
// to the window's (γ on a tie), at its float64 midpoint.
func nocSplit(root, b nocBox) (axis int, mid float64) {
	best := -1.0
	for j := range 2 {
		r := (b[j][1] - b[j][0]) / (root[j][1] - root[j][0])
		if r > best {
			best, axis = r, j
		}
	}
	return axis, b[axis][0] + (b[axis][1]-b[axis][0])/2
}

// nocBoxFunc returns the enclosure a tree box must have (of the required
// sign: positive for M>0 and the corner lemma, negative otherwise).
func nocBoxFunc(b Box) (Interval, sign, error) {
	k := int64(b.Lo[0])
	g := Between(b.Lo[1], b.Hi[1])
	tlo, thi := b.Lo[2], b.Hi[2]
	switch {
	case b.Check == CheckNocM && b.Lemma == "":
		return NocM(k, Between(tlo, thi), g), positive, nil
	case b.Check == CheckNocM && b.Lemma == LemmaNocCorner:
		if thi != nocTK(k) {
			return Interval{}, 0, fmt.Errorf("the lemma %q applies only to boxes with t up to %s", LemmaNocCorner, g17(nocTK(k)))
		}
		return NocCorner(k, tlo, thi, g), positive, nil
	case b.Check == CheckNocD && b.Lemma == LemmaNocDecr:
		if tlo != nocT0(k) {
			return Interval{}, 0, fmt.Errorf("the lemma %q applies only to boxes with t from %s", LemmaNocDecr, g17(nocT0(k)))
		}
		return nocD(k, thi, g), negative, nil
	case b.Check == CheckNocTuc && b.Lemma == "":
		return LogPhi(Point(tlo), g), negative, nil
	}
	return Interval{}, 0, fmt.Errorf("check %q with lemma %q does not apply to a box of the window", b.Check, b.Lemma)
}

type nocWindow struct {
	k      int64
	g0, g1 float64
}

func (w nocWindow) root() nocBox {
	return nocBox{{w.g0, w.g1}, {nocT0(w.k), nocTK(w.k)}}
}

func toNocBox(b Box) nocBox { return nocBox{{b.Lo[1], b.Hi[1]}, {b.Lo[2], b.Hi[2]}} }

func checkNoOC(ctx context.Context, c *Certificate) error {
	wins := map[float64]nocWindow{}
	var order []float64
	for i, cl := range c.Claims {
		if cl.Name != nocClaim || len(cl.At) != 1 || cl.At[0] != math.Trunc(cl.At[0]) || cl.At[0] < 3 || cl.At[0] > MaxNocK {
			return fmt.Errorf("certify: %w: claim %d needs name %q and at = [K], K an integer in [3, %d]", ErrFormat, i, nocClaim, MaxNocK)
		}
		if _, dup := wins[cl.At[0]]; dup {
			return fmt.Errorf("certify: %w: claim %d repeats K = %s", ErrFormat, i, g17(cl.At[0]))
		}
		k := int64(cl.At[0])
		if !(cl.Lo >= 0 && cl.Lo < cl.Hi) || (k == 3 && cl.Lo != 0) || (k > 3 && cl.Lo == 0) {
			return unsettled(-1, "K = %d: the window [%s, %s] needs 0 <= lo < hi, lo = 0 exactly for K = 3 and lo > 0 otherwise", k, g17(cl.Lo), g17(cl.Hi))
		}
		wins[cl.At[0]] = nocWindow{k, cl.Lo, cl.Hi}
		order = append(order, cl.At[0])
	}
	if len(order) == 0 {
		return unsettled(-1, "no claim")
	}
	index := map[float64]map[nocBox]int{}
	for _, k := range order {
		index[k] = map[nocBox]int{}
	}
	ends := map[[2]float64]int{} // (K, 0 for lo / 1 for hi) → count
	err := settleAll(ctx, len(c.Boxes), func(i int) error {
		b := c.Boxes[i]
		w, ok := wins[b.Lo[0]]
		if b.Lo[0] != b.Hi[0] || !ok {
			return unsettled(i, "its K side is not one claimed K")
		}
		switch b.Check {
		case CheckNocLo, CheckNocHi:
			g, t := w.g0, 1/float64(w.k-1)
			if b.Check == CheckNocHi {
				g, t = w.g1, 1/float64(w.k)
			}
			if b.Lo[1] != g || b.Hi[1] != g || b.Lo[2] != t || b.Hi[2] != t || b.Lemma != "" {
				return unsettled(i, "%s must be the point gamma = %s, t = %s", b.Check, g17(g), g17(t))
			}
			if b.Check == CheckNocHi {
				return settle(c, i, LogPhi(Div(Int(1), Int(w.k)), Point(g)), negative)
			}
			if w.k == 3 {
				return unsettled(i, "K = 3 has no %q box (its window starts at 0)", b.Check)
			}
			return settle(c, i, LogPhi(Div(Int(1), Int(w.k-1)), Point(g)), positive)
		}
		e, s, err := nocBoxFunc(b)
		if err != nil {
			return unsettled(i, "%v", err)
		}
		return settle(c, i, e, s)
	})
	if err != nil {
		return err
	}
	used := make([]bool, len(c.Boxes))
	for i, b := range c.Boxes {
		switch b.Check {
		case CheckNocLo:
			ends[[2]float64{b.Lo[0], 0}]++
			used[i] = true
		case CheckNocHi:
			ends[[2]float64{b.Lo[0], 1}]++
			used[i] = true
		default:
			m := index[b.Lo[0]]
			k := toNocBox(b)
			if _, dup := m[k]; dup {
				return unsettled(i, "repeats another box")
			}
			m[k] = i
		}
	}
	for _, kf := range order {
		w := wins[kf]
		wantLo := 1
		if w.k == 3 {
			wantLo = 0
		}
		if ends[[2]float64{kf, 0}] != wantLo || ends[[2]float64{kf, 1}] != 1 {
			return unsettled(-1, "K = %d: needs %d %q box and one %q box", w.k, wantLo, CheckNocLo, CheckNocHi)
		}
		root := w.root()
		m := index[kf]
		var walk func(b nocBox, depth int) error
		walk = func(b nocBox, depth int) error {
			if i, ok := m[b]; ok {
				used[i] = true
				return nil
			}
			axis, mid := nocSplit(root, b)
			if depth >= 2*maxCoverDepth || mid <= b[axis][0] || mid >= b[axis][1] {
				return unsettled(-1, "K = %d: no box covers gamma ∈ [%s, %s], t ∈ [%s, %s]", w.k,
					g17(b[0][0]), g17(b[0][1]), g17(b[1][0]), g17(b[1][1]))
			}
			l, r := b, b
			l[axis][1], r[axis][0] = mid, mid
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
			return unsettled(i, "is not a box of the bisection of its window")
		}
	}
	return nil
}

// nocWindowEnds returns the window [g0, g1] of K: g0 = 0 for K = 3, else
// just below γ_max(K); g1 just above γ_max(K+1); both certified.
func nocWindowEnds(k int64) (g0, g1 float64, e0, e1 Interval, err error) {
	lnK := func(n int64) func(float64) Interval {
		return func(g float64) Interval { return LogPhi(Div(Int(1), Int(n)), Point(g)) }
	}
	if k > 3 {
		g0 = rootBetween(lnK(k-1), 1e-9, 1e6) * (1 - 1e-9)
		if e0 = lnK(k - 1)(g0); !e0.Positive() {
			return 0, 0, e0, e1, fmt.Errorf("certify: K = %d: ln phi(1/(K-1)) at gamma = %s not certified positive", k, g17(g0))
		}
	}
	g1 = rootBetween(lnK(k), 1e-9, 1e6) * (1 + 1e-9)
	if e1 = lnK(k)(g1); !e1.Negative() {
		return 0, 0, e0, e1, fmt.Errorf("certify: K = %d: ln phi(1/K) at gamma = %s not certified negative", k, g17(g1))
	}
	return g0, g1, e0, e1, nil
}

// ProduceNoOC builds a "no-oc" certificate for the given K (in
// [3, MaxNocK]).
func ProduceNoOC(ctx context.Context, ks []int, command string) (*Certificate, error) {
	c := &Certificate{Format: Format, Version: Version, Statement: "no-oc", Text: NocText, Command: command,
		Variables: statements["no-oc"].variables}
	seen := map[int]bool{}
	for _, ki := range ks {
		if ki < 3 || ki > MaxNocK || seen[ki] {
			return nil, fmt.Errorf("certify: K = %d repeated or outside [3, %d]", ki, MaxNocK)
		}
		seen[ki] = true
		k := int64(ki)
		kf := float64(k)
		g0, g1, e0, e1, err := nocWindowEnds(k)
		if err != nil {
			return nil, err
		}
		c.Claims = append(c.Claims, Claim{nocClaim, []float64{kf}, g0, g1})
		if k > 3 {
			t := 1 / float64(k-1)
			c.Boxes = append(c.Boxes, Box{Check: CheckNocLo, Lo: []float64{kf, g0, t}, Hi: []float64{kf, g0, t}, Enclosure: []float64{e0.Lo(), e0.Hi()}})
		}
		t := 1 / float64(k)
		c.Boxes = append(c.Boxes, Box{Check: CheckNocHi, Lo: []float64{kf, g1, t}, Hi: []float64{kf, g1, t}, Enclosure: []float64{e1.Lo(), e1.Hi()}})
		w := nocWindow{k, g0, g1}
		root := w.root()
		nodes := 0
		var rec func(b nocBox, depth int) error
		rec = func(b nocBox, depth int) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if nodes++; nodes > nocMaxNodes {
				return fmt.Errorf("certify: no-oc: K = %d: more than %d boxes tried", k, nocMaxNodes)
			}
			lo := []float64{kf, b[0][0], b[1][0]}
			hi := []float64{kf, b[0][1], b[1][1]}
			var tries []Box
			tries = append(tries, Box{Check: CheckNocTuc})
			if b[1][0] == nocT0(k) {
				tries = append(tries, Box{Check: CheckNocD, Lemma: LemmaNocDecr})
			}
			if b[1][1] == nocTK(k) {
				tries = append(tries, Box{Check: CheckNocM, Lemma: LemmaNocCorner})
			}
			tries = append(tries, Box{Check: CheckNocM})
			for _, box := range tries {
				box.Lo, box.Hi = lo, hi
				e, s, err := nocBoxFunc(box)
				if err == nil && ((s == positive && e.Positive()) || (s == negative && e.Negative())) {
					box.Enclosure = []float64{e.Lo(), e.Hi()}
					c.Boxes = append(c.Boxes, box)
					return nil
				}
			}
			axis, mid := nocSplit(root, b)
			if depth >= 2*maxCoverDepth || mid <= b[axis][0] || mid >= b[axis][1] {
				return fmt.Errorf("certify: no-oc: K = %d: cannot settle gamma ∈ [%s, %s], t ∈ [%s, %s]",
					k, g17(b[0][0]), g17(b[0][1]), g17(b[1][0]), g17(b[1][1]))
			}
			l, r := b, b
			l[axis][1], r[axis][0] = mid, mid
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
