package verify

import (
	"errors"
	"fmt"
	"slices"
)

// ErrMerge is wrapped by the errors Merge returns.
var ErrMerge = errors.New("verify: cannot merge")

// Merge combines the reports of the shards of one search (Options with the
// same seed, budget, grid and claims, and ShardIndex 1..n of one
// ShardCount n, each exactly once) into the report the unsharded search
// gives: the same JSON apart from Timing, which Merge leaves out.
func Merge(reps []*Report) (*Report, error) {
	if len(reps) == 0 {
		return nil, fmt.Errorf("%w: no reports", ErrMerge)
	}
	first := reps[0]
	if first.Shard == nil {
		return nil, fmt.Errorf("%w: report 1 is not a shard report", ErrMerge)
	}
	n := first.Shard.Count
	seen := make([]bool, n+1)
	for i, r := range reps {
		switch {
		case r.Version != ReportVersion:
			return nil, fmt.Errorf("%w: report %d has version %d, want %d", ErrMerge, i+1, r.Version, ReportVersion)
		case r.Shard == nil:
			return nil, fmt.Errorf("%w: report %d is not a shard report", ErrMerge, i+1)
		case r.Shard.Count != n || r.Shard.Index < 1 || r.Shard.Index > n:
			return nil, fmt.Errorf("%w: report %d is shard %d/%d, want one of n = %d", ErrMerge, i+1, r.Shard.Index, r.Shard.Count, n)
		case seen[r.Shard.Index]:
			return nil, fmt.Errorf("%w: shard %d/%d given twice", ErrMerge, r.Shard.Index, n)
		case r.Seed != first.Seed || r.Budget != first.Budget || r.Units != first.Units ||
			!slices.Equal(r.Gammas, first.Gammas) || !slices.Equal(r.Ks, first.Ks) || !slices.Equal(r.Claims, first.Claims):
			return nil, fmt.Errorf("%w: report %d comes from a different search (seed, budget, gamma, K or claims differ)", ErrMerge, i+1)
		case r.malformed() != "":
			return nil, fmt.Errorf("%w: report %d is malformed: %s", ErrMerge, i+1, r.malformed())
		case len(r.Results) != len(first.Results):
			return nil, fmt.Errorf("%w: report %d has %d results, want %d", ErrMerge, i+1, len(r.Results), len(first.Results))
		}
		for j := range r.Results {
			a, b := &r.Results[j], &first.Results[j]
			if a.Gamma != b.Gamma || a.K != b.K || a.ID != b.ID || a.Kind != b.Kind {
				return nil, fmt.Errorf("%w: report %d, result %d is %s at (%v, %d), want %s at (%v, %d)",
					ErrMerge, i+1, j+1, a.ID, a.Gamma, a.K, b.ID, b.Gamma, b.K)
			}
		}
		seen[r.Shard.Index] = true
	}
	for i := 1; i <= n; i++ {
		if !seen[i] {
			return nil, fmt.Errorf("%w: shard %d/%d is missing", ErrMerge, i, n)
		}
	}
	out := &Report{
		Version: ReportVersion, Seed: first.Seed, Budget: first.Budget,
		Gammas: first.Gammas, Ks: first.Ks, Claims: first.Claims,
		Units: first.Units, Complete: true, Results: make([]Result, len(first.Results)),
	}
	for j, r := range first.Results {
		out.Results[j] = Result{Gamma: r.Gamma, K: r.K, ID: r.ID, Kind: r.Kind}
	}
	for _, r := range reps {
		out.UnitsRun += r.UnitsRun
		out.Checks += r.Checks
		out.Complete = out.Complete && r.Complete
		for j := range r.Results {
			out.Results[j].combine(r.Results[j])
		}
	}
	for j := range out.Results {
		r := &out.Results[j]
		c, _ := Lookup(r.ID)
		r.finish(c.Strict)
	}
	return out, nil
}

// malformed returns what makes r unlike any report a search writes, or ""
// (a check of form, not of the figures: Merge then checks that the shards
// belong together). A version-1 document with fields missing decodes to
// zero values, which would otherwise merge into an empty report.
func (r *Report) malformed() string {
	switch {
	case r.Budget < 1:
		return fmt.Sprintf("budget %d (want >= 1)", r.Budget)
	case len(r.Gammas) == 0 || len(r.Ks) == 0 || len(r.Claims) == 0:
		return "no gammas, Ks or claims"
	case r.Units < 1 || r.UnitsRun < 0 || r.UnitsRun > r.Units:
		return fmt.Sprintf("%d of %d units run", r.UnitsRun, r.Units)
	case r.Checks < 0:
		return fmt.Sprintf("%d checks", r.Checks)
	case len(r.Results) == 0:
		return "no results"
	}
	for j, res := range r.Results {
		if !slices.Contains(r.Gammas, res.Gamma) || !slices.Contains(r.Ks, res.K) || !slices.Contains(r.Claims, res.ID) ||
			res.Cases < 0 || res.Errors < 0 {
			return fmt.Sprintf("result %d (%s at γ = %v, K = %d) is not on the report's grid or has negative counts", j+1, res.ID, res.Gamma, res.K)
		}
	}
	return ""
}
