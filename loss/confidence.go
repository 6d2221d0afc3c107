package loss

// This file decides, at a number of classes K, whether a separable loss
// with a closed recovery has η-overconfident (ηOC) and η-underconfident
// (ηUC) risk minimizers, and where that changes along a one-parameter
// family (the loss lab's `verify loss --K`).
//
// The argument (the paper's Thm 8 route, for any h_g). Let the loss be
// separable with r = 0 and no weights, and h_g positive and strictly
// increasing on (0, 1). On the open simplex the KKT conditions
// η_y ∝ h_g(q_y) have one solution, so every q of the open simplex is the
// minimizer for exactly one η, η = Ψ_g(q) (Thm 11's argument). q is ηOC
// when max q > max η, ηUC when max q < max η. Write c(v) = h_g(v)/v; with
// m the argmax of q,
//
//	η_m / q_m = c(q_m) / Σ_j q_j c(q_j).
//
// If c is strictly decreasing, c(q_m) is the least of the c(q_j), the sum
// is ≥ c(q_m) and equal only when every q_j = q_m: every non-uniform
// minimizer is ηOC and none is ηUC, at every K ≥ 2. If c is strictly
// increasing, the reverse: every non-uniform minimizer is ηUC. If c is
// constant the loss is strictly proper (q = η): neither. Otherwise (c
// rises and falls, as for the focal loss, where c = 1/φ^γ) the answer
// depends on K and is searched: candidates q (structured families and
// seeded random points of the simplex) and their η = Ψ_g(q); a witness
// is a certificate by the argument above (the minimizer of its η is its
// q), an absence is only the search's.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Witness is an η whose risk minimizer is Q, with Margin = max Q − max η.
type Witness struct {
	Eta, Q []float64
	Margin float64
}

// Existence answers "do ηOC (or ηUC) minimizers exist at K?": Exists is
// "yes" (with a Witness), "no" (by the argument, How) or "not found" (the
// search found none; not a proof).
type Existence struct {
	Exists  string
	How     string
	Witness *Witness
}

// Answer is a yes/no/unknown answer with how it was established, and the
// witness of a "no" found by a search (verify.SearchLossAnswers).
type Answer struct {
	Answer, How string
	Witness     *Witness
}

// ConfidenceFacts are a loss's answers at one K. Applies is false (Why
// says why) for losses outside the argument: not separable, with an r
// term or class weights, or h_g not positive and strictly increasing.
type ConfidenceFacts struct {
	K       int
	Applies bool
	Why     string
	// Calibrated and OrderPreserving: is the argmax of q* an argmax of η,
	// and does q* order its entries as η does.
	Calibrated, OrderPreserving Answer
	// Trend is h_g(v)/v on the grid: "constant", "decreasing",
	// "increasing" or "mixed".
	Trend  string
	OC, UC Existence
}

// MarginTol is the least |max q − max η| that counts as a witness: far
// above the rounding of Ψ_g (a few ulps of entries ≤ 1, docs/numerics.md)
// and of the max, so no witness is rounding noise.
const MarginTol = 1e-12

// trendRelTol is how far h_g(v)/v must move between grid neighbours to
// count as a rise or a fall: the closed forms' rounding (a few ulps) with
// a wide margin, as noiseRel for −g′.
const trendRelTol = 256 * 0x1p-52

// searchRandom is the number of seeded random candidates per K, beside
// the structured families; searchSeed their seed.
const (
	searchRandom = 4000
	searchSeed   = 1
)

// ConfidenceAt answers the calibration, order and ηOC/ηUC questions for
// l at K (K ≥ 2).
func ConfidenceAt(l *Loss, k int) ConfidenceFacts { return confidenceAt(l, k, searchRandom) }

