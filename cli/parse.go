// This file holds the syntax of the values of list, range, vector and
// shard flags (parsers only; the flags themselves are in flags.go).

package cli

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxListLen bounds the number of values a list or range flag expands to.
const maxListLen = 10000

// The list flags (--gamma and --K of the search and of boundary) take a
// comma-separated list of items, each a number or a range start:end[:step]
// (rangeHelp, in the usage text, says the same to the user):
//
//   - a range is start, start+step, start+2·step, … while ≤ end: the start
//     always (exactly as written), the end when a step lands on it;
//   - the step defaults to 1; a step longer than end − start gives the
//     start alone (0:1e-10:1 is {0}, not {1e-10});
//   - step ≤ 0 and end < start are errors;
//   - duplicates are dropped, the first occurrence kept; −0 is read as 0;
//   - at most maxListLen values in all.
const rangeHelp = `Lists and ranges (--gamma, --K): a comma-separated list of numbers and
ranges start:end[:step]. A range is start, start+step, start+2*step, ... up
to end: the start always, exactly as written, and the end when a step lands
on it (for γ, to within 1e-9 of a step; the values after the start are
rounded to 12 significant digits, so 0:1:0.1 gives 0.3 and not
0.30000000000000004). The step defaults to 1; a step longer than end-start
gives the start alone (0:1e-10:1 is 0). A step <= 0 or an end below the
start is an error. Repeated values are dropped; at most 10000 values.
`

// rangeDigits: range values a + i·s (i ≥ 1) are rounded to 12 significant
// digits, so that 0:1:0.3 gives 0.9 and not 0.8999999999999999 (the
// rounding error of i·s is far below that).
const rangeDigits = 12

// rangeEndTol: a float range includes its end b when a + n·s lies within
// rangeEndTol·s of it (and n ≥ 1), so that 0:0.3:0.1 ends at 0.3 although
// 3·0.1 > 0.3 in float64; the error of a + n·s is a few ulps, far below.
const rangeEndTol = 1e-9

// parseFloatList parses a list flag of floats (see rangeHelp).
func parseFloatList(s string) ([]float64, error) {
	return parseList(s, parseFloat, floatRange)
}

// parseIntList parses a list flag of integers ("3,4,5", "3:10",
// "10:100:10"; see rangeHelp).
func parseIntList(s string) ([]int, error) {
	return parseList(s, parseInt, intRange)
}

// parseList is the list parser of parseFloatList and parseIntList: num
// parses one number, span gives the number n of steps of a range a:b:st
// (math.MaxUint64 for too many) and its i-th value, 0 ≤ i ≤ n.
func parseList[T int | float64](s string, num func(string) (T, error), span func(a, b, st T) (uint64, func(uint64) T)) ([]T, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty list")
	}
	var out []T
	seen := map[T]bool{}
	add := func(x T) error {
		if x == 0 {
			x = 0 // −0 → +0
		}
		if seen[x] {
			return nil
		}
		if len(out) >= maxListLen {
			return fmt.Errorf("more than %d values", maxListLen)
		}
		seen[x] = true
		out = append(out, x)
		return nil
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		parts := strings.Split(item, ":")
		if len(parts) == 1 {
			x, err := num(item)
			if err != nil {
				return nil, err
			}
			if err := add(x); err != nil {
				return nil, err
			}
			continue
		}
		if len(parts) > 3 {
			return nil, fmt.Errorf("malformed range %q: want start:end[:step]", item)
		}
		v := [3]T{0, 0, 1}
		for i, p := range parts {
			x, err := num(strings.TrimSpace(p))
			if err != nil {
				return nil, fmt.Errorf("malformed range %q: %v", item, err)
			}
			v[i] = x
		}
		a, b, st := v[0], v[1], v[2]
		switch {
		case !(st > 0):
			return nil, fmt.Errorf("malformed range %q: the step must be > 0", item)
		case b < a:
			return nil, fmt.Errorf("malformed range %q: the end is below the start", item)
		}
		n, at := span(a, b, st)
		if n >= maxListLen {
			return nil, fmt.Errorf("range %q has more than %d values", item, maxListLen)
		}
		prev := a
		for i := uint64(0); i <= n; i++ {
			x := at(i)
			if i > 0 && !(x > prev) {
				continue // rounding merged it with the previous value
			}
			if err := add(x); err != nil {
				return nil, err
			}
			prev = x
		}
	}
	return out, nil
}

// floatRange is the span of a float range a:b:st (a ≤ b, 0 < st < ∞, all
// finite): the start a exactly, then a + i·st rounded to rangeDigits, the
// last one replaced by b when within rangeEndTol·st of it, and none above b.
func floatRange(a, b, st float64) (uint64, func(uint64) float64) {
	nf := math.Floor((b-a)/st + rangeEndTol) // b − a may overflow to +Inf
	if !(nf < maxListLen) {
		return math.MaxUint64, nil
	}
	n := uint64(nf)
	return n, func(i uint64) float64 {
		if i == 0 {
			return a
		}
		x := roundSig(a+float64(i)*st, rangeDigits)
		// n counts a last step that overshoots b by up to rangeEndTol·st
		// (0:1.999999999 gave 2), and rounding may push x past b: clamp.
		if x > b || (i == n && b-x <= rangeEndTol*st) {
			x = b
		}
		return x
	}
}

// intRange is the span of an integer range a:b:st (a ≤ b, st > 0). b − a
// can overflow int; as uint64 it is exact, and a + i·st for i ≤ n lies in
// [a, b], so stepping by index cannot wrap around.
func intRange(a, b, st int) (uint64, func(uint64) int) {
	return uint64(b-a) / uint64(st), func(i uint64) int { return a + int(i)*st }
}

func roundSig(x float64, d int) float64 {
	y, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', d, 64), 64)
	if err != nil {
		return x
	}
	return y
}

func parseFloat(s string) (float64, error) {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("not a finite number: %q", s)
	}
	return x, nil
}

func parseInt(s string) (int, error) {
	x, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("not an integer: %q", strings.TrimSpace(s))
	}
	return x, nil
}

// parseVector parses "a,b,c" into floats (no ranges).
func parseVector(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty vector")
	}
	var out []float64
	for _, p := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("not a number: %q", strings.TrimSpace(p))
		}
		out = append(out, x)
	}
	return out, nil
}

// parseShard parses "i/n" with 1 ≤ i ≤ n ≤ maxListLen; its errors say
// what is wanted, the caller names the flag and the value.
func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, errors.New("want i/n, e.g. 1/4")
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return 0, 0, errors.New("want i/n, e.g. 1/4")
	}
	if n < 1 || i < 1 || i > n || n > maxListLen {
		return 0, 0, fmt.Errorf("want 1 <= i <= n <= %d", maxListLen)
	}
	return i, n, nil
}
