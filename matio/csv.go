package matio

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/focaltk/focal/numeric"
)

// CSVReader reads a matrix of numbers from CSV text as a stream of row
// blocks: one row per record, the same number of fields in every record,
// and an optional header record. The first record is a header if one of
// its fields is not a number (so a header of column names is recognized and
// a matrix whose first row is numeric is not mistaken for one); a number
// out of the range of float64 (1e400) is an error there as anywhere, not a
// header. A UTF-8 byte order mark before the first record is skipped.
// Fields may be padded with spaces; "nan" and "inf" parse (and fail
// validation later). Lines starting with '#' are comments. A line longer
// than MaxCSVLine bytes is an error, so that input without newlines
// (/dev/zero) cannot take unbounded memory.
type CSVReader struct {
	r      *csv.Reader
	lines  *lineLimiter
	cols   int
	header []string
	first  []string // first data record, read while detecting the header
	next   int      // index of the next data row
}

// MaxCSVLine is the longest CSV line, and the longest record (a quoted
// field may span lines), that CSVReader reads, in bytes: 4 MiB holds a row
// of more than 10^5 numbers written in full precision (at most 25 bytes
// each), far beyond any class count, while bounding the memory a line
// without an end can take.
const MaxCSVLine = 4 << 20

// utf8BOM is the byte order mark some tools (Excel, PowerShell) write at
// the start of UTF-8 text.
const utf8BOM = "\ufeff"

// NewCSVReader reads the first record (and the second, if the first is a
// header) to learn the column count.
func NewCSVReader(r io.Reader) (*CSVReader, error) {
	lim := &lineLimiter{r: r, line: 1}
	br := bufio.NewReaderSize(lim, bufSize)
	if b, err := br.Peek(len(utf8BOM)); err == nil && string(b) == utf8BOM {
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // checked here, to name the row
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	cr.Comment = '#'
	c := &CSVReader{r: cr, lines: lim}
	rec, err := c.read()
	if err == io.EOF {
		return nil, fmt.Errorf("csv: empty input")
	}
	if err != nil {
		return nil, err
	}
	c.cols = len(rec)
	header := false
	for j, f := range rec {
		_, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if errors.Is(err, strconv.ErrRange) {
			// A number, so not a header, but not one a float64 holds.
			return nil, c.fieldError(j, f)
		}
		header = header || err != nil
	}
	if header {
		c.header = append([]string(nil), rec...)
		for i := range c.header {
			c.header[i] = strings.TrimSpace(c.header[i])
		}
	} else {
		c.first = append([]string(nil), rec...)
	}
	return c, nil
}

// read reads the next record, turning the errors of the CSV syntax and of
// the line limit into errors that name the line.
func (c *CSVReader) read() ([]string, error) {
	c.lines.record = 0
	rec, err := c.r.Read()
	switch {
	case err == nil || err == io.EOF:
		return rec, err
	case errors.Is(err, errLineTooLong):
		return nil, fmt.Errorf("csv: line %d longer than %d bytes", c.lines.line, MaxCSVLine)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, &numeric.RowError{Row: c.next, Col: -1, Value: math.NaN(), Reason: fmt.Sprintf("CSV line %d: %v", pe.Line, pe.Err)}
	}
	return nil, fmt.Errorf("csv: %w", err)
}

// fieldError reports field j of the record just read (text f) as not a
// number, or as a number out of the range of float64, naming its row, its
// column and its line.
func (c *CSVReader) fieldError(j int, f string) error {
	line, _ := c.r.FieldPos(j)
	f = strings.TrimSpace(f)
	reason := fmt.Sprintf("%q is not a number (line %d)", f, line)
	if _, err := strconv.ParseFloat(f, 64); errors.Is(err, strconv.ErrRange) {
		reason = fmt.Sprintf("%s is out of the range of float64 (line %d)", f, line)
	}
	return &numeric.RowError{Row: c.next, Col: j, Value: math.NaN(), Reason: reason}
}

// errLineTooLong is lineLimiter's error.
var errLineTooLong = errors.New("line too long")

// lineLimiter passes its reader's bytes through until a line, or the
// record being read (reset by CSVReader.read), exceeds MaxCSVLine bytes,
// and then fails; it counts lines, for the message.
type lineLimiter struct {
	r           io.Reader
	line        int // the line being read, from 1
	col, record int // bytes since the last newline, and since the record began
	tooLong     bool
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	if l.tooLong {
		return 0, errLineTooLong
	}
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		l.col++
		l.record++
		if b == '\n' {
			l.line++
			l.col = 0
		}
		if l.col > MaxCSVLine || l.record > MaxCSVLine+bufSize {
			// The reader above buffers up to bufSize bytes ahead of the
			// record it parses, hence the slack on the record.
			l.tooLong = true
			return i, errLineTooLong
		}
	}
	return n, err
}

// Rows returns -1: the row count of CSV text is known only at its end.
func (c *CSVReader) Rows() int { return -1 }

// Cols returns the number of columns.
func (c *CSVReader) Cols() int { return c.cols }

// Header returns the column names, or nil if there is no header.
func (c *CSVReader) Header() []string { return c.header }

// record returns the next data record.
func (c *CSVReader) record() ([]string, error) {
	if c.first != nil {
		rec := c.first
		c.first = nil
		return rec, nil
	}
	return c.read()
}

