package cli

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/focaltk/focal/internal/npyraw"
)

// The bad-input matrix: for every command, malformed flags, out-of-domain
// values, broken files and unwritable outputs. Each case asserts the exit
// code (ExitUsage for usage errors and bad input, ExitFailure for other
// failures, as the usage text documents), that stderr is one line that
// starts with "verify" and names the problem (and says nothing twice: see
// doubled), that nothing went to stdout, and that the run left no file
// behind: the directory holds exactly the fixtures it had before (no
// partial output, no temporary). verify report also logs its progress to
// stderr, in lines starting with "report: ", before the error line.

// badCase is one row of the matrix. Arguments may contain "$D", replaced
// by the case's directory, which holds the fixtures of writeFixtures.
type badCase struct {
	args []string
	code int
	want string // a substring of the stderr line, naming the problem ("$D" replaced too)
}

func float64Bytes(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// writeFixtures writes the input files the cases refer to into dir.
func writeFixtures(t *testing.T, dir string) {
	t.Helper()
	good := float64Bytes(0.7, 0.2, 0.1, 0.2, 0.5, 0.3)
	files := map[string][]byte{
		"good.csv":      []byte("a,b,c\n0.7,0.2,0.1\n0.2,0.5,0.3\n"),
		"good.npy":      npyraw.File("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", good),
		"y.csv":         []byte("y\n0\n2\n"),
		"y3.csv":        []byte("y\n0\n2\n1\n"),
		"ybad.csv":      []byte("y\n0\n7\n"),
		"yneg.csv":      []byte("y\n0\n-5\n"),
		"yignored.csv":  []byte("y\n-100\n-100\n"),
		"ysoft.csv":     []byte("0.5,0.5,0\n0,0,1\n"),
		"ysoftsum.csv":  []byte("0.5,0.4,0\n0,0,1\n"),
		"ysoftneg.csv":  []byte("0.5,0.5,0\n-0.5,0.5,1\n"),
		"ysoft2.csv":    []byte("0.5,0.5\n1,0\n"),
		"ysoft3.csv":    []byte("0.5,0.5,0\n"),
		"ymulti.csv":    []byte("1,0,1\n0,1,1\n"),
		"ymultibad.csv": []byte("1,0,2\n0,1,1\n"),
		"yfloat.csv":    []byte("y\n0\n1.5\n"),
		"ytwo.csv":      []byte("y,z\n0,1\n2,1\n"),
		"yf.npy":        npyraw.File("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", float64Bytes(0, 2.5)),
		"empty.csv":     nil,
		"empty.npy":     nil,
		"header.csv":    []byte("a,b,c\n"),
		"ragged.csv":    []byte("0.7,0.2,0.1\n0.2,0.8\n"),
		"quote.csv":     []byte("0.7,0.2,0.1\n\"0.2,0.5,0.3\n"),
		"text.csv":      []byte("0.7,0.2,0.1\n0.2,abc,0.3\n"),
		"nan.csv":       []byte("0.7,0.2,0.1\nnan,0.5,0.5\n"),
		"sum.csv":       []byte("0.7,0.2,0.1\n0.2,0.5,0.2\n"),
		"neg.csv":       []byte("0.7,0.2,0.1\n-0.2,0.7,0.5\n"),
		"onecol.csv":    []byte("1\n1\n"),
		"trunc.npy":     npyraw.File("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 3), }", good),
		"trunchdr.npy":  npyraw.File("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", good)[:40],
		"magic.npy":     append([]byte("\x93NUMPX\x01\x00\x10\x00"), good...),
		"baddict.npy":   npyraw.File("{'shape': (2, 3), 'descr': '<f8', 'fortran_order': False, }", good),
		"v2huge.npy":    []byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f"),
		"complex.npy":   npyraw.File("{'descr': '<c16', 'fortran_order': False, 'shape': (2, 3), }", append(good, good...)),
		"ints.npy":      npyraw.File("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }", good),
		"fortran.npy":   npyraw.File("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", good),
		"threed.npy":    npyraw.File("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 3), }", good),
		"wide.npy":      npyraw.File("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 10000000), }", nil),
		"zero.npy":      npyraw.File("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }", nil),
		"garbage.npy":   []byte("this is not a NumPy file at all\n"),
		"report.json":   nil, // filled below: a valid shard report
		"notjson.json":  []byte("{\"version\": 1, \"results\": [\n"),
		"wrongver.json": []byte(`{"version": 99, "shard": {"index": 1, "count": 1}}`),
		"hollow.json":   []byte(`{"version": 1, "shard": {"index": 1, "count": 1}}`),
		"extra.json":    []byte(`{"version": 1, "shard": {"index": 1, "count": 1}, "sede": 3}`),
		"empty.json":    nil,
		"typed.json":    []byte(`{"version": 1, "budget": 1e400}`),
		"idx.txt":       []byte("0\n5\n"),
		"idxbad.txt":    []byte("7\n5\n-1\n0\n-3\n9\n"),
		"idxlong.txt":   []byte(strings.Repeat("1", 100<<10) + "\n"),
		"report2.json":  nil, // filled below: its shard 2/2
		"other.json":    nil, // filled below: shard 2/2 of another search
		// Output directories of verify report: findings.md without the
		// markers, with one twice, findings.md a directory, figures/ a
		// file, figures/phi.png a directory.
		"rep-nomark/findings.md":          []byte("# findings\n\nHand-written text and no markers.\n"),
		"rep-dupmark/findings.md":         []byte(strings.Repeat("<!-- BEGIN generated:tau-table -->\n<!-- END generated:tau-table -->\n", 2)),
		"rep-dirfile/findings.md/keep":    nil,
		"rep-figfile/figures":             []byte("not a directory\n"),
		"rep-figdir/figures/phi.png/keep": nil,
	}
	for name, b := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A FIFO, as process substitution gives (the old code opened it twice
	// and hung).
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.csv"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "adir", "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, nil, "--gamma", "1", "--K", "3", "--budget", "5", "--format", "json", "--shard", "1/2")
	if code != ExitOK {
		t.Fatalf("shard report: exit %d: %s", code, errs)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, seed := range map[string]string{"report2.json": "1", "other.json": "2"} {
		code, out, errs = run(t, nil, "--gamma", "1", "--K", "3", "--budget", "5", "--format", "json", "--shard", "2/2", "--seed", seed)
		if code != ExitOK {
			t.Fatalf("%s: exit %d: %s", name, code, errs)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// listDir returns the names of the files under dir, recursively.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		names = append(names, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func runMatrix(t *testing.T, cases []badCase) {
	t.Helper()
	dir := t.TempDir()
	writeFixtures(t, dir)
	before := listDir(t, dir)
	for _, c := range cases {
		args := make([]string, len(c.args))
		for i, a := range c.args {
			args[i] = strings.ReplaceAll(a, "$D", dir)
		}
		name := strings.Join(c.args, " ")
		if len(name) > 80 {
			name = name[:80] + "…"
		}
		code, out, errs := run(t, nil, args...)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", name, code, c.code, errs)
		}
		if out != "" {
			t.Errorf("%s: wrote to stdout: %.200q", name, out)
		}
		if len(c.args) > 0 && c.args[0] == "report" {
			errs = dropProgress(errs)
		}
		if strings.Count(errs, "\n") != 1 || !strings.HasSuffix(errs, "\n") || !strings.HasPrefix(errs, "verify") {
			t.Errorf("%s: want one line on stderr starting with verify, got %q", name, errs)
		}
		if want := strings.ReplaceAll(c.want, "$D", dir); !strings.Contains(errs, want) {
			t.Errorf("%s: stderr %q does not name the problem (%q)", name, errs, want)
		}
		if d := doubled(strings.TrimSuffix(errs, "\n"), dir); d != "" {
			t.Errorf("%s: stderr %q says %s", name, errs, d)
		}
		if after := listDir(t, dir); !slices.Equal(after, before) {
			t.Errorf("%s: files changed: before %v, after %v", name, before, after)
		}
	}
}

// dropLines removes from s the lines for which drop is true.
func dropLines(s string, drop func(line string) bool) string {
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !drop(l) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// dropProgress removes the progress lines of verify report from stderr.
func dropProgress(errs string) string {
	return dropLines(errs, func(l string) bool { return strings.HasPrefix(l, "report: ") })
}

// doubled returns what an error line "verify[ SUB]: message" says twice,
// or "" if nothing: the message repeats a prefix of the line or a package
// name ("verify merge: verify: cannot merge: …", "verify: … report: no
// line …"),
// one of its ": "-separated parts follows an identical one ("npy: npy: …"),
// two parts start with "bad " ("bad --shard: bad shard …"), or it names a
// file under dir twice ("cannot read x: open x: …").
func doubled(line, dir string) string {
	parts := strings.Split(line, ": ")
	prefixes := []string{"verify", "report", "numeric", "calibrate"}
	if cmd := parts[0]; strings.HasPrefix(cmd, "verify ") {
		prefixes = append(prefixes, strings.TrimPrefix(cmd, "verify "), cmd)
	}
	bad := 0
	for i, p := range parts[1:] {
		if slices.Contains(prefixes, p) {
			return fmt.Sprintf("the prefix %q again", p)
		}
		if p == parts[i] {
			return fmt.Sprintf("%q twice in a row", p)
		}
		if strings.HasPrefix(p, "bad ") {
			if bad++; bad > 1 {
				return `"bad" twice`
			}
		}
	}
	if dir != "" {
		paths := regexp.MustCompile(regexp.QuoteMeta(dir)+`[^\s:"]*`).FindAllString(line, -1)
		for i, p := range paths {
			if slices.Contains(paths[:i], p) {
				return fmt.Sprintf("the file %s twice", p)
			}
		}
	}
	return ""
}

// TestDoubled: the checker of the matrix catches the messages this file
// used to accept (each was printed by an earlier version of the command).
func TestDoubled(t *testing.T) {
	const d = "/tmp/x"
	for _, line := range []string{
		"verify merge: verify: cannot merge: shard 2/2 is missing (run 'verify merge -h' for usage)",
		"verify report: bad --only: report: no block or figure \"bogus\" (run 'verify report -h' for usage)",
		"verify: /tmp/x/findings.md: report: no line \"<!-- BEGIN generated:tau-table -->\"",
		"verify calibrate: bad input: /tmp/x/garbage.npy: npy: npy: not a valid NumPy file format",
		"verify: bad --shard: bad shard \"1/0\": want 1 <= i <= n <= 10000 (run 'verify -h' for usage)",
		"verify merge: cannot read /tmp/x/missing.json: open /tmp/x/missing.json: no such file or directory",
		"verify calibrate: bad input: /tmp/x/adir: csv: read /tmp/x/adir: is a directory",
		"verify merge: /tmp/x/bad.json is not a verify JSON report: verify: bad number \"abc\"",
	} {
		if doubled(line, d) == "" {
			t.Errorf("doubled(%q) found nothing", line)
		}
	}
	for _, line := range []string{
		"verify merge: /tmp/x/wrongver.json has version 99, want 1 (run 'verify merge -h' for usage)",
		"verify merge: /tmp/x/empty.json is not a verify JSON report: unexpected end of JSON input",
		"verify report: /tmp/x/findings.md: no line \"<!-- BEGIN generated:tau-table -->\"",
		"verify: write /tmp/x/adir: is a directory",
	} {
		if got := doubled(line, d); got != "" {
			t.Errorf("doubled(%q) = %s", line, got)
		}
	}
}

const (
	usage   = ExitUsage
	failure = ExitFailure
)

// tenMillionEntries returns a probability vector flag of 10^7 entries.
func tenMillionEntries() string { return strings.Repeat("1e-7,", 10000000-1) + "1e-7" }

func TestBadInputSearch(t *testing.T) {
	runMatrix(t, []badCase{
		{[]string{"--gamma", "-1"}, usage, "bad --gamma: -1 must be in [0, 1000]"},
		{[]string{"--gamma", "NaN"}, usage, `bad --gamma: not a finite number: "NaN"`},
		{[]string{"--gamma", "+Inf"}, usage, `bad --gamma: not a finite number: "+Inf"`},
		{[]string{"--gamma", "-Inf"}, usage, `not a finite number: "-Inf"`},
		{[]string{"--gamma", "1e400"}, usage, `not a number: "1e400"`},
		{[]string{"--gamma", "0.5,,1"}, usage, `bad --gamma: not a number: ""`},
		{[]string{"--gamma", "0:1:0"}, usage, "the step must be > 0"},
		{[]string{"--gamma", "0:1e-9:1e-15"}, usage, "more than 10000 values"},
		{[]string{"--gamma", "1:2:3:4"}, usage, "want start:end[:step]"},
		{[]string{"--K", "1"}, usage, "bad --K: 1 must be in [2, "},
		{[]string{"--K", "-3"}, usage, "bad --K: -3 must be in [2, "},
		{[]string{"--K", "10000000"}, usage, "bad --K: 10000000 must be in [2, 100000]"},
		{[]string{"--K", "1000000"}, usage, "bad --K: 1000000 must be in [2, 100000]"},
		{[]string{"--K", "9223372036854775807"}, usage, "bad --K: 9223372036854775807 must be in"},
		{[]string{"--K", "99999999999999999999"}, usage, `not an integer: "99999999999999999999"`},
		{[]string{"--K", "0:9223372036854775807:4611686018427387904"}, usage, "bad --K"},
		{[]string{"--K", "3.5"}, usage, `not an integer: "3.5"`},
		{[]string{"--K", "3:"}, usage, `not an integer: ""`},
		{[]string{"--budget", "0"}, usage, "bad --budget 0"},
		{[]string{"--budget", "x"}, usage, `invalid value "x" for flag -budget`},
		{[]string{"--workers", "-1"}, usage, "bad --workers -1"},
		{[]string{"--time", "-1s"}, usage, "bad --time"},
		{[]string{"--time", "soon"}, usage, `invalid value "soon" for flag -time`},
		{[]string{"--seed", "-1"}, usage, `invalid value "-1" for flag -seed`},
		{[]string{"--shard", "2/1"}, usage, `bad --shard "2/1": want 1 <= i <= n <= 10000`},
		{[]string{"--shard", "1/0"}, usage, `bad --shard "1/0": want 1 <= i <= n`},
		{[]string{"--shard", "1-2"}, usage, `bad --shard "1-2": want i/n, e.g. 1/4`},
		{[]string{"--gamma", "2:1"}, usage, `bad --gamma: malformed range "2:1": the end is below the start`},
		// --loss (issue 11, Bad input): unknown, misspelt or missing
		// parameters, out of domain, expressions that do not parse, a
		// sigmoid loss, and --loss beside an explicit --gamma.
		{[]string{"--loss", "hinge", "--K", "3"}, usage, `bad --loss: loss spec "hinge": unknown loss (at "hinge"); accepted: asl, brier, ce,`},
		{[]string{"--loss", "poly1:epsilon=1", "--K", "3"}, usage, `bad --loss: loss spec "poly1:epsilon=1"`},
		{[]string{"--loss", "poly1", "--K", "3"}, usage, `bad --loss: loss spec "poly1"`},
		{[]string{"--loss", "poly1:eps=-1", "--K", "3"}, usage, "ε ≥ 0"},
		{[]string{"--loss", "gce:q=0", "--K", "3"}, usage, "A > 0"},
		{[]string{"--loss", "focal:gamma=-1", "--K", "3"}, usage, "γ ≥ 0"},
		{[]string{"--loss", `expr:"-log(u"`, "--K", "3"}, usage, `bad --loss: `},
		{[]string{"--loss", `expr:"-log(v)"`, "--K", "3"}, usage, `bad --loss: `},
		{[]string{"--loss", "asl", "--K", "3"}, usage, "bad --loss asl: a per-label sigmoid loss has no minimizer on the simplex"},
		{[]string{"--loss", "ce", "--gamma", "1", "--K", "3"}, usage, "--loss and --gamma are mutually exclusive"},
		{[]string{"--loss", "ce", "--K", "1"}, usage, "bad --K: 1 must be in [2, "},
		{[]string{"--loss", "ce", "--K", "3", "--claims", "thm3-calibration"}, usage, `unknown claim "thm3-calibration" in --claims (known: loss-calibration,`},
		{[]string{"--gamma", "0:1:NaN"}, usage, `bad --gamma: malformed range "0:1:NaN": not a finite number: "NaN"`},
		{[]string{"--gamma", "0:2000:1000"}, usage, "bad --gamma: 2000 must be in [0, 1000]"},
		{[]string{"--K", "3:2"}, usage, `bad --K: malformed range "3:2": the end is below the start`},
		{[]string{"--K", "2:100001:99999"}, usage, "bad --K: 100001 must be in [2, 100000]"},
		{[]string{"--claims", "thm8-order,bogus"}, usage, `unknown claim "bogus"`},
		{[]string{"--format", "yaml"}, usage, `bad --format "yaml"`},
		{[]string{"--gamma"}, usage, "flag needs an argument: -gamma"},
		{[]string{"-gamma=1", "extra"}, usage, `unexpected argument "extra"`},
		{[]string{"--nope"}, usage, "flag provided but not defined: -nope"},
		// Unwritable outputs: a directory, a missing directory, a path
		// below a file.
		{[]string{"--gamma", "1", "--K", "3", "--budget", "5", "--out", "$D/adir"}, failure, "verify: write $D/adir: is a directory"},
		{[]string{"--gamma", "1", "--K", "3", "--budget", "5", "--out", "$D/no/such/r.json"}, failure, "no such file or directory"},
		{[]string{"--gamma", "1", "--K", "3", "--budget", "5", "--out", "$D/good.csv/r.json"}, failure, "not a directory"},
	})
}

func TestBadInputTau(t *testing.T) {
	runMatrix(t, []badCase{
		{[]string{"tau"}, usage, "--gamma is required"},
		{[]string{"tau", "--gamma", "-0.5"}, usage, "bad --gamma -0.5"},
		{[]string{"tau", "--gamma", "NaN"}, usage, "bad --gamma NaN"},
		{[]string{"tau", "--gamma", "Inf"}, usage, "bad --gamma +Inf"},
		{[]string{"tau", "--gamma", "-Inf"}, usage, "bad --gamma -Inf"},
		{[]string{"tau", "--gamma", "1001"}, usage, "want a number in [0, 1000]"},
		{[]string{"tau", "--gamma", "two"}, usage, `bad --gamma "two": not a number`},
		{[]string{"tau", "--gamma", "1,2"}, usage, `bad --gamma "1,2"`},
		{[]string{"tau", "--gamma", "1", "--format", "xml"}, usage, `bad --format "xml"`},
		{[]string{"tau", "--gamma", "1", "x"}, usage, `unexpected argument "x"`},
		{[]string{"tau", "--K", "3"}, usage, "flag provided but not defined: -K"},
	})
}

func TestBadInputMinimize(t *testing.T) {
	runMatrix(t, []badCase{
		{[]string{"minimize", "--loss", "nope", "--eta", "0.5,0.5"}, usage, `bad --loss: loss spec "nope": unknown loss`},
		{[]string{"minimize", "--loss", "ce", "--gamma", "2", "--eta", "0.5,0.5"}, usage, "--loss and --gamma are mutually exclusive"},
		{[]string{"minimize", "--loss", "ce", "--eta", "0.5,0.6"}, usage, "bad --eta"},
		{[]string{"minimize", "--loss", "focal-alpha:gamma=1,alpha=1/2/3", "--eta", "0.5,0.5"}, usage, "3 class weights (alpha) for K = 2"},
		{[]string{"minimize", "--loss", "fl-star", "--eta", "0.5,0.5"}, usage, "per-label sigmoid loss"},
		{[]string{"psi", "--loss", "flsd53", "--q", "0.5,0.5"}, usage, "bad --loss flsd53: it has no recovery"},
		{[]string{"psi", "--loss", "dual-focal:gamma=1", "--q", "0.5,0.5"}, usage, "bad --loss dual-focal:gamma=1: it has no recovery"},
		{[]string{"psi", "--loss", "ce", "--q", "0.5"}, usage, "bad --q"},
		{[]string{"psi", "--loss", "ls:eps=0.5", "--q", "0.99,0.01"}, usage, "is not a probability"},
		{[]string{"minimize", "--eta", "0.5,0.5"}, usage, "--gamma is required"},
		{[]string{"minimize", "--gamma", "1"}, usage, "--eta is required"},
		{[]string{"minimize", "--gamma", "-1", "--eta", "0.5,0.5"}, usage, "bad --gamma -1"},
		{[]string{"minimize", "--gamma", "NaN", "--eta", "0.5,0.5"}, usage, "bad --gamma NaN"},
		{[]string{"minimize", "--gamma", "Inf", "--eta", "0.5,0.5"}, usage, "bad --gamma +Inf"},
		{[]string{"minimize", "--gamma", "1", "--eta", "1"}, usage, "need K >= 2 classes"},
		{[]string{"minimize", "--gamma", "1", "--eta", "0.5,0.6"}, usage, "must sum to 1"},
		{[]string{"minimize", "--gamma", "1", "--eta", "0.5,NaN"}, usage, "entry 2 = NaN"},
		{[]string{"minimize", "--gamma", "1", "--eta", "1,Inf"}, usage, "entry 2 = +Inf: infinite"},
		{[]string{"minimize", "--gamma", "1", "--eta", "1,-Inf"}, usage, "entry 2 = -Inf: infinite"},
		{[]string{"minimize", "--gamma", "1", "--eta", "2,-1"}, usage, "entry 1 = 2: greater than 1"},
		{[]string{"minimize", "--gamma", "1", "--eta", "0.5,-0.5,1"}, usage, "entry 2 = -0.5: negative"},
		{[]string{"minimize", "--gamma", "1", "--eta", "0.5,x"}, usage, `not a number: "x"`},
		{[]string{"minimize", "--gamma", "1", "--eta", ",,"}, usage, `not a number: ""`},
		{[]string{"minimize", "--gamma", "1", "--eta", "0:1"}, usage, `not a number: "0:1"`},
		{[]string{"minimize", "--gamma", "1", "--eta", tenMillionEntries()}, usage, "10000000 entries: at most 100000 classes"},
		{[]string{"minimize", "--gamma", "1", "--eta", "0.5,0.5", "--solver", "newton"}, usage, `bad --solver "newton"`},
		{[]string{"minimize", "--gamma", "1", "--eta", "0.5,0.5", "--format", "csv"}, usage, `bad --format "csv"`},
		{[]string{"minimize", "--gamma", "1", "--eta", "0.5,0.5", "more"}, usage, `unexpected argument "more"`},
	})
}

func TestBadInputPsi(t *testing.T) {
	runMatrix(t, []badCase{
		{[]string{"psi", "--q", "0.5,0.5"}, usage, "--gamma is required"},
		{[]string{"psi", "--gamma", "2"}, usage, "--q is required"},
		{[]string{"psi", "--gamma", "-2", "--q", "0.5,0.5"}, usage, "bad --gamma -2"},
		{[]string{"psi", "--gamma", "NaN", "--q", "0.5,0.5"}, usage, "bad --gamma NaN"},
		{[]string{"psi", "--gamma", "2", "--q", "0.2,0.2"}, usage, "must sum to 1"},
		{[]string{"psi", "--gamma", "2", "--q", "0.5"}, usage, "need K >= 2 classes"},
		{[]string{"psi", "--gamma", "2", "--q", "NaN,1"}, usage, "entry 1 = NaN"},
		{[]string{"psi", "--gamma", "2", "--q", "1.5,-0.5"}, usage, "entry 1 = 1.5: greater than 1"},
		{[]string{"psi", "--gamma", "2", "--q", tenMillionEntries()}, usage, "10000000 entries: at most 100000 classes"},
		{[]string{"psi", "--gamma", "2", "--q", "0.5;0.5"}, usage, `not a number: "0.5;0.5"`},
		{[]string{"psi", "--gamma", "2", "--q"}, usage, "flag needs an argument: -q"},
	})
}

func TestBadInputBoundary(t *testing.T) {
	runMatrix(t, []badCase{
		{[]string{"boundary"}, usage, "give exactly one of --K and --gamma"},
		{[]string{"boundary", "--K", "3", "--gamma", "1"}, usage, "give exactly one of --K and --gamma"},
		{[]string{"boundary", "--K", "1"}, usage, "bad --K: 1 must be in [2, 200]"},
		{[]string{"boundary", "--K", "201"}, usage, "bad --K: 201 must be in [2, 200]"},
		{[]string{"boundary", "--K", "10000000"}, usage, "bad --K: 10000000 must be in [2, 200]"},
		{[]string{"boundary", "--K", "x"}, usage, `bad --K: not an integer: "x"`},
		{[]string{"boundary", "--K", "8:3"}, usage, "the end is below the start"},
		{[]string{"boundary", "--gamma", "-1"}, usage, "bad --gamma: -1 must be in [0, 1000]"},
		{[]string{"boundary", "--gamma", "NaN"}, usage, `not a finite number: "NaN"`},
		{[]string{"boundary", "--gamma", "Inf"}, usage, `not a finite number: "Inf"`},
		{[]string{"boundary", "--gamma", "1e9"}, usage, "must be in [0, 1000]"},
		{[]string{"boundary", "--K", "3", "--format", "pdf"}, usage, `bad --format "pdf"`},
		{[]string{"boundary", "--K", "3", "--seed", "x"}, usage, `invalid value "x" for flag -seed`},
		{[]string{"boundary", "--K", "3", "--out", "$D/adir"}, failure, "verify boundary: write $D/adir: is a directory"},
		{[]string{"boundary", "--gamma", "2:1"}, usage, "the end is below the start"},
		{[]string{"boundary", "--K", "3", "--shard", "1/2"}, usage, "flag provided but not defined: -shard"},
		{[]string{"boundary", "--K", "3", "--out", "$D/no/such/b.json"}, failure, "no such file or directory"},
	})
}

func TestBadInputMerge(t *testing.T) {
	runMatrix(t, []badCase{
		{[]string{"merge"}, usage, "no shard reports given"},
		{[]string{"merge", "$D/missing.json"}, usage, "verify merge: cannot read $D/missing.json: no such file or directory"},
		{[]string{"merge", "$D/empty.json"}, usage, "is not a verify JSON report"},
		{[]string{"merge", "$D/notjson.json"}, usage, "is not a verify JSON report"},
		{[]string{"merge", "$D/good.csv"}, usage, "is not a verify JSON report"},
		// verify.Merge's errors, without its "verify: cannot merge" prefix
		// and with "report i" replaced by the file.
		{[]string{"merge", "$D/wrongver.json"}, usage, "verify merge: $D/wrongver.json has version 99, want 1"},
		// Well-formed JSON that no search writes: fields missing (once
		// merged into an empty report), or a field misspelt.
		{[]string{"merge", "$D/hollow.json"}, usage, "verify merge: $D/hollow.json is malformed: budget 0 (want >= 1)"},
		// encoding/json's type errors in the report's terms, not Go's
		// ("Go struct field Report.budget of type int"; issue 14.12).
		{[]string{"merge", "$D/typed.json"}, usage, `verify merge: $D/typed.json is not a verify JSON report: field "budget": number 1e400 where an integer is wanted`},
		{[]string{"merge", "$D/extra.json"}, usage, `verify merge: $D/extra.json is not a verify JSON report: unknown field "sede"`},
		{[]string{"merge", "$D/report.json"}, usage, "verify merge: shard 2/2 is missing"},
		{[]string{"merge", "$D/report.json", "$D/report.json"}, usage, "verify merge: shard 1/2 given twice: $D/report.json, $D/report.json"},
		{[]string{"merge", "$D/report.json", "$D/other.json"}, usage, "verify merge: $D/other.json comes from a different search"},
		{[]string{"merge", "$D/report.json", "$D/wrongver.json"}, usage, "verify merge: $D/wrongver.json has version 99"},
		{[]string{"merge", "$D/adir"}, usage, "verify merge: cannot read $D/adir: is a directory"},
		{[]string{"merge", "--out", "$D/adir", "$D/report.json"}, usage, "shard 2/2 is missing"},
		// A good merge, an unwritable output.
		{[]string{"merge", "--out", "$D/adir", "$D/report.json", "$D/report2.json"}, failure, "verify merge: write $D/adir: is a directory"},
		{[]string{"merge", "--format", "text", "--out", "$D/no/such/m.txt", "$D/report.json", "$D/report2.json"}, failure,
			"verify merge: write $D/no/such/m.txt: no such file or directory"},
		{[]string{"merge", "--out", "$D/good.csv/m.json", "$D/report2.json", "$D/report.json"}, failure, "verify merge: write $D/good.csv/m.json: not a directory"},
		{[]string{"merge", "--nope", "$D/report.json"}, usage, "flag provided but not defined: -nope"},
		{[]string{"merge", "--format", "xml", "$D/report.json"}, usage, `bad --format "xml"`},
	})
}

func TestBadInputCalibrate(t *testing.T) {
	g := []string{"calibrate", "--gamma", "2"}
	c := func(args ...string) []string { return append(slices.Clone(g), args...) }
	runMatrix(t, []badCase{
		// Flags.
		{[]string{"calibrate", "$D/good.csv"}, usage, "--gamma is required"},
		{[]string{"calibrate", "--gamma", "-1", "$D/good.csv"}, usage, `bad --gamma "-1"`},
		{[]string{"calibrate", "--gamma", "NaN", "$D/good.csv"}, usage, `bad --gamma "NaN"`},
		{[]string{"calibrate", "--gamma", "Inf", "$D/good.csv"}, usage, `bad --gamma "Inf"`},
		{[]string{"calibrate", "--gamma", "-Inf", "$D/good.csv"}, usage, `bad --gamma "-Inf"`},
		{[]string{"calibrate", "--gamma", "1001", "$D/good.csv"}, usage, `bad --gamma "1001": want a number in [0, 1000]`},
		{c(), usage, "want one input FILE, got 0"},
		{c("$D/good.csv", "$D/good.npy"), usage, "want one input FILE, got 2"},
		{c("--alpha", "1,x", "$D/good.csv"), usage, `bad --alpha "1,x": not a number: "x"`},
		{c("--alpha", "1,2", "$D/good.csv"), usage, "--alpha has 2 values for 3 classes"},
		{c("--alpha", "1,0,1", "$D/good.csv"), usage, "must be > 0"},
		{c("--alpha", "1,NaN,1", "$D/good.csv"), usage, "must be finite"},
		{c("--loss", "hinge", "$D/good.csv"), usage, "--loss must be softmax or sigmoid"},
		{c("--input", "scores", "$D/good.csv"), usage, "--input must be probs or logits"},
		{c("--format", "xml", "$D/good.csv"), usage, `bad --format "xml"`},
		{c("--bins", "-1", "$D/good.csv"), usage, "bad --bins -1: want a value in [0, 10000]"},
		{c("--bootstrap", "-1", "$D/good.csv"), usage, "bad --bootstrap -1: want a value in [0, 100000]"},
		{c("--bin-edges", "middle", "$D/good.csv"), usage, `bad --bin-edges "middle"`},
		{c("--val", "0.2", "$D/good.csv"), usage, "need --labels"},
		{c("--labels", "$D/y.csv", "--val", "1.5", "$D/good.csv"), usage, "--val fraction must be in (0, 1)"},
		{c("--labels", "$D/y.csv", "--val", "$D/idx.txt", "$D/good.csv"), usage, "row index 5 out of range"},
		{c("--labels", "$D/y.csv", "--plot", "$D/p.jpg", "$D/good.csv"), usage, "--plot must name a .png or .svg file"},
		{c("--renormalize", "--loss", "sigmoid", "$D/good.csv"), usage, "--renormalize applies to softmax probabilities only"},
		{c("--workers", "x", "$D/good.csv"), usage, `invalid value "x" for flag -workers`},
		{c("--workers", "-1", "$D/good.csv"), usage, "bad --workers -1: want a value in [0, 64]"},
		// Input files.
		{c("$D/missing.csv"), usage, "missing.csv: no such file or directory"},
		{c("$D/adir"), usage, "cannot read $D/adir: is a directory"},
		{c("$D/empty.csv"), usage, "empty.csv: csv: empty input"},
		{c("$D/header.csv"), usage, "header.csv: no rows"},
		{c("$D/ragged.csv"), usage, "ragged.csv: row 1: has 2 columns, want 3"},
		{c("$D/quote.csv"), usage, "quote.csv: row 1"},
		{c("$D/text.csv"), usage, `row 1, column 1: "abc" is not a number (line 2)`},
		{c("$D/nan.csv"), usage, "row 1, column 0: NaN, not a finite number"},
		{c("$D/sum.csv"), usage, "row 1: probabilities sum to 0.8999"},
		// calibrate's UsageErrors and hints name Options fields; the
		// messages name the flags (issue 15.4).
		{c("$D/sum.csv"), usage, "(--renormalize divides each row by its sum) (run 'verify calibrate -h' for usage)"},
		{c("--loss", "sigmoid", "$D/good.csv"), usage, "verify calibrate: --loss sigmoid needs --alpha, the weight of positives"},
		{c("--bootstrap", "10", "$D/good.csv"), usage, "verify calibrate: --val, --bootstrap and --plot need --labels (run 'verify calibrate -h' for usage)"},
		{c("$D/neg.csv"), usage, "row 1, column 0: -0.2: negative probability"},
		{c("$D/onecol.csv"), usage, "softmax loss needs K >= 2 classes"},
		{c("$D/empty.npy"), usage, "empty.npy: npy"},
		{c("$D/trunc.npy"), usage, "trunc.npy: row 2: file ends early (header declares 3 rows)"},
		{c("$D/trunchdr.npy"), usage, "trunchdr.npy: npy"},
		{c("$D/magic.npy"), usage, "magic.npy: npy"},
		{c("$D/baddict.npy"), usage, "baddict.npy: npy"},
		{c("$D/v2huge.npy"), usage, "header of 2147483647 bytes"},
		{c("$D/garbage.npy"), usage, "garbage.npy: npy: not a valid NumPy file format"},
		{c("$D/complex.npy"), usage, `unsupported element type "<c16"`},
		{c("$D/ints.npy"), usage, "element type int64: need float16, bfloat16, float32 or float64"},
		{c("$D/fortran.npy"), usage, "Fortran order"},
		{c("$D/threed.npy"), usage, "threed.npy: row 0: probabilities sum to"}, // dense: classes on axis 1 (K = 2)
		{c("$D/zero.npy"), usage, "zero.npy: no rows"},
		{c("$D/wide.npy"), usage, "10000000 columns: at most 1000000 classes"},
		// Label and index files.
		{c("--labels", "$D/missing.csv", "$D/good.csv"), usage, "missing.csv: no such file or directory"},
		{c("--labels", "$D/y3.csv", "$D/good.csv"), usage, "more labels than the 2 input rows"},
		{c("--labels", "$D/ybad.csv", "$D/good.csv"), usage, "row 1: label 7 out of range [0, 3)"},
		{c("--labels", "$D/yfloat.csv", "$D/good.csv"), usage, `"1.5" is not an integer`},
		{c("--labels", "$D/yf.npy", "$D/good.csv"), usage, "row 1, column 0: 2.5: not an integer"},
		{c("--labels", "$D/ytwo.csv", "$D/good.csv"), usage, "name the label column (--label-col)"},
		{c("--labels", "$D/ytwo.csv", "--label-col", "w", "$D/good.csv"), usage, `has no column "w"`},
		{c("--labels", "$D/good.npy", "$D/good.csv"), usage, "need a 1-D array of integer labels, got shape [2 3]"},
		{c("--labels", "$D/empty.csv", "$D/good.csv"), usage, "empty.csv: csv: empty input"},
		{c("--labels", "$D/y.csv", "--val", "$D/missing.txt", "$D/good.csv"), usage, "missing.txt: no such file or directory"},
		// Every input path gets the same checks (issue 14.11): a
		// directory as --val like a directory as FILE; a FIFO read twice
		// is refused instead of hanging.
		{c("--labels", "$D/y.csv", "--val", "$D/adir", "$D/good.csv"), usage, "cannot read --val $D/adir: is a directory"},
		{c("--labels", "$D/adir", "$D/good.csv"), usage, "cannot read --labels $D/adir: is a directory"},
		{c("$D/fifo.csv"), usage, "cannot read $D/fifo.csv: not a regular file"},
		{c("--labels", "$D/fifo.csv", "$D/good.csv"), usage, "cannot read --labels $D/fifo.csv: not a regular file"},
		// Messages (issue 14.12): a long line names the file and the line
		// (not "bufio.Scanner: token too long"); indices out of range name
		// the smallest, the same on every run (not the map's order).
		{c("--labels", "$D/y.csv", "--val", "$D/idxlong.txt", "$D/good.csv"), usage, "idxlong.txt: line 1 is longer than 4096 bytes: not a file of row indices"},
		{c("--labels", "$D/y.csv", "--val", "$D/idxbad.txt", "$D/good.csv"), usage, "idxbad.txt: row index -3 out of range [0, 2) (and 4 more)"},
		// Unwritable outputs: nothing is left, not even a temporary.
		{c("--out", "$D/adir", "$D/good.csv"), failure, "verify calibrate: write $D/adir: is a directory"},
		{c("--out", "$D/no/such/o.npy", "$D/good.npy"), failure, "verify calibrate: write $D/no/such/o.npy: no such file or directory"},
		{c("--out", "$D/good.csv/o.csv", "$D/good.csv"), failure, "verify calibrate: write $D/good.csv/o.csv: not a directory"},
		{c("--labels", "$D/y.csv", "--out", "$D/o.csv", "--plot", "$D/no/such/p.png", "$D/good.csv"), failure, "verify calibrate: write $D/no/such/p.png: no such file or directory"},
	})
}

// TestBadInputReport: verify report never writes into the repository's
// docs/ here: every case names an --out-dir under the case's directory.
func TestBadInputReport(t *testing.T) {
	runMatrix(t, []badCase{
		// Flags.
		{[]string{"report", "--out-dir"}, usage, "flag needs an argument: -out-dir"},
		{[]string{"report", "--out-dir", "$D", "--nope"}, usage, "flag provided but not defined: -nope"},
		{[]string{"report", "--out-dir", "$D", "extra"}, usage, `unexpected argument "extra"`},
		{[]string{"report", "--out-dir", "$D", "--seed", "x"}, usage, `invalid value "x" for flag -seed`},
		{[]string{"report", "--out-dir", "$D", "--seed", "-1"}, usage, `invalid value "-1" for flag -seed`},
		{[]string{"report", "--out-dir", "$D", "--no-figures=maybe"}, usage, `invalid boolean value "maybe" for -no-figures`},
		{[]string{"report", "--out-dir", "$D", "--format", "json"}, usage, "flag provided but not defined: -format"},
		// Out-of-domain values, refused before anything runs.
		{[]string{"report", "--out-dir", "$D", "--only", "bogus"}, usage, `verify report: bad --only: no block or figure "bogus" (known: tau-table,`},
		{[]string{"report", "--out-dir", "$D", "--only", "tau-table,"}, usage, `bad --only: no block or figure ""`},
		{[]string{"report", "--out-dir", "$D", "--only", "phi"}, usage, `bad --only: no block or figure "phi"`},
		{[]string{"report", "--out-dir", "$D", "--only", "phi.png", "--no-figures"}, usage, `bad --only "phi.png": only figures, and --no-figures skips them: nothing to do`},
		{[]string{"report", "--out-dir", "$D", "--only", "phi.png,realdata.png", "--check"}, usage, `--check (which compares blocks only) skips them: nothing to do`},
		{[]string{"report", "--out-dir", "$D/missing"}, usage, `bad --out-dir "$D/missing": not a directory`},
		{[]string{"report", "--out-dir", "$D/good.csv", "--only", "tau-table"}, usage, `bad --out-dir "$D/good.csv": not a directory`},
		{[]string{"report", "--out-dir", "$D", "--only", "realdata", "--data-dir", "$D/missing"}, usage, `bad --data-dir "$D/missing": not a directory`},
		{[]string{"report", "--out-dir", "$D", "--only", "realdata.png", "--data-dir", "$D/good.csv"}, usage, `bad --data-dir "$D/good.csv": not a directory`},
		{[]string{"report", "--out-dir", "$D", "--data-dir", "$D/missing"}, usage, `bad --data-dir "$D/missing"`},
		// Broken or unwritable outputs: exit 1, the file named once,
		// nothing written.
		{[]string{"report", "--out-dir", "$D/rep-nomark", "--only", "tau-table"}, failure,
			`verify report: $D/rep-nomark/findings.md: no line "<!-- BEGIN generated:tau-table -->"`},
		{[]string{"report", "--out-dir", "$D/rep-nomark", "--only", "tau-table", "--check"}, failure,
			`verify report: $D/rep-nomark/findings.md: no line "<!-- BEGIN generated:tau-table -->"`},
		{[]string{"report", "--out-dir", "$D/rep-dupmark", "--only", "tau-table"}, failure, "appears more than once"},
		{[]string{"report", "--out-dir", "$D/rep-dirfile", "--only", "tau-table"}, failure, "verify report: read $D/rep-dirfile/findings.md: is a directory"},
		{[]string{"report", "--out-dir", "$D/adir", "--only", "tau-table", "--check"}, failure, "verify report: open $D/adir/findings.md: no such file or directory"},
		{[]string{"report", "--out-dir", "$D/rep-figfile", "--only", "phi.png"}, failure, "verify report: mkdir $D/rep-figfile/figures: not a directory"},
	})
}

// TestBadInputReportFigureTarget: a figure whose path is a directory is
// refused with a message naming it, and no temporary file is left behind
// (report.drawAtomic once drew into a fixed temporary name and left it when
// the rename failed).
func TestBadInputReportFigureTarget(t *testing.T) {
	runMatrix(t, []badCase{
		{[]string{"report", "--out-dir", "$D/rep-figdir", "--only", "phi.png"}, failure, "$D/rep-figdir/figures/phi.png"},
	})
}

// TestSoftmaxRowMessage: a softmax row whose probabilities are not finite
// once renormalized (1e308 entries overflow their sum) gave a message
// about sigmoid outputs (issue 14.12). The run may succeed (the right
// answer is (1/2, 1/2)); if it fails, its message must not speak of
// sigmoid outputs.
func TestSoftmaxRowMessage(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "big.csv")
	y := filepath.Join(dir, "y.csv")
	must(t, os.WriteFile(in, []byte("0.5,0.5\n1e308,1e308\n"), 0o644))
	must(t, os.WriteFile(y, []byte("0\n1\n"), 0o644))
	code, _, errs := run(t, nil, "calibrate", "--gamma", "2", "--renormalize", "--labels", y, "--out", filepath.Join(dir, "o.csv"), in)
	if code != ExitOK && strings.Contains(errs, "sigmoid") {
		t.Errorf("softmax run: exit %d, stderr %q speaks of sigmoid outputs", code, errs)
	}
}
