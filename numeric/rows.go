// Validation of probability rows: what the numbers of a matrix must be
// (simplex rows, independent probabilities, logits, unnormalized rows) is a
// statement about probabilities, the same for a matrix read from any file
// format or built in memory, so it lives here beside the kernels that
// require it (PsiRows, SoftmaxRows) rather than in package matio, which
// only decodes files. RowError is the one error type for a bad row: matio's
// readers return it too, for bytes that are not numbers, so that a caller
// handles one type whatever is wrong.
package numeric

import (
	"fmt"
	"math"
	"slices"
)

// RowError reports bad data in one row of a matrix (rows and columns are
// numbered from 0, as NumPy indexes them).
type RowError struct {
	// Row is the offending row.
	Row int
	// Col is the offending column, or -1 when the problem is the whole row
	// (its sum, its length, a missing row).
	Col int
	// Value is the offending value (the row sum for a sum error; NaN when
	// there is no value, such as a field that is not a number: Error then
	// leaves it out, and Reason says what is there).
	Value float64
	// Reason says what is wrong.
	Reason string
}

func (e *RowError) Error() string {
	switch {
	case e.Col < 0:
		return fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	case math.IsNaN(e.Value):
		return fmt.Sprintf("row %d, column %d: %s", e.Row, e.Col, e.Reason)
	}
	return fmt.Sprintf("row %d, column %d: %v: %s", e.Row, e.Col, e.Value, e.Reason)
}

// RowKind says what the rows of a matrix hold, for ValidateRows.
type RowKind int

const (
	// Simplex rows are probability vectors: every entry finite and in
	// [0, 1], and the row sums to 1 within the tolerance.
	Simplex RowKind = iota
	// UnitEntries rows hold independent probabilities (sigmoid outputs):
	// every entry finite and in [0, 1]; the sum is not checked.
	UnitEntries
	// Logits rows hold real scores: every entry finite.
	Logits
	// NonNegative rows are unnormalized probability vectors, to be
	// renormalized: every entry finite and ≥ 0, and the sum positive.
	NonNegative
)

// SumTol32 is the tolerance per class on |Σ_j p_j − 1| of a row of float32
// probabilities: rounding each of K entries to float32 moves the sum by at
// most 2^−24 relative to it, and the model's own softmax in float32 adds a
// few ulps of each entry; 16·2^−24 per class (about 1e-6) covers both with a
// margin, and is far below any meaningful probability mass.
const SumTol32 = 16 * 0x1p-24

// ValidateRows checks the rows of the N×K row-major matrix src as kind
// requires, and returns a *RowError naming the first bad row (numbered from
// first, the index of src's first row in the whole matrix), or nil. For
// Simplex rows, sumTol is the tolerance on |Σ_j p_j − 1|. ValidateRows
// panics if k < 1 or len(src) is not a multiple of k.
func ValidateRows(src []float64, k int, kind RowKind, sumTol float64, first int) error {
	if k < 1 || len(src)%k != 0 {
		panic("numeric: ValidateRows: bad shape")
	}
	for r := 0; r < len(src)/k; r++ {
		row := src[r*k : (r+1)*k]
		var sum float64
		for j, x := range row {
			switch {
			case math.IsNaN(x):
				return &RowError{Row: first + r, Col: j, Value: x, Reason: "NaN, not a finite number"}
			case math.IsInf(x, 0):
				return &RowError{Row: first + r, Col: j, Value: x, Reason: "not a finite number"}
			case kind == Logits:
			case x < 0:
				return &RowError{Row: first + r, Col: j, Value: x, Reason: "negative probability"}
			case x > 1 && kind != NonNegative:
				return &RowError{Row: first + r, Col: j, Value: x, Reason: "probability greater than 1"}
			}
			sum += x
		}
		switch {
		case kind == Simplex && !(math.Abs(sum-1) <= sumTol):
			return &RowError{Row: first + r, Col: -1, Value: sum,
				Reason: fmt.Sprintf("probabilities sum to %v, not 1 within %.3g", sum, sumTol)}
		case kind == NonNegative && !(sum > 0):
			return &RowError{Row: first + r, Col: -1, Value: sum, Reason: "probabilities sum to 0"}
		}
	}
	return nil
}

// RenormalizeRows divides each row of src by its sum, writing into dst
// (which may alias src), and returns dst. Rows must be NonNegative (see
// ValidateRows); a zero row becomes NaN; a row whose sum overflows is
// divided by its largest entry first. It panics on inconsistent shapes.
func RenormalizeRows(dst, src []float64, k int) []float64 {
	n := checkRows(dst, src, k)
	for r := range n {
		row := src[r*k : (r+1)*k]
		var s float64
		for _, x := range row {
			s += x
		}
		d := dst[r*k : (r+1)*k]
		if math.IsInf(s, 1) {
			// The sum overflows (entries near MaxFloat64): divide by
			// the largest entry first, which bounds the sum by k.
			m := slices.Max(row)
			s = 0
			for _, x := range row {
				s += x / m
			}
			for j, x := range row {
				d[j] = x / m / s
			}
			continue
		}
		for j, x := range row {
			d[j] = x / s
		}
	}
	return dst
}
