package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/focaltk/focal/verify"
)

// run runs the command and returns its exit code, stdout and stderr.
func run(t *testing.T, c *CLI, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if c == nil {
		c = &CLI{}
	}
	c.Stdout, c.Stderr = &out, &errb
	code := c.Main(args)
	return code, out.String(), errb.String()
}

// stripTiming removes the top-level "timing" object from a JSON report.
func stripTiming(t *testing.T, s string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	delete(m, "timing")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The JSON schema of the search report, written out independently of the
// verify package's types: decoding with DisallowUnknownFields fails on any
// field this test does not know, and the checks below on missing ones.
type searchJSON struct {
	Version  *int                        `json:"version"`
	Seed     *uint64                     `json:"seed"`
	Budget   int                         `json:"budget"`
	Gammas   []any                       `json:"gammas"`
	Ks       []int                       `json:"Ks"`
	Claims   []string                    `json:"claims"`
	Shard    *struct{ Index, Count int } `json:"shard"`
	Units    int                         `json:"units"`
	UnitsRun int                         `json:"units_run"`
	Complete *bool                       `json:"complete"`
	Checks   int64                       `json:"checks"`
	Results  []struct {
		Gamma       *json.Number `json:"gamma"`
		K           *int         `json:"K"`
		ID          *string      `json:"id"`
		Kind        *string      `json:"kind"`
		Status      *string      `json:"status"`
		Cases       *int         `json:"cases"`
		Errors      *int         `json:"errors"`
		WorstMargin any          `json:"worst_margin"`
		WorstEta    []any        `json:"worst_eta"`
		// worst_margin_hiprec: added with issue 16.8 (verify.Result).
		WorstMarginHiprec any `json:"worst_margin_hiprec"`
		WorstAt           *struct {
			Strategy string `json:"strategy"`
			Unit     int    `json:"unit"`
			Case     int    `json:"case"`
			Seed     uint64 `json:"seed"`
			Label    string `json:"label"`
		} `json:"worst_at"`
		Counterexample *struct {
			Gamma        *json.Number `json:"gamma"`
			Eta          []any        `json:"eta"`
			Q            []any        `json:"q"`
			Psi          []any        `json:"psi"`
			Margin       any          `json:"margin"`
			MarginHiprec any          `json:"margin_hiprec"`
			Seed         *uint64      `json:"seed"`
			Strategy     *string      `json:"strategy"`
			Unit         int          `json:"unit"`
			Case         int          `json:"case"`
			Label        string       `json:"label"`
			Shrunk       bool         `json:"shrunk"`
			Spec         string       `json:"spec"`
		} `json:"counterexample"`
	} `json:"results"`
	Timing *struct {
		WallSeconds     any `json:"wall_seconds"`
		ChecksPerSecond any `json:"checks_per_second"`
	} `json:"timing"`
}

func decodeStrict(t *testing.T, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("schema: %v\n%s", err, s)
	}
}

func TestSearchJSONSchemaAndExit0(t *testing.T) {
	code, out, errs := run(t, nil, "--gamma", "0.5", "--K", "10", "--budget", "60", "--format", "json", "--workers", "2")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	var r searchJSON
	decodeStrict(t, out, &r)
	if r.Version == nil || *r.Version != 1 || r.Seed == nil || r.Complete == nil || !*r.Complete || r.Timing == nil || len(r.Results) == 0 {
		t.Fatalf("missing top-level fields: %+v", r)
	}
	sawCex := false
	for _, x := range r.Results {
		if x.Gamma == nil || x.K == nil || x.ID == nil || x.Kind == nil || x.Status == nil || x.Cases == nil || x.Errors == nil {
			t.Errorf("result missing required fields: %+v", x)
		}
		switch *x.Status {
		case "holds", "supported", "refuted", "noise", "vacuous":
		default:
			t.Errorf("bad status %q", *x.Status)
		}
		if c := x.Counterexample; c != nil {
			sawCex = true
			if c.Gamma == nil || len(c.Eta) != 10 || len(c.Q) != 10 || len(c.Psi) != 10 || c.Margin == nil || c.MarginHiprec == nil || c.Seed == nil || c.Strategy == nil {
				t.Errorf("counterexample missing fields: %+v", c)
			}
		}
	}
	if !sawCex {
		t.Error("no counterexample at K = 10, γ = 0.5 (always-underconfident is false there)")
	}
}

