package calibrate

// This file reads the labels of the pipeline, hard (one class per row,
// Options.IgnoreIndex for rows to leave out) or soft (Options.LabelKind
// LabelsSoft: a distribution over the classes per row), block by block
// beside the input.

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/focaltk/focal/numeric"
)

// Label kinds of Options.LabelKind.
const (
	LabelsClass = "class"
	LabelsSoft  = "soft"
	LabelsMulti = "multi"
)

// labelSource is the open labels file: ints for hard labels, soft for
// soft ones.
type labelSource struct {
	ints *intSource
	soft *floatSource
	// sumTol is the tolerance on a soft row's sum.
	sumTol float64
	// multi: soft holds multi-label targets (K columns in [0, 1]).
	multi bool
}

// openLabels opens Options.Labels as its kind says, and checks a soft
// file's columns against the classes.
func (p *pipeline) openLabels(src *floatSource) (*labelSource, error) {
	o := &p.o
	if o.LabelKind == LabelsClass {
		s, err := openInts(o.Labels, o.LabelColumn, o.LabelsKey, "LabelsKey", src.dense)
		if err != nil {
			return nil, err
		}
		return &labelSource{ints: s}, nil
	}
	if src.dense != nil {
		return nil, usagef("LabelKind", "{LabelKind} %s takes rows of labels: dense input takes class labels (N×d₁×…×d_m integers)", o.LabelKind)
	}
	role := softRole
	if o.LabelKind == LabelsMulti {
		role = multiRole
	}
	s, err := openFloatsAs(o.Labels, o.LabelsKey, 0, role)
	if err != nil {
		return nil, err
	}
	if o.LabelKind == LabelsMulti {
		if c := s.cols(); c != p.k {
			s.Close()
			return nil, &InputError{File: o.Labels, Err: fmt.Errorf("multi-label targets have %d columns: want one per output, %d", c, p.k)}
		}
		return &labelSource{soft: s, multi: true}, nil
	}
	if c := s.cols(); c != p.kc {
		s.Close()
		return nil, &InputError{File: o.Labels, Err: fmt.Errorf("soft labels have %d columns: want one per class, %d", c, p.kc)}
	}
	tol := numeric.SumTol
	if s.f32 || s.csv != nil {
		tol = math.Max(numeric.SumTol, numeric.SumTol32*float64(p.kc))
	}
	return &labelSource{soft: s, sumTol: tol}, nil
}

func (l *labelSource) file() *os.File {
	if l.soft != nil {
		return l.soft.f
	}
	return l.ints.f
}

func (l *labelSource) Close() error { return l.file().Close() }

// readLabels reads and checks the labels of rows first.. first+n−1 into
// b.ints (a hard label equal to Options.IgnoreIndex becoming ignored) or
// b.soft.
func (p *pipeline) readLabels(lab *labelSource, b *block, n, first int) error {
	if lab.soft != nil {
		return p.readSoft(lab, b, n, first)
	}
	// (Hard labels.)
	if err := lab.ints.readFull(b.labels[:n], first); err != nil {
		return err
	}
	for i, y := range b.labels[:n] {
		if y == *p.o.IgnoreIndex {
			b.ints[i] = ignored
			continue
		}
		if y < 0 || y >= int64(p.kc) {
			return &InputError{File: p.o.Labels, Err: &numeric.RowError{Row: first + i, Col: -1, Value: float64(y),
				Reason: fmt.Sprintf("label %d out of range [0, %d) and not the ignore index %d", y, p.kc, *p.o.IgnoreIndex)}}
		}
		b.ints[i] = int(y)
	}
	return nil
}

// readSoft reads n rows of soft labels and checks that each is a
// probability vector (within the input's sum tolerance for its type).
func (p *pipeline) readSoft(lab *labelSource, b *block, n, first int) error {
	kc := p.kc
	if lab.multi {
		kc = p.k
	}
	dst := b.soft[:n*kc]
	got := 0
	for got < n {
		m, err := lab.soft.read(dst[got*kc:])
		if err == io.EOF {
			return &InputError{File: p.o.Labels, Err: &numeric.RowError{Row: first + got, Col: -1, Value: math.NaN(),
				Reason: "no label for this row: fewer labels than input rows"}}
		}
		if err != nil {
			return err
		}
		got += m
	}
	kind := numeric.Simplex
	if lab.multi {
		kind = numeric.UnitEntries
	}
	if err := numeric.ValidateRows(dst, kc, kind, lab.sumTol, first); err != nil {
		return &InputError{File: p.o.Labels, Err: err}
	}
	for i := range n {
		b.ints[i] = 0 // no row of soft labels is ignored
	}
	return nil
}

// checkNoMore returns an InputError if the labels file has rows beyond the
// input's n.
func (lab *labelSource) checkNoMore(path string, n int) error {
	var err error
	var got int
	if lab.soft != nil {
		one := make([]float64, lab.soft.cols())
		got, err = lab.soft.read(one)
	} else {
		var one [1]int64
		got, err = lab.ints.read(one[:])
	}
	if got > 0 || (err != nil && err != io.EOF) {
		if err == nil || err == io.EOF {
			err = fmt.Errorf("more labels than the %d input rows", n)
		}
		var ie *InputError
		if errors.As(err, &ie) {
			return err
		}
		return &InputError{File: path, Err: err}
	}
	return nil
}
