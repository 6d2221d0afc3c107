package hiprec

import (
	"fmt"
	"math"
	"math/big"

	"github.com/cockroachdb/apd/v3"
)

// The over-confidence quantities of package verify's boundary search, in
// high precision, so that the search's answers are confirmed by arithmetic
// that shares no code with the float64 search (and verify does no decimal
// arithmetic of its own).
//
// With t = max q and h = v/φ, q is the minimizer at η = Ψ^γ(q) (Thm 11),
// and max Ψ^γ(q) = h(t)/Σ_l h(q_l); so for q on the simplex
//
//	t − max Ψ^γ(q) = t·G(q)/Σ_l h(q_l),   G(q) = Σ_l q_l (1/φ(q_l) − 1/φ(t)),
//
// and the minimizer q is ηOC (Def. 7) exactly when G(q) > 0.

// OCMargin returns max q* − max η̂ for the focal risk minimizer
// q* = Minimize(η, γ) and η̂ = η/Σ η (the posterior Minimize solves for),
// formed at the working precision and rounded to 60 digits, together with q*.
// It is positive exactly when the minimizer is ηOC (Def. 7) and negative when
// it is ηUC.
//
// Method: both vectors sum to 1 (q* exactly, by Minimize's representation),
// so the margin is formed from the entries off each argmax,
//
//	max q* − max η̂ = Σ_{i≠m(η)} η̂_i − Σ_{i≠m(q*)} q*_i,
//
// which never forms 1 − (something near 1): near a vertex (η = (1, 1e-318),
// where max q* = 1 − 2e-159) the direct difference of the two maxima would
// round to 0 at any fixed precision, while the complements keep every digit.
//
// Accuracy: every entry of q* carries Digits significant digits
// (Minimize), so the error of the margin is below 10^-Digits·Σ_{i≠m} q*_i
// ≤ 10^-Digits; a margin smaller in magnitude than that says nothing about
// its sign.
//
// Special cases are those of Minimize (errors wrapping ErrDomain for a bad
// η or γ); in particular OCMargin(η, 0) = 0 for every valid η (q* = η̂).
func OCMargin(eta []float64, gamma float64) (*apd.Decimal, []*apd.Decimal, error) {
	q, err := Minimize(eta, gamma)
	if err != nil {
		return nil, nil, err
	}
	m, err := try(func() (*apd.Decimal, error) {
		k := defaultCalc
		me, mq := 0, 0
		for i := range eta {
			if eta[i] > eta[me] {
				me = i
			}
			if q[i].Cmp(q[mq]) > 0 {
				mq = i
			}
		}
		sum, offEta, offQ := k.nf(), k.nf(), k.nf()
		for i, x := range eta {
			sum = k.add(sum, k.num(x))
			if i != me {
				offEta = k.add(offEta, k.num(x))
			}
			if i != mq {
				offQ = k.add(offQ, k.big(q[i]))
			}
		}
		return k.dec(k.sub(k.quo(offEta, sum), offQ)), nil
	})
	if err != nil {
		return nil, nil, err
	}
	return m, q, nil
}

// OCGap returns G(q) = Σ_l q_l (1/φ^γ(q_l) − 1/φ^γ(max q)) at decimal q_l,
// used exactly, to 60 significant digits. For q on the simplex it has the
// sign of max q − max Ψ^γ(q), so G(q) > 0 says that q is an ηOC minimizer
// (the one at η = Ψ^γ(q)). The terms at max q and at 0 are 0. The terms are
// differences of numbers near 1 where q is near uniform; they are formed at
// the working precision (70 digits), so the absolute error is about
// 10^-65·Σ_l q_l/φ(q_l).
//
// Special cases are:
//
//	OCGap(q, 0) = 0 (φ^0 ≡ 1)
//	OCGap(q, γ) = 0 if q has one positive entry or all are equal
//	OCGap(q, γ) = −Infinity for γ > 0 if some q_l = 1 and another is positive
//	OCGap(q, γ) = NaN if q is empty, some q_l is not a decimal in [0, 1],
//	  or γ is NaN, < 0 or +Inf
func OCGap(q []*apd.Decimal, gamma float64) *apd.Decimal {
	if len(q) == 0 || !validGamma(gamma) {
		return nanDec()
	}
	for _, x := range q {
		if !validV(x) {
			return nanDec()
		}
	}
	if gamma == 0 {
		return apd.New(0, 0)
	}
	return orNaN(nanDec, func() (*apd.Decimal, error) {
		k := defaultCalc
		t := q[0]
		for _, x := range q {
			if x.Cmp(t) > 0 {
				t = x
			}
		}
		if t.Cmp(decOne) == 0 {
			// 1/φ(1) = +∞: G = −∞ if another entry is positive.
			for _, x := range q {
				if x.Sign() > 0 && x.Cmp(decOne) != 0 {
					return infDec(true), nil
				}
			}
			return apd.New(0, 0), nil
		}
		vs := make([]*big.Float, len(q))
		keys := make([]string, len(q))
		for i, x := range q {
			vs[i], keys[i] = k.big(x), x.String()
		}
		return k.dec(k.ocGap(vs, keys, func(i int) point { return k.pointDec(q[i]) }, t.String(), k.num(gamma))), nil
	})
}

