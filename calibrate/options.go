package calibrate

// This file holds Options, the configuration of Calibrate, and its validation:
// everything that can be checked before the input is opened, including the
// validation split of Options.Val. The checks against the input's shape
// are pipeline.setup's (run.go).

import (
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// Loss and input names of Options.
const (
	LossSoftmax = "softmax"
	LossSigmoid = "sigmoid"
	InputProbs  = "probs"
	InputLogits = "logits"
)

// Options configures Calibrate; the zero value of every field but Input is a
// default.
type Options struct {
	// Input is the model output, N rows of K columns: a .npy file
	// (float16, float32 or float64, 1-D or 2-D in C order), an array of an
	// .npz archive or a tensor of a torch.save file (zip, PyTorch >= 1.6;
	// float16, bfloat16, float32, float64; any strides), chosen by Key, or
	// CSV text (an optional header line). The format is decided by the
	// file's leading bytes (matio.Sniff); a file of another format is an
	// InputError naming the formats read.
	Input string
	// Key chooses the input's array in an .npz archive (the array's name)
	// or a torch.save file (a dict's key, a list's or tuple's index); ""
	// takes the only one there is.
	Key string
	// ClassAxis is the axis of the classes in dense input, an array of
	// shape (N, d1, …, dm) of rank ≥ 3 (negative: counted from the end, as
	// NumPy and PyTorch do; 0 means DefaultClassAxis, 1, as PyTorch's
	// N×K×H×W). Each sample is read at once and its values transposed into
	// one row of K per pixel (sample-major, then C order of the other
	// axes): rows, row errors, Val indices and metrics count pixels. A .npy
	// Output has the input's shape; a CSV one holds the pixel rows. Labels
	// are then a binary integer array of the input's shape without the
	// class axis. For a matrix (rank ≤ 2) only axis 1 (or −1) is valid.
	ClassAxis int
	// Output receives the recovered class posteriors, N×K like the input:
	// a .npy file (float64 for float64 input, float32 for float32 and
	// half-precision input) or CSV; "" or "-" means
	// CSV to the writer passed to Calibrate. Files are written atomically.
	Output string
	// Labels holds the true classes, one per row (a 1-D integer array of
	// any of Input's binary formats, chosen by LabelsKey in an archive, or
	// CSV with one column or the column LabelColumn). With labels,
	// Calibrate reports calibration metrics; without, it only transforms.
	Labels      string
	LabelColumn string
	// LabelKind is LabelsClass (default: one class per row) or LabelsSoft:
	// Labels is then an N×K matrix (.npy or CSV) of label distributions,
	// one-hot or soft (mixup, label smoothing, annotator votes), each row
	// summing to 1 within the input's tolerance for its type; the metrics
	// are their expectations under those distributions
	// (Accumulator.AddSoft) and the temperature fits minimize the
	// cross-entropy. LabelsMulti (sigmoid loss only): an N×K matrix of
	// per-label outcomes in [0, 1] (multi-hot, or soft per label); the
	// report then has the per-label binary metrics only.
	LabelKind string
	// IgnoreIndex is the label of rows left out of the metrics and of the
	// temperature fits (as ignore_index of torch.nn.CrossEntropyLoss):
	// nil means DefaultIgnoreIndex. The rows stay in the output,
	// transformed like every other row, in their place. A label equal to
	// it may lie inside [0, K): that class's rows are then ignored. It
	// applies to class labels only: soft and multi-label rows have no
	// index to ignore, so a non-nil IgnoreIndex with them is an error.
	IgnoreIndex *int64
	LabelsKey   string
	// Gamma is the focal loss parameter γ ≥ 0 the model was trained with.
	Gamma float64
	// Alpha is the focal loss weighting: nil for none; for the softmax
	// loss one weight per class (a single value weights every class
	// alike, which changes nothing); for the sigmoid loss the weight α of
	// positives, one value or one per class (α < 0: no weighting), which
	// is required: there is no default, since torchvision's
	// sigmoid_focal_loss weights by α = 0.25 unless told otherwise and
	// unweighted implementations exist too.
	Alpha []float64
	// Loss is LossSoftmax (default) or LossSigmoid.
	Loss string
	// InputKind is InputProbs (default) or InputLogits.
	InputKind string
	// Val holds out validation rows for temperature scaling: a fraction
	// in (0, 1) ("0.2", rows drawn by a seeded hash of the row index), or
	// a file of row indices (a 1-D integer array of Input's binary
	// formats holding one array, or text with one per line). Metrics are
	// then reported on the other rows. Requires Labels.
	Val string
	// FitGamma, with Val, fits the γ' of the focal map of the
	// ts_then_focal variant together with its temperature (Komisarenko &
	// Kull's tuned map) instead of using Gamma. Softmax loss only.
	FitGamma bool
	// Bins and Edges configure the binned metrics (Settings).
	Bins  int
	Edges Edges
	// Bootstrap is the number of bootstrap resamples for the ECE interval.
	Bootstrap int
	// Seed seeds the validation split and the bootstrap.
	Seed uint64
	// Plot, if set, receives a reliability diagram (.png or .svg) of the
	// raw and recovered probabilities. Requires Labels.
	Plot string
	// Renormalize divides each row of probabilities by its sum instead of
	// rejecting rows that do not sum to 1 (softmax probabilities only).
	Renormalize bool
	// SumTol is the tolerance on |Σ_j p_j − 1|; 0 means numeric.SumTol for
	// float64 input, max(numeric.SumTol, numeric.SumTol32·K) for float32
	// and CSV input, SumTolHalf·K for float16 and SumTolBFloat16·K for
	// bfloat16.
	SumTol float64
	// Workers bounds the goroutines; ≤ 0 means GOMAXPROCS.
	Workers int
	// BlockRows is the number of rows per block and worker; 0 means
	// DefaultBlockRows.
	BlockRows int
	// OnProgress, if set, receives the progress (Calibrate prints
	// nothing): the phase ("checking" for pass 1, "calibrating" for pass 2),
	// the rows done, and the total (−1 for CSV in pass 1), at most every
	// 200 ms, then once with done = −1 when the phase ends. It lets a
	// caller other than the command line show progress its own way.
	OnProgress func(phase string, done, total int)
}

// DefaultIgnoreIndex is the default Options.IgnoreIndex, PyTorch's.
const DefaultIgnoreIndex = -100

// DefaultBlockRows is the default block size per worker: 8192 rows of 10
// float64 columns are 640 KB per buffer; the pipeline holds about eight
// such buffers per worker.
const DefaultBlockRows = 8192

// MaxClasses bounds the columns Calibrate accepts. With labels the metrics
// keep Bins per class and variant (24 bytes each: 360 MB per variant at 10^6
// classes and 15 bins), and a block needs at least one row; a .npy header
// can declare any shape, and is refused beyond this before anything is
// allocated.
const MaxClasses = 1000000

// maxBlockValues bounds the values of one worker's block (8 MB per
// buffer): wider matrices get fewer rows per block, down to one.
const maxBlockValues = 1 << 20

// normalize fills defaults and validates the options that do not depend on
// the input.
func (o *Options) normalize() error {
	if o.Input == "" {
		return usagef("Input", "no input file")
	}
	if o.Loss == "" {
		o.Loss = LossSoftmax
	}
	if o.InputKind == "" {
		o.InputKind = InputProbs
	}
	if o.LabelKind == "" {
		o.LabelKind = LabelsClass
	}
	switch {
	case o.Loss != LossSoftmax && o.Loss != LossSigmoid:
		return usagef("Loss", "{Loss} must be softmax or sigmoid, not %q", o.Loss)
	case o.InputKind != InputProbs && o.InputKind != InputLogits:
		return usagef("InputKind", "{InputKind} must be probs or logits, not %q", o.InputKind)
	case math.IsNaN(o.Gamma) || math.IsInf(o.Gamma, 0) || o.Gamma < 0:
		return usagef("Gamma", "{Gamma} must be a finite number >= 0, not %v", o.Gamma)
	case o.Bins < 0:
		return usagef("Bins", "{Bins} must be positive")
	case o.Bootstrap < 0:
		return usagef("Bootstrap", "{Bootstrap} must be >= 0")
	case o.Labels == "" && (o.Val != "" || o.Bootstrap > 0 || o.Plot != ""):
		return usagef("Labels", "{Val}, {Bootstrap} and {Plot} need {Labels}")
	case o.LabelKind != LabelsClass && o.LabelKind != LabelsSoft && o.LabelKind != LabelsMulti:
		return usagef("LabelKind", "{LabelKind} must be class, soft or multi, not %q", o.LabelKind)
	case o.LabelKind == LabelsMulti && o.Loss != LossSigmoid:
		return usagef("LabelKind", "{LabelKind} multi (multi-label targets) needs {Loss} sigmoid: softmax outputs are one distribution per row")
	case o.LabelKind == LabelsMulti && (o.Val != "" || o.Plot != ""):
		return usagef("LabelKind", "{LabelKind} multi reports per-label metrics only: {Val} (temperature scaling of class probabilities) and {Plot} (the top-label diagram) do not apply")
	case o.LabelKind != LabelsClass && o.LabelColumn != "":
		return usagef("LabelColumn", "{LabelColumn} picks one column of class labels: soft labels use every column")
	case o.LabelKind != LabelsClass && o.IgnoreIndex != nil:
		return usagef("IgnoreIndex", "{IgnoreIndex} applies to class labels: %s labels have no index to ignore", o.LabelKind)
	case o.FitGamma && o.Val == "":
		return usagef("FitGamma", "{FitGamma} fits the focal map's γ on the validation rows: it needs {Val}")
	case o.FitGamma && o.Loss != LossSoftmax:
		return usagef("FitGamma", "{FitGamma} applies to the softmax loss only (its focal map Ψ^γ)")
	case o.Renormalize && (o.Loss != LossSoftmax || o.InputKind != InputProbs):
		return usagef("Renormalize", "{Renormalize} applies to softmax probabilities only")
	case o.SumTol < 0 || math.IsNaN(o.SumTol):
		return usagef("SumTol", "the sum tolerance must be >= 0")
	}
	if o.Loss == LossSigmoid && len(o.Alpha) == 0 {
		// No default: torchvision's sigmoid_focal_loss weights positives
		// by 0.25 unless told otherwise, other code does not weight, and
		// the two recoveries differ (16.2).
		return usagef("Alpha", "{Loss} sigmoid needs {Alpha}, the weight of positives the model was trained with (torchvision's sigmoid_focal_loss defaults to 0.25; -1 for no weighting)")
	}
	if o.Plot != "" {
		if f := plotFormat(o.Plot); f == "" {
			return usagef("Plot", "{Plot} must name a .png or .svg file, not %q", o.Plot)
		}
	}
	for _, a := range o.Alpha {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return usagef("Alpha", "{Alpha} values must be finite, not %v", a)
		}
		if o.Loss == LossSoftmax && a <= 0 {
			return usagef("Alpha", "{Alpha} class weights must be > 0 for the softmax loss, not %v", a)
		}
		if o.Loss == LossSigmoid && (a == 0 || a >= 1) {
			return usagef("Alpha", "{Alpha} for the sigmoid loss must be in (0, 1), or < 0 for no weighting, not %v", a)
		}
	}
	if o.Bins == 0 {
		o.Bins = DefaultBins
	}
	if o.IgnoreIndex == nil {
		ig := int64(DefaultIgnoreIndex)
		o.IgnoreIndex = &ig
	}
	if o.BlockRows <= 0 {
		o.BlockRows = DefaultBlockRows
	}
	return nil
}

func plotFormat(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return "png"
	case ".svg":
		return "svg"
	}
	return ""
}

// valSplit says which rows are validation rows.
type valSplit struct {
	frac   float64
	thresh uint64
	seed   uint64
	set    map[int64]bool
}

func parseVal(v string, seed uint64) (*valSplit, error) {
	if v == "" {
		return nil, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if !(f > 0 && f < 1) {
			return nil, usagef("Val", "{Val} fraction must be in (0, 1), not %v", f)
		}
		return &valSplit{frac: f, thresh: uint64(f * 0x1p64), seed: seed}, nil
	}
	set, err := readIndexFile(v)
	if err != nil {
		return nil, err
	}
	return &valSplit{set: set}, nil
}

// splitmix64 is the finalizer of SplitMix64 (Steele, Lea, Flood 2014): a
// bijective mixing of 64-bit integers.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (v *valSplit) isVal(row int) bool {
	if v == nil {
		return false
	}
	if v.set != nil {
		return v.set[int64(row)]
	}
	return splitmix64(v.seed^splitmix64(uint64(row))) < v.thresh
}
