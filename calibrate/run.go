package calibrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/outfile"
	"github.com/focaltk/focal/theory"
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

// Report is the metrics report of Run, also its JSON output (version 1).
type Report struct {
	Version   int       `json:"version"`
	Input     string    `json:"input"`
	Output    string    `json:"output,omitempty"`
	Rows      int       `json:"rows"`
	Classes   int       `json:"classes"`
	Loss      string    `json:"loss"`
	InputKind string    `json:"input_kind"`
	Gamma     float64   `json:"gamma"`
	Alpha     []float64 `json:"alpha,omitempty"`
	Transform string    `json:"transform"`
	Bins      int       `json:"bins"`
	Edges     string    `json:"bin_edges"`
	// ValRows and TestRows count the validation rows (temperature
	// scaling) and the rows the metrics are computed on.
	ValRows  int `json:"val_rows"`
	TestRows int `json:"test_rows"`
	// Variants are the metrics of each set of probabilities: "raw" (the
	// model's), the recovery transform ("psi", "psi_balanced" or
	// "sigmoid"), and with Val "ts" (temperature scaling) and "focal_ts"
	// (temperature scaling of the recovered probabilities).
	Variants []Variant `json:"variants,omitempty"`
}

// Variant is one set of probabilities in a Report.
type Variant struct {
	Name        string          `json:"name"`
	Temperature *TemperatureFit `json:"temperature,omitempty"`
	Metrics     Metrics         `json:"metrics"`
}

const reportVersion = 1

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

// pipeline is the state of one Run.
type pipeline struct {
	o       Options
	k       int // input columns
	kc      int // classes of the metrics (2 for a one-column sigmoid)
	kind    numeric.RowKind
	sumTol  float64
	workers int
	val     *valSplit
	// transformName is the Report's name of the recovery transform.
	transformName string
	stderr        io.Writer
}

// Run runs the calibrate pipeline: it validates the whole input (and
// labels) first, in blocks, so that bad input is reported before any
// output is written; fits temperature scaling on the validation rows if
// Val is set; then streams the input again, block by block, through the
// recovery transform (Ψ^γ for the softmax loss, theory.PsiBalanced with
// class weights, theory.SigmoidPosterior for the sigmoid loss) into Output,
// and accumulates the metrics of the raw, recovered and temperature-scaled
// probabilities on the non-validation rows. The report goes to stdout, or
// to stderr when the transformed matrix itself goes to stdout.
//
// Memory: the transform holds a few blocks of Workers·BlockRows rows; with
// labels, the metrics keep 8 bytes per test row per variant (for the
// equal-mass ECE and the bootstrap) and the validation rows (2·K float64
// each).
//
// Errors: *UsageError for invalid options, *InputError for bad data (the
// message names the file and the row), other errors for I/O failures. On
// any error no output file is left behind.
func Run(ctx context.Context, o Options, stdout, stderr io.Writer) error {
	if err := o.normalize(); err != nil {
		return err
	}
	val, err := parseVal(o.Val, o.Seed)
	if err != nil {
		return err
	}
	p := &pipeline{o: o, val: val, stderr: stderr, workers: o.Workers}
	if p.workers <= 0 {
		p.workers = numericWorkers()
	}
	src, err := openFloats(o.Input)
	if err != nil {
		return err
	}
	if err := p.setup(src); err != nil {
		src.Close()
		return err
	}
	// Pass 1: validate, count, collect the validation rows.
	vs, n, err := p.pass1(ctx, src)
	src.Close()
	if err != nil {
		return err
	}
	if p.val != nil && p.val.set != nil {
		for idx := range p.val.set {
			if idx < 0 || idx >= int64(n) {
				return &InputError{File: o.Val, Err: fmt.Errorf("row index %d out of range [0, %d)", idx, n)}
			}
		}
	}
	var ts, fts *TemperatureFit
	if p.val != nil {
		if len(vs.labels) == 0 {
			return usagef("--val selects no row of the %d input rows", n)
		}
		a, err := FitTemperature(vs.logq, p.kc, vs.labels, p.workers)
		if err != nil {
			return fmt.Errorf("temperature scaling: %w", err)
		}
		b, err := FitTemperature(vs.loge, p.kc, vs.labels, p.workers)
		if err != nil {
			return fmt.Errorf("focal temperature scaling: %w", err)
		}
		ts, fts = &a, &b
	}
	// The plot file is created before any output is written, so that an
	// unwritable --plot fails the run before it has written anything.
	var plot *outfile.File
	if o.Plot != "" && o.Labels != "" {
		if plot, err = outfile.Create(o.Plot); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		defer plot.Abort() // does nothing after Commit
	}
	// Pass 2: transform, write, measure.
	src, err = openFloats(o.Input)
	if err != nil {
		return err
	}
	defer src.Close()
	rep, rels, err := p.pass2(ctx, src, n, stdout, ts, fts)
	if err != nil {
		return err
	}
	rep.ValRows = len(vs.labels)
	if o.Labels == "" {
		return nil
	}
	if plot != nil {
		panels := []Panel{
			{Title: fmt.Sprintf("raw: ECE = %.2f%%", 100*rep.Variants[0].Metrics.ECE), Rel: rels[0]},
			{Title: fmt.Sprintf("%s (γ = %g): ECE = %.2f%%", p.transformTitle(), o.Gamma, 100*rep.Variants[1].Metrics.ECE), Rel: rels[1]},
		}
		if err := WriteReliabilityDiagram(plot, plotFormat(o.Plot), panels); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		if err := plot.Commit(); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
	}
	out := stdout
	if o.Output == "" || o.Output == "-" {
		out = stderr
	}
	if o.Format == FormatJSON {
		return writeJSON(out, rep)
	}
	return writeText(out, rep)
}

