package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReport runs `verify report` on cheap blocks in a fresh directory:
// exit 0 and progress on stderr; --check then finds nothing stale, and
// exit 1 after an edit of a block; usage errors exit 2.
func TestReport(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := run(t, nil, "report", "--out-dir", dir, "--only", "tau-table,nitorch", "--no-figures")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
	if out != "" || !strings.Contains(errs, "report: tau-table done") {
		t.Errorf("stdout %q; stderr:\n%s", out, errs)
	}
	path := filepath.Join(dir, "findings.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "| 1 | 0.1353352832 |") {
		t.Errorf("findings.md has no τ row for γ = 1:\n%s", b)
	}
	if code, _, errs := run(t, nil, "report", "--out-dir", dir, "--only", "tau-table,nitorch", "--check"); code != ExitOK {
		t.Errorf("--check right after a run: exit %d, stderr:\n%s", code, errs)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), "0.1353352832", "0.1353352833", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = run(t, nil, "report", "--out-dir", dir, "--only", "tau-table,nitorch", "--check")
	if code != ExitFailure || !strings.Contains(errs, "stale blocks") || !strings.Contains(errs, "tau-table") {
		t.Errorf("--check after an edit: exit %d, stderr:\n%s", code, errs)
	}
	for _, args := range [][]string{
		{"report", "--out-dir", dir, "--only", "nope"},
		{"report", "--out-dir", filepath.Join(dir, "missing")},
		{"report", "extra"},
	} {
		if code, _, errs := run(t, nil, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d; stderr:\n%s", args, code, ExitUsage, errs)
		}
	}
}

// TestReportDataDirLabelBound: a class label of 2e9 in a --data-dir file
// is refused with one line naming the file (it ran out of memory; issue
// 14.8).
func TestReportDataDirLabelBound(t *testing.T) {
	data := t.TempDir()
	for _, n := range []string{"breast_cancer.csv", "wine_data.csv", "iris.csv"} {
		b, err := os.ReadFile(filepath.Join("../experiments/data", n))
		if err != nil {
			t.Fatal(err)
		}
		must(t, os.WriteFile(filepath.Join(data, n), b, 0o644))
	}
	b, err := os.ReadFile("../experiments/data/digits.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(filepath.Join(data, "digits.csv.gz"), b, 0o644))
	// iris with one label replaced by 2e9.
	iris, _ := os.ReadFile(filepath.Join(data, "iris.csv"))
	lines := strings.Split(string(iris), "\n")
	f := strings.Split(lines[1], ",")
	f[len(f)-1] = "2000000000"
	lines[1] = strings.Join(f, ",")
	must(t, os.WriteFile(filepath.Join(data, "iris.csv"), []byte(strings.Join(lines, "\n")), 0o644))
	out := t.TempDir()
	docs, _ := os.ReadFile("../docs/findings.md")
	must(t, os.WriteFile(filepath.Join(out, "findings.md"), docs, 0o644))
	code, _, errs := run(t, nil, "report", "--out-dir", out, "--data-dir", data, "--only", "realdata", "--check")
	errs = dropProgress(errs)
	if code == ExitOK || !strings.Contains(errs, "iris.csv") || !strings.Contains(errs, "at most 1000 classes") || strings.Count(errs, "\n") != 1 {
		t.Errorf("exit %d, stderr %q: want one line naming iris.csv and the bound", code, errs)
	}
}
