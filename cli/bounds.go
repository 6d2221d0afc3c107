// This file holds the bounds of every numeric flag of every subcommand in
// one table: each flag's memory or time grows with its value, so each has
// an upper bound that keeps the run's memory bounded, checked right after
// parsing (before any work) with one line and exit 2, and shown in the
// flag's help. A new numeric flag gets its row here; the size axis of the
// bad-input tests reads the bounds from the help text, so a flag without a
// row fails them.

package cli

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"time"
)

// A bound is the range of one numeric flag of one subcommand.
type bound struct {
	cmd, flag string // "verify" is the search; "verify calibrate" …
	min, max  uint64 // inclusive; durations in nanoseconds
	// why: what the value costs, for the error message.
	why string
}

// Bounds of the search and of the combinations it multiplies.
const (
	// maxBudget: the search plans its work units up front, about 0.02
	// units (80 bytes each) per case and (γ, K): 10^7 cases are 16 MB of
	// plan per (γ, K).
	maxBudget = 10_000_000
	// maxPlannedCases bounds budget × (number of γ) × (number of K), the
	// cases the plan holds: 10^8 cases measured 470 MB of memory, 2·10^7
	// about 100 MB.
	maxPlannedCases = 20_000_000
	// maxFamilyClasses bounds Σ over the (γ, K) pairs of (K + familyBase):
	// each pair keeps its structured family, measured at about 100 KB per
	// pair plus 5.7 KB per class (100 γ values: 22 MB at K = 3, 110 MB at
	// K = 100, 580 MB at K = 1000), so the bound is about 1.2 GB.
	maxFamilyClasses = 200_000
	familyBase       = 20
	// maxSearchWorkers: each worker holds its own scratch vectors of K
	// entries (up to verify.MaxK).
	maxSearchWorkers = 256
	// maxTime: the cap of --time itself costs nothing; a year is as long
	// as any run is meant to take.
	maxTime = uint64(365 * 24 * time.Hour)
	// maxBins: with labels, calibrate keeps 24 bytes per bin, class and
	// variant (and maxBinValues bounds bins × classes).
	maxBins = 10_000
	// maxBootstrap: each resample draws N rows and keeps one float64; 10^5
	// resamples of 10^6 rows take about an hour on 2 cores.
	maxBootstrap = 100_000
	// maxCalibrateWorkers: each worker holds about eight block buffers of
	// up to 8 MB (calibrate's maxBlockValues).
	maxCalibrateWorkers = 64
	// maxLossBudget bounds verify loss's --budget: its search runs four
	// claims at each K of --K, and 10^5 cases per claim and K at the 10
	// values of K that fit one pass is about maxPlannedCases.
	maxLossBudget = 100_000
)

var bounds = []bound{
	{"verify", "budget", 1, maxBudget, "the search plans every case up front"},
	{"verify", "workers", 1, maxSearchWorkers, "each worker holds its own scratch"},
	{"verify", "time", 0, maxTime, "a year at most"},
	{"verify", "seed", 0, math.MaxUint64, "any 64-bit value"},
	{"verify boundary", "seed", 0, math.MaxUint64, "any 64-bit value"},
	{"verify loss", "budget", 0, maxLossBudget, "the search plans every case up front"},
	{"verify calibrate", "bins", 0, maxBins, "each bin is kept per class and variant"},
	{"verify calibrate", "bootstrap", 0, maxBootstrap, "each resample draws every test row"},
	{"verify calibrate", "workers", 0, maxCalibrateWorkers, "each worker holds its own blocks"},
	{"verify calibrate", "seed", 0, math.MaxUint64, "any 64-bit value"},
	{"verify report", "seed", 0, math.MaxUint64, "any 64-bit value"},
}

// formatBound writes a bound's value as the flag takes it.
func formatBound(fl *flag.Flag, v uint64) string {
	if _, ok := fl.Value.(flag.Getter).Get().(time.Duration); ok {
		return time.Duration(v).String()
	}
	return strconv.FormatUint(v, 10)
}

// annotateBounds appends each bounded flag's range to its help text.
func (c *CLI) annotateBounds(fs *flag.FlagSet) {
	for _, b := range bounds {
		if b.cmd != c.name {
			continue
		}
		fl := fs.Lookup(b.flag)
		if fl == nil {
			panic("cli: bound of an undefined flag --" + b.flag + " of " + c.name)
		}
		fl.Usage += fmt.Sprintf(" (range [%s, %s])", formatBound(fl, b.min), formatBound(fl, b.max))
	}
}

// checkBounds refuses a numeric flag outside its bound.
func (c *CLI) checkBounds(fs *flag.FlagSet) error {
	for _, b := range bounds {
		if b.cmd != c.name {
			continue
		}
		fl := fs.Lookup(b.flag)
		var in bool
		switch v := fl.Value.(flag.Getter).Get().(type) {
		case int:
			in = v >= 0 && uint64(v) >= b.min && uint64(v) <= b.max
		case uint64:
			in = v >= b.min && v <= b.max
		case time.Duration:
			in = v >= 0 && uint64(v) >= b.min && uint64(v) <= b.max
		default:
			panic(fmt.Sprintf("cli: --%s of %s has no bounded type", b.flag, c.name))
		}
		if !in {
			return usagef("bad --%s %s: want a value in [%s, %s] (%s)", b.flag, fl.Value, formatBound(fl, b.min), formatBound(fl, b.max), b.why)
		}
	}
	return nil
}