func confidenceAt(l *Loss, k, random int) ConfidenceFacts {
	cf := ConfidenceFacts{K: k}
	unknown := Answer{Answer: "unknown", How: "not derived here: the h_g argument does not apply (verify loss answers it by a search unless --budget 0)"}
	cf.Calibrated, cf.OrderPreserving = unknown, unknown
	switch {
	case l.Name == "brier":
		proper := Answer{Answer: "yes", How: "proof: strictly proper (Brier 1950), q* = η"}
		cf.Calibrated, cf.OrderPreserving = proper, proper
		cf.Why = "not separable: the h_g argument does not apply; Brier is strictly proper, so neither ηOC nor ηUC minimizers exist"
		cf.OC = Existence{Exists: "no", How: proper.How}
		cf.UC = cf.OC
		return cf
	case l.Name == "ls":
		closed := Answer{Answer: "yes", How: "proof: the minimizer is (1−ε)η + ε/K (Müller et al. 2019), an increasing affine map of η"}
		cf.Calibrated, cf.OrderPreserving = closed, closed
		cf.Why = "an r term: the h_g argument does not apply; the closed form decides"
		how := "proof: by the closed form q* = (1−ε)η + ε/K, max q* − max η = ε(1/K − max η), < 0 for every non-uniform η when ε > 0"
		cf.OC = Existence{Exists: "no", How: how}
		cf.UC = Existence{Exists: "no", How: how + " (ε = 0: q* = η)"}
		if eps, _ := l.Param("eps"); eps > 0 {
			eta := make([]float64, k)
			eta[0] = 0.7
			for j := 1; j < k; j++ {
				eta[j] = 0.3 / float64(k-1)
			}
			q := make([]float64, k)
			for j := range q {
				q[j] = (1-eps)*eta[j] + eps/float64(k)
			}
			cf.UC = Existence{Exists: "yes", How: how, Witness: &Witness{Eta: eta, Q: q, Margin: q[0] - eta[0]}}
		}
		return cf
	case l.Kind == Sigmoid:
		na := Answer{Answer: "n/a", How: "a per-label sigmoid loss: each label's posterior is its own binary problem, there is no simplex minimizer"}
		cf.Calibrated, cf.OrderPreserving = na, na
		cf.Why = na.How
		return cf
	case l.Kind != Separable:
		cf.Why = "not separable: the argument needs ℓ(q, y) = g(q_y)"
		return cf
	case l.R != nil || l.Weights != nil:
		cf.Why = "an r term or class weights: η is not ∝ h_g(q)"
		return cf
	}
	f := Analyze(l)
	if !f.HIncreasing && len(l.Jumps) > 0 {
		cf.Why = fmt.Sprintf("g is discontinuous at u = %v: the minimizer is found by global enumeration and need not be unique or attained", l.Jumps)
		return cf
	}
	if !f.HIncreasing {
		cf.Why = fmt.Sprintf("h_g is not positive and strictly increasing (first at u = %s): minimizers need not be unique", fmtf(f.Where))
		return cf
	}
	cf.Applies = true
	kkt := Answer{Answer: "yes", How: "proof: h_g positive and strictly increasing, so η_y ∝ h_g(q*_y) has one solution and q*_y = h_g^{-1}(λη_y) orders the entries as η does, argmax included (the paper's Thm 3 argument)"}
	cf.Calibrated, cf.OrderPreserving = kkt, kkt
	cf.Trend = ratioTrend(l, f.Proper)
	oc, uc := search(l, k, random)
	proof := "proof: h_g(v)/v is strictly %s on the grid, so η_m/q_m = c(q_m)/Σ_j q_j c(q_j) %s 1 for every q (c = h_g(v)/v, m the argmax; loss/confidence.go)"
	switch cf.Trend {
	case "constant":
		how := "proof: h_g ∝ v (strictly proper), so q* = η"
		cf.OC, cf.UC = Existence{Exists: "no", How: how}, Existence{Exists: "no", How: how}
	case "decreasing":
		cf.OC = found(oc, fmt.Sprintf(proof, "decreasing", "≤")+": every non-uniform minimizer is ηOC")
		cf.UC = Existence{Exists: "no", How: fmt.Sprintf(proof, "decreasing", "≤")}
	case "increasing":
		cf.OC = Existence{Exists: "no", How: fmt.Sprintf(proof, "increasing", "≥")}
		cf.UC = found(uc, fmt.Sprintf(proof, "increasing", "≥")+": every non-uniform minimizer is ηUC")
	default:
		how := fmt.Sprintf("search: %d candidates q (structured families and %d seeded random points), η = Ψ_g(q), margins beyond %g", searchCount(k, random), random, MarginTol)
		cf.OC, cf.UC = found(oc, how), found(uc, how)
	}
	return cf
}

