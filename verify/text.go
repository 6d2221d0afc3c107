package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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

// WriteText writes the report as one table per (γ, K) — claim, kind,
// status, cases checked, worst margin, witness — followed by the details of
// every counterexample (with the command that reproduces it).
func WriteText(w io.Writer, rep *Report) error {
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
	if !rep.Complete {
		b.WriteString("INCOMPLETE: the time cap stopped the search (such a run is not reproducible)\n")
	}
	var cexs []*Result
	for i := 0; i < len(rep.Results); {
		j := i
		for j < len(rep.Results) && rep.Results[j].Gamma == rep.Results[i].Gamma && rep.Results[j].K == rep.Results[i].K {
			j++
		}
		fmt.Fprintf(&b, "\ngamma = %s, K = %d\n", fmtFloat(float64(rep.Results[i].Gamma)), rep.Results[i].K)
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
	if len(rep.Results) == 0 {
		b.WriteString("\nno claim applies to any requested (gamma, K)\n")
	}
	if len(cexs) > 0 {
		b.WriteString("\nCounterexamples (negative margin in float64 and in 40-digit hiprec):\n")
	}
	for _, r := range cexs {
		c := r.Counterexample
		fmt.Fprintf(&b, "\n  %s (%s) at gamma = %s, K = %d\n", r.ID, r.Kind, fmtFloat(float64(c.Gamma)), r.K)
		fmt.Fprintf(&b, "    eta      = %s\n", fmtVec(c.Eta, 0))
		fmt.Fprintf(&b, "    q*       = %s\n", fmtVec(c.Q, 0))
		fmt.Fprintf(&b, "    Psi(q*)  = %s\n", fmtVec(c.Psi, 0))
		fmt.Fprintf(&b, "    margin   = %s (float64), %s (hiprec)\n", fmtFloat(float64(c.Margin)), fmtFloat(float64(c.MarginHiprec)))
		fmt.Fprintf(&b, "    found by = %s unit %d case %d, unit seed %d", c.Strategy, c.Unit, c.Case, c.Seed)
		if c.Label != "" {
			fmt.Fprintf(&b, " (%s)", c.Label)
		}
		b.WriteString("\n")
		if c.Spec != "" {
			shr := ""
			if c.Shrunk {
				shr = " (shrunk)"
			}
			fmt.Fprintf(&b, "    spec     = %s%s\n", c.Spec, shr)
		}
		fmt.Fprintf(&b, "    reproduce: verify --seed %d --budget %d --gamma %s --K %d --claims %s\n",
			rep.Seed, rep.Budget, fmtFloat(float64(c.Gamma)), r.K, r.ID)
	}
	_, err := io.WriteString(w, b.String())
	return err
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
