package fuzzvec

import (
	"math"
	"testing"
)

// TestRoundTrip checks that Decode inverts Encode bit for bit, NaN and the
// signed zero included, and stops at maxK.
func TestRoundTrip(t *testing.T) {
	in := []float64{math.NaN(), math.Copysign(0, -1), math.Inf(1), 0x1p-1074, 1 - 0x1p-53, 2.5}
	got := Decode(Encode(in...), len(in))
	if len(got) != len(in) {
		t.Fatalf("Decode(Encode(%v)) has %d values", in, len(got))
	}
	for i := range in {
		if math.Float64bits(got[i]) != math.Float64bits(in[i]) {
			t.Errorf("value %d: %v, want %v", i, got[i], in[i])
		}
	}
	if n := len(Decode(Encode(in...), 2)); n != 2 {
		t.Errorf("maxK 2 gave %d values", n)
	}
	if n := len(Decode(Encode(in...)[:8], 5)); n != 0 {
		t.Errorf("8 bytes gave %d values, want 0", n)
	}
}

// TestModes checks each mode's range on one payload per mode.
func TestModes(t *testing.T) {
	u := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f}
	for mode := byte(1); mode < 8; mode++ {
		b := append([]byte{mode}, u...)
		v := Decode(b, 1)
		if len(v) != 1 || !(v[0] >= 0 && v[0] <= 1) {
			t.Errorf("mode %d gave %v, want one value in [0, 1]", mode, v)
		}
	}
}
