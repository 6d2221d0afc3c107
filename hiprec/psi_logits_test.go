package hiprec

import "testing"

// logitsAgreeDigits: PsiLogits against PsiDecimal at its γ = 0 output (the
// softmax, to 60 digits): two paths through the package that share only
// logH, agreeing to 50 digits (logitsAgreeTol) (the softmax's rounding to 60 digits,
// amplified by at most (1+γ)/(1−v_m) ≤ 10^5 here).
const logitsAgreeTol = 1e-50

func TestPsiLogitsAgainstPsiDecimal(t *testing.T) {
	for _, c := range []struct {
		z     []float64
		gamma float64
	}{
		{[]float64{0, 1, 2}, 2}, {[]float64{3, 3, -1, 0.5}, 2.5}, {[]float64{8, 0}, 0.5}, {[]float64{-1, 4, 2, 0}, 5},
	} {
		sm := PsiLogits(c.z, 0)
		want := PsiDecimal(sm, c.gamma)
		got := PsiLogits(c.z, c.gamma)
		logs := LogPsiLogits(c.z, c.gamma)
		k := defaultCalc
		for i := range got {
			if d := relDiff(got[i], want[i]); !(d <= logitsAgreeTol) {
				t.Errorf("z=%v γ=%v: PsiLogits_%d = %s, PsiDecimal(softmax) %s", c.z, c.gamma, i, got[i], want[i])
			}
			e := k.dec(k.exp(k.big(logs[i])))
			if d := relDiff(e, got[i]); !(d <= logitsAgreeTol) {
				t.Errorf("z=%v γ=%v: exp(LogPsiLogits_%d) = %s, PsiLogits %s", c.z, c.gamma, i, e, got[i])
			}
		}
	}
	// The example: (50, 0, 0) at γ = 2, class 1 near 8.61e-65.
	if v := Float(PsiLogits([]float64{50, 0, 0}, 2)[1]); !(v > 8.6e-65 && v < 8.62e-65) {
		t.Errorf("PsiLogits(50,0,0)_1 = %v", v)
	}
}