// NearUniformGap returns G(q) (see OCGap) at q_l = (1 + s·w_l)/K, K = len(w),
// with q formed at the working precision from s and w taken exactly (not
// rounded to decimal first), to 60 significant digits. It is the test of
// package verify's near-uniform boundary: with Σ w = 0 and small s,
// G(q) = s·(φ'(1/K)/φ(1/K)²)·Σ_l w_l (max w − w_l)/K² + O(s²), positive for
// some w exactly when φ'(1/K) > 0.
//
// Special cases are:
//
//	NearUniformGap(w, s, 0) = 0
//	NearUniformGap(w, s, γ) = NaN if w is empty, s or some w_l is not finite,
//	  some q_l is outside [0, 1), or γ is NaN, < 0 or +Inf
func NearUniformGap(w []float64, s, gamma float64) *apd.Decimal {
	if len(w) == 0 || !validGamma(gamma) || math.IsNaN(s) || math.IsInf(s, 0) {
		return nanDec()
	}
	for _, x := range w {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nanDec()
		}
	}
	if gamma == 0 {
		return apd.New(0, 0)
	}
	return orNaN(nanDec, func() (*apd.Decimal, error) {
		k := defaultCalc
		kd := k.int(int64(len(w)))
		sb := k.num(s)
		vs := make([]*big.Float, len(w))
		keys := make([]string, len(w))
		ti := 0
		for i, x := range w {
			vs[i] = k.quo(k.add(k.one(), k.mul(sb, k.num(x))), kd)
			if vs[i].Sign() < 0 || vs[i].Cmp(k.one()) >= 0 {
				return nil, fmt.Errorf("hiprec: NearUniformGap: q[%d] = %s outside [0, 1)", i, vs[i].Text('g', 10))
			}
			keys[i] = fmt.Sprint(x)
			if vs[i].Cmp(vs[ti]) > 0 {
				ti = i
			}
		}
		pt := func(i int) point { return k.pointVC(vs[i], k.sub(k.one(), vs[i])) }
		return k.dec(k.ocGap(vs, keys, pt, keys[ti], k.num(gamma))), nil
	})
}

// ocGap is G at the values vs (working precision): keys[i] names equal
// values (1/φ is evaluated once per distinct value), pt(i) builds the point
// of value i, and top is the key of the largest value.
func (k *calc) ocGap(vs []*big.Float, keys []string, pt func(i int) point, top string, g *big.Float) *big.Float {
	inv := map[string]*big.Float{}
	invPhi := func(i int) *big.Float {
		if r, ok := inv[keys[i]]; ok {
			return r
		}
		r := k.quo(k.one(), k.phi(pt(i), g))
		inv[keys[i]] = r
		return r
	}
	it := (*big.Float)(nil)
	sum := k.nf()
	for i, v := range vs {
		if keys[i] == top || v.Sign() == 0 {
			continue
		}
		if it == nil {
			for j := range vs {
				if keys[j] == top {
					it = invPhi(j)
					break
				}
			}
		}
		sum = k.add(sum, k.mul(v, k.sub(invPhi(i), it)))
	}
	return sum
}
