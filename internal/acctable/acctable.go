// Package acctable is the accuracy harness that theory's TestAccuracy and
// numeric's TestExactAccuracy share: the contract's bounds, the γ and the
// probability vectors they sweep (the same draws, so that the table
// describes Ψ and q* on the same η), the check of one value against
// hiprec, and the table of worst errors that docs/numerics.md quotes. It
// is imported by tests only (its layer, "test helpers", is above every
// other, so the architecture test refuses any other import of it).
package acctable

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/focaltk/focal/hiprec"
)

// The accuracy contract of docs/numerics.md, with a = γ·|log(1−v)| the
// largest amplification over the inputs of a value:
//   - "moderate", a ≤ ModerateMaxA: relative error at most StrictRelTol;
//   - "amplified", a > ModerateMaxA: at most ULPsPerA·a ulps (the float64
//     logarithm's half-ulp error in log(1−v) is multiplied by γ there).
const (
	// StrictRelTol is the bound in the moderate regime (about 45 ulps),
	// far above the few ulps the kernels reach, so it catches a lost
	// digit, not rounding.
	StrictRelTol = 1e-14
	// ULPsPerA is the bound per unit of a in the amplified regime.
	ULPsPerA = 16
	// ModerateMaxA is the largest a of the moderate regime.
	ModerateMaxA = 10
	// MinComponent: components below 1e-300 are outside the contract
	// (they sit near the subnormal range, where relative accuracy ends).
	MinComponent = 1e-300
	// ScalarDrawsPerGamma is the number of random draws theory's scalar
	// sweep takes per γ before the vectors; numeric's sweep skips as many,
	// so that both see the same vectors.
	ScalarDrawsPerGamma = 36
)

// Gammas are the γ of both sweeps.
func Gammas() []float64 {
	return []float64{0, 1e-9, 1e-6, 1e-3, 0.03, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 5, 7.3, 10, 17, 17.5, 25, 50, 99.5, 100}
}

// Amp returns a = γ·|log(1−v)|, the amplification factor of the contract.
func Amp(v, gamma float64) float64 {
	if gamma == 0 {
		return 0
	}
	return gamma * math.Abs(math.Log1p(-v))
}

// Regime returns the regime of an amplification a.
func Regime(a float64) string {
	if a <= ModerateMaxA {
		return "moderate"
	}
	return "amplified"
}

// Vectors returns probability vectors covering the regimes: random
// Dirichlet-like, tiny entries, near-one-hot, near-uniform, ties and zeros,
// drawn from rng.
func Vectors(rng *rand.Rand) [][]float64 {
	norm := func(v []float64) []float64 {
		var s float64
		for _, x := range v {
			s += x
		}
		for i := range v {
			v[i] /= s
		}
		return v
	}
	vs := [][]float64{
		{0.9, 0.1}, {0.5, 0.3, 0.2}, {0.7, 0.2, 0.1, 0},
		{1 - 0x1p-53, 0x1p-53}, {1 - 1e-9, 1e-9 - 1e-300, 1e-300},
		{0.25, 0.25, 0.25, 0.25}, {0.4, 0.4, 0.2}, {1e-300, 0.5, 0.5 - 1e-300},
		norm([]float64{1 + 1e-9, 1, 1, 1, 1}),
	}
	for range 6 {
		k := 2 + rng.IntN(9)
		v := make([]float64, k)
		for i := range v {
			v[i] = rng.ExpFloat64()
		}
		vs = append(vs, norm(v))
		w := make([]float64, k)
		for i := range w {
			w[i] = math.Pow(10, -250*rng.Float64())
		}
		vs = append(vs, norm(w))
	}
	big := make([]float64, 200)
	for i := range big {
		big[i] = rng.ExpFloat64()
	}
	return append(vs, norm(big))
}

type row struct {
	fn, regime       string
	cases            int
	worstULPs, worst float64 // worst ulps; worst relative error
	where            string
}

// Table gathers the worst error per function and regime. Its zero value is
// empty and ready to use.
type Table struct{ rows map[string]*row }

// Add records one comparison: its error in ulps and relative, and where it
// was made.
func (t *Table) Add(fn, regime string, ulps, rel float64, where string) {
	if t.rows == nil {
		t.rows = map[string]*row{}
	}
	k := fn + "\x00" + regime
	r := t.rows[k]
	if r == nil {
		r = &row{fn: fn, regime: regime}
		t.rows[k] = r
	}
	r.cases++
	if ulps > r.worstULPs || math.IsNaN(ulps) {
		r.worstULPs, r.where = ulps, where
	}
	r.worst = math.Max(r.worst, rel)
}

const header = "| function | regime | cases | worst error (ulps) | worst relative error | at |\n|---|---|---|---|---|---|\n"

// lines returns the table's rows, keyed by function and regime.
func (t *Table) lines() map[string]string {
	m := map[string]string{}
	for k, r := range t.rows {
		m[k] = fmt.Sprintf("| %s | %s | %d | %.3g | %.3g | %s |", r.fn, r.regime, r.cases, r.worstULPs, r.worst, r.where)
	}
	return m
}

// Markdown returns the table in Markdown, rows sorted by function and
// regime.
func (t *Table) Markdown() string { return render(t.lines()) }

func render(rows map[string]string) string {
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(header)
	for _, k := range keys {
		b.WriteString(rows[k] + "\n")
	}
	return b.String()
}

// Merge returns the Markdown table old (empty for none) with this table's
// rows in place of any earlier rows of its functions, the other functions'
// rows kept: each sweep rewrites its own rows of the shared table.
func (t *Table) Merge(old string) string {
	mine := map[string]bool{}
	for _, r := range t.rows {
		mine[r.fn] = true
	}
	rows := t.lines()
	for line := range strings.SplitSeq(old, "\n") {
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| ") || len(cells) < 3 || strings.HasPrefix(line, "| function |") {
			continue
		}
		if fn := strings.TrimPrefix(cells[0], "| "); !mine[fn] {
			rows[fn+"\x00"+cells[1]] = line
		}
	}
	return render(rows)
}

// Check records the comparison of got with hiprec's want (a the
// amplification of the inputs) in tab, and reports a violation of the
// contract on t. A true value that is subnormal or underflows is held to
// 1 ulp of the subnormal spacing (relative accuracy ends there).
func Check(t testing.TB, tab *Table, fn string, got float64, want *apd.Decimal, a float64, where string) {
	t.Helper()
	ulps, rel := hiprec.ULPs(got, want), hiprec.RelErr(got, want)
	if w := math.Abs(hiprec.Float(want)); w < 0x1p-1022 && rel > StrictRelTol {
		rel = 0
		if ulps > 1 {
			t.Errorf("%s %s: %.3g ulps of an underflowing value", fn, where, ulps)
		}
		tab.Add(fn, "underflow", ulps, rel, where)
		return
	}
	regime := Regime(a)
	tab.Add(fn, regime, ulps, rel, where)
	switch {
	case math.IsNaN(ulps):
		t.Errorf("%s %s: NaN error", fn, where)
	case regime == "moderate" && rel > StrictRelTol:
		t.Errorf("%s %s: relative error %.3g > %g (got %v, want %s)", fn, where, rel, StrictRelTol, got, want)
	case regime == "amplified" && ulps > ULPsPerA*a:
		t.Errorf("%s %s: %.3g ulps > %g·%.3g (got %v, want %s)", fn, where, ulps, float64(ULPsPerA), a, got, want)
	}
}
