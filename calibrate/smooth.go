package calibrate

// This file holds the smooth ECE of Błasiok and Nakkiran (2023): the
// residuals y − f smoothed by a reflected Gaussian kernel, at the bandwidth
// that equals the result.

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Parameters of SmoothECE's discretization and bandwidth search.
const (
	// smoothGrid is the number of cells of [0, 1] on which the residuals
	// are deposited and the smoothed residual integrated (midpoint rule).
	// The linear deposit and the midpoint rule are second order in the
	// cell width h = 1/4096: errors of order (h/σ)², below 1e-5 relative
	// for σ ≥ 0.01; TestSmoothECEQuadrature measures the difference to a
	// direct evaluation with adaptive quadrature.
	smoothGrid = 4096
	// smoothMinSigma is the smallest bandwidth searched: two cells. A
	// smECE below it is reported at this bandwidth (the data are then
	// calibrated to within the grid's resolution).
	smoothMinSigma = 2.0 / smoothGrid
	// smoothSigmaTol ends the bisection for the fixed point σ = smECE_σ:
	// both are then known to 1e-7, far below any calibration error of
	// interest and above the FFT's rounding (~1e-13).
	smoothSigmaTol = 1e-7
)

// SmoothECE returns the smooth ECE of Błasiok and Nakkiran ("Smooth ECE:
// principled reliability diagrams via kernel smoothing", ICLR 2024) of the
// predictions conf[i] ∈ [0, 1] with outcomes hit[i] ∈ [0, 1], and its
// bandwidth σ*. For a bandwidth σ,
//
//	smECE_σ = ∫₀¹ |(1/N) Σ_i K_σ(t, f_i)(y_i − f_i)| dt,
//
// with K_σ the Gaussian kernel of standard deviation σ reflected at 0 and
// 1 (so that it keeps its unit mass on [0, 1]); smECE_σ does not increase
// with σ, and σ* is the fixed point smECE_σ* = σ*, found by bisection on
// [smoothMinSigma, 1]. The result is then smECE_σ* = σ*. The residuals are
// deposited linearly on smoothGrid cells, convolved with the kernel by FFT
// (gonum/dsp/fourier; the kernel's transform in closed form) on the
// mirrored grid of period 2, and integrated by
// the midpoint rule. It returns 0, 0 for no data and panics if
// len(conf) != len(hit).
func SmoothECE(conf, hit []float64) (ece, sigma float64) {
	if len(conf) != len(hit) {
		panic("calibrate: length mismatch")
	}
	if len(conf) == 0 {
		return 0, 0
	}
	s := newSmoother(len(conf), func(i int) (float64, float64) { return conf[i], hit[i] })
	return s.fixedPoint()
}

// smoother holds the transform of the deposited residuals, reused for
// every bandwidth.
type smoother struct {
	fft   *fourier.FFT
	res   []complex128 // transform of the mirrored residual density
	kc    []complex128
	out   []float64
	scale float64 // 1/N
}

// newSmoother deposits the residuals of n pairs at(i) = (f_i, y_i).
func newSmoother(n int, at func(int) (float64, float64)) *smoother {
	const m = smoothGrid
	dens := make([]float64, 2*m) // cells 0..m−1, then their mirror image
	for i := range n {
		f, y := at(i)
		r := y - f
		x := f*m - 0.5 // position in cell-midpoint coordinates
		k0 := int(math.Floor(x))
		w := x - float64(k0)
		// Reflection at 0 and 1: the cell −1 is the mirror of cell 0,
		// the cell m that of cell m−1.
		for _, c := range [2]struct {
			k int
			w float64
		}{{k0, 1 - w}, {k0 + 1, w}} {
			k := min(max(c.k, 0), m-1)
			if c.k < 0 {
				k = -1 - c.k
			} else if c.k >= m {
				k = 2*m - 1 - c.k
			}
			dens[k] += c.w * r
		}
	}
	for k := range m {
		dens[2*m-1-k] = dens[k]
	}
	fft := fourier.NewFFT(2 * m)
	return &smoother{fft: fft, res: fft.Coefficients(nil, dens),
		kc: make([]complex128, m+1), out: make([]float64, 2*m), scale: 1 / float64(n)}
}

// at returns smECE_σ.
func (s *smoother) at(sigma float64) float64 {
	const m = smoothGrid
	// The kernel's transform: the wrapped Gaussian of unit mass on the
	// circle of length 2 has Fourier coefficients ½·exp(−(πσν)²/2) at
	// frequency ν/2; sampled at the 2m cells as the midpoint rule's
	// weights φ(d/m)/m, its DFT is exp(−(πσν)²/2) up to aliases, the
	// largest exp(−(2πσm)²/2) < e^{−78} at σ ≥ smoothMinSigma.
	for i := range s.kc {
		u := math.Pi * sigma * float64(i)
		s.kc[i] = s.res[i] * complex(math.Exp(-u*u/2), 0)
	}
	s.fft.Sequence(s.out, s.kc)
	// Sequence(Coefficients(·)) multiplies by the length 2m; the kernel's
	// 1/m is the midpoint rule's weight of ∫₀¹ dt.
	var sum float64
	for _, v := range s.out[:m] {
		sum += math.Abs(v)
	}
	return sum * s.scale / (2 * m)
}

// fixedPoint returns σ* and smECE_σ* by bisection on smECE_σ − σ, which
// decreases in σ.
func (s *smoother) fixedPoint() (ece, sigma float64) {
	lo, hi := smoothMinSigma, 1.0
	if v := s.at(lo); v <= lo {
		return v, lo
	}
	for hi-lo > smoothSigmaTol {
		mid := (lo + hi) / 2
		if s.at(mid) > mid {
			lo = mid
		} else {
			hi = mid
		}
	}
	sigma = (lo + hi) / 2
	return s.at(sigma), sigma
}

// smoothECE is the top-label SmoothECE of the rows added so far.
func (a *Accumulator) smoothECE() (float64, float64) {
	if a.n == 0 {
		return 0, 0
	}
	s := newSmoother(len(a.conf), func(i int) (float64, float64) {
		c := a.conf[i]
		if a.hit != nil {
			return c, a.hit[i]
		}
		return math.Abs(c), b2f(!math.Signbit(c))
	})
	return s.fixedPoint()
}
