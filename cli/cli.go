// Package cli is the command verify: the counterexample search over
// (γ, K), shard merging, the over-confidence boundary, and small helpers
// (thresholds, minimizer, Ψ). cmd/verify is a thin main around CLI.Main;
// the logic lives here so that tests and other tools can drive it.
//
// Layout: this file holds what every subcommand shares at the top (the
// CLI type, Main and its exit codes, the subcommand table, the root usage
// text and the error-to-message mapping); flags.go the shared flag
// parsing; bounds.go the bound of every numeric flag; parse.go the syntax
// of list, range and vector values; start.go the step between checking
// flags and starting work (the files a subcommand reads and writes, the
// signal handlers); output.go how results reach stdout or an --out file;
// then one file per
// subcommand (search.go, merge.go, boundary.go, tau.go, gammatau.go, minimize.go,
// psi.go, calibrate.go, report.go, loss.go, certify.go, checkcertificate.go), each
// with its usage text.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/focaltk/focal/verify"
)

// Exit codes of Main.
const (
	// ExitOK: done, and no theorem of the paper was refuted.
	ExitOK = 0
	// ExitFailure: something other than the input went wrong (an output
	// file could not be written, a solver failed, …).
	ExitFailure = 1
	// ExitUsage: bad command line or bad input values.
	ExitUsage = 2
	// ExitRefuted: a counterexample to a theorem was found and confirmed
	// in high precision.
	ExitRefuted = 3
)

// CLI runs the verify command. Stdout receives reports, Stderr errors and
// the progress bar.
type CLI struct {
	Stdout, Stderr io.Writer
	// Claims returns the claims the search may check; nil means
	// verify.Claims. Tests use it to register extra claims (for example a
	// deliberately false theorem, to see exit code 3).
	Claims func() []verify.Claim
	// Progress forces the progress bar on or off; nil means on exactly
	// when Stderr is a terminal.
	Progress *bool
	// Exit, if set, is called to end the process when a run does not stop
	// within interruptGrace of a signal, or on a second signal, after the
	// temporary files are removed (cmd/verify sets os.Exit; tests that
	// drive Main in-process leave it nil).
	Exit func(code int)

	usage func() // prints the current subcommand's usage
	name  string // "verify" or "verify SUB", the prefix of messages
	// checkOnly makes start return errCheckOnly: the run stops after its
	// checks (tests of flag bounds that are valid but costly to run).
	checkOnly bool
	// The signal handling of the current run (start.go).
	ctx         context.Context
	stopSignals func()
	caught      caughtSignal
}

// usageError is bad input: one line on stderr and ExitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// Main runs the command with args (without the program name) and returns
// the exit code.
func (c *CLI) Main(args []string) int {
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	sub, rest := "", args
	run := (*CLI).search
	if len(args) > 0 {
		if args[0] == "help" {
			io.WriteString(c.Stdout, rootUsage)
			return ExitOK
		}
		if s, ok := lookup(args[0]); ok {
			sub, rest, run = s.name, args[1:], s.run
		}
	}
	c.name = "verify"
	if sub != "" {
		c.name += " " + sub
	}
	c.ctx, c.stopSignals = nil, nil
	c.caught.Store(nil)
	// Handlers first, so that a subcommand blocked before its work (a
	// FIFO that nobody writes) still stops on a signal.
	c.signalContext()
	code, err := run(c, rest)
	c.stopSignals()
	if s := c.interrupted(); s != nil {
		fmt.Fprintf(c.Stderr, "%s: stopped by %s; temporary files removed\n", c.name, signalName(s))
		return exitForSignal(s)
	}
	if err == nil {
		return code
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if errors.Is(err, errCheckOnly) {
		return ExitOK
	}
	name := c.name
	msg := message(err)
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, verify.ErrOptions) || errors.Is(err, verify.ErrMerge) {
		fmt.Fprintf(c.Stderr, "%s: %s (run '%s -h' for usage)\n", name, msg, name)
		return ExitUsage
	}
	fmt.Fprintf(c.Stderr, "%s: %s\n", name, msg)
	return ExitFailure
}

// A subcommand is a first argument of verify and the function that runs
// it; the search is the one without a name. Tests iterate over
// subcommands, so that a new one is covered by the bad-input, bound and
// signal tests as soon as it is listed here.
type subcommand struct {
	name string
	run  func(*CLI, []string) (int, error)
}

