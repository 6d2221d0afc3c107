package calibrate

// This file holds the files of the pipeline: the error types naming a
// file, the stamps of the files read twice, the --val index file, and the
// output matrix written atomically. The input and label sources are
// source.go's.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/focaltk/focal/matio"
	"github.com/focaltk/focal/outfile"
)

// InputError reports bad input data: a file that cannot be read as a
// matrix, or a bad row (Err is then a *numeric.RowError).
type InputError struct {
	// File is the file the problem is in.
	File string
	Err  error
	// Hint, if not nil, names an option that would accept the input (a row
	// not summing to 1: "Renormalize divides each row by its sum").
	Hint *UsageError
}

func (e *InputError) Error() string {
	msg := e.File + ": " + e.Err.Error()
	if e.Hint != nil {
		msg += " (" + e.Hint.Msg + ")"
	}
	return msg
}

func (e *InputError) Unwrap() error { return e.Err }

// UsageError reports options that are invalid or inconsistent with the
// input (a wrong number of class weights, for instance). Its message names
// the options by their Options field names ("Bins must be positive");
// Text names them as a caller's user knows them (the command line's
// flags).
type UsageError struct {
	// Field is the Options field at fault ("Bins"), or "" when the
	// problem is not one field's.
	Field string
	// Msg is the message, naming options by their field names.
	Msg string
	// format and args make Msg; in format, {Name} stands for the field
	// Name (only there, never in args, so that a file name or a value in
	// args cannot be taken for a field).
	format string
	args   []any
}

func (e *UsageError) Error() string { return e.Msg }

// Text returns the message with each Options field called name(field),
// for instance "--bins" for "Bins".
func (e *UsageError) Text(name func(field string) string) string {
	if e.format == "" {
		return e.Msg
	}
	return fmt.Sprintf(fieldRef.ReplaceAllStringFunc(e.format, func(ref string) string {
		return strings.ReplaceAll(name(ref[1:len(ref)-1]), "%", "%%")
	}), e.args...)
}

// fieldRef matches a field reference {Name} of a UsageError's format.
var fieldRef = regexp.MustCompile(`\{[A-Z][A-Za-z]*\}`)

// usagef returns a UsageError about field; format names options as {Name}.
func usagef(field, format string, a ...any) *UsageError {
	e := &UsageError{Field: field, format: format, args: a}
	e.Msg = e.Text(func(f string) string { return f })
	return e
}

// openError reports a file that cannot be opened (missing, unreadable, a
// directory) as bad input naming it.
func openError(path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &InputError{File: path, Err: err}
}

// Output formats, chosen by the output's name (outputFormat).
const (
	outCSV = iota
	outNpy
	outNpz
	outTorch
)

// OutputNpzKey is the name of the array in an .npz output.
const OutputNpzKey = "probs"

// outputFormat is the format of an output file by its extension: .npy,
// .npz, .pt or .pth (torch.save), anything else CSV.
func outputFormat(path string) int {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".npy":
		return outNpy
	case ".npz":
		return outNpz
	case ".pt", ".pth":
		return outTorch
	}
	return outCSV
}

// fileStamp identifies a version of a file: the pipeline reads its input
// and labels twice and refuses a file whose size or modification time
// changed in between (it would validate one file and transform another).
type fileStamp struct {
	size int64
	mod  time.Time
}

func stampOf(f *os.File) (fileStamp, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileStamp{}, openError(f.Name(), err)
	}
	return fileStamp{fi.Size(), fi.ModTime()}, nil
}

// checkStamp returns an InputError if the open file f is not the version
// of stamp want.
func checkStamp(path string, f *os.File, want fileStamp) error {
	got, err := stampOf(f)
	if err != nil {
		return err
	}
	if got.size != want.size || !got.mod.Equal(want.mod) {
		return &InputError{File: path, Err: errors.New("changed while it was being read (size or modification time differ between the two passes over it)")}
	}
	return nil
}

