package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"
)

// dataset names a data set file in the data directory and the name tables
// use for it.
type dataset struct {
	name, file string
}

// datasets are the data sets RealData uses, in table order: four small UCI
// data sets as scikit-learn ships them (experiments/data/README.md).
var datasets = []dataset{
	{"digits", "digits.csv.gz"},
	{"breast cancer", "breast_cancer.csv"},
	{"wine", "wine_data.csv"},
	{"iris", "iris.csv"},
}

// Settings of RealData.
const (
	// realSeeds is the number of train/validation/test splits per data
	// set (the paper ran 10 trials per setting).
	realSeeds = 10
	// realTrainFrac and realValFrac are the fractions of each class in the
	// training and validation sets (stratified); the rest is the test set.
	realTrainFrac = 0.6
	realValFrac   = 0.2
	// realLambda is the L2 penalty on the weights (not the intercepts), on
	// standardized features, for every data set, seed and γ: a fixed weight
	// decay, as in the paper's training, not tuned per γ.
	realLambda = 1e-3
)

// realGammas are the values of γ trained on each split, as in Sec. 6.
var realGammas = []float64{0, 1, 2, 3}

// realConfig holds the knobs of a RealData run (a test hook: RealData uses
// defaultRealConfig).
type realConfig struct {
	seeds    int
	gammas   []float64
	datasets []dataset
	maxRows  int // > 0: keep only the first maxRows rows of each data set
}

var defaultRealConfig = realConfig{seeds: realSeeds, gammas: realGammas, datasets: datasets}

// RealResult is the outcome of RealData.
type RealResult struct {
	// Seed is the seed of the run; Seeds the number of splits per data set.
	Seed  uint64
	Seeds int
	// Gammas are the values of γ, in the order of RealSet.Runs.
	Gammas []float64
	// Lambda is the L2 penalty of every fit.
	Lambda float64
	// Sets holds one entry per data set: digits, breast cancer, wine, iris.
	Sets []RealSet
	// Elapsed is the wall time of the run (not part of Markdown).
	Elapsed time.Duration
}

// RealSet holds the runs of one data set.
type RealSet struct {
	Name                string // "digits", "breast cancer", "wine" or "iris"
	N, D, K             int    // rows, features, classes
	NTrain, NVal, NTest int    // split sizes (the same for every seed)
	// Runs[g][s] is the run with γ = Gammas[g] on split s.
	Runs [][]RealRun
}

// RealRun is one fit on one split, scored on that split's test set.
type RealRun struct {
	// Raw, Psi and TS score the softmax outputs q, Ψ^γ(q) and temperature
	// scaling softmax(z/T) (T fitted by NLL on the validation set; its NLL
	// from the logits, finite where softmax(z/T) underflows).
	Raw, Psi, TS Scores
	// T is the fitted temperature and TStatus the status of its fit
	// (calibrate.TemperatureFit.Status).
	T       float64
	TStatus string
	// ValError is the error rate of the model on the validation set. When
	// it is 0 the validation NLL of temperature scaling decreases all the
	// way to T → 0 and has no finite minimizer: the fit then returns
	// whatever small T its search stops at, and TS outputs are nearly
	// one-hot.
	ValError float64
	// Iterations and Status describe the L-BFGS run.
	Iterations int
	Status     string
}

// RealData runs the comparison of Sec. 6 at small scale. On each of four
// small UCI data sets (digits, breast cancer, wine, iris; the files of
// experiments/data, read from dataDir) and for each of 10 stratified
// 60/20/20 train/validation/test splits drawn from seed, it standardizes
// the features with the training rows' mean and standard deviation, trains
// softmax regression with the focal loss for each γ in {0, 1, 2, 3} (L-BFGS
// on the full-batch empirical focal risk plus 1e-3·‖W‖²/2, from W = 0), and
// scores on the test set the raw outputs q, Ψ^γ(q) and, for reference,
// temperature scaling fitted by NLL on the validation set: ECE (10 bins),
// NLL and error rate.
//
// The 160 fits run concurrently; each is independent (its split has its
// own random stream, training is deterministic) and results are stored in
// a fixed order, so the run is deterministic for a given seed. RealData
// returns ctx's error if ctx is done first, and an error naming the file
// for missing or malformed data.
func RealData(ctx context.Context, dataDir string, seed uint64) (*RealResult, error) {
	return realData(ctx, dataDir, seed, defaultRealConfig)
}