func (p *pipeline) transformTitle() string {
	switch p.transformName {
	case "psi_balanced":
		return "α-balanced Ψ"
	case "sigmoid":
		return "sigmoid recovery"
	}
	return "Ψ"
}

// setup checks the options against the input's shape.
func (p *pipeline) setup(src *floatSource) error {
	o := &p.o
	p.k = src.cols()
	p.kc = p.k
	if p.k > MaxClasses {
		return usagef("%s has %d columns: at most %d classes are supported", o.Input, p.k, MaxClasses)
	}
	// Keep a block's buffers within maxBlockValues values per worker, so
	// that a wide matrix does not multiply them by BlockRows.
	if p.k > maxBlockValues/o.BlockRows {
		o.BlockRows = max(1, maxBlockValues/p.k)
	}
	switch o.Loss {
	case LossSoftmax:
		if p.k < 2 {
			return usagef("%s has %d column: the softmax loss needs K >= 2 classes", o.Input, p.k)
		}
		switch len(o.Alpha) {
		case 0, 1:
			// One weight for all classes cancels (PsiBalanced = Psi).
			p.transformName = "psi"
			o.Alpha = nil
		case p.k:
			p.transformName = "psi_balanced"
		default:
			return usagef("--alpha has %d values for %d classes", len(o.Alpha), p.k)
		}
		p.kind = numeric.Simplex
		if o.Renormalize {
			p.kind = numeric.NonNegative
		}
	case LossSigmoid:
		if p.k == 1 {
			p.kc = 2
		}
		if len(o.Alpha) > 1 && len(o.Alpha) != p.k {
			return usagef("--alpha has %d values for %d classes", len(o.Alpha), p.k)
		}
		p.transformName = "sigmoid"
		p.kind = numeric.UnitEntries
	}
	if o.InputKind == InputLogits {
		p.kind = numeric.Logits
	}
	p.sumTol = o.SumTol
	if p.sumTol == 0 {
		p.sumTol = numeric.SumTol
		if src.f32 || src.csv != nil {
			p.sumTol = math.Max(numeric.SumTol, numeric.SumTol32*float64(p.k))
		}
	}
	return nil
}

// block holds the buffers of one block of rows.
type block struct {
	in, raw, out, rec []float64 // input, raw probs (kc), output (k), recovered (kc)
	labels            []int64
	ints              []int
}

