package verify

import (
	"context"
	"math"
	"testing"
)

// boundaryRelTol: the bisections stop at relative width
// DefaultBoundaryRelTol = 1e-9; the reference values are accurate to a few
// ulps (gammaTauUC) or exact (the closed form), so 1e-8 relative is ample
// and still checks 8 significant digits.
const boundaryRelTol = 1e-8

func TestBoundaryK(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		k             int
		hasMax, hasNU bool
	}{{3, false, false}, {4, true, false}, {5, true, true}} {
		rep, err := BoundaryK(ctx, c.k, BoundaryOptions{Seed: testSeed(t)})
		if err != nil {
			t.Fatal(err)
		}
		if (rep.GammaMax != nil) != c.hasMax || (rep.GammaNearUniform != nil) != c.hasNU {
			t.Fatalf("K = %d: gamma_max %v, gamma_near_uniform %v", c.k, rep.GammaMax, rep.GammaNearUniform)
		}
		if rep.Method == "" {
			t.Errorf("K = %d: no method", c.k)
		}
		if c.hasMax {
			gm := float64(*rep.GammaMax)
			// Independent reference: the γ where τ_uc^γ = 1/(K−1), from
			// theory.TauUC (a root of φ = 1, not the search's G).
			if ref := float64(gammaTauUC(c.k)); math.Abs(gm-ref) > boundaryRelTol*ref {
				t.Errorf("K = %d: gamma_max = %v, τ_uc reference %v", c.k, gm, ref)
			}
			w := rep.Witness
			if w == nil {
				t.Fatalf("K = %d: no witness", c.k)
			}
			if !(float64(w.Gamma) < gm && float64(w.Gamma) > gm*(1-1e-3)) {
				t.Errorf("K = %d: witness at γ = %v, not just below %v", c.k, w.Gamma, gm)
			}
			// The witness is ηOC by the 40-digit minimizer.
			if g := hiprecMaxGap(t, float64s(w.Eta), float64(w.Gamma)); !(g > 0) {
				t.Errorf("K = %d: witness margin %v in hiprec", c.k, g)
			}
			// The float64 witness: the exact float64 minimizer sees it too.
			if wf := rep.WitnessFloat64; wf == nil {
				t.Errorf("K = %d: no float64 witness", c.k)
			} else if g := hiprecMaxGap(t, float64s(wf.Eta), float64(wf.Gamma)); !(g > robustMargin) || !(float64(wf.Margin) > robustMargin) || !(float64(wf.Gamma) < gm) {
				t.Errorf("K = %d: float64 witness %+v, hiprec margin %v", c.k, wf, g)
			}
			// The upper end rests on the scan above the bracket: it must
			// reach MaxGamma and cover (gamma_max(K), gamma_max(K+1)).
			nf := rep.GammaMaxNoneFound
			if nf == nil || nf.From != rep.GammaMaxBracket[1] || nf.To != MaxGamma || nf.Points < scanDense {
				t.Errorf("K = %d: scan above the bracket %+v", c.k, nf)
			}
			next := float64(gammaTauUC(c.k + 1))
			var between int
			for _, g := range boundaryScanGrid(c.k) {
				if g > gm && g < next {
					between++
				}
			}
			if between < scanDense/2 {
				t.Errorf("K = %d: %d scanned γ in (%v, %v)", c.k, between, gm, next)
			}
			// Just above gamma_max the limit family is ηUC.
			above := gm * (1 + 1e-3)
			for _, eps := range []float64{1e-3, 1e-6, 1e-9} {
				m := c.k - 1
				q := expand(c.k, m, (1-eps)/float64(m), []level{{1, eps}})
				var ev Eval
				eta := ev.Psi(q, above)
				if g := hiprecMaxGap(t, eta, above); !(g < 0) {
					t.Errorf("K = %d, γ = %v, ε = %v: hiprec max q* − max η = %v, want < 0", c.k, above, eps, g)
				}
			}
		}
		if c.hasNU {
			// The linearization's closed form.
			kf := float64(c.k)
			ref := 1 + (kf-1)*(math.Log(kf)-2)/math.Log(kf)
			if g := float64(*rep.GammaNearUniform); math.Abs(g-ref) > boundaryRelTol*ref {
				t.Errorf("K = %d: gamma_near_uniform = %v, closed form %v", c.k, g, ref)
			}
		}
	}
}

