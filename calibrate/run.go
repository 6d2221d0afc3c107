package calibrate

// This file holds Run, the pipeline's driver: it sets the pipeline up
// against the input's shape, runs the first pass (read.go), fits
// temperature scaling, then streams the second pass through the transform
// (transform.go) into the output (io.go) and the metrics (measure.go), and
// writes the plot and the report (plot.go, report.go).

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/outfile"
)

// maxBinValues bounds Bins × classes (24 bytes per bin and variant: 360 MB
// per variant), the DefaultBins of MaxClasses.
const maxBinValues = DefaultBins * MaxClasses

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
		// Name the smallest index out of range, whatever the map's order,
		// so that the message is the same on every run.
		bad, nbad := int64(0), 0
		for idx := range p.val.set {
			if idx < 0 || idx >= int64(n) {
				if nbad == 0 || idx < bad {
					bad = idx
				}
				nbad++
			}
		}
		if nbad > 0 {
			more := ""
			if nbad > 1 {
				more = fmt.Sprintf(" (and %d more)", nbad-1)
			}
			return &InputError{File: o.Val, Err: fmt.Errorf("row index %d out of range [0, %d)%s", bad, n, more)}
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
	// The output files are one outfile.Set: each is written in full
	// before any is renamed into place, so a failure (or a signal) while
	// measuring or plotting leaves every existing output as it was. The
	// plot file is created before any output is written, so that an
	// unwritable --plot fails the run before it has written anything.
	var files outfile.Set
	defer files.Abort() // does nothing after Commit
	var plot *outfile.File
	if o.Plot != "" && o.Labels != "" {
		if plot, err = files.Create(o.Plot); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
	}
	// Pass 2: transform, write, measure.
	src, err = openFloats(o.Input)
	if err != nil {
		return err
	}
	defer src.Close()
	rep, rels, err := p.pass2(ctx, src, n, stdout, ts, fts, &files)
	if err != nil {
		return err
	}
	rep.ValRows = len(vs.labels)
	if plot != nil {
		panels := []Panel{
			{Title: fmt.Sprintf("raw: ECE = %.2f%%", 100*rep.Variants[0].Metrics.ECE), Rel: rels[0]},
			{Title: fmt.Sprintf("%s (γ = %g): ECE = %.2f%%", p.transformTitle(), o.Gamma, 100*rep.Variants[1].Metrics.ECE), Rel: rels[1]},
		}
		err := interruptible(ctx, func() error { return WriteReliabilityDiagram(plot, plotFormat(o.Plot), panels) })
		if err != nil {
			return fmt.Errorf("plot: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := files.Commit(); err != nil {
		return err
	}
	if o.Labels == "" {
		return nil
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
	// The classwise metrics keep Bins bins per class and variant: bound
	// their product as MaxClasses bounds K at the default bins.
	if o.Labels != "" && o.Bins*p.k > maxBinValues {
		return usagef("--bins %d with %d classes keeps %d bins per variant: at most %d (lower --bins)", o.Bins, p.k, o.Bins*p.k, maxBinValues)
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

// pass2 transforms and writes the input and accumulates the metrics.
func (p *pipeline) pass2(ctx context.Context, src *floatSource, n int, stdout io.Writer, ts, fts *TemperatureFit, files *outfile.Set) (Report, []Reliability, error) {
	o := &p.o
	rep := Report{Version: reportVersion, Input: o.Input, Output: o.Output, Rows: n, Classes: p.k, Loss: o.Loss,
		InputKind: o.InputKind, Gamma: o.Gamma, Alpha: o.Alpha, Transform: p.transformName, Bins: o.Bins, Edges: o.Edges.String()}
	out, err := createOutput(files, o.Output, stdout, n, p.k, src.f32, src.oneD, src.header)
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
	if err := out.finish(); err != nil {
		return rep, nil, err
	}
	// The metrics (the equal-mass sort, the bootstrap) can take minutes:
	// a signal stops the wait for them.
	ms := make([]Metrics, len(accs))
	err = interruptible(ctx, func() error {
		for i, a := range accs {
			ms[i] = a.Metrics()
		}
		return nil
	})
	if err != nil {
		return rep, nil, err
	}
	var rels []Reliability
	names := []string{"raw", p.transformName, "ts", "focal_ts"}
	temps := []*TemperatureFit{nil, nil, ts, fts}
	for i, m := range ms {
		rep.Variants = append(rep.Variants, Variant{Name: names[i], Temperature: temps[i], Metrics: m})
		rels = append(rels, m.Reliability)
		rep.TestRows = m.N
	}
	return rep, rels, nil
}

// interruptible runs f and returns its error, or ctx's error as soon as ctx
// is done. f then runs on in its goroutine until it returns, but its result
// is dropped and the caller writes nothing: this bounds the time to stop
// on a signal for computations that do not take a context (the bootstrap,
// the plot). (A context passed into BootstrapECE's loop would also stop the
// work itself; that function belongs to the metrics.)
func interruptible(ctx context.Context, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
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
