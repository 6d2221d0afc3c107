package report

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
	"github.com/focaltk/focal/verify"
)

// docsDir is the committed docs directory, relative to this package.
const docsDir = "../docs"

// fullEnv, set to 1, makes TestDocsUpToDate recompute the expensive blocks
// too (the whole boundary table and the experiments: minutes).
const fullEnv = "FOCAL_REPORT_FULL"

func readDoc(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(docsDir, file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n  committed: %s\n  computed:  %s", i+1, wl, gl)
		}
	}
	return "(no line differs: trailing newline?)"
}

// TestDocsUpToDate is the staleness test: it recomputes the generated
// blocks of docs/findings.md and docs/theory.md that are cheap (the
// registry's cheap flag: the τ tables, the crossover table, the theorem
// and conjecture searches at the docs' budget, the K = 1000 check, the
// nitorch table, the claims table) and compares them byte for byte with
// the committed text; of the boundary table it recomputes the rows
// K = 3…5 (boundaryCheapKs) and the closed-form row K = 1000 and requires
// each to be a line of the committed table. With FOCAL_REPORT_FULL=1 it
// recomputes every block, experiments included. Regenerate with
// `go run ./cmd/verify report`.
//
// The committed numbers come from amd64; a search whose margins are at the
// level of rounding can differ in the last digit printed where the
// compiler fuses multiply–adds (arm64, ppc64, s390x), so the test runs on
// amd64 only.
func TestDocsUpToDate(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skipf("the committed docs are generated on amd64 (this is %s)", runtime.GOARCH)
	}
	full := os.Getenv(fullEnv) == "1"
	ctx := context.Background()
	opt := Options{Seed: DefaultSeed, DataDir: filepath.Join("..", "experiments", "data")}
	for _, file := range DocFiles {
		doc := readDoc(t, file)
		for _, b := range blocks {
			if b.file != file || !(b.cheap || full) {
				continue
			}
			t.Run(b.name, func(t *testing.T) {
				committed, err := Block(doc, b.name)
				if err != nil {
					t.Fatal(err)
				}
				got, err := b.gen(ctx, newRun(opt))
				if err != nil {
					t.Fatal(err)
				}
				if got = withNewline(got); got != committed {
					t.Errorf("docs/%s block %q is stale (run go run ./cmd/verify report): %s", file, b.name, firstDiff(got, committed))
				}
			})
		}
	}
	if full {
		return
	}
	t.Run("boundary-table rows", func(t *testing.T) {
		committed, err := Block(readDoc(t, FindingsFile), "boundary-table")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(committed, "\n")
		rows, err := boundaryReports(ctx, newRun(opt), boundaryCheapKs)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range append(rows, boundaryRow{k: boundaryBigK}) {
			if l := boundaryLine(row); !slices.Contains(lines, l) {
				t.Errorf("docs/findings.md boundary table has no line\n  %s\n(run go run ./cmd/verify report)", l)
			}
		}
	})
}

// TestMarkersMatchRegistry checks that the committed docs have exactly the
// generated blocks of the registry, in its order, and every figure.
func TestMarkersMatchRegistry(t *testing.T) {
	var shown string // the docs that show the figures
	for _, file := range DocFiles {
		if got, want := MarkedBlocks(readDoc(t, file)), BlockNames(file, nil); !slices.Equal(got, want) {
			t.Errorf("docs/%s has blocks %v, the registry %v", file, got, want)
		}
		shown += readDoc(t, file)
	}
	for _, f := range FigureNames() {
		if _, err := os.Stat(filepath.Join(docsDir, FiguresDir, f)); err != nil {
			t.Errorf("figure %s: %v (run go run ./cmd/verify report)", f, err)
		}
		if !strings.Contains(shown, "figures/"+f) {
			t.Errorf("no page of docs/ (%v) shows figures/%s", DocFiles, f)
		}
	}
}

