package verify

import "github.com/focaltk/focal/jsonfloat"

// ReportVersion is the version of the JSON reports (search, merge,
// boundary and the CLI helpers). It changes only when a field is removed or
// changes meaning; fields may be added within a version.
const ReportVersion = 1

// Float is a float64 that encodes to JSON with enough digits to round-trip
// and encodes NaN and ±Inf as the strings "NaN", "+Inf" and "-Inf" (and
// decodes them back): jsonfloat.Float, kept under this name for the
// report types of this package and their users.
type Float = jsonfloat.Float

// Floats converts a []float64 to []Float (nil stays nil).
func Floats(x []float64) []Float {
	if x == nil {
		return nil
	}
	out := make([]Float, len(x))
	for i, v := range x {
		out[i] = Float(v)
	}
	return out
}

func float64s(x []Float) []float64 {
	if x == nil {
		return nil
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// Status is the verdict on one claim at one (γ, K).
type Status string

const (
	// Holds: a theorem with no confirmed counterexample and no negative
	// margin.
	Holds Status = "holds"
	// Supported: a conjecture with no counterexample (and no negative
	// margin).
	Supported Status = "supported"
	// Refuted: a counterexample whose margin is negative in float64 and
	// stays negative when re-evaluated in high precision.
	Refuted Status = "refuted"
	// Noise: some float64 margin was negative (or zero, for a strict
	// claim: Claim.Strict), but no such case was negative in high
	// precision: numerical noise, of size −WorstMargin.
	Noise Status = "noise"
	// Unconfirmed: a violating float64 margin (loss searches only) that
	// package hiprec cannot re-evaluate, because it has no minimizer for
	// the loss: neither a counterexample nor noise.
	Unconfirmed Status = "unconfirmed"
	// Vacuous: no case checked satisfied the claim's hypothesis (for
	// example max q* ≤ τ_oc is impossible when 1/K > τ_oc), so the search
	// says nothing about it.
	Vacuous Status = "vacuous"
)

// Report is the result of a search (Search) or of merging shard reports
// (Merge). Its JSON form is stable within ReportVersion; Timing is the only
// part that differs between runs with the same seed and flags, and a
// time-capped run (Complete = false) is not reproducible.
type Report struct {
	Version int      `json:"version"`
	Seed    uint64   `json:"seed"`
	Budget  int      `json:"budget"`
	Gammas  []Float  `json:"gammas"`
	Ks      []int    `json:"Ks"`
	Claims  []string `json:"claims"`
	// Shard is set on the report of one shard (--shard i/n) and absent on
	// a whole or merged report.
	Shard *ShardInfo `json:"shard,omitempty"`
	// Units is the number of work units of the whole search (all shards);
	// UnitsRun how many were run (fewer in a shard or when the time cap
	// stopped the search).
	Units    int  `json:"units"`
	UnitsRun int  `json:"units_run"`
	Complete bool `json:"complete"`
	// Checks counts the claim checks the search made (the re-checks of
	// shrinking and confirmation are not counted).
	Checks int64 `json:"checks"`
	// Loss is the spec of the loss searched (a search with Options.Loss;
	// absent for the focal loss at Gammas, whose Gammas are then empty and
	// whose results' gamma is the loss's γ for focal specs, else 0).
	Loss string `json:"loss,omitempty"`
	// Solvers says, per K, which minimizer a loss search used and why.
	Solvers []SolverInfo `json:"solvers,omitempty"`
	// Expectations are what the derivation says of each claim at the loss
	// (claims_loss.go), in Claims' order.
	Expectations []Expectation `json:"expectations,omitempty"`
	// NotApplicable lists the claims of the focal registry that a loss
	// search does not run, with the reason.
	NotApplicable []NotApplicable `json:"not_applicable,omitempty"`
	Results       []Result        `json:"results"`
	Timing        *Timing         `json:"timing,omitempty"`
}

// ShardInfo names one shard: Index in 1..Count.
type ShardInfo struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Timing holds the run's wall-clock figures, kept apart so that
// determinism checks can drop them.
type Timing struct {
	WallSeconds     Float `json:"wall_seconds"`
	ChecksPerSecond Float `json:"checks_per_second"`
}

// Result is the verdict on one claim at one (γ, K).
type Result struct {
	Gamma  Float  `json:"gamma"`
	K      int    `json:"K"`
	ID     string `json:"id"`
	Kind   Kind   `json:"kind"`
	Status Status `json:"status"`
	// Cases counts the cases whose check returned a meaningful margin
	// (the hypothesis held). Errors counts the unsolved cases (the text
	// report and docs/findings.md call them "unsolved"): cases the check
	// could not evaluate because a float64 minimizer did not converge
	// (SolverError), or, were there a generator bug, invalid input. In
	// practice they are the claims that minimize W directly (Claim.Slow:
	// thm11-recovery, gamma0-proper) on η with subnormal entries (below
	// 2^−1022, from the random "tiny" regime), where numeric.Direct stops
	// short (its documented limit): a limit of that solver at that input,
	// not a verdict on the claim.
	Cases  int `json:"cases"`
	Errors int `json:"errors"`
	// WorstMargin is the smallest float64 margin seen (null when Cases is
	// 0), WorstEta the case where it was seen, and WorstAt where in the
	// search that case came from.
	WorstMargin *Float   `json:"worst_margin"`
	WorstEta    []Float  `json:"worst_eta,omitempty"`
	WorstAt     *Locator `json:"worst_at,omitempty"`
	// WorstMarginHiprec is the margin of WorstEta re-evaluated in high
	// precision, present when WorstMargin violated the claim (negative,
	// or zero for a strict claim) and the search re-checked it. A strict
	// claim whose worst margin is 0 holds (or is supported) when this is
	// positive, and is noise otherwise.
	WorstMarginHiprec *Float `json:"worst_margin_hiprec,omitempty"`
	// Counterexample is the confirmed counterexample with the most
	// negative high-precision margin, when one was found.
	Counterexample *Counterexample `json:"counterexample,omitempty"`
	// Unconfirmed: WorstMargin violates the claim and package hiprec
	// cannot re-evaluate it at the search's loss (Status Unconfirmed).
	Unconfirmed bool `json:"unconfirmed,omitempty"`
}

// SolverInfo is the minimizer a loss search used at K.
type SolverInfo struct {
	K      int    `json:"K"`
	Solver string `json:"solver"`
	Why    string `json:"why"`
	// Oracle says whether package hiprec confirms violations at this loss.
	Oracle bool `json:"hiprec_oracle"`
}

// NotApplicable is a claim a loss search does not run.
type NotApplicable struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Locator says where a case came from: the strategy, the work unit (its
// index among the units of that strategy at this (γ, K) and, for the
// adversarial strategy, claim) and the case within the unit. Seed is the
// unit's seed, derived from the run's seed, γ, K, the claim ID (adversarial
// units) and the unit index only, so the same unit is regenerated by any
// run with the same seed and budget that includes this (γ, K) and claim.
type Locator struct {
	Strategy string `json:"strategy"`
	Unit     int    `json:"unit"`
	Case     int    `json:"case"`
	Seed     uint64 `json:"seed"`
	// Label describes a structured case ("top-m m=3 q_max=tau_oc", …).
	Label string `json:"label,omitempty"`
}

// Counterexample is a case whose margin is negative both in float64 and in
// high precision (package hiprec).
type Counterexample struct {
	Gamma Float   `json:"gamma"`
	Eta   []Float `json:"eta"`
	// Q is q^{γ,*}(η) and Psi is Ψ^γ(q), both from package hiprec rounded
	// to float64 (Psi ≈ η is Thm 11).
	Q            []Float `json:"q"`
	Psi          []Float `json:"psi"`
	Margin       Float   `json:"margin"`
	MarginHiprec Float   `json:"margin_hiprec"`
	Seed         uint64  `json:"seed"`
	Strategy     string  `json:"strategy"`
	Unit         int     `json:"unit"`
	Case         int     `json:"case"`
	Label        string  `json:"label,omitempty"`
	// Shrunk says the random case was simplified by the generator's
	// shrinker (while its float64 margin stayed below −ShrinkFloor) before
	// confirmation; Spec is the gen.Spec that rebuilds η.
	Shrunk bool   `json:"shrunk,omitempty"`
	Spec   string `json:"spec,omitempty"`
}

func (r *Result) locator() Locator {
	if r.WorstAt == nil {
		return Locator{}
	}
	return *r.WorstAt
}
