// This file is `verify calibrate`: its flags, their checks, the progress
// line, the report on stdout or stderr, and the mapping of
// calibrate.Calibrate's errors to messages naming flags and to exit codes;
// the pipeline is in calibrate/.

package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/focaltk/focal/calibrate"
	"github.com/focaltk/focal/verify"
)

const calibrateUsage = `Usage: verify calibrate --gamma G [flags] FILE

Recovers class posteriors from the outputs of a model trained with the focal
loss (Thm 11: Ψ^γ for the softmax loss; the α-balanced and sigmoid variants
with --alpha and --loss sigmoid; docs/calibrate.md), without retraining and,
for the softmax loss without class weights, without changing any prediction.

FILE holds N rows (samples) of K columns: a .npy array (float16, float32 or
float64, C order), an array of an .npz archive or a tensor of a torch.save
file (zip format, PyTorch >= 1.6; float16, bfloat16, float32, float64),
chosen with --key when the file holds several, or CSV (an optional header
line). The format is decided by the file's leading bytes, not its name; a
file of another format is refused with the list of formats read. The
transformed N×K matrix goes to --out (.npy: float64 for float64 input,
float32 otherwise; or CSV, by --out's name), written atomically, or as CSV
to stdout. Dense predictions N×K×d1×…×dm (rank >= 3, classes on
--class-axis) are calibrated pixel by pixel, one sample in memory at a
time, and written back to a .npy --out in the same shape (CSV: one row per
pixel); --labels then has shape N×d1×…×dm, and every pixel counts as a row
of the metrics. With --labels, a calibration report
(error, NLL, Brier, ECE over equal-width and equal-mass bins, MCE, classwise
ECE; with --val also three temperature-scaled variants: ts = softmax(z/T),
focal_then_ts = softmax(log Ψ^γ(p)/T), and, for the softmax loss,
ts_then_focal = Ψ^γ'(softmax(z/T)) (Komisarenko & Kull's focal temperature
scaling; γ' = --gamma, or fitted with --fit-gamma)) goes to stdout, or to
stderr when the matrix itself goes to stdout.

Bad input (a NaN, a negative probability, a row not summing to 1, a wrong
column count, a label out of range, fewer or more labels than rows) stops the
run before anything is written, with one line naming the file and the row
(rows numbered from 0). Exit codes: 0 ok, 2 usage error or bad input, 1
other failures.

Flags:
`