// nitorchQuoteTol is how far from the 4-decimal values quoted in the docs
// (0.9974, 0.0026) Ψ may be: half a unit of the last decimal.
// nitorchWrongTol is the same for the 3-decimal quote (1.037, −0.037).
const (
	nitorchQuoteTol = 5e-5
	nitorchWrongTol = 5e-4
	// psiOracleTol: theory.Psi against the 40-digit hiprec.Psi, a few ulps
	// (docs/numerics.md measures ≤ 12 ulps).
	psiOracleTol = 32 * 0x1p-53
)

// TestNitorchRegression pins the values findings.md quotes: at γ = 2 and
// q = (0.9, 0.1), Ψ^γ(q) = (0.9974, 0.0026) (checked against the 40-digit
// oracle too), while nitorch's FocalHead.posterior, which has logit(v)
// where Eq. 10 has log v, gives (1.037, −0.037), outside the simplex.
func TestNitorchRegression(t *testing.T) {
	q := []float64{0.9, 0.1}
	const gamma = 2
	psi := theory.Psi(make([]float64, 2), q, gamma)
	want := []float64{0.9974, 0.0026}
	oracle := hiprec.Psi(q, gamma)
	for i := range psi {
		if d := math.Abs(psi[i] - want[i]); d > nitorchQuoteTol {
			t.Errorf("Psi(%v, %v)[%d] = %.6f, want %.4f ± %g", q, gamma, i, psi[i], want[i], nitorchQuoteTol)
		}
		if e := hiprec.RelErr(psi[i], oracle[i]); e > psiOracleTol {
			t.Errorf("Psi(%v, %v)[%d] = %v: relative error %.3g against hiprec, want ≤ %.3g", q, gamma, i, psi[i], e, psiOracleTol)
		}
	}
	bad := nitorchPosterior(q, gamma)
	wantBad := []float64{1.037, -0.037}
	for i := range bad {
		if d := math.Abs(bad[i] - wantBad[i]); d > nitorchWrongTol {
			t.Errorf("nitorchPosterior(%v, %v)[%d] = %.6f, want %.3f ± %g", q, gamma, i, bad[i], wantBad[i], nitorchWrongTol)
		}
	}
	// The formula by hand at v = 0.9: logit 0.9 = ln 9, φ_wrong = 0.01 − 2·0.1·0.9·ln 9.
	phi1 := 0.01 - 2*0.1*0.9*math.Log(9)
	phi2 := 0.81 + 2*0.9*0.1*math.Log(9)
	h1, h2 := 0.9/phi1, 0.1/phi2
	if d := math.Abs(bad[0] - h1/(h1+h2)); d > 1e-12 {
		t.Errorf("nitorchPosterior(%v, 2)[0] = %v, the hand formula %v", q, bad[0], h1/(h1+h2))
	}
}

// fixedPointTol bounds max_i |q*_i − η_i|/η_i at a fixed point η found in
// float64: the root t_c is accurate to a few ulps, and φ(t) − φ(b) has
// slope O(1), so Ψ(η) − η is a few ulps times the conditioning of Ψ
// (≤ 10 here); the direct minimizer adds numeric.DirectAccuracy.
const fixedPointTol = 1e-12

