package calibrate

// This file holds dense predictions: an input of shape (N, d1, …, dm) with
// the K classes on one axis (Options.ClassAxis; PyTorch's segmentation
// outputs N×K×H×W have them on axis 1) is read one sample at a time and
// each sample's K×(d1…dm without the class axis) block is transposed into
// rows of K, one per pixel, which the pipeline transforms and measures as
// any row; the output is transposed back into the input's shape. Labels
// have the input's shape without the class axis. Memory: two samples (the
// block and its rows) for the input, two for the output.

import (
	"fmt"
	"slices"

	"github.com/focaltk/focal/matio"
)

// DefaultClassAxis is the class axis of dense input when
// Options.ClassAxis is 0: axis 1, as PyTorch's N×K×H×W.
const DefaultClassAxis = 1

// maxDenseSample bounds the values of one sample of dense input (K times
// its pixels): the pipeline holds four such buffers of float64 (512 MiB
// at the bound).
const maxDenseSample = 1 << 24

// denseLayout is the layout of one sample of dense input: pre elements
// before the class axis, k classes, post elements after it (products of
// the dimensions, C order); a sample has pre·post pixels.
type denseLayout struct {
	shape          []int // the whole input's shape
	axis           int   // the class axis, in [1, len(shape)−1]
	k, pre, post   int
	labelShape     []int // shape without the class axis
	samples, pixel int   // N, pixels per sample
}

// classAxis resolves Options.ClassAxis for an array of the given shape:
// nil for a matrix (rank ≤ 2, where only axis 1 is allowed), the dense
// layout for rank ≥ 3, or a UsageError for an axis out of range.
func classAxis(path string, axis int, shape []int) (*denseLayout, error) {
	r := len(shape)
	a := axis
	if a == 0 {
		a = DefaultClassAxis
	}
	if a < 0 {
		a += r
	}
	if r <= 2 {
		if axis != 0 && axis != 1 && axis != -1 {
			return nil, usagef("ClassAxis", "{ClassAxis} %d: %s has shape %v, whose classes are its columns (axis 1)", axis, path, shape)
		}
		return nil, nil
	}
	if a < 1 || a >= r {
		return nil, usagef("ClassAxis", "{ClassAxis} %d is out of range for %s of shape %v: the class axis is one of 1..%d (or -%d..-1; axis 0 holds the samples)", axis, path, shape, r-1, r-1)
	}
	l := &denseLayout{shape: shape, axis: a, k: shape[a], pre: 1, post: 1, samples: shape[0]}
	for i := 1; i < r; i++ {
		switch {
		case i < a:
			l.pre *= shape[i]
		case i > a:
			l.post *= shape[i]
		}
		if i != a {
			l.labelShape = append(l.labelShape, shape[i])
		}
	}
	l.labelShape = append([]int{shape[0]}, l.labelShape...)
	l.pixel = l.pre * l.post
	if l.k*l.pixel > maxDenseSample {
		return nil, &InputError{File: path, Err: fmt.Errorf("a sample of shape %v has %d values: at most %d are read at once", shape[1:], l.k*l.pixel, maxDenseSample)}
	}
	return l, nil
}

// toRows transposes one sample (C order) into its pixel rows of k:
// rows[(p·post + q)·k + c] = sample[(p·k + c)·post + q]. The pixels are
// taken transposeTile at a time, so that the rows written and the sample
// lines read stay in cache (a sample is megabytes).
func (l *denseLayout) toRows(rows, sample []float64) {
	k, post := l.k, l.post
	for p := range l.pre {
		for q0 := 0; q0 < post; q0 += transposeTile {
			q1 := min(q0+transposeTile, post)
			for c := range k {
				src := sample[(p*k+c)*post+q0 : (p*k+c)*post+q1]
				dst := rows[(p*post+q0)*k+c:]
				for q, x := range src {
					dst[q*k] = x
				}
			}
		}
	}
}

