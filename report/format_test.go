package report

import "testing"

func TestFixed(t *testing.T) {
	for _, c := range []struct {
		x    float64
		n    int
		want string
	}{
		{1, 10, "1.000000000"},
		{0.9999999999999, 10, "1.000000000"},
		{0.1353352832366127, 10, "0.1353352832"},
		{-0.1108331934, 4, "-0.1108"},
		{123.456, 4, "123.5"},
		{999.96, 4, "1000"},
		{1234567, 3, "1.23e+06"},
		{0.00012345, 3, "0.000123"},
		{0.000012345, 3, "1.23e-05"},
		{5, 3, "5.00"},
		{0, 3, "0"},
	} {
		if got := fixed(c.x, c.n); got != c.want {
			t.Errorf("fixed(%v, %d) = %q, want %q", c.x, c.n, got, c.want)
		}
	}
}