func (p *pipeline) newBlock() *block {
	n := p.o.BlockRows * p.workers
	return &block{
		in: make([]float64, n*p.k), raw: make([]float64, n*p.kc),
		out: make([]float64, n*p.k), rec: make([]float64, n*p.kc),
		labels: make([]int64, n), ints: make([]int, n),
	}
}

// transform fills b.raw, b.out and b.rec for the first n rows of b.in.
func (p *pipeline) transform(b *block, n int) {
	o := &p.o
	k, kc, w := p.k, p.kc, p.workers
	in, raw, out, rec := b.in[:n*k], b.raw[:n*kc], b.out[:n*k], b.rec[:n*kc]
	if o.Renormalize {
		numeric.RenormalizeRows(in, in, k)
	}
	switch o.Loss {
	case LossSoftmax:
		if o.InputKind == InputLogits {
			numeric.SoftmaxRows(raw, in, k, w)
		} else {
			copy(raw, in)
		}
		if o.Alpha != nil {
			numeric.PsiBalancedRows(out, raw, k, o.Alpha, o.Gamma, w)
		} else {
			numeric.PsiRows(out, raw, k, o.Gamma, w)
		}
		copy(rec, out)
	case LossSigmoid:
		if o.InputKind == InputLogits {
			numeric.SigmoidLogitRows(out, in, k, o.Alpha, o.Gamma, w)
			for i, z := range in {
				in[i] = theory.Sigmoid(z) // raw probabilities from here on
			}
		} else {
			numeric.SigmoidRows(out, in, k, o.Alpha, o.Gamma, w)
		}
		toClasses(raw, in, k)
		toClasses(rec, out, k)
	}
}

// toClasses writes the metrics' class probabilities of sigmoid outputs:
// (1−p, p) for one column, the row normalized to sum 1 otherwise (NaN if
// it sums to 0).
func toClasses(dst, src []float64, k int) {
	if k == 1 {
		for i, x := range src {
			dst[2*i], dst[2*i+1] = 1-x, x
		}
		return
	}
	for r := 0; r < len(src)/k; r++ {
		row, d := src[r*k:(r+1)*k], dst[r*k:(r+1)*k]
		var s float64
		for _, x := range row {
			s += x
		}
		for j, x := range row {
			d[j] = x / s
		}
	}
}

// valRows holds the validation rows: log raw and log recovered
// probabilities, and labels.
type valRows struct {
	logq, loge []float64
	labels     []int
}

// pass1 validates the input and labels, counts the rows and collects the
// validation rows.
func (p *pipeline) pass1(ctx context.Context, src *floatSource) (valRows, int, error) {
	o := &p.o
	var vs valRows
	var lab *intSource
	if o.Labels != "" {
		var err error
		if lab, err = openInts(o.Labels, o.LabelColumn); err != nil {
			return vs, 0, err
		}
		defer lab.Close()
	}
	b := p.newBlock()
	prog := p.progress("checking", src.rows())
	row := 0
	for {
		if err := ctx.Err(); err != nil {
			return vs, 0, err
		}
		n, err := src.read(b.in)
		if err == io.EOF {
			break
		}
		if err != nil {
			return vs, 0, err
		}
		if err := numeric.ValidateRows(b.in[:n*p.k], p.k, p.kind, p.sumTol, row); err != nil {
			var re *numeric.RowError
			if errors.As(err, &re) && re.Col < 0 && p.kind == numeric.Simplex {
				re.Reason += " (--renormalize divides each row by its sum)"
			}
			return vs, 0, &InputError{File: o.Input, Err: err}
		}
		if lab != nil {
			if err := p.readLabels(lab, b, n, row); err != nil {
				return vs, 0, err
			}
			if p.val != nil {
				if err := p.collectVal(b, n, row, &vs); err != nil {
					return vs, 0, err
				}
			}
		}
		row += n
		prog(row)
	}
	prog(-1)
	if row == 0 {
		return vs, 0, &InputError{File: o.Input, Err: errNoRows}
	}
	if lab != nil {
		var one [1]int64
		if n, err := lab.read(one[:]); n > 0 || (err != nil && err != io.EOF) {
			if err == nil {
				err = fmt.Errorf("more labels than the %d input rows", row)
			}
			return vs, 0, &InputError{File: o.Labels, Err: err}
		}
	}
	return vs, row, nil
}