// TestFixedPointsOffSK checks the finding of findings.md Sec. 2: η =
// (t_c ×3, b) at K = 4, γ = 0.5 is not in S^K, yet the minimizer of W(·; η),
// found by minimizing W directly (numeric.Direct, which never uses φ, h or
// Ψ), is η itself, and Ψ^γ(η) = η in 40 digits. So "η ∉ S^K ⇒ q* ≠ η" (the
// registry's reading of Thm 5) is false, although Thm 5 as the paper
// states it (the loss is not strictly proper) holds.
func TestFixedPointsOffSK(t *testing.T) {
	c := crossoverCase{k: 4, m: 3, gamma: 0.5}
	tc, ok := findCrossover(c)
	if !ok {
		t.Fatal("no crossover")
	}
	eta := family(c.k, c.m, tc)
	if theory.InSK(eta) {
		t.Fatalf("η = %v is in S^K", eta)
	}
	oracle := hiprec.Psi(eta, c.gamma)
	for i := range eta {
		if e := hiprec.RelErr(eta[i], oracle[i]); e > fixedPointTol {
			t.Errorf("Ψ(η)[%d] differs from η = %v by %.3g relative (40 digits), want ≤ %g", i, eta, e, fixedPointTol)
		}
	}
	res, err := numeric.Direct(eta, c.gamma, nil)
	if err != nil {
		t.Fatal(err)
	}
	tol := numeric.DirectAccuracy(eta, c.gamma) + fixedPointTol
	for i := range eta {
		if d := math.Abs(res.Q[i]-eta[i]) / eta[i]; d > tol {
			t.Errorf("direct minimizer q*[%d] = %v, η = %v: relative difference %.3g > %.3g", i, res.Q[i], eta[i], d, tol)
		}
	}
}

// TestTheoryMDNamesEveryClaim checks that docs/theory.md names every
// registered claim ID (the generated table does; this catches a table that
// was not regenerated after a claim was added).
func TestTheoryMDNamesEveryClaim(t *testing.T) {
	doc := readDoc(t, TheoryFile)
	for _, c := range verify.Claims() {
		if !strings.Contains(doc, "`"+c.ID+"`") {
			t.Errorf("docs/theory.md does not name claim %q", c.ID)
		}
		if _, ok := claimDocs[c.ID]; !ok {
			t.Errorf("claim %q has no entry in claimDocs (report/claims.go)", c.ID)
		}
	}
}

// testRef matches a test reference "pkg TestName" or "pkg TestName/sub" in
// backticks, as docs/theory.md writes them.
var testRef = regexp.MustCompile("`([a-z]+) (Test[A-Za-z0-9_]+)(/[^`]*)?`")

// TestClaimsTableNamesTests checks that every test that the claims table
// (claimDocs) or docs/theory.md cites is defined in that package.
func TestClaimsTableNamesTests(t *testing.T) {
	refs := map[string]bool{}
	for _, d := range claimDocs {
		for _, ref := range d.tests {
			refs[ref] = true
		}
	}
	for _, m := range testRef.FindAllStringSubmatch(readDoc(t, TheoryFile), -1) {
		refs[m[1]+" "+m[2]] = true
	}
	if len(refs) < 40 {
		t.Errorf("found only %d test references", len(refs))
	}
	sources := map[string]string{}
	for ref := range refs {
		pkg, name, ok := strings.Cut(ref, " ")
		if !ok {
			t.Errorf("bad test reference %q", ref)
			continue
		}
		name, _, _ = strings.Cut(name, "/")
		src, ok := sources[pkg]
		if !ok {
			files, _ := filepath.Glob(filepath.Join("..", pkg, "*_test.go"))
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				src += string(b)
			}
			sources[pkg] = src
		}
		if !regexp.MustCompile(`(?m)^func ` + regexp.QuoteMeta(name) + `\(`).MatchString(src) {
			t.Errorf("%q is cited but is not a test of package %s", ref, pkg)
		}
	}
}

