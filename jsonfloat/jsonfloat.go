// Package jsonfloat holds Float, a float64 for JSON reports.
//
// JSON numbers cannot hold NaN or ±Inf, and encoding/json refuses to
// marshal them, yet the toolkit's reports meet them: an infinite NLL when
// a true class has probability 0, a NaN margin of a case that could not
// be evaluated. Float writes those as the strings "NaN", "+Inf" and
// "-Inf", and every other value in the shortest form that reads back to
// the same float64 (strconv's 'g' with precision −1), so that a report
// round-trips exactly. The search reports (verify) and the calibrate
// report both use it, which is why it is a package of its own, below
// both: one encoding, written once.
package jsonfloat

import (
	"fmt"
	"math"
	"strconv"
)

// Float is a float64 that encodes to JSON with enough digits to round-trip
// (strconv 'g', −1), and encodes the values JSON numbers cannot hold as the
// strings "NaN", "+Inf" and "-Inf" (and decodes them back; "Inf" is read
// as +Inf too).
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	x := float64(f)
	switch {
	case math.IsNaN(x):
		return []byte(`"NaN"`), nil
	case math.IsInf(x, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(x, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, x, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler. Anything other than a JSON
// number or one of the strings above is an error naming the bad text.
func (f *Float) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*f = Float(math.NaN())
		return nil
	case `"+Inf"`, `"Inf"`:
		*f = Float(math.Inf(1))
		return nil
	case `"-Inf"`:
		*f = Float(math.Inf(-1))
		return nil
	}
	x, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("jsonfloat: bad number %s", b)
	}
	*f = Float(x)
	return nil
}