// readLabels reads and checks the labels of rows first.. first+n−1.
func (p *pipeline) readLabels(lab *intSource, b *block, n, first int) error {
	if err := lab.readFull(b.labels[:n], first); err != nil {
		return err
	}
	for i, y := range b.labels[:n] {
		if y < 0 || y >= int64(p.kc) {
			return &InputError{File: p.o.Labels, Err: &numeric.RowError{Row: first + i, Col: -1, Value: float64(y),
				Reason: fmt.Sprintf("label %d out of range [0, %d)", y, p.kc)}}
		}
		b.ints[i] = int(y)
	}
	return nil
}

// collectVal transforms the validation rows of a block and keeps their
// log-probabilities.
func (p *pipeline) collectVal(b *block, n, first int, vs *valRows) error {
	k := p.k
	m := 0
	for i := range n {
		if p.val.isVal(first + i) {
			copy(b.in[m*k:(m+1)*k], b.in[i*k:(i+1)*k])
			b.ints[m] = b.ints[i]
			m++
		}
	}
	if m == 0 {
		return nil
	}
	p.transform(b, m)
	kc := p.kc
	for i := range m {
		if err := p.checkClasses(b, i, first); err != nil {
			return err
		}
	}
	vs.logq = append(vs.logq, LogRows(b.raw[:m*kc], b.raw[:m*kc])...)
	vs.loge = append(vs.loge, LogRows(b.rec[:m*kc], b.rec[:m*kc])...)
	vs.labels = append(vs.labels, b.ints[:m]...)
	return nil
}

// checkClasses reports a row whose class probabilities are not defined
// (sigmoid outputs that are all 0).
func (p *pipeline) checkClasses(b *block, i, first int) error {
	kc := p.kc
	for _, x := range [][]float64{b.raw[i*kc : (i+1)*kc], b.rec[i*kc : (i+1)*kc]} {
		if math.IsNaN(x[0]) {
			return &InputError{File: p.o.Input, Err: &numeric.RowError{Row: first + i, Col: -1, Value: math.NaN(),
				Reason: "every sigmoid output (or its recovery) is 0: no class probabilities for the metrics"}}
		}
	}
	return nil
}

// pass2 transforms and writes the input and accumulates the metrics.
func (p *pipeline) pass2(ctx context.Context, src *floatSource, n int, stdout io.Writer, ts, fts *TemperatureFit) (Report, []Reliability, error) {
	o := &p.o
	rep := Report{Version: reportVersion, Input: o.Input, Output: o.Output, Rows: n, Classes: p.k, Loss: o.Loss,
		InputKind: o.InputKind, Gamma: o.Gamma, Alpha: o.Alpha, Transform: p.transformName, Bins: o.Bins, Edges: o.Edges.String()}
	out, err := createOutput(o.Output, stdout, n, p.k, src.f32, src.oneD, src.header)
	if err != nil {
		return rep, nil, err
	}
	fail := func(err error) (Report, []Reliability, error) {
		out.abort()
		return rep, nil, err
	}
	var lab *intSource
	var accs []*Accumulator
	set := Settings{Bins: o.Bins, Edges: o.Edges, Bootstrap: o.Bootstrap, Seed: o.Seed, Workers: p.workers}
	if o.Labels != "" {
		if lab, err = openInts(o.Labels, o.LabelColumn); err != nil {
			return fail(err)
		}
		defer lab.Close()
		nv := 2
		if ts != nil {
			nv = 4
		}
		for range nv {
			accs = append(accs, NewAccumulator(p.kc, set))
		}
	}
	b := p.newBlock()
	var tsBuf, ftsBuf []float64
	if ts != nil {
		tsBuf, ftsBuf = make([]float64, len(b.raw)), make([]float64, len(b.raw))
	}
	prog := p.progress("calibrating", n)
	row := 0
	for {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		m, err := src.read(b.in)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		if lab != nil {
			if err := p.readLabels(lab, b, m, row); err != nil {
				return fail(err)
			}
		}
		p.transform(b, m)
		if err := out.sink.WriteFloats(b.out[:m*p.k]); err != nil {
			return fail(err)
		}
		if lab != nil {
			if err := p.accumulate(b, m, row, accs, ts, fts, tsBuf, ftsBuf); err != nil {
				return fail(err)
			}
		}
		row += m
		prog(row)
	}
	prog(-1)
	if row != n {
		return fail(&InputError{File: o.Input, Err: fmt.Errorf("changed while reading: %d rows, then %d", n, row)})
	}
	if err := out.commit(); err != nil {
		return rep, nil, err
	}
	var rels []Reliability
	names := []string{"raw", p.transformName, "ts", "focal_ts"}
	temps := []*TemperatureFit{nil, nil, ts, fts}
	for i, a := range accs {
		m := a.Metrics()
		rep.Variants = append(rep.Variants, Variant{Name: names[i], Temperature: temps[i], Metrics: m})
		rels = append(rels, m.Reliability)
		rep.TestRows = m.N
	}
	return rep, rels, nil
}

