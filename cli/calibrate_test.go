package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCalibrate calls the subcommand directly (independent of the
// dispatcher) and returns its exit code as Main would map it.
func runCalibrate(t *testing.T, args ...string) (int, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	off := false
	c := &CLI{Stdout: &out, Stderr: &errb, Progress: &off}
	code, err := c.calibrate(args)
	var ue *usageError
	if errors.As(err, &ue) {
		code = ExitUsage
	} else if err != nil {
		code = ExitFailure
	}
	return code, out.String(), err
}

func TestCalibrateCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "p.csv")
	os.WriteFile(in, []byte("a,b,c\n0.7,0.2,0.1\n0.2,0.5,0.3\n0.1,0.1,0.8\n"), 0o644)
	lab := filepath.Join(dir, "y.csv")
	os.WriteFile(lab, []byte("y\n0\n2\n2\n"), 0o644)
	out := filepath.Join(dir, "out.csv")

	code, stdout, err := runCalibrate(t, "--gamma", "2", "--labels", lab, "--out", out, "--format", "json", "--bins", "5", in)
	if code != ExitOK || err != nil || !strings.Contains(stdout, `"version": 2`) {
		t.Fatalf("code %d, err %v, stdout %s", code, err, stdout)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.HasPrefix(string(b), "a,b,c\n") {
		t.Errorf("output %q, %v", b, err)
	}
	// Bad input: exit 2, one message naming the row, no output file.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("0.7,0.2,0.1\n0.2,0.5,0.2\n"), 0o644)
	out2 := filepath.Join(dir, "out2.csv")
	code, _, err = runCalibrate(t, "--gamma", "2", "--out", out2, bad)
	if code != ExitUsage || err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("bad input: code %d, %v", code, err)
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Error("output left behind")
	}
	for _, args := range [][]string{
		{in},                  // no --gamma
		{"--gamma", "-1", in}, // bad γ
		{"--gamma", "2"},      // no file
		{"--gamma", "2", "--alpha", "x", in},
		{"--gamma", "2", "--bin-edges", "middle", in},
		{"--gamma", "2", "--alpha", "1,2", in}, // 2 weights, 3 classes
		{"--gamma", "2", "--loss", "hinge", in},
	} {
		if code, _, err := runCalibrate(t, args...); code != ExitUsage {
			t.Errorf("%v: code %d, %v", args, code, err)
		}
	}
}
