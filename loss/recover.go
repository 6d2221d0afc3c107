package loss

import "math"

// Recover sets dst to the posterior η that the KKT conditions of a
// separable loss assign to a minimizer v in the open simplex, and returns
// it: from η_j w_j (−g′(v_j)) − r′(v_j) = λ,
//
//	η_j = (λ + r′(v_j)) / (w_j (−g′(v_j))),  λ = (1 − Σ_j r′(v_j)/(w_j(−g′(v_j)))) / Σ_j 1/(w_j(−g′(v_j))),
//
// λ chosen so that Σ η = 1. With r = 0 this is Ψ_g (Psi): η_j ∝ h_g(v_j)/w_j.
// Entries with v_j = 0 get η_j = 0 when r = 0 (they do not enter the
// KKT system). Meaningful where h_g is positive and increasing (Analyze);
// NaN entries otherwise (a non-separable loss).
func (l *Loss) Recover(dst, v []float64) []float64 {
	dst = dst[:0]
	if l.Kind != Separable {
		for range v {
			dst = append(dst, math.NaN())
		}
		return dst
	}
	if l.R == nil {
		return l.Psi(dst, v)
	}
	k := len(v)
	var sInv, sR float64
	for j, x := range v {
		w := 1.0
		if l.Weights != nil {
			w = l.Weights[j]
		}
		m := -w * l.DG(x)
		sInv += 1 / m
		sR += l.DR(x, k) / m
	}
	lam := (1 - sR) / sInv
	for j, x := range v {
		w := 1.0
		if l.Weights != nil {
			w = l.Weights[j]
		}
		dst = append(dst, (lam+l.DR(x, k))/(-w*l.DG(x)))
	}
	return dst
}
