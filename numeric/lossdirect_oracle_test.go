package numeric

// The oracles of LossDirect's tests on general losses, and the η they run
// on. Neither oracle shares code with LossDirect: the Brier score's
// minimizer is η from its derivation, W = Σ_j (q_j − η_j)² + 1 − Σ_j η_j²
// (Brier 1950: strictly proper); the dual focal loss (Tao et al. 2023) has
// no closed-form minimizer, so its oracle is a second method, a search on
// W's values alone: a bracketed golden-section search at K = 2 (W is
// smooth there: the one non-target is its own maximum), a grid search that
// zooms on the best cell at K = 3, and gonum's Nelder–Mead restarted from
// its own result and from several starts at larger K.

import (
	"math"
	"math/rand/v2"
	"strconv"

	"gonum.org/v1/gonum/optimize"

	"github.com/focaltk/focal/loss"
)

// directEtaCase is one posterior of the general-loss tests, with the
// family it was drawn from (printed on failure).
type directEtaCase struct {
	family string
	eta    []float64
}

// directEtas draws n posteriors of K entries from each family: Dirichlet(1)
// ("random"); with a third of the entries (at least one, never all but
// none) set to 0 ("zeros"); with runs of equal entries ("ties"); with one
// entry 1 − δ, δ log-uniform in [1e-6, 1e-2] ("near1").
func directEtas(r *rand.Rand, k, n int) []directEtaCase {
	var out []directEtaCase
	dirichlet := func() []float64 {
		e := make([]float64, k)
		for i := range e {
			e[i] = -math.Log(1 - r.Float64())
		}
		return e
	}
	norm := func(e []float64) []float64 {
		var s float64
		for _, x := range e {
			s += x
		}
		for i := range e {
			e[i] /= s
		}
		return e
	}
	for range n {
		out = append(out, directEtaCase{"random", norm(dirichlet())})

		e := dirichlet()
		nz := max(1, k/3)
		for _, i := range r.Perm(k)[:nz] {
			e[i] = 0
		}
		if nz == k {
			e[0] = 1
		}
		out = append(out, directEtaCase{"zeros", norm(e)})

		e = dirichlet()
		run := max(2, k/3)
		for _, i := range r.Perm(k)[1:run] {
			e[i] = e[0]
		}
		if k == 2 {
			e[1] = e[0]
		}
		out = append(out, directEtaCase{"ties", norm(e)})

		d := math.Pow(10, -2-4*r.Float64())
		e = norm(dirichlet())
		top := r.IntN(k)
		var rest float64
		for i := range e {
			if i != top {
				rest += e[i]
			}
		}
		for i := range e {
			e[i] *= d / rest
		}
		e[top] = 1 - d
		out = append(out, directEtaCase{"near1", e})
	}
	return out
}

func fmtVec(v []float64) string {
	s := "("
	for i, x := range v {
		if i > 0 {
			s += ", "
		}
		s += strconv.FormatFloat(x, 'g', -1, 64)
	}
	return s + ")"
}

// oracleMinimize returns the oracle's minimizer of W(·; η) for a general
// loss (see the file comment) and W there. Coordinates with η_j = 0 are
// searched like the others (a general loss's W depends on them).
func oracleMinimize(eta []float64, l *loss.Loss) ([]float64, float64) {
	w := func(q []float64) float64 {
		v := l.Risk(q, eta)
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}
	switch len(eta) {
	case 2:
		return oracleGolden(w)
	case 3:
		return oracleGrid3(w)
	}
	return oracleNelderMead(eta, w)
}

