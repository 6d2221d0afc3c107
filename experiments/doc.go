// Package experiments reproduces the experiments of Charoenphakdee et al.,
// "On Focal Loss for Class-Posterior Probability Estimation: A Theoretical
// Perspective" (CVPR 2021): the synthetic illustration of Sec. 5.2 (Fig. 3)
// and, at small scale, the comparison of raw and Ψ^γ-transformed outputs of
// Sec. 6 (Fig. 5) on real data.
//
// # What runs
//
// Synthetic trains three models (cross-entropy, focal loss γ = 1 and
// γ = 5) on 40 000 samples of a known 1-D, 3-class problem and scores, on
// 40 000 test samples, the raw outputs q, temperature scaling (TS, fitted
// by NLL on 10 000 validation samples with calibrate.FitTemperature) and
// Ψ^γ(q) (theory.Psi): error rate, mean KL(η(x) ‖ ·) over the test x
// (possible only because η is known), ECE and NLL. It also measures how
// close each fit came to the focal risk minimizer q^{γ,*}(η(x))
// (numeric.Exact), since Thm 11 promises Ψ^γ(q) = η only at that minimizer.
//
// RealData trains softmax regression with γ ∈ {0, 1, 2, 3} on 10 random
// stratified splits of each of four small UCI data sets and scores the
// raw outputs, Ψ^γ of them, and TS for reference: ECE, NLL and error rate.
//
// Each result has Markdown (tables with fixed digits, identical for
// identical results), Summary (facts computed from the numbers, such as in
// how many cells Ψ lowers the ECE) and Plot (Fig. 3-like curves; Fig.
// 5-like box plots).
//
// # Model and training
//
// Both experiments fit a linear softmax model, q(x) = softmax(W f(x)), by
// minimizing the full-batch empirical focal risk (Eq. 4 with the loss of
// Eq. 5) plus a small L2 penalty on the non-intercept weights with L-BFGS
// (gonum/optimize) from W = 0, using the analytic gradient
//
//	∂ℓ/∂z_j = φ^γ(q_y)·(q_j − [j = y]),
//
// φ^γ of Eq. 10, derived and checked against finite differences in the
// tests. On the synthetic problem f(x) is a rich fixed basis (intercept, x,
// x², 24 Gaussian bumps): it contains the true posterior exactly for γ = 0
// and approximates q^{γ,*}(η(x)) closely where p(x) has mass, at a fraction
// of the cost and none of the local minima of the paper's MLP. On the real
// data f(x) is the standardized feature vector (mean and standard
// deviation of the training rows). Training uses no randomness, and each
// data set draws from its own PCG stream (seed, stream), so results depend
// only on the seed, not on how the concurrent fits are scheduled.
//
// # Cost
//
// Measured on the 2-core reference machine, Synthetic takes about 7 s of
// CPU time and RealData about 4 s. The fits run on GOMAXPROCS goroutines,
// so on an idle machine the wall time is roughly the CPU time divided by
// the number of cores (Synthetic: at least its longest fit, about 3 s).
// The results carry their wall time in Elapsed.
//
// # Data
//
// The real data sets are copies of UCI Machine Learning Repository data
// sets (CC BY 4.0) as scikit-learn ships them: optical recognition of
// handwritten digits (E. Alpaydin, C. Kaynak), breast cancer Wisconsin
// diagnostic (W. H. Wolberg, W. N. Street, O. L. Mangasarian), wine
// recognition (M. Forina et al.) and iris (R. A. Fisher). They live in
// experiments/data with their own descriptions (.rst); data/README.md
// gives the sources and the file layout.
package experiments