// readIndexFile reads a file of row indices (.npy integers, or text with
// one integer per line; a first line that is not a number is a header).
// A text entry must be an integer: "1.0" is row 1, "1.5" an error.
func readIndexFile(path string) (map[int64]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	defer f.Close()
	// The file is read once, from the start, and may be a pipe (process
	// substitution): its leading bytes are peeked, not read at an offset.
	br := bufio.NewReaderSize(f, matio.SniffLen)
	head, err := br.Peek(matio.SniffLen)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, openError(path, err)
	}
	format, err := matio.Sniff(head, path)
	if err != nil {
		return nil, &InputError{File: path, Err: err}
	}
	var s *intSource
	switch fi, err := f.Stat(); {
	case err != nil:
		return nil, openError(path, err)
	case format == matio.FormatCSV:
		return readIndexText(path, br)
	case format == matio.FormatNpy && !fi.Mode().IsRegular():
		a, err := matio.NewNpyReader(br)
		if err != nil {
			return nil, &InputError{File: path, Err: err}
		}
		if a.Cols() != 1 {
			return nil, &InputError{File: path, Err: fmt.Errorf("need a 1-D array of row indices, got shape %v", a.Shape())}
		}
		s = &intSource{path: path, arr: a}
	case !fi.Mode().IsRegular():
		return nil, &InputError{File: path, Err: errors.New("a zip archive (.npz, torch.save) must be a regular file, not a pipe")}
	default:
		if s, err = newIntSource(path, f, "", "", "", nil); err != nil {
			return nil, err
		}
	}
	set := map[int64]bool{}
	buf := make([]int64, 4096)
	for {
		n, err := s.read(buf)
		if err == io.EOF {
			return set, nil
		}
		if err != nil {
			return nil, err
		}
		for _, v := range buf[:n] {
			set[v] = true
		}
	}
}

// readIndexText reads a text file of row indices from r.
func readIndexText(path string, r io.Reader) (map[int64]bool, error) {
	set := map[int64]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxIndexLine)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		v, err := parseIndex(t)
		if err != nil {
			if _, ferr := strconv.ParseFloat(t, 64); ferr != nil && line == 1 && !errors.Is(ferr, strconv.ErrRange) { // a header
				continue
			}
			return nil, &InputError{File: path, Err: fmt.Errorf("line %d: %q is not a row index: %v", line, t, err)}
		}
		set[v] = true
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line %d is longer than %d bytes: not a file of row indices", line+1, maxIndexLine)
		} else {
			err = openError(path, err).(*InputError).Err
		}
		return nil, &InputError{File: path, Err: err}
	}
	return set, nil
}

// maxIndexLine bounds a line of a text index file (a row index has at most
// 20 characters; the rest is room for spaces and comments).
const maxIndexLine = 4096

// parseIndex reads a row index: an integer, or a number with an integral
// value such as "1.0" or "1e3" (as NumPy's savetxt writes integers stored
// as floats), exactly; anything else is an error.
func parseIndex(t string) (int64, error) {
	if v, err := strconv.ParseInt(t, 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	switch {
	case err != nil:
		return 0, errors.New("not a number")
	case f != math.Trunc(f):
		return 0, errors.New("not an integer")
	case math.Abs(f) >= 0x1p53:
		return 0, errors.New("too large to be read exactly")
	}
	return int64(f), nil
}

// matrixSink writes the output matrix.
type matrixSink interface {
	WriteFloats([]float64) error
	Close() error
}

// output is where the transformed matrix goes: an atomic file, a member
// of the run's outfile.Set (committed with the plot, once both are
// written), or stdout.
type output struct {
	file *outfile.File
	sink matrixSink
}

// createOutput creates the output of rows×cols values (in the layout of
// dense input, for a .npy file, if dense is not nil).
func createOutput(files *outfile.Set, path string, stdout io.Writer, rows, cols int, f32, oneD bool, header []string, dense *denseLayout) (*output, error) {
	o := &output{}
	var w io.Writer = stdout
	if path != "" && path != "-" {
		f, err := files.Create(path)
		if err != nil {
			return nil, err
		}
		o.file, w = f, f
	}
	format := outCSV
	if path != "" && path != "-" {
		format = outputFormat(path)
	}
	shape := []int{rows, cols}
	switch {
	case dense != nil:
		shape = dense.shape
	case oneD:
		shape = shape[:1]
	}
	var err error
	var sink matrixSink
	switch format {
	case outNpy:
		sink, err = matio.NewNpyArrayWriter(w, shape, f32)
	case outNpz:
		sink, err = matio.NewNpzWriter(w, OutputNpzKey, shape, f32)
	case outTorch:
		sink, err = matio.NewTorchWriter(w, shape, f32)
	default:
		sink, err = matio.NewCSVWriter(w, cols, header, f32)
	}
	o.sink = sink
	if err == nil && dense != nil && format != outCSV {
		o.sink = newDenseWriter(sink, dense)
	}
	if err != nil {
		o.abort()
		return nil, err
	}
	return o, nil
}

// finish flushes the matrix; the Set commits the file.
func (o *output) finish() error {
	if err := o.sink.Close(); err != nil {
		o.abort()
		return err
	}
	return nil
}

func (o *output) abort() {
	if o.file != nil {
		o.file.Abort()
	}
}

var errNoRows = errors.New("no rows")
