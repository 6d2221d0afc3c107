package calibrate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/focaltk/focal/calibrate"
	"github.com/focaltk/focal/matio"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// writeNpy writes an N×K float64 (or float32) matrix to dir/name.
func writeNpy(t *testing.T, dir, name string, m []float64, k int, f32 bool) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := matio.NewNpyWriter(f, len(m)/k, k, f32, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloats(m); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeLabels writes labels as a 1-D .npy float64 array of integers (read
// back as integers) or as a one-column CSV.
func writeLabels(t *testing.T, dir, name string, y []int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	var b strings.Builder
	if strings.HasSuffix(name, ".csv") {
		b.WriteString("label\n")
		for _, v := range y {
			b.WriteString(strconv.Itoa(v) + "\n")
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := matio.NewNpyWriter(f, len(y), 1, false, true)
	if err != nil {
		t.Fatal(err)
	}
	m := make([]float64, len(y))
	for i, v := range y {
		m[i] = float64(v)
	}
	w.WriteFloats(m)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// readNpy reads a whole float matrix.
func readNpy(t *testing.T, path string) ([]float64, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := matio.NewNpyReader(f)
	if err != nil {
		t.Fatal(err)
	}
	m := make([]float64, r.Rows()*r.Cols())
	if r.Rows() > 0 {
		if _, err := r.ReadFloats(m); err != nil {
			t.Fatal(err)
		}
	}
	return m, r.Cols()
}

// posteriors returns n seeded random class posteriors of k classes, with
// every entry at least floor (so that the recovery is well conditioned).
func posteriors(n, k int, floor float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 77))
	eta := make([]float64, n*k)
	for i := range n {
		row := eta[i*k : (i+1)*k]
		var s float64
		for j := range row {
			row[j] = rng.ExpFloat64() * rng.ExpFloat64()
			s += row[j]
		}
		for j := range row {
			row[j] = floor + (1-float64(k)*floor)*row[j]/s
		}
	}
	return eta
}

// sample draws one label per row from the posteriors.
func sample(eta []float64, k int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 78))
	y := make([]int, len(eta)/k)
	for i := range y {
		u := rng.Float64()
		y[i] = k - 1
		for j, p := range eta[i*k : (i+1)*k] {
			if u < p {
				y[i] = j
				break
			}
			u -= p
		}
	}
	return y
}

// e2eTol bounds |recovered − η| after the pipeline: the exact minimizer and
// Ψ each have a relative error of a few ulps (docs/numerics.md), the
// recovery's condition number is below ~100 for entries ≥ 1e-3 and γ ≤ 3,
// so 1e-12 leaves a wide margin while catching any wrong formula (which
// would be off by ≳ 1e-3).
const e2eTol = 1e-12

func compare(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		d := math.Abs(got[i] - want[i])
		if !(d <= tol) {
			t.Fatalf("%s: entry %d = %v, want %v", name, i, got[i], want[i])
		}
		worst = math.Max(worst, d)
	}
	t.Logf("%s: worst |recovered − η| = %.3g", name, worst)
}

// run runs Calibrate and returns what the command line would print on
// stdout and stderr (the report as text): the matrix when Output is "" or
// "-" on stdout and the report on stderr, else the report on stdout.
func run(t *testing.T, o calibrate.Options) (string, string, error) {
	t.Helper()
	return runAs(t, o, false)
}

// runJSON is run with the report as JSON.
func runJSON(t *testing.T, o calibrate.Options) (string, string, error) {
	t.Helper()
	return runAs(t, o, true)
}

func runAs(t *testing.T, o calibrate.Options, asJSON bool) (string, string, error) {
	t.Helper()
	var out, rep bytes.Buffer
	r, err := calibrate.Calibrate(context.Background(), o, &out)
	if err != nil {
		if r != nil {
			t.Errorf("error %v with a report", err)
		}
		return out.String(), "", err
	}
	if o.Labels != "" {
		write := r.WriteText
		if asJSON {
			write = r.WriteJSON
		}
		if err := write(&rep); err != nil {
			t.Fatal(err)
		}
	}
	if o.Output == "" || o.Output == "-" {
		return out.String(), rep.String(), nil
	}
	if out.Len() > 0 {
		t.Errorf("%d bytes written to out with Output %q", out.Len(), o.Output)
	}
	return rep.String(), "", nil
}

