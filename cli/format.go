// This file holds the number formats of the text outputs (shortest
// round-tripping 'g' form), shared by every subcommand that prints
// numbers.

package cli

import (
	"strconv"
	"strings"

	"github.com/focaltk/focal/verify"
)

func ff(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func fptr(x *verify.Float) string {
	if x == nil {
		return "none"
	}
	return ff(float64(*x))
}

func fv(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = ff(x)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func fvF(v []verify.Float) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = ff(float64(x))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
