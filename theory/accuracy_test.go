package theory_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/internal/acctable"
	"github.com/focaltk/focal/theory"
)

// Accuracy of the float64 kernels against the independent 40-digit oracle
// in package hiprec, over a dense set of inputs with the edges on purpose.
//
// Regimes, as the accuracy contract states them:
//   - "moderate": γ·|log(1−v)| ≤ 10 for every input v. There the relative
//     error must be at most acctable.StrictRelTol.
//   - "amplified": some γ·|log(1−v)| > 10 (large γ with v near 1). The
//     float64 logarithm's own half-ulp error in log(1−v) is multiplied by
//     γ there, so the error may grow with a = γ·|log(1−v)|, but must stay
//     under acctable.ULPsPerA·a ulps.
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
// The contract's bounds (acctable.StrictRelTol, acctable.ULPsPerA) are
// shared with numeric's sweep; these are the scalar sweep's own.
const (
	// logHZeroBand: log h^γ has one zero in (0, 1). Within |log h| <
	// logHZeroBand its relative error is that of an absolute error of a
	// few ulps of 1 divided by |log h| (cancellation no float64 formula
	// avoids); there the absolute error is held to absTolNearZero instead.
	logHZeroBand   = 0.05
	absTolNearZero = 1e-15
)

func accuracyVs(rng *rand.Rand, gamma float64) []float64 {
	vs := []float64{0, 0x1p-1074, 1e-320, 0x1p-1022, 1e-300, 1e-200, 1e-100, 1e-50, 1e-20, 1e-10, 1e-5, 1e-3,
		0.01, 0.05, 0.1, 0.2, 0.25, 0.3, 1.0 / 3, 0.4, 0.5, 0.6, 2.0 / 3, 0.7, 0.8, 0.9, 0.99, 0.999,
		1 - 1e-6, 1 - 1e-9, 1 - 1e-12, 1 - 1e-15, 1 - 0x1p-53, 1}
	if gamma > 0 {
		vs = append(vs, theory.TauOC(gamma), theory.TauUC(gamma))
	}
	for range acctable.ScalarDrawsPerGamma / 3 {
		vs = append(vs, rng.Float64(), math.Pow(10, -300*rng.Float64()), 1-math.Pow(10, -16*rng.Float64()))
	}
	return vs
}

func TestAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("accuracy sweep against hiprec: skipped with -short")
	}
	rng := rand.New(rand.NewPCG(20211, 5))
	var tab acctable.Table

	for _, g := range acctable.Gammas() {
		for _, v := range accuracyVs(rng, g) {
			where := fmt.Sprintf("v=%v γ=%v", v, g)
			a := acctable.Amp(v, g)
			acctable.Check(t, &tab, "Phi", theory.Phi(v, g), hiprec.Phi(v, g), a, where)
			got, want := theory.LogH(v, g), hiprec.LogH(v, g)
			if w := hiprec.Float(want); math.Abs(w) < logHZeroBand && a <= 10 {
				abs := math.Abs(got - w)
				tab.Add("LogH", "near its zero (absolute)", abs/0x1p-52, abs, where)
				if abs > absTolNearZero {
					t.Errorf("LogH %s: absolute error %.3g near its zero", where, abs)
				}
				continue
			}
			acctable.Check(t, &tab, "LogH", got, want, a, where)
		}
		where := fmt.Sprintf("γ=%v", g)
		acctable.Check(t, &tab, "TauOC", theory.TauOC(g), hiprec.TauOC(g), 0, where)
		acctable.Check(t, &tab, "TauUC", theory.TauUC(g), hiprec.TauUC(g), 0, where)
	}

	// Ψ on probability vectors from several regimes (numeric's
	// TestExactAccuracy draws the same ones for the exact minimizer).
	for _, g := range acctable.Gammas() {
		for _, v := range acctable.Vectors(rng) {
			psi := theory.Psi(make([]float64, len(v)), v, g)
			want := hiprec.Psi(v, g)
			a := 0.0
			for _, x := range v {
				a = math.Max(a, acctable.Amp(x, g))
			}
			for i := range v {
				if hiprec.Float(want[i]) < acctable.MinComponent {
					continue
				}
				acctable.Check(t, &tab, "Psi", psi[i], want[i], a, fmt.Sprintf("v=%v i=%d γ=%v", v, i, g))
			}
		}
	}
	t.Logf("worst errors against hiprec:\n%s", tab.Markdown())
	writeAccuracyTable(t, &tab)
}

