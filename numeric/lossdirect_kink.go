package numeric

import (
	"math"
	"math/rand/v2"

	"github.com/focaltk/focal/loss"
)

// LossDirect's gradient sampling at a kink of W (lossdirect.go's doc):
// the sampler, its polish loop, and Wolfe's minimum-norm point of a convex
// hull (written here: gonum has no quadratic programming solver, and the
// problem is the small dense one Wolfe's algorithm solves exactly).

// kinkSampler is LossDirect's gradient sampling in softmax coordinates z
// of the free coordinates.
type kinkSampler struct {
	l    *loss.Loss
	eta  []float64
	free []int
	q    []float64 // scratch: softmax(z)
}

func (ks *kinkSampler) f(z []float64) float64 {
	softmaxInto(ks.q, z, ks.free)
	v := ks.l.Risk(ks.q, ks.eta)
	if math.IsNaN(v) {
		return math.Inf(1)
	}
	return v
}

// gradZ sets dst to ∂W̃/∂z at z by central differences with step h (W̃(z)
// = W(softmax(z)); = q_i (G_i − Ḡ)).
func (ks *kinkSampler) gradZ(dst, z []float64, h float64) {
	x := append([]float64(nil), z...)
	for j := range z {
		x[j] = z[j] + h
		fp := ks.f(x)
		x[j] = z[j] - h
		fm := ks.f(x)
		x[j] = z[j]
		dst[j] = (fp - fm) / (2 * h)
	}
}

// polish runs gradient sampling from z. It returns the last iterate, the
// certificate there (the distance from 0 to the hull of the scaled
// gradients sampled within LossDirectKinkRadius; +Inf if not reached), the
// iterations, and whether it stopped by its test rather than its budget.
//
// Each iteration samples m = 4n+1 points z + ρu (u uniform in the unit
// ball; the first is z itself), their gradients ∂W̃/∂z_j by central
// differences with step ρ/8, and two images of them with the weights of
// the center q: φ_j = w_j ∂W̃/∂z_j/(q_j S), the KKT residual's vector
// (LossDirect), for the test, and ψ_j = ∂W̃/∂z_j/(√q_j S), the gradient in
// the coordinates y_j = z_j √q_j scaled by S, for the step (in those
// coordinates the Hessian of −Σ η_j log q_j is near the identity, so a unit
// step is Newton's). The test's hull takes only the sampled points other
// than z whose φ agrees within LossDirectKinkAccept/4 with the φ of step
// ρ/16: a stencil that straddles a kink mixes the two sides' derivatives
// by weights that change with the step, and a mixture is not a gradient
// (it could place 0 in a hull that the true gradients do not reach).
// Fewer points only make the hull smaller, so the test stays sound. The
// step is z_j −= t v_j/√q_j, v the shortest vector
// in the hull of the ψ, t halved from 1 until W decreases by at least
// 1e-4 t S |v|²; the shortest vector in the hull of the φ below
// LossDirectKinkAccept shrinks ρ by 10, or ends the run at
// LossDirectKinkRadius. So does a failed line search (ρ too large for the
// hull to reflect the gradients near z), and below LossDirectKinkRadius
// the run ends without a certificate.
func (ks *kinkSampler) polish(z []float64) ([]float64, float64, int, bool) {
	n := len(z)
	m := 4*n + 1
	r := rand.New(rand.NewPCG(0x5eed, uint64(n)))
	rho := 1e-3
	pts := make([][]float64, m)
	gz := make([][]float64, m)
	gz2 := make([][]float64, m)
	phi := make([][]float64, m)
	psi := make([][]float64, m)
	for i := range pts {
		pts[i] = make([]float64, n)
		gz[i] = make([]float64, n)
		gz2[i] = make([]float64, n)
		phi[i] = make([]float64, n)
		psi[i] = make([]float64, n)
	}
	qc := make([]float64, n)
	trial := make([]float64, n)
	for it := 0; it < lossKinkMaxIter; it++ {
		fz := ks.f(z)
		for j, i := range ks.free {
			qc[j] = ks.q[i]
		}
		s := math.Abs(fz)
		for k := range m {
			copy(pts[k], z)
			if k > 0 {
				var nn float64
				for j := range n {
					pts[k][j] = r.NormFloat64()
					nn += pts[k][j] * pts[k][j]
				}
				rad := rho * math.Pow(r.Float64(), 1/float64(n)) / math.Sqrt(nn)
				for j := range n {
					pts[k][j] = z[j] + rad*pts[k][j]
				}
			}
			ks.gradZ(gz[k], pts[k], rho/8)
			ks.gradZ(gz2[k], pts[k], rho/16)
			for j := range n {
				if qc[j] > 0 {
					s = math.Max(s, math.Abs(gz[k][j])/qc[j])
				}
			}
		}
		if s == 0 || math.IsInf(s, 0) || math.IsNaN(s) {
			return z, math.Inf(1), it, false
		}
		var cphi [][]float64
		for k := range m {
			consistent := k > 0
			for j := range n {
				w := math.Min(1, qc[j]/LossDirectResolution)
				if gz[k][j] < 0 {
					w = 1 // G_j < Ḡ: the boundary's weight does not apply (LossDirect)
				}
				phi[k][j] = w * gz[k][j] / (qc[j] * s)
				psi[k][j] = gz[k][j] / (math.Sqrt(qc[j]) * s)
				if !(math.Abs(phi[k][j]-w*gz2[k][j]/(qc[j]*s)) <= LossDirectKinkAccept/4) {
					consistent = false
				}
			}
			if consistent {
				cphi = append(cphi, phi[k])
			}
		}
		cert := math.Inf(1)
		if len(cphi) > 0 {
			cert = norm2(minNormPoint(cphi))
		}
		if cert <= LossDirectKinkAccept {
			if rho <= LossDirectKinkRadius*(1+1e-9) {
				return z, cert, it + 1, true
			}
			rho /= 10
			continue
		}
		v := minNormPoint(psi)
		vv := norm2(v)
		t := 1.0
		ok := false
		for range 40 {
			for j := range n {
				trial[j] = z[j] - t*v[j]/math.Sqrt(qc[j])
			}
			if ft := ks.f(trial); ft <= fz-1e-4*t*s*vv*vv && ft < fz {
				ok = true
				break
			}
			t /= 2
		}
		if !ok {
			if rho <= LossDirectKinkRadius*(1+1e-9) {
				return z, math.Inf(1), it + 1, true
			}
			rho /= 10
			continue
		}
		copy(z, trial)
	}
	return z, math.Inf(1), lossKinkMaxIter, false
}

