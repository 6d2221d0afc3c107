package report

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/focaltk/focal/verify"
)

// Sections 3 and 4 of findings.md (the search over the claims), and the
// claims table of theory.md.

// The search behind the theorem table: a small budget, fixed for the docs,
// so that the staleness test can rerun it (about 1 s on 2 cores).
var (
	thmGammas = []float64{0, 0.5, 1, 2, 5}
	thmKs     = []int{2, 3, 5, 10}
)

// docsBudget is the number of cases per claim and (γ, K) of the searches
// in findings.md.
const docsBudget = 1000

// searchCommand is the command line that reruns a search of the docs.
func searchCommand(gammas []float64, ks []int, seed uint64, id string) string {
	return fmt.Sprintf("go run ./cmd/verify --gamma %s --K %s --budget %d --seed %d --claims %s",
		numList(gammas), intList(ks), docsBudget, seed, id)
}

func search(ctx context.Context, r *run, gammas []float64, ks []int, ids ...string) (*verify.Report, error) {
	var claims []verify.Claim
	for _, id := range ids {
		c, ok := verify.Lookup(id)
		if !ok {
			return nil, fmt.Errorf("report: claim %q is not registered", id)
		}
		claims = append(claims, c)
	}
	r.logf("  search γ ∈ {%s}, K ∈ {%s}, %d claims, budget %d", numList(gammas), intList(ks), len(claims), docsBudget)
	return verify.Search(ctx, verify.Options{Gammas: gammas, Ks: ks, Claims: claims, Budget: docsBudget, Seed: r.opt.Seed})
}

// statusRank orders statuses from the most to the least informative for
// a summary row over several (γ, K).
var statusRank = map[verify.Status]int{verify.Refuted: 0, verify.Noise: 1, verify.Holds: 2, verify.Supported: 2, verify.Vacuous: 3}

func genTheoremTable(ctx context.Context, r *run) (string, error) {
	var ids []string
	for _, c := range verify.Claims() {
		if c.Kind == verify.Theorem {
			ids = append(ids, c.ID)
		}
	}
	rep, err := search(ctx, r, thmGammas, thmKs, ids...)
	if err != nil {
		return "", err
	}
	if !rep.Complete {
		return "", fmt.Errorf("report: the theorem search did not complete")
	}
	var rows [][]string
	for _, id := range ids {
		c, _ := verify.Lookup(id)
		var pairs, cases, errs int
		status := verify.Vacuous
		var worst *verify.Result
		for i := range rep.Results {
			res := &rep.Results[i]
			if res.ID != id {
				continue
			}
			pairs++
			cases += res.Cases
			errs += res.Errors
			if statusRank[res.Status] < statusRank[status] {
				status = res.Status
			}
			if res.WorstMargin != nil && (worst == nil || *res.WorstMargin < *worst.WorstMargin) {
				worst = res
			}
		}
		wm, at := "—", "—"
		if worst != nil {
			wm = sig(float64(*worst.WorstMargin), 3)
			at = fmt.Sprintf("γ = %s, K = %d, %s", sig(float64(worst.Gamma), 4), worst.K, worst.WorstAt.Strategy)
			if worst.WorstAt.Label != "" {
				at += " (" + worst.WorstAt.Label + ")"
			}
		}
		st := string(status)
		if errs > 0 {
			st += fmt.Sprintf(" (+%d unsolved)", errs)
		}
		rows = append(rows, []string{"`" + id + "`", c.Source, c.Statement, fmt.Sprint(pairs), fmt.Sprint(cases), st, wm, at,
			fmt.Sprint(r.opt.Seed), "`" + searchCommand(thmGammas, thmKs, r.opt.Seed, id) + "`"})
	}
	return fmt.Sprintf("Search: γ ∈ {%s} × K ∈ {%s} (the pairs where the claim applies), budget %d cases per claim and (γ, K), seed %d; "+
		"every pair runs all three strategies (random cases from the property-test generators, structured families, Nelder–Mead on the margin). "+
		"%d claim checks in all.\n\n",
		numList(thmGammas), intList(thmKs), docsBudget, r.opt.Seed, rep.Checks) +
		table([]string{"claim", "paper", "statement", "(γ, K) pairs", "cases", "status", "worst margin", "worst case at", "seed", "reproduce"}, rows), nil
}