func TestExit3OnRefutedTheorem(t *testing.T) {
	falseThm := verify.Claim{
		ID: "test-false", Kind: verify.Theorem, Statement: "max q* ≥ max η (false for K = 2)",
		Applies: func(float64, int) bool { return true },
		Check: func(ev *verify.Eval, c verify.Case) (float64, bool, error) {
			q, err := ev.Minimize(c.Eta, c.Gamma)
			if err != nil {
				return 0, false, err
			}
			return max(q[0], q[1]) - max(c.Eta[0], c.Eta[1]), true, nil
		},
	}
	c := &CLI{Claims: func() []verify.Claim { return append(verify.Claims(), falseThm) }}
	code, out, errs := run(t, c, "--gamma", "2", "--K", "2", "--budget", "40", "--claims", "test-false")
	if code != ExitRefuted {
		t.Fatalf("exit %d, want 3; stderr %q\n%s", code, errs, out)
	}
	if !strings.Contains(out, "refuted") || !strings.Contains(out, "reproduce: verify --seed") {
		t.Errorf("text report lacks the counterexample:\n%s", out)
	}
	// A refuted conjecture is not a failure.
	code, _, _ = run(t, nil, "--gamma", "0.5", "--K", "10", "--budget", "40", "--claims", "always-underconfident")
	if code != ExitOK {
		t.Errorf("refuted conjecture: exit %d, want 0", code)
	}
}

func TestBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"--gamma", "-1"},
		{"--gamma", "NaN"},
		{"--gamma", "1e9"},
		{"--gamma", "abc"},
		{"--gamma", "0:1:0"},
		{"--gamma", "1:0:0.1"},
		{"--gamma", "0:1:2:3"},
		{"--gamma", ""},
		{"--K", "1"},
		{"--K", "2.5"},
		{"--K", "3:2"},
		{"--claims", "no-such-claim"},
		{"--shard", "0/2"},
		{"--shard", "3/2"},
		{"--shard", "x"},
		{"--budget", "0"},
		{"--workers", "0"},
		{"--format", "xml"},
		{"--no-such-flag"},
		{"extra-arg"},
		{"tau"},
		{"tau", "--gamma", "-0.5"},
		{"minimize", "--gamma", "1", "--eta", "0.5,0.6"},
		{"minimize", "--gamma", "1", "--eta", "0.5,-0.5,1"},
		{"minimize", "--gamma", "1", "--eta", "1"},
		{"minimize", "--gamma", "1", "--eta", "0.5,x"},
		{"minimize", "--gamma", "1", "--eta", "0.5,0.5", "--solver", "newton"},
		{"psi", "--gamma", "2", "--q", "0.2,0.2"},
		{"psi", "--gamma", "NaN", "--q", "0.5,0.5"},
		{"boundary"},
		{"boundary", "--K", "1"},
		{"boundary", "--K", "3", "--gamma", "1"},
		{"merge"},
		{"merge", "/no/such/file.json"},
	} {
		code, out, errs := run(t, nil, args...)
		if code != ExitUsage {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, errs)
			continue
		}
		if out != "" {
			t.Errorf("%q: wrote to stdout: %q", args, out)
		}
		if strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "verify") {
			t.Errorf("%q: want one line on stderr, got %q", args, errs)
		}
	}
}

func TestMessages(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--gamma", "-1"}, "bad --gamma: -1 must be in [0, 1000]"},
		{[]string{"--K", "1"}, "bad --K: 1 must be in [2, 100000]"},
		{[]string{"--claims", "nope"}, `unknown claim "nope"`},
		{[]string{"--gamma", "0:1:0"}, "the step must be > 0"},
		{[]string{"--shard", "3/2"}, "want 1 <= i <= n"},
		{[]string{"minimize", "--gamma", "1", "--eta", "0.5,0.6"}, "must sum to 1"},
		{[]string{"minimize", "--gamma", "1", "--eta", "0.5,-0.5,1"}, "entry 2 = -0.5: negative"},
	} {
		_, _, errs := run(t, nil, c.args...)
		if !strings.Contains(errs, c.want) {
			t.Errorf("%q: stderr %q lacks %q", c.args, errs, c.want)
		}
	}
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	args := []string{"--gamma", "0.5,2", "--K", "3,10", "--budget", "100", "--format", "json", "--seed", "7"}
	_, a, _ := run(t, nil, append(args, "--workers", "1")...)
	_, b, _ := run(t, nil, append(args, "--workers", "2")...)
	if stripTiming(t, a) != stripTiming(t, b) {
		t.Fatal("JSON differs between --workers 1 and 2")
	}
}

