package certify

import (
	"math"
	"math/big"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/focaltk/focal/hiprec"
)

// The grid of the focal enclosures: the edges (the smallest subnormal,
// tiny v, 1/2, 1 − 2^-53), a dense even grid of (0, 1) and γ from 0 to
// 1000.
func focalGrid() (vs, gs []float64) {
	vs = []float64{5e-324, 1e-300, 1e-100, 1e-20, 1e-8, 1e-4, 1e-3, 0.5, 1 - 1e-8, 1 - 0x1p-53}
	for i := 1; i < 100; i += 2 {
		vs = append(vs, float64(i)/100)
	}
	gs = []float64{0, 1e-6, 0.01, 0.5, 1, 2, 3, 5, 20, 100, 1000}
	return vs, gs
}

func TestPhiLogHAgainstHiprec(t *testing.T) {
	vs, gs := focalGrid()
	for _, g := range gs {
		for _, v := range vs {
			V, G := Point(v), Point(g)
			phi := decBig(t, hiprec.Phi(v, g))
			checkEncloses(t, "phi("+ftoa(v)+", "+ftoa(g)+")", Phi(V, G), phi, hiprecBand)
			lh := decBig(t, hiprec.LogH(v, g))
			checkEncloses(t, "logh("+ftoa(v)+", "+ftoa(g)+")", LogH(V, G), lh, hiprecBand)
			// ψ = 1/φ and f = v/φ from the same oracle value.
			psi := new(big.Float).SetPrec(600).Quo(big.NewFloat(1), phi)
			checkEncloses(t, "psi("+ftoa(v)+", "+ftoa(g)+")", Psi(V, G), psi, 2*hiprecBand)
			f := new(big.Float).SetPrec(600).Mul(psi, big.NewFloat(v))
			checkEncloses(t, "f("+ftoa(v)+", "+ftoa(g)+")", F(V, G), f, 2*hiprecBand)
			// ln φ = ln v − ln h, from the oracle's ln h. Where ln φ is tiny
			// (v < 1e-8, or γ = 0 where ln φ = 0) the difference of two
			// oracle values has no relative accuracy left, so the check is
			// made where |ln φ| ≳ 1e-7 (hiprec's 40 digits of ln h ≈ −18
			// leave 1e-32 relative; band 1e-30).
			if v >= 1e-8 && g > 0 {
				lphi := new(big.Float).SetPrec(600).Sub(decBig(t, mustLn(t, hiprec.Exact(v))), lh)
				checkEnclosesFloor(t, "logphi("+ftoa(v)+", "+ftoa(g)+")", LogPhi(V, G), lphi, 1e-30, logPhiFloor)
			}
			if g == 0 {
				if lp := LogPhi(V, G); lp.Lo() != 0 || lp.Hi() != 0 {
					t.Errorf("logphi(%g, 0) = [%g, %g], want exactly 0", v, lp.Lo(), lp.Hi())
				}
			}
		}
	}
}

// logPhiFloor: the absolute accuracy of LogPhi near ln φ = 0 (a few
// roundings of 2^-128 ≈ 3e-39).
const logPhiFloor = 1e-36

// dphiStep and dphiTol: the centred difference of hiprec's φ at step
// 1e-12 has truncation error φ”'·h²/6, below 1e-20 relative on the grid
// (v ≥ 1e-3, away from the singular derivatives at 0 and 1), and
// cancellation error 1e-40/1e-12 = 1e-28.
const (
	dphiStep = "1e-12"
	dphiTol  = 1e-18
)

