package certify

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/focaltk/focal/hiprec"
)

// ellBand: ℓ = ln φ/γ from hiprec's ln h (40 digits of values up to ~40
// in size) and an exact ln v leaves 1e-38 absolute, divided by γ ≥ 0.01;
// relative 1e-30 where |ℓ| ≳ 1e-6, absolute floor ellFloor elsewhere.
const (
	ellBand  = 1e-30
	ellFloor = 1e-34
)

// TestEllAgainstHiprec: ℓ = ln φ^γ/γ on the focal grid (its v thinned to
// the edges and every fifth interior point, as each point costs a hiprec
// evaluation), from hiprec's
// ln h (ln φ = ln v − ln h), and at γ = 0 its limit ln(1 − v) −
// v ln v/(1 − v) from apd's 60-digit logarithms.
func TestEllAgainstHiprec(t *testing.T) {
	vs, gs := focalGrid()
	c := apdCtx()
	for _, g := range gs {
		for _, v := range vs {
			if v > 0.99 || v < 1e-8 {
				continue // ln(1 − v) of the oracle's difference loses its digits at the ends
			}
			if i := math.Round(v * 100); v == i/100 && v != 0.5 && int(i)%10 != 1 && int(i)%10 != 9 {
				continue
			}
			var want *big.Float
			if g == 0 {
				x := hiprec.Exact(v)
				om := new(apd.Decimal)
				c.Sub(om, apd.New(1, 0), x)
				l1 := decBig(t, mustLn(t, om))
				xl := new(big.Float).SetPrec(600).Mul(decBig(t, x), decBig(t, mustLn(t, x)))
				xl.Quo(xl, decBig(t, om))
				want = new(big.Float).SetPrec(600).Sub(l1, xl)
			} else {
				lphi := new(big.Float).SetPrec(600).Sub(decBig(t, mustLn(t, hiprec.Exact(v))), decBig(t, hiprec.LogH(v, g)))
				want = lphi.Quo(lphi, big.NewFloat(g))
			}
			checkEnclosesFloor(t, "ell("+ftoa(v)+", "+ftoa(g)+")", Ell(Point(v), Point(g)), want, ellBand, ellFloor)
		}
	}
	if e := Ell(Point(0), Point(3)); e.Lo() != 0 || e.Hi() != 0 {
		t.Errorf("ell(0, 3) = [%g, %g], want exactly 0", e.Lo(), e.Hi())
	}
}

// TestEllPrimeAgainstDifferenceOfHiprec: ℓ′ = φ′/(γφ) against the centred
// difference of hiprec's φ (step and tolerance as for DPhi).
func TestEllPrimeAgainstDifferenceOfHiprec(t *testing.T) {
	c := apd.BaseContext.WithPrecision(80)
	h, _, _ := apd.NewFromString(dphiStep)
	for _, g := range []float64{0.01, 0.5, 1, 2, 5, 20} {
		for _, v := range []float64{1e-3, 0.05, 0.1, 0.2, 1.0 / 3, 0.37, 0.5, 0.7} {
			x := hiprec.Exact(v)
			xp, xm := new(apd.Decimal), new(apd.Decimal)
			c.Add(xp, x, h)
			c.Sub(xm, x, h)
			d := new(apd.Decimal)
			c.Sub(d, hiprec.PhiDecimal(xp, g), hiprec.PhiDecimal(xm, g))
			c.Quo(d, d, apd.New(2, 0))
			c.Quo(d, d, h)
			c.Quo(d, d, hiprec.PhiDecimal(x, g))
			want := decBig(t, d)
			want.Quo(want, big.NewFloat(g))
			got := EllPrime(Point(v), Point(g))
			mid := new(big.Float).SetPrec(600).Add(got.lo, got.hi)
			mid.SetMantExp(mid, -1)
			diff := new(big.Float).SetPrec(600).Sub(mid, want)
			diff.Quo(diff, want)
			if r, _ := diff.Float64(); math.Abs(r) > dphiTol || !got.Valid() {
				t.Errorf("ell'(%g, %g) = %s, centred difference of hiprec %s: rel %g", v, g, mid.Text('g', 25), want.Text('g', 25), r)
			}
		}
	}
}

func TestLog1pOverAgainstApd(t *testing.T) {
	c := apdCtx()
	// Below 1e-45 apd's 60 digits round 1 + x to 1; there L(x) ∈ (1 − x/2, 1)
	// is within 1e-40 of 1.
	for _, x := range []float64{5e-324, 1e-300} {
		checkEncloses(t, "log1pover("+ftoa(x)+")", Log1pOver(Point(x)), big.NewFloat(1), 1e-40)
	}
	for _, x := range []float64{1e-20, 1e-8, 0.1, 0.25, 0.5, 1, 3, 100, 1e10} {
		X := hiprec.Exact(x)
		d := new(apd.Decimal)
		c.Add(d, X, apd.New(1, 0))
		want := decBig(t, mustLn(t, d))
		want.Quo(want, decBig(t, X))
		checkEncloses(t, "log1pover("+ftoa(x)+")", Log1pOver(Point(x)), want, 1e-40)
	}
	if e := Log1pOver(Point(0)); e.Lo() != 1 || e.Hi() != 1 {
		t.Errorf("log1pover(0) = [%g, %g], want 1", e.Lo(), e.Hi())
	}
	// An interval argument holds the values at its points (L decreases).
	e := Log1pOver(Between(0.5, 2))
	for _, x := range []float64{0.5, 1, 2} {
		p := Log1pOver(Point(x))
		if p.lo.Cmp(e.lo) < 0 || p.hi.Cmp(e.hi) > 0 {
			t.Errorf("log1pover([0.5, 2]) = [%g, %g] misses the value at %g", e.Lo(), e.Hi(), x)
		}
	}
}

