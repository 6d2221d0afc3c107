package matio_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/focaltk/focal/internal/npyraw"
	"github.com/focaltk/focal/matio"
	"github.com/focaltk/focal/numeric"
)

// Fuzz targets of the readers and writers. Each checks, for any input, an
// invariant that needs no oracle: no panic; an error, of the documented
// type and naming a row that exists, or the declared rows; and a round trip
// that gives back every bit. Seeds: the f.Add calls and
// testdata/fuzz/<target>/; CI runs each target briefly (.ci/run).

// fuzzFloats decodes b into at most maxK float64 values, 8 bytes each, as
// their bit patterns: a file format must carry every float64, so every bit
// pattern is an input (numeric's and theory's fuzz decoders add modes that
// aim at numerical edges, which a round trip of bits has none of).
func fuzzFloats(b []byte, maxK int) []float64 {
	v := make([]float64, 0, min(len(b)/8, maxK))
	for ; len(b) >= 8 && len(v) < maxK; b = b[8:] {
		v = append(v, math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	return v
}

// floatBytes encodes values for fuzzFloats.
func floatBytes(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// fuzzMaxCols bounds the column count FuzzNpyReader reads data for: a
// header may declare any shape, and the reader must refuse or read it in
// blocks, but the test's own buffer must stay small.
const fuzzMaxCols = 1 << 12

func FuzzNpyReader(f *testing.F) {
	f.Add(npyraw.Header("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }"), []byte(strings.Repeat("\x00\x00\x00\x00\x00\x00\xe0\x3f", 4)))
	f.Add(npyraw.Header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"), []byte("\x00\x00\x80\x3f\x00\x00\x00\x00"))
	f.Add(npyraw.Header("{'descr': '>i8', 'fortran_order': False, 'shape': (1, 1), }"), []byte("\x00\x00\x00\x00\x00\x00\x00\x02"))
	f.Add(npyraw.Header("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }"), []byte("\x01\x00"))
	f.Add(npyraw.Header("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }"), []byte("\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Add(npyraw.Header("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }"), []byte{})
	f.Add(npyraw.Header("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 10000000), }"), []byte{})
	f.Add(npyraw.Header("{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775807, 9223372036854775807), }"), []byte{})
	f.Add(npyraw.Header("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 2), }"), []byte{})
	f.Add(npyraw.Header("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }"), []byte{})
	f.Add(npyraw.Header("{'descr': '<f8', 'fortran_order': False, 'shape': (), }"), []byte{})
	f.Add([]byte("\x93NUMPY\x02\x00\x10\x00\x00\x00"), []byte{})
	f.Add([]byte("\x93NUM"), []byte{})
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, header, data []byte) {
		in := append(append([]byte(nil), header...), data...)
		r, err := matio.NewNpyReader(bytes.NewReader(in))
		if err != nil {
			if r != nil {
				t.Fatal("error with a reader")
			}
			return
		}
		rows, cols := r.Rows(), r.Cols()
		if rows < 0 || cols < 1 || (r.OneD() && cols != 1) {
			t.Fatalf("shape (%d, %d), oneD %v", rows, cols, r.OneD())
		}
		if cols > fuzzMaxCols {
			// A block too small for one row is an error, not a panic.
			if _, err := r.ReadFloats(make([]float64, fuzzMaxCols)); err == nil {
				t.Fatalf("%d columns read into %d values", cols, fuzzMaxCols)
			}
			return
		}
		intArray := !r.IsFloat()
		got := 0
		for {
			var n int
			var err error
			if intArray && got%2 == 1 {
				n, err = r.ReadInts(make([]int64, 3*cols))
			} else {
				n, err = r.ReadFloats(make([]float64, 3*cols))
			}
			if err == io.EOF {
				if got != rows {
					t.Fatalf("EOF after %d of %d rows", got, rows)
				}
				return
			}
			if err != nil {
				var re *numeric.RowError
				if errors.As(err, &re) && (re.Row < got || re.Row > rows) {
					t.Fatalf("error names row %d, after %d of %d rows read", re.Row, got, rows)
				}
				return
			}
			if n < 1 || n > 3 {
				t.Fatalf("read %d rows into a block of 3", n)
			}
			got += n
			if got > rows {
				t.Fatalf("read %d rows of %d", got, rows)
			}
		}
	})
}

func FuzzNpyRoundTrip(f *testing.F) {
	f.Add(floatBytes(0.1, 1.0/3, 0x1p-1074, 1e300, math.Copysign(0, -1), 1-0x1p-53), uint8(3), false)
	f.Add(floatBytes(math.NaN(), math.Inf(1), math.Inf(-1), 1e-45), uint8(2), true)
	f.Add(floatBytes(0.5), uint8(1), true)
	f.Fuzz(func(t *testing.T, b []byte, k8 uint8, f32 bool) {
		v := fuzzFloats(b, 256)
		k := int(k8%8) + 1
		n := len(v) / k
		v = v[:n*k]
		var buf bytes.Buffer
		w, err := matio.NewNpyWriter(&buf, n, k, f32, k == 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFloats(v); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		size := 8
		if f32 {
			size = 4
		}
		if buf.Len()%64 != n*k*size%64 {
			t.Fatalf("header not padded to 64 bytes")
		}
		r, err := matio.NewNpyReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if r.Rows() != n || r.Cols() != k || r.OneD() != (k == 1) {
			t.Fatalf("shape (%d, %d), want (%d, %d)", r.Rows(), r.Cols(), n, k)
		}
		if n == 0 {
			return
		}
		got := make([]float64, n*k)
		if m, err := r.ReadFloats(got); m != n || err != nil {
			t.Fatalf("read %d rows, %v", m, err)
		}
		for i, x := range v {
			want := x
			if f32 {
				want = float64(float32(x))
			}
			if math.Float64bits(got[i]) != math.Float64bits(want) && !(math.IsNaN(want) && math.IsNaN(got[i])) {
				t.Fatalf("entry %d: wrote %v, read %v", i, want, got[i])
			}
		}
		if _, err := r.ReadFloats(got); err != io.EOF {
			t.Fatalf("after the last row: %v", err)
		}
	})
}

func FuzzCSVReader(f *testing.F) {
	for _, s := range []string{
		"a,b,c\n0.7,0.2,0.1\n0.2,0.5,0.3\n", "0.5,0.5\n1,0\n", "0.5,0.5\n1\n", "", "\n", "a\n", "# c\n1\n",
		"\"1\",2\n3,4\n", "\"1,2\n", " 1 , 2 \n3,4", "nan,inf\n-0,1e-400\n", "1,2,3\n4,5,6\n7,8\n",
		"y\n0\n2\n3.0\n", "y\n1.5\n", "x,y\n1,9223372036854775807\n2,9223372036854775808\n", "\xff\xfe,1\n",
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, col8 uint8) {
		check := func(name string, read func(*matio.CSVReader) (int, error)) {
			r, err := matio.NewCSVReader(bytes.NewReader(data))
			if err != nil {
				return
			}
			if r.Cols() < 1 || (r.Header() != nil && len(r.Header()) != r.Cols()) || r.Rows() != -1 {
				t.Fatalf("%s: %d columns, header %q", name, r.Cols(), r.Header())
			}
			got := 0
			for {
				n, err := read(r)
				if err == io.EOF {
					return
				}
				if err != nil {
					var re *numeric.RowError
					if errors.As(err, &re) && (re.Row < got || re.Row >= got+2 || re.Col >= r.Cols()) {
						t.Fatalf("%s: error %v names row %d col %d after %d rows", name, err, re.Row, re.Col, got)
					}
					return
				}
				if n < 1 || n > 2 {
					t.Fatalf("%s: %d rows in a block of 2", name, n)
				}
				got += n
			}
		}
		var fbuf []float64
		check("ReadFloats", func(r *matio.CSVReader) (int, error) {
			fbuf = make([]float64, 2*r.Cols())
			return r.ReadFloats(fbuf)
		})
		check("ReadInts", func(r *matio.CSVReader) (int, error) {
			return r.ReadInts(make([]int64, 2*r.Cols()))
		})
		check("ReadIntColumn", func(r *matio.CSVReader) (int, error) {
			return r.ReadIntColumn(make([]int64, 2), int(col8)%r.Cols())
		})
		// Integers read as integers and as floats agree.
		ri, err1 := matio.NewCSVReader(bytes.NewReader(data))
		rf, err2 := matio.NewCSVReader(bytes.NewReader(data))
		if (err1 == nil) != (err2 == nil) {
			t.Fatal("NewCSVReader is not deterministic")
		}
		if err1 != nil {
			return
		}
		for {
			ints := make([]int64, ri.Cols())
			fl := make([]float64, rf.Cols())
			ni, ei := ri.ReadInts(ints)
			nf, ef := rf.ReadFloats(fl)
			if ei != nil || ef != nil || ni != 1 || nf != 1 {
				if ei == nil && ni == 1 && ef != nil {
					t.Fatalf("row of integers %v is not a row of floats: %v", ints, ef)
				}
				return
			}
			for j := range ints {
				if math.Abs(float64(ints[j])) <= 1<<53 && float64(ints[j]) != fl[j] {
					t.Fatalf("column %d: integer %d, float %v", j, ints[j], fl[j])
				}
			}
		}
	})
}

func FuzzCSVRoundTrip(f *testing.F) {
	f.Add(floatBytes(0.1, 1.0/3, 0x1p-1074, 1e300, math.Copysign(0, -1), 1-0x1p-53), uint8(3), false)
	f.Add(floatBytes(math.NaN(), math.Inf(1), math.Inf(-1), 1e-45), uint8(2), true)
	f.Fuzz(func(t *testing.T, b []byte, k8 uint8, f32 bool) {
		v := fuzzFloats(b, 256)
		k := int(k8%8) + 1
		n := len(v) / k
		v = v[:n*k]
		header := make([]string, k)
		for j := range header {
			header[j] = string(rune('a'+j)) + ",\"x\""
		}
		var buf bytes.Buffer
		w, err := matio.NewCSVWriter(&buf, k, header, f32)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFloats(v); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := matio.NewCSVReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if r.Cols() != k || len(r.Header()) != k || r.Header()[0] != header[0] {
			t.Fatalf("header %q, want %q", r.Header(), header)
		}
		got := make([]float64, n*k+k)
		m, err := r.ReadFloats(got)
		if n == 0 {
			if err != io.EOF {
				t.Fatalf("no rows: %d, %v", m, err)
			}
			return
		}
		if m != n || err != nil {
			t.Fatalf("read %d rows of %d, %v", m, n, err)
		}
		for i, x := range v {
			g := got[i]
			if f32 {
				x, g = float64(float32(x)), float64(float32(g))
			}
			if math.Float64bits(g) != math.Float64bits(x) && !(math.IsNaN(x) && math.IsNaN(g)) {
				t.Fatalf("entry %d: wrote %v, read %v", i, x, got[i])
			}
		}
	})
}