// End to end, softmax focal loss: outputs equal to the focal risk minimizer
// q* = numeric.Exact(η, γ) come back as η after the pipeline (Thm 11), from
// .npy to .npy and from CSV to CSV.
func TestRunRecoversSoftmax(t *testing.T) {
	dir := t.TempDir()
	const n, k = 500, 4
	for _, g := range []float64{0.5, 2, 3} {
		eta := posteriors(n, k, 1e-3, uint64(g*10))
		q := make([]float64, len(eta))
		var sv numeric.ExactSolver
		for i := range n {
			if _, err := sv.Minimize(q[i*k:(i+1)*k], eta[i*k:(i+1)*k], g); err != nil {
				t.Fatal(err)
			}
		}
		in := writeNpy(t, dir, "q.npy", q, k, false)
		outPath := filepath.Join(dir, "eta.npy")
		if _, _, err := run(t, calibrate.Options{Input: in, Output: outPath, Gamma: g, BlockRows: 37}); err != nil {
			t.Fatal(err)
		}
		got, kk := readNpy(t, outPath)
		if kk != k {
			t.Fatalf("output has %d columns", kk)
		}
		compare(t, "softmax npy γ="+ftoa(g), got, eta, e2eTol)

		// CSV in, CSV out (shortest round-trip text, so no loss).
		var b strings.Builder
		b.WriteString("c0,c1,c2,c3\n")
		w, _ := matio.NewCSVWriter(&b, k, nil, false)
		w.WriteFloats(q)
		w.Close()
		csvIn := filepath.Join(dir, "q.csv")
		os.WriteFile(csvIn, []byte(b.String()), 0o644)
		csvOut := filepath.Join(dir, "eta.csv")
		if _, _, err := run(t, calibrate.Options{Input: csvIn, Output: csvOut, Gamma: g}); err != nil {
			t.Fatal(err)
		}
		f, _ := os.Open(csvOut)
		r, err := matio.NewCSVReader(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(r.Header(), ",") != "c0,c1,c2,c3" {
			t.Errorf("CSV header %q", r.Header())
		}
		got = make([]float64, n*k)
		if m, err := r.ReadFloats(got); err != nil || m != n {
			t.Fatalf("read %d rows: %v", m, err)
		}
		f.Close()
		compare(t, "softmax csv γ="+ftoa(g), got, eta, e2eTol)
	}
}

func ftoa(x float64) string { b, _ := json.Marshal(x); return string(b) }

// End to end, α-balanced softmax focal loss: outputs equal to the minimizer
// of W_α (numeric.ExactBalanced) come back as η with --alpha.
func TestRunRecoversBalanced(t *testing.T) {
	dir := t.TempDir()
	const n, k = 300, 3
	alpha := []float64{0.25, 1, 3}
	for _, g := range []float64{1, 2} {
		eta := posteriors(n, k, 1e-3, 5)
		q := make([]float64, len(eta))
		for i := range n {
			res, err := numeric.ExactBalanced(eta[i*k:(i+1)*k], alpha, g)
			if err != nil {
				t.Fatal(err)
			}
			copy(q[i*k:], res.Q)
		}
		in := writeNpy(t, dir, "q.npy", q, k, false)
		out := filepath.Join(dir, "eta.npy")
		if _, _, err := run(t, calibrate.Options{Input: in, Output: out, Gamma: g, Alpha: alpha}); err != nil {
			t.Fatal(err)
		}
		got, _ := readNpy(t, out)
		compare(t, "balanced γ="+ftoa(g), got, eta, e2eTol)
	}
}

// End to end, sigmoid focal loss: per class, the output p_j is the
// minimizer of the binary risk at η_j (numeric.SigmoidMinimizer), given as
// probabilities or as logits; the pipeline returns η_j. One-column (binary)
// input too.
func TestRunRecoversSigmoid(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(8, 8))
	for _, k := range []int{1, 5} {
		const n = 300
		for _, c := range []struct {
			alpha []float64
			gamma float64
		}{{[]float64{0.25}, 2}, {[]float64{-1}, 1}, {[]float64{0.1, 0.25, 0.5, 0.75, 0.9}[:k], 3}} {
			eta := make([]float64, n*k)
			p := make([]float64, n*k)
			z := make([]float64, n*k)
			for i := range eta {
				eta[i] = 0.001 + 0.998*rng.Float64()
				a := -1.0
				if len(c.alpha) == 1 {
					a = c.alpha[0]
				} else if len(c.alpha) == k {
					a = c.alpha[i%k]
				}
				pi, st, err := numeric.SigmoidMinimizer(eta[i], a, c.gamma)
				if err != nil || st != numeric.Converged {
					t.Fatal(err, st)
				}
				p[i] = pi
				z[i] = math.Log(pi) - math.Log1p(-pi)
			}
			for _, kind := range []string{calibrate.InputProbs, calibrate.InputLogits} {
				src := p
				if kind == calibrate.InputLogits {
					src = z
				}
				in := writeNpy(t, dir, "p.npy", src, k, false)
				out := filepath.Join(dir, "eta.npy")
				if _, _, err := run(t, calibrate.Options{Input: in, Output: out, Gamma: c.gamma, Alpha: c.alpha, Loss: calibrate.LossSigmoid, InputKind: kind}); err != nil {
					t.Fatal(err)
				}
				got, _ := readNpy(t, out)
				// sigmoidE2ETol: the logit input adds the rounding of
				// logit(p), amplified by dη/dz ≤ (1+γ)/4.
				const sigmoidE2ETol = 1e-12
				compare(t, "sigmoid "+kind, got, eta, sigmoidE2ETol)
			}
		}
	}
}

