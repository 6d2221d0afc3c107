// This file is `verify loss`: the derived facts of one loss of the loss lab.

package cli

import (
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/focaltk/focal/loss"
	"github.com/focaltk/focal/verify"
)

const lossUsage = `Usage: verify loss SPEC [--K LIST] [--boundary=false] [--budget N] [--format text|json]
       verify loss --loss SPEC [--K LIST] [--boundary=false] [--budget N] [--format text|json]

Prints the derived facts of a loss: g, g′ and h_g = 1/(−g′) at sample points,
whether h_g is positive and strictly increasing on (0, 1] (decided on a
4096-point grid of −g′ plus the sign of g″; the output says how), the
recovery Ψ_g if it exists, and strict properness; for expr: losses also the
derived g′ and h_g as expressions.

At each K of --K (default 2,3,10): whether the minimizer is
classification-calibrated and order-preserving, and whether η-overconfident
(max q* > max η) and η-underconfident minimizers exist, each answer with how
it was established: a proof (for a separable loss with h_g positive and
increasing, from the trend of h_g(v)/v: constant, decreasing or increasing),
a witness (an η whose minimizer is ηOC or ηUC), or a search that found none.
Where no argument applies (a loss that is not separable, has an r term or
class weights, a discontinuous g or an h_g that is not increasing), those
answers come from a search of the minimizer: the claims loss-calibration,
loss-order-preserving, loss-never-overconfident and
loss-never-underconfident of verify --loss SPEC, --budget cases per claim
and K (default 500; 0 skips it), seed 1. A violation is "no" (or "yes" for
existence) with its witness; none is "not refuted" (or "not found"), which
is not a proof.
For a loss with one parameter, the values of it where those answers change
at each K (a scan of 0 and 1e-3 … 100, then bisection; the "yes" side of each
bracket is proved by a witness, the other side is the search's).

SPEC is NAME or NAME:key=value,... (e.g. focal:gamma=2, poly1:eps=1), or
expr:"EXPRESSION";key=value,... — wrap it in single quotes on a shell
command line: verify loss 'expr:"-(1-u)^g*log(u)";g=2'. Losses: ` + "%s" + `.

JSON fields: version, spec, name, kind, doc, h_positive, h_increasing, where,
h_how, jumps, strictly_proper, proper_how, recovery, recovery_formula,
g_expr, dg_expr, hg_expr, samples (u, g, dg, h), at_k (k, applies, why,
trend, classification_calibrated and order_preserving {answer, how, witness},
overconfident and underconfident {exists, how, witness {eta, q, margin}},
boundary {param, transitions [{kind, lo, hi, below, above}]}).

Flags:
`

type lossSampleJSON struct {
	U  verify.Float `json:"u"`
	G  verify.Float `json:"g"`
	DG verify.Float `json:"dg"`
	H  verify.Float `json:"h"`
}

type answerJSON struct {
	Answer  string       `json:"answer"`
	How     string       `json:"how"`
	Witness *witnessJSON `json:"witness,omitempty"`
}

type witnessJSON struct {
	Eta    []verify.Float `json:"eta"`
	Q      []verify.Float `json:"q"`
	Margin verify.Float   `json:"margin"`
}

type existenceJSON struct {
	Exists  string       `json:"exists"`
	How     string       `json:"how"`
	Witness *witnessJSON `json:"witness"`
}

type transitionJSON struct {
	Kind  string       `json:"kind"`
	Lo    verify.Float `json:"lo"`
	Hi    verify.Float `json:"hi"`
	Below string       `json:"below"`
	Above string       `json:"above"`
}

type boundaryJSON struct {
	Param       string           `json:"param"`
	Transitions []transitionJSON `json:"transitions"`
}

type atKJSON struct {
	K               int           `json:"k"`
	Applies         bool          `json:"applies"`
	Why             string        `json:"why,omitempty"`
	Trend           string        `json:"trend,omitempty"`
	Calibrated      answerJSON    `json:"classification_calibrated"`
	OrderPreserving answerJSON    `json:"order_preserving"`
	Overconfident   existenceJSON `json:"overconfident"`
	Underconfident  existenceJSON `json:"underconfident"`
	Boundary        *boundaryJSON `json:"boundary,omitempty"`
}

func floats(v []float64) []verify.Float {
	out := make([]verify.Float, len(v))
	for i, x := range v {
		out[i] = verify.Float(x)
	}
	return out
}

func existenceOf(e loss.Existence) existenceJSON {
	return existenceJSON{Exists: e.Exists, How: e.How, Witness: witnessOf(e.Witness)}
}

func answerOf(a loss.Answer) answerJSON {
	return answerJSON{Answer: a.Answer, How: a.How, Witness: witnessOf(a.Witness)}
}

func witnessOf(w *loss.Witness) *witnessJSON {
	if w == nil {
		return nil
	}
	return &witnessJSON{floats(w.Eta), floats(w.Q), verify.Float(w.Margin)}
}

// lossAnswerSeed seeds the search of verify loss (fixed, so that its
// answers are reproducible; verify --loss SPEC --seed S searches further).
const lossAnswerSeed = 1