// fromRows is toRows' inverse.
func (l *denseLayout) fromRows(sample, rows []float64) {
	k, post := l.k, l.post
	for p := range l.pre {
		for q0 := 0; q0 < post; q0 += transposeTile {
			q1 := min(q0+transposeTile, post)
			for c := range k {
				dst := sample[(p*k+c)*post+q0 : (p*k+c)*post+q1]
				src := rows[(p*post+q0)*k+c:]
				for q := range dst {
					dst[q] = src[q*k]
				}
			}
		}
	}
}

// transposeTile is the pixels toRows and fromRows move at a time: 64
// pixels of K classes are 512·K bytes of rows (10 KB at K = 21), with K
// lines of 512 bytes of the sample.
const transposeTile = 64

// denseReader serves the pixel rows of an array of samples.
type denseReader struct {
	a            matio.Array
	l            *denseLayout
	sample, rows []float64
	pos          int // the next row of rows to serve
	have         int // rows of rows filled
}

func newDenseReader(a matio.Array, l *denseLayout) *denseReader {
	n := l.k * l.pixel
	return &denseReader{a: a, l: l, sample: make([]float64, n), rows: make([]float64, n)}
}

// ReadFloats reads up to len(dst)/K pixel rows.
func (d *denseReader) ReadFloats(dst []float64) (int, error) {
	k := d.l.k
	if d.pos == d.have {
		if _, err := d.a.ReadFloats(d.sample); err != nil {
			return 0, err
		}
		d.l.toRows(d.rows, d.sample)
		d.pos, d.have = 0, d.l.pixel
	}
	n := min(len(dst)/k, d.have-d.pos)
	copy(dst, d.rows[d.pos*k:(d.pos+n)*k])
	d.pos += n
	return n, nil
}

// denseWriter collects pixel rows and writes each sample back in the
// input's layout.
type denseWriter struct {
	w            matrixSink
	l            *denseLayout
	sample, rows []float64
	have         int // rows collected
}

func newDenseWriter(w matrixSink, l *denseLayout) *denseWriter {
	n := l.k * l.pixel
	return &denseWriter{w: w, l: l, sample: make([]float64, n), rows: make([]float64, n)}
}

func (d *denseWriter) WriteFloats(src []float64) error {
	k := d.l.k
	for len(src) > 0 {
		n := min(len(src)/k, d.l.pixel-d.have)
		copy(d.rows[d.have*k:], src[:n*k])
		d.have += n
		src = src[n*k:]
		if d.have == d.l.pixel {
			d.l.fromRows(d.sample, d.rows)
			if err := d.w.WriteFloats(d.sample); err != nil {
				return err
			}
			d.have = 0
		}
	}
	return nil
}

func (d *denseWriter) Close() error {
	if d.have != 0 {
		return fmt.Errorf("dense output: a partial sample of %d of %d pixels", d.have, d.l.pixel)
	}
	return d.w.Close()
}

// checkLabelShape returns an InputError unless the labels' shape is the
// input's without the class axis.
func (l *denseLayout) checkLabelShape(path string, a matio.Array) error {
	if !slices.Equal(a.Shape(), l.labelShape) {
		return &InputError{File: path, Err: fmt.Errorf("labels of shape %v: the dense input of shape %v with classes on axis %d needs labels of shape %v", a.Shape(), l.shape, l.axis, l.labelShape)}
	}
	return nil
}

// flatInts serves the labels of an array of several columns (dense labels,
// one per pixel) one at a time, a row of the array at once.
type flatInts struct {
	a    matio.Array
	row  []int64
	pos  int
	have int
}

func (f *flatInts) ReadInts(dst []int64) (int, error) {
	if f.pos == f.have {
		if f.row == nil {
			f.row = make([]int64, f.a.Cols())
		}
		if _, err := f.a.ReadInts(f.row); err != nil {
			return 0, err
		}
		f.pos, f.have = 0, len(f.row)
	}
	n := copy(dst, f.row[f.pos:f.have])
	f.pos += n
	return n, nil
}