// conjectureSearch is one search of the conjecture table.
type conjectureSearch struct {
	id     string
	gammas []float64
	ks     []int
}

// conjectureSearches: the grids are chosen around each conjecture's
// boundary (gamma_max(4) = 1.4289, gamma_near_uniform(5) = 0.0293205).
var conjectureSearches = []conjectureSearch{
	{"always-underconfident", []float64{0.5, 1, 2, 5}, []int{3, 4, 5, 10}},
	{"overconfidence-needs-five-classes", []float64{0.5, 1, 1.4, 1.5}, []int{3, 4}},
	{"footnote-2-threshold", []float64{0.01, 0.02, 0.029, 0.0293, 0.02933, 0.0295, 0.03}, []int{5}},
	{"improper-off-sk", []float64{0.5, 1, 2}, []int{3, 4, 5, 10}},
}

func genConjectureTable(ctx context.Context, r *run) (string, error) {
	var b strings.Builder
	for _, cs := range conjectureSearches {
		rep, err := search(ctx, r, cs.gammas, cs.ks, cs.id)
		if err != nil {
			return "", err
		}
		c, _ := verify.Lookup(cs.id)
		fmt.Fprintf(&b, "**`%s`** (%s): %s. Reproduce: `%s`\n\n", cs.id, c.Source, c.Statement, searchCommand(cs.gammas, cs.ks, r.opt.Seed, cs.id))
		var rows [][]string
		for _, res := range rep.Results {
			wm := "—"
			if res.WorstMargin != nil {
				wm = sig(float64(*res.WorstMargin), 3)
			}
			wit, fp, hp := "", "", ""
			if ce := res.Counterexample; ce != nil {
				eta := make([]float64, len(ce.Eta))
				for i, x := range ce.Eta {
					eta[i] = float64(x)
				}
				wit = witnessText(eta) + " (" + ce.Strategy
				if ce.Label != "" {
					wit += ": " + ce.Label
				}
				wit += ")"
				fp, hp = sig(float64(ce.Margin), 3), sig(float64(ce.MarginHiprec), 3)
			}
			rows = append(rows, []string{sig(float64(res.Gamma), 6), fmt.Sprint(res.K), string(res.Status), fmt.Sprint(res.Cases), wm, wit, fp, hp})
		}
		// The smallest margin over all cases is not in general the
		// witness's (the witness is the confirmed case with the most
		// negative 40-digit margin, after shrinking), so the witness's own
		// margins are shown beside it.
		b.WriteString(table([]string{"γ", "K", "status", "cases", "smallest margin, all cases (float64)", "witness", "witness margin (float64)", "witness margin (40 digits)"}, rows))
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// witnessText prints η to 4 digits, or, when η is within 1e-3 of the
// uniform vector u, as u + (η − u) (exact differences, by Sterbenz's lemma).
func witnessText(eta []float64) string {
	u := 1 / float64(len(eta))
	d := make([]float64, len(eta))
	var dev float64
	for i, x := range eta {
		d[i] = x - u
		dev = math.Max(dev, math.Abs(d[i]))
	}
	if dev < 1e-3 {
		return fmt.Sprintf("η = 1/%d + %s", len(eta), vec(d, 3))
	}
	return "η = " + vec(eta, 4)
}

// claimDoc says, for one registered claim, which functions compute the
// quantities it is about and which tests check it (package and test name;
// TestClaimsTableNamesTests checks that each test exists).
type claimDoc struct {
	funcs []string
	tests []string
}

// claimDocs covers every claim of verify.Claims(); genClaimsTable fails on
// a claim missing here, so a new claim cannot be left out of theory.md.
var claimDocs = map[string]claimDoc{
	"thm3-calibration": {
		[]string{"numeric.Exact", "theory.Argmax"},
		[]string{"proptest TestClaims/thm3-calibration", "numeric TestDirectAgainstExact"}},
	"order-preserving": {
		[]string{"numeric.Exact"},
		[]string{"proptest TestClaims/order-preserving", "proptest TestExactStructure"}},
	"thm5-not-proper": {
		[]string{"numeric.Exact"},
		[]string{"proptest TestClaims/thm5-not-proper"}},
	"improper-off-sk": {
		[]string{"numeric.Exact", "theory.InSK", "theory.Phi"},
		[]string{"proptest TestClaims/improper-off-sk", "report TestFixedPointsOffSK"}},
	"prop6-sk": {
		[]string{"numeric.Direct", "numeric.Exact", "theory.InSK"},
		[]string{"proptest TestClaims/prop6-sk", "numeric TestDirectSK"}},
	"thm8-order": {
		[]string{"theory.TauOC", "theory.TauUC", "hiprec.TauOC", "hiprec.TauUC"},
		[]string{"proptest TestClaims/thm8-order", "theory TestTauOrderAndDefinition", "theory TestTauClosedForms", "hiprec TestTauOrder", "hiprec TestTauDefiningEquations"}},
	"thm8-overconfident": {
		[]string{"numeric.Exact", "theory.TauOC", "theory.Confidence"},
		[]string{"proptest TestClaims/thm8-overconfident", "theory TestConfidenceAndSK"}},
	"thm8-underconfident": {
		[]string{"numeric.Exact", "theory.TauUC", "theory.Confidence"},
		[]string{"proptest TestClaims/thm8-underconfident", "theory TestConfidenceAndSK"}},
	"cor9-above-half": {
		[]string{"numeric.Exact"},
		[]string{"proptest TestClaims/cor9-above-half"}},
	"cor10-binary": {
		[]string{"numeric.Exact"},
		[]string{"proptest TestClaims/cor10-binary"}},
	"thm11-recovery": {
		[]string{"theory.Psi", "numeric.Direct", "numeric.PsiRows", "hiprec.Psi"},
		[]string{"proptest TestClaims/thm11-recovery", "proptest TestPsiInvertsExact", "theory TestPsiPaperExample", "numeric TestDirectRoundTrip", "hiprec TestMinimizeRoundTrip", "report TestNitorchRegression"}},
	"prop12-argmax": {
		[]string{"theory.Psi", "theory.H", "theory.LogHDeriv"},
		[]string{"proptest TestClaims/prop12-argmax", "proptest TestLogHIncreasing", "theory TestHIncreasing", "hiprec TestPsiArgmax"}},
	"gamma0-proper": {
		[]string{"numeric.Direct"},
		[]string{"proptest TestClaims/gamma0-proper", "numeric TestDirectGammaZero"}},
	"always-underconfident": {
		[]string{"numeric.Exact", "verify.Search"},
		[]string{"proptest TestAlwaysUnderconfidentRefuted", "verify TestSearchRefutesAlwaysUnderconfident"}},
	"overconfidence-needs-five-classes": {
		[]string{"numeric.Exact", "verify.BoundaryK", "theory.GammaForTauUC"},
		[]string{"proptest TestClaims/overconfidence-needs-five-classes", "verify TestBoundaryK", "verify TestBoundaryGamma"}},
	"footnote-2-threshold": {
		[]string{"numeric.Exact", "verify.BoundaryK"},
		[]string{"proptest TestClaims/footnote-2-threshold", "verify TestFootnote2Threshold", "verify TestBoundaryK"}},
}

func genClaimsTable(ctx context.Context, r *run) (string, error) {
	var rows [][]string
	var missing []string
	for _, c := range verify.Claims() {
		d, ok := claimDocs[c.ID]
		if !ok {
			missing = append(missing, c.ID)
			continue
		}
		rows = append(rows, []string{"`" + c.ID + "`", string(c.Kind), c.Source, c.Statement, codeList(d.funcs), codeList(d.tests)})
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("report: claims without an entry in claimDocs (report/claims.go): %s", strings.Join(missing, ", "))
	}
	return table([]string{"claim ID", "kind", "paper", "statement", "computed by", "checked by"}, rows), nil
}

func codeList(xs []string) string {
	ys := slices.Clone(xs)
	for i, x := range ys {
		ys[i] = "`" + x + "`"
	}
	return strings.Join(ys, ", ")
}
