package calibrate

// This file holds Options, the configuration of Run, and its validation:
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
	FormatText  = "text"
	FormatJSON  = "json"
)

// Options configures Run; the zero value of every field but Input is a
// default.
type Options struct {
	// Input is the model output: a .npy file (float32 or float64, 1-D or
	// 2-D in C order) or CSV text (any other extension; an optional header
	// line), N rows of K columns.
	Input string
	// Output receives the recovered class posteriors, N×K like the input:
	// a .npy file (same float type as the input) or CSV; "" or "-" means
	// CSV on stdout. Files are written atomically.
	Output string
	// Labels holds the true classes, one per row (.npy integers, or CSV
	// with one column or the column LabelColumn). With labels, Run reports
	// calibration metrics; without, it only transforms.
	Labels      string
	LabelColumn string
	// Gamma is the focal loss parameter γ ≥ 0 the model was trained with.
	Gamma float64
	// Alpha is the focal loss weighting: nil for none; for the softmax
	// loss one weight per class (a single value weights every class
	// alike, which changes nothing); for the sigmoid loss the weight α of
	// positives, one value or one per class (α < 0: no weighting).
	Alpha []float64
	// Loss is LossSoftmax (default) or LossSigmoid.
	Loss string
	// InputKind is InputProbs (default) or InputLogits.
	InputKind string
	// Format of the metrics report: FormatText (default) or FormatJSON.
	Format string
	// Val holds out validation rows for temperature scaling: a fraction
	// in (0, 1) ("0.2", rows drawn by a seeded hash of the row index), or
	// a file of row indices (.npy integers or one per line). Metrics are
	// then reported on the other rows. Requires Labels.
	Val string
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
	// float64 .npy input and numeric.SumTol32·K for float32 and CSV input.
	SumTol float64
	// Workers bounds the goroutines; ≤ 0 means GOMAXPROCS.
	Workers int
	// BlockRows is the number of rows per block and worker; 0 means
	// DefaultBlockRows.
	BlockRows int
	// Progress writes a progress line to stderr while reading.
	Progress bool
}

// DefaultBlockRows is the default block size per worker: 8192 rows of 10
// float64 columns are 640 KB per buffer; the pipeline holds about eight
// such buffers per worker.
const DefaultBlockRows = 8192

// MaxClasses bounds the columns Run accepts. With labels the metrics keep
// Bins per class and variant (24 bytes each: 360 MB per variant at 10^6
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
		return usagef("no input file")
	}
	if o.Loss == "" {
		o.Loss = LossSoftmax
	}
	if o.InputKind == "" {
		o.InputKind = InputProbs
	}
	if o.Format == "" {
		o.Format = FormatText
	}
	switch {
	case o.Loss != LossSoftmax && o.Loss != LossSigmoid:
		return usagef("--loss must be softmax or sigmoid, not %q", o.Loss)
	case o.InputKind != InputProbs && o.InputKind != InputLogits:
		return usagef("--input must be probs or logits, not %q", o.InputKind)
	case o.Format != FormatText && o.Format != FormatJSON:
		return usagef("--format must be text or json, not %q", o.Format)
	case math.IsNaN(o.Gamma) || math.IsInf(o.Gamma, 0) || o.Gamma < 0:
		return usagef("--gamma must be a finite number >= 0, not %v", o.Gamma)
	case o.Bins < 0:
		return usagef("--bins must be positive")
	case o.Bootstrap < 0:
		return usagef("--bootstrap must be >= 0")
	case o.Labels == "" && (o.Val != "" || o.Bootstrap > 0 || o.Plot != ""):
		return usagef("--val, --bootstrap and --plot need --labels")
	case o.Renormalize && (o.Loss != LossSoftmax || o.InputKind != InputProbs):
		return usagef("--renormalize applies to softmax probabilities only")
	case o.SumTol < 0 || math.IsNaN(o.SumTol):
		return usagef("the sum tolerance must be >= 0")
	}
	if o.Plot != "" {
		if f := plotFormat(o.Plot); f == "" {
			return usagef("--plot must name a .png or .svg file, not %q", o.Plot)
		}
	}
	for _, a := range o.Alpha {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return usagef("--alpha values must be finite, not %v", a)
		}
		if o.Loss == LossSoftmax && a <= 0 {
			return usagef("--alpha class weights must be > 0 for the softmax loss, not %v", a)
		}
		if o.Loss == LossSigmoid && (a == 0 || a >= 1) {
			return usagef("--alpha for the sigmoid loss must be in (0, 1), or < 0 for no weighting, not %v", a)
		}
	}
	if o.Bins == 0 {
		o.Bins = DefaultBins
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
			return nil, usagef("--val fraction must be in (0, 1), not %v", f)
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
