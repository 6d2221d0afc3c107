// This file is `verify tau`: the thresholds τ_oc and τ_uc of Thm 8.

package cli

import (
	"fmt"
	"io"

	"github.com/focaltk/focal/theory"
	"github.com/focaltk/focal/verify"
)

const tauUsage = `Usage: verify tau --gamma G [--format text|json]

Prints the thresholds of Thm 8: τ_oc = argmax φ^γ and τ_uc, the root of
φ^γ = 1 in (τ_oc, 1/2). JSON fields: version, gamma, tau_oc, tau_uc.

Flags:
`

type tauJSON struct {
	Version int          `json:"version"`
	Gamma   verify.Float `json:"gamma"`
	TauOC   verify.Float `json:"tau_oc"`
	TauUC   verify.Float `json:"tau_uc"`
}

func (c *CLI) tau(args []string) (int, error) {
	fs := c.flagSet("verify tau", tauUsage)
	gs := gammaFlag(fs)
	format := formatFlag(fs, "text")
	if err := c.parseFormat(fs, args, false, format); err != nil {
		return 0, err
	}
	g, err := getGamma(*gs)
	if err != nil {
		return 0, err
	}
	if _, err := c.start(job{}); err != nil {
		return 0, err
	}
	v := tauJSON{Version: verify.ReportVersion, Gamma: verify.Float(g),
		TauOC: verify.Float(theory.TauOC(g)), TauUC: verify.Float(theory.TauUC(g))}
	return ExitOK, c.emit("", *format, v, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "gamma  = %s\ntau_oc = %s\ntau_uc = %s\n", ff(g), ff(float64(v.TauOC)), ff(float64(v.TauUC)))
		return err
	})
}
