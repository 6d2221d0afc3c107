package numeric_test

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
	"github.com/focaltk/focal/numeric"
)

// Accuracy of the exact minimizer q^{γ,*}(η) (numeric.Exact) against the
// independent 40-digit oracle hiprec.Minimize, under the accuracy contract
// of theory's TestAccuracy (theory/accuracy_test.go, which measures the
// float64 kernels the same way), with a = γ·|log(1−q*_i)| the largest over
// the entries of the oracle's q*:
//   - "moderate", a ≤ 10: relative error at most exactAccStrictRelTol;
//   - "amplified", a > 10: at most exactAccULPsPerA·a ulps.
//
// Run with FOCAL_ACCURACY_OUT=FILE to write the worst errors into FILE's
// table (docs/numerics.md quotes it): the rows of "Exact q*" are replaced
// and the others, written by theory's TestAccuracy, kept. Regenerate the
// whole table with
//
//	FOCAL_ACCURACY_OUT=FILE go test ./theory -run TestAccuracy -count=1 -v
//	FOCAL_ACCURACY_OUT=FILE go test ./numeric -run TestExactAccuracy -count=1 -v
//
// one after the other (run at once, the two would race for FILE).
const (
	// exactAccStrictRelTol is the contract's bound in the moderate regime
	// (about 45 ulps), far above the few ulps Exact reaches, so it catches a
	// lost digit, not rounding.
	exactAccStrictRelTol = 1e-14
	// exactAccULPsPerA is the contract's bound per unit of γ·|log(1−v)|
	// in the amplified regime.
	exactAccULPsPerA = 16
	// exactAccMinComponent: components below 1e-300 are outside the
	// contract (they sit near the subnormal range, where relative accuracy
	// ends).
	exactAccMinComponent = 1e-300
	// exactAccMaxK: hiprec.Minimize is slow beyond a dozen classes.
	exactAccMaxK = 12
)

func TestExactAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("accuracy sweep against hiprec: skipped with -short")
	}
	// The vectors are those of theory's TestAccuracy for Ψ: the same seed,
	// with the draws of its scalar sweep (36 per γ) skipped first, so that
	// the table describes q* and Ψ on the same η.
	rng := rand.New(rand.NewPCG(20211, 5))
	gammas := exactAccGammas()
	for range 36 * len(gammas) {
		rng.Float64()
	}
	var tab exactAccTable
	for _, g := range gammas {
		for _, eta := range exactAccVectors(rng) {
			if len(eta) > exactAccMaxK {
				continue
			}
			r, err := numeric.Exact(eta, g)
			if err != nil {
				t.Fatalf("Exact(%v, %v): %v", eta, g, err)
			}
			qw, err := hiprec.Minimize(eta, g)
			if err != nil {
				t.Fatalf("hiprec.Minimize(%v, %v): %v", eta, g, err)
			}
			a := 0.0
			for i := range qw {
				a = math.Max(a, exactAccAmp(hiprec.Float(qw[i]), g))
			}
			for i := range eta {
				if hiprec.Float(qw[i]) < exactAccMinComponent {
					continue
				}
				exactAccCheck(t, &tab, "Exact q*", r.Q[i], qw[i], a, fmt.Sprintf("η=%v i=%d γ=%v", eta, i, g))
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

// exactAccGammas are the γ of theory's accuracy sweep.
func exactAccGammas() []float64 {
	return []float64{0, 1e-9, 1e-6, 1e-3, 0.03, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 5, 7.3, 10, 17, 17.5, 25, 50, 99.5, 100}
}

// exactAccVectors returns probability vectors covering the regimes: random
// Dirichlet-like, tiny entries, near-one-hot, near-uniform, ties and zeros
// (theory's accuracyVectors, draw for draw).
func exactAccVectors(rng *rand.Rand) [][]float64 {
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

// exactAccAmp returns γ·|log(1−v)|, the amplification factor of the
// contract.
func exactAccAmp(v, gamma float64) float64 {
	if gamma == 0 {
		return 0
	}
	return gamma * math.Abs(math.Log1p(-v))
}

// exactAccCheck records one comparison and reports a violation of the
// contract.
func exactAccCheck(t *testing.T, tab *exactAccTable, fn string, got float64, want *apd.Decimal, a float64, where string) {
	t.Helper()
	ulps, rel := hiprec.ULPs(got, want), hiprec.RelErr(got, want)
	if w := math.Abs(hiprec.Float(want)); w < 0x1p-1022 && rel > exactAccStrictRelTol {
		// The true value is subnormal or underflows: only the absolute
		// error, in ulps of the subnormal spacing, is meaningful.
		rel = 0
		if ulps > 1 {
			t.Errorf("%s %s: %.3g ulps of an underflowing value", fn, where, ulps)
		}
		tab.add(fn, "underflow", ulps, rel, where)
		return
	}
	regime := "moderate"
	if a > 10 {
		regime = "amplified"
	}
	tab.add(fn, regime, ulps, rel, where)
	switch {
	case math.IsNaN(ulps):
		t.Errorf("%s %s: NaN error", fn, where)
	case regime == "moderate" && rel > exactAccStrictRelTol:
		t.Errorf("%s %s: relative error %.3g > %g (got %v, want %s)", fn, where, rel, exactAccStrictRelTol, got, want)
	case regime == "amplified" && ulps > exactAccULPsPerA*a:
		t.Errorf("%s %s: %.3g ulps > %g·%.3g (got %v, want %s)", fn, where, ulps, float64(exactAccULPsPerA), a, got, want)
	}
}

type exactAccRow struct {
	fn, regime       string
	cases            int
	worstULPs, worst float64 // worst ulps; worst relative error
	where            string
}

// exactAccTable is the table of worst errors, in the format of theory's
// accTable, so that both write rows of the same table.
type exactAccTable struct{ rows map[string]*exactAccRow }

func (t *exactAccTable) add(fn, regime string, ulps, rel float64, where string) {
	if t.rows == nil {
		t.rows = map[string]*exactAccRow{}
	}
	k := fn + "\x00" + regime
	r := t.rows[k]
	if r == nil {
		r = &exactAccRow{fn: fn, regime: regime}
		t.rows[k] = r
	}
	r.cases++
	if ulps > r.worstULPs || math.IsNaN(ulps) {
		r.worstULPs, r.where = ulps, where
	}
	r.worst = math.Max(r.worst, rel)
}

const exactAccHeader = "| function | regime | cases | worst error (ulps) | worst relative error | at |\n|---|---|---|---|---|---|\n"

// lines returns the table's rows, keyed by function and regime.
func (t *exactAccTable) lines() map[string]string {
	m := map[string]string{}
	for k, r := range t.rows {
		m[k] = fmt.Sprintf("| %s | %s | %d | %.3g | %.3g | %s |", r.fn, r.regime, r.cases, r.worstULPs, r.worst, r.where)
	}
	return m
}

func (t *exactAccTable) markdown() string { return exactAccRender(t.lines()) }

// exactAccRender writes the header and the rows sorted by key.
func exactAccRender(rows map[string]string) string {
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(exactAccHeader)
	for _, k := range keys {
		b.WriteString(rows[k] + "\n")
	}
	return b.String()
}

// mergeInto rewrites the table in file with this table's rows in place of
// any earlier rows of its functions, keeping the other functions' rows (a
// missing file is an empty table).
func (t *exactAccTable) mergeInto(file string) error {
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
	return os.WriteFile(file, []byte(exactAccRender(rows)), 0o644)
}
