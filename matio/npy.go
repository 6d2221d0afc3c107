package matio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"

	"github.com/focaltk/focal/numeric"
)

// NpyReader reads a 1-D or 2-D array from a NumPy .npy file as a stream of
// row blocks, so that a file of any size is read with memory bounded by the
// caller's block. A 2-D array of shape (N, K) has N rows of K columns; a 1-D
// array of shape (N,) has N rows of one column. The header is parsed by
// codeberg.org/sbinet/npyio; the data are decoded here, block by block.
//
// Supported element types: float16, float32 and float64 ('f2', 'f4', 'f8'),
// signed and unsigned integers of 1, 2, 4 and 8 bytes, and bool ('b1'), in
// either byte order. A 2-D array must be in C order (fortran_order False).
type NpyReader struct {
	rowDecoder
	r     *bufio.Reader
	oneD  bool
	shape []int
	rows  int
	descr string
}

// NewNpyReader parses the header of a .npy stream and returns a reader
// positioned at the first row. It returns an error for a malformed header,
// an unsupported element type, more than 2 dimensions, or a 2-D array in
// Fortran order.
func NewNpyReader(r io.Reader) (*NpyReader, error) {
	rd, err := NewNpyArray(r)
	if err != nil {
		return nil, err
	}
	if err := checkMatrix(rd.shape); err != nil {
		return nil, err
	}
	return rd, nil
}

// checkMatrix returns an error unless shape is that of a 1-D or 2-D array.
func checkMatrix(shape []int) error {
	if len(shape) != 1 && len(shape) != 2 {
		return fmt.Errorf("need a 1-D or 2-D array, got shape %v", shape)
	}
	return nil
}

// NewNpyArray is NewNpyReader for an array of any rank ≥ 1 in C order: a
// shape (N, d1, …, dm) is read as N rows of d1·…·dm columns (Shape returns
// the whole shape).
func NewNpyArray(r io.Reader) (*NpyReader, error) {
	br := bufio.NewReaderSize(r, bufSize)
	// The header parser of npyio allocates the length the preamble declares
	// (up to 4 GiB in version 2) and slices the dictionary without bounds
	// checks, so the length is checked here and a panic becomes an error.
	var dict []byte // the header's dictionary, for messages
	if pre, err := br.Peek(12); err == nil && string(pre[:6]) == string(npy.Magic[:]) {
		n, off := int(binary.LittleEndian.Uint16(pre[8:10])), 10
		if pre[6] >= 2 {
			n, off = int(binary.LittleEndian.Uint32(pre[8:12])), 12
		}
		if n > maxNpyHeader {
			return nil, fmt.Errorf("npy: header of %d bytes (at most %d supported)", n, maxNpyHeader)
		}
		if b, err := br.Peek(off + n); err == nil {
			dict = b[off:]
		}
	}
	nr, err := parseNpyHeader(br)
	if err != nil {
		return nil, npyHeaderError(err, dict)
	}
	h := nr.Header
	descr := strings.Trim(strings.TrimSpace(h.Descr.Type), `'"`)
	rd := &NpyReader{r: br, descr: descr}
	rd.fill = rd.readRaw
	if err := rd.parseDescr(descr); err != nil {
		return nil, err
	}
	shape := h.Descr.Shape
	if len(shape) == 0 {
		return nil, fmt.Errorf("npy: need an array of rank 1 or more, got a scalar (shape ())")
	}
	if h.Descr.Fortran && len(shape) > 1 && nontrivial(shape) > 1 {
		return nil, fmt.Errorf("npy: array is in Fortran order; save it in C order (numpy.ascontiguousarray)")
	}
	cols, err := rowLength(shape)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	rd.shape, rd.rows, rd.cols, rd.oneD = shape, shape[0], cols, len(shape) == 1
	return rd, nil
}

// maxNpyHeader bounds the header length NewNpyReader accepts: NumPy itself
// refuses to read headers above 10000 bytes unless told otherwise; the
// bound lets the whole header fit in the read buffer (with the 12 bytes
// before it), where the messages quote it from.
const maxNpyHeader = bufSize - 12

// shapeRe finds the shape entry of a header's dictionary.
var shapeRe = regexp.MustCompile(`'shape'\s*:\s*\([^)]*\)?`)

// npyHeaderError says in the file's terms what npyio's header parser
// found wrong, given the dictionary (nil if it could not be read):
// npyio's own messages name the file's fields, except for a shape that is
// not a tuple of integers, which it reports with the message of the Go
// function that parsed it.
func npyHeaderError(err error, dict []byte) error {
	msg := err.Error()
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("npy: truncated header")
	case strings.Contains(msg, "strconv."):
		if sh := shapeRe.Find(dict); sh != nil {
			return fmt.Errorf("npy: header's %s is not a tuple of integers below 2^63", sh)
		}
		return errors.New("npy: header's shape is not a tuple of integers below 2^63")
	case strings.HasPrefix(msg, "npy: "): // npyio's errors have the prefix already
		return err
	}
	return fmt.Errorf("npy: %w", err)
}

