package verify

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/focaltk/focal/theory"
)

// familyCase is one case of the structured family, with a label that says
// how it was built.
type familyCase struct {
	eta   []float64
	label string
}

// Parameters of the structured family (structuredFamily).
var (
	// nearUniformEps are the relative displacements from the uniform
	// vector, from the limit footnote 2 is about to ordinary vectors.
	nearUniformEps = []float64{1e-12, 1e-9, 1e-6, 1e-4, 1e-3, 1e-2, 0.05}
	// oneHotEps are the masses left off the top class of near-one-hot
	// vectors, down to where 1 − ε rounds to 1 and below.
	oneHotEps = []float64{1e-300, 1e-100, 1e-30, 1e-16, 0x1p-53, 1e-8, 1e-4, 1e-2}
	// toSKEps move a top-m vector toward S^K: max q = (1−ε)/m.
	toSKEps = []float64{1e-12, 1e-6, 1e-3}
	// fromUniformEps move a top-m vector away from uniform: max q = (1+ε)/K.
	fromUniformEps = []float64{1e-9, 1e-4}
)

// topMGrid is the number of evenly spaced values of max q in (1/K, 1/m)
// per top-m family, besides the special values.
const topMGrid = 8

// structuredFamily returns the structured cases at (γ, K), in a fixed
// order: vectors where the paper's quantities change behaviour.
//
//   - the uniform vector and the uniform vectors on m classes (S^K, Prop 6);
//   - near-uniform vectors (1 + ε·w_i)/K for several directions w;
//   - "m equal top classes and the rest equal": q = (t, …, t, r, …, r) with
//     m entries t and r = (1 − m·t)/(K − m), mapped to η = Ψ^γ(q) so that
//     q*(η) = q (Thm 11) and max q* = t exactly up to rounding, with t on a
//     grid of (1/K, 1/m] and at the special values τ_oc, τ_uc, 1/2 and one
//     ulp either side of each, close to 1/K and close to S^K; and the
//     same vectors taken as η directly;
//   - m equal top classes, one more positive class and zeros (the limit in
//     which the over-confidence boundary is approached, see BoundaryK);
//   - near-one-hot vectors (1 − ε, ε/(K−1), …) and (1 − ε, ε, 0, …).
//
// A vector that comes up twice (Ψ^0 is the identity, so at γ = 0 the "q"
// and "eta" variants coincide; grids meet special values) is kept once,
// under its first label, so that the family's cases are distinct.
func structuredFamily(gamma float64, k int) []familyCase {
	var out []familyCase
	seen := map[string]bool{}
	key := make([]byte, 0, 8*k)
	add := func(eta []float64, format string, args ...any) {
		key = key[:0]
		for _, x := range eta {
			key = binary.LittleEndian.AppendUint64(key, math.Float64bits(x))
		}
		if seen[string(key)] {
			return
		}
		seen[string(key)] = true
		out = append(out, familyCase{eta: eta, label: fmt.Sprintf(format, args...)})
	}
	kf := float64(k)
	psi := func(q []float64) []float64 { return theory.Psi(make([]float64, len(q)), q, gamma) }

	add(constVec(k, 1/kf), "uniform")
	ms := topMs(k)
	for _, m := range ms {
		v := make([]float64, k)
		for i := range m {
			v[i] = 1 / float64(m)
		}
		add(v, "S^K m=%d", m)
	}

	for _, eps := range nearUniformEps {
		for _, d := range directions(k) {
			v := make([]float64, k)
			for i, w := range d.w {
				v[i] = (1 + eps*w) / kf
			}
			add(normalized(v, v), "near-uniform eps=%g dir=%s", eps, d.name)
		}
	}

	ocT, ucT := theory.TauOC(gamma), theory.TauUC(gamma)
	for _, m := range ms {
		for _, t := range topMValues(k, m, ocT, ucT) {
			q := topM(k, m, t.v)
			if q == nil {
				continue
			}
			add(psi(q), "top-m q m=%d max=%s", m, t.name)
			add(q, "top-m eta m=%d max=%s", m, t.name)
		}
	}

	// m top classes at t, one class at 1 − m·t, the rest 0.
	for _, m := range ms {
		if m > k-2 {
			continue
		}
		for _, t := range topMValues(m+1, m, ocT, ucT) {
			q := topM(m+1, m, t.v)
			if q == nil {
				continue
			}
			v := make([]float64, k)
			copy(v, q)
			add(psi(v), "top-m+zeros q m=%d max=%s", m, t.name)
		}
	}

	// Fixed points off S^K: m top classes at t and the rest at
	// r = (1 − m t)/(K − m) with φ^γ(t) = φ^γ(r), so that Ψ^γ(η) = η and
	// q*(η) = η although η ∉ S^K (improper-off-sk). φ^γ rises up to τ_oc
	// and falls after it, so such t exist when r < τ_oc; each root is
	// bracketed by a sign change of log φ(t) − log φ(r) on a grid and
	// bisected to an ulp: the float64 η is within an ulp of an exact
	// fixed point, whose existence the sign change proves.
	if gamma > 0 {
		for _, m := range ms {
			if m >= k {
				continue
			}
			for _, t := range FixedPointTops(k, m, gamma, fixedPointGrid) {
				add(topM(k, m, t), "fixed point phi(t)=phi(r) m=%d t=%.6g", m, t)
			}
		}
	}

	for _, eps := range oneHotEps {
		v := make([]float64, k)
		v[0] = 1 - eps
		for i := 1; i < k; i++ {
			v[i] = eps / (kf - 1)
		}
		add(v, "near-one-hot eps=%g spread", eps)
		if k > 2 {
			w := make([]float64, k)
			w[0], w[1] = 1-eps, eps
			add(w, "near-one-hot eps=%g single", eps)
		}
	}
	return out
}

