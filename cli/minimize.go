// This file is `verify minimize`: the minimizer q* of the pointwise focal
// risk by the exact or the direct solver.

package cli

import (
	"fmt"
	"io"

	"github.com/focaltk/focal/loss"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/verify"
)

const minimizeUsage = `Usage: verify minimize --gamma G --eta a,b,c [--solver exact|direct] [--format text|json]
       verify minimize --loss SPEC --eta a,b,c [--solver exact|direct] [--format text|json]

Prints the minimizer q* of the pointwise focal risk W(q; η) (Eq. 7) over the
simplex: exact solves the KKT conditions (q* = Ψ^{-1}(η)); direct minimizes W
itself with gonum/optimize. With --loss, the minimizer of that loss's risk:
exact is the exact solver where h_g is increasing, the global minimizer by
enumerating the KKT solutions over the pieces of −g′ where it is not
(FLSD-53, …), and the direct minimizer where neither applies (non-separable
losses; the output says which, and why). JSON fields: version, gamma, eta,
q, risk, residual, solver, status, iterations, and with --loss: loss,
method (focal-exact, exact, global-enumeration or direct), why,
at_piece_end (coordinates held at a jump of g: an infimum, not attained).
Exit code 1 if the solver did not converge.

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
	Loss       string         `json:"loss,omitempty"`
	Method     string         `json:"method,omitempty"`
	Why        string         `json:"why,omitempty"`
	AtPieceEnd []int          `json:"at_piece_end,omitempty"`
}

func (c *CLI) minimize(args []string) (int, error) {
	fs := c.flagSet("verify minimize", minimizeUsage)
	gs := gammaFlag(fs)
	etaF := fs.String("eta", "", "class posterior η: comma-separated probabilities summing to 1 (required)")
	solver := fs.String("solver", "exact", "exact or direct")
	format := formatFlag(fs, "text")
	lossF := fs.String("loss", "", lossFlagHelp)
	if err := c.parseFormat(fs, args, false, format); err != nil {
		return 0, err
	}
	if *solver != "exact" && *solver != "direct" {
		return 0, usagef("bad --solver %q: want exact or direct", *solver)
	}
	l, err := getLoss(fs, *lossF, true)
	if err != nil {
		return 0, err
	}
	if l != nil {
		return c.minimizeLoss(l, *etaF, *solver, *format)
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

func (c *CLI) minimizeLoss(l *loss.Loss, etas, solver, format string) (int, error) {
	eta, err := getVector("eta", etas, 0)
	if err != nil {
		return 0, err
	}
	if err := l.Validate(len(eta)); err != nil {
		return 0, usagef("bad --eta for --loss: %v", err)
	}
	if _, err := c.start(job{}); err != nil {
		return 0, err
	}
	method, why := verify.LossSolverFor(l, len(eta))
	if solver == "direct" {
		method, why = verify.SolverDirect, "--solver direct: BFGS on W from (η + 1/K)/2, gradient sampling where W has a kink (numeric.LossDirect; a local minimizer)"
	}
	var res numeric.Result
	var at []int
	if method == verify.SolverDirect {
		res, err = numeric.LossDirect(eta, l, 0)
	} else {
		var s *numeric.LossSolver
		if s, err = numeric.NewLossSolver(l); err == nil {
			var lr numeric.LossResult
			lr, err = s.Minimize(make([]float64, len(eta)), eta)
			res, at = lr.Result, lr.AtPieceEnd
		}
	}
	if err != nil {
		return 0, err
	}
	v := minimizeJSON{Version: verify.ReportVersion, Eta: verify.Floats(eta), Q: verify.Floats(res.Q),
		Risk: verify.Float(res.Risk), Residual: verify.Float(res.Residual), Solver: solver, Status: res.Status.String(), Iterations: res.Iterations,
		Loss: l.String(), Method: method, Why: why, AtPieceEnd: at}
	err = c.emit("", format, v, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "loss     = %s\neta      = %s\nq*       = %s\nrisk     = %s\nresidual = %s\nsolver   = %s (%s, %d iterations)\n  why: %s\n",
			l, fv(eta), fv(res.Q), ff(res.Risk), ff(res.Residual), method, res.Status, res.Iterations, why)
		if err == nil && len(at) > 0 {
			_, err = fmt.Fprintf(w, "note     = coordinates %v are held at a jump of g: the infimum of W is approached there, not attained\n", at)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	if res.Status != numeric.Converged {
		fmt.Fprintf(c.Stderr, "verify minimize: the %s solver stopped with status %q\n", method, res.Status)
		return ExitFailure, nil
	}
	return ExitOK, nil
}
