// This file is `verify loss`: the derived facts of one loss of the loss lab.

package cli

import (
	"fmt"
	"io"

	"github.com/focaltk/focal/loss"
	"github.com/focaltk/focal/verify"
)

const lossUsage = `Usage: verify loss SPEC [--format text|json]
       verify loss --loss SPEC [--format text|json]

Prints the derived facts of a loss: g, g′ and h_g = 1/(−g′) at sample points,
whether h_g is positive and strictly increasing on (0, 1] (decided on a
4096-point grid of −g′ plus the sign of g″; the output says how), the
recovery Ψ_g if it exists, and strict properness; for expr: losses also the
derived g′ and h_g as expressions.

SPEC is NAME or NAME:key=value,... (e.g. focal:gamma=2, poly1:eps=1), or
expr:"EXPRESSION";key=value,... — wrap it in single quotes on a shell
command line: verify loss 'expr:"-(1-u)^g*log(u)";g=2'. Losses: ` + "%s" + `.

JSON fields: version, spec, name, kind, doc, h_positive, h_increasing, where,
h_how, jumps, strictly_proper, proper_how, recovery, recovery_formula,
g_expr, dg_expr, hg_expr, samples (u, g, dg, h).

Flags:
`

type lossSampleJSON struct {
	U  verify.Float `json:"u"`
	G  verify.Float `json:"g"`
	DG verify.Float `json:"dg"`
	H  verify.Float `json:"h"`
}

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
}

func (c *CLI) loss(args []string) (int, error) {
	fs := c.flagSet("verify loss", fmt.Sprintf(lossUsage, joinNames(loss.Names())))
	spec := fs.String("loss", "", "the loss `SPEC` (or give it as the argument)")
	format := formatFlag(fs, "text")
	if err := c.parseFormat(fs, args, true, format); err != nil {
		return 0, err
	}
	s := *spec
	switch {
	case fs.NArg() > 1 || fs.NArg() == 1 && s != "":
		return 0, usagef("verify loss takes one loss spec (as the argument or --loss)")
	case fs.NArg() == 1:
		s = fs.Arg(0)
	case s == "":
		return 0, usagef("verify loss needs a loss spec; losses: %s", joinNames(loss.Names()))
	}
	l, err := loss.Parse(s)
	if err != nil {
		return 0, usagef("bad --loss: %v", err)
	}
	if _, err := c.start(job{}); err != nil {
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
		return nil
	})
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
