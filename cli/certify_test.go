package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCertifyAndCheck: a produced certificate checks (exit 0); with a box
// removed or an enclosure altered the checker exits 1 with one line naming
// the problem; a file of another format is a usage error (exit 2).
func TestCertifyAndCheck(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "tau.json")
	code, out, errs := run(t, nil, "certify", "tau", "--gamma", "1,2", "--out", cert)
	if code != ExitOK || out != "" || !strings.Contains(errs, "boxes") {
		t.Fatalf("certify: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = run(t, nil, "check-certificate", cert)
	if code != ExitOK || !strings.Contains(out, "proved (tau)") || errs != "" {
		t.Fatalf("check: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	b, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var boxLines []int
	for i, l := range lines {
		if strings.HasPrefix(l, `    {"check":`) {
			boxLines = append(boxLines, i)
		}
	}
	if len(boxLines) < 10 {
		t.Fatalf("only %d box lines in the certificate", len(boxLines))
	}
	write := func(name string, ls []string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(ls, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A middle box removed (its line and the comma stay valid JSON).
	i := boxLines[len(boxLines)/2]
	removed := write("removed.json", append(append([]string{}, lines[:i]...), lines[i+1:]...))
	code, out, errs = run(t, nil, "check-certificate", removed)
	if code != ExitFailure || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "NOT PROVED") || !strings.Contains(errs, "no box") {
		t.Errorf("box removed: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// An enclosure altered: the first box's recorded lower end raised.
	j := boxLines[0]
	altered := append([]string{}, lines...)
	k := strings.Index(altered[j], `"enclosure":[`) + len(`"enclosure":[`)
	altered[j] = altered[j][:k] + "1e300," + altered[j][strings.Index(altered[j][k:], ",")+k+1:]
	bad := write("altered.json", altered)
	code, _, errs = run(t, nil, "check-certificate", bad)
	if code != ExitFailure || !strings.Contains(errs, "box 0 is not settled") {
		t.Errorf("enclosure altered: exit %d, stderr %q", code, errs)
	}
	// Not a certificate.
	junk := write("junk.json", []string{`{"format": "something else", "version": 1}`})
	if code, _, errs = run(t, nil, "check-certificate", junk); code != ExitUsage || !strings.Contains(errs, "not a certificate") {
		t.Errorf("junk: exit %d, stderr %q", code, errs)
	}
	// Bad usage.
	for _, args := range [][]string{{"certify"}, {"certify", "nonsense"}, {"certify", "tau", "--gamma", "0"}, {"certify", "tau", "--K", "5"}, {"check-certificate"}} {
		if code, _, errs := run(t, nil, args...); code != ExitUsage || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, errs)
		}
	}
}

// TestCommittedCertificatesViaCLI runs the checker on the committed
// certificates, as a user would (all but k3.json, whose minute of checking
// certify's TestCommittedCertificates already spends).
func TestCommittedCertificatesViaCLI(t *testing.T) {
	all, err := filepath.Glob("../docs/certificates/*.json")
	if err != nil || len(all) == 0 {
		t.Fatalf("no committed certificates: %v", err)
	}
	var files []string
	for _, f := range all {
		if filepath.Base(f) != "k3.json" {
			files = append(files, f)
		}
	}
	code, out, errs := run(t, nil, append([]string{"check-certificate"}, files...)...)
	if code != ExitOK || strings.Count(out, "proved") != len(files) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
