package numeric_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/internal/acctable"
	"github.com/focaltk/focal/numeric"
)

// Accuracy of the exact minimizer q^{γ,*}(η) (numeric.Exact) against the
// independent 40-digit oracle hiprec.Minimize, under the accuracy contract
// of theory's TestAccuracy (theory/accuracy_test.go, which measures the
// float64 kernels the same way), with a = γ·|log(1−q*_i)| the largest over
// the entries of the oracle's q*:
//   - "moderate", a ≤ 10: relative error at most acctable.StrictRelTol;
//   - "amplified", a > 10: at most acctable.ULPsPerA·a ulps.
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
// exactAccMaxK: hiprec.Minimize is slow beyond a dozen classes (the
// contract's bounds are acctable's, shared with theory's sweep).
const exactAccMaxK = 12

func TestExactAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("accuracy sweep against hiprec: skipped with -short")
	}
	// The vectors are those of theory's TestAccuracy for Ψ: the same seed,
	// with the draws of its scalar sweep (36 per γ) skipped first, so that
	// the table describes q* and Ψ on the same η.
	rng := rand.New(rand.NewPCG(20211, 5))
	gammas := acctable.Gammas()
	for range acctable.ScalarDrawsPerGamma * len(gammas) {
		rng.Float64()
	}
	var tab acctable.Table
	for _, g := range gammas {
		for _, eta := range acctable.Vectors(rng) {
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
				a = math.Max(a, acctable.Amp(hiprec.Float(qw[i]), g))
			}
			for i := range eta {
				if hiprec.Float(qw[i]) < acctable.MinComponent {
					continue
				}
				acctable.Check(t, &tab, "Exact q*", r.Q[i], qw[i], a, fmt.Sprintf("η=%v i=%d γ=%v", eta, i, g))
			}
		}
	}
	t.Logf("worst errors against hiprec:\n%s", tab.Markdown())
	if out := os.Getenv("FOCAL_ACCURACY_OUT"); out != "" {
		old, err := os.ReadFile(out)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, []byte(tab.Merge(string(old))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
