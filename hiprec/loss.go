package hiprec

// The oracle for package numeric's exact solver of other separable losses:
// the KKT system of the loss lab,
//
//	η_j (−g′(q_j)) − r′(q_j) = λ,  Σ_j q_j = 1,
//
// with each built-in loss's −g′ written here from its definition,
// independently of packages loss and theory:
//
//	ce       g = −log u              −g′ = 1/u
//	poly1    g = −log u + ε(1−u)     −g′ = 1/u + ε
//	gce      g = (1 − u^A)/A         −g′ = u^(A−1)
//	ls       g = −(1−ε) log u,  r = −(ε/K) log u:  −g′ = (1−ε)/u, −r′ = ε/(K u)
//
// For each of them the coordinate equation inverts in closed form,
// q_j(λ) = η_j/λ, η_j/(λ − η_j ε), (η_j/λ)^(1/(1−A)) and
// ((1−ε)η_j + ε/K)/λ, so the system is one monotone scalar equation
// Σ_j q_j(λ) = 1, solved by bisection at the working precision. The focal
// loss has its own solver (Minimize).

import (
	"fmt"
	"math"
	"math/big"

	"github.com/cockroachdb/apd/v3"
)

// LossMinimize returns the minimizer of W(q; η) over the simplex for the
// built-in separable loss named ("ce", "poly1" with ε = param ≥ 0, "gce"
// with A = param in (0, 1), "ls" with ε = param in [0, 1), "focal" with
// γ = param), to Digits digits. Entries with η_j = 0 are 0 (except for
// ls, where every q_j ≥ ε/K). Errors wrap ErrDomain.
func LossMinimize(name string, param float64, eta []float64) ([]*apd.Decimal, error) {
	if name == "focal" {
		return Minimize(eta, param)
	}
	if len(eta) < 2 {
		return nil, fmt.Errorf("%w: %d classes, want at least 2", ErrDomain, len(eta))
	}
	for i, e := range eta {
		if !(e >= 0) || math.IsInf(e, 1) {
			return nil, fmt.Errorf("%w: eta[%d] = %v", ErrDomain, i, e)
		}
	}
	k := defaultCalc
	kk := k.int(int64(len(eta)))
	etas := make([]*big.Float, len(eta))
	var sum *big.Float = k.nf()
	for i, e := range eta {
		etas[i] = k.num(e)
		sum = k.add(sum, etas[i])
	}
	// Normalize η exactly as a posterior (Σ η = 1 at the working precision).
	for i := range etas {
		etas[i] = k.quo(etas[i], sum)
	}
	var inv func(eta, lam *big.Float) *big.Float
	switch name {
	case "ce":
		inv = func(e, lam *big.Float) *big.Float { return k.quo(e, lam) }
	case "poly1":
		if !(param >= 0) || math.IsInf(param, 1) {
			return nil, fmt.Errorf("%w: poly1 eps = %v, want ε ≥ 0", ErrDomain, param)
		}
		eps := k.num(param)
		inv = func(e, lam *big.Float) *big.Float {
			d := k.sub(lam, k.mul(e, eps))
			if d.Sign() <= 0 {
				return k.one()
			}
			return k.quo(e, d)
		}
	case "gce":
		if !(param > 0 && param < 1) {
			return nil, fmt.Errorf("%w: gce q = %v, want 0 < A < 1 (A = 1 has no unique minimizer)", ErrDomain, param)
		}
		p := k.quo(k.one(), k.sub(k.one(), k.num(param)))
		inv = func(e, lam *big.Float) *big.Float {
			if e.Sign() == 0 {
				return k.nf()
			}
			return k.exp(k.mul(p, k.ln(k.quo(e, lam))))
		}
	case "ls":
		if !(param >= 0 && param < 1) {
			return nil, fmt.Errorf("%w: ls eps = %v, want 0 ≤ ε < 1", ErrDomain, param)
		}
		eps := k.num(param)
		inv = func(e, lam *big.Float) *big.Float {
			c := k.add(k.mul(k.sub(k.one(), eps), e), k.quo(eps, kk))
			return k.quo(c, lam)
		}
	default:
		return nil, fmt.Errorf("%w: no oracle for loss %q (have ce, focal, poly1, gce, ls)", ErrDomain, name)
	}
	q := make([]*big.Float, len(eta))
	s := func(lam *big.Float) *big.Float {
		t := k.nf()
		for i, e := range etas {
			q[i] = inv(e, lam)
			if q[i].Cmp(k.one()) > 0 {
				q[i] = k.one()
			}
			t = k.add(t, q[i])
		}
		return t
	}
	lo, hi := k.one(), k.one()
	// Expand while the sum is still at least 1 (not only above it): with
	// η = (1, 1e-300) and poly1 the sum at λ = 1 is 1 + 1e-300, which
	// rounds to 1 at the working precision, and stopping there returned
	// λ = 1 (q_2 = 1e-300 instead of 5e-301).
	for s(hi).Cmp(k.one()) >= 0 {
		hi = k.mul(hi, k.int(2))
	}
	for s(lo).Cmp(k.one()) < 0 {
		lo = k.half(lo)
	}
	// Bisect to a relative width of 2^-(bits−4).
	tol := new(big.Float).SetMantExp(k.one(), -int(k.bits-4))
	for k.sub(hi, lo).Cmp(k.mul(lo, tol)) > 0 {
		m := k.half(k.add(lo, hi))
		if s(m).Cmp(k.one()) >= 0 {
			lo = m
		} else {
			hi = m
		}
	}
	t := s(lo)
	out := make([]*apd.Decimal, len(eta))
	for i := range q {
		out[i] = k.dec(k.quo(q[i], t))
	}
	return out, nil
}
