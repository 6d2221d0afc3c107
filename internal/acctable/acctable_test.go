package acctable

import (
	"strings"
	"testing"
)

// TestMergeKeepsOtherFunctions checks that Merge replaces the rows of the
// table's own functions and keeps the others', as the two sweeps rely on.
func TestMergeKeepsOtherFunctions(t *testing.T) {
	var a Table
	a.Add("Psi", "moderate", 3, 1e-16, "v=0.5")
	a.Add("Psi", "moderate", 5, 2e-16, "v=0.25")
	old := "| function | regime | cases | worst error (ulps) | worst relative error | at |\n|---|---|---|---|---|---|\n" +
		"| Exact q* | moderate | 7 | 2 | 1e-16 | η=x |\n| Psi | moderate | 1 | 99 | 1e-14 | old |\n"
	got := a.Merge(old)
	if !strings.Contains(got, "| Exact q* | moderate | 7 |") {
		t.Errorf("the other function's row is lost:\n%s", got)
	}
	if strings.Contains(got, "| old |") || !strings.Contains(got, "| Psi | moderate | 2 | 5 | 2e-16 | v=0.25 |") {
		t.Errorf("Psi's row is not replaced by the new worst case:\n%s", got)
	}
	if strings.Index(got, "Exact q*") > strings.Index(got, "| Psi |") {
		t.Errorf("rows not sorted:\n%s", got)
	}
}
