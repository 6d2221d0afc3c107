package theory_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/theory"
)

// Accuracy of the float64 kernels against the independent 40-digit oracle
// in package hiprec, over a dense set of inputs with the edges on purpose.
//
// Regimes, as the accuracy contract states them:
//   - "moderate": γ·|log(1−v)| ≤ 10 for every input v. There the relative
//     error must be at most strictRelTol.
//   - "amplified": some γ·|log(1−v)| > 10 (large γ with v near 1). The
//     float64 logarithm's own half-ulp error in log(1−v) is multiplied by
//     γ there, so the error may grow with a = γ·|log(1−v)|, but must stay
//     under amplifiedULPsPerA·a ulps.
//
// Run with FOCAL_ACCURACY_OUT=FILE to write the worst errors into FILE's
// table (docs/numerics.md quotes it): the rows of the functions measured
// here are replaced and the others kept, those of "Exact q*" that numeric's
// TestExactAccuracy writes (numeric/exact_accuracy_test.go, the same
// contract for the exact minimizer). Regenerate the whole table with
//
//	FOCAL_ACCURACY_OUT=FILE go test ./theory -run TestAccuracy -count=1 -v
//	FOCAL_ACCURACY_OUT=FILE go test ./numeric -run TestExactAccuracy -count=1 -v
//
// one after the other (run at once, the two would race for FILE).
const (
	// strictRelTol is the contract's bound in the moderate regime (about
	// 45 ulps), far above the few ulps the kernels reach, so it catches a
	// lost digit, not rounding.
	strictRelTol = 1e-14
	// amplifiedULPsPerA is the contract's bound per unit of γ·|log(1−v)|
	// in the amplified regime.
	amplifiedULPsPerA = 16
	// psiMinComponent: Ψ components below 1e-300 are outside the contract
	// (they sit near the subnormal range, where relative accuracy ends).
	psiMinComponent = 1e-300
	// logHZeroBand: log h^γ has one zero in (0, 1). Within |log h| <
	// logHZeroBand its relative error is that of an absolute error of a
	// few ulps of 1 divided by |log h| (cancellation no float64 formula
	// avoids); there the absolute error is held to absTolNearZero instead.
	logHZeroBand   = 0.05
	absTolNearZero = 1e-15
)

func accuracyGammas() []float64 {
	return []float64{0, 1e-9, 1e-6, 1e-3, 0.03, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 5, 7.3, 10, 17, 17.5, 25, 50, 99.5, 100}
}

func accuracyVs(rng *rand.Rand, gamma float64) []float64 {
	vs := []float64{0, 0x1p-1074, 1e-320, 0x1p-1022, 1e-300, 1e-200, 1e-100, 1e-50, 1e-20, 1e-10, 1e-5, 1e-3,
		0.01, 0.05, 0.1, 0.2, 0.25, 0.3, 1.0 / 3, 0.4, 0.5, 0.6, 2.0 / 3, 0.7, 0.8, 0.9, 0.99, 0.999,
		1 - 1e-6, 1 - 1e-9, 1 - 1e-12, 1 - 1e-15, 1 - 0x1p-53, 1}
	if gamma > 0 {
		vs = append(vs, theory.TauOC(gamma), theory.TauUC(gamma))
	}
	for range 12 {
		vs = append(vs, rng.Float64(), math.Pow(10, -300*rng.Float64()), 1-math.Pow(10, -16*rng.Float64()))
	}
	return vs
}

// amp returns γ·|log(1−v)|, the amplification factor of the contract.
func amp(v, gamma float64) float64 {
	if gamma == 0 {
		return 0
	}
	return gamma * math.Abs(math.Log1p(-v))
}

type accRow struct {
	fn, regime       string
	cases            int
	worstULPs, worst float64 // worst ulps; worst relative error
	where            string
}

type accTable struct{ rows map[string]*accRow }

func (t *accTable) add(fn, regime string, ulps, rel float64, where string) {
	if t.rows == nil {
		t.rows = map[string]*accRow{}
	}
	k := fn + "\x00" + regime
	r := t.rows[k]
	if r == nil {
		r = &accRow{fn: fn, regime: regime}
		t.rows[k] = r
	}
	r.cases++
	if ulps > r.worstULPs || math.IsNaN(ulps) {
		r.worstULPs, r.where = ulps, where
	}
	r.worst = math.Max(r.worst, rel)
}

const accHeader = "| function | regime | cases | worst error (ulps) | worst relative error | at |\n|---|---|---|---|---|---|\n"

// lines returns the table's rows, keyed by function and regime.
func (t *accTable) lines() map[string]string {
	m := map[string]string{}
	for k, r := range t.rows {
		m[k] = fmt.Sprintf("| %s | %s | %d | %.3g | %.3g | %s |", r.fn, r.regime, r.cases, r.worstULPs, r.worst, r.where)
	}
	return m
}

func (t *accTable) markdown() string { return accRender(t.lines()) }