// parseNpyHeader runs npyio's header parser, turning its panics on
// malformed dictionaries into errors.
func parseNpyHeader(r io.Reader) (nr *npy.Reader, err error) {
	defer func() {
		if recover() != nil {
			nr, err = nil, errors.New("malformed header")
		}
	}()
	return npy.NewReader(r)
}

func (r *NpyReader) parseDescr(d string) error {
	if len(d) != 3 {
		return fmt.Errorf("npy: unsupported element type %q", d)
	}
	switch d[0] {
	case '<', '|', '=':
		r.dt.order = binary.LittleEndian
	case '>':
		r.dt.order = binary.BigEndian
	default:
		return fmt.Errorf("npy: unsupported element type %q", d)
	}
	r.dt.kind = d[1]
	switch d[1:] {
	case "f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1":
		r.dt.size = int(d[2] - '0')
	default:
		return fmt.Errorf("npy: unsupported element type %q (need float16, float32, float64, integer or bool)", d)
	}
	return nil
}

// nontrivial returns the number of dimensions of shape longer than 1.
func nontrivial(shape []int) int {
	n := 0
	for _, d := range shape {
		if d != 1 {
			n++
		}
	}
	return n
}

// maxElements bounds the product of a shape's dimensions after the first
// (a row), so that a header cannot make the product overflow; MaxInt32 is
// far above any row a caller reads (calibrate's MaxClasses).
const maxElements = math.MaxInt32

// rowLength returns the elements of a row of an array of the given shape
// (the product of the dimensions after the first; 1 for a 1-D array), or
// an error for a negative dimension or a row of more than maxElements.
func rowLength(shape []int) (int, error) {
	n := 1
	for i, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("invalid shape %v", shape)
		}
		if i == 0 {
			continue
		}
		if d == 0 {
			return 0, fmt.Errorf("invalid shape %v: rows of no element", shape)
		}
		if n > maxElements/d {
			return 0, fmt.Errorf("shape %v: rows of more than %d elements", shape, maxElements)
		}
		n *= d
	}
	return n, nil
}

// Rows returns the number of rows declared by the header.
func (r *NpyReader) Rows() int { return r.rows }

// Cols returns the number of columns (1 for a 1-D array).
func (r *NpyReader) Cols() int { return r.cols }

// OneD reports whether the array is 1-D (shape (N,)).
func (r *NpyReader) OneD() bool { return r.oneD }

// Shape returns the array's shape.
func (r *NpyReader) Shape() []int { return r.shape }

// Descr returns the NumPy element type, such as "<f4".
func (r *NpyReader) Descr() string { return r.descr }

// DType returns the element type's name: "float16", "float32", "int64",
// "bool"...
func (r *NpyReader) DType() string { return r.dt.name() }

// IsFloat reports whether the elements are floating-point numbers.
func (r *NpyReader) IsFloat() bool { return r.dt.kind == 'f' }

// ReadFloats reads the next rows into dst, as many as fit (len(dst)/Cols()),
// converting every element to float64 exactly (integers beyond 2^53 round).
// It returns the number of rows read, and io.EOF once every row has been
// read. A file shorter than its header declares gives an error naming the
// first missing row.
func (r *NpyReader) ReadFloats(dst []float64) (int, error) { return r.rowDecoder.ReadFloats(dst) }

// ReadInts reads the next rows into dst, like ReadFloats, for integer and
// bool arrays; a float array is accepted only where every element is an
// integer (a label array saved as floats), otherwise the error names the
// row. Unsigned values above 2^63−1 are an error.
func (r *NpyReader) ReadInts(dst []int64) (int, error) { return r.rowDecoder.ReadInts(dst) }

// rowDecoder is what the readers of .npy and torch.save files share: the
// element type, the row length, the next row, the raw buffer, and the
// decoding of rows that fill reads into buf.
type rowDecoder struct {
	dt   dtype
	cols int
	next int // index of the next row to read
	buf  []byte
	// fill reads up to want rows' raw elements into buf and returns how
	// many, advancing next (io.EOF after the last row).
	fill func(want int) (int, error)
}

// ReadFloats reads the next rows into dst (see Array).
func (r *rowDecoder) ReadFloats(dst []float64) (int, error) {
	n, err := r.fill(len(dst) / r.cols)
	if err != nil {
		return 0, err
	}
	r.dt.decodeFloats(dst[:n*r.cols], r.buf)
	return n, nil
}

// ReadInts reads the next rows into dst (see Array).
func (r *rowDecoder) ReadInts(dst []int64) (int, error) {
	n, err := r.fill(len(dst) / r.cols)
	if err != nil {
		return 0, err
	}
	if err := r.dt.decodeInts(dst[:n*r.cols], r.buf, r.next-n, r.cols); err != nil {
		return 0, err
	}
	return n, nil
}

