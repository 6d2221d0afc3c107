package calibrate

// This file holds Calibrate, the pipeline's driver: it sets the pipeline up
// against the input's shape, runs the first pass (read.go), fits
// temperature scaling, then streams the second pass through the transform
// (transform.go) into the output (io.go) and the metrics (measure.go), and
// writes the plot and returns the report (plot.go, report.go).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/outfile"
)

// maxBinValues bounds Bins × classes (24 bytes per bin and variant: 360 MB
// per variant), the DefaultBins of MaxClasses.
const maxBinValues = DefaultBins * MaxClasses

// pipeline is the state of one Calibrate.
type pipeline struct {
	o       Options
	k       int // input columns
	kc      int // classes of the metrics (2 for a one-column sigmoid)
	kind    numeric.RowKind
	sumTol  float64
	workers int
	val     *valSplit
	// alpha is Options.Alpha of the softmax loss scaled by a power of two
	// (scaleWeights).
	alpha []float64
	// transformName is the Report's name of the recovery transform.
	transformName string
	// nVal counts the validation rows (pass 1).
	nVal int
	// inStamp and labStamp identify the input and labels read by pass 1.
	inStamp, labStamp fileStamp
}

// Calibrate runs the calibrate pipeline: it validates the whole input (and
// labels) first, in blocks, so that bad input is reported before any
// output is written; fits temperature scaling on the validation rows if
// Val is set; then streams the input again, block by block, through the
// recovery transform (Ψ^γ for the softmax loss, theory.PsiBalanced with
// class weights, theory.SigmoidPosterior for the sigmoid loss) into Output
// (or into out when Output is "" or "-"), and accumulates the metrics of
// the raw, recovered and temperature-scaled probabilities on the
// non-validation rows. It returns the Report (without Variants when there
// are no Labels), which it does not print: Report.WriteText and
// Report.WriteJSON render it. It prints nothing; Options.OnProgress
// receives the progress.
//
// Memory: the transform holds a few blocks of Workers·BlockRows rows; with
// labels, the metrics keep 8 bytes per test row per variant (for the
// equal-mass ECE and the bootstrap) and the validation rows (2·K float64
// each).
//
// Errors: *UsageError for invalid options, *InputError for bad data (the
// message names the file and the row), ctx's error when ctx is done, other
// errors for I/O failures. On any error no output file is left behind and
// the Report is nil.
func Calibrate(ctx context.Context, o Options, out io.Writer) (*Report, error) {
	if err := o.normalize(); err != nil {
		return nil, err
	}
	val, err := parseVal(o.Val, o.Seed)
	if err != nil {
		return nil, err
	}
	p := &pipeline{o: o, val: val, workers: o.Workers}
	if p.workers <= 0 {
		p.workers = numericWorkers()
	}
	src, err := openFloats(o.Input, o.Key, o.ClassAxis)
	if err != nil {
		return nil, err
	}
	if p.inStamp, err = stampOf(src.f); err != nil {
		src.Close()
		return nil, err
	}
	if err := p.setup(src); err != nil {
		src.Close()
		return nil, err
	}
	// Pass 1: validate, count, collect the validation rows.
	vs, n, err := p.pass1(ctx, src)
	src.Close()
	if err != nil {
		return nil, err
	}
	p.nVal = vs.tgt.rows(p.kc)
	if afterPass1 != nil {
		afterPass1()
	}
	if err := p.checkValIndices(n); err != nil {
		return nil, err
	}
	if o.Labels != "" && vs.ignored == n {
		return nil, &InputError{File: o.Labels, Err: fmt.Errorf("every label is the ignore index %d: no row is left for the metrics", *o.IgnoreIndex)}
	}
	var scaled []scaledVariant
	if p.val != nil {
		ign := ""
		if vs.ignored > 0 {
			ign = fmt.Sprintf(" whose label is not the ignore index %d", *o.IgnoreIndex)
		}
		if vs.tgt.rows(p.kc) == 0 {
			return nil, usagef("Val", "{Val} selects no row%s of the %d input rows", ign, n)
		}
		if vs.tgt.rows(p.kc)+vs.ignored == n {
			return nil, usagef("Val", "{Val} selects all %d input rows%s: no row is left for the metrics", n-vs.ignored, ign)
		}
		if scaled, err = p.fitScaled(&vs); err != nil {
			return nil, err
		}
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
			return nil, fmt.Errorf("plot: %w", err)
		}
	}
	// Pass 2: transform, write, measure.
	src, err = openFloats(o.Input, o.Key, o.ClassAxis)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	if err := checkStamp(o.Input, src.f, p.inStamp); err != nil {
		return nil, err
	}
	rep, rels, err := p.pass2(ctx, src, n, out, scaled, &files)
	if err != nil {
		return nil, err
	}
	rep.ValRows = vs.tgt.rows(p.kc)
	rep.IgnoreIndex, rep.IgnoredRows = *o.IgnoreIndex, vs.ignored
	if o.Labels != "" {
		rep.LabelKind = o.LabelKind
	}
	if p.val != nil {
		raw, rec := meanNLL(vs.logq, p.kc, vs.tgt), meanNLL(vs.loge, p.kc, vs.tgt)
		rep.ValNLL = &ValNLL{Raw: raw, Recovered: rec, Lowers: rec < raw}
	}
	if plot != nil {
		var panels []Panel
		for i, v := range rep.Variants {
			title := variantLabel(v)
			if i == 1 {
				title = fmt.Sprintf("%s (γ = %g)", p.transformTitle(), o.Gamma)
			}
			panels = append(panels, Panel{Title: title, Rel: rels[i], Low: v.Metrics.ECELow, High: v.Metrics.ECEHigh})
		}
		err := interruptible(ctx, func() error { return WriteReliabilityDiagram(plot, plotFormat(o.Plot), panels) })
		if err != nil {
			return nil, fmt.Errorf("plot: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := files.Commit(); err != nil {
		return nil, err
	}
	return &rep, nil
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

// checkValIndices returns an InputError naming the smallest index of the
// Val file outside [0, n), and how many there are, or nil.
func (p *pipeline) checkValIndices(n int) error {
	if p.val == nil || p.val.set == nil {
		return nil
	}
	var bad []int64
	for idx := range p.val.set {
		if idx < 0 || idx >= int64(n) {
			bad = append(bad, idx)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	msg := fmt.Sprintf("row index %d out of range [0, %d)", bad[0], n)
	if len(bad) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(bad)-1)
	}
	return &InputError{File: p.o.Val, Err: errors.New(msg)}
}

// maxWeightRatio bounds the largest softmax class weight over the
// smallest: the balanced recovery divides Ψ^γ(p)_y ≤ 1 by α_y, and with the
// weights scaled into (0, 1] the quotients and their sum stay below
// MaxFloat64 while α_y/max α ≥ 2^−1021 (normal numbers).
const maxWeightRatio = 0x1p1021

// scaleWeights sets p.alpha to the class weights divided by the power of
// two that brings the largest into [1/2, 1). A common factor of the
// weights cancels in the recovery, and a power of two scales exactly, so
// the result is that of the unscaled weights wherever those do not
// overflow; where the weights span more than maxWeightRatio (α = (1e-310,
// 1, 1)), it is refused, since Ψ/α overflows and the rows would be NaN.
func (p *pipeline) scaleWeights() error {
	a := p.o.Alpha
	hi, lo := slices.Max(a), slices.Min(a)
	if hi/lo > maxWeightRatio || math.IsInf(hi/lo, 1) {
		return usagef("Alpha", "{Alpha}: the largest class weight (%g) over the smallest (%g) exceeds 2^1021, more than the recovery can represent", hi, lo)
	}
	_, e := math.Frexp(hi)
	p.alpha = make([]float64, len(a))
	for i, x := range a {
		p.alpha[i] = math.Ldexp(x, -e)
	}
	return nil
}

// setup checks the options against the input's shape.
func (p *pipeline) setup(src *floatSource) error {
	o := &p.o
	p.k = src.cols()
	p.kc = p.k
	if p.k > MaxClasses {
		return usagef("Input", "%s has %d columns: at most %d classes are supported", o.Input, p.k, MaxClasses)
	}
	// The classwise metrics keep Bins bins per class and variant: bound
	// their product as MaxClasses bounds K at the default bins.
	if o.Labels != "" && o.Bins*p.k > maxBinValues {
		return usagef("Bins", "{Bins} %d with %d classes keeps %d bins per variant: at most %d (lower {Bins})", o.Bins, p.k, o.Bins*p.k, maxBinValues)
	}
	// Keep a block's buffers within maxBlockValues values per worker, so
	// that a wide matrix does not multiply them by BlockRows.
	if p.k > maxBlockValues/o.BlockRows {
		o.BlockRows = max(1, maxBlockValues/p.k)
	}
	switch o.Loss {
	case LossSoftmax:
		if p.k < 2 {
			return usagef("Input", "%s has %d column: the softmax loss needs K >= 2 classes", o.Input, p.k)
		}
		switch len(o.Alpha) {
		case 0, 1:
			// One weight for all classes cancels (PsiBalanced = Psi).
			p.transformName = "psi"
			o.Alpha = nil
		case p.k:
			p.transformName = "psi_balanced"
			if err := p.scaleWeights(); err != nil {
				return err
			}
		default:
			return usagef("Alpha", "{Alpha} has %d values for %d classes", len(o.Alpha), p.k)
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
			return usagef("Alpha", "{Alpha} has %d values for %d classes", len(o.Alpha), p.k)
		}
		p.transformName = "sigmoid"
		p.kind = numeric.UnitEntries
	}
	if o.InputKind == InputLogits {
		p.kind = numeric.Logits
	}
	p.sumTol = o.SumTol
	if p.sumTol == 0 {
		p.sumTol = sumTolFor(src.dtype, p.k)
	}
	return nil
}

// pass2 transforms and writes the input and accumulates the metrics.
func (p *pipeline) pass2(ctx context.Context, src *floatSource, n int, stdout io.Writer, scaled []scaledVariant, files *outfile.Set) (Report, []Reliability, error) {
	o := &p.o
	rep := Report{Version: reportVersion, Input: o.Input, Output: o.Output, Rows: n, Classes: p.k, Loss: o.Loss,
		InputKind: o.InputKind, Gamma: o.Gamma, Alpha: o.Alpha, Transform: p.transformName, Bins: o.Bins, Edges: o.Edges.String()}
	if o.Labels != "" && o.Bootstrap > 0 {
		rep.ECEInterval = &IntervalInfo{Level: DefaultLevel, Method: IntervalMethod, Resamples: o.Bootstrap}
	}
	out, err := createOutput(files, o.Output, stdout, n, p.k, src.f32, src.oneD, src.header, src.dense)
	if err != nil {
		return rep, nil, err
	}
	fail := func(err error) (Report, []Reliability, error) {
		out.abort()
		return rep, nil, err
	}
	var lab *labelSource
	var accs []*Accumulator
	var per []*PerLabelAccumulator
	set := Settings{Bins: o.Bins, Edges: o.Edges, Bootstrap: o.Bootstrap, Seed: o.Seed, Workers: p.workers}
	if o.Labels != "" {
		if lab, err = p.openLabels(src); err != nil {
			return fail(err)
		}
		defer lab.Close()
		if err := checkStamp(o.Labels, lab.file(), p.labStamp); err != nil {
			return fail(err)
		}
		if o.LabelKind != LabelsMulti {
			for range 2 + len(scaled) {
				a := NewAccumulator(p.kc, set)
				a.Grow(n - p.nVal)
				accs = append(accs, a)
			}
		}
		if o.Loss == LossSigmoid {
			per = []*PerLabelAccumulator{NewPerLabelAccumulator(p.k, set), NewPerLabelAccumulator(p.k, set)}
		}
	}
	b := p.newBlock()
	for i := range scaled {
		scaled[i].buf = make([]float64, 2*len(b.raw)) // probabilities, then their logs
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
			if err := p.accumulate(b, m, row, accs, per, scaled); err != nil {
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
	if err := p.checkUnchanged(src, lab); err != nil {
		return fail(err)
	}
	if err := out.finish(); err != nil {
		return rep, nil, err
	}
	// The metrics (the equal-mass sort, the bootstrap) can take minutes:
	// a signal stops the bootstrap, and the wait for the rest.
	ms := make([]Metrics, len(accs))
	err = interruptible(ctx, func() error {
		for i, a := range accs {
			var err error
			if ms[i], err = a.MetricsContext(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rep, nil, err
	}
	var rels []Reliability
	names := []string{"raw", p.transformName}
	temps := []*TemperatureFit{nil, nil}
	for _, v := range scaled {
		names, temps = append(names, v.name), append(temps, v.fit)
	}
	for i, m := range ms {
		rep.Variants = append(rep.Variants, Variant{Name: names[i], Temperature: temps[i], Metrics: m})
		rels = append(rels, m.Reliability)
		rep.TestRows = m.N
	}
	for i, a := range per {
		pm := a.Metrics()
		if len(rep.Variants) <= i {
			rep.Variants = append(rep.Variants, Variant{Name: names[i]})
			rep.TestRows = pm.Entries / pm.Labels
		}
		rep.Variants[i].PerLabel = &pm
	}
	return rep, rels, nil
}

// interruptible runs f and returns its error, or ctx's error as soon as ctx
// is done. f then runs on in its goroutine until it returns, but its result
// is dropped and the caller writes nothing: this bounds the time to stop
// on a signal for computations that do not take a context (the plot, the
// equal-mass sort); the bootstrap takes ctx and stops itself.
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

// progress returns a function that reports rows done (−1: finished) to
// Options.OnProgress, at most every progressEvery.
func (p *pipeline) progress(phase string, total int) func(int) {
	f := p.o.OnProgress
	if f == nil {
		return func(int) {}
	}
	var last time.Time
	return func(done int) {
		if done >= 0 && time.Since(last) < progressEvery {
			return
		}
		last = time.Now()
		f(phase, done, total)
	}
}

// progressEvery is the interval between progress updates.
const progressEvery = 200 * time.Millisecond

// afterPass1, if set (by tests), runs between the two passes.
var afterPass1 func()

// checkUnchanged returns an InputError if the input or labels changed
// since pass 1 opened them (checked at the end of pass 2, before the output
// is committed).
func (p *pipeline) checkUnchanged(src *floatSource, lab *labelSource) error {
	if err := checkStamp(p.o.Input, src.f, p.inStamp); err != nil {
		return err
	}
	if lab != nil {
		return checkStamp(p.o.Labels, lab.file(), p.labStamp)
	}
	return nil
}
