package matio_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/focaltk/focal/matio"
	"github.com/focaltk/focal/numeric"
)

func TestCSVReader(t *testing.T) {
	for name, c := range map[string]struct {
		text   string
		header []string
		want   []float64
	}{
		"header":    {"a,b,c\n0.7,0.2,0.1\n0.25, 0.25 ,0.5\n", []string{"a", "b", "c"}, []float64{0.7, 0.2, 0.1, 0.25, 0.25, 0.5}},
		"no header": {"0.7,0.2,0.1\n1e-3,0.999,0\n", nil, []float64{0.7, 0.2, 0.1, 1e-3, 0.999, 0}},
		"comments":  {"# written by numpy.savetxt\n0.5,0.5\n", nil, []float64{0.5, 0.5}},
		"crlf":      {"p0,p1\r\n0.5,0.5\r\n1,0\r\n", []string{"p0", "p1"}, []float64{0.5, 0.5, 1, 0}},
		"one col":   {"x\n1\n2\n3\n", []string{"x"}, []float64{1, 2, 3}},
	} {
		for _, block := range []int{1, 3} {
			r, err := matio.NewCSVReader(strings.NewReader(c.text))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if strings.Join(r.Header(), "|") != strings.Join(c.header, "|") || r.Rows() != -1 {
				t.Errorf("%s: header %q", name, r.Header())
			}
			got := readAll(t, r, block)
			if len(got) != len(c.want) {
				t.Fatalf("%s: %v, want %v", name, got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("%s: %v, want %v", name, got, c.want)
					break
				}
			}
		}
	}
}