var subcommands = []subcommand{
	{"", (*CLI).search},
	{"merge", (*CLI).merge},
	{"tau", (*CLI).tau},
	{"gamma-for-tau", (*CLI).gammaForTau},
	{"loss", (*CLI).loss},
	{"minimize", (*CLI).minimize},
	{"psi", (*CLI).psi},
	{"boundary", (*CLI).boundary},
	{"calibrate", (*CLI).calibrate},
	{"report", (*CLI).report},
	{"certify", (*CLI).certify},
	{"check-certificate", (*CLI).checkCertificate},
}

func lookup(name string) (subcommand, bool) {
	for _, s := range subcommands {
		if s.name == name && name != "" {
			return s, true
		}
	}
	return subcommand{}, false
}

// packagePrefixes are the prefixes the packages below give their errors
// ("verify: cannot merge: …", "report: no line …", encoding/json's
// "json: unknown field …"); after "verify SUB: "
// they would say again where the message comes from.
var packagePrefixes = []string{"verify: ", "jsonfloat: ", "report: ", "calibrate: ", "numeric: ", "certify: ", "json: "}

// message returns err as one line for "verify SUB: <message>". An error
// of a package below loses its packagePrefixes; a usage error built here
// is left as it is (it names the user's files, which may be called
// "report"), its parts from below already trimmed with trimPackage.
func message(err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	var ue *usageError
	if errors.As(err, &ue) {
		return msg
	}
	for _, p := range packagePrefixes {
		msg = strings.TrimPrefix(msg, p)
		msg = strings.ReplaceAll(msg, ": "+p, ": ")
	}
	return msg
}

// trimPackage returns the message of err, an error of a package below,
// without its packagePrefixes at the start.
func trimPackage(err error) string {
	msg := err.Error()
	for _, p := range packagePrefixes {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

const rootUsage = `verify searches for counterexamples to the claims of "On Focal Loss for
Class-Posterior Probability Estimation" (CVPR 2021) and to conjectures about it.

Usage:
  verify [flags]                      search (γ, K) for counterexamples
  verify merge [flags] FILE...        combine the JSON reports of --shard runs
  verify boundary --K K | --gamma G   the over-confidence boundary
  verify tau --gamma G                the thresholds τ_oc, τ_uc of Thm 8
  verify gamma-for-tau --p P          the γ with τ_uc^γ = P (the inverse of τ_uc)
  verify loss SPEC                    the derived facts of a loss (h_g, recovery, properness)
  verify minimize --gamma G --eta a,b,c [--solver exact|direct]
  verify psi --gamma G --q a,b,c      the recovery transform Ψ (Eq. 12)
  verify calibrate --gamma G FILE     recover class posteriors from model outputs
  verify report [--seed N] [--out-dir docs]   regenerate docs/findings.md and its figures
  verify certify tau|gamma-nu|gamma-max|mukhoti|no-oc [--out FILE]  produce a certificate (a computer-assisted proof)
  verify check-certificate FILE...            re-verify certificates from scratch

Each subcommand takes -h. Flags may be written -flag or --flag.

Search: for every requested (γ, K) and every claim that applies there, three
strategies run: random cases from the property-test generators (all regimes,
failures shrunk), structured families (near-uniform, m equal top classes and
the rest equal with max q* below, at and above τ_oc and τ_uc, near-one-hot,
ties, zeros) and Nelder–Mead maximizing the violation over softmax(z). A
negative margin becomes a counterexample only if it stays negative when
re-evaluated with the 40-digit package hiprec; otherwise it is reported as
noise, with its size.

Status: holds (theorem, no counterexample), supported (conjecture, no
counterexample), refuted (confirmed counterexample), noise (negative float64
margin not confirmed), vacuous (no case met the claim's hypothesis).

Reproducibility: the same --seed and flags give byte-identical JSON (apart
from its "timing" object) whatever --workers and however the run is split
with --shard. A run stopped by --time is not reproducible (which units ran
depends on speed); a --budget-capped run is.

JSON: "version": 1; floats round-trip (shortest 'g' form); NaN, +Inf and -Inf
are written as the strings "NaN", "+Inf", "-Inf".

Exit codes:
  0  no theorem refuted (conjectures may be)
  1  other failure (output file, solver)
  2  usage error or bad input (one line on stderr)
  3  a counterexample to a theorem was confirmed in high precision
`
