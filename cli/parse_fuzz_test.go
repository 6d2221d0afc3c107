package cli

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/focaltk/focal/numeric"
)

// Fuzz targets of the flag parsers. Seeds are the f.Add calls below plus the
// committed corpus in testdata/fuzz/<target>/; CI runs each target briefly
// (.ci/run), and `go test` replays the seeds.
//
// Invariants, for any input string:
//   - no panic, and either an error or a result;
//   - a result has 1 to maxListLen values, no two equal (−0 folded into +0),
//     every one finite;
//   - an input that is one range a:b[:s] gives only values in [a, b]
//     (to the rounding of rangeDigits), in increasing order, starting with
//     a itself (−0 read as 0), and a alone when b − a is shorter than a
//     step (to within rangeEndTol of a step).

// rangeRoundTol is the relative slack of a range value past its ends: the
// values after the start are rounded to rangeDigits = 12 significant
// digits, a relative change of at most half a unit in the 12th digit,
// 5e-12 (for a leading digit 1).
const rangeRoundTol = 5e-12

func FuzzParseFloatList(f *testing.F) {
	for _, s := range []string{
		"0.5,1,2", "0:2:0.5", "0:1:0.3", "0:0.03:0.001", "1e-300:1e-299:1e-301",
		"-0,0", "NaN", "+Inf", "1:0", "0:1:0", "0:1:-1", "0:1:2:3", "", " , ",
		"0x1p-1074", "1.7976931348623157e308", "-1.7976931348623157e308:1.7976931348623157e308:1e305",
		"0:1e-300:1e-304", "0:10000", "0:9999", "1:1", "5e-324:1e-323:5e-324",
		// A step longer than the span: the start alone (0:1e-10:1 gave {1e-10}).
		"0:1e-10:1", "0:0.5", "2:2.999999999", "-1e-300:0:1",
		// The start exactly as written, even with more than rangeDigits digits.
		"0.1234567890123456:1:0.5", "0.1234567890123456:0.1234567890123457:1e-17",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseFloatList(s)
		if err != nil {
			if got != nil {
				t.Fatalf("%q: error %v with a result %v", s, err, got)
			}
			return
		}
		if len(got) < 1 || len(got) > maxListLen {
			t.Fatalf("%q: %d values", s, len(got))
		}
		seen := map[float64]bool{}
		for _, x := range got {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("%q: non-finite value %v", s, x)
			}
			if math.Signbit(x) && x == 0 {
				t.Fatalf("%q: −0 in the result", s)
			}
			if seen[x] {
				t.Fatalf("%q: duplicate %v in %v", s, x, got)
			}
			seen[x] = true
		}
		// One range: values in [a, b], increasing.
		item := strings.TrimSpace(s)
		if strings.Contains(item, ",") || !strings.Contains(item, ":") {
			return
		}
		parts := strings.Split(item, ":")
		a, err1 := strconv.ParseFloat(strings.TrimSpace(parts[0]), 64)
		b, err2 := strconv.ParseFloat(strings.TrimSpace(parts[1]), 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%q parsed, but its ends do not", s)
		}
		lo := a - rangeRoundTol*math.Abs(a)
		hi := b + rangeRoundTol*math.Abs(b)
		for i, x := range got {
			if x < lo || x > hi {
				t.Fatalf("%q: value %v outside [%v, %v]", s, x, a, b)
			}
			if i > 0 && !(x > got[i-1]) {
				t.Fatalf("%q: not increasing at %d: %v", s, i, got)
			}
		}
		if got[0] != a { // −0 == 0
			t.Fatalf("%q: first value %v, want the start %v", s, got[0], a)
		}
		st := 1.0
		if len(parts) == 3 {
			if st, err = strconv.ParseFloat(strings.TrimSpace(parts[2]), 64); err != nil {
				t.Fatalf("%q parsed, but its step does not", s)
			}
		}
		if (b-a)/st < 1-rangeEndTol && len(got) != 1 {
			t.Fatalf("%q: span shorter than a step gives %v, want the start alone", s, got)
		}
	})
}

