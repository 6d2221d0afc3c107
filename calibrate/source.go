package calibrate

// This file holds the input and label sources of the pipeline: a file's
// format is decided once, by matio.Sniff from its leading bytes (sniff),
// for the input, the labels and the Val file alike; binary formats (.npy,
// .npz, torch.save) are read through matio.Array, CSV through
// matio.CSVReader, both in row blocks.

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/focaltk/focal/matio"
	"github.com/focaltk/focal/numeric"
)

// sniff decides the format of the open file f (named path) from its
// leading bytes; an unknown format is an InputError naming the formats
// read.
func sniff(path string, f *os.File) (matio.Format, error) {
	head := make([]byte, matio.SniffLen)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return 0, openError(path, err)
	}
	format, err := matio.Sniff(head[:n], path)
	if err != nil {
		return 0, &InputError{File: path, Err: err}
	}
	return format, nil
}

// openArray opens the binary array of f in the given format, chosen by key
// (the Options field keyField sets it; "" if none does): a KeyError
// becomes a UsageError naming that field, other errors InputErrors.
func openArray(path string, f *os.File, format matio.Format, key, keyField string) (matio.Array, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, openError(path, err)
	}
	a, err := matio.OpenArray(f, fi.Size(), format, key)
	var ke *matio.KeyError
	switch {
	case errors.As(err, &ke) && keyField != "":
		return nil, usagef(keyField, "%s: %s ({"+keyField+"})", path, ke.Msg)
	case err != nil:
		return nil, &InputError{File: path, Err: err}
	}
	return a, nil
}

// csvKeyError is the UsageError of a key given for CSV text.
func csvKeyError(path, keyField string) error {
	return usagef(keyField, "%s is CSV text, which holds one table: {"+keyField+"} applies to .npz and torch.save files", path)
}

// floatSource is an open matrix file read in row blocks.
type floatSource struct {
	path   string
	f      *os.File
	arr    matio.Array
	csv    *matio.CSVReader
	dtype  string // the element type of a binary file ("float32"...); "" for CSV
	f32    bool   // the output is float32 (float32 and half-precision input)
	oneD   bool
	header []string
	dense  *denseLayout // dense input (rank ≥ 3), read through dr
	dr     *denseReader
}

// floatRole says what a float file holds: the input (dense allowed, its
// key is Options.Key) or soft or multi-label targets (rows only, the key
// is Options.LabelsKey).
type floatRole struct {
	keyField string // the Options field of the key
	what     string // what the elements are, for messages
	rows     bool   // an N×K (or N) array only, never dense
}

var (
	inputRole = floatRole{keyField: "Key", what: "probabilities or logits"}
	softRole  = floatRole{keyField: "LabelsKey", what: "soft labels", rows: true}
	multiRole = floatRole{keyField: "LabelsKey", what: "multi-label targets", rows: true}
)

// openFloats opens the input path; key chooses the array of an archive,
// axis is Options.ClassAxis.
func openFloats(path, key string, axis int) (*floatSource, error) {
	return openFloatsAs(path, key, axis, inputRole)
}

