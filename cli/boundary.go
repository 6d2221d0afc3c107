// This file is `verify boundary`: the over-confidence boundary (γ_max
// per K, k_min per γ) and its text form.

package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/focaltk/focal/verify"
)

const boundaryUsage = `Usage: verify boundary --K K [--format text|json]
       verify boundary --gamma G [--format text|json]

With --K: the supremum of γ for which some η gives an η-overconfident (ηOC)
minimizer (gamma_max, with a witness η just below it), and the supremum of γ
for which ηOC minimizers exist arbitrarily close to the uniform vector
(gamma_near_uniform, the regime of footnote 2); null when no γ > 0 has any.
With --gamma: the smallest K with an ηOC minimizer (k_min) and a witness.
--K and --gamma take lists and ranges too; JSON is then an array of the
single-value objects. Each answer carries a "method" saying how it was
established (bisection over γ with confirmed witnesses on one side and the
search budget on the other).

JSON fields: version, K, gamma_max, gamma_max_bracket, gamma_max_none_found
(from, to, points: the γ above the bracket where the search found none), witness,
witness_float64 (a witness further below that the float64 solver sees too), gamma_tau_uc,
gamma_near_uniform, gamma_near_uniform_bracket, gamma_near_uniform_formula,
method; or version, gamma, status (found, none or undetermined), k_min, witness,
method. A witness has gamma, eta,
q, margin, margin_hiprec, label.

Flags:
`

// maxBoundaryK is the largest K of verify boundary --K (verify.BoundaryK
// refuses larger ones).
const maxBoundaryK = 200

func (c *CLI) boundary(args []string) (int, error) {
	fs := c.flagSet("verify boundary", boundaryUsage)
	kF := fs.String("K", "", "number(s) of classes, in [2, 200]: a number, a `list` or a range start:end[:step] (as for verify; see verify -h)")
	gF := fs.String("gamma", "", "focusing parameter(s) γ: a number, a `list` or a range start:end[:step] (as for verify; see verify -h)")
	seed := fs.Uint64("seed", 1, "seed of the optimizer's random starts")
	format := formatFlag(fs, "text")
	out := outFlag(fs, "answer")
	if err := c.parseFormat(fs, args, false, format); err != nil {
		return 0, err
	}
	if (*kF == "") == (*gF == "") {
		return 0, usagef("give exactly one of --K and --gamma")
	}
	var ks []int
	var gs []float64
	var err error
	if *kF != "" {
		ks, err = getKList(*kF, maxBoundaryK)
	} else {
		gs, err = getGammaList(*gF)
	}
	if err != nil {
		return 0, err
	}
	ctx, err := c.start(job{outputs: []file{{flag: "--out", path: *out}}})
	if err != nil {
		return 0, err
	}
	opt := verify.BoundaryOptions{Seed: *seed}
	var results []any
	var text strings.Builder
	for _, k := range ks {
		r, err := verify.BoundaryK(ctx, k, opt)
		if err != nil {
			return 0, err
		}
		results = append(results, r)
		writeBoundaryK(&text, r)
	}
	for _, g := range gs {
		r, err := verify.BoundaryGamma(ctx, g, opt)
		if err != nil {
			return 0, err
		}
		results = append(results, r)
		writeBoundaryGamma(&text, r)
	}
	var v any = results
	if len(results) == 1 {
		v = results[0]
	}
	return ExitOK, c.emit(*out, *format, v, func(w io.Writer) error {
		_, err := io.WriteString(w, text.String())
		return err
	})
}

func writeBoundaryK(b *strings.Builder, r *verify.BoundaryKReport) {
	fmt.Fprintf(b, "K = %d\n", r.K)
	fmt.Fprintf(b, "  gamma_max          = %s", fptr(r.GammaMax))
	if len(r.GammaMaxBracket) == 2 {
		fmt.Fprintf(b, "   (bracket %s .. %s)", ff(float64(r.GammaMaxBracket[0])), ff(float64(r.GammaMaxBracket[1])))
	}
	b.WriteString("\n")
	if w := r.Witness; w != nil {
		fmt.Fprintf(b, "  witness            : gamma = %s, eta = %s\n", ff(float64(w.Gamma)), fvF(w.Eta))
		fmt.Fprintf(b, "                       q* = %s, max q* - max eta = %s (hiprec), %s (float64)\n", fvF(w.Q), ff(float64(w.MarginHiprec)), ff(float64(w.Margin)))
	}
	if w := r.WitnessFloat64; w != nil {
		fmt.Fprintf(b, "  witness (float64)  : gamma = %s, eta = %s\n", ff(float64(w.Gamma)), fvF(w.Eta))
		fmt.Fprintf(b, "                       max q* - max eta = %s (hiprec), %s (float64)\n", ff(float64(w.MarginHiprec)), ff(float64(w.Margin)))
	}
	if r.GammaTauUC != nil {
		fmt.Fprintf(b, "  gamma with tau_uc = 1/(K-1): %s\n", fptr(r.GammaTauUC))
	}
	fmt.Fprintf(b, "  gamma_near_uniform = %s", fptr(r.GammaNearUniform))
	if len(r.GammaNearUniformBracket) == 2 {
		fmt.Fprintf(b, "   (bracket %s .. %s)", ff(float64(r.GammaNearUniformBracket[0])), ff(float64(r.GammaNearUniformBracket[1])))
	}
	fmt.Fprintf(b, "\n  linearization 1 + (K-1)(ln K - 2)/ln K = %s\n", ff(float64(r.GammaNearUniformFormula)))
	fmt.Fprintf(b, "  method: %s\n\n", r.Method)
}

func writeBoundaryGamma(b *strings.Builder, r *verify.BoundaryGammaReport) {
	fmt.Fprintf(b, "gamma = %s\n", ff(float64(r.Gamma)))
	if r.KMin == nil {
		fmt.Fprintf(b, "  k_min = %s\n", r.Status) // none or undetermined
	} else {
		fmt.Fprintf(b, "  k_min = %d\n", *r.KMin)
	}
	if w := r.Witness; w != nil {
		fmt.Fprintf(b, "  witness: eta = %s\n           q* = %s, max q* - max eta = %s (hiprec), %s (float64)\n",
			fvF(w.Eta), fvF(w.Q), ff(float64(w.MarginHiprec)), ff(float64(w.Margin)))
	}
	fmt.Fprintf(b, "  method: %s\n\n", r.Method)
}
