package experiments

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// psiIdentityTol bounds |Ψ^0(q)_i − q_i|: Ψ^0 returns q divided by its
// compensated sum, which differs from 1 by a few ulps for softmax rows, so
// each entry moves by a few ulps; a metric computed from them moves by
// as little, unless an entry crosses a bin edge (which the test would
// report).
const psiIdentityTol = 1e-14

// Small sizes of the smoke tests: enough to train every model and to fill
// the bins, and quick under -race.
var (
	smokeSynth = synthConfig{nTrain: 800, nVal: 400, nTest: 800, nGrid: 41, gammas: []float64{0, 1, 5}}
	smokeReal  = realConfig{seeds: 2, gammas: []float64{0, 2}, datasets: []dataset{datasets[2], datasets[3]}}
)

func TestSyntheticSmoke(t *testing.T) {
	ctx := t.Context()
	r, err := synthetic(ctx, 7, smokeSynth)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Models) != len(smokeSynth.gammas) {
		t.Fatalf("%d models, want %d", len(r.Models), len(smokeSynth.gammas))
	}
	for _, m := range r.Models {
		// Prop. 12 and monotonicity of softmax(z/T): neither Ψ nor TS
		// changes a prediction.
		if m.Psi.Error != m.Raw.Error || m.TS.Error != m.Raw.Error {
			t.Errorf("%s: ERR raw %v, Ψ %v, TS %v: post-processing changed predictions", m.Name(), m.Raw.Error, m.Psi.Error, m.TS.Error)
		}
		for _, s := range []SyntheticScores{m.Raw, m.TS, m.Psi} {
			if !(s.KL >= 0) || !(s.ECE >= 0) || math.IsInf(s.KL, 0) {
				t.Errorf("%s: bad scores %+v", m.Name(), s)
			}
		}
		if m.Gamma == 0 {
			checkIdentity(t, m.Name(), m.raw, m.psi)
			if math.Abs(m.Psi.KL-m.Raw.KL) > psiIdentityTol || math.Abs(m.Psi.ECE-m.Raw.ECE) > psiIdentityTol {
				t.Errorf("CE: Ψ^0 changed the scores: raw %+v, Ψ %+v", m.Raw, m.Psi)
			}
		}
	}
	md := r.Markdown()
	for _, want := range []string{"| CE | raw q |", "| FL γ=5 | raw q |", "Ψ^5(q)", "true posterior η"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	if s := r.Summary(); !strings.Contains(s, "same test error in 3 of 3 models") {
		t.Errorf("Summary:\n%s", s)
	}
	checkPlot(t, r.Plot)

	// Determinism, also across scheduling: a rerun on one thread gives
	// the same text.
	prev := runtime.GOMAXPROCS(1)
	r2, err := synthetic(ctx, 7, smokeSynth)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	if md2 := r2.Markdown(); md2 != md {
		t.Errorf("two runs with the same seed differ:\n%s\n---\n%s", md, md2)
	}
}

func TestRealDataSmoke(t *testing.T) {
	ctx := t.Context()
	r, err := realData(ctx, "data", 3, smokeReal)
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range r.Sets {
		if set.NTrain+set.NVal+set.NTest != set.N {
			t.Errorf("%s: split sizes %d+%d+%d != %d", set.Name, set.NTrain, set.NVal, set.NTest, set.N)
		}
		for g, gamma := range r.Gammas {
			for s, run := range set.Runs[g] {
				if run.Psi.Error != run.Raw.Error {
					t.Errorf("%s γ=%g split %d: ERR raw %v, Ψ %v", set.Name, gamma, s, run.Raw.Error, run.Psi.Error)
				}
				if gamma == 0 && (math.Abs(run.Psi.ECE-run.Raw.ECE) > psiIdentityTol || math.Abs(run.Psi.NLL-run.Raw.NLL) > psiIdentityTol) {
					t.Errorf("%s γ=0 split %d: Ψ^0 changed the scores: raw %+v, Ψ %+v", set.Name, s, run.Raw, run.Psi)
				}
			}
		}
	}
	md := r.Markdown()
	if !strings.Contains(md, "| wine (178, 13, 3) | 0 |") || !strings.Contains(md, "| iris (150, 4, 3) | 0 |") {
		t.Errorf("Markdown:\n%s", md)
	}
	if s := r.Summary(); !strings.Contains(s, "unchanged in 8 of 8 runs") {
		t.Errorf("Summary:\n%s", s)
	}
	checkPlot(t, r.Plot)
	if err := r.Plot(filepath.Join(t.TempDir(), "fig.svg")); err != nil {
		t.Fatal(err)
	}

	prev := runtime.GOMAXPROCS(1)
	r2, err := realData(ctx, "data", 3, smokeReal)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	if md2 := r2.Markdown(); md2 != md {
		t.Errorf("two runs with the same seed differ:\n%s\n---\n%s", md, md2)
	}
}

