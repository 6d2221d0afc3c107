package loss

import (
	"math"
	"strconv"
	"testing"
)

// TestRecoverLabelSmoothing: for ls the minimizer is q = (1−ε)η + ε/K
// (Müller et al. 2019), so Recover(q) must give back η: the closed form
// (v − ε/K)/(1 − ε), to a few ulps of the entries (recoverTol).
func TestRecoverLabelSmoothing(t *testing.T) {
	const recoverTol = 1e-15 // a few ulps of entries ≤ 1, through two sums of K terms
	for _, eps := range []float64{0, 0.1, 0.5} {
		l, err := Parse("ls:eps=" + strconv.FormatFloat(eps, 'g', -1, 64))
		if err != nil {
			t.Fatal(err)
		}
		eta := []float64{0.6, 0.3, 0.1, 0}
		k := float64(len(eta))
		q := make([]float64, len(eta))
		for i, e := range eta {
			q[i] = (1-eps)*e + eps/k
		}
		got := l.Recover(nil, q)
		for i := range eta {
			if math.Abs(got[i]-eta[i]) > recoverTol {
				t.Errorf("ε=%v: Recover(q)[%d] = %v, want %v", eps, i, got[i], eta[i])
			}
		}
	}
}

// TestRecoverIsPsiWithoutR: with r = 0, Recover is Psi.
func TestRecoverIsPsiWithoutR(t *testing.T) {
	l, _ := Parse("poly1:eps=2")
	v := []float64{0.5, 0.3, 0.2}
	a, b := l.Recover(nil, v), l.Psi(nil, v)
	for i := range v {
		if a[i] != b[i] {
			t.Fatalf("Recover %v, Psi %v", a, b)
		}
	}
}
