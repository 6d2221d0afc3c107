package hiprec

import (
	"math"
	"math/big"

	"github.com/cockroachdb/apd/v3"
)

// PsiLogits returns Ψ^γ(softmax(z)) (Eq. 12 at the class probabilities of
// the logits z), at z and γ taken exactly, to 60 significant digits. Each
// softmax probability is carried with its complement and both logarithms,
// formed from the exponentials e_i = e^{z_i − max z} (v_i = e_i/Σe,
// 1 − v_i = Σ_{l≠i} e_l/Σe, ln v_i = z_i − max z − ln Σe), so that a
// probability within 10^-4000 of 1, from logits 10^4 apart, keeps its
// complement; Ψ is then the softmax of ln h^γ, as in Psi.
//
// Special cases are:
//
//	PsiLogits(z, γ)_i = 0 where z_i = −Inf, or where Ψ_i < e^{−1000}·max Ψ (below any float64)
//	PsiLogits(z, γ) = e_m when z_m is the only logit above −Inf
//	PsiLogits(z, γ) = all NaN if some z_i is NaN or +Inf, every z_i is −Inf, or γ is NaN, < 0 or +Inf
func PsiLogits(z []float64, gamma float64) []*apd.Decimal {
	return logitsOracle(z, gamma, false)
}

// LogPsiLogits returns ln Ψ^γ(softmax(z)), the logarithms of PsiLogits'
// components to 60 significant digits (−Infinity where a component is 0),
// with the special cases of PsiLogits. The largest component's logarithm is
// formed as −ln(1 + Σ_{others}/itself), so it keeps its digits when the
// component is within 10^-300 of 1.
func LogPsiLogits(z []float64, gamma float64) []*apd.Decimal {
	return logitsOracle(z, gamma, true)
}

// linearFloor: PsiLogits returns 0 for a component below e^{−linearFloor}
// times the largest (about 10^-434, far below the float64 range it is
// compared in): rounding such a number to decimal digits costs seconds.
const linearFloor = 1000

func logitsOracle(z []float64, gamma float64, logOut bool) []*apd.Decimal {
	n := len(z)
	if !validGamma(gamma) {
		return nanSlice(n)
	}
	m, live := -1, 0
	for i, x := range z {
		if math.IsNaN(x) || math.IsInf(x, 1) {
			return nanSlice(n)
		}
		if !math.IsInf(x, -1) {
			live++
			if m < 0 || x > z[m] {
				m = i
			}
		}
	}
	if m < 0 {
		return nanSlice(n)
	}
	return orNaN(func() []*apd.Decimal { return nanSlice(n) }, func() ([]*apd.Decimal, error) {
		k := defaultCalc
		if live == 1 {
			res := make([]*apd.Decimal, n)
			for i := range res {
				switch {
				case i == m && logOut:
					res[i] = apd.New(0, 0)
				case i == m:
					res[i] = apd.New(1, 0)
				case logOut:
					res[i] = infDec(true)
				default:
					res[i] = apd.New(0, 0)
				}
			}
			return res, nil
		}
		return k.psiLogits(z, m, k.num(gamma), logOut), nil
	})
}

// psiLogits is logitsOracle for at least two finite logits, m the index of
// a largest.
func (k *calc) psiLogits(z []float64, m int, g *big.Float, logOut bool) []*apd.Decimal {
	n := len(z)
	zm := k.num(z[m])
	d := make([]*big.Float, n) // z_i − z_m, nil for −Inf
	e := make([]*big.Float, n)
	sum := k.nf()
	for i, x := range z {
		if math.IsInf(x, -1) {
			e[i] = k.nf()
			continue
		}
		d[i] = k.sub(k.num(x), zm)
		e[i] = k.exp(d[i])
		sum = k.add(sum, e[i])
	}
	// ln Σe = ln(1 + Σ_{l≠m} e_l), e_m = 1: formed by log1p, since 1 + r
	// rounds r away once r < 10^-70 (gaps beyond 160).
	others := k.nf()
	for l := range z {
		if l != m {
			others = k.add(others, e[l])
		}
	}
	lnSum := k.log1p(others)
	lh := make([]*big.Float, n)
	var mx *big.Float
	for i := range z {
		if d[i] == nil {
			continue
		}
		rest := others // Σ_{l≠i} e_l: ≥ 1 for i ≠ m, no cancellation
		if i != m {
			rest = k.sub(sum, e[i])
		}
		p := point{v: k.quo(e[i], sum), c: k.quo(rest, sum), lnv: k.sub(d[i], lnSum), lnc: k.sub(k.ln(rest), lnSum)}
		if g.Sign() == 0 {
			lh[i] = p.lnv
		} else {
			lh[i], _ = k.logH(p, g)
		}
		if mx == nil || lh[i].Cmp(mx) > 0 {
			mx = lh[i]
		}
	}
	w := make([]*big.Float, n)
	floor := k.int(-linearFloor)
	for i := range z {
		if lh[i] == nil || !logOut && k.sub(lh[i], mx).Cmp(floor) < 0 {
			w[i] = k.nf()
		} else {
			w[i] = k.exp(k.sub(lh[i], mx))
		}
	}
	if !logOut {
		return k.normalize(w)
	}
	// ln Ψ_i = lh_i − mx − ln Σw; Σw = 1 + others for the largest (w = 1).
	top := -1
	rest := k.nf()
	for i := range z {
		if top < 0 && lh[i] != nil && lh[i].Cmp(mx) == 0 {
			top = i
			continue
		}
		rest = k.add(rest, w[i])
	}
	lnW := k.log1p(rest)
	res := make([]*apd.Decimal, n)
	for i := range z {
		switch {
		case lh[i] == nil:
			res[i] = infDec(true)
		case i == top:
			res[i] = k.dec(k.neg(lnW))
		default:
			res[i] = k.dec(k.sub(k.sub(lh[i], mx), lnW))
		}
	}
	return res
}