// calibrate runs `verify calibrate`; the pipeline is calibrate.Calibrate.
func (c *CLI) calibrate(args []string) (int, error) {
	fs := c.flagSet("verify calibrate", calibrateUsage)
	out := fs.String("out", "", "write the recovered probabilities to `FILE`: .npy, .npz (array probs), .pt/.pth (torch.save) or CSV, by the name; default CSV on stdout")
	labels := fs.String("labels", "", "true classes, one per row: .npy integers or CSV (`FILE`)")
	ignoreIndex := fs.String("ignore-index", strconv.Itoa(calibrate.DefaultIgnoreIndex), "rows whose label is this integer `LABEL` are left out of the metrics and fits and kept in the output (as PyTorch's ignore_index; class labels only)")
	labelKind := fs.String("label-kind", calibrate.LabelsClass, "what --labels holds: class (one integer per row), soft (N×K rows of label probabilities, one-hot or soft) or multi (N×K per-label outcomes in [0, 1], sigmoid loss)")
	labelCol := fs.String("label-col", "", "CSV label column, by header name or 0-based index (when the labels file has several)")
	key := fs.String("key", "", "the input's array in an .npz (its name) or torch.save file (a dict key, a list or tuple index) holding several")
	classAxis := fs.String("class-axis", "1", "dense input N×K×d1×…×dm (rank >= 3): the `AXIS` of the K classes (negative: from the end; default 1, as PyTorch's N×K×H×W)")
	labelsKey := fs.String("labels-key", "", "the labels' array in an .npz or torch.save --labels file holding several (as --key)")
	gamma := fs.String("gamma", "", "focal loss parameter γ in [0, 1000] the model was trained with (required)")
	alpha := fs.String("alpha", "", "focal loss weights: softmax, one per class (comma-separated); sigmoid (required there: torchvision's default is 0.25), the weight of positives, one value or one per class (α < 0: none)")
	loss := fs.String("loss", calibrate.LossSoftmax, "training loss: softmax or sigmoid (one-vs-rest, as RetinaNet)")
	input := fs.String("input", calibrate.InputProbs, "what FILE holds: probs or logits")
	format := fs.String("format", "text", "metrics report format: text or json")
	val := fs.String("val", "", "validation rows for temperature scaling: a fraction in (0, 1) or a `FILE` of row indices")
	fitGamma := fs.Bool("fit-gamma", false, "with --val, fit the focal map's γ' of ts_then_focal together with T (softmax loss)")
	bins := fs.Int("bins", calibrate.DefaultBins, "number of bins of the binned metrics")
	edges := fs.String("bin-edges", "right", "equal-width bins: right ((lo, hi], Guo et al.) or left ([lo, hi) and {1}, as torchmetrics)")
	bootstrap := fs.Int("bootstrap", 0, "bootstrap resamples for a 95% interval of the ECE (0: none)")
	seed := fs.Uint64("seed", 1, "seed of the validation split and the bootstrap")
	plot := fs.String("plot", "", "write a reliability diagram, raw and recovered, to `FILE` (.png or .svg)")
	renorm := fs.Bool("renormalize", false, "divide each row of probabilities by its sum instead of rejecting rows that do not sum to 1")
	workers := fs.Int("workers", 0, "goroutines (0: all CPUs)")
	if err := c.parseFormat(fs, args, true, format); err != nil {
		return 0, err
	}
	if fs.NArg() != 1 {
		return 0, usagef("want one input FILE, got %d arguments", fs.NArg())
	}
	if *gamma == "" {
		return 0, usagef("--gamma is required (the γ the model was trained with)")
	}
	g, err := strconv.ParseFloat(strings.TrimSpace(*gamma), 64)
	if err != nil || verify.CheckGamma(g) != nil {
		// The same range as the other subcommands: Ψ's accuracy is
		// measured up to γ = 1000 (docs/numerics.md).
		return 0, usagef("bad --gamma %q: want a number in [0, %d]", *gamma, verify.MaxGamma)
	}
	var alphas []float64
	if *alpha != "" {
		if alphas, err = parseVector(*alpha); err != nil {
			return 0, usagef("bad --alpha %q: %v", *alpha, err)
		}
	}
	ig, err := strconv.ParseInt(strings.TrimSpace(*ignoreIndex), 10, 64)
	if err != nil {
		return 0, usagef("bad --ignore-index %q: want an integer", *ignoreIndex)
	}
	// Only a given --ignore-index reaches the Options: soft and
	// multi-label rows refuse one, and take none by default.
	var igp *int64
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "ignore-index" {
			igp = &ig
		}
	})
	axis, err := strconv.Atoi(strings.TrimSpace(*classAxis))
	switch {
	case err != nil:
		return 0, usagef("bad --class-axis %q: want an integer axis", *classAxis)
	case axis == 0:
		return 0, usagef("bad --class-axis 0: axis 0 holds the samples N, not the classes")
	}
	var e calibrate.Edges
	switch *edges {
	case "right":
	case "left":
		e = calibrate.EdgesLeftClosed
	default:
		return 0, usagef("bad --bin-edges %q: want right or left", *edges)
	}
	o := calibrate.Options{
		Input: fs.Arg(0), Key: *key, Output: *out, Labels: *labels, LabelColumn: *labelCol, LabelsKey: *labelsKey, ClassAxis: axis,
		LabelKind: *labelKind, IgnoreIndex: igp,
		Gamma: g, Alpha: alphas, Loss: *loss, InputKind: *input,
		Val: *val, FitGamma: *fitGamma, Bins: *bins, Edges: e, Bootstrap: *bootstrap, Seed: *seed,
		Plot: *plot, Renormalize: *renorm, Workers: *workers,
	}
	if c.showProgress() {
		o.OnProgress = calibrateProgress(c.Stderr)
	}
	j := job{
		inputs:  []file{{flag: "FILE", path: o.Input}, {flag: "--labels", path: o.Labels}},
		outputs: []file{{flag: "--out", path: o.Output}, {flag: "--plot", path: o.Plot}},
	}
	if _, err := strconv.ParseFloat(o.Val, 64); o.Val != "" && err != nil {
		// Not a fraction: a file of row indices, read once.
		j.inputs = append(j.inputs, file{flag: "--val", path: o.Val, once: true})
	}
	ctx, err := c.start(j)
	if err != nil {
		return 0, err
	}
	// The matrix goes to stdout unless --out names a file; the report
	// goes to stdout, or to stderr when the matrix is there.
	rep, err := calibrate.Calibrate(ctx, o, c.Stdout)
	var ue *calibrate.UsageError
	var ie *calibrate.InputError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		return 0, usagef("%s", ue.Text(calibrateFlag))
	case errors.As(err, &ie):
		// A read error names the file again ("x: csv: read x: is a
		// directory"): keep its reason only.
		hint := ""
		if ie.Hint != nil {
			hint = " (" + ie.Hint.Text(calibrateFlag) + ")"
		}
		return 0, usagef("bad input: %s: %v%s", ie.File, pathReason(ie.File, ie.Err), hint)
	default:
		return ExitFailure, err
	}
	if o.Labels == "" {
		return ExitOK, nil
	}
	w := c.Stdout
	if o.Output == "" || o.Output == "-" {
		w = c.Stderr
	}
	if *format == "json" {
		err = rep.WriteJSON(w)
	} else {
		err = rep.WriteText(w)
	}
	if err != nil {
		return ExitFailure, err
	}
	return ExitOK, nil
}

