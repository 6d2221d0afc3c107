package theory

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
