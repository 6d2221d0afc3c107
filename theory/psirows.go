package theory

// PsiRows writes Ψ^γ of each row of the row-major matrix v (rows of k
// entries) into dst and returns dst; it is Psi applied row by row, bit for
// bit, with the same special cases per row (for 0 < γ ≤ psiDirectMaxGamma
// both run psiRowsDirect, over all rows at once here).
//
// PsiRows panics if k < 1, len(v) is not a multiple of k, or
// len(dst) != len(v). dst may alias v only if it is v itself (the same
// slice): each entry is read before it is written.
func PsiRows(dst, v []float64, k int, gamma float64) []float64 {
	if k < 1 || len(v)%k != 0 || len(dst) != len(v) {
		panic("theory: PsiRows shape mismatch")
	}
	if gamma > 0 && gamma <= psiDirectMaxGamma {
		psiRowsDirect(dst, v, k, gamma)
		return dst
	}
	for i := 0; i < len(v); i += k {
		Psi(dst[i:i+k], v[i:i+k], gamma)
	}
	return dst
}
