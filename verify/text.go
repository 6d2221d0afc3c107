package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes v as indented JSON followed by a newline, without HTML
// escaping: the encoding every JSON output of the toolkit uses.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// TextOptions configures WriteText; the zero value is the default.
type TextOptions struct {
	// Witnesses adds the details of every counterexample (η, q*, Ψ(q*),
	// both margins, where it was found and the command that reproduces it).
	// The JSON report always has them.
	Witnesses bool
}

// WriteText writes the report for a reader: a result line and a summary per
// claim (its status over all (γ, K) and where it was refuted), the meaning
// of the statuses and margins, the claims' statements, then one table per
// (γ, K) — claim, kind, status, cases checked, worst margin, witness — and,
// with opt.Witnesses, the details of every counterexample.
func WriteText(w io.Writer, rep *Report, opt TextOptions) error {
	var b strings.Builder
	fmt.Fprintf(&b, "focal verify: seed %d, budget %d cases per claim and (gamma, K)", rep.Seed, rep.Budget)
	if rep.Shard != nil {
		fmt.Fprintf(&b, ", shard %d/%d", rep.Shard.Index, rep.Shard.Count)
	}
	fmt.Fprintf(&b, "\n%d of %d work units run, %d claim checks", rep.UnitsRun, rep.Units, rep.Checks)
	if rep.Timing != nil {
		fmt.Fprintf(&b, " in %.1f s", float64(rep.Timing.WallSeconds))
	}
	b.WriteString("\n")
	if rep.Loss != "" {
		writeLossHeader(&b, rep)
	}
	if !rep.Complete {
		b.WriteString("INCOMPLETE: the time cap stopped the search (such a run is not reproducible)\n")
	}
	if len(rep.Results) == 0 {
		b.WriteString("\nno claim applies to any requested (gamma, K)\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	sums := summarize(rep)
	writeSummary(&b, rep, sums)
	b.WriteString(textDefinitions)
	b.WriteString("\nClaims:\n")
	for _, s := range sums {
		if c, ok := Lookup(s.id); ok {
			fmt.Fprintf(&b, "  %s (%s): %s\n", s.id, c.Source, c.Statement)
		}
	}
	var cexs []*Result
	for i := 0; i < len(rep.Results); {
		j := i
		for j < len(rep.Results) && rep.Results[j].Gamma == rep.Results[i].Gamma && rep.Results[j].K == rep.Results[i].K {
			j++
		}
		if rep.Loss != "" {
			fmt.Fprintf(&b, "\nloss %s, K = %d\n", rep.Loss, rep.Results[i].K)
		} else {
			fmt.Fprintf(&b, "\ngamma = %s, K = %d\n", fmtFloat(float64(rep.Results[i].Gamma)), rep.Results[i].K)
		}
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  claim\tkind\tstatus\tcases\tworst margin\twitness")
		for k := i; k < j; k++ {
			r := &rep.Results[k]
			if r.Counterexample != nil {
				cexs = append(cexs, r)
			}
			cases := strconv.Itoa(r.Cases)
			if r.Errors > 0 {
				cases += fmt.Sprintf(" (+%d unsolved)", r.Errors)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Status, cases, fmtMargin(r.WorstMargin), witness(r))
		}
		tw.Flush()
		i = j
	}
	if len(cexs) > 0 && !opt.Witnesses {
		fmt.Fprintf(&b, "\n%d counterexample%s: rerun with --witnesses for η, q*, Psi(q*), both margins and a reproduce line each, or use --format json.\n",
			len(cexs), plural(len(cexs)))
	}
	if len(cexs) > 0 && opt.Witnesses {
		b.WriteString("\nCounterexamples (negative margin in float64 and in 40-digit hiprec):\n")
		for _, r := range cexs {
			writeCounterexample(&b, rep, r)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// textDefinitions says once what the statuses, margins and counts mean.
const textDefinitions = `
Statuses: holds = a theorem with no violating margin; supported = a conjecture
  with no violating margin (violating: negative, or zero on a strict claim
  such as an order or a strict inequality); refuted = a violating margin that
  still violates when re-evaluated with the 40-digit package hiprec (a
  counterexample); noise = a violating float64 margin that hiprec does not
  confirm (rounding, of the size shown); vacuous = no case met the claim's
  hypothesis, so nothing was checked.
Margins: each check returns a signed margin, positive when the claim holds with
  that slack, negative when it is violated by that much. "worst margin" is the
  smallest float64 margin over the cases checked at that (gamma, K) (- if none);
  "witness" is the counterexample's eta, or where the tightest case came from.
Cases: the cases whose check returned a margin; "+n unsolved" counts cases the
  check could not evaluate (the float64 minimizer did not converge): no verdict.
`

// claimSummary is one claim's verdict over all (γ, K) of a report.
type claimSummary struct {
	id     string
	kind   Kind
	status Status
	pairs  int
	// at lists the (γ, K) with the summary's status when it is refuted or
	// noise; vacuous counts the pairs where the claim was vacuous.
	at      []*Result
	vacuous int
}

// textStatusRank orders statuses from the most to the least informative.
var textStatusRank = map[Status]int{Refuted: 0, Unconfirmed: 1, Noise: 1, Holds: 2, Supported: 2, Vacuous: 3}

// summarize returns one claimSummary per claim, in the order of first
// appearance in rep.Results.
func summarize(rep *Report) []claimSummary {
	var out []claimSummary
	idx := map[string]int{}
	for i := range rep.Results {
		r := &rep.Results[i]
		j, ok := idx[r.ID]
		if !ok {
			j = len(out)
			idx[r.ID] = j
			out = append(out, claimSummary{id: r.ID, kind: r.Kind, status: Vacuous})
		}
		s := &out[j]
		s.pairs++
		if r.Status == Vacuous {
			s.vacuous++
		}
		if textStatusRank[r.Status] < textStatusRank[s.status] {
			s.status, s.at = r.Status, nil
		}
		if r.Status == s.status && (r.Status == Refuted || r.Status == Noise) {
			s.at = append(s.at, r)
		}
	}
	return out
}

// writeSummary writes the result line, the per-claim summary and one
// reproduce line per refuted claim.
func writeSummary(b *strings.Builder, rep *Report, sums []claimSummary) {
	var thm, thmRef, conj, conjRef, noise int
	for _, s := range sums {
		if s.kind == Theorem {
			thm++
			if s.status == Refuted {
				thmRef++
			}
		} else {
			conj++
			if s.status == Refuted {
				conjRef++
			}
		}
		if s.status == Noise {
			noise++
		}
	}
	b.WriteString("\nResult: ")
	switch thmRef {
	case 0:
		fmt.Fprintf(b, "no theorem refuted (%d checked)", thm)
	default:
		fmt.Fprintf(b, "%d of %d theorems REFUTED", thmRef, thm)
	}
	if conj > 0 {
		fmt.Fprintf(b, "; %d of %d conjectures refuted", conjRef, conj)
	}
	if noise > 0 {
		fmt.Fprintf(b, "; %d claim%s with float64 noise only", noise, plural(noise))
	}
	b.WriteString(".\n\nSummary per claim, over the (gamma, K) where it applies:\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  claim\tkind\tstatus\t(gamma, K)\twhere")
	for _, s := range sums {
		pairs := strconv.Itoa(s.pairs)
		where := ""
		switch {
		case len(s.at) > 0:
			pairs = fmt.Sprintf("%d of %d", len(s.at), s.pairs)
			where = pairList(rep, s.at)
		case s.vacuous > 0 && s.status != Vacuous:
			where = fmt.Sprintf("vacuous at %d", s.vacuous)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.id, s.kind, s.status, pairs, where)
	}
	tw.Flush()
	first := true
	for _, s := range sums {
		if s.status != Refuted {
			continue
		}
		if first {
			b.WriteString("Reproduce each refutation:\n")
			first = false
		}
		var gs []string
		var ks []string
		for _, r := range s.at {
			if g := fmtFloat(float64(r.Gamma)); !slices.Contains(gs, g) {
				gs = append(gs, g)
			}
			if k := strconv.Itoa(r.K); !slices.Contains(ks, k) {
				ks = append(ks, k)
			}
		}
		axis := "--gamma " + strings.Join(gs, ",")
		if rep.Loss != "" {
			axis = "--loss '" + rep.Loss + "'"
		}
		fmt.Fprintf(b, "  reproduce: verify --seed %d --budget %d %s --K %s --claims %s\n",
			rep.Seed, rep.Budget, axis, strings.Join(ks, ","), s.id)
	}
}

// pairList writes the (γ, K) of rs grouped by γ: "gamma 0.5: K 4,5; gamma 1: K 4".
func pairList(rep *Report, rs []*Result) string {
	var parts []string
	for i := 0; i < len(rs); {
		j := i
		var ks []string
		for j < len(rs) && rs[j].Gamma == rs[i].Gamma {
			ks = append(ks, strconv.Itoa(rs[j].K))
			j++
		}
		if rep.Loss != "" {
			parts = append(parts, "K "+strings.Join(ks, ","))
		} else {
			parts = append(parts, fmt.Sprintf("gamma %s: K %s", fmtFloat(float64(rs[i].Gamma)), strings.Join(ks, ",")))
		}
		i = j
	}
	return strings.Join(parts, "; ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// writeCounterexample writes the details of r's counterexample.
func writeCounterexample(b *strings.Builder, rep *Report, r *Result) {
	c := r.Counterexample
	fmt.Fprintf(b, "\n  %s (%s) at gamma = %s, K = %d\n", r.ID, r.Kind, fmtFloat(float64(c.Gamma)), r.K)
	fmt.Fprintf(b, "    eta      = %s\n", fmtVec(c.Eta, 0))
	fmt.Fprintf(b, "    q*       = %s\n", fmtVec(c.Q, 0))
	fmt.Fprintf(b, "    Psi(q*)  = %s\n", fmtVec(c.Psi, 0))
	fmt.Fprintf(b, "    margin   = %s (float64), %s (hiprec)\n", fmtFloat(float64(c.Margin)), fmtFloat(float64(c.MarginHiprec)))
	fmt.Fprintf(b, "    found by = %s unit %d case %d, unit seed %d", c.Strategy, c.Unit, c.Case, c.Seed)
	if c.Label != "" {
		fmt.Fprintf(b, " (%s)", c.Label)
	}
	b.WriteString("\n")
	if c.Spec != "" {
		shr := ""
		if c.Shrunk {
			shr = " (shrunk)"
		}
		fmt.Fprintf(b, "    spec     = %s%s\n", c.Spec, shr)
	}
	axis := "--gamma " + fmtFloat(float64(c.Gamma))
	if rep.Loss != "" {
		axis = "--loss '" + rep.Loss + "'"
	}
	fmt.Fprintf(b, "    reproduce: verify --seed %d --budget %d %s --K %d --claims %s\n",
		rep.Seed, rep.Budget, axis, r.K, r.ID)
}

// witness summarizes the case behind a result: the counterexample, the
// unconfirmed negative case (noise) or the tightest case.
func witness(r *Result) string {
	switch {
	case r.Counterexample != nil:
		c := r.Counterexample
		return fmt.Sprintf("eta=%s [%s%s]", fmtVec(c.Eta, 4), c.Strategy, labelSuffix(c.Label))
	case r.WorstAt == nil:
		return "-"
	case r.Status == Noise:
		return fmt.Sprintf("eta=%s [%s%s; hiprec margin not negative]", fmtVec(r.WorstEta, 4), r.WorstAt.Strategy, labelSuffix(r.WorstAt.Label))
	}
	return fmt.Sprintf("tightest: %s%s", r.WorstAt.Strategy, labelSuffix(r.WorstAt.Label))
}

func labelSuffix(l string) string {
	if l == "" {
		return ""
	}
	return " " + l
}

func fmtMargin(m *Float) string {
	if m == nil {
		return "-"
	}
	return strconv.FormatFloat(float64(*m), 'g', 4, 64)
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// fmtVec formats v; with short > 0, entries with 4 significant digits and
// at most short of them (then "… (K=n)").
func fmtVec(v []Float, short int) string {
	var b strings.Builder
	b.WriteString("(")
	for i, x := range v {
		if short > 0 && i == short && len(v) > short+1 {
			fmt.Fprintf(&b, ", … (K=%d)", len(v))
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if short > 0 {
			b.WriteString(strconv.FormatFloat(float64(x), 'g', 4, 64))
		} else {
			b.WriteString(fmtFloat(float64(x)))
		}
	}
	b.WriteString(")")
	return b.String()
}

// writeLossHeader says which loss a loss search ran, with which
// minimizers, what the derivation expects of each claim, and which focal
// claims do not apply.
func writeLossHeader(b *strings.Builder, rep *Report) {
	fmt.Fprintf(b, "loss %s (unconfirmed = a violating float64 margin that hiprec cannot re-evaluate at this loss)\n", rep.Loss)
	for _, s := range rep.Solvers {
		conf := "violations confirmed with hiprec.LossMinimize"
		if !s.Oracle {
			conf = "no hiprec minimizer for this loss: violations are reported as unconfirmed"
		}
		fmt.Fprintf(b, "  K = %d: minimizer %s (%s); %s\n", s.K, s.Solver, s.Why, conf)
	}
	if len(rep.Expectations) > 0 {
		b.WriteString("Expected from the derivation (verify/claims_loss.go):\n")
		for _, e := range rep.Expectations {
			fmt.Fprintf(b, "  %s: %s (%s)\n", e.ID, e.Expected, e.Why)
		}
	}
	if len(rep.NotApplicable) > 0 {
		ids := make([]string, len(rep.NotApplicable))
		for i, n := range rep.NotApplicable {
			ids[i] = n.ID
		}
		fmt.Fprintf(b, "Not run: %s: %s\n", strings.Join(ids, ", "), rep.NotApplicable[0].Reason)
	}
}
