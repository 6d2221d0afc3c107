package matio

import "math"

// Float16ToFloat64 returns the value of the IEEE 754 binary16 number with
// bits h (1 sign bit, 5 exponent bits of bias 15, 10 fraction bits), as
// NumPy's float16 and PyTorch's torch.half store it. Every binary16 value
// is a float64, so the conversion is exact.
//
// Special cases are:
//
//	Float16ToFloat64(0x0000) = +0
//	Float16ToFloat64(0x8000) = −0
//	Float16ToFloat64(0x0001) = 2^−24 (the smallest subnormal)
//	Float16ToFloat64(0x7c00) = +Inf
//	Float16ToFloat64(0xfc00) = −Inf
//	Float16ToFloat64(h) = NaN for an exponent of all ones and a nonzero fraction
func Float16ToFloat64(h uint16) float64 {
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	var v float64
	switch exp {
	case 0: // zero and subnormals: frac · 2^−24
		v = math.Ldexp(frac, -24)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		v = math.Inf(1)
	default: // (1024 + frac) · 2^(exp−25)
		v = math.Ldexp(1024+frac, exp-25)
	}
	if h&0x8000 != 0 {
		v = -v
	}
	return v
}

// BFloat16ToFloat64 returns the value of the bfloat16 number with bits h
// (the upper half of a float32: 1 sign bit, 8 exponent bits, 7 fraction
// bits), as PyTorch's torch.bfloat16 stores it; exact, with the float32
// special cases (subnormals, ±Inf, NaN).
func BFloat16ToFloat64(h uint16) float64 {
	return float64(math.Float32frombits(uint32(h) << 16))
}