// calibrateFlags maps the fields of calibrate.Options to the flags that
// set them, for the messages of calibrate's UsageErrors.
var calibrateFlags = map[string]string{
	"Input": "FILE", "Key": "--key", "Output": "--out", "Labels": "--labels", "LabelColumn": "--label-col", "LabelsKey": "--labels-key", "ClassAxis": "--class-axis",
	"IgnoreIndex": "--ignore-index", "LabelKind": "--label-kind",
	"Gamma": "--gamma", "Alpha": "--alpha", "Loss": "--loss", "InputKind": "--input",
	"Val": "--val", "FitGamma": "--fit-gamma", "Bins": "--bins", "Edges": "--bin-edges", "Bootstrap": "--bootstrap",
	"Seed": "--seed", "Plot": "--plot", "Renormalize": "--renormalize", "Workers": "--workers",
}

// calibrateFlag returns the flag of an Options field (the field's name if
// no flag sets it).
func calibrateFlag(field string) string {
	if f, ok := calibrateFlags[field]; ok {
		return f
	}
	return field
}

// calibrateProgress returns the Options.OnProgress of the command line: a
// line on stderr, redrawn in place ("calibrate: checking: 40% (400 of 1000
// rows)"), ended by "done" when the phase has shown a line.
func calibrateProgress(w io.Writer) func(phase string, done, total int) {
	shown := false
	return func(phase string, done, total int) {
		switch {
		case done < 0:
			if shown {
				fmt.Fprintf(w, "\rcalibrate: %s: done%-20s\n", phase, "")
			}
			shown = false
		case total > 0:
			fmt.Fprintf(w, "\rcalibrate: %s: %3.0f%% (%d of %d rows)", phase, 100*float64(done)/float64(total), done, total)
			shown = true
		default:
			fmt.Fprintf(w, "\rcalibrate: %s: %d rows", phase, done)
			shown = true
		}
	}
}
