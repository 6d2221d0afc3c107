// Package cli is the command verify: the counterexample search over
// (γ, K), shard merging, the over-confidence boundary, and small helpers
// (thresholds, minimizer, Ψ). cmd/verify is a thin main around CLI.Main;
// the logic lives here so that tests and other tools can drive it.
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/outfile"
	"github.com/focaltk/focal/theory"
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

	usage func() // prints the current subcommand's usage
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
		if f, ok := subcommands[args[0]]; ok {
			sub, rest, run = args[0], args[1:], f
		}
	}
	code, err := run(c, rest)
	if err == nil {
		return code
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	name := "verify"
	if sub != "" {
		name += " " + sub
	}
	msg := message(err)
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, verify.ErrOptions) || errors.Is(err, verify.ErrMerge) {
		fmt.Fprintf(c.Stderr, "%s: %s (run '%s -h' for usage)\n", name, msg, name)
		return ExitUsage
	}
	fmt.Fprintf(c.Stderr, "%s: %s\n", name, msg)
	return ExitFailure
}

// subcommands maps the first argument to its subcommand; anything else
// is the search's flags.
var subcommands = map[string]func(*CLI, []string) (int, error){
	"merge":     (*CLI).merge,
	"tau":       (*CLI).tau,
	"minimize":  (*CLI).minimize,
	"psi":       (*CLI).psi,
	"boundary":  (*CLI).boundary,
	"calibrate": (*CLI).calibrate,
	"report":    (*CLI).report,
}

