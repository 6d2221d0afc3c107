package loss

// The registry of built-in losses, each with its source.

import (
	"math"
	"strings"

	"github.com/focaltk/focal/theory"
)

// paramDef is one parameter of a registered loss.
type paramDef struct {
	name     string
	def      float64
	required bool
	list     bool // a '/'-separated list (focal-alpha's alpha)
	domain   string
	ok       func(float64) bool
}

// lossDef is a registry entry.
type lossDef struct {
	params []paramDef
	build  func(vals map[string]float64, list []float64) *Loss
}

func (d *lossDef) param(name string) (paramDef, bool) {
	for _, p := range d.params {
		if p.name == name {
			return p, true
		}
	}
	return paramDef{}, false
}

func (d *lossDef) paramList() string {
	if len(d.params) == 0 {
		return "no parameters"
	}
	var s []string
	for _, p := range d.params {
		s = append(s, p.name+" ("+p.domain+")")
	}
	return strings.Join(s, ", ")
}

func nonNeg(v float64) bool   { return v >= 0 }
func positive(v float64) bool { return v > 0 }
func unitOpen(v float64) bool { return v >= 0 && v < 1 }
func unitBoth(v float64) bool { return v >= 0 && v <= 1 }

func gammaParam(required bool, def float64) paramDef {
	return paramDef{name: "gamma", def: def, required: required, domain: "γ ≥ 0", ok: nonNeg}
}

// params builds a Loss's Params from the values, in the definition's order.
func params(vals map[string]float64, names ...string) []Param {
	out := make([]Param, len(names))
	for i, n := range names {
		out[i] = Param{Name: n, Value: vals[n]}
	}
	return out
}

// focalG, focalDG and focalDDG are the focal loss's g, g′ and g″ from
// theory's kernels: g = −(1−u)^γ log u, −g′ = φ^γ(u)/u (Eq. 10), and
// g″ = (φ − u φ′)/u².
func focalG(u, g float64) float64  { return theory.LossTerm(u, g) }
func focalDG(u, g float64) float64 { return -theory.Phi(u, g) / u }
func focalDDG(u, g float64) float64 {
	return (theory.Phi(u, g) - u*theory.PhiDeriv(u, g)) / (u * u)
}

// flsdGamma is FLSD-53's γ for a target probability u: 5 below 0.2, else 3
// (Mukhoti et al.'s FocalLossAdaptive: gamma_dic = {0.2: 5, 0.5: 3}, and
// γ = 3 from 0.5 on).
func flsdGamma(u float64) float64 {
	if u < 0.2 {
		return 5
	}
	return 3
}

