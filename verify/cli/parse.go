package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxListLen bounds the number of values a list or range flag expands to.
const maxListLen = 10000

// parseFloatList parses a flag value that is a number, a comma-separated
// list of items, each a number or a range "a:b[:s]" (from a to b in steps
// of s, default 1, each value rounded to rangeDigits significant digits; b
// is included when a + n·s lands on it to within 1e-9 of a step).
// Duplicates are dropped, the first occurrence kept.
func parseFloatList(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty list")
	}
	var out []float64
	seen := map[uint64]bool{}
	add := func(x float64) error {
		if len(out) >= maxListLen {
			return fmt.Errorf("more than %d values", maxListLen)
		}
		if x == 0 {
			x = 0 // −0 → +0
		}
		if b := math.Float64bits(x); !seen[b] {
			seen[b] = true
			out = append(out, x)
		}
		return nil
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if !strings.Contains(item, ":") {
			x, err := parseFloat(item)
			if err != nil {
				return nil, err
			}
			if err := add(x); err != nil {
				return nil, err
			}
			continue
		}
		parts := strings.Split(item, ":")
		if len(parts) > 3 {
			return nil, fmt.Errorf("malformed range %q: want start:end[:step]", item)
		}
		var v [3]float64
		v[2] = 1
		for i, p := range parts {
			x, err := parseFloat(strings.TrimSpace(p))
			if err != nil {
				return nil, fmt.Errorf("malformed range %q: %v", item, err)
			}
			v[i] = x
		}
		a, b, st := v[0], v[1], v[2]
		if !(st > 0) || math.IsInf(st, 0) {
			return nil, fmt.Errorf("malformed range %q: the step must be > 0", item)
		}
		if b < a {
			return nil, fmt.Errorf("malformed range %q: the end is below the start", item)
		}
		n := math.Floor((b-a)/st + 1e-9)
		if n+1 > maxListLen {
			return nil, fmt.Errorf("range %q has more than %d values", item, maxListLen)
		}
		for i := 0; i <= int(n); i++ {
			x := roundSig(a+float64(i)*st, rangeDigits)
			if i == int(n) && math.Abs(x-b) <= 1e-9*st {
				x = b
			}
			if err := add(x); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// rangeDigits: range values a + i·s are rounded to 12 significant digits,
// so that 0:1:0.3 gives 0.9 and not 0.8999999999999999 (the rounding error
// of i·s is far below that).
const rangeDigits = 12

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

// parseIntList is parseFloatList for integers ("3,4,5", "3:10", "10:100:10").
func parseIntList(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty list")
	}
	var out []int
	seen := map[int]bool{}
	add := func(x int) error {
		if len(out) >= maxListLen {
			return fmt.Errorf("more than %d values", maxListLen)
		}
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
		return nil
	}
	atoi := func(p string) (int, error) {
		x, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return 0, fmt.Errorf("not an integer: %q", strings.TrimSpace(p))
		}
		return x, nil
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if !strings.Contains(item, ":") {
			x, err := atoi(item)
			if err != nil {
				return nil, err
			}
			if err := add(x); err != nil {
				return nil, err
			}
			continue
		}
		parts := strings.Split(item, ":")
		if len(parts) > 3 {
			return nil, fmt.Errorf("malformed range %q: want start:end[:step]", item)
		}
		v := [3]int{0, 0, 1}
		for i, p := range parts {
			x, err := atoi(p)
			if err != nil {
				return nil, fmt.Errorf("malformed range %q: %v", item, err)
			}
			v[i] = x
		}
		a, b, st := v[0], v[1], v[2]
		switch {
		case st <= 0:
			return nil, fmt.Errorf("malformed range %q: the step must be > 0", item)
		case b < a:
			return nil, fmt.Errorf("malformed range %q: the end is below the start", item)
		}
		// b − a can overflow int; as uint64 it is exact, and a + i·st for
		// i ≤ n lies in [a, b], so stepping by index cannot wrap around.
		n := uint64(b-a) / uint64(st)
		if n >= maxListLen {
			return nil, fmt.Errorf("range %q has more than %d values", item, maxListLen)
		}
		for i := 0; i <= int(n); i++ {
			if err := add(a + i*st); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
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

// parseShard parses "i/n" with 1 ≤ i ≤ n.
func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("malformed shard %q: want i/n, e.g. 1/4", s)
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("malformed shard %q: want i/n, e.g. 1/4", s)
	}
	if n < 1 || i < 1 || i > n || n > maxListLen {
		return 0, 0, fmt.Errorf("bad shard %q: want 1 <= i <= n <= %d", s, maxListLen)
	}
	return i, n, nil
}