// checkIdentity checks Ψ^0(q) = q entrywise to psiIdentityTol.
func checkIdentity(t *testing.T, name string, raw, psi []float64) {
	t.Helper()
	for i := range raw {
		if math.Abs(raw[i]-psi[i]) > psiIdentityTol {
			t.Errorf("%s: Ψ^0(q)[%d] = %v, q = %v", name, i, psi[i], raw[i])
			return
		}
	}
}

// checkPlot writes a PNG and checks that it decodes, and that a path in a
// missing directory is an error.
func checkPlot(t *testing.T, plot func(string) error) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "fig.png")
	if err := plot(p); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("figure is not a PNG: %v", err)
	}
	if sz := img.Bounds().Size(); sz.X < 500 || sz.Y < 300 {
		t.Errorf("figure is %v pixels", sz)
	}
	if err := plot(filepath.Join(dir, "missing", "fig.png")); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := synthetic(ctx, 1, smokeSynth); !errors.Is(err, context.Canceled) {
		t.Errorf("Synthetic with a canceled context: %v", err)
	}
	if _, err := realData(ctx, "data", 1, smokeReal); !errors.Is(err, context.Canceled) {
		t.Errorf("RealData with a canceled context: %v", err)
	}
}

func TestLoadDataset(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	x, y, d, k, err := loadDataset(write("ok.csv", "3,2,a,b\n1,2,0\n3,4,1\n5,6,1\n"))
	if err != nil || d != 2 || k != 2 || len(y) != 3 || x[5] != 6 || y[0] != 0 {
		t.Errorf("header + 3 rows: x=%v y=%v d=%d k=%d err=%v", x, y, d, k, err)
	}
	for name, text := range map[string]string{
		"ragged.csv":   "1,2,0\n3,1\n",
		"badnum.csv":   "1,2,0\n3,x,1\n",
		"badlabel.csv": "1,2,0\n3,4,1.5\n",
		"neglabel.csv": "1,2,0\n3,4,-1\n",
		"oneclass.csv": "1,2,0\n3,4,0\n",
		"empty.csv":    "a,b,c\n",
		"nan.csv":      "1,NaN,0\n3,4,1\n",
	} {
		if _, _, _, _, err := loadDataset(write(name, text)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
	if _, _, _, _, err := loadDataset(filepath.Join(dir, "absent.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: %v", err)
	}
	// The shipped files: shapes as data/README.md states them.
	for _, c := range []struct {
		file    string
		n, d, k int
	}{{"digits.csv.gz", 1797, 64, 10}, {"breast_cancer.csv", 569, 30, 2}, {"wine_data.csv", 178, 13, 3}, {"iris.csv", 150, 4, 3}} {
		_, y, d, k, err := loadDataset(filepath.Join("data", c.file))
		if err != nil || len(y) != c.n || d != c.d || k != c.k {
			t.Errorf("%s: N=%d D=%d K=%d err=%v, want %d, %d, %d", c.file, len(y), d, k, err, c.n, c.d, c.k)
		}
	}
}