// readRaw reads up to want rows into r.buf and returns how many.
func (r *NpyReader) readRaw(want int) (int, error) {
	if want < 1 {
		return 0, fmt.Errorf("npy: destination holds no row of %d columns", r.cols)
	}
	left := r.rows - r.next
	if left == 0 {
		return 0, io.EOF
	}
	n := min(want, left)
	nb := n * r.cols * r.dt.size
	if cap(r.buf) < nb {
		r.buf = make([]byte, nb)
	}
	r.buf = r.buf[:nb]
	got, err := io.ReadFull(r.r, r.buf)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			row := r.next + got/(r.cols*r.dt.size)
			return 0, &numeric.RowError{Row: row, Col: -1, Value: math.NaN(),
				Reason: fmt.Sprintf("file ends early (header declares %d rows)", r.rows)}
		}
		return 0, err
	}
	r.next += n
	return n, nil
}

// NpyWriter writes a 2-D float array (or a 1-D one, for one column) to a
// .npy stream: the header first, from the shape given up front, then rows in
// blocks. Close checks that exactly the declared number of rows was
// written.
type NpyWriter struct {
	w       *bufio.Writer
	f32     bool
	rows    int
	cols    int
	written int
	buf     []byte
}

// NewNpyWriter writes the header of a C-order array of shape (rows, cols),
// or (rows,) if oneD, with elements float32 (f32) or float64, little-endian,
// in .npy format version 1.0, and returns a writer for the data.
func NewNpyWriter(w io.Writer, rows, cols int, f32, oneD bool) (*NpyWriter, error) {
	if rows < 0 || cols < 1 || (oneD && cols != 1) {
		return nil, fmt.Errorf("npy: invalid shape (%d, %d)", rows, cols)
	}
	shape := []int{rows, cols}
	if oneD {
		shape = shape[:1]
	}
	return NewNpyArrayWriter(w, shape, f32)
}

// NewNpyArrayWriter is NewNpyWriter for an array of any shape of rank ≥ 1:
// its rows are the shape[0] blocks of shape[1]·…·shape[m] elements (one
// for a 1-D array), written in C order.
func NewNpyArrayWriter(w io.Writer, shape []int, f32 bool) (*NpyWriter, error) {
	if len(shape) == 0 {
		return nil, fmt.Errorf("npy: a shape of rank 0")
	}
	cols, err := rowLength(shape)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	rows := shape[0]
	descr := "<f8"
	if f32 {
		descr = "<f4"
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tuple = "(" + dims[0] + ",)"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, tuple)
	// Magic (6) + version (2) + header length (2) + dict + padding + '\n'
	// is a multiple of 64, as NumPy writes it.
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	hdr := dict + strings.Repeat(" ", pad) + "\n"
	if len(hdr) > math.MaxUint16 {
		return nil, fmt.Errorf("npy: header too long")
	}
	bw := bufio.NewWriterSize(w, bufSize)
	bw.Write(npy.Magic[:])
	bw.Write([]byte{1, 0})
	var l [2]byte
	binary.LittleEndian.PutUint16(l[:], uint16(len(hdr)))
	bw.Write(l[:])
	if _, err := bw.WriteString(hdr); err != nil {
		return nil, err
	}
	return &NpyWriter{w: bw, f32: f32, rows: rows, cols: cols}, nil
}

// WriteFloats writes whole rows (len(src) must be a multiple of the column
// count), converting to float32 with round-to-nearest if the file is
// float32.
func (w *NpyWriter) WriteFloats(src []float64) error {
	if len(src)%w.cols != 0 {
		panic("matio: NpyWriter.WriteFloats: partial row")
	}
	n := len(src) / w.cols
	if w.written+n > w.rows {
		return fmt.Errorf("npy: writing row %d of an array declared with %d rows", w.rows, w.rows)
	}
	sz := 8
	if w.f32 {
		sz = 4
	}
	if cap(w.buf) < len(src)*sz {
		w.buf = make([]byte, len(src)*sz)
	}
	b := w.buf[:len(src)*sz]
	if w.f32 {
		for i, x := range src {
			binary.LittleEndian.PutUint32(b[i*4:], math.Float32bits(float32(x)))
		}
	} else {
		for i, x := range src {
			binary.LittleEndian.PutUint64(b[i*8:], math.Float64bits(x))
		}
	}
	if _, err := w.w.Write(b); err != nil {
		return err
	}
	w.written += n
	return nil
}

// Close flushes the data and returns an error if fewer rows were written
// than the header declares. It does not close the underlying writer.
func (w *NpyWriter) Close() error {
	if err := w.w.Flush(); err != nil {
		return err
	}
	if w.written != w.rows {
		return fmt.Errorf("npy: wrote %d rows of an array declared with %d", w.written, w.rows)
	}
	return nil
}
