package numeric_test

import (
	"errors"
	"math"
	"testing"

	"github.com/focaltk/focal/numeric"
)

func TestValidateRows(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		rows     []float64
		kind     numeric.RowKind
		row, col int
	}{
		{[]float64{0.5, 0.5, 0.2, 0.8}, numeric.Simplex, -1, 0},
		{[]float64{0.5, 0.5, 0.2, 0.7}, numeric.Simplex, 1, -1},
		{[]float64{0.5, 0.5, nan, 0.7}, numeric.Simplex, 1, 0},
		{[]float64{0.5, 0.5, -0.1, 1.1}, numeric.Simplex, 1, 0},
		{[]float64{1.5, -0.5}, numeric.Simplex, 0, 0},
		{[]float64{0.5, 0.7, 0.9, 0.1}, numeric.UnitEntries, -1, 0},
		{[]float64{0.5, 1.7}, numeric.UnitEntries, 0, 1},
		{[]float64{-30, 70, inf, 0}, numeric.Logits, 1, 0},
		{[]float64{-30, 70, 1e300, 0}, numeric.Logits, -1, 0},
		{[]float64{3, 1, 0, 0}, numeric.NonNegative, 1, -1},
		{[]float64{3, 1, 0, 2}, numeric.NonNegative, -1, 0},
	} {
		err := numeric.ValidateRows(c.rows, 2, c.kind, 1e-9, 10)
		var re *numeric.RowError
		switch {
		case c.row < 0 && err != nil:
			t.Errorf("%v kind %d: %v", c.rows, c.kind, err)
		case c.row >= 0 && (!errors.As(err, &re) || re.Row != 10+c.row || re.Col != c.col):
			t.Errorf("%v kind %d: %v, want row %d col %d", c.rows, c.kind, err, 10+c.row, c.col)
		}
	}
	got := numeric.RenormalizeRows(make([]float64, 4), []float64{3, 1, 0, 2}, 2)
	if got[0] != 0.75 || got[1] != 0.25 || got[2] != 0 || got[3] != 1 {
		t.Errorf("RenormalizeRows: %v", got)
	}
}
