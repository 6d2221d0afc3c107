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