func TestShardMerge(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--gamma", "0.5,1", "--K", "4,10", "--budget", "100", "--format", "json", "--seed", "3"}
	_, whole, _ := run(t, nil, args...)
	var files []string
	for _, sh := range []string{"1/2", "2/2"} {
		f := filepath.Join(dir, "shard"+sh[:1]+".json")
		if code, _, errs := run(t, nil, append(args, "--shard", sh, "--out", f)...); code != ExitOK {
			t.Fatalf("shard %s: exit %d: %s", sh, code, errs)
		}
		files = append(files, f)
	}
	code, merged, errs := run(t, nil, append([]string{"merge", "--format", "json"}, files...)...)
	if code != ExitOK {
		t.Fatalf("merge: exit %d: %s", code, errs)
	}
	if stripTiming(t, merged) != stripTiming(t, whole) {
		t.Fatalf("merged report differs from the whole run:\n%s\n%s", merged, whole)
	}
	// Only one shard: a usage error naming the missing one.
	code, _, errs = run(t, nil, "merge", files[0])
	if code != ExitUsage || !strings.Contains(errs, "shard 2/2 is missing") {
		t.Errorf("merge of one shard: exit %d, %q", code, errs)
	}
}

func TestAtomicOut(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	// Bad input: nothing is written.
	if code, _, _ := run(t, nil, "--gamma", "-1", "--out", out); code != ExitUsage {
		t.Fatalf("exit %d", code)
	}
	// A target that cannot be replaced (a directory): exit 1, no file and
	// no temporary left behind.
	target := filepath.Join(dir, "adir")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := run(t, nil, "--gamma", "1", "--K", "3", "--budget", "10", "--out", target)
	if code != ExitFailure || strings.Count(errs, "\n") != 1 {
		t.Errorf("unwritable --out: exit %d, stderr %q", code, errs)
	}
	// A directory that does not exist.
	code, _, _ = run(t, nil, "--gamma", "1", "--K", "3", "--budget", "10", "--out", filepath.Join(dir, "no", "such", "r.json"))
	if code != ExitFailure {
		t.Errorf("missing directory: exit %d", code)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "adir" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files left after failures: %v", names)
	}
	// Success: the file is complete JSON, stdout is empty.
	code, stdout, _ := run(t, nil, "--gamma", "1", "--K", "3", "--budget", "10", "--format", "json", "--out", out)
	if code != ExitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil || !json.Valid(b) {
		t.Fatalf("report file: %v", err)
	}
}

func TestHelpers(t *testing.T) {
	code, out, _ := run(t, nil, "tau", "--gamma", "1", "--format", "json")
	var tau struct {
		Version int     `json:"version"`
		Gamma   float64 `json:"gamma"`
		TauOC   float64 `json:"tau_oc"`
		TauUC   float64 `json:"tau_uc"`
	}
	decodeStrict(t, out, &tau)
	// Closed forms at γ = 1: τ_oc = e^−2, τ_uc = e^−1 (design.md).
	if code != 0 || tau.Version != 1 || tau.Gamma != 1 || !near(tau.TauOC, 0.1353352832366127) || !near(tau.TauUC, 0.36787944117144233) {
		t.Errorf("tau: exit %d, %+v", code, tau)
	}
	for _, solver := range []string{"exact", "direct"} {
		code, out, errs := run(t, nil, "minimize", "--gamma", "2", "--eta", "0.7,0.2,0.1", "--solver", solver, "--format", "json")
		var m struct {
			Version    int       `json:"version"`
			Gamma      float64   `json:"gamma"`
			Eta        []float64 `json:"eta"`
			Q          []float64 `json:"q"`
			Risk       float64   `json:"risk"`
			Residual   float64   `json:"residual"`
			Solver     string    `json:"solver"`
			Status     string    `json:"status"`
			Iterations int       `json:"iterations"`
		}
		decodeStrict(t, out, &m)
		if code != 0 || m.Version != 1 || len(m.Q) != 3 || m.Solver != solver || m.Status != "converged" || !(m.Q[0] < 0.7) {
			t.Errorf("minimize %s: exit %d %s, %+v", solver, code, errs, m)
		}
		// Thm 11 through the psi helper: Ψ(q*) = η.
		q := make([]string, len(m.Q))
		for i, x := range m.Q {
			q[i] = strconvG(x)
		}
		code, out, _ = run(t, nil, "psi", "--gamma", "2", "--q", strings.Join(q, ","), "--format", "json")
		var p struct {
			Version int       `json:"version"`
			Gamma   float64   `json:"gamma"`
			Q       []float64 `json:"q"`
			Eta     []float64 `json:"eta"`
		}
		decodeStrict(t, out, &p)
		for i, want := range []float64{0.7, 0.2, 0.1} {
			if code != 0 || !nearTol(p.Eta[i], want, psiRoundTripTol) {
				t.Errorf("psi(minimize %s) = %v, want (0.7, 0.2, 0.1)", solver, p.Eta)
				break
			}
		}
	}
	if code, out, _ := run(t, nil, "tau", "--gamma", "1"); code != 0 || !strings.Contains(out, "tau_oc = 0.1353352832366127") {
		t.Errorf("tau text: %d %q", code, out)
	}
	if code, out, _ := run(t, nil, "-h"); code != 0 || !strings.Contains(out, "Exit codes") {
		t.Errorf("-h: %d %q", code, out)
	}
}