// found is the Existence of a search result w.
func found(w *Witness, how string) Existence {
	if w == nil {
		return Existence{Exists: "not found", How: how}
	}
	return Existence{Exists: "yes", How: how + "; the witness's q is the minimizer of its η (the argument of loss/confidence.go)", Witness: w}
}

// ratioTrend classifies h_g(v)/v on the grid.
func ratioTrend(l *Loss, proper bool) string {
	if proper {
		return "constant"
	}
	up, down := false, false
	grid := Grid(nil)
	prev := l.HG(grid[0]) / grid[0]
	for _, u := range grid[1:] {
		c := l.HG(u) / u
		switch {
		case c > prev*(1+trendRelTol):
			up = true
		case c < prev*(1-trendRelTol):
			down = true
		}
		prev = c
	}
	switch {
	case up && down:
		return "mixed"
	case down:
		return "decreasing"
	case up:
		return "increasing"
	}
	return "constant"
}

// searchCount is the number of candidates search tries at K.
func searchCount(k, random int) int { return (2+len(topCounts(k)))*familySteps + random }

// maxTops is the number of counts of equal top entries the search tries
// (all of 2 … K−1 up to K = maxTops + 2, log-spaced beyond).
const maxTops = 30

// topCounts are the numbers j of equal top entries of the third family.
func topCounts(k int) []int {
	var ts []int
	for j := 2; j < k; j++ {
		if k-2 <= maxTops || len(ts) == 0 || float64(j) >= float64(ts[len(ts)-1])*math.Pow(float64(k-1)/2, 1.0/maxTops) {
			ts = append(ts, j)
		}
	}
	return ts
}

// familySteps is the number of points of each structured family.
const familySteps = 200

// search returns the ηOC and ηUC witnesses of largest |margin| among the
// candidates at K (nil where there is none).
func search(l *Loss, k, random int) (oc, uc *Witness) {
	eta := make([]float64, k)
	try := func(q []float64) {
		l.Psi(eta, q)
		m := slices.Max(q) - slices.Max(eta)
		switch {
		case m > MarginTol && (oc == nil || m > oc.Margin):
			oc = &Witness{Eta: slices.Clone(eta), Q: slices.Clone(q), Margin: m}
		case m < -MarginTol && (uc == nil || m < uc.Margin):
			uc = &Witness{Eta: slices.Clone(eta), Q: slices.Clone(q), Margin: m}
		}
	}
	q := make([]float64, k)
	tops := topCounts(k)
	for i := 1; i <= familySteps; i++ {
		s := float64(i) / (familySteps + 1)
		// One top entry t ∈ (1/K, 1), the rest equal.
		t := 1/float64(k) + s*(1-1/float64(k))
		q[0] = t
		for j := 1; j < k; j++ {
			q[j] = (1 - t) / float64(k-1)
		}
		try(q)
		// K − 1 equal top entries and one small ε (geometric down to
		// 1e-12): the shape of the focal loss's boundary witnesses.
		eps := math.Pow(10, -12*s) / float64(k)
		for j := 0; j < k-1; j++ {
			q[j] = (1 - eps) / float64(k-1)
		}
		q[k-1] = eps
		try(q)
		// j equal top entries t and the rest equal below.
		for _, top := range tops {
			t := 1/float64(k) + s*(1/float64(top)-1/float64(k))
			for j := range q {
				if j < top {
					q[j] = t
				} else {
					q[j] = (1 - float64(top)*t) / float64(k-top)
				}
			}
			try(q)
		}
	}
	r := rand.New(rand.NewPCG(searchSeed, uint64(k)))
	for n := 0; n < random; n++ {
		// Dirichlet(a) with a log-uniform in [0.05, 20]: from spiky to
		// near-uniform points.
		a := math.Exp(math.Log(0.05) + r.Float64()*math.Log(400))
		var s float64
		for j := range q {
			q[j] = gammaVariate(r, a)
			s += q[j]
		}
		if !(s > 0) {
			continue
		}
		ok := true
		for j := range q {
			q[j] /= s
			ok = ok && q[j] > 0
		}
		if ok {
			try(q)
		}
	}
	return oc, uc
}

