package theory

import "math"

// Sum returns Σ x_i by compensated (Kahan–Babuška–Neumaier) summation: its
// error is at most about 2 ulps of the result plus O(K·ε²)·Σ|x_i|, where a
// plain left-to-right sum of K terms may be off by K ulps. Probabilities
// are summed this way wherever a few ulps matter (for example to compare
// max η/Σ η with a minimizer's largest entry).
func Sum(x []float64) float64 {
	var s neumaier
	for _, v := range x {
		s = s.add(v)
	}
	return s.total()
}

// normalize divides x by its compensated (Neumaier) sum and returns x; a
// zero sum gives all NaN.
func normalize(x []float64) []float64 {
	var sum neumaier
	for _, xi := range x {
		sum = sum.add(xi)
	}
	return scaleBy(x, sum.total())
}

// scaleBy divides x by s and returns x; s = 0 or NaN gives all NaN. It
// multiplies by 1/s rather than dividing by s (one division instead of
// len(x)); each x_i·fl(1/s) is within an ulp of the correctly rounded x_i/s.
func scaleBy(x []float64, s float64) []float64 {
	if s == 0 || math.IsNaN(s) {
		return fillNaN(x)
	}
	inv := 1 / s
	if math.IsInf(inv, 0) {
		// s < 1/MaxFloat64 (a subnormal sum): 1/s overflows, so divide.
		for i := range x {
			x[i] /= s
		}
		return x
	}
	for i := range x {
		x[i] *= inv
	}
	return x
}

// sum4 is a compensated sum in four lanes, the order in which the Ψ
// kernels add (psi_kernel.go, psi_amd64.s): term j goes to lane j mod 4,
// where a TwoSum adds the exact rounding error of each addition to the
// lane's c (the error Neumaier's sum forms with a comparison); total
// combines the lanes the same way, in a tree. Its error is that of
// neumaier, about an ulp of the total for terms of one sign.
type sum4 struct{ s, c [4]float64 }

// add adds term j, h, to lane j mod 4.
func (a *sum4) add(j int, h float64) {
	l := j & 3
	s := a.s[l]
	t := s + h
	bp := t - s
	a.c[l] += (s - (t - bp)) + (h - bp)
	a.s[l] = t
}

// total returns the sum of the lanes: TwoSum of lanes 0 and 1 and of lanes
// 2 and 3, then of those two, the compensations added along.
func (a *sum4) total() float64 {
	s01, e01 := twoSum(a.s[0], a.s[1])
	s23, e23 := twoSum(a.s[2], a.s[3])
	c01 := (a.c[0] + a.c[1]) + e01
	c23 := (a.c[2] + a.c[3]) + e23
	s, e := twoSum(s01, s23)
	return s + ((c01 + c23) + e)
}

// twoSum returns a + b rounded and its exact rounding error (Knuth's
// TwoSum, no branch).
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bp := s - a
	return s, (a - (s - bp)) + (b - bp)
}

// neumaier is a compensated (Neumaier) running sum.
type neumaier struct{ s, c float64 }

// add returns the sum with x added (a value method, so that a sum in a loop
// stays in registers).
func (a neumaier) add(x float64) neumaier {
	t := a.s + x
	if math.Abs(a.s) >= math.Abs(x) {
		a.c += (a.s - t) + x
	} else {
		a.c += (x - t) + a.s
	}
	return neumaier{t, a.c}
}

func (a neumaier) total() float64 { return a.s + a.c }

// fillNaN sets every entry of x to NaN and returns x.
func fillNaN(x []float64) []float64 {
	nan := math.NaN()
	for i := range x {
		x[i] = nan
	}
	return x
}
