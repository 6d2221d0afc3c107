// Package fuzzvec decodes a fuzzer's bytes into vectors of float64 that
// reach every regime the kernels must handle, for the fuzz targets of
// theory and numeric (one decoding, so that a seed means the same vector
// in both). It is imported by tests only.
package fuzzvec

import (
	"encoding/binary"
	"math"
)

// Specials are the edges of style.md: 0, the smallest subnormal, the
// smallest normal, 1e-300, 1e-16, τ_oc^1 = e^−2 and τ_uc^1 = e^−1, 0.2,
// 1/4, 1/3, 1/2 and the next float above it, 1 − 2^−53, 1 − 1e-12 and 1.
var Specials = []float64{
	0, 0x1p-1074, 0x1p-1022, 1e-300, 1e-16, 0.1353352832366127, 0.36787944117144233,
	0.2, 0.25, 1.0 / 3, 0.5, 0.5 + 0x1p-53, 1 - 0x1p-53, 1 - 1e-12, 1,
}

// Decode decodes b into at most maxK values, 9 bytes each: a mode byte and
// 8 bytes of payload u. The modes are arbitrary bit patterns (NaN, ±Inf,
// negatives, > 1), uniform and log-uniform values in (0, 1) down to the
// subnormals, values within 2^−k of 1, the Specials, exact ties with an
// earlier entry, 0, and multiples of 1/1000. Trailing bytes short of 9 are
// ignored.
func Decode(b []byte, maxK int) []float64 {
	var v []float64
	for len(b) >= 9 && len(v) < maxK {
		mode, u := b[0], binary.LittleEndian.Uint64(b[1:9])
		b = b[9:]
		var x float64
		switch mode % 8 {
		case 0:
			x = math.Float64frombits(u)
		case 1:
			x = float64(u>>11) * 0x1p-53
		case 2: // log-uniform in (0, 1), subnormals included
			x = math.Ldexp(1+float64(u>>12)*0x1p-52, -1-int(u%1075))
		case 3: // within 2^−k of 1
			x = 1 - math.Ldexp(float64(u>>11)*0x1p-53, -int(u%54))
		case 4:
			x = Specials[u%uint64(len(Specials))]
		case 5: // a tie
			if len(v) > 0 {
				x = v[u%uint64(len(v))]
			} else {
				x = 0.5
			}
		case 6:
			x = 0
		case 7:
			x = float64(u%1001) / 1000
		}
		v = append(v, x)
	}
	return v
}

// Encode encodes values for Decode (mode 0: the bits themselves), to write
// seeds.
func Encode(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = append(b, 0)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}