// ReadFloats reads the next rows into dst, as many as fit
// (len(dst)/Cols()), and returns how many, or io.EOF after the last. A record
// with the wrong number of fields or a field that is not a number gives a
// *RowError naming the row.
func (c *CSVReader) ReadFloats(dst []float64) (int, error) {
	return c.readRows(len(dst)/c.cols, c.cols, func(n int, rec []string) error {
		row := dst[n*c.cols : (n+1)*c.cols]
		for j, f := range rec {
			x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return c.fieldError(j, f)
			}
			row[j] = x
		}
		return nil
	})
}

// readRows reads up to want records of c.cols fields (per: the columns a
// row fills in the destination, for the error message), passing the n-th
// to parse, and returns how many it read, or io.EOF after the last. A
// record with the wrong number of fields is a *RowError naming the row.
func (c *CSVReader) readRows(want, per int, parse func(n int, rec []string) error) (int, error) {
	if want < 1 {
		return 0, fmt.Errorf("csv: destination holds no row of %d columns", per)
	}
	n := 0
	for n < want {
		rec, err := c.record()
		if err == io.EOF {
			if n == 0 {
				return 0, io.EOF
			}
			break
		}
		if err != nil {
			return 0, err
		}
		if len(rec) != c.cols {
			return 0, &numeric.RowError{Row: c.next, Col: -1, Value: math.NaN(),
				Reason: fmt.Sprintf("has %d columns, want %d", len(rec), c.cols)}
		}
		if err := parse(n, rec); err != nil {
			return 0, err
		}
		c.next++
		n++
	}
	return n, nil
}

// ReadInts reads the next rows of an integer matrix into dst, like
// ReadFloats; a field that is not an integer gives a *RowError. Integral
// floats ("3.0") are accepted, as written by tools that store labels as
// floats.
func (c *CSVReader) ReadInts(dst []int64) (int, error) {
	return c.readInts(dst, -1)
}

// ReadIntColumn reads the integers of column col of the next len(dst) rows
// into dst, ignoring the other columns (which may hold anything), and
// returns how many rows it read, or io.EOF after the last.
func (c *CSVReader) ReadIntColumn(dst []int64, col int) (int, error) {
	if col < 0 || col >= c.cols {
		return 0, fmt.Errorf("csv: no column %d of %d", col, c.cols)
	}
	return c.readInts(dst, col)
}

// readInts reads all columns (col < 0) or one.
func (c *CSVReader) readInts(dst []int64, col int) (int, error) {
	per := c.cols
	if col >= 0 {
		per = 1
	}
	return c.readRows(len(dst)/per, per, func(n int, rec []string) error {
		for j, f := range rec {
			if col >= 0 && j != col {
				continue
			}
			v, err := parseInt(f)
			if err != nil {
				line, _ := c.r.FieldPos(j)
				return &numeric.RowError{Row: c.next, Col: j, Value: math.NaN(), Reason: fmt.Sprintf("%v (line %d)", err, line)}
			}
			if col >= 0 {
				dst[n] = v
			} else {
				dst[n*c.cols+j] = v
			}
		}
		return nil
	})
}

// parseInt parses an integer, or a float with an integral value.
func parseInt(f string) (int64, error) {
	f = strings.TrimSpace(f)
	v, err := strconv.ParseInt(f, 10, 64)
	if err == nil {
		return v, nil
	}
	x, ferr := strconv.ParseFloat(f, 64)
	if ferr != nil || x != math.Trunc(x) || math.Abs(x) > 1<<53 {
		return 0, fmt.Errorf("%q is not an integer", f)
	}
	return int64(x), nil
}

// CSVWriter writes rows of numbers as CSV text, each number in the shortest
// form that parses back to the same float64 (or float32, if f32).
type CSVWriter struct {
	w    *bufio.Writer
	cols int
	f32  bool
	buf  []byte
}

// NewCSVWriter returns a writer of rows of cols numbers, writing the header
// first if it is not nil (it must then have cols names).
func NewCSVWriter(w io.Writer, cols int, header []string, f32 bool) (*CSVWriter, error) {
	if cols < 1 || (header != nil && len(header) != cols) {
		return nil, fmt.Errorf("csv: invalid header or column count")
	}
	cw := &CSVWriter{w: bufio.NewWriterSize(w, bufSize), cols: cols, f32: f32}
	if header != nil {
		hw := csv.NewWriter(cw.w)
		if err := hw.Write(header); err != nil {
			return nil, err
		}
		hw.Flush()
		if err := hw.Error(); err != nil {
			return nil, err
		}
	}
	return cw, nil
}

// WriteFloats writes whole rows; len(src) must be a multiple of the column
// count.
func (c *CSVWriter) WriteFloats(src []float64) error {
	if len(src)%c.cols != 0 {
		panic("matio: CSVWriter.WriteFloats: partial row")
	}
	bits := 64
	if c.f32 {
		bits = 32
	}
	for r := 0; r < len(src)/c.cols; r++ {
		b := c.buf[:0]
		for j, x := range src[r*c.cols : (r+1)*c.cols] {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, x, 'g', -1, bits)
		}
		b = append(b, '\n')
		c.buf = b
		if _, err := c.w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// Close flushes the buffered text; it does not close the underlying writer.
func (c *CSVWriter) Close() error { return c.w.Flush() }