// oracleGolden: W at K = 2 as a function of p = q_0 on a grid of 2000
// cells, then golden-section search on the two cells around the best grid
// point, 100 times (the bracket shrinks by 0.618 each time, to far below
// an ulp of q).
func oracleGolden(w func([]float64) float64) ([]float64, float64) {
	f := func(p float64) float64 { return w([]float64{p, 1 - p}) }
	const n = 2000
	best, bp := math.Inf(1), 0.5
	for i := 0; i <= n; i++ {
		p := float64(i) / n
		if v := f(p); v < best {
			best, bp = v, p
		}
	}
	a, b := math.Max(0, bp-1.0/n), math.Min(1, bp+1.0/n)
	const phi = 0.6180339887498949
	c, d := b-phi*(b-a), a+phi*(b-a)
	fc, fd := f(c), f(d)
	for range 100 {
		if fc <= fd {
			b, d, fd = d, c, fc
			c = b - phi*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + phi*(b-a)
			fd = f(d)
		}
	}
	for _, p := range []float64{a, b, (a + b) / 2} {
		if v := f(p); v < best {
			best, bp = v, p
		}
	}
	return []float64{bp, 1 - bp}, best
}

// oracleGrid3: W at K = 3 on a triangular grid of step 1/200, then a
// 21×21 grid of half-width two steps around the best point, the step
// shrinking by 3 each time, 40 times (to a width far below an ulp of q).
func oracleGrid3(w func([]float64) float64) ([]float64, float64) {
	q := make([]float64, 3)
	at := func(a, b float64) float64 {
		if a < 0 || b < 0 || a+b > 1 {
			return math.Inf(1)
		}
		q[0], q[1], q[2] = a, b, 1-a-b
		return w(q)
	}
	const n = 200
	best, ba, bb := math.Inf(1), 1.0/3, 1.0/3
	for i := 0; i <= n; i++ {
		for j := 0; i+j <= n; j++ {
			a, b := float64(i)/n, float64(j)/n
			if v := at(a, b); v < best {
				best, ba, bb = v, a, b
			}
		}
	}
	h := 1.0 / n
	for range 40 {
		ca, cb := ba, bb
		for i := -10; i <= 10; i++ {
			for j := -10; j <= 10; j++ {
				a, b := ca+float64(i)*h/5, cb+float64(j)*h/5
				if v := at(a, b); v < best {
					best, ba, bb = v, a, b
				}
			}
		}
		h /= 3
	}
	return []float64{ba, bb, 1 - ba - bb}, best
}

// oracleNelderMead: gonum's Nelder–Mead on W in softmax coordinates
// (all K free, z_0 pinned at 0) from η mixed with the uniform vector at
// three weights and from the uniform vector, each run restarted from its
// result until W stops decreasing (a restart rebuilds the simplex, the
// usual remedy for Nelder–Mead's stalls); the best point.
func oracleNelderMead(eta []float64, w func([]float64) float64) ([]float64, float64) {
	k := len(eta)
	q := make([]float64, k)
	fill := func(z []float64) []float64 {
		m := 0.0
		for _, v := range z {
			m = math.Max(m, v)
		}
		s := math.Exp(-m)
		q[0] = s
		for i, v := range z {
			q[i+1] = math.Exp(v - m)
			s += q[i+1]
		}
		for i := range q {
			q[i] /= s
		}
		return q
	}
	f := func(z []float64) float64 { return w(fill(z)) }
	bestW := math.Inf(1)
	var bestQ []float64
	for _, mix := range []float64{0.5, 0.9, 0.1, 0} {
		z := make([]float64, k-1)
		for i := range z {
			u := mix*eta[i+1] + (1-mix)/float64(k)
			u0 := mix*eta[0] + (1-mix)/float64(k)
			z[i] = math.Log(u / u0)
		}
		prev := math.Inf(1)
		for range 30 {
			res, err := optimize.Minimize(optimize.Problem{Func: f}, z, &optimize.Settings{
				MajorIterations: 20000,
				Converger:       &optimize.FunctionConverge{Absolute: 1e-17, Iterations: 200},
			}, &optimize.NelderMead{SimplexSize: 0.05})
			if err != nil && res == nil {
				break
			}
			z = res.X
			if !(res.F < prev) {
				break
			}
			prev = res.F
		}
		if prev < bestW {
			bestW = prev
			bestQ = append([]float64(nil), fill(z)...)
		}
	}
	return bestQ, bestW
}