// gammaVariate draws from Gamma(a, 1) (Marsaglia and Tsang 2000; for
// a < 1 boosted by U^{1/a}).
func gammaVariate(r *rand.Rand, a float64) float64 {
	if a < 1 {
		return gammaVariate(r, a+1) * math.Pow(r.Float64(), 1/a)
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

// Transition is a change of ηOC (or ηUC) existence along a parameter:
// the answer is Below at Lo and Above at Hi, Lo < Hi as close as the
// bisection gets. A "yes" side is proved (a witness at that value); a "not
// found" side is the search's only, so the true boundary lies at or beyond
// the "yes" end of the bracket, within the search's resolution (margins
// below MarginTol are not counted: near a boundary, and near a parameter
// value where the loss is proper, the margins shrink to 0).
type Transition struct {
	Kind         string // "overconfident" or "underconfident"
	Lo, Hi       float64
	Below, Above string // "yes", "no" (by proof) or "not found"
}

// BoundaryBits is the number of bisection steps per transition: the
// bracket shrinks by 2^−BoundaryBits (relative, bisecting the logarithm
// of the parameter; halving towards 0 from a bracket that starts at 0).
const BoundaryBits = 24

// boundaryRandom is the number of random candidates per evaluation of the
// boundary's bisection (the structured families, which hold the boundary
// witnesses, are always tried).
const boundaryRandom = 200

// ParamScan are the parameter values scanned for transitions: 0 and a
// geometric grid from 1e-3 to 100 (values outside a loss's domain, or
// where the argument does not apply, are skipped).
var ParamScan = func() []float64 {
	s := []float64{0}
	for e := -12; e <= 8; e++ {
		s = append(s, math.Pow(10, float64(e)/4))
	}
	return s
}()

// Boundary finds, for a built-in loss with exactly one parameter, the
// parameter values at K where the existence of ηOC or of ηUC minimizers
// changes: ParamScan, then bisection of each change. ok is false if the
// loss has not exactly one parameter or the argument applies at no
// scanned value.
func Boundary(l *Loss, k int) (param string, ts []Transition, ok bool) {
	if len(l.Params) != 1 || l.Name == "expr" {
		return "", nil, false
	}
	param = l.Params[0].Name
	at := func(v float64) (ans [2]string, ok bool) {
		m, err := Parse(l.Name + ":" + param + "=" + strconv.FormatFloat(v, 'g', -1, 64))
		if err != nil {
			return ans, false
		}
		cf := confidenceAt(m, k, boundaryRandom)
		return [2]string{cf.OC.Exists, cf.UC.Exists}, cf.Applies
	}
	type point struct {
		v   float64
		ans [2]string
	}
	var pts []point
	for _, v := range ParamScan {
		if ans, ok := at(v); ok {
			pts = append(pts, point{v, ans})
		}
	}
	if len(pts) == 0 {
		return param, nil, false
	}
	kinds := [2]string{"overconfident", "underconfident"}
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		for j, kind := range kinds {
			yes := a.ans[j] == "yes"
			if yes == (b.ans[j] == "yes") {
				continue
			}
			lo, hi := a.v, b.v
			// A change from the parameter value 0 is not bisected: there
			// the margins vanish with the parameter, and the bracket would
			// only find where they drop below MarginTol.
			for n := 0; n < BoundaryBits && lo > 0; n++ {
				mid := math.Sqrt(lo * hi)
				ans, ok := at(mid)
				if !ok {
					break
				}
				if (ans[j] == "yes") == yes {
					lo, a.ans[j] = mid, ans[j]
				} else {
					hi, b.ans[j] = mid, ans[j]
				}
			}
			ts = append(ts, Transition{Kind: kind, Lo: lo, Hi: hi, Below: a.ans[j], Above: b.ans[j]})
		}
	}
	return param, ts, true
}