// phiHi returns hiprec's φ^γ(v) as a big.Float.
func phiHi(t *testing.T, v, g float64) *big.Float { return decBig(t, hiprec.Phi(v, g)) }

// windowOf returns the window [g0, g1] of K in a no-oc certificate: g0 is
// certified below γ_max(K) (0 for K = 3), g1 above γ_max(K+1).
func windowOf(t *testing.T, c *Certificate, k int) (g0, g1 float64) {
	t.Helper()
	for _, cl := range c.Claims {
		if cl.At[0] == float64(k) {
			return cl.Lo, cl.Hi
		}
	}
	t.Fatalf("no window for K = %d", k)
	return 0, 0
}

// noOCSlack: G of a float64 vector from 40-digit φ values; the vector
// sums to 1 only to ~1e-16, which moves G by as much.
const noOCSlack = 1e-14

// TestNoOCAgainstHiprec checks what the certificate proves with an
// independent evaluation (hiprec's 40-digit φ): at random γ of each
// window (above γ_max(K)) and random sorted q with top t in
// [1/K, 1/(K−1)] — uniform on the simplex by sorted exponentials, and the
// two-level vectors (t ×(K−1), 1 − (K−1)t) that Lemma C reduces to —
// G(q) = Σ q_l (ψ(q_l) − ψ(t)) ≤ 0. Every point of the γ window's first
// 1e-8 (relative) is skipped: the window starts just below γ_max(K),
// where ηOC minimizers exist.
func TestNoOCAgainstHiprec(t *testing.T) {
	const seed = 20261203
	rng := rand.New(rand.NewPCG(seed, 0))
	c, err := ProduceNoOC(context.Background(), []int{3, 4, 5}, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{3, 4, 5} {
		g0, g1 := windowOf(t, c, k)
		for range 40 {
			g := g0*(1+1e-8) + rng.Float64()*(g1-g0*(1+1e-8))
			if k == 3 && rng.IntN(4) == 0 {
				g = math.Pow(10, -6*rng.Float64()) // small γ: the corner at t → 1/2
			}
			var q []float64
			if rng.IntN(2) == 0 {
				tt := 1/float64(k) + rng.Float64()*(1/float64(k-1)-1/float64(k))
				q = []float64{1 - float64(k-1)*tt}
				for range k - 1 {
					q = append(q, tt)
				}
			} else {
				s := 0.0
				for range k {
					e := rng.ExpFloat64()
					q = append(q, e)
					s += e
				}
				for i := range q {
					q[i] /= s
				}
			}
			top := 0.0
			for _, x := range q {
				top = math.Max(top, x)
			}
			pt := new(big.Float).SetPrec(600).Quo(big.NewFloat(1), phiHi(t, top, g))
			G := new(big.Float).SetPrec(600)
			for _, x := range q {
				if x == 0 {
					continue
				}
				d := new(big.Float).SetPrec(600).Quo(big.NewFloat(1), phiHi(t, x, g))
				d.Sub(d, pt)
				G.Add(G, d.Mul(d, big.NewFloat(x)))
			}
			if r, _ := G.Float64(); r > noOCSlack {
				t.Errorf("seed %d: K = %d, gamma = %g, q = %v: G = %g > 0 (etaOC)", seed, k, g, q, r)
			}
		}
	}
}

// TestNoOCLemmaBoxes: at interior points of every box of a produced
// certificate, φ(1 − (K−1)t) ≥ φ(t) by hiprec (Lemma C's condition, which
// each tree box claims), or t ≥ τ_uc for the "ln phi(t)<0" boxes.
func TestNoOCLemmaBoxes(t *testing.T) {
	c, err := ProduceNoOC(context.Background(), []int{3, 4, 8}, "test")
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range c.Boxes {
		if b.Check == CheckNocLo || b.Check == CheckNocHi {
			continue
		}
		k := b.Lo[0]
		for _, fg := range []float64{0.1, 0.5, 0.9} {
			g := b.Lo[1] + fg*(b.Hi[1]-b.Lo[1])
			if k == 3 && g == 0 {
				continue
			}
			for _, ft := range []float64{0.1, 0.5, 0.9} {
				tt := b.Lo[2] + ft*(b.Hi[2]-b.Lo[2])
				if tt >= 1/(k-1) || tt <= 1/k {
					continue
				}
				pt := phiHi(t, tt, g)
				if b.Check == CheckNocTuc {
					if pt.Cmp(big.NewFloat(1)) > 0 {
						t.Errorf("box %d (%s): phi(%g) at gamma = %g is > 1", i, b.Check, tt, g)
					}
					continue
				}
				if pb := phiHi(t, 1-(k-1)*tt, g); pb.Cmp(pt) < 0 {
					t.Errorf("box %d (%s %s): phi(1-(K-1)t) < phi(t) at K = %g, gamma = %g, t = %g", i, b.Check, b.Lemma, k, g, tt)
				}
			}
		}
	}
}
