// This file is `verify gamma-for-tau`: the inverse of τ_uc, the γ at which a
// given top probability is exactly on the boundary of Thm 8's
// underconfident region (Mukhoti et al.'s sample-dependent γ).

package cli

import (
	"fmt"
	"io"
	"math"

	"github.com/focaltk/focal/theory"
	"github.com/focaltk/focal/verify"
)

const gammaForTauUsage = `Usage: verify gamma-for-tau --p P[,P...] [--format text|json]

Prints, for each p in (0, 1/2], the γ with τ_uc^γ = p (theory.GammaForTauUC):
a focal risk minimizer whose largest entry is p is then on the boundary of
Thm 8's underconfident region, and with any larger γ it is underconfident.
Mukhoti et al. (NeurIPS 2020) choose a sample-dependent γ this way; their
"FLSD-53" schedule rounds γ(0.2) = 4.85 to 5 and γ(0.25) = 3.07 to 3.
γ grows like log(log(1/p))/p as p → 0 and overflows to +Inf below about
1e-307; a γ above 1000 is past the range the other subcommands accept.
tau_uc is τ_uc at the returned γ, recomputed: it shows the round trip.

JSON fields: version, points (a list of {p, gamma, tau_uc}).

` + rangeHelp + `
Flags:
`

type gammaForTauPoint struct {
	P     verify.Float `json:"p"`
	Gamma verify.Float `json:"gamma"`
	TauUC verify.Float `json:"tau_uc"`
}

type gammaForTauJSON struct {
	Version int                `json:"version"`
	Points  []gammaForTauPoint `json:"points"`
}

func (c *CLI) gammaForTau(args []string) (int, error) {
	fs := c.flagSet("verify gamma-for-tau", gammaForTauUsage)
	ps := fs.String("p", "", "top probabilities in (0, 0.5], a list or range (required)")
	format := formatFlag(fs, "text")
	if err := c.parseFormat(fs, args, false, format); err != nil {
		return 0, err
	}
	if *ps == "" {
		return 0, usagef("--p is required")
	}
	list, err := parseFloatList(*ps)
	if err != nil {
		return 0, usagef("bad --p: %v", err)
	}
	for _, p := range list {
		if !(p > 0 && p <= 0.5) {
			return 0, usagef("bad --p: %v must be in (0, 0.5]", p)
		}
	}
	if _, err := c.start(job{}); err != nil {
		return 0, err
	}
	v := gammaForTauJSON{Version: verify.ReportVersion}
	for _, p := range list {
		g := theory.GammaForTauUC(p)
		tau := math.NaN()
		if !math.IsInf(g, 1) {
			tau = theory.TauUC(g)
		}
		v.Points = append(v.Points, gammaForTauPoint{P: verify.Float(p), Gamma: verify.Float(g), TauUC: verify.Float(tau)})
	}
	return ExitOK, c.emit("", *format, v, func(w io.Writer) error {
		for _, pt := range v.Points {
			if _, err := fmt.Fprintf(w, "p = %-22s gamma = %-22s tau_uc = %s\n", ff(float64(pt.P)), ff(float64(pt.Gamma)), ff(float64(pt.TauUC))); err != nil {
				return err
			}
		}
		return nil
	})
}