// realSplit is one split of one data set, standardized.
type realSplit struct {
	fTr, fVa, fTe []float64 // rows (1, standardized features)
	yTr, yVa, yTe []int
}

func realData(ctx context.Context, dataDir string, seed uint64, cfg realConfig) (*RealResult, error) {
	start := time.Now()
	r := &RealResult{Seed: seed, Seeds: cfg.seeds, Gammas: append([]float64(nil), cfg.gammas...), Lambda: realLambda}
	type job struct{ set, split, gamma int }
	var jobs []job
	splits := make([][]realSplit, len(cfg.datasets))
	for di, ds := range cfg.datasets {
		x, y, d, k, err := loadDataset(filepath.Join(dataDir, ds.file))
		if err != nil {
			return nil, err
		}
		if cfg.maxRows > 0 && len(y) > cfg.maxRows {
			x, y = x[:cfg.maxRows*d], y[:cfg.maxRows]
		}
		set := RealSet{Name: ds.name, N: len(y), D: d, K: k, Runs: make([][]RealRun, len(cfg.gammas))}
		for g := range set.Runs {
			set.Runs[g] = make([]RealRun, cfg.seeds)
		}
		for s := range cfg.seeds {
			rng := rand.New(rand.NewPCG(seed, splitStream(di, s)))
			sp := splitStandardize(rng, x, y, d, k)
			splits[di] = append(splits[di], sp)
			set.NTrain, set.NVal, set.NTest = len(sp.yTr), len(sp.yVa), len(sp.yTe)
			for g := range cfg.gammas {
				jobs = append(jobs, job{di, s, g})
			}
		}
		r.Sets = append(r.Sets, set)
	}
	err := runJobs(ctx, len(jobs), func(i int) error {
		jb := jobs[i]
		set := &r.Sets[jb.set]
		sp := splits[jb.set][jb.split]
		gamma := cfg.gammas[jb.gamma]
		d := set.D + 1
		ft, err := train(ctx, newFocalObjective(sp.fTr, sp.yTr, set.K, d, gamma, realLambda))
		if err != nil {
			return fmt.Errorf("experiments: %s split %d γ=%g: %w", set.Name, jb.split, gamma, err)
		}
		zVa := ft.model.logits(make([]float64, len(sp.yVa)*set.K), sp.fVa)
		zTe := ft.model.logits(make([]float64, len(sp.yTe)*set.K), sp.fTe)
		out, err := postprocess(zVa, sp.yVa, zTe, sp.yTe, set.K, gamma)
		if err != nil {
			return fmt.Errorf("experiments: %s split %d γ=%g: %w", set.Name, jb.split, gamma, err)
		}
		ts := scoresOf(out.ts, set.K, sp.yTe)
		ts.NLL = out.tsNLL
		set.Runs[jb.gamma][jb.split] = RealRun{
			Raw: scoresOf(out.raw, set.K, sp.yTe), Psi: scoresOf(out.psi, set.K, sp.yTe), TS: ts,
			T: out.t, TStatus: out.tStatus, ValError: errorRate(zVa, set.K, sp.yVa), Iterations: ft.iters, Status: ft.status.String(),
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.Elapsed = time.Since(start)
	return r, nil
}

// splitStream is the PCG stream of split s of data set di.
func splitStream(di, s int) uint64 { return 0x5117<<32 | uint64(di)<<16 | uint64(s) }

// splitStandardize draws a stratified split (per class: a shuffle, the
// first realTrainFrac to training, the next realValFrac to validation, the
// rest to test; rows keep their file order within each set) and
// standardizes every set with the training mean and standard deviation
// (a constant training column becomes 0).
func splitStandardize(rng *rand.Rand, x []float64, y []int, d, k int) realSplit {
	byClass := make([][]int, k)
	for i, c := range y {
		byClass[c] = append(byClass[c], i)
	}
	part := make([]int, len(y)) // 0 train, 1 val, 2 test
	for _, idx := range byClass {
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		nTr := int(math.Round(realTrainFrac * float64(len(idx))))
		nVa := int(math.Round(realValFrac * float64(len(idx))))
		for j, i := range idx {
			switch {
			case j < nTr:
				part[i] = 0
			case j < nTr+nVa:
				part[i] = 1
			default:
				part[i] = 2
			}
		}
	}
	mean, sd := make([]float64, d), make([]float64, d)
	nTr := 0
	for i := range y {
		if part[i] == 0 {
			nTr++
			for c := range d {
				mean[c] += x[i*d+c]
			}
		}
	}
	for c := range mean {
		mean[c] /= float64(nTr)
	}
	for i := range y {
		if part[i] == 0 {
			for c := range d {
				v := x[i*d+c] - mean[c]
				sd[c] += v * v
			}
		}
	}
	for c := range sd {
		sd[c] = math.Sqrt(sd[c] / float64(nTr))
	}
	var sp realSplit
	for i, c := range y {
		row := make([]float64, d+1)
		row[0] = 1
		for j := range d {
			if sd[j] > 0 {
				row[1+j] = (x[i*d+j] - mean[j]) / sd[j]
			}
		}
		switch part[i] {
		case 0:
			sp.fTr, sp.yTr = append(sp.fTr, row...), append(sp.yTr, c)
		case 1:
			sp.fVa, sp.yVa = append(sp.fVa, row...), append(sp.yVa, c)
		default:
			sp.fTe, sp.yTe = append(sp.fTe, row...), append(sp.yTe, c)
		}
	}
	return sp
}

// Markdown returns the results as a Markdown table: per data set and γ, the
// mean ± sample standard deviation over the splits of the test ERR (the
// same for raw, Ψ and TS outputs up to ties; Summary counts the runs where
// it differs), ECE and NLL of the raw outputs, of Ψ^γ and of temperature
// scaling. Numbers have fixed digits.
func (r *RealResult) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Softmax regression on standardized features, trained with the focal loss (γ = 0 is cross-entropy) by L-BFGS on the full-batch "+
		"empirical risk + %.0e·‖W‖²/2; %d stratified 60/20/20 train/validation/test splits per data set (seed %d); "+
		"mean ± sd over the splits of test-set metrics. ECE has %d equal-width bins; TS is temperature scaling fitted by NLL on the validation set. "+
		"\"Ψ lowers\" counts the splits where Ψ^γ lowers the test ECE and the test NLL below the raw outputs' (for γ > 0; Ψ^0 is the identity): "+
		"where it does not, the model is not near the focal-risk minimizer Ψ assumes. "+
		"TS's NLL is computed from the logits (log-softmax of z/T), so it is finite, and shown as mean ± sd over the splits where its fit has a "+
		"finite optimum; \"T → 0 in n/10: a–b\" gives the range over the other splits, whose validation set the model classified without error: "+
		"there the NLL fit of T has no finite optimum, T stops at its lower limit 10^-3 and each test error costs an NLL of (z_max − z_y)/T.\n\n",
		r.Lambda, r.Seeds, r.Seed, ECEBins)
	b.WriteString("| data set (N, D, K) | γ | ERR | ECE raw | ECE Ψ | ECE TS | NLL raw | NLL Ψ | NLL TS | Ψ lowers ECE, NLL |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, set := range r.Sets {
		for g, gamma := range r.Gammas {
			name := ""
			if g == 0 {
				name = fmt.Sprintf("%s (%d, %d, %d)", set.Name, set.N, set.D, set.K)
			}
			runs := set.Runs[g]
			lowers := "—"
			if gamma > 0 {
				var ece, nll int
				for _, run := range runs {
					if run.Psi.ECE < run.Raw.ECE {
						ece++
					}
					if run.Psi.NLL < run.Raw.NLL {
						nll++
					}
				}
				lowers = fmt.Sprintf("%d/%d, %d/%d", ece, len(runs), nll, len(runs))
			}
			// TS's NLL: mean ± sd over the splits where its fit has a
			// finite optimum, and the range over those where it has not.
			var fin, sep []RealRun
			for _, run := range runs {
				if run.ValError == 0 {
					sep = append(sep, run)
				} else {
					fin = append(fin, run)
				}
			}
			tsNLL := pm(fin, func(r RealRun) float64 { return r.TS.NLL })
			if len(sep) > 0 {
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, run := range sep {
					lo, hi = math.Min(lo, run.TS.NLL), math.Max(hi, run.TS.NLL)
				}
				rng := fmt.Sprintf("%.3g", lo)
				if hi > lo {
					rng += fmt.Sprintf("–%.3g", hi)
				}
				tsNLL += fmt.Sprintf("; T → 0 in %d/%d: %s", len(sep), len(runs), rng)
			}
			fmt.Fprintf(&b, "| %s | %g | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, gamma,
				pm(runs, func(r RealRun) float64 { return r.Raw.Error }),
				pm(runs, func(r RealRun) float64 { return r.Raw.ECE }),
				pm(runs, func(r RealRun) float64 { return r.Psi.ECE }),
				pm(runs, func(r RealRun) float64 { return r.TS.ECE }),
				pm(runs, func(r RealRun) float64 { return r.Raw.NLL }),
				pm(runs, func(r RealRun) float64 { return r.Psi.NLL }),
				tsNLL, lowers)
		}
	}
	return b.String()
}

// pm formats mean ± sd of f over the runs. Non-finite values (an NLL of
// +Inf, where some test label got probability 0) are left out of the mean
// and counted: "0.123 ± 0.045 (+Inf in 2/10)".
func pm(runs []RealRun, f func(RealRun) float64) string {
	var v []float64
	inf := 0
	for _, r := range runs {
		x := f(r)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			inf++
			continue
		}
		v = append(v, x)
	}
	if inf == 0 {
		m, s := meanSD(v)
		return fmt.Sprintf("%.3f ± %.3f", m, s)
	}
	if len(v) == 0 {
		return fmt.Sprintf("+Inf in %d/%d", inf, len(runs))
	}
	m, s := meanSD(v)
	return fmt.Sprintf("%.3f ± %.3f (+Inf in %d/%d)", m, s, inf, len(runs))
}

