// This file is `verify psi`: the recovery transform Ψ^γ of Eq. 12.

package cli

import (
	"fmt"
	"io"

	"github.com/focaltk/focal/loss"
	"github.com/focaltk/focal/theory"
	"github.com/focaltk/focal/verify"
)

const psiUsage = `Usage: verify psi --gamma G --q a,b,c [--format text|json]
       verify psi --loss SPEC --q a,b,c [--format text|json]

Prints η = Ψ^γ(q) (Eq. 12), the class posterior recovered from a focal risk
minimizer q (Thm 11); with --loss, the recovery Ψ_g of that loss (η_j ∝
h_g(q_j), or the KKT system solved for η where the loss has an r term),
for every loss whose recovery exists (verify loss SPEC says). JSON fields:
version, gamma, q, eta, and with --loss: loss, recovery (its formula).

Flags:
`

type psiJSON struct {
	Version  int            `json:"version"`
	Gamma    verify.Float   `json:"gamma"`
	Q        []verify.Float `json:"q"`
	Eta      []verify.Float `json:"eta"`
	Loss     string         `json:"loss,omitempty"`
	Recovery string         `json:"recovery,omitempty"`
}

func (c *CLI) psi(args []string) (int, error) {
	fs := c.flagSet("verify psi", psiUsage)
	gs := gammaFlag(fs)
	qF := fs.String("q", "", "minimizer q: comma-separated probabilities summing to 1 (required)")
	format := formatFlag(fs, "text")
	lossF := fs.String("loss", "", lossFlagHelp)
	if err := c.parseFormat(fs, args, false, format); err != nil {
		return 0, err
	}
	l, err := getLoss(fs, *lossF, true)
	if err != nil {
		return 0, err
	}
	if l != nil {
		return c.psiLoss(l, *qF, *format)
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

func (c *CLI) psiLoss(l *loss.Loss, qs, format string) (int, error) {
	d := loss.Describe(l)
	if d.Recovery == "none" {
		return 0, usagef("bad --loss %s: it has no recovery: %s", l, d.RecoveryFormula)
	}
	q, err := getVector("q", qs, 0)
	if err != nil {
		return 0, err
	}
	if err := l.Validate(len(q)); err != nil {
		return 0, usagef("bad --q for --loss: %v", err)
	}
	if _, err := c.start(job{}); err != nil {
		return 0, err
	}
	eta := l.Recover(nil, q)
	if l.Kind == loss.General {
		// A general loss with a recovery (brier: strictly proper, the
		// minimizer is η): Describe's formula is the identity.
		eta = append(eta[:0], q...)
	}
	for i, e := range eta {
		if !(e >= 0) {
			return 0, usagef("bad --q: Ψ_g(q)[%d] = %v is not a probability: q is not a minimizer of %s for any η", i+1, e, l)
		}
	}
	v := psiJSON{Version: verify.ReportVersion, Q: verify.Floats(q), Eta: verify.Floats(eta), Loss: l.String(), Recovery: d.RecoveryFormula}
	return ExitOK, c.emit("", format, v, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "loss    = %s\nq       = %s\nPsi(q)  = %s\nhow     = %s: %s\n", l, fv(q), fv(eta), d.Recovery, d.RecoveryFormula)
		return err
	})
}
