package hiprec

import (
	"math"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// sumTol: |Σ Ψ_i − 1| for Ψ rounded to 60 digits (K ≤ 30 roundings of
// ≤ 5e-61 each, plus the exact complement of the largest).
const sumTol = 1e-55

func TestPsiPaperExample(t *testing.T) {
	// Sec. 5 of the paper: γ = 2, q = (0.9, 0.1) ⇒ Ψ ≈ (0.99738, 0.00262).
	// The 50-digit values are from mpmath 1.3.0 (mp.dps = 120) by Eq. 12–13.
	got := Psi([]float64{0.9, 0.1}, 2)
	want := []string{"0.99737854173157936580964157728217236955269152068314",
		"0.0026214582684206341903584227178276304473084793168552"}
	for i := range want {
		checkRel(t, "Psi((0.9, 0.1), 2)", got[i], mustDec(t, want[i]), 1e-49)
	}
	if a, b := Float(got[0]), Float(got[1]); math.Abs(a-0.99738) > 5e-6 || math.Abs(b-0.00262) > 5e-6 {
		t.Errorf("Psi((0.9, 0.1), 2) = (%v, %v), paper: (0.99738, 0.00262)", a, b)
	}
}

// psiCases are vectors for the sum, argmax and γ = 0 checks.
var psiCases = [][]float64{
	{0.5, 0.5},
	{0.9, 0.1},
	{0.7, 0.2, 0.1},
	{0.25, 0.25, 0.25, 0.25},
	{0.6, 0.3, 0.1, 0},
	{oneMinus2p53, 0x1p-53},
	{1 - 1e-10, 5e-11, 5e-11},
	{0.5, 1e-300, 5e-324, 0.5 - 1e-300},
	{0.3, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.04, 0.03, 0.03},
	{0.001, 0.002, 0.003, 0.994},
}

func TestPsiSumsToOne(t *testing.T) {
	for _, v := range psiCases {
		for _, g := range []float64{0, 1e-6, 0.5, 1, 2, 10, 1000} {
			psi := Psi(v, g)
			if d := absDiffDec(sumDec(psi), decOne); d > sumTol {
				t.Errorf("Σ Psi(%v, %v) − 1 = %.3g", v, g, d)
			}
			for i, p := range psi {
				if p.Sign() < 0 || p.Cmp(decOne) > 0 || (v[i] == 0) != p.IsZero() {
					t.Errorf("Psi(%v, %v)[%d] = %s", v, g, i, p)
				}
			}
		}
	}
}

// TestPsiArgmax checks Prop. 12: Ψ preserves the order of the components
// (h is increasing), hence the argmax.
func TestPsiArgmax(t *testing.T) {
	for _, v := range psiCases {
		for _, g := range []float64{1e-6, 0.5, 2, 1000} {
			psi := Psi(v, g)
			for i := range v {
				for j := range v {
					if v[i] < v[j] && psi[i].Cmp(psi[j]) >= 0 {
						t.Errorf("Psi(%v, %v): v[%d] < v[%d] but Ψ %s ≥ %s", v, g, i, j, psi[i], psi[j])
					}
				}
			}
		}
	}
}

func TestPsiGammaZero(t *testing.T) {
	for _, v := range psiCases {
		psi := Psi(v, 0)
		s := sumDec(ExactSlice(v))
		for i := range v {
			checkRel(t, "Psi(v, 0)", psi[i], hiOp(t, hiCtx.Quo, Exact(v[i]), s), goldenTol)
		}
	}
}

func TestPsiOneHot(t *testing.T) {
	for _, g := range []float64{0, 1e-6, 0.5, 2, 1000} {
		for _, tt := range []struct{ v, want []float64 }{
			{[]float64{0, 1, 0}, []float64{0, 1, 0}},
			{[]float64{1}, []float64{1}},
			{[]float64{1, 0}, []float64{1, 0}},
		} {
			got := Psi(tt.v, g)
			for i := range tt.want {
				if got[i].Cmp(Exact(tt.want[i])) != 0 {
					t.Errorf("Psi(%v, %v) = %v, want %v", tt.v, g, got, tt.want)
				}
			}
		}
	}
	// γ > 0 and several v_i = 1: uniform on them.
	got := Psi([]float64{1, 0.3, 1}, 2)
	if got[0].Cmp(decHalf) != 0 || !got[1].IsZero() || got[2].Cmp(decHalf) != 0 {
		t.Errorf("Psi((1, 0.3, 1), 2) = %v, want (1/2, 0, 1/2)", got)
	}
}

func TestPsiSpecialCases(t *testing.T) {
	nan := math.NaN()
	for _, tt := range []struct {
		v     []float64
		gamma float64
	}{
		{[]float64{0.5, nan}, 1},
		{[]float64{0.5, -0.1}, 1},
		{[]float64{1.5, 0}, 1},
		{[]float64{0, 0}, 1},
		{[]float64{0, 0}, 0},
		{[]float64{0.5, 0.5}, -1},
		{[]float64{0.5, 0.5}, nan},
		{[]float64{0.5, 0.5}, math.Inf(1)},
	} {
		got := Psi(tt.v, tt.gamma)
		if len(got) != len(tt.v) {
			t.Fatalf("Psi(%v, %v) has length %d", tt.v, tt.gamma, len(got))
		}
		for _, d := range got {
			if d.Form != apd.NaN {
				t.Errorf("Psi(%v, %v) = %v, want all NaN", tt.v, tt.gamma, got)
				break
			}
		}
	}
	if got := Psi(nil, 1); len(got) != 0 {
		t.Errorf("Psi(nil, 1) = %v, want empty", got)
	}
}

// TestPsiComplement checks that the largest component near 1 carries its
// complement: at γ = 1000, v = (1 − 2^-53, 2^-53), h(v₁)/h(v₂) ≈ 10^16000,
// so Ψ₂ ≈ 10^-16000 and 1 − Ψ₁ must equal it, not 0.
func TestPsiComplement(t *testing.T) {
	psi := Psi([]float64{oneMinus2p53, 0x1p-53}, 1000)
	lh1, lh2 := LogH(oneMinus2p53, 1000), LogH(0x1p-53, 1000)
	// Ψ₂ = 1/(1 + e^{lh1 − lh2}) ≈ e^{lh2 − lh1}; ln Ψ₂ with apd.
	lnPsi2 := hiLn(t, psi[1])
	want := hiOp(t, hiCtx.Sub, lh2, lh1) // ln Ψ₂ up to e^{-(lh1−lh2)} ≈ 10^-16000
	checkRel(t, "ln Psi_2", lnPsi2, want, goldenTol)
	checkRel(t, "1 − Psi_1", exactSub(decOne, psi[0]), psi[1], goldenTol)
}
