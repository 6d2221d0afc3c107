package matio

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/focaltk/focal/numeric"
)

// dtype is an element type of an array file and its decoding, shared by
// the .npy (and .npz) reader and the torch.save reader.
type dtype struct {
	kind  byte // 'f' (float), 'i' (signed), 'u' (unsigned), 'b' (bool)
	size  int  // bytes per element
	bf16  bool // bfloat16 (kind 'f', size 2); otherwise a size-2 float is IEEE binary16
	order binary.ByteOrder
}

// name returns the element type's name as NumPy and PyTorch call it.
func (d dtype) name() string {
	switch {
	case d.bf16:
		return "bfloat16"
	case d.kind == 'b':
		return "bool"
	case d.kind == 'f':
		return fmt.Sprintf("float%d", 8*d.size)
	case d.kind == 'u':
		return fmt.Sprintf("uint%d", 8*d.size)
	}
	return fmt.Sprintf("int%d", 8*d.size)
}

// float reads the floating-point element at b.
func (d dtype) float(b []byte) float64 {
	switch d.size {
	case 8:
		return math.Float64frombits(d.order.Uint64(b))
	case 4:
		return float64(math.Float32frombits(d.order.Uint32(b)))
	}
	if d.bf16 {
		return BFloat16ToFloat64(d.order.Uint16(b))
	}
	return Float16ToFloat64(d.order.Uint16(b))
}

// decodeFloats converts the len(dst) elements at b to float64, exactly for
// float types (integers beyond 2^53 round).
func (d dtype) decodeFloats(dst []float64, b []byte) {
	sz := d.size
	switch {
	case d.kind == 'f' && sz == 8:
		for i := range dst {
			dst[i] = math.Float64frombits(d.order.Uint64(b[i*8:]))
		}
	case d.kind == 'f' && sz == 4:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(d.order.Uint32(b[i*4:])))
		}
	case d.kind == 'f':
		for i := range dst {
			dst[i] = d.float(b[i*2:])
		}
	default:
		for i := range dst {
			dst[i] = float64(d.int(b[i*sz:]))
		}
	}
}

// decodeInts converts the len(dst) elements at b, the elements of rows of
// cols columns starting at row first, to integers. A float element must be
// an integer of magnitude at most 2^53, an unsigned one at most 2^63−1;
// otherwise the *numeric.RowError names its row and column.
func (d dtype) decodeInts(dst []int64, b []byte, first, cols int) error {
	sz := d.size
	for i := range dst {
		switch {
		case d.kind == 'f':
			x := d.float(b[i*sz:])
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return &numeric.RowError{Row: first + i/cols, Col: i % cols, Value: x, Reason: "not an integer"}
			}
			dst[i] = int64(x)
		case d.kind == 'u' && sz == 8:
			u := d.order.Uint64(b[i*8:])
			if u > math.MaxInt64 {
				return &numeric.RowError{Row: first + i/cols, Col: i % cols, Value: float64(u), Reason: "integer too large"}
			}
			dst[i] = int64(u)
		default:
			dst[i] = d.int(b[i*sz:])
		}
	}
	return nil
}

// int decodes one integer or bool element.
func (d dtype) int(b []byte) int64 {
	switch d.kind {
	case 'b':
		if b[0] != 0 {
			return 1
		}
		return 0
	case 'u':
		switch d.size {
		case 1:
			return int64(b[0])
		case 2:
			return int64(d.order.Uint16(b))
		case 4:
			return int64(d.order.Uint32(b))
		}
		return int64(d.order.Uint64(b))
	}
	switch d.size {
	case 1:
		return int64(int8(b[0]))
	case 2:
		return int64(int16(d.order.Uint16(b)))
	case 4:
		return int64(int32(d.order.Uint32(b)))
	}
	return int64(d.order.Uint64(b))
}
