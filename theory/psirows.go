package theory

// psiRowsBlock is the number of entries PsiRows transforms per pass of
// psiDirect: a few rows' worth, so that the logarithms of several short
// rows overlap (psiDirect takes them in chunks of psiChunk).
const psiRowsBlock = 256

// PsiRows writes Ψ^γ of each row of the row-major matrix v (rows of k
// entries) into dst and returns dst; it is Psi applied row by row, bit for
// bit, with the same special cases per row, but for short rows it is faster:
// for 0 < γ ≤ psiDirectMaxGamma the unnormalized h^γ of several rows is
// formed in one pass before each row is checked and normalized.
//
// PsiRows panics if k < 1, len(v) is not a multiple of k, or
// len(dst) != len(v). dst may alias v only if it is v itself (the same
// slice): each entry is read before it is written.
func PsiRows(dst, v []float64, k int, gamma float64) []float64 {
	if k < 1 || len(v)%k != 0 || len(dst) != len(v) {
		panic("theory: PsiRows shape mismatch")
	}
	if !(gamma > 0 && gamma <= psiDirectMaxGamma) {
		for i := 0; i < len(v); i += k {
			Psi(dst[i:i+k], v[i:i+k], gamma)
		}
		return dst
	}
	rows := max(1, psiRowsBlock/k)
	var copyBuf [psiRowsBlock]float64
	for lo := 0; lo < len(v); lo += rows * k {
		hi := min(lo+rows*k, len(v))
		vb, db := v[lo:hi], dst[lo:hi]
		if &vb[0] == &db[0] && len(vb) <= psiRowsBlock {
			// In place: keep the inputs for the per-row checks.
			copy(copyBuf[:len(vb)], vb)
			vb = copyBuf[:len(vb)]
		} else if &vb[0] == &db[0] {
			for i := 0; i < len(vb); i += k {
				Psi(db[i:i+k], vb[i:i+k], gamma)
			}
			continue
		}
		psiDirect(db, vb, gamma)
		for i := 0; i < len(vb); i += k {
			row, out := vb[i:i+k], db[i:i+k]
			ones, bad := 0, false
			for _, x := range row {
				if !validProb(x) {
					bad = true
					break
				}
				if x == 1 {
					ones++
				}
			}
			switch {
			case bad:
				fillNaN(out)
			case ones > 0:
				w := 1 / float64(ones)
				for j, x := range row {
					if x == 1 {
						out[j] = w
					} else {
						out[j] = 0
					}
				}
			default:
				var sum neumaier
				for _, h := range out {
					sum = sum.add(h)
				}
				scaleBy(out, sum.total())
			}
		}
	}
	return dst
}
