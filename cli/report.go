// This file is `verify report`: it regenerates the generated blocks and
// figures of docs/ (report.Run), after checking the directories it needs.

package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/focaltk/focal/report"
)

const reportUsage = `Usage: verify report [--seed N] [--out-dir docs] [--data-dir DIR] [--only NAMES] [--no-figures] [--check]

Regenerates the generated blocks of docs/findings.md and docs/theory.md (the
text between <!-- BEGIN generated:NAME --> and <!-- END generated:NAME -->;
everything else is kept) and every figure under docs/figures/ (PNG), all
deterministic for a given seed. The committed docs use --seed 1. Progress
goes to stderr. Files are written atomically.

--check compares the blocks with the files instead of writing anything and
draws no figure: exit code 1 and the names of the stale blocks if any
differ.

Blocks: ` + "%s" + `
Figures: ` + "%s" + `

Exit codes: 0 ok, 1 failure (or stale blocks with --check), 2 usage error.

Flags:
`

// report runs `verify report`; the logic is report.Run.
func (c *CLI) report(args []string) (int, error) {
	var names []string
	for _, f := range report.DocFiles {
		names = append(names, report.BlockNames(f, nil)...)
	}
	usage := fmt.Sprintf(reportUsage, strings.Join(names, ", "), strings.Join(report.FigureNames(), ", "))
	fs := c.flagSet("verify report", usage)
	seed := fs.Uint64("seed", report.DefaultSeed, "seed of every random choice (the committed docs use 1)")
	outDir := fs.String("out-dir", "docs", "directory holding findings.md, theory.md and figures/")
	dataDir := fs.String("data-dir", "experiments/data", "directory of the UCI data sets of the real-data experiment")
	only := fs.String("only", "", "comma-separated block and figure names to regenerate (default: all)")
	noFig := fs.Bool("no-figures", false, "do not draw the figures")
	check := fs.Bool("check", false, "compare the blocks with the files; write nothing")
	if err := c.parse(fs, args, false); err != nil {
		return 0, err
	}
	opt := report.Options{Seed: *seed, OutDir: *outDir, DataDir: *dataDir, NoFigures: *noFig, Check: *check, Log: c.Stderr}
	known := slices.Concat(names, report.FigureNames())
	if *only != "" {
		for _, n := range strings.Split(*only, ",") {
			n = strings.TrimSpace(n)
			if !slices.Contains(known, n) {
				return 0, usagef("bad --only: no block or figure %q (known: %s)", n, strings.Join(known, ", "))
			}
			opt.Only = append(opt.Only, n)
		}
		// Figures only, which --no-figures and --check skip: nothing
		// would run.
		if figs := report.FigureNames(); (*noFig || *check) && !slices.ContainsFunc(opt.Only, func(n string) bool { return !slices.Contains(figs, n) }) {
			flag := "--no-figures"
			if *check {
				flag = "--check (which compares blocks only)"
			}
			return 0, usagef("bad --only %q: only figures, and %s skips them: nothing to do", *only, flag)
		}
	}
	if !isDir(*outDir) {
		return 0, usagef("bad --out-dir %q: not a directory", *outDir)
	}
	// The real-data block and figure read --data-dir after the other
	// blocks have run (minutes): check it first.
	wants := func(n string) bool { return len(opt.Only) == 0 || slices.Contains(opt.Only, n) }
	readsData := wants("realdata") || (wants("realdata.png") && !*noFig && !*check)
	if readsData && !isDir(*dataDir) {
		return 0, usagef("bad --data-dir %q: not a directory", *dataDir)
	}
	ctx, err := c.start(job{})
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	res, err := report.Run(ctx, opt)
	if err != nil {
		return 0, err
	}
	if *check {
		fmt.Fprintf(c.Stderr, "verify report --check: %s (%.1f s)\n", res.CheckSummary(opt), time.Since(t0).Seconds())
	} else {
		fmt.Fprintf(c.Stderr, "verify report: %d blocks, %d figures in %.1f s\n", len(res.Blocks), len(res.Figures), time.Since(t0).Seconds())
	}
	if len(res.Stale) > 0 {
		fmt.Fprintf(c.Stderr, "verify report: stale blocks (run verify report to regenerate): %s\n", strings.Join(res.Stale, ", "))
		return ExitFailure, nil
	}
	return ExitOK, nil
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
