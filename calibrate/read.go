package calibrate

// This file holds the first pass over the input (pass1): it reads and
// validates every row and label before any output exists, counts the rows,
// and keeps the validation rows for temperature scaling. The file formats
// themselves are read by io.go's sources.

import (
	"context"
	"errors"
	"io"
	"math"

	"github.com/focaltk/focal/numeric"
)

// valRows holds the validation rows: log raw and log recovered
// probabilities, and labels.
type valRows struct {
	logq, loge []float64
	tgt        Target
	// ignored counts the rows of every kind left out for their label.
	ignored int
}

// pass1 validates the input and labels, counts the rows and collects the
// validation rows.
func (p *pipeline) pass1(ctx context.Context, src *floatSource) (valRows, int, error) {
	o := &p.o
	var vs valRows
	var lab *labelSource
	if o.Labels != "" {
		var err error
		if lab, err = p.openLabels(src); err != nil {
			return vs, 0, err
		}
		defer lab.Close()
		if p.labStamp, err = stampOf(lab.file()); err != nil {
			return vs, 0, err
		}
	}
	b := p.newBlock()
	prog := p.progress("checking", src.rows())
	row := 0
	for {
		if err := ctx.Err(); err != nil {
			return vs, 0, err
		}
		n, err := src.read(b.in)
		if err == io.EOF {
			break
		}
		if err != nil {
			return vs, 0, err
		}
		if err := numeric.ValidateRows(b.in[:n*p.k], p.k, p.kind, p.sumTol, row); err != nil {
			ie := &InputError{File: o.Input, Err: err}
			var re *numeric.RowError
			if errors.As(err, &re) && re.Col < 0 && p.kind == numeric.Simplex {
				// The row's sum is off: Renormalize would accept it.
				ie.Hint = usagef("Renormalize", "{Renormalize} divides each row by its sum")
			}
			return vs, 0, ie
		}
		if lab != nil {
			if err := p.readLabels(lab, b, n, row); err != nil {
				return vs, 0, err
			}
			for _, y := range b.ints[:n] {
				if y == ignored {
					vs.ignored++
				}
			}
			if p.val != nil {
				if err := p.collectVal(b, n, row, &vs); err != nil {
					return vs, 0, err
				}
			}
		}
		row += n
		prog(row)
	}
	prog(-1)
	if row == 0 {
		return vs, 0, &InputError{File: o.Input, Err: errNoRows}
	}
	if lab != nil {
		if err := lab.checkNoMore(o.Labels, row); err != nil {
			return vs, 0, err
		}
	}
	return vs, row, nil
}

// ignored is the label of b.ints of a row whose label is the ignore index.
const ignored = -1

// collectVal transforms the validation rows of a block and keeps their
// log-probabilities.
func (p *pipeline) collectVal(b *block, n, first int, vs *valRows) error {
	k := p.k
	m := 0
	for i := range n {
		if p.val.isVal(first+i) && b.ints[i] != ignored {
			copy(b.in[m*k:(m+1)*k], b.in[i*k:(i+1)*k])
			b.ints[m] = b.ints[i]
			if b.soft != nil {
				copy(b.soft[m*p.kc:(m+1)*p.kc], b.soft[i*p.kc:(i+1)*p.kc])
			}
			m++
		}
	}
	if m == 0 {
		return nil
	}
	p.transform(b, m)
	kc := p.kc
	for i := range m {
		if err := p.checkClasses(b, i, first); err != nil {
			return err
		}
	}
	vs.logq = append(vs.logq, b.lraw[:m*kc]...)
	vs.loge = append(vs.loge, b.lrec[:m*kc]...)
	if p.o.LabelKind == LabelsSoft {
		vs.tgt.Soft = append(vs.tgt.Soft, b.soft[:m*kc]...)
	} else {
		vs.tgt.Labels = append(vs.tgt.Labels, b.ints[:m]...)
	}
	return nil
}

// checkClasses reports a row whose class probabilities are not defined
// (sigmoid outputs that are all 0).
func (p *pipeline) checkClasses(b *block, i, first int) error {
	kc := p.kc
	reason := "every sigmoid output (or its recovery) is 0: no class probabilities for the metrics"
	if p.o.Loss != LossSigmoid {
		reason = "its probabilities (or their recovery) are not finite: no class probabilities for the metrics"
	}
	for _, x := range [][]float64{b.raw[i*kc : (i+1)*kc], b.rec[i*kc : (i+1)*kc]} {
		if math.IsNaN(x[0]) {
			return &InputError{File: p.o.Input, Err: &numeric.RowError{Row: first + i, Col: -1, Value: math.NaN(), Reason: reason}}
		}
	}
	return nil
}
