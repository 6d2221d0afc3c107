// Package verify holds the registry of the paper's claims and of conjectures
// from the literature, each with a check that returns a signed margin, and
// (in later files) the search that looks for counterexamples.
package verify

import (
	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// Eval evaluates the quantities claims are about: the focal risk minimizer
// (exact and direct), Ψ^γ and the thresholds. The zero value evaluates with
// the float64 production kernels (theory, numeric); with HighPrecision set
// it evaluates with package hiprec (≥ 40 digits, rounded to float64 at the
// end), which is how a negative margin is confirmed. An Eval reuses its
// buffers: use one per goroutine, and copy results that must outlive the
// next call.
type Eval struct {
	// HighPrecision selects package hiprec instead of the float64 kernels.
	HighPrecision bool

	exact numeric.ExactSolver
	q     []float64
	psi   []float64
}

// Minimize returns q^{γ,*}(η) from the exact (KKT) minimizer, or from
// hiprec.Minimize with HighPrecision. The slice is reused by the next call.
func (ev *Eval) Minimize(eta []float64, gamma float64) ([]float64, error) {
	ev.q = grow(ev.q, len(eta))
	if ev.HighPrecision {
		qd, err := hiprec.Minimize(eta, gamma)
		if err != nil {
			return nil, err
		}
		for i, d := range qd {
			ev.q[i] = hiprec.Float(d)
		}
		return ev.q, nil
	}
	if _, err := ev.exact.Minimize(ev.q, eta, gamma); err != nil {
		return nil, err
	}
	return ev.q, nil
}

// Direct returns the minimizer found by numeric.Direct, which minimizes W
// itself and never calls h, φ or Ψ; with HighPrecision it returns the hiprec
// minimizer (an independent high-precision solution of the same problem).
// The slice is freshly allocated.
func (ev *Eval) Direct(eta []float64, gamma float64) ([]float64, error) {
	if ev.HighPrecision {
		qd, err := hiprec.Minimize(eta, gamma)
		if err != nil {
			return nil, err
		}
		q := make([]float64, len(qd))
		for i, d := range qd {
			q[i] = hiprec.Float(d)
		}
		return q, nil
	}
	r, err := numeric.Direct(eta, gamma, nil)
	if err != nil {
		return nil, err
	}
	return r.Q, nil
}

// Psi returns Ψ^γ(v). The slice is reused by the next call.
func (ev *Eval) Psi(v []float64, gamma float64) []float64 {
	ev.psi = grow(ev.psi, len(v))
	if ev.HighPrecision {
		for i, d := range hiprec.Psi(v, gamma) {
			ev.psi[i] = hiprec.Float(d)
		}
		return ev.psi
	}
	return theory.Psi(ev.psi, v, gamma)
}

// TauOC returns τ_oc^γ.
func (ev *Eval) TauOC(gamma float64) float64 {
	if ev.HighPrecision {
		return hiprec.Float(hiprec.TauOC(gamma))
	}
	return theory.TauOC(gamma)
}

// TauUC returns τ_uc^γ.
func (ev *Eval) TauUC(gamma float64) float64 {
	if ev.HighPrecision {
		return hiprec.Float(hiprec.TauUC(gamma))
	}
	return theory.TauUC(gamma)
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
