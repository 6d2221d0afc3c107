package hiprec

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// The same code at 60 and at 120 digits: the 60-digit results must agree
// with the 120-digit ones to consistencyTol, over the edges of the domain.
// This is the empirical half of the Digits guarantee (the other half is that
// no formula cancels; see the package comment).

var (
	precVs     = []float64{5e-324, 1e-300, 1e-20, 0.01, 0.2, 0.5, 0.8, 0.999, 1 - 1e-12, oneMinus2p53}
	precGammas = []float64{1e-6, 0.01, 0.5, 1, 1.5, 2, 3, 7.25, 100, 1000}
)

func TestPrecisionPhiLogH(t *testing.T) {
	k := newCalc(120)
	for _, v := range precVs {
		for _, g := range precGammas {
			V := Exact(v)
			hiPhi := k.dec(k.phi(k.pointDec(V), k.num(g)))
			checkRel(t, fmt.Sprintf("Phi(%v, %v) vs 120 digits", v, g), Phi(v, g), hiPhi, consistencyTol)
			hiLH := k.dec(k.logHDec(V, k.num(g)))
			got := LogH(v, g)
			if e := absDiffDec(got, hiLH); e > consistencyTol*math.Max(1, math.Abs(Float(hiLH))) {
				t.Errorf("LogH(%v, %v) = %s, at 120 digits %s (diff %.3g)", v, g, got, hiLH, e)
			}
		}
	}
}

func TestPrecisionTau(t *testing.T) {
	k := newCalc(120)
	for _, g := range append([]float64{0}, precGammas...) {
		oc, err := k.tauOC(g)
		if err != nil {
			t.Fatal(err)
		}
		checkRel(t, fmt.Sprintf("TauOC(%v) vs 120 digits", g), TauOC(g), k.dec(oc), consistencyTol)
		if g == 0 {
			continue
		}
		uc, err := k.tauUC(g)
		if err != nil {
			t.Fatal(err)
		}
		checkRel(t, fmt.Sprintf("TauUC(%v) vs 120 digits", g), TauUC(g), k.dec(uc), consistencyTol)
	}
}

func TestPrecisionPsi(t *testing.T) {
	k := newCalc(120)
	for _, v := range psiCases {
		for _, g := range []float64{0, 1e-6, 0.5, 2, 1000} {
			got, hi := Psi(v, g), k.psi(ExactSlice(v), g)
			for i := range v {
				if hi[i].IsZero() {
					if !got[i].IsZero() {
						t.Errorf("Psi(%v, %v)[%d] = %s, want 0", v, g, i, got[i])
					}
					continue
				}
				checkRel(t, fmt.Sprintf("Psi(%v, %v)[%d] vs 120 digits", v, g, i), got[i], hi[i], consistencyTol)
			}
		}
	}
}

// TestMinimizeRandom runs the round trip Ψ(q*(η)) = η/Ση on random η with
// zeros, ones, subnormals and log-uniform entries down to 1e-300, and
// log-uniform γ in [1e-6, 1000]. Set HIPREC_SEED to vary the cases.
func TestMinimizeRandom(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewSource(seed))
	for it := 0; it < 60; it++ {
		eta := make([]float64, 2+rng.Intn(12))
		for i := range eta {
			switch rng.Intn(6) {
			case 0:
				eta[i] = math.Pow(10, -300*rng.Float64())
			case 1:
				eta[i] = 0
			case 2:
				eta[i] = 1
			case 3:
				eta[i] = 5e-324 * float64(1+rng.Intn(3))
			default:
				eta[i] = rng.Float64()
			}
		}
		g := math.Pow(10, -6+9*rng.Float64())
		name := fmt.Sprintf("Minimize(%v, %v) (HIPREC_SEED=%d)", eta, g, seed)
		q, err := Minimize(eta, g)
		all0 := true
		for _, e := range eta {
			all0 = all0 && e == 0
		}
		if all0 {
			if err == nil {
				t.Errorf("%s: no error for all-zero η", name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if d := absDiffDec(sumDec(q), decOne); d > sumTol {
			t.Errorf("%s: Σ q* − 1 = %.3g", name, d)
		}
		psi, want := PsiDecimal(q, g), normalized(t, eta)
		for i := range eta {
			if eta[i] == 0 {
				if !q[i].IsZero() {
					t.Errorf("%s: q*[%d] = %s, want 0", name, i, q[i])
				}
				continue
			}
			if e := relDiff(psi[i], want[i]); !(e <= roundTripTol) {
				t.Errorf("%s: Ψ(q*)[%d] = %s, want %s (rel err %.3g)", name, i, psi[i], want[i], e)
			}
		}
	}
}

var _ = apd.New