// With labels drawn from η, the report shows what Thm 11 and Prop 12
// predict: the same error rate before and after Ψ (the argmax is kept),
// and the recovered probabilities better calibrated than the raw,
// underconfident ones.
func TestRunMetricsReport(t *testing.T) {
	dir := t.TempDir()
	const n, k, g = 20000, 4, 3.0
	eta := posteriors(n, k, 1e-3, 11)
	q := make([]float64, len(eta))
	var sv numeric.ExactSolver
	for i := range n {
		sv.Minimize(q[i*k:(i+1)*k], eta[i*k:(i+1)*k], g)
	}
	y := sample(eta, k, 12)
	in := writeNpy(t, dir, "q.npy", q, k, true) // float32, as models write
	lab := writeLabels(t, dir, "y.npy", y)
	out := filepath.Join(dir, "eta.npy")
	plot := filepath.Join(dir, "rel.png")
	stdout, _, err := runJSON(t, calibrate.Options{Input: in, Output: out, Labels: lab, Gamma: g,
		Val: "0.25", Bootstrap: 50, Seed: 3, Plot: plot})
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Version  int
		Rows     int
		ValRows  int `json:"val_rows"`
		TestRows int `json:"test_rows"`
		Variants []struct {
			Name        string
			Temperature *struct{ Temperature float64 }
			Metrics     struct {
				N     int
				Error float64
				NLL   float64
				ECE   float64
				ECECI []float64 `json:"ece_ci"`
			}
		}
		ValNLL *struct {
			Raw, Recovered float64
			Lowers         bool `json:"recovery_lowers_nll"`
		} `json:"validation_nll"`
		ECEInterval *struct {
			Level     float64
			Method    string
			Resamples int
		} `json:"ece_interval"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if rep.Version != 2 || rep.Rows != n || rep.ValRows+rep.TestRows != n || len(rep.Variants) != 5 {
		t.Fatalf("report: %s", stdout)
	}
	// valFracTol: the hashed split of 20000 rows has a binomial standard
	// deviation of 0.3% around 25%.
	const valFracTol = 0.02
	if f := float64(rep.ValRows) / n; math.Abs(f-0.25) > valFracTol {
		t.Errorf("validation fraction %v", f)
	}
	raw, psi, ts, fts := rep.Variants[0].Metrics, rep.Variants[1].Metrics, rep.Variants[2], rep.Variants[3]
	if raw.Error != psi.Error {
		t.Errorf("Ψ changed the error rate: %v → %v", raw.Error, psi.Error)
	}
	if !(psi.NLL < raw.NLL && psi.ECE < raw.ECE) {
		t.Errorf("Ψ did not improve NLL/ECE: raw %+v, Ψ %+v", raw, psi)
	}
	if ts.Temperature == nil || fts.Temperature == nil || !(ts.Temperature.Temperature < 1) {
		t.Errorf("temperatures: TS %+v focal TS %+v (raw outputs are underconfident: T < 1 expected)", ts.Temperature, fts.Temperature)
	}
	if len(raw.ECECI) != 2 || !(raw.ECECI[0] <= raw.ECE && raw.ECE <= raw.ECECI[1]) {
		t.Errorf("raw ECE %v, interval %v", raw.ECE, raw.ECECI)
	}
	if v := rep.ValNLL; v == nil || !v.Lowers || !(v.Recovered < v.Raw) {
		t.Errorf("validation NLL of outputs at the focal-risk minimizer: %+v, want the recovery to lower it", v)
	}
	if iv := rep.ECEInterval; iv == nil || iv.Level != calibrate.DefaultLevel || iv.Method != calibrate.IntervalMethod || iv.Resamples != 50 {
		t.Errorf("ece_interval: %+v", iv)
	}
	f, err := os.Open(plot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The figure is 3.4 in wide at 300 dpi (a paper column), and with
	// --val it has four panels in two rows: taller than wide.
	if img, err := png.Decode(f); err != nil {
		t.Errorf("plot: %v", err)
	} else if b := img.Bounds(); b.Dx() != 1020 || !(b.Dy() > b.Dx()) {
		t.Errorf("plot: %d × %d pixels, want 1020 wide and taller than wide", b.Dx(), b.Dy())
	}
	got, _ := readNpy(t, out)
	if len(got) != n*k {
		t.Errorf("output: %d values", len(got))
	}
	// Text report and SVG plot.
	svg := filepath.Join(dir, "rel.svg")
	stdout, _, err = run(t, calibrate.Options{Input: in, Output: out, Labels: lab, Gamma: g, Plot: svg, Bins: 10, Bootstrap: 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"raw", "Ψ^γ", "ECE", "10 bins", "ECE 95% interval", "95% " + calibrate.IntervalMethod + ", 20 resamples"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text report lacks %q:\n%s", want, stdout)
		}
	}
	if b, err := os.ReadFile(svg); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("svg plot: %v", err)
	}
	t.Logf("text report:\n%s", stdout)
}

// The output does not depend on the block size or the number of workers
// (bit for bit), and CSV to stdout is the default.
func TestRunBlocksAndStdout(t *testing.T) {
	dir := t.TempDir()
	const n, k = 1000, 3
	q := posteriors(n, k, 0, 21)
	in := writeNpy(t, dir, "q.npy", q, k, false)
	a, b := filepath.Join(dir, "a.npy"), filepath.Join(dir, "b.npy")
	if _, _, err := run(t, calibrate.Options{Input: in, Output: a, Gamma: 2, BlockRows: 1, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, calibrate.Options{Input: in, Output: b, Gamma: 2, BlockRows: 333, Workers: 3}); err != nil {
		t.Fatal(err)
	}
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ba, bb) {
		t.Error("output depends on block size or workers")
	}
	stdout, _, err := run(t, calibrate.Options{Input: in, Gamma: 2})
	if err != nil {
		t.Fatal(err)
	}
	r, err := matio.NewCSVReader(strings.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float64, n*k)
	if m, err := r.ReadFloats(got); err != nil || m != n {
		t.Fatalf("stdout CSV: %d rows, %v", m, err)
	}
	want, _ := readNpy(t, a)
	compare(t, "stdout", got, want, 0)
}

// The NumPy-written float32 fixtures of package numeric go through the
// pipeline: the output is float32 .npy, equal to Ψ of the float32 input
// rounded to float32.
func TestRunNumpyFixture(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join("..", "matio", "testdata", "probs_f32.npy")
	lab := filepath.Join("..", "matio", "testdata", "labels_i64.npy")
	out := filepath.Join(dir, "out.npy")
	if _, _, err := run(t, calibrate.Options{Input: in, Output: out, Labels: lab, Gamma: 2}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(out)
	defer f.Close()
	r, err := matio.NewNpyReader(f)
	if err != nil || r.Descr() != "<f4" || r.Rows() != 5 || r.Cols() != 3 {
		t.Fatalf("output: %v %v", err, r)
	}
	got := make([]float64, 15)
	r.ReadFloats(got)
	src, _ := os.Open(in)
	defer src.Close()
	sr, _ := matio.NewNpyReader(src)
	x := make([]float64, 15)
	sr.ReadFloats(x)
	for i := range 5 {
		want := theory.Psi(make([]float64, 3), x[i*3:(i+1)*3], 2)
		for j := range 3 {
			if got[i*3+j] != float64(float32(want[j])) {
				t.Errorf("row %d: %v, want %v", i, got[i*3:(i+1)*3], want)
				break
			}
		}
	}
}

// Bad input: one clear error naming the file and row, an *InputError, and
// no output file left behind.
func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	good := []float64{0.5, 0.5, 0.2, 0.8, 0.9, 0.1, 0.3, 0.7}
	lab2 := writeLabels(t, dir, "y.npy", []int{0, 1, 0, 1})
	for name, c := range map[string]struct {
		rows   []float64
		labels []int
		opts   func(*calibrate.Options)
		want   string
	}{
		"nan":            {[]float64{0.5, 0.5, 0.2, 0.8, 0.9, 0.1, math.NaN(), 0.7}, nil, nil, "row 3, column 0"},
		"negative":       {[]float64{0.5, 0.5, -0.2, 1.2, 0.9, 0.1, 0.3, 0.7}, nil, nil, "row 1, column 0"},
		"sum":            {[]float64{0.5, 0.5, 0.2, 0.7, 0.9, 0.1, 0.3, 0.7}, nil, nil, "row 1: probabilities sum to"},
		"label range":    {good, []int{0, 1, 2, 1}, nil, "row 2: label 2 out of range"},
		"few labels":     {good, []int{0, 1, 1}, nil, "row 3: no label"},
		"many labels":    {good, []int{0, 1, 1, 0, 1}, nil, "more labels than the 4 input rows"},
		"inf logit":      {[]float64{0, 1, 2, math.Inf(1), 0, 0, 1, 1}, nil, func(o *calibrate.Options) { o.InputKind = calibrate.InputLogits }, "row 1, column 1"},
		"sigmoid over 1": {[]float64{0.5, 0.5, 0.2, 1.5, 0.9, 0.1, 0.3, 0.7}, nil, func(o *calibrate.Options) { o.Loss, o.Alpha = calibrate.LossSigmoid, []float64{-1} }, "row 1, column 1"},
	} {
		in := writeNpy(t, dir, "in.npy", c.rows, 2, false)
		out := filepath.Join(dir, "out.npy")
		o := calibrate.Options{Input: in, Output: out, Gamma: 2}
		if c.labels != nil {
			o.Labels = writeLabels(t, dir, "lab.npy", c.labels)
		}
		if c.opts != nil {
			c.opts(&o)
		}
		_, _, err := run(t, o)
		var ie *calibrate.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want an InputError with %q", name, err, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: output file left behind", name)
		}
		if ents, _ := os.ReadDir(dir); len(ents) > 4 {
			t.Errorf("%s: temporary files left: %d entries", name, len(ents))
		}
	}
	// The sum error suggests --renormalize, which accepts the rows.
	in := writeNpy(t, dir, "in.npy", []float64{0.5, 0.5, 0.2, 0.7, 0.9, 0.1, 0.3, 0.7}, 2, false)
	if _, _, err := run(t, calibrate.Options{Input: in, Gamma: 2}); err == nil || !strings.HasSuffix(err.Error(), "(Renormalize divides each row by its sum)") {
		t.Errorf("sum error: %v", err)
	}
	if _, _, err := run(t, calibrate.Options{Input: in, Gamma: 2, Renormalize: true, Labels: lab2}); err != nil {
		t.Errorf("--renormalize: %v", err)
	}
	// A CSV row with the wrong number of columns.
	csvIn := filepath.Join(dir, "in.csv")
	os.WriteFile(csvIn, []byte("a,b\n0.5,0.5\n0.2,0.3,0.5\n"), 0o644)
	if _, _, err := run(t, calibrate.Options{Input: csvIn, Gamma: 2}); err == nil || !strings.Contains(err.Error(), "row 1: has 3 columns, want 2") {
		t.Errorf("ragged CSV: %v", err)
	}
}

// Invalid options are UsageErrors naming the Options field at fault, in
// the library's terms (15.4: no command-line flag in the message).
func TestRunUsageErrors(t *testing.T) {
	dir := t.TempDir()
	in := writeNpy(t, dir, "in.npy", []float64{0.5, 0.5, 0.2, 0.8}, 2, false)
	for name, c := range map[string]struct {
		o     calibrate.Options
		field string
	}{
		"no input":     {calibrate.Options{}, "Input"},
		"loss":         {calibrate.Options{Input: in, Loss: "hinge"}, "Loss"},
		"input kind":   {calibrate.Options{Input: in, InputKind: "scores"}, "InputKind"},
		"gamma":        {calibrate.Options{Input: in, Gamma: -1}, "Gamma"},
		"bins":         {calibrate.Options{Input: in, Bins: -1}, "Bins"},
		"alpha count":  {calibrate.Options{Input: in, Alpha: []float64{1, 2, 3}}, "Alpha"},
		"alpha zero":   {calibrate.Options{Input: in, Alpha: []float64{1, 0}}, "Alpha"},
		"sigmoid α":    {calibrate.Options{Input: in, Loss: calibrate.LossSigmoid, Alpha: []float64{1.5}}, "Alpha"},
		"plot ext":     {calibrate.Options{Input: in, Labels: in, Plot: filepath.Join(dir, "x.jpg")}, "Plot"},
		"val no lab":   {calibrate.Options{Input: in, Val: "0.2"}, "Labels"},
		"val frac":     {calibrate.Options{Input: in, Labels: in, Val: "1.5"}, "Val"},
		"renorm sig":   {calibrate.Options{Input: in, Loss: calibrate.LossSigmoid, Alpha: []float64{-1}, Renormalize: true}, "Renormalize"},
		"sigmoid no α": {calibrate.Options{Input: in, Loss: calibrate.LossSigmoid}, "Alpha"},
		"sum tol":      {calibrate.Options{Input: in, SumTol: -1}, "SumTol"},
	} {
		_, _, err := run(t, c.o)
		var ue *calibrate.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%s: %v, want a UsageError", name, err)
			continue
		}
		if ue.Field != c.field || strings.Contains(ue.Msg, "--") || ue.Error() != ue.Msg {
			t.Errorf("%s: field %q, message %q, want field %q and no flag", name, ue.Field, ue.Msg, c.field)
		}
	}
}

// UsageError.Text names the fields as its caller's user knows them, in
// the format string only: a value or file name that looks like a field
// reference is printed as it is.
func TestUsageErrorText(t *testing.T) {
	dir := t.TempDir()
	in := writeNpy(t, dir, "in.npy", []float64{0.5, 0.5, 0.2, 0.8}, 2, false)
	flag := func(f string) string { return "--" + strings.ToLower(f) }
	lab := writeLabels(t, dir, "y.npy", []int{0, 1})
	_, _, err := run(t, calibrate.Options{Input: in, Labels: lab, Bins: 8000000})
	var ue *calibrate.UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("Bins × K too large: %v", err)
	}
	if want := "--bins 8000000 with 2 classes keeps 16000000 bins per variant: at most 15000000 (lower --bins)"; ue.Text(flag) != want {
		t.Errorf("Text = %q, want %q", ue.Text(flag), want)
	}
	if !strings.HasPrefix(ue.Msg, "Bins 8000000 with") || !strings.HasSuffix(ue.Msg, "(lower Bins)") {
		t.Errorf("Msg = %q, want the field names", ue.Msg)
	}
	_, _, err = run(t, calibrate.Options{Input: in, Loss: "{Alpha}%d"})
	if !errors.As(err, &ue) || ue.Text(flag) != `--loss must be softmax or sigmoid, not "{Alpha}%d"` {
		t.Errorf("a value like a field reference: %v, Text %q", err, ue.Text(flag))
	}
}

func TestRunCancel(t *testing.T) {
	dir := t.TempDir()
	in := writeNpy(t, dir, "in.npy", posteriors(100, 3, 0, 1), 3, false)
	out := filepath.Join(dir, "out.npy")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := calibrate.Calibrate(ctx, calibrate.Options{Input: in, Output: out, Gamma: 2}, io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("output left behind")
	}
}

// Labels from a CSV column chosen by name or index, next to columns of any
// content; a multi-column labels file without --label-col is a usage error.
func TestRunLabelColumn(t *testing.T) {
	dir := t.TempDir()
	in := writeNpy(t, dir, "p.npy", []float64{0.7, 0.3, 0.4, 0.6, 0.1, 0.9}, 2, false)
	lab := filepath.Join(dir, "meta.csv")
	os.WriteFile(lab, []byte("file,label,score\na.png,0,x\nb.png,1,y\nc.png,1,z\n"), 0o644)
	for _, col := range []string{"label", "1"} {
		stdout, _, err := run(t, calibrate.Options{Input: in, Output: filepath.Join(dir, "o.npy"), Labels: lab, LabelColumn: col, Gamma: 1, Bins: 2})
		if err != nil || !strings.Contains(stdout, "metrics on 3 rows") {
			t.Errorf("--label-col %s: %v\n%s", col, err, stdout)
		}
	}
	_, _, err := run(t, calibrate.Options{Input: in, Labels: lab, Gamma: 1})
	var ue *calibrate.UsageError
	if !errors.As(err, &ue) {
		t.Errorf("no --label-col: %v", err)
	}
	_, _, err = run(t, calibrate.Options{Input: in, Labels: lab, LabelColumn: "score", Gamma: 1})
	var ie *calibrate.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "row 0, column 2") {
		t.Errorf("non-integer label column: %v", err)
	}
}

// The sigmoid loss has no default α (16.2): without Alpha the run stops
// with a usage error that names the choice, before writing anything;
// torchvision's 0.25 and "no weighting" (−1) are both accepted.
func TestRunSigmoidNeedsAlpha(t *testing.T) {
	dir := t.TempDir()
	in := writeNpy(t, dir, "p.npy", []float64{0.2, 0.7, 0.9, 0.1}, 2, false)
	out := filepath.Join(dir, "eta.npy")
	_, _, err := run(t, calibrate.Options{Input: in, Output: out, Gamma: 2, Loss: calibrate.LossSigmoid})
	var ue *calibrate.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "needs Alpha") || !strings.Contains(err.Error(), "0.25") {
		t.Errorf("sigmoid without α: %v, want a usage error asking for --alpha", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output written after the usage error: %v", err)
	}
	for _, a := range []float64{0.25, -1} {
		if _, _, err := run(t, calibrate.Options{Input: in, Output: out, Gamma: 2, Loss: calibrate.LossSigmoid, Alpha: []float64{a}}); err != nil {
			t.Errorf("α = %v: %v", a, err)
		}
	}
}

// On a model that is not near the focal-risk minimizer, Ψ can make
// calibration worse, and the report says so (16.3): outputs that are the
// true posteriors η already (labels drawn from η) minimize the expected
// log loss, so Ψ^γ(η) ≠ η has a higher validation NLL on 5000 held-out
// rows (the gap at γ = 3 is many standard errors); the JSON says
// recovery_lowers_nll false and the text report warns.
func TestRunValNLLWarns(t *testing.T) {
	dir := t.TempDir()
	const n, k, g = 20000, 4, 3.0
	eta := posteriors(n, k, 1e-3, 21)
	y := sample(eta, k, 22)
	in := writeNpy(t, dir, "eta.npy", eta, k, false)
	lab := writeLabels(t, dir, "y.npy", y)
	o := calibrate.Options{Input: in, Output: filepath.Join(dir, "out.npy"), Labels: lab, Gamma: g, Val: "0.25", Seed: 4}
	stdout, _, err := runJSON(t, o)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		ValNLL *struct {
			Raw, Recovered float64
			Lowers         bool `json:"recovery_lowers_nll"`
		} `json:"validation_nll"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if v := rep.ValNLL; v == nil || v.Lowers || !(v.Recovered > v.Raw) {
		t.Errorf("validation NLL of calibrated outputs: %+v, want the recovery not to lower it", v)
	}
	stdout, _, err = run(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "does not lower the validation NLL") {
		t.Errorf("text report has no warning:\n%s", stdout)
	}
	t.Logf("%s", stdout)
}