var registry = map[string]*lossDef{
	// Cross-entropy, the focal loss with γ = 0 (Eq. 6 of the paper); the
	// only strictly proper separable loss with g′ of this form: h_g(v) = v.
	"ce": {build: func(map[string]float64, []float64) *Loss {
		return &Loss{
			Name: "ce", Kind: Separable,
			Doc: "cross-entropy −log u (the paper's Eq. 6); strictly proper, h_g(v) = v",
			G:   func(u float64) float64 { return -math.Log(u) },
			DG:  func(u float64) float64 { return -1 / u },
			DDG: func(u float64) float64 { return 1 / (u * u) },
			H:   func(u float64) float64 { return u }, Recovery: "Ψ(v) = v",
		}
	}},
	// The focal loss, Lin et al. 2017 (Focal Loss for Dense Object
	// Detection), Eq. 4; the paper's Eq. 5; theory's kernels.
	"focal": {params: []paramDef{gammaParam(true, 0)}, build: func(v map[string]float64, _ []float64) *Loss {
		g := v["gamma"]
		return &Loss{
			Name: "focal", Params: params(v, "gamma"), Kind: Separable, Focal: true, Gamma: g,
			Doc: "focal loss −(1−u)^γ log u (Lin et al. 2017, Eq. 4; the paper's Eq. 5), h_g = h^γ of Eq. 13",
			G:   func(u float64) float64 { return focalG(u, g) },
			DG:  func(u float64) float64 { return focalDG(u, g) },
			DDG: func(u float64) float64 { return focalDDG(u, g) },
			H:   func(u float64) float64 { return theory.H(u, g) }, Recovery: "Ψ^γ(v)_y = h^γ(v_y)/Σ_l h^γ(v_l) (Eq. 14)",
		}
	}},
	// The α-balanced focal loss, Lin et al. 2017, Eq. 5: −α_y(1−u)^γ log u
	// with a weight per class. Its risk is the focal risk at the posterior
	// ∝ α_y η_y, so Ψ divides by α.
	"focal-alpha": {params: []paramDef{gammaParam(true, 0),
		{name: "alpha", required: true, list: true, domain: "α_y > 0, one per class, '/'-separated", ok: positive}},
		build: func(v map[string]float64, alpha []float64) *Loss {
			g := v["gamma"]
			return &Loss{
				Name: "focal-alpha", Params: params(v, "gamma"), Kind: Separable, Weights: alpha,
				Doc: "α-balanced focal loss −α_y(1−u)^γ log u (Lin et al. 2017, Eq. 5); the focal risk at η ∝ α⊙η",
				G:   func(u float64) float64 { return focalG(u, g) },
				DG:  func(u float64) float64 { return focalDG(u, g) },
				DDG: func(u float64) float64 { return focalDDG(u, g) },
				H:   func(u float64) float64 { return theory.H(u, g) }, Recovery: "η_y ∝ h^γ(v_y)/α_y",
			}
		}},
	// FLSD-53, Mukhoti et al. 2020 (Calibrating Deep Neural Networks using
	// Focal Loss), Sec. 5: the focal loss with γ = 5 where the target's
	// probability is below 0.2 and γ = 3 otherwise.
	//
	// The discontinuity: g jumps UP at 0.2 (g(0.2⁻) = −0.8⁵ log 0.2 ≈
	// 0.5274 < g(0.2) = −0.8³ log 0.2 ≈ 0.8240), so g is not monotone: a
	// target probability just below 0.2 costs less than one at 0.2 and
	// every value up to v* ≈ 0.26498 where the γ = 3 branch falls back to
	// g(0.2⁻). A minimizer's coordinate therefore never lies in
	// [0.2, v*); the infimum of W may be approached as a coordinate tends
	// to 0.2 from below and then is not attained (γ = 5 holds only strictly
	// below 0.2). The KKT system has solutions on both branches; the global
	// minimizer (if attained) is found by enumerating them and comparing W,
	// and otherwise the solver reports the infimum's limit point.
	"flsd53": {build: func(map[string]float64, []float64) *Loss {
		return &Loss{
			Name: "flsd53", Kind: Separable, Jumps: []float64{0.2},
			Doc: "FLSD-53 (Mukhoti et al. 2020, Sec. 5): focal with γ = 5 for u < 0.2, γ = 3 otherwise; g jumps up at 0.2",
			G:   func(u float64) float64 { return focalG(u, flsdGamma(u)) },
			DG:  func(u float64) float64 { return focalDG(u, flsdGamma(u)) },
			DDG: func(u float64) float64 { return focalDDG(u, flsdGamma(u)) },
			H:   func(u float64) float64 { return theory.H(u, flsdGamma(u)) },
		}
	}},
	// Poly-1, Leng et al. 2022 (PolyLoss, ICLR), the Poly-1 formulation
	// −log u + ε(1−u): −g′ = 1/u + ε, h_g(v) = v/(1 + εv).
	"poly1": {params: []paramDef{{name: "eps", required: true, domain: "ε ≥ 0", ok: nonNeg}},
		build: func(v map[string]float64, _ []float64) *Loss {
			e := v["eps"]
			return &Loss{
				Name: "poly1", Params: params(v, "eps"), Kind: Separable,
				Doc: "Poly-1 −log u + ε(1−u) (Leng et al. 2022, Poly-1 formulation); h_g(v) = v/(1+εv)",
				G:   func(u float64) float64 { return -math.Log(u) + e*(1-u) },
				DG:  func(u float64) float64 { return -1/u - e },
				DDG: func(u float64) float64 { return 1 / (u * u) },
				H:   func(u float64) float64 { return u / (1 + e*u) }, Recovery: "η_y ∝ v_y/(1 + ε v_y)",
			}
		}},
	// Poly-1 focal, Leng et al. 2022: −(1−u)^γ log u + ε(1−u)^{γ+1}.
	"poly-focal": {params: []paramDef{gammaParam(true, 0), {name: "eps", required: true, domain: "ε ≥ 0", ok: nonNeg}},
		build: func(v map[string]float64, _ []float64) *Loss {
			g, e := v["gamma"], v["eps"]
			dg := func(u float64) float64 { return focalDG(u, g) - e*(g+1)*theory.Pow1m(u, g) }
			return &Loss{
				Name: "poly-focal", Params: params(v, "gamma", "eps"), Kind: Separable,
				Doc: "Poly-1 focal −(1−u)^γ log u + ε(1−u)^(γ+1) (Leng et al. 2022)",
				G:   func(u float64) float64 { return focalG(u, g) + e*theory.Pow1m(u, g+1) },
				DG:  dg,
				DDG: func(u float64) float64 { return focalDDG(u, g) + e*(g+1)*g*theory.Pow1m(u, g-1) },
				H:   func(u float64) float64 { return -1 / dg(u) }, Recovery: "η_y ∝ 1/(φ^γ(v_y)/v_y + ε(γ+1)(1−v_y)^γ)",
			}
		}},
	// Generalized cross-entropy, Zhang & Sabuncu 2018 (NeurIPS), Eq. 6:
	// (1 − u^A)/A; −g′ = u^{A−1}, h_g(v) = v^{1−A}; A = 1 is MAE (h_g
	// constant: no recovery), A → 0 is cross-entropy.
	"gce": {params: []paramDef{{name: "q", required: true, domain: "A > 0 (the paper uses (0, 1])", ok: positive}},
		build: func(v map[string]float64, _ []float64) *Loss {
			a := v["q"]
			l := &Loss{
				Name: "gce", Params: params(v, "q"), Kind: Separable,
				Doc: "generalized cross-entropy (1 − u^A)/A (Zhang & Sabuncu 2018, Eq. 6); h_g(v) = v^(1−A); A = 1 is MAE",
				G:   func(u float64) float64 { return (1 - math.Pow(u, a)) / a },
				DG:  func(u float64) float64 { return -math.Pow(u, a-1) },
				DDG: func(u float64) float64 { return -(a - 1) * math.Pow(u, a-2) },
				H:   func(u float64) float64 { return math.Pow(u, 1-a) },
			}
			if a < 1 {
				l.Recovery = "η_y ∝ v_y^(1−A)"
			}
			return l
		}},
	// Label-smoothed cross-entropy, Müller et al. 2019 (When does label
	// smoothing help?, NeurIPS), Sec. 1: targets (1−ε)e_y + ε/K, so
	// ℓ = −(1−ε) log q_y − (ε/K) Σ_j log q_j; the minimizer is
	// q = (1−ε)η + ε/K.
	"ls": {params: []paramDef{{name: "eps", required: true, domain: "0 ≤ ε < 1", ok: unitOpen}},
		build: func(v map[string]float64, _ []float64) *Loss {
			e := v["eps"]
			return &Loss{
				Name: "ls", Params: params(v, "eps"), Kind: Separable,
				Doc:      "label-smoothed cross-entropy, targets (1−ε)e_y + ε/K (Müller et al. 2019, Sec. 1); argmin q = (1−ε)η + ε/K",
				G:        func(u float64) float64 { return -(1 - e) * math.Log(u) },
				DG:       func(u float64) float64 { return -(1 - e) / u },
				DDG:      func(u float64) float64 { return (1 - e) / (u * u) },
				R:        func(u float64, k int) float64 { return -e / float64(k) * math.Log(u) },
				DR:       func(u float64, k int) float64 { return -e / float64(k) / u },
				DDR:      func(u float64, k int) float64 { return e / float64(k) / (u * u) },
				Recovery: "η = (v − ε/K)/(1 − ε)",
			}
		}},
	// The focal loss with label-smoothed targets: Σ_j t_j·(−(1−q_j)^γ log
	// q_j), t = (1−ε)e_y + ε/K (as used with focal training, e.g. Mukhoti
	// et al. 2020's comparison against LS).
	"focal-ls": {params: []paramDef{gammaParam(true, 0), {name: "eps", required: true, domain: "0 ≤ ε < 1", ok: unitOpen}},
		build: func(v map[string]float64, _ []float64) *Loss {
			g, e := v["gamma"], v["eps"]
			return &Loss{
				Name: "focal-ls", Params: params(v, "gamma", "eps"), Kind: Separable,
				Doc: "focal loss with smoothed targets (1−ε)e_y + ε/K",
				G:   func(u float64) float64 { return (1 - e) * focalG(u, g) },
				DG:  func(u float64) float64 { return (1 - e) * focalDG(u, g) },
				DDG: func(u float64) float64 { return (1 - e) * focalDDG(u, g) },
				R:   func(u float64, k int) float64 { return e / float64(k) * focalG(u, g) },
				DR:  func(u float64, k int) float64 { return e / float64(k) * focalDG(u, g) },
				DDR: func(u float64, k int) float64 { return e / float64(k) * focalDDG(u, g) },
			}
		}},
	// The inverse focal loss of AdaFocal, Ghosh et al. 2022 (NeurIPS),
	// used for its γ < 0 branch: −(1+u)^γ log u with γ ≥ 0;
	// −g′ = (1+u)^{γ−1}((1+u) + γ u log u)/u, which is not positive on all
	// of (0, 1) once γ ≥ e + 1 (at u = 1/e the bracket is 1 + (1−γ)/e).
	"inverse-focal": {params: []paramDef{gammaParam(true, 0)},
		build: func(v map[string]float64, _ []float64) *Loss {
			g := v["gamma"]
			dg := func(u float64) float64 {
				return -g*math.Pow(1+u, g-1)*math.Log(u) - math.Pow(1+u, g)/u
			}
			return &Loss{
				Name: "inverse-focal", Params: params(v, "gamma"), Kind: Separable,
				Doc: "inverse focal loss −(1+u)^γ log u (AdaFocal, Ghosh et al. 2022, its γ < 0 branch)",
				G:   func(u float64) float64 { return -math.Pow(1+u, g) * math.Log(u) },
				DG:  dg,
				DDG: func(u float64) float64 {
					return -g*(g-1)*math.Pow(1+u, g-2)*math.Log(u) - 2*g*math.Pow(1+u, g-1)/u + math.Pow(1+u, g)/(u*u)
				},
				H: func(u float64) float64 { return -1 / dg(u) },
			}
		}},
	// The dual focal loss, Tao et al. 2023 (Dual Focal Loss for
	// Calibration, ICML): −(1 − q_y + q_j)^γ log q_y with q_j the largest
	// non-target probability; not separable.
	"dual-focal": {params: []paramDef{gammaParam(true, 0)},
		build: func(v map[string]float64, _ []float64) *Loss {
			g := v["gamma"]
			return &Loss{
				Name: "dual-focal", Params: params(v, "gamma"), Kind: General,
				Doc: "dual focal loss −(1 − q_y + max_{j≠y} q_j)^γ log q_y (Tao et al. 2023); not separable: direct minimizer only",
				Ell: func(q []float64, y int) float64 {
					var m float64
					for j, x := range q {
						if j != y && x > m {
							m = x
						}
					}
					if q[y] == 0 {
						return math.Inf(1)
					}
					return -math.Pow(1-q[y]+m, g) * math.Log(q[y])
				},
			}
		}},
	// The Brier score, Brier 1950: Σ_j (q_j − [j = y])². Handled as a
	// general loss (direct minimizer only); it is strictly proper.
	"brier": {build: func(map[string]float64, []float64) *Loss {
		return &Loss{
			Name: "brier", Kind: General,
			Doc: "Brier score Σ_j (q_j − [j=y])² (Brier 1950); general loss: direct minimizer only",
			Ell: func(q []float64, y int) float64 {
				var s float64
				for j, x := range q {
					d := x
					if j == y {
						d = x - 1
					}
					s += d * d
				}
				return s
			},
		}
	}},
	// The sigmoid focal loss of RetinaNet, Lin et al. 2017, Eq. 5 per
	// label: −α(1−p)^γ log p for a positive, −(1−α)p^γ log(1−p) for a
	// negative (theory.SigmoidRisk; calibrate's RetinaNet mode).
	"sigmoid-focal": {params: []paramDef{gammaParam(false, 2), {name: "alpha", def: 0.25, domain: "0 ≤ α ≤ 1", ok: unitBoth}},
		build: func(v map[string]float64, _ []float64) *Loss {
			g, a := v["gamma"], v["alpha"]
			return &Loss{
				Name: "sigmoid-focal", Params: params(v, "gamma", "alpha"), Kind: Sigmoid,
				Doc: "RetinaNet's sigmoid focal loss (Lin et al. 2017, Eq. 5 per label)",
				Pos: func(p float64) float64 { return -a * theory.Pow1m(p, g) * math.Log(p) },
				Neg: func(p float64) float64 { return -(1 - a) * math.Pow(p, g) * math.Log1p(-p) },
			}
		}},
	// FL*, Lin et al. 2017, Appendix A, as fvcore's sigmoid_focal_loss_star
	// computes it: −log σ(γ x_t)/γ with x_t = ±logit(p) (β = 0), times α_t
	// where alpha ≥ 0.
	"fl-star": {params: []paramDef{{name: "gamma", def: 1, domain: "γ > 0", ok: positive}, {name: "alpha", def: -1, domain: "α < 0 (none) or 0 ≤ α ≤ 1", ok: func(a float64) bool { return a <= 1 }}},
		build: func(v map[string]float64, _ []float64) *Loss {
			g, a := v["gamma"], v["alpha"]
			ap, an := 1.0, 1.0
			if a >= 0 {
				ap, an = a, 1-a
			}
			// −log σ(t) = log1p(exp(−t)), computed without overflow.
			softplusNeg := func(t float64) float64 {
				if t > 0 {
					return math.Log1p(math.Exp(-t))
				}
				return -t + math.Log1p(math.Exp(t))
			}
			logit := func(p float64) float64 { return math.Log(p) - math.Log1p(-p) }
			return &Loss{
				Name: "fl-star", Params: params(v, "gamma", "alpha"), Kind: Sigmoid,
				Doc: "FL* (Lin et al. 2017, Appendix A; fvcore sigmoid_focal_loss_star): −log σ(γ x_t)/γ",
				Pos: func(p float64) float64 { return ap * softplusNeg(g*logit(p)) / g },
				Neg: func(p float64) float64 { return an * softplusNeg(-g*logit(p)) / g },
			}
		}},
	// ASL, Ridnik et al. 2021 (Asymmetric Loss For Multi-Label
	// Classification, ICCV), Sec. 3: L+ = −(1−p)^{γ+} log p,
	// L− = −p_m^{γ−} log(1 − p_m), p_m = max(p − m, 0).
	"asl": {params: []paramDef{{name: "gamma_pos", def: 0, domain: "γ+ ≥ 0", ok: nonNeg},
		{name: "gamma_neg", def: 4, domain: "γ− ≥ 0", ok: nonNeg}, {name: "clip", def: 0.05, domain: "0 ≤ m < 1", ok: unitOpen}},
		build: func(v map[string]float64, _ []float64) *Loss {
			gp, gn, m := v["gamma_pos"], v["gamma_neg"], v["clip"]
			return &Loss{
				Name: "asl", Params: params(v, "gamma_pos", "gamma_neg", "clip"), Kind: Sigmoid,
				Doc: "asymmetric loss (Ridnik et al. 2021, Sec. 3): γ+ on positives, γ− and margin m on negatives",
				Pos: func(p float64) float64 { return -theory.Pow1m(p, gp) * math.Log(p) },
				Neg: func(p float64) float64 {
					pm := math.Max(p-m, 0)
					return -math.Pow(pm, gn) * math.Log1p(-pm)
				},
			}
		}},
}

// newExprLoss builds the loss of an expression g(u) with parameter values
// env: g′ and g″ by symbolic differentiation.
func newExprLoss(e *Expr, names []string, env map[string]float64) *Loss {
	d := e.Deriv()
	dd := d.Deriv()
	ps := make([]Param, len(names))
	for i, n := range names {
		ps[i] = Param{Name: n, Value: env[n]}
	}
	return &Loss{
		Name: "expr", Params: ps, Kind: Separable,
		Doc:  "user expression g(u) = " + e.String() + "; g′(u) = " + d.String() + " (derived symbolically)",
		G:    func(u float64) float64 { return e.Eval(u, env) },
		DG:   func(u float64) float64 { return d.Eval(u, env) },
		DDG:  func(u float64) float64 { return dd.Eval(u, env) },
		Expr: e, DExpr: d, Env: env,
	}
}

// HExpr returns h_g = 1/(−g′) as an expression for an expr loss, nil
// otherwise.
func (l *Loss) HExpr() *Expr {
	if l.DExpr == nil {
		return nil
	}
	return div(num(1), neg(l.DExpr))
}
