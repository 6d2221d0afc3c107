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
	for _, args := range [][]string{{"certify"}, {"certify", "nonsense"}, {"certify", "tau", "--gamma", "0"}, {"certify", "tau", "--K", "5"}, {"certify", "no-oc", "--K", "2"}, {"certify", "no-oc", "--gamma", "1"}, {"check-certificate"}} {
		if code, _, errs := run(t, nil, args...); code != ExitUsage || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, errs)
		}
	}
}

// TestCertifyNoOC: verify certify no-oc produces a certificate that
// checks; with its corner lemma dropped from a box the checker refuses it.
func TestCertifyNoOC(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "no-oc.json")
	code, out, errs := run(t, nil, "certify", "no-oc", "--K", "3,5", "--out", cert)
	if code != ExitOK || out != "" || !strings.Contains(errs, "no-oc: 2 claims") {
		t.Fatalf("certify: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = run(t, nil, "check-certificate", cert)
	if code != ExitOK || !strings.Contains(out, "proved (no-oc)") || errs != "" {
		t.Fatalf("check: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	b, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.Contains(s, `"lemma":"corner"`) {
		t.Fatalf("no corner box in\n%s", s)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(strings.Replace(s, `,"lemma":"corner"`, "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = run(t, nil, "check-certificate", bad)
	if code != ExitFailure || !strings.Contains(errs, "is not settled") {
		t.Errorf("lemma dropped: exit %d, stderr %q", code, errs)
	}
}

// TestCommittedCertificatesViaCLI runs the checker on every committed
// certificate, as a user would.
func TestCommittedCertificatesViaCLI(t *testing.T) {
	files, err := filepath.Glob("../docs/certificates/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no committed certificates: %v", err)
	}
	code, out, errs := run(t, nil, append([]string{"check-certificate"}, files...)...)
	if code != ExitOK || strings.Count(out, "proved") != len(files) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
