// Package hiprec evaluates the quantities of "On Focal Loss for
// Class-Posterior Probability Estimation: A Theoretical Perspective"
// (Charoenphakdee et al., CVPR 2021) to at least Digits significant decimal
// digits: φ^γ (Eq. 10), ln h^γ (Eq. 13), the recovery transform Ψ^γ
// (Eq. 12), also from logits (PsiLogits), the thresholds τ_oc^γ and τ_uc^γ (Thm 8), the focal risk W
// (Eq. 7) and its minimizer q^{γ,*} over the simplex, and the
// over-confidence margin and gap that confirm package verify's boundary
// search (OCMargin, OCGap, NearUniformGap).
//
// It is an oracle: the accuracy tests of the float64 package theory compare
// against it, and package verify re-checks candidate counterexamples with
// it. It is written from the paper's equations independently of package
// theory and imports no package of this module.
//
// # Inputs and outputs
//
// float64 arguments are taken exactly (Exact gives the decimal value of a
// float64; apd's SetFloat64 would give the shortest decimal that rounds to
// it instead). Results are apd Decimals rounded to 60 significant digits;
// Float rounds a Decimal to the nearest float64, and RelErr and ULPs measure
// a float64 result against a Decimal one. A probability very close to 1
// (a component of Minimize or Psi) is returned as the exact decimal 1 − c
// with c rounded to 60 digits, so that 1 − q, formed exactly, keeps all its
// digits. The *Decimal variants take decimal probabilities, used exactly,
// for example to evaluate Ψ at Minimize's result.
//
// Bad arguments give NaN Decimals (Minimize: an error wrapping ErrDomain);
// poles give Decimals with Form apd.Infinite. Each function lists its
// special cases.
//
// # Method and accuracy
//
// The arithmetic is binary floating point (math/big.Float) with
// 70 significant digits (233 bits) for compound formulas and 40 bits more
// inside exp, ln and log1p, which are implemented here by argument
// reduction and series and are checked in the tests against the independent
// implementations of github.com/cockroachdb/apd at 100 digits. (apd itself
// is used for exact decimal input and output only: at 70 digits its
// operations are ~20 times slower than big.Float's, which made the
// minimizer too slow.)
//
// Why Digits = 40 holds:
//
//   - No formula cancels. The two terms of φ are both positive on (0, 1);
//     logarithms of numbers near 1 are formed from exactly known
//     complements (1 − v is exact for a float64 v ≥ 1/2, and is carried
//     alongside v everywhere); ln h uses the factored
//     ln φ = γ ln(1−v) + ln(1 + γw); τ_uc is solved as ln φ/γ = 0, which
//     stays O(1) as γ → 0; the minimizer works in logit coordinates, where
//     both q and 1 − q are relative-accurate.
//   - The amplification that remains is bounded: γ·|ln(1−v)| ≤ 3.7·10⁴ for
//     γ ≤ 1000 and float64 v, which costs at most 5 of the 10 guard digits.
//     Roots are isolated by bisection and polished by Newton to a step of
//     10^-65 (relative for τ).
//   - The tests recompute every quantity at 100 to 150 digits (the same
//     code with a larger precision) over edge cases (v ∈ {5e-324, 1e-300,
//     1 − 2^-53}, γ ∈ {1e-6, …, 1000}, near one-hot η) and require
//     agreement to 50 digits; they check known values (τ_oc(1) = e^{−2},
//     τ_uc(1) = e^{−1}, φ²(1/2) = 1/4 + ln 2/2) and the defining equations
//     at the roots to 45 digits; and they check the minimizer against its
//     definition (W(q*) below W at every pairwise perturbation of relative
//     size 10^-40) and Ψ(q*(η)) = η/Σ η to 45 digits.
//
// Speed: about 0.15 ms for Phi or LogH, 5–13 ms for Minimize with K = 10
// and 15–40 ms with K = 30. This package is for tests and confirmation, never a hot
// path. All functions are safe for concurrent use.
package hiprec

// Digits is the number of significant decimal digits that every finite
// result is guaranteed to carry (results are rounded to 60; see the package
// comment for why at least 40 are correct).
const Digits = 40
