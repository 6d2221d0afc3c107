// Command verify searches for counterexamples to the claims of "On Focal
// Loss for Class-Posterior Probability Estimation" (CVPR 2021) and to
// conjectures about it, computes the over-confidence boundary, and
// evaluates the paper's thresholds, minimizer and recovery transform.
//
// Usage:
//
//	verify [--gamma G] [--K K] [--claims IDs] [--budget N] [--time D]
//	       [--seed S] [--workers W] [--format text|json] [--out FILE]
//	       [--shard i/n]
//	verify merge FILE...
//	verify boundary --K K | --gamma G
//	verify tau --gamma G
//	verify minimize --gamma G --eta a,b,c [--solver exact|direct]
//	verify psi --gamma G --q a,b,c
//	verify calibrate --gamma G [flags] FILE
//	verify report [--seed N] [--out-dir docs] [--only NAMES] [--check]
//
// --gamma and --K of the search and of boundary take lists and ranges
// start:end[:step]: the start always, the end when a step lands on it, and
// the start alone when the step is longer than end − start.
//
// Exit codes: 0 when no theorem is refuted, 3 when a counterexample to a
// theorem is confirmed in high precision, 2 for usage errors, 1 for other
// failures. Run verify -h for the details; the logic is in package
// github.com/focaltk/focal/cli.
package main

import (
	"os"

	"github.com/focaltk/focal/cli"
)

func main() {
	c := &cli.CLI{Stdout: os.Stdout, Stderr: os.Stderr, Exit: os.Exit}
	os.Exit(c.Main(os.Args[1:]))
}