// maxLossK bounds --K of verify loss, as for verify boundary: the witness
// search and the boundary's bisection cost about 10^4·K evaluations of h_g
// per answer (seconds at K = 200).
const maxLossK = 200

type lossJSON struct {
	Version         int              `json:"version"`
	Spec            string           `json:"spec"`
	Name            string           `json:"name"`
	Kind            string           `json:"kind"`
	Doc             string           `json:"doc"`
	HPositive       *bool            `json:"h_positive"`
	HIncreasing     *bool            `json:"h_increasing"`
	Where           verify.Float     `json:"where"`
	HHow            string           `json:"h_how"`
	Jumps           []verify.Float   `json:"jumps"`
	StrictlyProper  string           `json:"strictly_proper"`
	ProperHow       string           `json:"proper_how"`
	Recovery        string           `json:"recovery"`
	RecoveryFormula string           `json:"recovery_formula"`
	GExpr           string           `json:"g_expr,omitempty"`
	DGExpr          string           `json:"dg_expr,omitempty"`
	HGExpr          string           `json:"hg_expr,omitempty"`
	Samples         []lossSampleJSON `json:"samples"`
	AtK             []atKJSON        `json:"at_k"`
}

func (c *CLI) loss(args []string) (int, error) {
	fs := c.flagSet("verify loss", fmt.Sprintf(lossUsage, joinNames(loss.Names())))
	spec := fs.String("loss", "", "the loss `SPEC` (or give it as the argument)")
	bnd := fs.Bool("boundary", true, "for a loss with one parameter, where the answers change along it (--boundary=false skips it: it costs about a second)")
	kF := fs.String("K", "2,3,10", "numbers of classes for the per-K answers, in [2, 200]: a number, a `list` or a range start:end[:step] (as for verify; see verify -h); for a loss with class weights (focal-alpha) the default is their number")
	budget := fs.Int("budget", verify.LossAnswerBudget, "cases per claim and K of the search that answers what no argument does (0: no search, those answers stay unknown)")
	format := formatFlag(fs, "text")
	if err := c.parseFormat(fs, args, true, format); err != nil {
		return 0, err
	}
	ks, err := getKList(*kF, maxLossK)
	if err != nil {
		return 0, err
	}
	kGiven := false
	fs.Visit(func(f *flag.Flag) { kGiven = kGiven || f.Name == "K" })
	s := *spec
	switch {
	case fs.NArg() > 1 || fs.NArg() == 1 && s != "":
		return 0, usagef("verify loss takes one loss spec (as the argument or --loss)")
	case fs.NArg() == 1:
		s = fs.Arg(0)
	case s == "":
		return 0, usagef("verify loss needs a loss spec; losses: %s", joinNames(loss.Names()))
	}
	l, perr := loss.Parse(s)
	if err = perr; err != nil {
		return 0, usagef("bad --loss: %v", err)
	}
	if l.Weights != nil && !kGiven {
		if len(l.Weights) < 2 {
			return 0, usagef("bad --loss: %s has %d class weight: give one per class, at least 2 ('/'-separated)", l, len(l.Weights))
		}
		ks = []int{len(l.Weights)}
	}
	for _, k := range ks {
		if err := l.Validate(k); err != nil {
			return 0, usagef("bad --K for --loss: %v", err)
		}
	}
	ctx, err := c.start(job{})
	if err != nil {
		return 0, err
	}
	d := loss.Describe(l)
	v := lossJSON{Version: verify.ReportVersion, Spec: d.Spec, Name: d.Name, Kind: d.Kind, Doc: d.Doc,
		HPositive: d.HPositive, HIncreasing: d.HIncreasing, Where: verify.Float(d.Where), HHow: d.HHow,
		Jumps: []verify.Float{}, StrictlyProper: d.StrictlyProper, ProperHow: d.ProperHow,
		Recovery: d.Recovery, RecoveryFormula: d.RecoveryFormula,
		GExpr: d.GExpr, DGExpr: d.DGExpr, HGExpr: d.HGExpr, Samples: []lossSampleJSON{}}
	for _, j := range d.Jumps {
		v.Jumps = append(v.Jumps, verify.Float(j))
	}
	for _, p := range d.Samples {
		v.Samples = append(v.Samples, lossSampleJSON{verify.Float(p.U), verify.Float(p.G), verify.Float(p.DG), verify.Float(p.H)})
	}
	v.AtK = []atKJSON{}
	facts := make([]loss.ConfidenceFacts, len(ks))
	for i, k := range ks {
		facts[i] = loss.ConfidenceAt(l, k)
	}
	if *budget > 0 {
		progress, done := c.searchBar("searching the open answers")
		_, err := verify.SearchLossAnswers(ctx, l, facts, *budget, lossAnswerSeed, progress)
		done()
		if c.interrupted() != nil {
			return 0, ctx.Err()
		}
		if err != nil {
			return 0, err
		}
	}
	for i, k := range ks {
		cf := facts[i]
		a := atKJSON{K: k, Applies: cf.Applies, Why: cf.Why, Trend: cf.Trend,
			Calibrated:      answerOf(cf.Calibrated),
			OrderPreserving: answerOf(cf.OrderPreserving),
			Overconfident:   existenceOf(cf.OC), Underconfident: existenceOf(cf.UC)}
		if *bnd {
			if param, ts, ok := loss.Boundary(l, k); ok {
				b := &boundaryJSON{Param: param, Transitions: []transitionJSON{}}
				for _, t := range ts {
					b.Transitions = append(b.Transitions, transitionJSON{t.Kind, verify.Float(t.Lo), verify.Float(t.Hi), t.Below, t.Above})
				}
				a.Boundary = b
			}
		}
		v.AtK = append(v.AtK, a)
	}
	return ExitOK, c.emit("", *format, v, func(w io.Writer) error {
		yn := func(b *bool) string {
			switch {
			case b == nil:
				return "n/a"
			case *b:
				return "yes"
			}
			return "no"
		}
		fmt.Fprintf(w, "loss             %s (%s)\n%s\n", d.Spec, d.Kind, d.Doc)
		if d.GExpr != "" {
			fmt.Fprintf(w, "g(u)             = %s\ng′(u)            = %s (derived)\nh_g(u)           = %s\n", d.GExpr, d.DGExpr, d.HGExpr)
		}
		fmt.Fprintf(w, "h_g positive     %s\nh_g increasing   %s", yn(d.HPositive), yn(d.HIncreasing))
		if d.HIncreasing != nil && !*d.HIncreasing && d.Where != 0 {
			fmt.Fprintf(w, " (fails at u = %s)", ff(d.Where))
		}
		fmt.Fprintf(w, "\n  how: %s\n", d.HHow)
		if len(d.Jumps) > 0 {
			fmt.Fprintf(w, "g jumps at       %v\n", d.Jumps)
		}
		fmt.Fprintf(w, "strictly proper  %s\n  how: %s\nrecovery         %s: %s\n", d.StrictlyProper, d.ProperHow, d.Recovery, d.RecoveryFormula)
		if len(d.Samples) > 0 {
			fmt.Fprintf(w, "%-12s %-24s %-24s %s\n", "u", "g", "g′", "h_g")
			for _, p := range d.Samples {
				fmt.Fprintf(w, "%-12s %-24s %-24s %s\n", ff(p.U), ff(p.G), ff(p.DG), ff(p.H))
			}
		}
		for _, a := range v.AtK {
			writeAtK(w, a)
		}
		return nil
	})
}