func TestCSVReaderErrors(t *testing.T) {
	for name, c := range map[string]struct {
		text     string
		row, col int
	}{
		"ragged":     {"a,b\n1,2\n3\n", 1, -1},
		"long":       {"1,2\n3,4\n5,6,7\n", 2, -1},
		"not number": {"a,b\n1,2\n3,x\n", 1, 1},
		"quote":      {"1,2\n3,\"4\n", 1, -1},
	} {
		r, err := matio.NewCSVReader(strings.NewReader(c.text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		buf := make([]float64, 2*10)
		_, err = r.ReadFloats(buf)
		var re *numeric.RowError
		if !errors.As(err, &re) || re.Row != c.row || re.Col != c.col {
			t.Errorf("%s: error %v, want row %d col %d", name, err, c.row, c.col)
		}
	}
	if _, err := matio.NewCSVReader(strings.NewReader("")); err == nil {
		t.Error("empty input accepted")
	}
}

func TestCSVReadInts(t *testing.T) {
	r, err := matio.NewCSVReader(strings.NewReader("label\n0\n2\n1.0\n"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]int64, 10)
	n, err := r.ReadInts(buf)
	if err != nil || n != 3 || buf[0] != 0 || buf[1] != 2 || buf[2] != 1 {
		t.Errorf("ReadInts: %v %v %v", n, err, buf[:n])
	}
	if _, err := r.ReadInts(buf); err != io.EOF {
		t.Errorf("after the end: %v", err)
	}
	r, _ = matio.NewCSVReader(strings.NewReader("label\n0\n2.5\n"))
	var re *numeric.RowError
	if _, err := r.ReadInts(buf); !errors.As(err, &re) || re.Row != 1 {
		t.Errorf("2.5 as a label: %v", err)
	}
}

// Written numbers parse back to the same float64 (shortest round-trip
// form), or, for a float32 writer, to a number that rounds to the same
// float32.
func TestCSVWriterRoundTrip(t *testing.T) {
	data := []float64{0.1, 1.0 / 3, 5e-324, 1e300, math.Copysign(0, -1), math.Nextafter(1, 0)}
	for _, f32 := range []bool{false, true} {
		var b bytes.Buffer
		w, err := matio.NewCSVWriter(&b, 3, []string{"a", "b,c", "d"}, f32)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFloats(data); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if !strings.HasPrefix(b.String(), "a,\"b,c\",d\n") {
			t.Errorf("header: %q", b.String())
		}
		r, err := matio.NewCSVReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		got := readAll(t, r, 10)
		for i, x := range data {
			if f32 && float32(got[i]) != float32(x) || !f32 && got[i] != x {
				t.Errorf("f32=%v: [%d] = %v, want %v", f32, i, got[i], x)
			}
		}
	}
}

// ReadIntColumn reads one column and ignores the others, whatever they hold.
func TestCSVReadIntColumn(t *testing.T) {
	r, err := matio.NewCSVReader(strings.NewReader("file,label\na.png,3\nb.png,1\nc.png,x\n"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]int64, 2)
	if n, err := r.ReadIntColumn(buf, 1); n != 2 || err != nil || buf[0] != 3 || buf[1] != 1 {
		t.Errorf("ReadIntColumn: %d %v %v", n, err, buf)
	}
	var re *numeric.RowError
	if _, err := r.ReadIntColumn(buf, 1); !errors.As(err, &re) || re.Row != 2 || re.Col != 1 {
		t.Errorf("bad label: %v", err)
	}
	if _, err := r.ReadIntColumn(buf, 5); err == nil {
		t.Error("column 5 of 2 accepted")
	}
}

// A byte order mark before the first line is skipped: the first line is
// then read as the header it is, or as the data row it is, and no data row
// is lost (the mark used to make a numeric first line a header).
func TestCSVReaderBOM(t *testing.T) {
	for name, c := range map[string]struct {
		text   string
		header []string
		want   []float64
	}{
		"data":   {"\ufeff0.7,0.3\n0.4,0.6\n", nil, []float64{0.7, 0.3, 0.4, 0.6}},
		"header": {"\ufeffa,b\n0.4,0.6\n", []string{"a", "b"}, []float64{0.4, 0.6}},
	} {
		r, err := matio.NewCSVReader(strings.NewReader(c.text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Join(r.Header(), "|") != strings.Join(c.header, "|") {
			t.Errorf("%s: header %q, want %q", name, r.Header(), c.header)
		}
		got := readAll(t, r, 4)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
}

// A number out of the range of float64 is an error naming its row, column
// and line, in the first line (where it used to make the line a header, so
// that the row was dropped) as in any other.
func TestCSVReaderOutOfRange(t *testing.T) {
	for name, c := range map[string]struct {
		text     string
		row, col int
		line     string
	}{
		"first line":  {"0.5,1e400\n0.5,0.5\n", 0, 1, "line 1"},
		"after BOM":   {"\ufeff-1e400,1\n", 0, 0, "line 1"},
		"header name": {"a,1e400\n0.5,0.5\n", 0, 1, "line 1"},
		"data row":    {"# comment\na,b\n0.5,0.5\n1e999,0\n", 1, 0, "line 4"},
	} {
		r, err := matio.NewCSVReader(strings.NewReader(c.text))
		if err == nil {
			_, err = r.ReadFloats(make([]float64, 20))
		}
		var re *numeric.RowError
		if !errors.As(err, &re) || re.Row != c.row || re.Col != c.col ||
			!strings.Contains(err.Error(), "out of the range of float64") || !strings.Contains(err.Error(), c.line) {
			t.Errorf("%s: error %v, want row %d, column %d out of range on %s", name, err, c.row, c.col, c.line)
		}
	}
}

// zeros is an endless reader of zero bytes, like /dev/zero, counting what
// it gave.
type zeros struct{ n int }

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.n += len(p)
	return len(p), nil
}

// A line without an end is an error once it is longer than MaxCSVLine, as
// a first line and after others, and the reader stops reading there.
func TestCSVReaderLineLimit(t *testing.T) {
	for name, prefix := range map[string]string{"first": "", "third": "a,b\n1,0\n"} {
		z := &zeros{}
		r, err := matio.NewCSVReader(io.MultiReader(strings.NewReader(prefix), z))
		if err == nil {
			for err == nil {
				_, err = r.ReadFloats(make([]float64, 2))
			}
		}
		line := strings.Count(prefix, "\n") + 1
		want := fmt.Sprintf("csv: line %d longer than %d bytes", line, matio.MaxCSVLine)
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %q", name, err, want)
		}
		if z.n > matio.MaxCSVLine+1<<20 {
			t.Errorf("%s: read %d bytes of a line limited to %d", name, z.n, matio.MaxCSVLine)
		}
	}
	// A record of many short lines (a quoted field) is limited too.
	r, err := matio.NewCSVReader(io.MultiReader(strings.NewReader("1,\""), strings.NewReader(strings.Repeat("\n", matio.MaxCSVLine+1<<17))))
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("long quoted record: %v", err)
	}
	_ = r
	// A line just within the limit is read.
	long := strings.Repeat(" ", matio.MaxCSVLine-4) + "0.5\n"
	r, err = matio.NewCSVReader(strings.NewReader(long))
	if err != nil {
		t.Fatalf("a line of %d bytes: %v", len(long)-1, err)
	}
	if got := readAll(t, r, 1); len(got) != 1 || got[0] != 0.5 {
		t.Errorf("a line of %d bytes: %v", len(long)-1, got)
	}
}

// Messages say what is in the file, not which Go function failed or a
// placeholder value: no "NaN" for a field that has no value.
func TestCSVReaderMessages(t *testing.T) {
	for text, want := range map[string]string{
		"a,b\n1,2\n3,x\n":     `row 1, column 1: "x" is not a number (line 3)`,
		"a,b\n1,2\n3,1e400\n": `row 1, column 1: 1e400 is out of the range of float64 (line 3)`,
	} {
		r, err := matio.NewCSVReader(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadFloats(make([]float64, 20)); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
	r, _ := matio.NewCSVReader(strings.NewReader("y\n0\n2.5\n"))
	if _, err := r.ReadInts(make([]int64, 4)); err == nil || err.Error() != `row 1, column 0: "2.5" is not an integer (line 3)` {
		t.Errorf("2.5 as an integer: %v", err)
	}
}