// Silent wrong output of issue 14.2, each now an error or the right
// answer.
func TestRunSilentWrongOutput(t *testing.T) {
	dir := t.TempDir()
	p3 := []float64{0.2, 0.3, 0.5, 0.6, 0.3, 0.1}
	in := writeNpy(t, dir, "p.npy", p3, 3, false)
	out := filepath.Join(dir, "eta.npy")
	// Rows with labels for the --val cases.
	const n = 40
	in40 := writeNpy(t, dir, "p40.npy", posteriors(n, 3, 1e-3, 5), 3, false)
	y40 := make([]int, n)
	for i := range y40 {
		y40[i] = i % 3
	}
	lab40 := writeLabels(t, dir, "y40.npy", y40)

	t.Run("weights", func(t *testing.T) {
		// Class weights spanning more than 2^1021: refused (were NaN rows).
		_, _, err := run(t, calibrate.Options{Input: in, Output: out, Gamma: 2, Alpha: []float64{1e-310, 1, 1}})
		var ue *calibrate.UsageError
		if !errors.As(err, &ue) || ue.Field != "Alpha" {
			t.Errorf("α = (1e-310, 1, 1): %v, want a usage error", err)
		}
		// A common factor cancels: weights scaled by 2^-1030 (subnormal) or
		// 2^1000 give the recovery of the unscaled ones (an identity of the
		// balanced recovery, docs/calibrate.md), here within
		// scaledWeightsTol: the subnormal weights 2^-1030·(1, 1, 2) are exact
		// (powers of two), so only the rounding of the recovery itself
		// differs, by at most a few ulps.
		const scaledWeightsTol = 1e-15
		var want []float64
		for _, a := range [][]float64{{1, 1, 2}, {0x1p-1030, 0x1p-1030, 0x1p-1029}, {0x1p1000, 0x1p1000, 0x1p1001}} {
			if _, _, err := run(t, calibrate.Options{Input: in, Output: out, Gamma: 2, Alpha: a}); err != nil {
				t.Fatalf("α = %v: %v", a, err)
			}
			got, _ := readNpy(t, out)
			if want == nil {
				want = got
				continue
			}
			compare(t, fmt.Sprintf("α = %v", a), got, want, scaledWeightsTol)
		}
	})
	t.Run("renormalize_overflow", func(t *testing.T) {
		// --renormalize on a row whose sum overflows: (1/3, 1/3, 1/3), and Ψ^γ
		// of the uniform vector is uniform (its entries are equal by symmetry).
		big := writeNpy(t, dir, "big.npy", []float64{1e308, 1e308, 1e308, 0.5, 0.25, 0.25}, 3, false)
		if _, _, err := run(t, calibrate.Options{Input: big, Output: out, Gamma: 2, Renormalize: true}); err != nil {
			t.Fatal(err)
		}
		got, _ := readNpy(t, out)
		// uniformTol: 1/3 computed by two roundings (1e308/1e308 = 1, then
		// 1/3) and Ψ's normalization: a few ulps.
		const uniformTol = 1e-15
		compare(t, "renormalized (1e308, 1e308, 1e308)", got[:3], []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, uniformTol)
	})
	t.Run("val_every_row", func(t *testing.T) {
		// --val naming every row leaves nothing to measure: an error.
		lab := writeLabels(t, dir, "y.npy", []int{0, 2})
		all := filepath.Join(dir, "all.txt")
		os.WriteFile(all, []byte("0\n1\n"), 0o644)
		var ue *calibrate.UsageError
		if _, _, err := run(t, calibrate.Options{Input: in, Output: out, Labels: lab, Gamma: 2, Val: all}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "all 2 input rows") {
			t.Errorf("--val of every row: %v, want a usage error", err)
		}
	})
	t.Run("val_entry_1.0", func(t *testing.T) {
		// A --val entry "1.0" (first line, no header) is row 1; "1.5" is an
		// error naming the line.
		for body, wantVal := range map[string]int{"1.0\n": 1, "3\n1.0\n2e0\n": 3, "rows\n1\n": 1} {
			f := filepath.Join(dir, "val.txt")
			os.WriteFile(f, []byte(body), 0o644)
			stdout, _, err := runJSON(t, calibrate.Options{Input: in40, Output: out, Labels: lab40, Gamma: 2, Val: f})
			if err != nil {
				t.Errorf("--val file %q: %v", body, err)
				continue
			}
			var rep struct {
				ValRows int `json:"val_rows"`
			}
			if json.Unmarshal([]byte(stdout), &rep); rep.ValRows != wantVal {
				t.Errorf("--val file %q: %d validation rows, want %d", body, rep.ValRows, wantVal)
			}
		}
		half := filepath.Join(dir, "half.txt")
		os.WriteFile(half, []byte("0\n1.5\n"), 0o644)
		if _, _, err := run(t, calibrate.Options{Input: in40, Output: out, Labels: lab40, Gamma: 2, Val: half}); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("--val entry 1.5: %v, want an error naming line 2", err)
		}
	})
	t.Run("val_out_of_range", func(t *testing.T) {
		// Out-of-range indices: the same message on every run (the smallest
		// index, and how many more), not one chosen by map order.
		oor := filepath.Join(dir, "oor.txt")
		os.WriteFile(oor, []byte("70\n50\n-3\n90\n1\n"), 0o644)
		const wantMsg = "row index -3 out of range [0, 40) (and 3 more)"
		for range 20 {
			if _, _, err := run(t, calibrate.Options{Input: in40, Output: out, Labels: lab40, Gamma: 2, Val: oor}); err == nil || !strings.HasSuffix(err.Error(), wantMsg) {
				t.Fatalf("out-of-range --val: %v, want %q", err, wantMsg)
			}
		}
	})
}

