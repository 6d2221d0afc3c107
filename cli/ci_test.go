package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestCIRunsUncached: every go test that CI runs (in .ci/run, and the
// README's test command, which .ci/run runs as written) has -count=1, so
// a cached "ok" from older code cannot pass CI (issue 16.15). A fuzzing
// run (-fuzz) is never cached and needs no flag.
func TestCIRunsUncached(t *testing.T) {
	ci, err := os.ReadFile("../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	testCmd := regexp.MustCompile("<!-- tests -->\n```sh\n(.*)\n").FindSubmatch(readme)
	if testCmd == nil {
		t.Fatal("README.md has no test command after <!-- tests -->")
	}
	lines := append(strings.Split(string(ci), "\n"), string(testCmd[1]))
	runs := 0
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") || strings.HasPrefix(l, "step ") || !regexp.MustCompile(`\bgo test\b`).MatchString(l) {
			continue
		}
		runs++
		if !strings.Contains(l, "-count=1") && !strings.Contains(l, "-fuzz") {
			t.Errorf("CI runs %q without -count=1: a cached result would pass", l)
		}
	}
	if runs < 3 {
		t.Errorf("found %d go test runs in .ci/run and README.md, want at least 3", runs)
	}
}
