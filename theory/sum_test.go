package theory

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// sumULPs bounds Sum's error in ulps of the exact sum for the nonnegative
// inputs tested (Neumaier's bound: 2 ulps plus K·ε² relative terms).
const sumULPs = 2

// TestSum checks Sum against the exact sum (math/big at 2200 bits, exact
// for sums of float64 values) on seeded random probability-like vectors,
// including ones a plain sum gets wrong by many ulps.
func TestSum(t *testing.T) {
	const seed = 20261125
	rng := rand.New(rand.NewPCG(seed, 1))
	for n := 0; n < 2000; n++ {
		k := 1 + rng.IntN(3000)
		x := make([]float64, k)
		for i := range x {
			x[i] = math.Pow(10, -20*rng.Float64()) * rng.Float64()
		}
		if n%3 == 0 {
			x[rng.IntN(k)] = 1 - 1e-12 // one large entry among many tiny ones
		}
		exact := new(big.Float).SetPrec(2200)
		for _, v := range x {
			exact.Add(exact, big.NewFloat(v))
		}
		want, _ := exact.Float64()
		got := Sum(x)
		if d := math.Abs(got - want); d > sumULPs*ulpOf(want) {
			t.Fatalf("case %d (seed %d, K=%d): Sum = %v, exact %v (%.3g ulps)", n, seed, k, got, want, d/ulpOf(want))
		}
	}
	if got := Sum(nil); got != 0 {
		t.Errorf("Sum(nil) = %v, want 0", got)
	}
}

// ulpOf returns the spacing of float64 numbers at |v|.
func ulpOf(v float64) float64 {
	v = math.Abs(v)
	return math.Nextafter(v, math.Inf(1)) - v
}