// An input or labels file that changes between the two passes is refused,
// and no output is written (14.2).
func TestRunFileChangedBetweenPasses(t *testing.T) {
	dir := t.TempDir()
	const n, k = 200, 3
	eta := posteriors(n, k, 1e-3, 6)
	y := sample(eta, k, 7)
	for _, which := range []string{"input", "labels"} {
		in := writeNpy(t, dir, "p.npy", eta, k, false)
		lab := writeLabels(t, dir, "y.npy", y)
		out := filepath.Join(dir, "eta-"+which+".npy")
		calibrate.SetAfterPass1(func() {
			// The same size, another content and time: a file rewritten
			// in place by another process.
			path, m := in, append([]float64(nil), eta...)
			if which == "labels" {
				path = lab
				yy := append([]int(nil), y...)
				yy[0] = (yy[0] + 1) % k
				writeLabels(t, dir, "y.npy", yy)
			} else {
				m[0], m[1] = m[1], m[0]
				writeNpy(t, dir, "p.npy", m, k, false)
			}
			later := time.Now().Add(time.Minute)
			os.Chtimes(path, later, later)
		})
		_, _, err := run(t, calibrate.Options{Input: in, Output: out, Labels: lab, Gamma: 2})
		calibrate.SetAfterPass1(nil)
		var ie *calibrate.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "changed while it was being read") {
			t.Errorf("%s changed between passes: %v, want an InputError", which, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s changed: output written (%v)", which, err)
		}
	}
}

// OnProgress receives the progress of both passes, ending each with −1,
// and nothing is printed then (15.4: the caller shows progress).
func TestRunOnProgress(t *testing.T) {
	dir := t.TempDir()
	in := writeNpy(t, dir, "p.npy", posteriors(300, 3, 1e-3, 9), 3, false)
	var phases []string
	var lastDone []int
	o := calibrate.Options{Input: in, Output: filepath.Join(dir, "o.npy"), Gamma: 2,
		OnProgress: func(phase string, done, total int) {
			if total != 300 {
				t.Errorf("%s: total %d, want 300", phase, total)
			}
			if len(phases) == 0 || phases[len(phases)-1] != phase {
				phases = append(phases, phase)
				lastDone = append(lastDone, 0)
			}
			lastDone[len(lastDone)-1] = done
		}}
	_, stderr, err := run(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(phases, ",") != "checking,calibrating" || lastDone[0] != -1 || lastDone[1] != -1 {
		t.Errorf("progress phases %v, last values %v", phases, lastDone)
	}
	if stderr != "" {
		t.Errorf("printed with OnProgress set: %q", stderr)
	}
}