func TestDPhiAgainstDifferenceOfHiprec(t *testing.T) {
	c := apd.BaseContext.WithPrecision(80)
	h, _, _ := apd.NewFromString(dphiStep)
	for _, g := range []float64{0.01, 0.5, 1, 2, 5, 20} {
		for _, v := range []float64{1e-3, 0.01, 0.05, 0.1, 0.2, 0.3, 0.37, 0.5, 0.7, 0.9} {
			x := hiprec.Exact(v)
			xp, xm := new(apd.Decimal), new(apd.Decimal)
			c.Add(xp, x, h)
			c.Sub(xm, x, h)
			d := new(apd.Decimal)
			c.Sub(d, hiprec.PhiDecimal(xp, g), hiprec.PhiDecimal(xm, g))
			c.Quo(d, d, apd.New(2, 0))
			c.Quo(d, d, h)
			want := decBig(t, d)
			got := DPhi(Point(v), Point(g))
			mid := new(big.Float).SetPrec(600).Add(got.lo, got.hi)
			mid.SetMantExp(mid, -1)
			diff := new(big.Float).SetPrec(600).Sub(mid, want)
			diff.Quo(diff, want)
			if r, _ := diff.Float64(); math.Abs(r) > dphiTol || !got.Valid() {
				t.Errorf("dphi(%g, %g) = %s, centred difference of hiprec %s: rel %g", v, g, mid.Text('g', 25), want.Text('g', 25), r)
			}
			// D = φ'/(γ(1−v)^{γ−2}) has φ's sign everywhere, and
			// D/(1 − v) the same sign.
			if s := DPhiCore(Point(v), Point(g)); (s.Positive() != got.Positive()) || (s.Negative() != got.Negative()) {
				t.Errorf("sign of D(%g, %g) differs from φ'", v, g)
			}
			if s := DPhiCoreOver1m(Point(v), Point(g)); (s.Positive() != got.Positive()) || (s.Negative() != got.Negative()) {
				t.Errorf("sign of D/(1−v) at (%g, %g) differs from φ'", v, g)
			}
		}
	}
}

// TestThresholdsAgainstHiprec: the signs of D just below and above
// hiprec's τ_oc, and of ln φ around its τ_uc (relative offset 1e-35, far
// above hiprec's 1e-40 and far below the enclosures' reach 1e-12): the
// functions the certificates use cross zero where the oracle says.
func TestThresholdsAgainstHiprec(t *testing.T) {
	const off = 1e-35
	for _, g := range []float64{0.01, 0.1, 0.5, 1, 2, 3, 5, 10, 20, 50, 100, 1000} {
		G := Point(g)
		for _, c := range []struct {
			name string
			tau  *apd.Decimal
			fn   func(v, g Interval) Interval
		}{{"D", hiprec.TauOC(g), DPhiCore}, {"ln phi", hiprec.TauUC(g), LogPhi}} {
			tau := decBig(t, c.tau)
			d := new(big.Float).SetPrec(Prec).Mul(tau, big.NewFloat(off))
			below := new(big.Float).SetPrec(Prec).Sub(tau, d)
			above := new(big.Float).SetPrec(Prec).Add(tau, d)
			if !c.fn(pointBig(below), G).Positive() || !c.fn(pointBig(above), G).Negative() {
				t.Errorf("γ = %g: %s does not change sign from + to − at hiprec's root %s", g, c.name, tau.Text('g', 30))
			}
		}
	}
}

func TestDDPhiCoreAgainstDifference(t *testing.T) {
	// D' against the centred difference of D's own enclosures at step
	// 1e-15 (a second method: D' is written by hand, the difference is
	// not). Truncation error D'''h²/6 < 1e-25, cancellation 1e-35/1e-15.
	const tol = 1e-15
	for _, g := range []float64{0.1, 1, 3, 50} {
		for _, v := range []float64{0.01, 0.1, 0.3, 0.6, 0.95} {
			h := 1e-15
			d := Div(Sub(DPhiCore(Point(v+h), Point(g)), DPhiCore(Point(v-h), Point(g))), Sub(Point(v+h), Point(v-h)))
			got := DDPhiCore(Point(v), Point(g))
			if math.Abs(got.Lo()-d.Lo()) > tol*math.Abs(d.Lo())+1e-12 {
				t.Errorf("D'(%g, %g) = %g, difference %g", v, g, got.Lo(), d.Lo())
			}
		}
	}
}