// accumulate adds the test rows of a block to the accumulators of the raw,
// recovered and (with ts) temperature-scaled probabilities, concurrently.
func (p *pipeline) accumulate(b *block, m, first int, accs []*Accumulator, ts, fts *TemperatureFit, tsBuf, ftsBuf []float64) error {
	kc := p.kc
	t := 0
	for i := range m {
		if p.val.isVal(first + i) {
			continue
		}
		if err := p.checkClasses(b, i, first); err != nil {
			return err
		}
		if t != i {
			copy(b.raw[t*kc:(t+1)*kc], b.raw[i*kc:(i+1)*kc])
			copy(b.rec[t*kc:(t+1)*kc], b.rec[i*kc:(i+1)*kc])
			b.ints[t] = b.ints[i]
		}
		t++
	}
	raw, rec, labels := b.raw[:t*kc], b.rec[:t*kc], b.ints[:t]
	var wg sync.WaitGroup
	add := func(a *Accumulator, probs []float64) {
		defer wg.Done()
		a.Add(probs, labels)
	}
	if ts != nil {
		tsp, ftsp := tsBuf[:t*kc], ftsBuf[:t*kc]
		ScaleTemperature(tsp, LogRows(tsp, raw), kc, ts.T, p.workers)
		ScaleTemperature(ftsp, LogRows(ftsp, rec), kc, fts.T, p.workers)
		wg.Add(2)
		go add(accs[2], tsp)
		go add(accs[3], ftsp)
	}
	wg.Add(2)
	go add(accs[0], raw)
	add(accs[1], rec)
	wg.Wait()
	return nil
}

// progress returns a function that reports rows done (−1: finished) on
// stderr, at most every progressEvery, if Options.Progress is set.
func (p *pipeline) progress(phase string, total int) func(int) {
	if !p.o.Progress || p.stderr == nil {
		return func(int) {}
	}
	var last time.Time
	shown := false
	return func(done int) {
		if done < 0 {
			if shown {
				fmt.Fprintf(p.stderr, "\rcalibrate: %s: done%-20s\n", phase, "")
			}
			return
		}
		if time.Since(last) < progressEvery {
			return
		}
		last, shown = time.Now(), true
		if total > 0 {
			fmt.Fprintf(p.stderr, "\rcalibrate: %s: %3.0f%% (%d of %d rows)", phase, 100*float64(done)/float64(total), done, total)
		} else {
			fmt.Fprintf(p.stderr, "\rcalibrate: %s: %d rows", phase, done)
		}
	}
}

// progressEvery is the interval between progress updates.
const progressEvery = 200 * time.Millisecond
