package cli

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Determinism: the same seed and flags give byte-identical output, across
// repeated runs and across --workers, for search (JSON apart from its
// "timing" object), boundary and calibrate (the matrix, the JSON report
// and the plot).

// runOK runs the command and fails the test unless it exits 0.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := run(t, nil, args...)
	if code != ExitOK {
		t.Fatalf("%q: exit %d: %s", args, code, errs)
	}
	return out
}

func TestSearchDeterministicRepeatedRuns(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--gamma", "0.5,2", "--K", "4,10", "--budget", "60", "--format", "json", "--seed", "11"}
	var want string
	for i, w := range []string{"1", "2", "3", "2"} {
		f := filepath.Join(dir, fmt.Sprintf("r%d.json", i))
		runOK(t, append(args, "--workers", w, "--out", f)...)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got := stripTiming(t, string(b))
		if i == 0 {
			want = got
		} else if got != want {
			t.Fatalf("run %d (--workers %s) differs from run 0 (--workers 1)", i, w)
		}
	}
	// The text report differs only in its timing line.
	a := runOK(t, "--gamma", "1", "--K", "5", "--budget", "40", "--seed", "11", "--workers", "1")
	b := runOK(t, "--gamma", "1", "--K", "5", "--budget", "40", "--seed", "11", "--workers", "2")
	if dropTimingLine(a) != dropTimingLine(b) {
		t.Fatalf("text reports differ:\n%s\n%s", a, b)
	}
}

// dropTimingLine removes the line of the text report that says how long
// the run took.
func dropTimingLine(s string) string {
	return dropLines(s, func(l string) bool { return strings.Contains(l, " claim checks in ") })
}

func TestBoundaryDeterministic(t *testing.T) {
	for _, args := range [][]string{
		{"boundary", "--K", "4", "--seed", "5", "--format", "json"},
		{"boundary", "--K", "4", "--seed", "5"},
		{"boundary", "--gamma", "0.5,2", "--seed", "5", "--format", "json"},
	} {
		a := runOK(t, args...)
		b := runOK(t, args...)
		if a != b {
			t.Errorf("%q: two runs differ:\n%s\n%s", args, a, b)
		}
	}
}

func TestCalibrateDeterministicAcrossWorkers(t *testing.T) {
	dir := t.TempDir()
	// 3000 rows of 4 classes (Dirichlet-like rows from a seeded source),
	// labels drawn from the rows: several blocks and chunks per worker.
	const n, k = 3000, 4
	rng := rand.New(rand.NewPCG(1, 2))
	var in, lab strings.Builder
	in.WriteString("a,b,c,d\n")
	lab.WriteString("y\n")
	for range n {
		row := make([]float64, k)
		var s float64
		for j := range row {
			row[j] = rng.ExpFloat64()
			s += row[j]
		}
		u, y := rng.Float64()*s, k-1
		for j, x := range row {
			if u < x {
				y = j
				break
			}
			u -= x
		}
		for j := range row {
			if j > 0 {
				in.WriteString(",")
			}
			fmt.Fprintf(&in, "%v", row[j]/s)
		}
		in.WriteString("\n")
		fmt.Fprintf(&lab, "%d\n", y)
	}
	inF, labF := filepath.Join(dir, "p.csv"), filepath.Join(dir, "y.csv")
	if err := os.WriteFile(inF, []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(labF, []byte(lab.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	type result struct{ report, matrix, plot []byte }
	var want result
	for i, w := range []string{"1", "2", "3", "1"} {
		out, plot := filepath.Join(dir, fmt.Sprintf("o%d.npy", i)), filepath.Join(dir, fmt.Sprintf("p%d.svg", i))
		rep := runOK(t, "calibrate", "--gamma", "2", "--labels", labF, "--val", "0.3", "--bootstrap", "50", "--seed", "9",
			"--format", "json", "--workers", w, "--out", out, "--plot", plot, inF)
		m, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		p, err := os.ReadFile(plot)
		if err != nil {
			t.Fatal(err)
		}
		// The report names the output file; compare it without the name.
		got := result{[]byte(strings.ReplaceAll(rep, out, "OUT")), m, p}
		if i == 0 {
			want = got
			continue
		}
		for _, c := range []struct {
			name string
			a, b []byte
		}{{"JSON report", want.report, got.report}, {"matrix", want.matrix, got.matrix}, {"plot", want.plot, got.plot}} {
			if !bytes.Equal(c.a, c.b) {
				t.Errorf("run %d (--workers %s): the %s differs from run 0 (--workers 1)", i, w, c.name)
			}
		}
	}
}

// Flags may follow the input file, as in the README's example
// (verify calibrate --gamma 2 --labels y.npy probs.npy --out calibrated.npy),
// and "--" ends the flags.
func TestCalibrateFlagsAfterFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "p.csv")
	if err := os.WriteFile(in, []byte("0.7,0.2,0.1\n0.2,0.5,0.3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "o.csv")
	if got := runOK(t, "calibrate", "--gamma", "2", in, "--out", out); got != "" {
		t.Errorf("stdout %q", got)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("--out after the file was ignored: %v", err)
	}
	// After "--", "--out" is a file name: two input files.
	code, _, errs := run(t, nil, "calibrate", "--gamma", "2", "--", in, "--out")
	if code != ExitUsage || !strings.Contains(errs, "want one input FILE, got 2 arguments") {
		t.Errorf("after --: exit %d, %q", code, errs)
	}
}
