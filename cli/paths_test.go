package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSameFileRefused: --out, --plot, the input FILE, --labels, --val and
// merge's shards may not name the same file, however it is spelt (the
// same string, a relative path, a symbolic link, a hard link, a link to
// the directory); the file is left as it was (issue 14.3: each of these
// destroyed the user's data).
func TestSameFileRefused(t *testing.T) {
	dir := t.TempDir()
	writeFixtures(t, dir)
	in := filepath.Join(dir, "good.csv")
	must(t, os.Symlink("good.csv", filepath.Join(dir, "link.csv")))
	must(t, os.Link(in, filepath.Join(dir, "hard.csv")))
	must(t, os.Symlink(".", filepath.Join(dir, "here")))
	t.Chdir(dir)
	g := []string{"calibrate", "--gamma", "2"}
	cases := [][]string{
		append(g, "--out", in, in),
		append(g, "--out", "good.csv", in),
		append(g, "--out", "./adir/../good.csv", in),
		append(g, "--out", "link.csv", in),
		append(g, "--out", "hard.csv", in),
		append(g, "--out", "here/good.csv", in),
		append(g, "--labels", "y.csv", "--out", "y.csv", in),
		append(g, "--labels", "y.csv", "--plot", "good.csv", in),
		append(g, "--labels", "y.csv", "--plot", "y.csv", in),
		append(g, "--labels", "y.csv", "--val", "idx.txt", "--out", "idx.txt", in),
		// Two outputs naming one new file.
		append(g, "--labels", "y.csv", "--out", "new.csv", "--plot", "here/new.csv", in),
		{"merge", "--out", "report.json", "report.json", "report2.json"},
		{"merge", "--out", "here/report2.json", "report.json", "report2.json"},
	}
	before := map[string]string{}
	for _, n := range listDir(t, dir) {
		if st, err := os.Lstat(n); err != nil || !st.Mode().IsRegular() {
			continue // a directory, a link, the FIFO
		}
		if b, err := os.ReadFile(n); err == nil {
			before[n] = string(b)
		}
	}
	for _, args := range cases {
		name := strings.Join(args, " ")
		code, out, errs := run(t, nil, args...)
		if code != ExitUsage || out != "" || !strings.Contains(errs, "is the same file as") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and one line saying which files are the same", name, code, out, errs)
		}
		for n, b := range before {
			if got, _ := os.ReadFile(n); string(got) != b {
				t.Errorf("%s: %s changed", name, n)
			}
		}
		if _, err := os.Stat("new.csv"); err == nil {
			t.Errorf("%s: wrote new.csv", name)
		}
	}
	// Two outputs on one device are fine (a null device named .png, made
	// with mknod where the test may).
	if err := syscall.Mknod("null.png", syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Logf("mknod: %v: not checking two outputs on one device", err)
		return
	}
	if code, _, errs := run(t, nil, append(g, "--labels", "y.csv", "--out", "null.png", "--plot", "null.png", in)...); code != ExitOK {
		t.Errorf("--out null.png --plot null.png (a device): exit %d: %s", code, errs)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPlotFailureKeepsOutput: when --plot fails after the matrix was
// written (its file system is full), the old --out file is still there,
// unchanged (issue 14.6: the output used to be renamed into place first).
// Needs a small tmpfs (root); skipped where it cannot be mounted.
func TestPlotFailureKeepsOutput(t *testing.T) {
	dir := t.TempDir()
	writeFixtures(t, dir)
	full := mountTiny(t)
	// Leave a few hundred bytes: the plot's temporary file is created,
	// writing the PNG fails.
	filler := make([]byte, 64<<10-512)
	os.WriteFile(filepath.Join(full, "filler"), filler, 0o644)
	out := filepath.Join(dir, "out.csv")
	must(t, os.WriteFile(out, []byte("old output\n"), 0o644))
	plot := filepath.Join(full, "p.png")
	code, _, errs := run(t, nil, "calibrate", "--gamma", "2", "--labels", filepath.Join(dir, "y.csv"), "--out", out, "--plot", plot, filepath.Join(dir, "good.csv"))
	if code != ExitFailure || !strings.Contains(errs, plot) || strings.Count(errs, "\n") != 1 {
		t.Errorf("exit %d, stderr %q: want exit 1 and one line naming %s", code, errs, plot)
	}
	if b, _ := os.ReadFile(out); string(b) != "old output\n" {
		t.Errorf("--out holds %q after the plot failed, want the old output", b)
	}
	if es, _ := os.ReadDir(full); len(es) != 1 {
		t.Errorf("left in the full file system: %v", es)
	}
	if n := len(listDir(t, dir)); n == 0 {
		t.Fatal("no fixtures")
	}
	for _, n := range listDir(t, dir) {
		if strings.Contains(n, ".tmp-") {
			t.Errorf("temporary file left: %s", n)
		}
	}
}

// mountTiny mounts a 64 KiB tmpfs on a temporary directory, or skips.
func mountTiny(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs (%v): the full-disk case needs root", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	return dir
}
