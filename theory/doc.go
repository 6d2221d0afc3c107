// Package theory implements, in float64, the closed forms of
// "On Focal Loss for Class-Posterior Probability Estimation: A Theoretical
// Perspective" (Charoenphakdee, Vongkulbhisal, Chairatanakul, Sugiyama,
// CVPR 2021): the focal loss (Eq. 5), the pointwise risk W (Eq. 7), φ^γ
// (Eq. 10), h^γ (Eq. 13), the recovery transform Ψ^γ (Eq. 12), the
// confidence thresholds τ_oc^γ and τ_uc^γ (Thm 8), membership of S^K
// (Prop 6) and the confidence class of a minimizer (Def. 7).
//
// Like package math, functions here never panic on bad values and never
// return errors: they return NaN outside their domain and ±Inf at poles, and
// each doc comment lists its special cases. Slice length mismatches are
// programmer errors and panic. The argument order is the same everywhere: the
// probability vector or value first, gamma last.
//
// The package imports only the standard library. On amd64 CPUs with AVX2
// and FMA (detected at run time), Psi, PsiRows and Logs run assembly kernels
// (psi_amd64.s) that give the portable code's results bit for bit; the
// purego build tag turns them off. The accuracy of every function is
// measured against the independent 40-digit oracle in package hiprec; the
// figures are in docs/numerics.md.
package theory
