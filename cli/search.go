// This file is the default subcommand, the counterexample search over
// (γ, K) (verify.Search), with its usage text, progress bar and exit code.

package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/focaltk/focal/verify"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

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
	lossF := fs.String("loss", "", lossFlagHelp)
	if err := c.parseFormat(fs, args, false, format); err != nil {
		return 0, err
	}
	l, err := getLoss(fs, *lossF, true)
	if err != nil {
		return 0, err
	}
	gammas := []float64{0}
	if l == nil {
		if gammas, err = getGammaList(*gammaF); err != nil {
			return 0, err
		}
	}
	ks, err := getKList(*kF, verify.MaxK)
	if err != nil {
		return 0, err
	}
	all := c.claims()
	if l != nil {
		all = verify.LossClaims(l)
	}
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
	// --budget, --workers and --time are bounded alone (bounds.go); the
	// plan multiplies the budget by the (γ, K) pairs.
	pairs := len(gammas) * len(ks)
	classes := 0
	for _, k := range ks {
		classes += k + familyBase
	}
	if uint64(len(gammas))*uint64(classes) > maxFamilyClasses {
		return 0, usagef("bad --gamma and --K: %d values of γ times %d of K (up to K = %d) need the structured cases of %d classes: at most %d (give fewer or smaller values)",
			len(gammas), len(ks), slices.Max(ks), uint64(len(gammas))*uint64(classes), maxFamilyClasses)
	}
	if cases := uint64(*budget) * uint64(pairs); cases > maxPlannedCases {
		return 0, usagef("bad --budget %d: times %d (γ, K) pairs it plans %d cases: at most %d (lower --budget or give fewer values)", *budget, pairs, cases, maxPlannedCases)
	}
	opt := verify.Options{Gammas: gammas, Ks: ks, Claims: claims, Budget: *budget, Seed: *seed, Workers: *workers}
	if l != nil {
		opt.Gammas, opt.Loss = nil, l
	}
	if *shard != "" {
		i, n, err := parseShard(*shard)
		if err != nil {
			return 0, usagef("bad --shard %q: %v", *shard, err)
		}
		opt.ShardIndex, opt.ShardCount = i, n
	}
	ctx, err := c.start(job{outputs: []file{{flag: "--out", path: *out}}})
	if err != nil {
		return 0, err
	}
	if *timeCap > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeCap)
		defer cancel()
	}
	var done func()
	opt.Progress, done = c.searchBar("searching")
	rep, err := verify.Search(ctx, opt)
	done()
	if c.interrupted() != nil {
		return 0, ctx.Err()
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

// searchBar returns a verify.Options.Progress that draws a bar of the
// search's work units on stderr (nil when progress is off), and the
// function that clears it when the search returns.
func (c *CLI) searchBar(desc string) (func(done, total int), func()) {
	if !c.showProgress() {
		return nil, func() {}
	}
	bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(c.Stderr),
		progressbar.OptionSetDescription(desc), progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish(),
		progressbar.OptionShowElapsedTimeOnFinish())
	progress := func(done, total int) {
		if bar.GetMax() != total {
			bar.ChangeMax(total)
		}
		bar.Set(done)
	}
	return progress, func() {
		bar.Finish()
		bar.Clear()
	}
}
