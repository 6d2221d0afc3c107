package jsonfloat_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/focaltk/focal/jsonfloat"
)

// The values JSON lacks are strings, and read back.
func TestNonFinite(t *testing.T) {
	for _, tt := range []struct {
		x    float64
		want string
	}{{math.NaN(), `"NaN"`}, {math.Inf(1), `"+Inf"`}, {math.Inf(-1), `"-Inf"`}} {
		b, err := json.Marshal(jsonfloat.Float(tt.x))
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v, want %s", tt.x, b, err, tt.want)
		}
		var f jsonfloat.Float
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if got := float64(f); !(math.IsNaN(got) && math.IsNaN(tt.x)) && got != tt.x {
			t.Errorf("Unmarshal(%s) = %v, want %v", b, got, tt.x)
		}
	}
	var f jsonfloat.Float
	if err := json.Unmarshal([]byte(`"Inf"`), &f); err != nil || !math.IsInf(float64(f), 1) {
		t.Errorf(`Unmarshal("Inf") = %v, %v, want +Inf`, f, err)
	}
}

// Finite values are JSON numbers in their shortest round-tripping form:
// the digits of known values, and the bits of random ones read back.
func TestShortestRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		x    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "-0"}, {0.1, "0.1"}, {1.0 / 3, "0.3333333333333333"},
		{2, "2"}, {1e21, "1e+21"}, {5e-324, "5e-324"}, {math.MaxFloat64, "1.7976931348623157e+308"},
	} {
		b, err := json.Marshal(jsonfloat.Float(tt.x))
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v, want %s", tt.x, b, err, tt.want)
		}
	}
	const seed = 1
	rng := rand.New(rand.NewPCG(seed, 0))
	for range 10000 {
		x := math.Float64frombits(rng.Uint64())
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		b, err := json.Marshal(jsonfloat.Float(x))
		if err != nil {
			t.Fatalf("Marshal(%v): %v (seed %d)", x, err, seed)
		}
		var f jsonfloat.Float
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("Unmarshal(%s): %v (seed %d)", b, err, seed)
		}
		if math.Float64bits(float64(f)) != math.Float64bits(x) {
			t.Fatalf("%v → %s → %v: not the same bits (seed %d)", x, b, float64(f), seed)
		}
	}
}

// A string that is none of the three names, or any other JSON value, is an
// error naming it.
func TestBadInput(t *testing.T) {
	for _, in := range []string{`"abc"`, `"nan"`, `true`, `[1]`} {
		var f jsonfloat.Float
		err := json.Unmarshal([]byte(in), &f)
		if err == nil || !strings.Contains(err.Error(), "bad number "+in) {
			t.Errorf("Unmarshal(%s) = %v, want an error naming it", in, err)
		}
	}
}