func FuzzParseIntList(f *testing.F) {
	for _, s := range []string{
		"3,4,5,10", "3:8", "10:100:10", "3:10:3,4,3", "1:100000", "3:2", "3:10:0",
		"3:10:-1", "2.5", "", "x", "1:2:3:4",
		"9223372036854775807", "9223372036854775806:9223372036854775807",
		"9223372036854775807:9223372036854775807", "-9223372036854775808:9223372036854775807:922337203685477580",
		"-9223372036854775808:-9223372036854775808", "9223372036854775800:9223372036854775807:5",
		"0:9223372036854775807:4611686018427387904", // used to loop forever (x += s wrapped around)
		"3:4:5", "-3:-2:9223372036854775807", // a step longer than the span: the start alone
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseIntList(s)
		if err != nil {
			if got != nil {
				t.Fatalf("%q: error %v with a result %v", s, err, got)
			}
			return
		}
		if len(got) < 1 || len(got) > maxListLen {
			t.Fatalf("%q: %d values", s, len(got))
		}
		seen := map[int]bool{}
		for _, x := range got {
			if seen[x] {
				t.Fatalf("%q: duplicate %d", s, x)
			}
			seen[x] = true
		}
		item := strings.TrimSpace(s)
		if strings.Contains(item, ",") || !strings.Contains(item, ":") {
			return
		}
		parts := strings.Split(item, ":")
		v := [3]int{0, 0, 1}
		for i, p := range parts {
			x, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				t.Fatalf("%q parsed, but %q does not", s, p)
			}
			v[i] = x
		}
		a, b, st := v[0], v[1], v[2]
		for i, x := range got {
			if x < a || x > b {
				t.Fatalf("%q: value %d outside [%d, %d]", s, x, a, b)
			}
			if i > 0 && !(x > got[i-1]) {
				t.Fatalf("%q: not increasing at %d", s, i)
			}
			if uint64(x-a)%uint64(st) != 0 {
				t.Fatalf("%q: %d is not a + n·s", s, x)
			}
		}
		// Every a + n·s ≤ b is there: the last value is within a step of b.
		if last := got[len(got)-1]; uint64(b-last) >= uint64(st) {
			t.Fatalf("%q: last value %d stops short of %d", s, last, b)
		}
	})
}

// vectorSumTol: getVector accepts |Σ v_i − 1| ≤ numeric.SumTol = 1e-9;
// summing again here in another order adds a few ulps per entry, so twice
// that bounds the sum of an accepted vector.
const vectorSumTol = 2 * numeric.SumTol

func FuzzParseVector(f *testing.F) {
	for _, s := range []string{"0.7,0.2,0.1", "1", "", ",", "0.5, 0.5", "NaN,1", "1e400", "0x1p-1074,1", "a,b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseVector(s)
		if err != nil {
			return
		}
		if want := strings.Count(s, ",") + 1; len(got) != want {
			t.Fatalf("%q: %d values, want %d", s, len(got), want)
		}
		// getVector either rejects it or returns a probability vector.
		v, err := getVector("eta", s, 1)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "bad --eta") && !strings.HasPrefix(err.Error(), "--eta") {
				t.Fatalf("%q: error %q does not name the flag", s, err)
			}
			return
		}
		var sum float64
		for _, x := range v {
			if !(x >= 0 && x <= 1) {
				t.Fatalf("%q: accepted entry %v", s, x)
			}
			sum += x
		}
		if len(v) < 2 || math.Abs(sum-1) > vectorSumTol {
			t.Fatalf("%q: accepted %d entries summing to %v", s, len(v), sum)
		}
	})
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"1/4", "0/2", "3/2", "x", "1/", "/1", " 2 / 3 ", "1/10000", "1/10001", "-1/-1", "9223372036854775807/9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		i, n, err := parseShard(s)
		if err != nil {
			return
		}
		if !(1 <= i && i <= n && n <= maxListLen) {
			t.Fatalf("%q: shard %d/%d accepted", s, i, n)
		}
	})
}

func FuzzGetGamma(f *testing.F) {
	for _, s := range []string{"2", "0", "-0", "1000", "1000.0000000001", "-1", "NaN", "Inf", "", " 1 ", "1e-320", "0x1p-1074"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := getGamma(s)
		if err != nil {
			if !strings.Contains(err.Error(), "--gamma") {
				t.Fatalf("%q: error %q does not name --gamma", s, err)
			}
			return
		}
		if !(g >= 0 && g <= 1000) {
			t.Fatalf("%q: γ = %v accepted", s, g)
		}
	})
}