// TestMarkers checks the marker handling: content is replaced whole, the
// text around it is kept, and malformed markers are errors.
func TestMarkers(t *testing.T) {
	doc := "# T\n\nprose 1\n" + beginMarker("a") + "\nold\nold2\n" + endMarker("a") + "\nprose 2\n" +
		beginMarker("b") + "\n" + endMarker("b") + "\n"
	got, err := ReplaceBlock(doc, "a", "new")
	if err != nil {
		t.Fatal(err)
	}
	want := "# T\n\nprose 1\n" + beginMarker("a") + "\nnew\n" + endMarker("a") + "\nprose 2\n" + beginMarker("b") + "\n" + endMarker("b") + "\n"
	if got != want {
		t.Errorf("ReplaceBlock:\n%s\nwant\n%s", got, want)
	}
	if c, err := Block(got, "a"); err != nil || c != "new\n" {
		t.Errorf("Block = %q, %v", c, err)
	}
	if c, err := Block(got, "b"); err != nil || c != "" {
		t.Errorf("Block(empty) = %q, %v", c, err)
	}
	if names := MarkedBlocks(got); !slices.Equal(names, []string{"a", "b"}) {
		t.Errorf("MarkedBlocks = %v", names)
	}
	for _, bad := range []string{
		"no markers",
		beginMarker("a") + "\nx\n", // no END
		beginMarker("a") + "\nx" + endMarker("a") + "\n",                                                  // END not at a line start
		beginMarker("a") + "\n" + endMarker("a") + "\n" + beginMarker("a") + "\n" + endMarker("a") + "\n", // twice
	} {
		if _, err := ReplaceBlock(bad, "a", "y"); err == nil {
			t.Errorf("ReplaceBlock(%q) succeeded", bad)
		}
	}
}

// TestRunDeterministic runs the command's logic twice on a fresh directory
// (cheap blocks and one figure) and requires identical files, then checks
// that Check finds nothing stale, and something stale after an edit.
func TestRunDeterministic(t *testing.T) {
	ctx := context.Background()
	only := []string{"tau-table", "nitorch", "claims-table", "phi.png"}
	var docs [2]string
	var pngs [2][]byte
	for i := range 2 {
		dir := t.TempDir()
		if _, err := Run(ctx, Options{Seed: DefaultSeed, OutDir: dir, Only: only}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, FindingsFile))
		if err != nil {
			t.Fatal(err)
		}
		docs[i] = string(b)
		if pngs[i], err = os.ReadFile(filepath.Join(dir, FiguresDir, "phi.png")); err != nil {
			t.Fatal(err)
		}
		res, err := Run(ctx, Options{Seed: DefaultSeed, OutDir: dir, Only: only, Check: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Stale) != 0 {
			t.Errorf("Check right after Run: stale %v", res.Stale)
		}
		if i == 1 {
			edited := strings.Replace(docs[i], "0.2031878700", "0.2031878701", 1)
			if err := os.WriteFile(filepath.Join(dir, FindingsFile), []byte(edited), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := Run(ctx, Options{Seed: DefaultSeed, OutDir: dir, Only: only, Check: true})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Stale, []string{"tau-table"}) {
				t.Errorf("Check after editing the τ table: stale %v, want [tau-table]", res.Stale)
			}
		}
	}
	if docs[0] != docs[1] {
		t.Errorf("two runs differ: %s", firstDiff(docs[1], docs[0]))
	}
	if string(pngs[0]) != string(pngs[1]) {
		t.Errorf("two runs drew different phi.png")
	}
	if _, err := Run(ctx, Options{OutDir: t.TempDir(), Only: []string{"nope"}}); err == nil {
		t.Error("Run with an unknown block succeeded")
	}
}

// TestCheckSummary: the line `verify report --check` prints names what was
// compared, per file, and the verdict.
func TestCheckSummary(t *testing.T) {
	opt := Options{OutDir: "docs", Seed: DefaultSeed}
	for _, c := range []struct {
		res  Result
		want string
	}{
		{Result{Blocks: []string{"tau-table", "nitorch", "claims-table"}},
			"compared 2 generated blocks of docs/findings.md and 1 of docs/theory.md with a fresh computation (seed 1): all up to date; figures are not compared (--check draws none)"},
		{Result{Blocks: []string{"tau-table"}, Stale: []string{"tau-table"}},
			"compared 1 generated block of docs/findings.md with a fresh computation (seed 1): 1 stale: tau-table; figures are not compared (--check draws none)"},
		{Result{},
			"compared no generated block with a fresh computation (seed 1): all up to date; figures are not compared (--check draws none)"},
	} {
		if got := c.res.CheckSummary(opt); got != c.want {
			t.Errorf("CheckSummary(%v) =\n  %s\nwant\n  %s", c.res.Blocks, got, c.want)
		}
	}
}
