package report

import (
	"context"
	"fmt"

	"github.com/focaltk/focal/experiments"
)

// Sections 5 and 6 of findings.md: the experiments of package experiments
// (written and documented there), rendered here. Both are expensive
// (minutes), so their blocks are not recomputed by the default staleness
// test (FOCAL_REPORT_FULL=1 does).

type syntheticResult = *experiments.SyntheticResult
type realResult = *experiments.RealResult

func (r *run) syntheticRun(ctx context.Context) (*experiments.SyntheticResult, error) {
	if r.synthetic == nil {
		r.logf("  experiments.Synthetic(seed %d)", r.opt.Seed)
		res, err := experiments.Synthetic(ctx, r.opt.Seed)
		if err != nil {
			return nil, err
		}
		r.synthetic = res
	}
	return r.synthetic, nil
}

func (r *run) realDataRun(ctx context.Context) (*experiments.RealResult, error) {
	if r.realData == nil {
		r.logf("  experiments.RealData(%q, seed %d)", r.opt.DataDir, r.opt.Seed)
		res, err := experiments.RealData(ctx, r.opt.DataDir, r.opt.Seed)
		if err != nil {
			return nil, err
		}
		r.realData = res
	}
	return r.realData, nil
}

func genSynthetic(ctx context.Context, r *run) (string, error) {
	res, err := r.syntheticRun(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("`experiments.Synthetic(ctx, %d)`:\n\n", r.opt.Seed) + res.Markdown(), nil
}

func drawSynthetic(ctx context.Context, r *run, path string) error {
	res, err := r.syntheticRun(ctx)
	if err != nil {
		return err
	}
	return res.Plot(path)
}

func genRealData(ctx context.Context, r *run) (string, error) {
	res, err := r.realDataRun(ctx)
	if err != nil {
		return "", err
	}
	// The data directory is not printed: it depends on the working
	// directory (the test runs from report/), not on the result.
	return fmt.Sprintf("`experiments.RealData(ctx, dataDir, %d)` with the data sets of experiments/data:\n\n", r.opt.Seed) + res.Markdown(), nil
}

func drawRealData(ctx context.Context, r *run, path string) error {
	res, err := r.realDataRun(ctx)
	if err != nil {
		return err
	}
	return res.Plot(path)
}