// accRender writes the header and the rows sorted by key.
func accRender(rows map[string]string) string {
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(accHeader)
	for _, k := range keys {
		b.WriteString(rows[k] + "\n")
	}
	return b.String()
}

// mergeInto rewrites the table in file with this table's rows in place of
// any earlier rows of its functions, keeping the other functions' rows (a
// missing file is an empty table).
func (t *accTable) mergeInto(file string) error {
	mine := map[string]bool{}
	for _, r := range t.rows {
		mine[r.fn] = true
	}
	rows := t.lines()
	old, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	for line := range strings.SplitSeq(string(old), "\n") {
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| ") || len(cells) < 3 || strings.HasPrefix(line, "| function |") {
			continue
		}
		if fn := strings.TrimPrefix(cells[0], "| "); !mine[fn] {
			rows[fn+"\x00"+cells[1]] = line
		}
	}
	return os.WriteFile(file, []byte(accRender(rows)), 0o644)
}

func regimeOf(a float64) string {
	if a <= 10 {
		return "moderate"
	}
	return "amplified"
}

// checkErr records one comparison and reports a violation of the contract.
func checkErr(t *testing.T, tab *accTable, fn string, got float64, want *apd.Decimal, a float64, where string) {
	t.Helper()
	ulps, rel := hiprec.ULPs(got, want), hiprec.RelErr(got, want)
	if w := math.Abs(hiprec.Float(want)); w < 0x1p-1022 && rel > strictRelTol {
		// The true value is subnormal or underflows: only the absolute
		// error, in ulps of the subnormal spacing, is meaningful.
		rel = 0
		if ulps > 1 {
			t.Errorf("%s %s: %.3g ulps of an underflowing value", fn, where, ulps)
		}
		tab.add(fn, "underflow", ulps, rel, where)
		return
	}
	regime := regimeOf(a)
	tab.add(fn, regime, ulps, rel, where)
	switch {
	case math.IsNaN(ulps):
		t.Errorf("%s %s: NaN error", fn, where)
	case regime == "moderate" && rel > strictRelTol:
		t.Errorf("%s %s: relative error %.3g > %g (got %v, want %s)", fn, where, rel, strictRelTol, got, want)
	case regime == "amplified" && ulps > amplifiedULPsPerA*a:
		t.Errorf("%s %s: %.3g ulps > %g·%.3g (got %v, want %s)", fn, where, ulps, float64(amplifiedULPsPerA), a, got, want)
	}
}

func TestAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("accuracy sweep against hiprec: skipped with -short")
	}
	rng := rand.New(rand.NewPCG(20211, 5))
	var tab accTable

	for _, g := range accuracyGammas() {
		for _, v := range accuracyVs(rng, g) {
			where := fmt.Sprintf("v=%v γ=%v", v, g)
			a := amp(v, g)
			checkErr(t, &tab, "Phi", theory.Phi(v, g), hiprec.Phi(v, g), a, where)
			got, want := theory.LogH(v, g), hiprec.LogH(v, g)
			if w := hiprec.Float(want); math.Abs(w) < logHZeroBand && a <= 10 {
				abs := math.Abs(got - w)
				tab.add("LogH", "near its zero (absolute)", abs/0x1p-52, abs, where)
				if abs > absTolNearZero {
					t.Errorf("LogH %s: absolute error %.3g near its zero", where, abs)
				}
				continue
			}
			checkErr(t, &tab, "LogH", got, want, a, where)
		}
		where := fmt.Sprintf("γ=%v", g)
		checkErr(t, &tab, "TauOC", theory.TauOC(g), hiprec.TauOC(g), 0, where)
		checkErr(t, &tab, "TauUC", theory.TauUC(g), hiprec.TauUC(g), 0, where)
	}

	// Ψ on probability vectors from several regimes (numeric's
	// TestExactAccuracy draws the same ones for the exact minimizer).
	for _, g := range accuracyGammas() {
		for _, v := range accuracyVectors(rng) {
			psi := theory.Psi(make([]float64, len(v)), v, g)
			want := hiprec.Psi(v, g)
			a := 0.0
			for _, x := range v {
				a = math.Max(a, amp(x, g))
			}
			for i := range v {
				if hiprec.Float(want[i]) < psiMinComponent {
					continue
				}
				checkErr(t, &tab, "Psi", psi[i], want[i], a, fmt.Sprintf("v=%v i=%d γ=%v", v, i, g))
			}
		}
	}
	table := tab.markdown()
	t.Logf("worst errors against hiprec:\n%s", table)
	if out := os.Getenv("FOCAL_ACCURACY_OUT"); out != "" {
		if err := tab.mergeInto(out); err != nil {
			t.Fatal(err)
		}
	}
}

// accuracyVectors returns probability vectors covering the regimes: random
// Dirichlet-like, tiny entries, near-one-hot, near-uniform, ties and zeros.
func accuracyVectors(rng *rand.Rand) [][]float64 {
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
