package certify

import (
	"context"
	"fmt"
)

// This file is the statement "mukhoti": the inequality
//
//	M(p) = H₂(p) − ln p · ln(1 − p) > 0 on (0, 1/2],   H₂(p) = −p ln p − (1−p) ln(1−p),
//
// from which docs/proofs.md (Lemma MK) derives Mukhoti et al.'s bound
// L_FL ≥ KL(q‖p) − γ H(p) for every γ ≥ 0 (their proof needs γ ≥ 1). M
// is symmetric (M(p) = M(1 − p)), so (0, 1/2] covers (0, 1).
//
// The checker requires boxes that tile p ∈ [0, 1/2] with the check "M>0":
// the box at 0 by the lemma "near-zero-M", the others by an enclosure of M.
//
// Lemma near-zero-M: for 0 < p ≤ p0 ≤ 1/e,
//
//	M(p) ≥ p·[(1 − p) − p ln(1/p)/(2(1 − p))],
//
// because −ln(1 − p) = Σ p^n/n ≤ p + p²/(2(1 − p)) and so, with
// a = −ln p, b = −ln(1 − p), M = a(p − b) + (1 − p) b ≥ −a p²/(2(1−p)) + (1−p) p.
// The bracket is positive when 2(1 − p)² > p ln(1/p); on (0, p0] with
// p0 ≤ 1/e, p ln(1/p) ≤ p0 ln(1/p0) and (1 − p)² ≥ (1 − p0)², so the box
// is settled when 2(1 − p0)² − p0 ln(1/p0) > 0, which the checker encloses.

// Check and lemma of the statement "mukhoti".
const (
	CheckMPos      = "M>0"
	LemmaNearZeroM = "near-zero-M"
)

// MukhotiText is the statement of a "mukhoti" certificate.
const MukhotiText = "M(p) = H2(p) - ln(p) ln(1-p) > 0 for every p in (0, 1/2] (and so on (0, 1) by symmetry); by docs/proofs.md, Lemma MK, the focal loss satisfies Mukhoti et al.'s bound L_FL >= KL(q||p) - gamma H(p) for every gamma >= 0, every K and every target distribution q."

// mEnclosure encloses M on p ⊂ (0, 1/2].
func mEnclosure(p Interval) Interval {
	l1 := Log1p(Neg(p))
	return Sub(Sub(Neg(XLogX(p)), Mul(Sub(Int(1), p), l1)), Mul(Log(p), l1))
}

// nearZeroMBound encloses the lemma's hypothesis 2(1 − p0)² − p0 ln(1/p0);
// invalid unless 0 < p0 ≤ 1/e.
func nearZeroMBound(p0 float64) Interval {
	P := Point(p0)
	if !(p0 > 0) || P.hi.Cmp(invE().lo) > 0 {
		return Interval{}
	}
	om := Sub(Int(1), P)
	return Add(Scale(Mul(om, om), 1), XLogX(P))
}

func checkMukhoti(ctx context.Context, c *Certificate) error {
	if len(c.Claims) != 0 {
		return fmt.Errorf("certify: %w: a mukhoti certificate has no claims", ErrFormat)
	}
	err := settleAll(ctx, len(c.Boxes), func(i int) error {
		b := c.Boxes[i]
		if b.Check != CheckMPos {
			return unsettled(i, "unknown check %q", b.Check)
		}
		if b.Lo[0] == 0 {
			if b.Lemma != LemmaNearZeroM {
				return unsettled(i, "a box at p = 0 needs the lemma %q", LemmaNearZeroM)
			}
			return settle(c, i, nearZeroMBound(b.Hi[0]), positive)
		}
		if b.Lemma != "" {
			return unsettled(i, "the lemma %q applies only to a box starting at p = 0", b.Lemma)
		}
		if b.Hi[0] > 0.5 {
			return unsettled(i, "p must stay in (0, 1/2]")
		}
		return settle(c, i, mEnclosure(Between(b.Lo[0], b.Hi[0])), positive)
	})
	if err != nil {
		return err
	}
	idx := make([]int, len(c.Boxes))
	for i := range idx {
		idx[i] = i
	}
	if len(idx) == 0 {
		return unsettled(-1, "no box")
	}
	return tiling(c, idx, 0, 0, 0.5, "check M>0 on p ∈ [0, 1/2]")
}

// ProduceMukhoti builds the "mukhoti" certificate: the lemma on [0, 1/4]
// (1/4 < 1/e) and enclosures on [1/4, 1/2].
func ProduceMukhoti(ctx context.Context, command string) (*Certificate, error) {
	c := &Certificate{Format: Format, Version: Version, Statement: "mukhoti", Text: MukhotiText, Command: command,
		Variables: statements["mukhoti"].variables, Claims: []Claim{}}
	e := nearZeroMBound(0.25)
	if !e.Positive() {
		return nil, fmt.Errorf("certify: the near-zero-M lemma does not settle [0, 1/4]")
	}
	c.Boxes = append(c.Boxes, Box{Check: CheckMPos, Lo: []float64{0}, Hi: []float64{0.25}, Lemma: LemmaNearZeroM, Enclosure: []float64{e.Lo(), e.Hi()}})
	boxes, err := cover(ctx, 0.25, 0.5, func(lo, hi float64) (Box, bool) {
		m := mEnclosure(Between(lo, hi))
		b := Box{Check: CheckMPos, Lo: []float64{lo}, Hi: []float64{hi}, Enclosure: []float64{m.Lo(), m.Hi()}}
		return b, m.Positive()
	})
	if err != nil {
		return nil, err
	}
	c.Boxes = append(c.Boxes, boxes...)
	return c, nil
}
