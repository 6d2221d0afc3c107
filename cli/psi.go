// This file is `verify psi`: the recovery transform Ψ^γ of Eq. 12.

package cli

import (
	"fmt"
	"io"

	"github.com/focaltk/focal/theory"
	"github.com/focaltk/focal/verify"
)

const psiUsage = `Usage: verify psi --gamma G --q a,b,c [--format text|json]

Prints η = Ψ^γ(q) (Eq. 12), the class posterior recovered from a focal risk
minimizer q (Thm 11). JSON fields: version, gamma, q, eta.

Flags:
`

type psiJSON struct {
	Version int            `json:"version"`
	Gamma   verify.Float   `json:"gamma"`
	Q       []verify.Float `json:"q"`
	Eta     []verify.Float `json:"eta"`
}

func (c *CLI) psi(args []string) (int, error) {
	fs := c.flagSet("verify psi", psiUsage)
	gs := gammaFlag(fs)
	qF := fs.String("q", "", "minimizer q: comma-separated probabilities summing to 1 (required)")
	format := formatFlag(fs, "text")
	if err := c.parseFormat(fs, args, false, format); err != nil {
		return 0, err
	}
	g, err := getGamma(*gs)
	if err != nil {
		return 0, err
	}
	q, err := getVector("q", *qF, g)
	if err != nil {
		return 0, err
	}
	if _, err := c.start(job{}); err != nil {
		return 0, err
	}
	eta := theory.Psi(make([]float64, len(q)), q, g)
	v := psiJSON{Version: verify.ReportVersion, Gamma: verify.Float(g), Q: verify.Floats(q), Eta: verify.Floats(eta)}
	return ExitOK, c.emit("", *format, v, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "gamma   = %s\nq       = %s\nPsi(q)  = %s\n", ff(g), fv(q), fv(eta))
		return err
	})
}