func norm2(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// minNormPoint returns the point of least Euclidean norm in the convex
// hull of pts, by Wolfe's algorithm (P. Wolfe 1976, "Finding the nearest
// point in a polytope", Math. Programming 11): a corral of points whose
// affine minimum-norm point lies in their relative interior grows by the
// point most opposed to the current one and shrinks (a minor cycle) where
// that affine point leaves the hull. Any point it returns is in the hull,
// so its norm bounds the distance from 0 to the hull from above whatever
// the rounding.
func minNormPoint(pts [][]float64) []float64 {
	n := len(pts[0])
	best := 0
	for k := range pts {
		if norm2(pts[k]) < norm2(pts[best]) {
			best = k
		}
	}
	set := []int{best}
	lam := []float64{1}
	x := append([]float64(nil), pts[best]...)
	combine := func(set []int, a []float64) []float64 {
		y := make([]float64, n)
		for i, k := range set {
			for j := range n {
				y[j] += a[i] * pts[k][j]
			}
		}
		return y
	}
	var scale float64
	for _, p := range pts {
		scale = math.Max(scale, norm2(p))
	}
	const tol = 1e-12
	for major := 0; major < 10*len(pts)+10; major++ {
		xx := dot(x, x)
		if xx == 0 {
			return x
		}
		j, mj := -1, math.Inf(1)
		for k, p := range pts {
			if d := dot(x, p); d < mj {
				j, mj = k, d
			}
		}
		if xx-mj <= tol*scale*scale || contains(set, j) {
			return x
		}
		set = append(set, j)
		lam = append(lam, 0)
		for minor := 0; minor < len(pts)+1; minor++ {
			a := affineMinNorm(pts, set)
			if a == nil {
				return x
			}
			if allPositive(a) {
				lam = a
				x = combine(set, lam)
				break
			}
			theta := 1.0
			for i := range a {
				if a[i] <= 0 {
					theta = math.Min(theta, lam[i]/(lam[i]-a[i]))
				}
			}
			var ns []int
			var nl []float64
			for i := range a {
				v := lam[i] + theta*(a[i]-lam[i])
				if v > tol {
					ns = append(ns, set[i])
					nl = append(nl, v)
				}
			}
			set, lam = ns, nl
			var sum float64
			for _, v := range lam {
				sum += v
			}
			for i := range lam {
				lam[i] /= sum
			}
			x = combine(set, lam)
		}
	}
	return x
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func contains(s []int, j int) bool {
	for _, v := range s {
		if v == j {
			return true
		}
	}
	return false
}

func allPositive(a []float64) bool {
	for _, v := range a {
		if !(v > 0) {
			return false
		}
	}
	return true
}

// affineMinNorm returns the weights a (Σ a = 1) of the least-norm point
// of the affine hull of pts[set]: the solution of [P P′ 1; 1′ 0][a; μ] =
// [0; 1] by Gaussian elimination with partial pivoting; nil if singular.
func affineMinNorm(pts [][]float64, set []int) []float64 {
	s := len(set)
	a := make([][]float64, s+1)
	for i := range a {
		a[i] = make([]float64, s+2)
	}
	for i := range s {
		for j := range s {
			a[i][j] = dot(pts[set[i]], pts[set[j]])
		}
		a[i][s] = 1
		a[s][i] = 1
	}
	a[s][s+1] = 1
	m := s + 1
	for c := range m {
		p := c
		for r := c + 1; r < m; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if a[p][c] == 0 {
			return nil
		}
		a[c], a[p] = a[p], a[c]
		for r := c + 1; r < m; r++ {
			f := a[r][c] / a[c][c]
			for cc := c; cc <= m; cc++ {
				a[r][cc] -= f * a[c][cc]
			}
		}
	}
	x := make([]float64, m)
	for r := m - 1; r >= 0; r-- {
		v := a[r][m]
		for c := r + 1; c < m; c++ {
			v -= a[r][c] * x[c]
		}
		x[r] = v / a[r][r]
	}
	for _, v := range x[:s] {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
	}
	return x[:s]
}