// writeAtK writes the answers at one K.
func writeAtK(w io.Writer, a atKJSON) {
	fmt.Fprintf(w, "\nat K = %d", a.K)
	if a.Trend != "" {
		fmt.Fprintf(w, " (h_g(v)/v %s)", a.Trend)
	}
	op := a.OrderPreserving.How
	if op == a.Calibrated.How {
		op = "the same argument"
	}
	fmt.Fprintf(w, "\n  classification-calibrated  %s: %s\n", a.Calibrated.Answer, a.Calibrated.How)
	writeWitness(w, a.Calibrated.Witness)
	fmt.Fprintf(w, "  order-preserving           %s: %s\n", a.OrderPreserving.Answer, op)
	writeWitness(w, a.OrderPreserving.Witness)
	if !a.Applies {
		fmt.Fprintf(w, "  ηOC / ηUC minimizers       %s\n", a.Why)
		if a.Overconfident.Exists == "" {
			return
		}
	}
	for _, e := range []struct {
		name string
		x    existenceJSON
	}{{"ηOC minimizers            ", a.Overconfident}, {"ηUC minimizers            ", a.Underconfident}} {
		fmt.Fprintf(w, "  %s %s: %s\n", e.name, e.x.Exists, e.x.How)
		writeWitness(w, e.x.Witness)
	}
	if b := a.Boundary; b != nil {
		if len(b.Transitions) == 0 {
			fmt.Fprintf(w, "  along %s: no change of either answer over the scan\n", b.Param)
		}
		for _, t := range b.Transitions {
			fmt.Fprintf(w, "  along %s: %s minimizers %s at %s = %.10g, %s from %.10g\n", b.Param, t.Kind, t.Below, b.Param, float64(t.Lo), t.Above, float64(t.Hi))
		}
	}
}

// writeWitness writes a witness under its answer (nothing for nil).
func writeWitness(w io.Writer, wt *witnessJSON) {
	if wt != nil {
		fmt.Fprintf(w, "    witness η = %s\n            q* = %s, max q* − max η = %.6g\n", fvec(wt.Eta), fvec(wt.Q), float64(wt.Margin))
	}
}

// fvec formats a vector for the text output, a run of n equal entries
// as "x ×n".
func fvec(v []verify.Float) string {
	s := "("
	for i := 0; i < len(v); {
		j := i + 1
		for j < len(v) && v[j] == v[i] {
			j++
		}
		if i > 0 {
			s += ", "
		}
		s += strconv.FormatFloat(float64(v[i]), 'g', 6, 64)
		if j-i > 1 {
			s += " ×" + strconv.Itoa(j-i)
		}
		i = j
	}
	return s + ")"
}

func joinNames(ns []string) string {
	s := ""
	for i, n := range ns {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}
