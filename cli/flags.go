// This file holds the shared flag parsing of every subcommand: the
// FlagSet that reports instead of printing, the parser that lets flags
// follow FILE arguments, and the flags and checks several subcommands
// share (--format, --out, --gamma, --K, probability vectors). The syntax
// of list and range values is in parse.go.

package cli

import (
	"errors"
	"flag"
	"io"
	"strconv"
	"strings"

	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/verify"
)

// flagSet returns a FlagSet that reports errors instead of printing them;
// parse prints usage (to Stdout) for -h.
func (c *CLI) flagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	c.usage = func() {
		io.WriteString(c.Stdout, usage)
		fs.SetOutput(c.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args, turning flag errors into usage errors and refusing
// positional arguments unless allowArgs; for -h it prints the usage.
// With allowArgs, flags may also follow the arguments (verify calibrate
// FILE --out OUT), up to a "--", after which everything is an argument.
//
// Every numeric flag is then checked against its bound (bounds.go).
func (c *CLI) parse(fs *flag.FlagSet, args []string, allowArgs bool) error {
	c.annotateBounds(fs)
	if err := c.parseArgs(fs, args, allowArgs); err != nil {
		return err
	}
	return c.checkBounds(fs)
}

func (c *CLI) parseArgs(fs *flag.FlagSet, args []string, allowArgs bool) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.usage()
				return err
			}
			return usagef("%v", err)
		}
		if !allowArgs || fs.NArg() == 0 {
			break
		}
		if used := len(args) - fs.NArg(); used > 0 && args[used-1] == "--" {
			pos = append(pos, fs.Args()...)
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if !allowArgs && fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if allowArgs {
		// Leave the arguments in fs.Args().
		if err := fs.Parse(append([]string{"--"}, pos...)); err != nil {
			return usagef("%v", err)
		}
	}
	return nil
}

// formatFlag defines --format, text or json (parseFormat checks it).
func formatFlag(fs *flag.FlagSet, def string) *string {
	return fs.String("format", def, "output format: text or json")
}

// outFlag defines --out, the file emit writes what (the report, the
// answer) to instead of stdout.
func outFlag(fs *flag.FlagSet, what string) *string {
	return fs.String("out", "", "write the "+what+" to `FILE` (atomically) instead of stdout")
}

// parseFormat is parse, then the check of the --format flag (formatFlag).
func (c *CLI) parseFormat(fs *flag.FlagSet, args []string, allowArgs bool, format *string) error {
	if err := c.parse(fs, args, allowArgs); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usagef("bad --format %q: want text or json", *format)
	}
	return nil
}

// getGammaList parses a --gamma list (rangeHelp) of values in [0, MaxGamma].
func getGammaList(s string) ([]float64, error) {
	gs, err := parseFloatList(s)
	if err != nil {
		return nil, usagef("bad --gamma: %v", err)
	}
	for _, g := range gs {
		if err := verify.CheckGamma(g); err != nil {
			return nil, usagef("bad --gamma: %v must be in [0, %d]", g, verify.MaxGamma)
		}
	}
	return gs, nil
}

// getKList parses a --K list (rangeHelp) of values in [2, maxK].
func getKList(s string, maxK int) ([]int, error) {
	ks, err := parseIntList(s)
	if err != nil {
		return nil, usagef("bad --K: %v", err)
	}
	for _, k := range ks {
		if k < 2 || k > maxK {
			return nil, usagef("bad --K: %d must be in [2, %d]", k, maxK)
		}
	}
	return ks, nil
}

func gammaFlag(fs *flag.FlagSet) *string {
	return fs.String("gamma", "", "focusing parameter γ >= 0 (required)")
}

func getGamma(s string) (float64, error) {
	if s == "" {
		return 0, usagef("--gamma is required")
	}
	g, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, usagef("bad --gamma %q: not a number", s)
	}
	if err := verify.CheckGamma(g); err != nil {
		return 0, usagef("bad --gamma %v: want a number in [0, %d]", g, verify.MaxGamma)
	}
	return g, nil
}

// getVector parses and validates a probability vector flag.
func getVector(name, s string, gamma float64) ([]float64, error) {
	if s == "" {
		return nil, usagef("--%s is required", name)
	}
	// Count before parsing: the search's bound on K holds here too.
	if n := strings.Count(s, ",") + 1; n > verify.MaxK {
		return nil, usagef("bad --%s: %d entries: at most %d classes", name, n, verify.MaxK)
	}
	v, err := parseVector(s)
	if err != nil {
		return nil, usagef("bad --%s: %v", name, err)
	}
	if err := numeric.ValidateEta(v, gamma); err != nil {
		var ie *numeric.InputError
		if errors.As(err, &ie) {
			if ie.Index >= 0 {
				return nil, usagef("bad --%s: entry %d = %v: %s (want a probability vector)", name, ie.Index+1, ie.Value, ie.Reason)
			}
			return nil, usagef("bad --%s: %s (got %v; want a probability vector)", name, ie.Reason, ie.Value)
		}
		return nil, usagef("bad --%s: %v", name, err)
	}
	return v, nil
}