// psiAnyGammas are the γ of TestPsiAccuracyAnyGamma: non-integers across
// the direct path (0, 17], where the power (1−v)^{γ−1} is formed as
// exp((γ−1)·log1p(−v)) (theory's pow1mExp), from tiny γ to its limit.
var psiAnyGammas = []float64{1e-9, 1e-4, 0.25, 0.7, 1.3, 2.5, 3.75, 5.5, 8.2, 9.5, 11.1, 13.7, 16.25, 17 - 0x1p-48}

// psiEdgeVectors are probability vectors with the entries the power is
// most sensitive to: subnormal and smallest normal entries, tiny ones,
// 1 − 2^−53 with its complement split, and ties near the top.
func psiEdgeVectors() [][]float64 {
	return [][]float64{
		{0x1p-1074, 1e-310, 0.3, 0.7},
		{0x1p-1022, 0.5, 0.5},
		{1 - 0x1p-53, 0x1p-53},
		{1 - 0x1p-53, 0x1p-54, 0x1p-54},
		{1 - 0x1p-52, 0x1p-53, 0x1p-1074, 0x1p-53},
		{1 - 1e-16, 1e-16},
		{1 - 1e-12, 1e-12 - 1e-300, 1e-300},
		{1e-300, 1e-200, 1e-100, 1e-20, 1 - 1e-20},
		{0.5 - 0x1p-54, 0.5 + 0x1p-54},
		{0.49, 0.51, 0},
		{0x1p-55, 0x1p-54, 1 - 0x1.8p-54},
	}
}

// Ψ at non-integer γ of the direct path, on acctable's vectors and on
// psiEdgeVectors, against hiprec with the accuracy contract; its worst
// errors are a row of their own in the table.
func TestPsiAccuracyAnyGamma(t *testing.T) {
	if testing.Short() {
		t.Skip("accuracy sweep against hiprec: skipped with -short")
	}
	rng := rand.New(rand.NewPCG(20261203, 6))
	var tab acctable.Table
	const fn = "Psi, non-integer γ ≤ 17"
	for _, g := range psiAnyGammas {
		for _, v := range append(acctable.Vectors(rng), psiEdgeVectors()...) {
			psi := theory.Psi(make([]float64, len(v)), v, g)
			want := hiprec.Psi(v, g)
			a := 0.0
			for _, x := range v {
				a = math.Max(a, acctable.Amp(x, g))
			}
			for i := range v {
				if hiprec.Float(want[i]) < acctable.MinComponent {
					continue
				}
				acctable.Check(t, &tab, fn, psi[i], want[i], a, fmt.Sprintf("v=%v i=%d γ=%v", v, i, g))
			}
		}
	}
	t.Logf("worst errors against hiprec:\n%s", tab.Markdown())
	writeAccuracyTable(t, &tab)
}

// writeAccuracyTable merges tab into the file FOCAL_ACCURACY_OUT names, if
// it is set (a missing file is an empty table).
func writeAccuracyTable(t *testing.T, tab *acctable.Table) {
	out := os.Getenv("FOCAL_ACCURACY_OUT")
	if out == "" {
		return
	}
	old, err := os.ReadFile(out)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte(tab.Merge(string(old))), 0o644); err != nil {
		t.Fatal(err)
	}
}
