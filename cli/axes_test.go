package cli

import (
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The two axes of the bad-input matrix that apply to every subcommand,
// present and future: size (every numeric flag at its bound and one past
// it) and paths (what --out names). Both iterate over subcommands, so a
// new subcommand is covered as soon as it is registered: it must then have
// a row in minimalArgs, and a numeric flag of it a bound (bounds.go),
// or these tests fail.

// minimalArgs is a cheap valid invocation of each subcommand ($D: the
// fixtures of writeFixtures).
var minimalArgs = map[string][]string{
	"":                  {"--gamma", "1", "--K", "3", "--budget", "5"},
	"merge":             {"$D/report.json", "$D/report2.json"},
	"tau":               {"--gamma", "1"},
	"gamma-for-tau":     {"--p", "0.2"},
	"loss":              {"ce"},
	"minimize":          {"--gamma", "1", "--eta", "0.5,0.5"},
	"psi":               {"--gamma", "1", "--q", "0.5,0.5"},
	"boundary":          {"--K", "3"},
	"calibrate":         {"--gamma", "2", "--labels", "$D/y.csv", "$D/good.csv"},
	"report":            {"--out-dir", "$D", "--only", "tau-table", "--check"},
	"certify":           {"gamma-nu", "--K", "5"},
	"check-certificate": {"../docs/certificates/gamma-nu.json"},
}

// helpFlag is one flag line of a usage text: "  -name type" and its help.
var helpFlag = regexp.MustCompile(`(?m)^  -(\S+) (int|uint|duration|float)\n\s+(.*)$`)

// helpRange is the bound annotateBounds adds to a flag's help.
var helpRange = regexp.MustCompile(`\(range \[(\S+), (\S+)\]\)`)

func withDir(args []string, dir string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, "$D", dir)
	}
	return out
}

func subArgs(sub string, args ...string) []string {
	if sub == "" {
		return args
	}
	return append([]string{sub}, args...)
}

// pastBound returns the value one past the upper bound max of a flag of
// the given type (one nanosecond for a duration).
func pastBound(t *testing.T, typ, max string) string {
	if typ == "duration" {
		d, err := time.ParseDuration(max)
		if err != nil {
			t.Fatal(err)
		}
		return (d + 1).String()
	}
	n, ok := new(big.Int).SetString(max, 10)
	if !ok {
		t.Fatalf("bound %q is not an integer", max)
	}
	return n.Add(n, big.NewInt(1)).String()
}

// TestSizeAxis: every numeric flag of every subcommand shows its range in
// the help; at its upper bound the run is accepted (checked up to the
// start of the work: the runs themselves would take hours), one past it is
// refused with one line naming the flag, exit 2, before anything is
// written (issue 14.7: --budget, --bins, --workers and --bootstrap had no
// bound and ran out of memory, panicked or ran for hours).
func TestSizeAxis(t *testing.T) {
	dir := t.TempDir()
	writeFixtures(t, dir)
	before := listDir(t, dir)
	seen := 0
	for _, sc := range subcommands {
		base, ok := minimalArgs[sc.name]
		if !ok {
			t.Errorf("subcommand %q has no row in minimalArgs", sc.name)
			continue
		}
		base = withDir(base, dir)
		if code, _, errs := run(t, &CLI{checkOnly: true}, subArgs(sc.name, base...)...); code != ExitOK {
			t.Errorf("%q %v: exit %d: %s", sc.name, base, code, errs)
			continue
		}
		_, help, _ := run(t, nil, subArgs(sc.name, "-h")...)
		for _, m := range helpFlag.FindAllStringSubmatch(help, -1) {
			name, typ, text := m[1], m[2], m[3]
			r := helpRange.FindStringSubmatch(text)
			if r == nil {
				t.Errorf("verify %s --%s (%s): no range in its help %q", sc.name, name, typ, text)
				continue
			}
			seen++
			max := r[2]
			args := subArgs(sc.name, append(slices.Clone(base), "--"+name, max)...)
			if code, _, errs := run(t, &CLI{checkOnly: true}, args...); code != ExitOK {
				t.Errorf("%v: at its bound: exit %d: %s", args, code, errs)
			}
			args = subArgs(sc.name, append(slices.Clone(base), "--"+name, pastBound(t, typ, max))...)
			code, out, errs := run(t, nil, args...)
			if code != ExitUsage || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, name) {
				t.Errorf("%v: past its bound: exit %d, stdout %.80q, stderr %q; want exit 2 and one line naming --%s", args, code, out, errs, name)
			}
		}
	}
	if seen < 10 {
		t.Errorf("only %d numeric flags found in the help texts: is helpFlag out of date?", seen)
	}
	if after := listDir(t, dir); !slices.Equal(after, before) {
		t.Errorf("files changed: before %v, after %v", before, after)
	}
}

