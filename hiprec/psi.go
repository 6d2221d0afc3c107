package hiprec

import (
	"math/big"

	"github.com/cockroachdb/apd/v3"
)

// Psi returns Ψ^γ(v), Ψ_i = h^γ(v_i) / Σ_l h^γ(v_l) (Eq. 12), at v and γ
// taken exactly, each component to 60 significant digits.
//
// It is evaluated as a softmax of ln h (LogH) shifted by its maximum, so it
// does not overflow for any γ. The largest component, when it is ≥ 1/2, is
// returned as the exact decimal 1 − Σ_{others}/Σ_all (that ratio rounded to
// 60 digits), so that its complement 1 − Ψ_max is as accurate as the other
// components even when Ψ_max = 1 − 10⁻³⁰⁰.
//
// v need not sum to 1; Ψ is computed from the formula as written.
//
// Special cases are:
//
//	Psi(v, 0) = v / Σ v
//	Psi(v, γ) for γ > 0 and some v_i = 1: uniform on {i : v_i = 1}, 0 elsewhere
//	  (so Ψ(e_y) = e_y, the paper's definition for one-hot vectors)
//	Psi(v, γ)_i = 0 where v_i = 0
//	Psi(v, γ) = all NaN if some v_i is NaN or ∉ [0, 1], if all v_i = 0, or
//	  if γ is NaN, < 0 or +Inf
//	Psi(empty, γ) = empty
func Psi(v []float64, gamma float64) []*apd.Decimal {
	if !validGamma(gamma) {
		return nanSlice(len(v))
	}
	return PsiDecimal(ExactSlice(v), gamma)
}

// PsiDecimal is Psi at decimal v_i, used exactly as given (for example the
// result of Minimize, to check Ψ(q*(η)) = η).
func PsiDecimal(v []*apd.Decimal, gamma float64) []*apd.Decimal {
	if !validGamma(gamma) {
		return nanSlice(len(v))
	}
	for _, x := range v {
		if !validV(x) {
			return nanSlice(len(v))
		}
	}
	return orNaN(func() []*apd.Decimal { return nanSlice(len(v)) }, func() ([]*apd.Decimal, error) {
		return defaultCalc.psi(v, gamma), nil
	})
}

// psi is PsiDecimal for valid arguments, at the precision of k.
func (k *calc) psi(v []*apd.Decimal, gamma float64) (res []*apd.Decimal) {
	if len(v) == 0 {
		return []*apd.Decimal{}
	}
	if gamma == 0 {
		e := make([]*big.Float, len(v))
		for i, x := range v {
			e[i] = k.big(x)
		}
		return k.normalize(e)
	}
	g := k.num(gamma)
	// Any v_i = 1: h(v_i) = +∞, the limit is uniform on those.
	ones := 0
	for _, x := range v {
		if x.Cmp(decOne) == 0 {
			ones++
		}
	}
	if ones > 0 {
		res = make([]*apd.Decimal, len(v))
		u := k.dec(k.quo(k.one(), k.int(int64(ones))))
		for i, x := range v {
			if x.Cmp(decOne) == 0 {
				res[i] = u
			} else {
				res[i] = apd.New(0, 0)
			}
		}
		return res
	}
	lh := make([]*big.Float, len(v))
	var mx *big.Float
	for i, x := range v {
		if x.IsZero() {
			continue
		}
		lh[i] = k.logHDec(x, g)
		if mx == nil || lh[i].Cmp(mx) > 0 {
			mx = lh[i]
		}
	}
	if mx == nil {
		return nanSlice(len(v)) // all zero
	}
	e := make([]*big.Float, len(v))
	for i := range v {
		if lh[i] == nil {
			e[i] = k.nf()
			continue
		}
		e[i] = k.exp(k.sub(lh[i], mx))
	}
	return k.normalize(e)
}

// normalize returns e_i / Σ e rounded to prec digits, except that the
// largest component, if its share is ≥ 1/2, is the exact decimal
// 1 − Σ_{i≠m} e_i / Σ e (the ratio rounded), so that its complement is as
// accurate as the other components. Returns NaNs if Σ e = 0.
func (k *calc) normalize(e []*big.Float) []*apd.Decimal {
	m := 0
	for i := range e {
		if e[i].Cmp(e[m]) > 0 {
			m = i
		}
	}
	others := k.nf()
	for i := range e {
		if i != m {
			others = k.add(others, e[i])
		}
	}
	sum := k.add(others, e[m])
	if sum.Sign() == 0 {
		return nanSlice(len(e))
	}
	res := make([]*apd.Decimal, len(e))
	for i := range e {
		if i != m {
			res[i] = k.dec(k.quo(e[i], sum))
		}
	}
	if k.quo(e[m], sum).Cmp(big.NewFloat(0.5)) >= 0 {
		res[m] = exactSub(decOne, k.dec(k.quo(others, sum)))
	} else {
		res[m] = k.dec(k.quo(e[m], sum))
	}
	return res
}

func nanSlice(n int) []*apd.Decimal {
	s := make([]*apd.Decimal, n)
	for i := range s {
		s[i] = nanDec()
	}
	return s
}