// topMs lists the numbers m of equal top classes the family uses: every m
// in 1..K−1 for K ≤ 16, about 16 log-spaced values (with K−1 and K−2)
// above.
func topMs(k int) []int {
	if k <= 16 {
		out := make([]int, k-1)
		for i := range out {
			out[i] = i + 1
		}
		return out
	}
	var out []int
	add := func(m int) {
		if m >= 1 && m <= k-1 && (len(out) == 0 || out[len(out)-1] < m) {
			out = append(out, m)
		}
	}
	for i := 0; i < 14; i++ {
		add(int(math.Round(math.Pow(float64(k-1), float64(i)/13))))
	}
	add(k - 2)
	add(k - 1)
	return out
}

type namedValue struct {
	name string
	v    float64
}

// topMValues lists the values of max q = t for the family with m top
// classes of K: t in (1/K, 1/m] (t < 1 for m = 1).
func topMValues(k, m int, ocT, ucT float64) []namedValue {
	lo, hi := 1/float64(k), 1/float64(m)
	var out []namedValue
	add := func(name string, t float64) {
		if t > lo && t <= hi && t < 1 {
			out = append(out, namedValue{name, t})
		}
	}
	for _, s := range []namedValue{{"tau_oc", ocT}, {"tau_uc", ucT}, {"1/2", 0.5}} {
		add(s.name+"-ulp", math.Nextafter(s.v, 0))
		add(s.name, s.v)
		add(s.name+"+ulp", math.Nextafter(s.v, 1))
	}
	for j := 1; j <= topMGrid; j++ {
		t := lo + (hi-lo)*float64(j)/(topMGrid+1)
		add(fmt.Sprintf("grid%d/%d", j, topMGrid+1), t)
	}
	for _, e := range toSKEps {
		add(fmt.Sprintf("(1-%g)/m", e), hi*(1-e))
	}
	for _, e := range fromUniformEps {
		add(fmt.Sprintf("(1+%g)/K", e), lo*(1+e))
	}
	return out
}

// fixedPointGrid is the number of grid intervals FixedPointTops scans for
// the structured family.
const fixedPointGrid = 64