// TestSizeAxisCombined: the search bounds what its flags multiply (the
// plan holds budget × pairs cases, and each pair a structured family of
// K-vectors); calibrate bounds --bins × classes.
func TestSizeAxisCombined(t *testing.T) {
	runMatrix(t, []badCase{
		{[]string{"--gamma", "1,2,3", "--K", "100000", "--budget", "1"}, usage, "bad --gamma and --K"},
		{[]string{"--gamma", "0:0.9999:0.0001", "--K", "3:12", "--budget", "1"}, usage, "need the structured cases of 2750000 classes: at most 200000"},
		{[]string{"--gamma", "1,2,3", "--K", "3", "--budget", "10000000"}, usage, "bad --budget 10000000: times 3 (γ, K) pairs it plans 30000000 cases"},
	})
}

// TestPathsAxis: for every subcommand with --out, what --out names:
// an input (refused, exit 2, the input intact), a symbolic link (written
// through, the link kept), a device (written in place, still a device), a
// directory, a missing directory, a path below a file, a read-only
// directory and a full disk (exit 1, one line naming the path, not a
// temporary file; nothing left behind).
func TestPathsAxis(t *testing.T) {
	withOut := 0
	for _, sc := range subcommands {
		_, help, _ := run(t, nil, subArgs(sc.name, "-h")...)
		if !strings.Contains(help, "\n  -out ") {
			continue
		}
		withOut++
		t.Run("verify "+sc.name, func(t *testing.T) { pathsAxis(t, sc.name) })
	}
	if withOut < 4 {
		t.Errorf("%d subcommands with --out, want at least 4 (search, merge, boundary, calibrate)", withOut)
	}
}

func pathsAxis(t *testing.T, sub string) {
	dir := t.TempDir()
	writeFixtures(t, dir)
	base := withDir(minimalArgs[sub], dir)
	runOut := func(out string) (int, string, string) {
		return run(t, nil, subArgs(sub, append([]string{"--out", out}, base...)...)...)
	}
	ok := func(what, out string) {
		t.Helper()
		if code, _, errs := runOut(out); code != ExitOK {
			t.Errorf("--out %s (%s): exit %d: %s", out, what, code, errs)
		}
	}
	fails := func(what, out string, code int, want string) {
		t.Helper()
		before := listDir(t, dir)
		got, stdout, errs := runOut(out)
		if got != code || stdout != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, want) || strings.Contains(errs, ".tmp-") {
			t.Errorf("--out %s (%s): exit %d, stderr %q; want exit %d and one line saying %q", out, what, got, errs, code, want)
		}
		if after := listDir(t, dir); !slices.Equal(after, before) {
			t.Errorf("--out %s (%s): files changed: before %v, after %v", out, what, before, after)
		}
	}
	// An input, when the subcommand has one.
	for _, a := range base {
		if strings.HasPrefix(a, dir) {
			old, _ := os.ReadFile(a)
			fails("an input", a, ExitUsage, "is the same file as")
			if b, _ := os.ReadFile(a); string(b) != string(old) {
				t.Errorf("--out %s (an input): the input changed", a)
			}
		}
	}
	// A symbolic link: written through.
	target := filepath.Join(dir, "target.out")
	must(t, os.WriteFile(target, []byte("old"), 0o600))
	link := filepath.Join(dir, "link.out")
	must(t, os.Symlink("target.out", link))
	ok("a symbolic link", link)
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("--out a symbolic link: the link was replaced")
	}
	if b, _ := os.ReadFile(target); string(b) == "old" {
		t.Errorf("--out a symbolic link: its target was not written")
	}
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o600 {
		t.Errorf("--out a symbolic link to a 0600 file: mode %v after", st.Mode().Perm())
	}
	// A device: a null device made with mknod (root), else /dev/null,
	// which the old code replaced by a regular file.
	dev := filepath.Join(dir, "null.out")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		dev = "/dev/null"
	}
	ok("a device", dev)
	if st, err := os.Stat(dev); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("--out %s: no longer a device", dev)
	}
	fails("a directory", filepath.Join(dir, "adir"), ExitFailure, "is a directory")
	fails("a missing directory", filepath.Join(dir, "no", "such", "x.out"), ExitFailure, "no such file or directory")
	fails("below a file", filepath.Join(dir, "good.csv", "x.out"), ExitFailure, "not a directory")
	// A read-only directory: as root every directory is writable, so the
	// case only runs for other users.
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		must(t, os.Mkdir(ro, 0o555))
		fails("a read-only directory", filepath.Join(ro, "x.out"), ExitFailure, "permission denied")
	} else {
		t.Log("running as root: the read-only directory case cannot fail a write, skipped")
	}
	// A full disk: a 64 KiB tmpfs filled up.
	full := mountTiny(t)
	must(t, os.WriteFile(filepath.Join(full, "filler"), make([]byte, 64<<10-512), 0o644))
	out := filepath.Join(full, "x.out")
	code, _, errs := runOut(out)
	if code != ExitFailure || !strings.Contains(errs, out) || !strings.Contains(errs, "no space left on device") || strings.Contains(errs, ".tmp-") || strings.Count(errs, "\n") != 1 {
		t.Errorf("--out on a full disk: exit %d, stderr %q; want exit 1 and one line naming %s", code, errs, out)
	}
	if es, _ := os.ReadDir(full); len(es) != 1 {
		t.Errorf("--out on a full disk left %v", es)
	}
}