func TestBoundaryGamma(t *testing.T) {
	// γ_max(4) ≈ 1.43 < 2 < γ_max(5) ≈ 3.07 (TestBoundaryK): the smallest K
	// is 5.
	rep, err := BoundaryGamma(context.Background(), 2, BoundaryOptions{Seed: testSeed(t)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.KMin == nil || *rep.KMin != 5 || rep.Witness == nil {
		t.Fatalf("k_min = %v, witness %v; want 5", rep.KMin, rep.Witness)
	}
	if g := hiprecMaxGap(t, float64s(rep.Witness.Eta), 2); !(g > 0) {
		t.Errorf("witness margin %v in hiprec", g)
	}
	rep, err = BoundaryGamma(context.Background(), 0, BoundaryOptions{})
	if err != nil || rep.KMin != nil {
		t.Errorf("γ = 0: k_min %v, err %v; want none", rep.KMin, err)
	}
	if _, err := BoundaryGamma(context.Background(), -1, BoundaryOptions{}); err == nil {
		t.Error("γ = −1: no error")
	}
}

// At small γ every G is O(γ), below the float64 rounding of 1/φ ≈ 1 when
// computed naively: the search must still find K = 4's ηOC minimizers
// (they exist for every γ < gamma_max(4) = 1.4289, findings.md Sec. 4,
// the proven lower bound), and where the 40-digit minimizer cannot resolve
// the margin (∝ γ) the answer is undetermined, never a k_min or "none".
func TestBoundaryGammaSmall(t *testing.T) {
	ctx := context.Background()
	for _, g := range []float64{1e-9, 1e-12, 1e-15, 1e-20} {
		rep, err := BoundaryGamma(ctx, g, BoundaryOptions{Seed: testSeed(t)})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Status != KMinFound || rep.KMin == nil || *rep.KMin != 4 || rep.Witness == nil {
			t.Errorf("γ = %v: status %q, k_min %v; want %q, 4 (%s)", g, rep.Status, rep.KMin, KMinFound, rep.Method)
			continue
		}
		if m := hiprecMaxGap(t, float64s(rep.Witness.Eta), g); !(m > ocConfirmFloor) {
			t.Errorf("γ = %v: witness margin %v in hiprec", g, m)
		}
	}
	for _, g := range []float64{1e-300, 5e-324} {
		rep, err := BoundaryGamma(ctx, g, BoundaryOptions{Seed: testSeed(t)})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Status != KMinUndetermined || rep.KMin != nil || rep.Witness != nil {
			t.Errorf("γ = %v: status %q, k_min %v, witness %v; want %q and none (%s)", g, rep.Status, rep.KMin, rep.Witness, KMinUndetermined, rep.Method)
		}
	}
}

// scanGamma must find the largest γ with an ηOC minimizer even when the
// found set is not an interval: a predicate true below 1.43 and again on
// (2.5, 2.9) (planted; the real one is not known to be an interval) gives
// the top of the island, not the first crossing, which a scan that stops at
// the first γ without one (the old bisectGamma) reported.
func TestScanGammaFindsIsland(t *testing.T) {
	pred := func(g float64) (bool, error) { return g < 1.43 || (g > 2.5 && g < 2.9), nil }
	r, err := scanGamma(pred, boundaryScanGrid(4), DefaultBoundaryRelTol)
	if err != nil {
		t.Fatal(err)
	}
	if !r.ok || math.Abs(r.lo-2.9) > 1e-8 || r.gaps == 0 || r.aboveTo != MaxGamma {
		t.Errorf("scan = %+v; want lo ≈ 2.9, gaps > 0, scanned up to %v", r, float64(MaxGamma))
	}
	none := func(float64) (bool, error) { return false, nil }
	if r, err := scanGamma(none, boundaryScanGrid(3), DefaultBoundaryRelTol); err != nil || r.ok {
		t.Errorf("pred never true: %+v, %v", r, err)
	}
}