// FixedPointTops returns the t in (1/K, 1/m) with φ^γ(t) = φ^γ(r),
// r = (1 − m t)/(K − m), in increasing order: then η = (t ×m, r ×(K−m)) is a
// fixed point of Ψ^γ, so q*(η) = η although η ∉ S^K. Each root is
// bracketed by a sign change of log φ^γ(t) − log φ^γ(r) between
// consecutive points of a grid of grid intervals of (1/K, 1/m), and bisected
// to an ulp (the lower end of the final bracket is returned); roots closer
// together than the grid's step can be missed in pairs. It is the one
// solver of these fixed points: the structured family uses it
// (fixedPointGrid) and report/ its fixed-point table.
func FixedPointTops(k, m int, gamma float64, grid int) []float64 {
	f := func(t float64) float64 {
		r := (1 - float64(m)*t) / float64(k-m)
		return math.Log(theory.Phi(t, gamma)) - math.Log(theory.Phi(r, gamma))
	}
	lo, hi := 1/float64(k), 1/float64(m)
	var out []float64
	a, fa := lo, math.NaN()
	for i := 1; i <= grid; i++ {
		b := lo + (hi-lo)*float64(i)/float64(grid)
		if i == grid {
			b = math.Nextafter(hi, 0)
		}
		fb := f(b)
		if fa*fb < 0 {
			x, y, fx := a, b, fa
			for {
				mid := x + (y-x)/2
				if mid <= x || mid >= y {
					break
				}
				if fm := f(mid); fm*fx > 0 {
					x, fx = mid, fm
				} else {
					y = mid
				}
			}
			out = append(out, x)
		}
		a, fa = b, fb
	}
	return out
}

// topM returns (t ×m, r ×(K−m)) with r = (1 − m·t)/(K − m), or nil when
// r < 0.
func topM(k, m int, t float64) []float64 {
	r := (1 - float64(m)*t) / float64(k-m)
	if r < 0 {
		return nil
	}
	v := make([]float64, k)
	for i := range v {
		if i < m {
			v[i] = t
		} else {
			v[i] = r
		}
	}
	return v
}

type direction struct {
	name string
	w    []float64
}

// directions returns displacement directions w with Σ w = 0 and
// max |w_i| = 1.
func directions(k int) []direction {
	kf := float64(k)
	up, down, half, ramp := make([]float64, k), make([]float64, k), make([]float64, k), make([]float64, k)
	h := k / 2
	for i := range k {
		up[i], down[i] = -1/(kf-1), 1/(kf-1)
		if i < h {
			half[i] = 1
		} else {
			half[i] = -float64(h) / float64(k-h)
		}
		ramp[i] = 1 - 2*float64(i)/(kf-1)
	}
	up[0], down[k-1] = 1, -1
	return []direction{{"one-up", up}, {"one-down", down}, {"half", half}, {"ramp", ramp}}
}

func constVec(k int, x float64) []float64 {
	v := make([]float64, k)
	for i := range v {
		v[i] = x
	}
	return v
}

// softmax writes exp(z_i − max z)/Σ into dst and returns it: a point of
// the simplex for any finite z (the unconstrained parametrization the
// adversarial strategy optimizes over).
func softmax(dst, z []float64) []float64 { return softmaxFloor(dst, z, 0) }

// softmaxFloor is softmax with each exp(z_i − max z) raised to at least
// floor before normalizing (so that every entry is at least floor/K).
func softmaxFloor(dst, z []float64, floor float64) []float64 {
	m := math.Inf(-1)
	for _, x := range z {
		m = math.Max(m, x)
	}
	var s float64
	for i, x := range z {
		dst[i] = math.Max(math.Exp(x-m), floor)
		s += dst[i]
	}
	for i := range dst {
		dst[i] /= s
	}
	return dst
}

// logits writes log v_i (≥ minLogit) into dst: a preimage of v under
// softmax, up to the clamp for zero entries.
func logits(dst, v []float64) []float64 {
	for i, x := range v {
		dst[i] = math.Max(math.Log(x), minLogit)
	}
	return dst
}

// minLogit stands for log 0: e^−745 underflows to 0 in float64.
const minLogit = -745