func TestBoundaryCommand(t *testing.T) {
	code, out, errs := run(t, nil, "boundary", "--gamma", "2", "--format", "json")
	var b struct {
		Version int             `json:"version"`
		Gamma   float64         `json:"gamma"`
		Status  string          `json:"status"`
		KMin    *int            `json:"k_min"`
		Witness json.RawMessage `json:"witness"`
		Method  string          `json:"method"`
	}
	decodeStrict(t, out, &b)
	if code != 0 || b.Status != "found" || b.KMin == nil || *b.KMin != 5 || b.Method == "" || len(b.Witness) < 10 {
		t.Errorf("boundary --gamma 2: exit %d %s, %+v", code, errs, b)
	}
}

func TestTimeCap(t *testing.T) {
	code, out, errs := run(t, nil, "--gamma", "1", "--K", "3", "--time", "1ns", "--format", "json")
	if code != ExitOK || !strings.Contains(errs, "not reproducible") || !strings.Contains(out, `"complete": false`) {
		t.Errorf("time cap: exit %d, stderr %q", code, errs)
	}
}

// Tolerances of TestHelpers.
const (
	// tauTol: τ_oc, τ_uc at γ = 1 against the closed forms e^−2, e^−1
	// rounded to float64: root solves to a few ulps (≤ 5 ulps at 0.37).
	tauTol = 1e-15
	// psiRoundTripTol: Ψ(q*) against η, with q* from minimize (printed in
	// shortest round-trip form, so exactly): the direct solver's q* is
	// within numeric.DirectTol = 1e-9 relative of the exact one, and Ψ
	// moves η by about as much; a factor 10 of slack.
	psiRoundTripTol = 1e-8
)

func near(a, b float64) bool { return nearTol(a, b, tauTol) }

func nearTol(a, b, tol float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= tol*max(1, b)
}

func strconvG(x float64) string { return ff(x) }

func TestParseLists(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []float64
	}{
		{"0.5", []float64{0.5}},
		{"0:1:0.3", []float64{0, 0.3, 0.6, 0.9}},
		{"0:1:0.25", []float64{0, 0.25, 0.5, 0.75, 1}},
		{"0.5,1:2:0.5,1", []float64{0.5, 1, 1.5, 2}},
		{"1:3", []float64{1, 2, 3}},
	} {
		got, err := parseFloatList(c.in)
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%q: %v, %v; want %v", c.in, got, err, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: %v, want %v", c.in, got, c.want)
				break
			}
		}
	}
	g, err := parseFloatList("0:0.03:0.001")
	if err != nil || len(g) != 31 || g[30] != 0.03 {
		t.Errorf("0:0.03:0.001: %d values, last %v, %v", len(g), g[len(g)-1], err)
	}
	k, err := parseIntList("3:10:3,4,3")
	if err != nil || len(k) != 4 || k[0] != 3 || k[1] != 6 || k[2] != 9 || k[3] != 4 {
		t.Errorf("3:10:3,4,3: %v %v", k, err)
	}
	if _, err := parseIntList("1:100000"); err == nil {
		t.Error("huge range accepted")
	}
}