// packagePrefixes are the prefixes the packages below give their errors
// ("verify: cannot merge: …", "report: no line …", encoding/json's
// "json: unknown field …"); after "verify SUB: "
// they would say again where the message comes from.
var packagePrefixes = []string{"verify: ", "report: ", "calibrate: ", "numeric: ", "json: "}

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
func (c *CLI) parse(fs *flag.FlagSet, args []string, allowArgs bool) error {
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

const rootUsage = `verify searches for counterexamples to the claims of "On Focal Loss for
Class-Posterior Probability Estimation" (CVPR 2021) and to conjectures about it.

Usage:
  verify [flags]                      search (γ, K) for counterexamples
  verify merge [flags] FILE...        combine the JSON reports of --shard runs
  verify boundary --K K | --gamma G   the over-confidence boundary
  verify tau --gamma G                the thresholds τ_oc, τ_uc of Thm 8
  verify minimize --gamma G --eta a,b,c [--solver exact|direct]
  verify psi --gamma G --q a,b,c      the recovery transform Ψ (Eq. 12)
  verify calibrate --gamma G FILE     recover class posteriors from model outputs
  verify report [--seed N] [--out-dir docs]   regenerate docs/findings.md and its figures

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

const searchUsage = rootUsage + "\n" + rangeHelp + `
Search flags:
`

func (c *CLI) claims() []verify.Claim {
	if c.Claims != nil {
		return c.Claims()
	}
	return verify.Claims()
}

func (c *CLI) search(args []string) (int, error) {
	fs := c.flagSet("verify", searchUsage)
	gammaF := fs.String("gamma", "0.5,1,2", "γ values: a number, a `list` such as 0.5,1,2, or a range start:end[:step] such as 0:2:0.5 (start included, end when a step lands on it; see above)")
	kF := fs.String("K", "3,4,5,10", "numbers of classes: a number, a `list` such as 3,4,5 or a range start:end[:step] such as 3:10:2 (see above)")
	claimsF := fs.String("claims", "", "comma-separated claim IDs (default: all)")
	budget := fs.Int("budget", verify.DefaultBudget, "cases per claim and (γ, K)")
	timeCap := fs.Duration("time", 0, "cap on the whole run, e.g. 30s (0: none); a capped run is not reproducible")
	seed := fs.Uint64("seed", 1, "seed of every random choice")
	workers := fs.Int("workers", runtime.NumCPU(), "worker goroutines")
	format := formatFlag(fs, "text")
	out := outFlag(fs, "report")
	shard := fs.String("shard", "", "run shard `i/n` of the work (1 <= i <= n); combine with verify merge")
	witnesses := fs.Bool("witnesses", false, "text report: add every counterexample's eta, q*, Psi(q*), margins and reproduce line (JSON always has them)")
	if err := c.parseFormat(fs, args, false, format); err != nil {
		return 0, err
	}
	gammas, err := getGammaList(*gammaF)
	if err != nil {
		return 0, err
	}
	ks, err := getKList(*kF, verify.MaxK)
	if err != nil {
		return 0, err
	}
	all := c.claims()
	var claims []verify.Claim
	if strings.TrimSpace(*claimsF) == "" {
		claims = all
	} else {
		for _, id := range strings.Split(*claimsF, ",") {
			id = strings.TrimSpace(id)
			i := slices.IndexFunc(all, func(cl verify.Claim) bool { return cl.ID == id })
			if i < 0 {
				var ids []string
				for _, cl := range all {
					ids = append(ids, cl.ID)
				}
				return 0, usagef("unknown claim %q in --claims (known: %s)", id, strings.Join(ids, ", "))
			}
			if !slices.ContainsFunc(claims, func(cl verify.Claim) bool { return cl.ID == id }) {
				claims = append(claims, all[i])
			}
		}
		// Keep the registry's order, so that the report does not depend
		// on how the IDs were listed.
		slices.SortStableFunc(claims, func(a, b verify.Claim) int {
			return slices.IndexFunc(all, func(cl verify.Claim) bool { return cl.ID == a.ID }) -
				slices.IndexFunc(all, func(cl verify.Claim) bool { return cl.ID == b.ID })
		})
	}
	if *budget < 1 {
		return 0, usagef("bad --budget %d: want >= 1", *budget)
	}
	if *workers < 1 {
		return 0, usagef("bad --workers %d: want >= 1", *workers)
	}
	if *timeCap < 0 {
		return 0, usagef("bad --time %v: want >= 0", *timeCap)
	}
	opt := verify.Options{Gammas: gammas, Ks: ks, Claims: claims, Budget: *budget, Seed: *seed, Workers: *workers}
	if *shard != "" {
		i, n, err := parseShard(*shard)
		if err != nil {
			return 0, usagef("bad --shard %q: %v", *shard, err)
		}
		opt.ShardIndex, opt.ShardCount = i, n
	}
	ctx := context.Background()
	if *timeCap > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeCap)
		defer cancel()
	}
	var bar *progressbar.ProgressBar
	if c.showProgress() {
		bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(c.Stderr),
			progressbar.OptionSetDescription("searching"), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish(),
			progressbar.OptionShowElapsedTimeOnFinish())
		opt.Progress = func(done, total int) {
			if bar.GetMax() != total {
				bar.ChangeMax(total)
			}
			bar.Set(done)
		}
	}
	rep, err := verify.Search(ctx, opt)
	if bar != nil {
		bar.Finish()
		bar.Clear()
	}
	if err != nil {
		return 0, err
	}
	if err := c.emit(*out, *format, rep, func(w io.Writer) error {
		return verify.WriteText(w, rep, verify.TextOptions{Witnesses: *witnesses})
	}); err != nil {
		return 0, err
	}
	if !rep.Complete {
		fmt.Fprintf(c.Stderr, "verify: the --time cap stopped the search after %d of %d units; the report is partial and not reproducible\n", rep.UnitsRun, rep.Units)
	}
	return exitFor(rep), nil
}

func (c *CLI) showProgress() bool {
	if c.Progress != nil {
		return *c.Progress
	}
	f, ok := c.Stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// exitFor returns ExitRefuted when the report refutes a theorem.
func exitFor(rep *verify.Report) int {
	for _, r := range rep.Results {
		if r.Kind == verify.Theorem && r.Status == verify.Refuted {
			return ExitRefuted
		}
	}
	return ExitOK
}

// emit writes v as JSON, or with text, to stdout or atomically to out.
func (c *CLI) emit(out, format string, v any, text func(io.Writer) error) error {
	write := func(w io.Writer) error {
		if format == "json" {
			return verify.WriteJSON(w, v)
		}
		return text(w)
	}
	if out == "" {
		return write(c.Stdout)
	}
	return writeAtomic(out, write)
}

// writeAtomic writes a file through outfile.File (a temporary file
// in the same directory and a rename), so that path is either untouched
// or complete; its errors name path ("write out.json: is a directory").
func writeAtomic(path string, write func(io.Writer) error) error {
	f, err := outfile.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %v", path, pathReason(f.Name(), err))
	}
	return f.Commit()
}

const mergeUsage = `Usage: verify merge [--format text|json] [--out FILE] FILE...

Combines the JSON reports of the shards of one search (verify --shard i/n
--format json, the same seed and flags, every i from 1 to n once) into the
report the unsharded search gives (byte-identical JSON apart from "timing",
which a merged report leaves out). Exit codes as for verify.

Flags:
`

func (c *CLI) merge(args []string) (int, error) {
	fs := c.flagSet("verify merge", mergeUsage)
	format := formatFlag(fs, "json")
	out := outFlag(fs, "report")
	witnesses := fs.Bool("witnesses", false, "text report: add every counterexample's eta, q*, Psi(q*), margins and reproduce line (JSON always has them)")
	if err := c.parseFormat(fs, args, true, format); err != nil {
		return 0, err
	}
	if fs.NArg() == 0 {
		return 0, usagef("no shard reports given")
	}
	var reps []*verify.Report
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			return 0, usagef("cannot read %s: %v", name, pathReason(name, err))
		}
		var r verify.Report
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields() // a misspelt field is not silently zero
		if err := dec.Decode(&r); err != nil {
			return 0, usagef("%s is not a verify JSON report: %s", name, trimPackage(err))
		}
		if dec.More() {
			return 0, usagef("%s is not a verify JSON report: data after the report", name)
		}
		reps = append(reps, &r)
	}
	rep, err := verify.Merge(reps)
	if err != nil {
		return 0, mergeError(err, fs.Args(), reps)
	}
	if err := c.emit(*out, *format, rep, func(w io.Writer) error {
		return verify.WriteText(w, rep, verify.TextOptions{Witnesses: *witnesses})
	}); err != nil {
		return 0, err
	}
	return exitFor(rep), nil
}

// How verify.Merge names a report ("report 2" is the second file) and a
// shard given twice.
var (
	mergeReportN = regexp.MustCompile(`\breport (\d+)\b`)
	mergeTwice   = regexp.MustCompile(`^shard (\d+)/\d+ given twice$`)
)

// mergeError turns an error of verify.Merge into a usage error that names
// the files: "verify merge: b.json has version 99, want 1" rather than
// "verify merge: verify: cannot merge: report 2 has version 99, want 1".
func mergeError(err error, files []string, reps []*verify.Report) error {
	if !errors.Is(err, verify.ErrMerge) {
		return err
	}
	msg := strings.TrimPrefix(err.Error(), verify.ErrMerge.Error()+": ")
	msg = mergeReportN.ReplaceAllStringFunc(msg, func(m string) string {
		i, err := strconv.Atoi(strings.TrimPrefix(m, "report "))
		if err != nil || i < 1 || i > len(files) {
			return m
		}
		return files[i-1]
	})
	if m := mergeTwice.FindStringSubmatch(msg); m != nil {
		var in []string
		for i, r := range reps {
			if r.Shard != nil && strconv.Itoa(r.Shard.Index) == m[1] {
				in = append(in, files[i])
			}
		}
		msg += ": " + strings.Join(in, ", ")
	}
	return usagef("%s", msg)
}

// pathReason returns the reason of an error about path without the path,
// which the message names already ("cannot read x.json: no such file or
// directory", not "cannot read x.json: open x.json: no such file or
// directory"); other errors are returned as they are.
func pathReason(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return pe.Err
	}
	return err
}

const tauUsage = `Usage: verify tau --gamma G [--format text|json]

Prints the thresholds of Thm 8: τ_oc = argmax φ^γ and τ_uc, the root of
φ^γ = 1 in (τ_oc, 1/2). JSON fields: version, gamma, tau_oc, tau_uc.

Flags:
`

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
	v := tauJSON{Version: verify.ReportVersion, Gamma: verify.Float(g),
		TauOC: verify.Float(theory.TauOC(g)), TauUC: verify.Float(theory.TauUC(g))}
	return ExitOK, c.emit("", *format, v, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "gamma  = %s\ntau_oc = %s\ntau_uc = %s\n", ff(g), ff(float64(v.TauOC)), ff(float64(v.TauUC)))
		return err
	})
}

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
	eta := theory.Psi(make([]float64, len(q)), q, g)
	v := psiJSON{Version: verify.ReportVersion, Gamma: verify.Float(g), Q: verify.Floats(q), Eta: verify.Floats(eta)}
	return ExitOK, c.emit("", *format, v, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "gamma   = %s\nq       = %s\nPsi(q)  = %s\n", ff(g), fv(q), fv(eta))
		return err
	})
}

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
	opt := verify.BoundaryOptions{Seed: *seed}
	ctx := context.Background()
	var results []any
	var text strings.Builder
	if *kF != "" {
		ks, err := getKList(*kF, maxBoundaryK)
		if err != nil {
			return 0, err
		}
		for _, k := range ks {
			r, err := verify.BoundaryK(ctx, k, opt)
			if err != nil {
				return 0, err
			}
			results = append(results, r)
			writeBoundaryK(&text, r)
		}
	} else {
		gs, err := getGammaList(*gF)
		if err != nil {
			return 0, err
		}
		for _, g := range gs {
			r, err := verify.BoundaryGamma(ctx, g, opt)
			if err != nil {
				return 0, err
			}
			results = append(results, r)
			writeBoundaryGamma(&text, r)
		}
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

func ff(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func fptr(x *verify.Float) string {
	if x == nil {
		return "none"
	}
	return ff(float64(*x))
}

func fv(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = ff(x)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func fvF(v []verify.Float) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = ff(float64(x))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
