// This file is `verify minimize`: the minimizer q* of the pointwise focal
// risk by the exact or the direct solver.

package cli

import (
	"fmt"
	"io"

	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/verify"
)

const minimizeUsage = `Usage: verify minimize --gamma G --eta a,b,c [--solver exact|direct] [--format text|json]

Prints the minimizer q* of the pointwise focal risk W(q; η) (Eq. 7) over the
simplex: exact solves the KKT conditions (q* = Ψ^{-1}(η)); direct minimizes W
itself with gonum/optimize. JSON fields: version, gamma, eta, q, risk,
residual, solver, status, iterations. Exit code 1 if the solver did not
converge.

Flags:
`

type minimizeJSON struct {
	Version    int            `json:"version"`
	Gamma      verify.Float   `json:"gamma"`
	Eta        []verify.Float `json:"eta"`
	Q          []verify.Float `json:"q"`
	Risk       verify.Float   `json:"risk"`
	Residual   verify.Float   `json:"residual"`
	Solver     string         `json:"solver"`
	Status     string         `json:"status"`
	Iterations int            `json:"iterations"`
}

func (c *CLI) minimize(args []string) (int, error) {
	fs := c.flagSet("verify minimize", minimizeUsage)
	gs := gammaFlag(fs)
	etaF := fs.String("eta", "", "class posterior η: comma-separated probabilities summing to 1 (required)")
	solver := fs.String("solver", "exact", "exact or direct")
	format := formatFlag(fs, "text")
	if err := c.parseFormat(fs, args, false, format); err != nil {
		return 0, err
	}
	if *solver != "exact" && *solver != "direct" {
		return 0, usagef("bad --solver %q: want exact or direct", *solver)
	}
	g, err := getGamma(*gs)
	if err != nil {
		return 0, err
	}
	eta, err := getVector("eta", *etaF, g)
	if err != nil {
		return 0, err
	}
	if _, err := c.start(job{}); err != nil {
		return 0, err
	}
	var res numeric.Result
	if *solver == "exact" {
		res, err = numeric.Exact(eta, g)
	} else {
		res, err = numeric.Direct(eta, g, nil)
	}
	if err != nil {
		return 0, err
	}
	v := minimizeJSON{Version: verify.ReportVersion, Gamma: verify.Float(g), Eta: verify.Floats(eta), Q: verify.Floats(res.Q),
		Risk: verify.Float(res.Risk), Residual: verify.Float(res.Residual), Solver: *solver, Status: res.Status.String(), Iterations: res.Iterations}
	err = c.emit("", *format, v, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "gamma    = %s\neta      = %s\nq*       = %s\nrisk     = %s\nresidual = %s\nsolver   = %s (%s, %d iterations)\n",
			ff(g), fv(eta), fv(res.Q), ff(res.Risk), ff(res.Residual), *solver, res.Status, res.Iterations)
		return err
	})
	if err != nil {
		return 0, err
	}
	if res.Status != numeric.Converged {
		fmt.Fprintf(c.Stderr, "verify minimize: the %s solver stopped with status %q\n", *solver, res.Status)
		return ExitFailure, nil
	}
	return ExitOK, nil
}
