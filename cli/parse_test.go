package cli

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// TestParseFloatRanges pins the range semantics of the list flags (rangeHelp):
// the start always and exactly, the end when a step lands on it, a step
// longer than the span giving the start alone, nothing above the end.
// Values are compared exactly: each want is what strconv parses from the
// decimal written (the 12-digit rounding of rangeDigits makes a + i·s
// land on those).
func TestParseFloatRanges(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []float64
		err  string // a substring of the error; "" for none
	}{
		// A step longer than the span: the start alone.
		{"0:1e-10:1", []float64{0}, ""},
		{"0:1e-10", []float64{0}, ""},
		{"0:0.5", []float64{0}, ""},
		{"1:1.5:1", []float64{1}, ""},
		{"2:2.999999999", []float64{2}, ""},
		{"-1e-300:0:1", []float64{-1e-300}, ""},
		{"0.5:0.7:1,0.6", []float64{0.5, 0.6}, ""},
		// The end included when a step lands on it (to within rangeEndTol
		// of a step), and never exceeded.
		{"0:1", []float64{0, 1}, ""},
		{"0:1:1", []float64{0, 1}, ""},
		{"0:0.3:0.1", []float64{0, 0.1, 0.2, 0.3}, ""},
		{"0:1:0.3", []float64{0, 0.3, 0.6, 0.9}, ""},
		{"0:1:0.1", []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}, ""}, // rangeHelp's example
		{"0:1.999999999", []float64{0, 1, 1.999999999}, ""},
		{"0:2.0000000001", []float64{0, 1, 2.0000000001}, ""}, // 2 lands on the end: the end as written
		{"1:1", []float64{1}, ""},
		{"1:1:5", []float64{1}, ""},
		{"-1:1:0.5", []float64{-1, -0.5, 0, 0.5, 1}, ""},
		// The start exactly as written; the later values rounded.
		{"0.1234567890123456:1:0.5", []float64{0.1234567890123456, 0.623456789012}, ""},
		{"-0:1", []float64{0, 1}, ""},
		// Lists, duplicates, spaces.
		{"0.5, 1 ,0.5", []float64{0.5, 1}, ""},
		{"0:1:0.5,0.5,2", []float64{0, 0.5, 1, 2}, ""},
		{" 0 : 1 : 0.5 ", []float64{0, 0.5, 1}, ""},
		// Errors.
		{"", nil, "empty list"},
		{"1:0", nil, `malformed range "1:0": the end is below the start`},
		{"0:1:0", nil, `malformed range "0:1:0": the step must be > 0`},
		{"0:1:-0.5", nil, "the step must be > 0"},
		{"0:1:NaN", nil, `malformed range "0:1:NaN": not a finite number: "NaN"`},
		{"0:1:Inf", nil, `not a finite number: "Inf"`},
		{"0:1:2:3", nil, "want start:end[:step]"},
		{"0:", nil, `malformed range "0:": not a number: ""`},
		{"0:1e-9:1e-15", nil, `range "0:1e-9:1e-15" has more than 10000 values`},
		{"-1.7976931348623157e308:1.7976931348623157e308:1", nil, "has more than 10000 values"},
		{"0:10000", nil, "has more than 10000 values"},
	} {
		got, err := parseFloatList(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: got %v, error %v; want an error with %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: error %v", c.in, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: %v, want %v", c.in, got, c.want)
		}
		for _, x := range got {
			if x == 0 && math.Signbit(x) {
				t.Errorf("%q: −0 in %v", c.in, got)
			}
		}
	}
}

// TestParseListLimit: maxListLen values are accepted, one more is not.
func TestParseListLimit(t *testing.T) {
	g, err := parseFloatList("0:9999")
	if err != nil || len(g) != maxListLen || g[0] != 0 || g[maxListLen-1] != 9999 {
		t.Errorf("0:9999: %d values, %v", len(g), err)
	}
	if _, err := parseFloatList("0:9998,0.5,9999"); err == nil || !strings.Contains(err.Error(), "more than 10000 values") {
		t.Errorf("10001 values in a list: %v", err)
	}
	k, err := parseIntList("1:10000,5,10000")
	if err != nil || len(k) != maxListLen {
		t.Errorf("1:10000 with duplicates: %d values, %v", len(k), err)
	}
}

func TestParseIntRanges(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
		err  string
	}{
		{"3:4:5", []int{3}, ""},
		{"3:3", []int{3}, ""},
		{"3:8:2", []int{3, 5, 7}, ""},
		{"3:9:2", []int{3, 5, 7, 9}, ""},
		{"3:10:3,4,3", []int{3, 6, 9, 4}, ""},
		{"-3:-2:9223372036854775807", []int{-3}, ""},
		{"9223372036854775806:9223372036854775807", []int{9223372036854775806, 9223372036854775807}, ""},
		{"", nil, "empty list"},
		{"3:2", nil, `malformed range "3:2": the end is below the start`},
		{"3:10:0", nil, "the step must be > 0"},
		{"3:", nil, `malformed range "3:": not an integer: ""`},
		{"3.5", nil, `not an integer: "3.5"`},
		{"1:10001", nil, `range "1:10001" has more than 10000 values`},
	} {
		got, err := parseIntList(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: got %v, error %v; want an error with %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%q: %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

// TestRangeHelp: the usage of verify and of verify boundary documents the
// range semantics the tables above pin.
func TestRangeHelp(t *testing.T) {
	code, out, _ := run(t, nil, "-h")
	if code != ExitOK || !strings.Contains(out, rangeHelp) {
		t.Errorf("verify -h: exit %d, no range semantics:\n%s", code, out)
	}
	for _, want := range []string{"the start always", "a step longer than end-start\ngives the start alone (0:1e-10:1 is 0)"} {
		if !strings.Contains(rangeHelp, want) {
			t.Errorf("rangeHelp lacks %q", want)
		}
	}
	code, out, _ = run(t, nil, "boundary", "-h")
	if code != ExitOK || !strings.Contains(out, "range start:end[:step]") {
		t.Errorf("verify boundary -h: exit %d:\n%s", code, out)
	}
}
