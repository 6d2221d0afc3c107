package report

import (
	"math"
	"strconv"
	"strings"
)

// Number formats. Each generated number is printed with a fixed number of
// significant digits, chosen well inside its accuracy, so that the text is
// the same on every run and does not depend on the last bits of a
// computation (which may differ between architectures that fuse
// multiply–adds and those that do not).

// sig formats x with n significant digits, in plain notation for
// 1e-4 ≤ |x| < 1e6 and as 1.23e-05 otherwise.
func sig(x float64, n int) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "+Inf"
	case math.IsInf(x, -1):
		return "−Inf"
	case x == 0:
		return "0"
	}
	ax := math.Abs(x)
	if ax >= 1e-4 && ax < 1e6 {
		s := strconv.FormatFloat(x, 'g', n, 64)
		if strings.ContainsAny(s, "e") { // 'g' chose an exponent for a large n
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return s
	}
	return strconv.FormatFloat(x, 'e', n-1, 64)
}

// fixed is sig with trailing zeros kept: exactly n significant digits
// (a column of aligned width), in plain notation for 1e-4 ≤ |x| < 1e6.
func fixed(x float64, n int) string {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return sig(x, n)
	}
	e := strconv.FormatFloat(x, 'e', n-1, 64) // d.ddde±XX, rounded once
	mant, exp, _ := strings.Cut(e, "e")
	k, _ := strconv.Atoi(exp)
	if k < -4 || k >= 6 {
		return e
	}
	neg := strings.HasPrefix(mant, "-")
	digits := strings.Replace(strings.TrimPrefix(mant, "-"), ".", "", 1)
	var out string
	switch {
	case k < 0:
		out = "0." + strings.Repeat("0", -k-1) + digits
	case k+1 >= len(digits):
		out = digits + strings.Repeat("0", k+1-len(digits))
	default:
		out = digits[:k+1] + "." + digits[k+1:]
	}
	if neg {
		out = "-" + out
	}
	return out
}

// rel formats a relative difference with one significant digit, and any
// difference below relFloor as "< 1e-14": differences at the level of
// rounding depend on the last bits of a computation, which may differ
// between machines, and would make the docs flap.
func rel(x float64) string {
	if math.Abs(x) < relFloor {
		return "< 1e-14"
	}
	return sig(x, 1)
}

const relFloor = 1e-14

// vec formats a probability vector with n significant digits per entry,
// collapsing runs of equal entries as "a ×m".
func vec(v []float64, n int) string {
	var parts []string
	for i := 0; i < len(v); {
		j := i + 1
		for j < len(v) && v[j] == v[i] {
			j++
		}
		s := sig(v[i], n)
		if j-i > 1 {
			s += " ×" + strconv.Itoa(j-i)
		}
		parts = append(parts, s)
		i = j
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// gammaList formats a list of γ for a command line.
func numList(x []float64) string {
	parts := make([]string, len(x))
	for i, v := range x {
		parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

func intList(x []int) string {
	parts := make([]string, len(x))
	for i, v := range x {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

// table renders a Markdown table.
func table(header []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}