// openFloatsAs is openFloats for a file of the given role.
func openFloatsAs(path, key string, axis int, role floatRole) (*floatSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	s, err := newFloatSource(path, f, key, axis, role)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func newFloatSource(path string, f *os.File, key string, axis int, role floatRole) (*floatSource, error) {
	s := &floatSource{path: path, f: f}
	format, err := sniff(path, f)
	if err != nil {
		return nil, err
	}
	if format == matio.FormatCSV {
		if key != "" {
			return nil, csvKeyError(path, role.keyField)
		}
		r, err := matio.NewCSVReader(f)
		if err != nil {
			return nil, &InputError{File: path, Err: err}
		}
		if _, err := classAxis(path, axis, []int{-1, r.Cols()}); err != nil {
			return nil, err
		}
		s.csv, s.header = r, r.Header()
		return s, nil
	}
	a, err := openArray(path, f, format, key, role.keyField)
	if err != nil {
		return nil, err
	}
	if role.rows && len(a.Shape()) > 2 {
		return nil, &InputError{File: path, Err: fmt.Errorf("need an N×K array of %s, one row per input row, got shape %v", role.what, a.Shape())}
	}
	if s.dense, err = classAxis(path, axis, a.Shape()); err != nil {
		return nil, err
	}
	if !a.IsFloat() {
		return nil, &InputError{File: path, Err: fmt.Errorf("element type %s: need float16, bfloat16, float32 or float64 %s", a.DType(), role.what)}
	}
	s.arr, s.dtype, s.oneD = a, a.DType(), a.OneD()
	s.f32 = s.dtype != "float64"
	if s.dense != nil {
		s.dr = newDenseReader(a, s.dense)
	}
	return s, nil
}

func (s *floatSource) cols() int {
	if s.dense != nil {
		return s.dense.k
	}
	if s.arr != nil {
		return s.arr.Cols()
	}
	return s.csv.Cols()
}

// rows returns the declared row count, or -1 for CSV.
func (s *floatSource) rows() int {
	if s.dense != nil {
		return s.dense.samples * s.dense.pixel
	}
	if s.arr != nil {
		return s.arr.Rows()
	}
	return -1
}

func (s *floatSource) read(dst []float64) (int, error) {
	var n int
	var err error
	switch {
	case s.dr != nil:
		n, err = s.dr.ReadFloats(dst)
	case s.arr != nil:
		n, err = s.arr.ReadFloats(dst)
	default:
		n, err = s.csv.ReadFloats(dst)
	}
	if err != nil && err != io.EOF {
		err = &InputError{File: s.path, Err: err}
	}
	return n, err
}

func (s *floatSource) Close() error { return s.f.Close() }

// sumTolFor returns the default tolerance on a probability row's sum
// |Σ_j p_j − 1| for K classes of the given element type ("" for CSV):
// numeric.SumTol for float64; max(numeric.SumTol, numeric.SumTol32·K) for
// float32 and CSV (text is often float32 printed); SumTolHalf·K for
// float16 and SumTolBFloat16·K for bfloat16.
func sumTolFor(dtype string, k int) float64 {
	per := numeric.SumTol32
	switch dtype {
	case "float64":
		return numeric.SumTol
	case "float16":
		per = SumTolHalf
	case "bfloat16":
		per = SumTolBFloat16
	}
	return math.Max(numeric.SumTol, per*float64(k))
}

// SumTolHalf is the tolerance per class on |Σ_j p_j − 1| of a row of
// float16 probabilities, 2·2^−11 = 2^−10 (about 1e-3). Rounding each of K
// entries to float16 moves the sum by at most u = 2^−11 relative to it
// (Σ_j u·p_j = u); a softmax computed in half precision by the model adds
// up to about K·u (the rounding of the exponentials, of their running sum
// and of the division, to first order). 2u per class covers both for any
// K ≥ 1 ((K + 1)·u ≤ 2u·K).
const SumTolHalf = 2 * 0x1p-11

// SumTolBFloat16 is SumTolHalf for bfloat16, whose unit roundoff is
// u = 2^−8: 2u = 2^−7 per class (about 7.8e-3).
const SumTolBFloat16 = 2 * 0x1p-8

// intSource is an open label (or index) file: a binary integer array
// (.npy, .npz, torch.save) of shape (N,) or (N, 1), or CSV text with one
// integer column (chosen by name or 0-based index when there are several).
type intSource struct {
	path string
	f    *os.File
	arr  interface{ ReadInts([]int64) (int, error) }
	csv  *matio.CSVReader
	col  int // CSV column to use
}

// openInts opens a label or index file; column chooses a CSV column, key
// the array of an archive (set by the Options field keyField; "" if none);
// dense, if not nil, is the layout of dense input, whose labels are an
// array of its shape without the class axis.
func openInts(path, column, key, keyField string, dense *denseLayout) (*intSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	s, err := newIntSource(path, f, column, key, keyField, dense)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func newIntSource(path string, f *os.File, column, key, keyField string, dense *denseLayout) (*intSource, error) {
	s := &intSource{path: path, f: f}
	format, err := sniff(path, f)
	if err != nil {
		return nil, err
	}
	if dense != nil && format == matio.FormatCSV {
		return nil, &InputError{File: path, Err: fmt.Errorf("CSV labels for dense input: need an integer array of shape %v", dense.labelShape)}
	}
	if format != matio.FormatCSV {
		a, err := openArray(path, f, format, key, keyField)
		if err != nil {
			return nil, err
		}
		if column != "" {
			return nil, usagef("LabelColumn", "{LabelColumn} %q names a column of CSV labels: %s is no CSV file (its labels are one array; with an archive, {LabelsKey} chooses it)", column, path)
		}
		if dense != nil {
			if err := dense.checkLabelShape(path, a); err != nil {
				return nil, err
			}
			s.arr = &flatInts{a: a}
			return s, nil
		}
		if a.Cols() != 1 || len(a.Shape()) > 2 {
			return nil, &InputError{File: path, Err: fmt.Errorf("need a 1-D array of integer labels, got shape %v", a.Shape())}
		}
		s.arr = a
		return s, nil
	}
	if key != "" && keyField != "" {
		return nil, csvKeyError(path, keyField)
	}
	r, err := matio.NewCSVReader(f)
	if err != nil {
		return nil, &InputError{File: path, Err: err}
	}
	s.csv = r
	switch {
	case column == "" && r.Cols() == 1:
	case column == "":
		return nil, usagef("LabelColumn", "%s has %d columns: name the label column ({LabelColumn})", path, r.Cols())
	default:
		s.col = -1
		for i, h := range r.Header() {
			if h == column {
				s.col = i
			}
		}
		if s.col < 0 {
			if i, err := strconv.Atoi(column); err == nil && i >= 0 && i < r.Cols() {
				s.col = i
			}
		}
		if s.col < 0 {
			return nil, usagef("LabelColumn", "%s has no column %q", path, column)
		}
	}
	return s, nil
}

// read reads up to len(dst) labels.
func (s *intSource) read(dst []int64) (int, error) {
	var n int
	var err error
	if s.arr != nil {
		n, err = s.arr.ReadInts(dst)
	} else {
		n, err = s.csv.ReadIntColumn(dst, s.col)
	}
	if err != nil && err != io.EOF {
		err = &InputError{File: s.path, Err: err}
	}
	return n, err
}

func (s *intSource) Close() error { return s.f.Close() }

// readFull reads exactly len(dst) labels for rows first.. of the input, or
// an error naming the first row without a label.
func (s *intSource) readFull(dst []int64, first int) error {
	got := 0
	for got < len(dst) {
		n, err := s.read(dst[got:])
		if err == io.EOF {
			return &InputError{File: s.path, Err: &numeric.RowError{Row: first + got, Col: -1, Value: math.NaN(),
				Reason: "no label for this row: fewer labels than input rows"}}
		}
		if err != nil {
			return err
		}
		got += n
	}
	return nil
}