// Summary returns facts computed from the numbers, one per line: in how
// many runs Ψ kept the error rate; in how many (data set, γ > 0) cells, and
// runs, Ψ lowered the mean ECE and NLL; how Ψ's mean ECE compares with
// temperature scaling's and with the cross-entropy model's; and how the
// fits and temperature fits stopped.
func (r *RealResult) Summary() string {
	var runs, sameErr, cells, eceCells, nllCells, fRuns, eceRuns, nllRuns, tsCells, ceCells, gradStop, valSep int
	mean := func(runs []RealRun, f func(RealRun) float64) float64 {
		v := make([]float64, len(runs))
		for i, run := range runs {
			v[i] = f(run)
		}
		m, _ := meanSD(v)
		return m
	}
	rawECE := func(r RealRun) float64 { return r.Raw.ECE }
	psiECE := func(r RealRun) float64 { return r.Psi.ECE }
	for _, set := range r.Sets {
		ce := -1 // index of γ = 0, if trained
		for g, gamma := range r.Gammas {
			if gamma == 0 {
				ce = g
			}
		}
		for g, gamma := range r.Gammas {
			for _, run := range set.Runs[g] {
				runs++
				if run.Psi.Error == run.Raw.Error {
					sameErr++
				}
				if run.Status == "GradientThreshold" {
					gradStop++
				}
				if run.ValError == 0 {
					valSep++
				}
				if gamma > 0 {
					fRuns++
					if run.Psi.ECE < run.Raw.ECE {
						eceRuns++
					}
					if run.Psi.NLL < run.Raw.NLL {
						nllRuns++
					}
				}
			}
			if gamma == 0 {
				continue
			}
			cells++
			pe := mean(set.Runs[g], psiECE)
			if pe < mean(set.Runs[g], rawECE) {
				eceCells++
			}
			if mean(set.Runs[g], func(r RealRun) float64 { return r.Psi.NLL }) < mean(set.Runs[g], func(r RealRun) float64 { return r.Raw.NLL }) {
				nllCells++
			}
			if pe < mean(set.Runs[g], func(r RealRun) float64 { return r.TS.ECE }) {
				tsCells++
			}
			if ce >= 0 && pe <= mean(set.Runs[ce], rawECE) {
				ceCells++
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Ψ leaves the test error unchanged in %d of %d runs.\n", sameErr, runs)
	fmt.Fprintf(&b, "Ψ lowers the mean ECE in %d of %d (data set, γ > 0) cells and the mean NLL in %d of %d.\n", eceCells, cells, nllCells, cells)
	fmt.Fprintf(&b, "Per run (γ > 0): Ψ lowers the ECE in %d of %d runs and the NLL in %d of %d.\n", eceRuns, fRuns, nllRuns, fRuns)
	fmt.Fprintf(&b, "Ψ's mean ECE is below temperature scaling's in %d of %d cells, and at or below the cross-entropy model's raw mean ECE on the same data set in %d of %d.\n", tsCells, cells, ceCells, cells)
	fmt.Fprintf(&b, "%d of %d fits stopped on the gradient threshold.\n", gradStop, runs)
	fmt.Fprintf(&b, "In %d of %d runs the model classified the whole validation set correctly, so that the NLL fit of temperature scaling has no finite optimum (T → 0) and TS outputs are nearly one-hot: their NLL is large or +Inf wherever the test set has an error.\n", valSep, runs)
	return b.String()
}
