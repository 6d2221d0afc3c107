package calibrate_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/focaltk/focal/calibrate"
)

// smoothDirect is smECE_σ by a second method: the reflected Gaussian
// kernel summed over its images, the smoothed residual evaluated exactly
// at each t, and the integral over [0, 1] by Gauss–Legendre quadrature on
// 64 panels (gonum/integrate/quad).
func smoothDirect(conf, hit []float64, sigma float64) float64 {
	phi := func(x float64) float64 { return math.Exp(-x*x/(2*sigma*sigma)) / (sigma * math.Sqrt(2*math.Pi)) }
	k := func(t, s float64) float64 {
		var v float64
		for m := -6; m <= 6; m++ {
			v += phi(t-s+2*float64(m)) + phi(t+s+2*float64(m))
		}
		return v
	}
	f := func(t float64) float64 {
		var s float64
		for i, c := range conf {
			s += k(t, c) * (hit[i] - c)
		}
		return math.Abs(s / float64(len(conf)))
	}
	const panels = 64
	var total float64
	for p := range panels {
		total += quad.Fixed(f, float64(p)/panels, float64(p+1)/panels, 20, nil, 0)
	}
	return total
}

// A single prediction f with outcome y has smECE_σ = |y − f| at every σ
// (the reflected kernel keeps its unit mass on [0, 1]), so σ* = |y − f|.
func TestSmoothECEPointMass(t *testing.T) {
	// pointTol: the bisection's 1e-7 plus the grid's mass-preserving
	// deposit (exact up to rounding).
	const pointTol = 2e-7
	for _, c := range []struct{ f, y float64 }{{0.5, 1}, {0.9, 0}, {0, 1}, {1, 0.7}, {0.3, 0.3}} {
		e, s := calibrate.SmoothECE([]float64{c.f, c.f}, []float64{c.y, c.y})
		want := math.Abs(c.y - c.f)
		if want < 2.0/4096 {
			want = 0 // below the smallest bandwidth: reported there
			if e > pointTol {
				t.Errorf("f=%v y=%v: smECE %v, want 0", c.f, c.y, e)
			}
			continue
		}
		if math.Abs(e-want) > pointTol || math.Abs(s-want) > pointTol {
			t.Errorf("f=%v y=%v: smECE %v at σ %v, want %v at σ %v", c.f, c.y, e, s, want, want)
		}
	}
}

// On random data the grid's smECE_σ at the fixed point agrees with the
// direct evaluation, and is a fixed point of it.
func TestSmoothECEQuadrature(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 0))
	for _, n := range []int{10, 200} {
		conf, hit := make([]float64, n), make([]float64, n)
		for i := range n {
			conf[i] = rng.Float64()
			// Miscalibrated: outcomes drawn with probability conf².
			hit[i] = b2f(rng.Float64() < conf[i]*conf[i])
		}
		e, s := calibrate.SmoothECE(conf, hit)
		d := smoothDirect(conf, hit, s)
		// quadTol: the grid's second-order errors at σ ≈ 0.1,
		// (h/σ)² ≈ 6e-6 relative, and the bisection's 1e-7.
		const quadTol = 1e-5
		if math.Abs(e-d) > quadTol*math.Max(d, 1e-3) || math.Abs(e-s) > 1e-6 {
			t.Errorf("n=%d: smECE %v at σ %v; direct %v", n, e, s, d)
		}
		t.Logf("n=%d: smECE %.6f, direct %.6f", n, e, d)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
