package numeric_test

import (
	"errors"
	"math"
	"testing"

	"github.com/focaltk/focal/internal/fuzzvec"
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// Fuzz targets of the minimizers and the batch kernels (those of the
// matrix readers and writers are in package matio). Each checks, for any input, an invariant that needs
// no oracle: no panic; an error exactly where the input is invalid
// (ValidateEta), of the documented type; and on valid input, outputs in
// [0, 1] summing to 1, zeros and ties kept, the argmax kept. Seeds: the
// f.Add calls and testdata/fuzz/<target>/; CI runs each target briefly
// (.ci/run).

// fuzzVec and fuzzBytes are the decoding shared with the other package's
// fuzz targets (internal/fuzzvec), so that a seed means the same vector in
// both.
var (
	fuzzVec   = fuzzvec.Decode
	fuzzBytes = fuzzvec.Encode
)

// toSimplex divides v by its sum when every entry is in [0, 1] and the sum
// is positive (numeric.Normalize), so that most fuzz inputs are valid η.
func toSimplex(v []float64) {
	var s float64
	for _, x := range v {
		if !(x >= 0 && x <= 1) {
			return
		}
		s += x
	}
	if s > 0 {
		numeric.Normalize(v)
	}
}

// fuzzSumTol is the tolerance on |Σ q_i − 1| of a minimizer: Exact drives
// a compensated sum to 0 (a few ulps), Direct normalizes a softmax (K ulps);
// 2(K + 4) ulps, for K ≤ 64, is below 2e-14.
func fuzzSumTol(k int) float64 { return 2 * float64(k+4) * 0x1p-52 }

// argmaxSep: the relative gap by which the largest η_i must exceed every
// other for argmax q* = argmax η to be required of the float64 result (q*
// is within a few ulps·max(1, γ|log(1−q_i)|) of exact for γ ≤ 1000,
// exact.go; and h is increasing, so exactly argmax q* = argmax η).
const argmaxSep = 1e-6

// fuzzMaxGamma is the γ up to which Exact must converge: the range
// verify accepts (verify.MaxGamma), where the solver is measured.
const fuzzMaxGamma = 1000

// checkMinimizer checks a minimizer's result on valid η: Q in [0, 1],
// summing to 1, Q_i = 0 exactly where η_i = 0, equal η_i giving equal Q_i
// (within tieTol relative: 0 for Exact, whose ties follow identical
// arithmetic), and the argmax of η kept when it is ahead by argmaxSep.
func checkMinimizer(t *testing.T, name string, res numeric.Result, eta []float64, gamma, tieTol float64) {
	t.Helper()
	q := res.Q
	if len(q) != len(eta) {
		t.Fatalf("%s(%v, γ = %v): %d entries", name, eta, gamma, len(q))
	}
	var sum float64
	for i, x := range q {
		if !(x >= 0 && x <= 1) {
			t.Fatalf("%s(%v, γ = %v): q[%d] = %v outside [0, 1]", name, eta, gamma, i, x)
		}
		if (eta[i] == 0) != (x == 0) && eta[i] >= 0x1p-1022 {
			t.Fatalf("%s(%v, γ = %v): q[%d] = %v for η_i = %v", name, eta, gamma, i, x, eta[i])
		}
		if eta[i] == 0 && x != 0 {
			t.Fatalf("%s(%v, γ = %v): q[%d] = %v for η_i = 0", name, eta, gamma, i, x)
		}
		sum += x
	}
	// η may be off the simplex by up to SumTol (ValidateEta); where q* = η
	// (γ = 0, one positive entry, η in S^K) Exact returns η as it is.
	var etaSum float64
	for _, e := range eta {
		etaSum += e
	}
	// Beyond γ|log(1−q_i)| ≈ 1 the entries' error grows like that many
	// ulps (exact.go), and so does the sum's.
	amp := 1.0
	for _, x := range q {
		amp = math.Max(amp, -gamma*math.Log1p(-x))
	}
	if d := math.Abs(sum - 1); d > fuzzSumTol(len(q))*amp+math.Abs(etaSum-1) {
		t.Fatalf("%s(%v, γ = %v) = %v sums to 1%+g", name, eta, gamma, q, sum-1)
	}
	for i := range eta {
		for j := i + 1; j < len(eta); j++ {
			if eta[i] == eta[j] && math.Abs(q[i]-q[j]) > tieTol*math.Max(q[i], q[j]) {
				t.Fatalf("%s(%v, γ = %v): η_%d = η_%d but q = %v, %v", name, eta, gamma, i, j, q[i], q[j])
			}
		}
	}
	m := theory.Argmax(eta)
	sep := true
	for i, x := range eta {
		if i != m && x != eta[m] && !(eta[m] > x*(1+argmaxSep)) {
			sep = false
		}
	}
	// Ties at the top: Exact keeps them exact, so its argmax is m itself
	// (the smallest index); Direct's may be any of the tied entries.
	// Beyond fuzzMaxGamma q* is too flat in η to resolve: the gap
	// argmaxSep in η shrinks to about argmaxSep/γ in q*.
	if a := theory.Argmax(q); sep && gamma <= fuzzMaxGamma && a != m && !(tieTol > 0 && eta[a] == eta[m]) {
		t.Fatalf("%s(%v, γ = %v) = %v: argmax %d, want %d", name, eta, gamma, q, a, m)
	}
}

// checkInputError checks that err is an *InputError exactly when
// ValidateEta rejects (eta, gamma).
func checkInputError(t *testing.T, name string, err error, eta []float64, gamma float64) bool {
	t.Helper()
	verr := numeric.ValidateEta(eta, gamma)
	var ie *numeric.InputError
	switch {
	case verr == nil && err != nil:
		t.Fatalf("%s(%v, γ = %v): error %v on valid input", name, eta, gamma, err)
	case verr != nil && !errors.As(err, &ie):
		t.Fatalf("%s(%v, γ = %v): error %v, want the *InputError %v", name, eta, gamma, err, verr)
	case verr != nil && ie.Index >= len(eta):
		t.Fatalf("%s: InputError index %d of %d entries", name, ie.Index, len(eta))
	}
	return verr == nil
}

// psiRoundTripTol is the absolute tolerance of Ψ(q*) = η (Thm 11) in
// FuzzExact: q* and Ψ are each within a few ulps·max(1, γ|log(1−q)|)
// relative (exact.go, psi.go), at most 4·10^4 ulps ≈ 1e-11 for γ ≤ 1000
// and q ≤ 1 − 2^−53; 1e-9 leaves a margin of 100.
const psiRoundTripTol = 1e-9

func FuzzExact(f *testing.F) {
	f.Add(fuzzBytes(0.7, 0.2, 0.1), 2.0, false)
	f.Add(fuzzBytes(0.25, 0.25, 0.25, 0.25), 1.0, false)
	f.Add(fuzzBytes(1, 0, 0), 2.0, false)
	f.Add(fuzzBytes(0.5, 0.5, 0), 0.5, false)
	f.Add(fuzzBytes(1-0x1p-53, 0x1p-53), 1000.0, false)
	f.Add(fuzzBytes(1-0x1p-52, 0x1p-53, 0x1p-53), 2.0, false)
	f.Add(fuzzBytes(0x1p-1074, 1-0x1p-1074), 2.0, false)
	f.Add(fuzzBytes(0.3276, 0.3276, 0.3276, 0.0172), 0.5, false)
	f.Add(fuzzBytes(0.2, 0.2, 0.2, 0.2, 0.2+1e-12), 0.03, true)
	f.Add(fuzzBytes(0.6, 0.3, 0.1), 0.0, false)
	f.Add(fuzzBytes(0.6, 0.3, 0.1), -1.0, false)
	f.Add(fuzzBytes(0.6, 0.3, 0.1), math.NaN(), false)
	f.Add(fuzzBytes(0.6, 0.3, 0.2), 1.0, false)
	f.Add(fuzzBytes(1), 1.0, false)
	f.Add(fuzzBytes(0.5, math.Inf(1)), 1.0, false)
	f.Fuzz(func(t *testing.T, b []byte, gamma float64, simplex bool) {
		eta := fuzzVec(b, 64)
		if simplex {
			toSimplex(eta)
		}
		res, err := numeric.Exact(eta, gamma)
		if !checkInputError(t, "Exact", err, eta, gamma) {
			return
		}
		subnormal := false
		for _, e := range eta {
			subnormal = subnormal || (e > 0 && e < 0x1p-1022)
		}
		if gamma > fuzzMaxGamma || subnormal {
			// Beyond the measured range, and with subnormal entries (whose
			// complement 1 − q_m can be subnormal too: η = (2^−1074, 1) at
			// γ = 0.25 stops at the iteration limit, with a residual of
			// 1e-248), non-convergence is allowed (a Status, not a panic),
			// but a converged result must be right.
			if res.Status != numeric.Converged {
				return
			}
		} else if res.Status != numeric.Converged {
			t.Fatalf("Exact(%v, γ = %v): status %v, residual %g after %d iterations", eta, gamma, res.Status, res.Residual, res.Iterations)
		}
		checkMinimizer(t, "Exact", res, eta, gamma, 0)
		// The vector kernels other than the main pass's give the portable
		// loops' results bit for bit.
		pr, _ := numeric.ExactPortable(eta, gamma)
		vr, _ := numeric.ExactVecBitForBit(eta, gamma)
		if pr.Iterations != vr.Iterations || math.Float64bits(pr.Risk) != math.Float64bits(vr.Risk) || math.Float64bits(pr.Residual) != math.Float64bits(vr.Residual) {
			t.Fatalf("Exact(%v, γ = %v): portable %+v, vector kernels %+v", eta, gamma, pr, vr)
		}
		for i := range pr.Q {
			if math.Float64bits(pr.Q[i]) != math.Float64bits(vr.Q[i]) {
				t.Fatalf("Exact(%v, γ = %v): q_%d = %v portable, %v with the vector kernels", eta, gamma, i, pr.Q[i], vr.Q[i])
			}
		}
		if gamma > fuzzMaxGamma {
			return
		}
		// Thm 11: Ψ(q*) = η.
		psi := theory.Psi(make([]float64, len(eta)), res.Q, gamma)
		for i := range eta {
			if d := math.Abs(psi[i] - eta[i]); d > psiRoundTripTol {
				t.Fatalf("Exact(%v, γ = %v) = %v: Ψ(q*)[%d] = %v, off by %g", eta, gamma, res.Q, i, psi[i], d)
			}
		}
	})
}

// directMaxK keeps FuzzDirect fast: Direct costs ~1 ms at K = 10.
const directMaxK = 4

func FuzzDirect(f *testing.F) {
	f.Add(fuzzBytes(0.7, 0.2, 0.1), 2.0)
	f.Add(fuzzBytes(0.5, 0.5), 1.0)
	f.Add(fuzzBytes(1, 0, 0), 2.0)
	f.Add(fuzzBytes(0.5, 0.25, 0.25, 0), 0.5)
	f.Add(fuzzBytes(1-1e-12, 1e-12), 100.0)
	f.Add(fuzzBytes(0.3276, 0.3276, 0.3276, 0.0172), 0.5)
	f.Add(fuzzBytes(0.6, 0.3, 0.1), -1.0)
	f.Add(fuzzBytes(0.6, 0.3, 0.1), 0.0)
	f.Fuzz(func(t *testing.T, b []byte, gamma float64) {
		eta := fuzzVec(b, directMaxK)
		toSimplex(eta)
		// γ above verify's range costs Direct many iterations (and is
		// covered by FuzzExact); fold it into [0, 1000].
		if gamma > fuzzMaxGamma && !math.IsInf(gamma, 1) {
			gamma = math.Mod(gamma, fuzzMaxGamma)
		}
		res, err := numeric.Direct(eta, gamma, nil)
		if !checkInputError(t, "Direct", err, eta, gamma) || res.Status != numeric.Converged {
			return // non-convergence is a Status (subnormal entries: see Direct)
		}
		acc := numeric.DirectAccuracy(eta, gamma)
		checkMinimizer(t, "Direct", res, eta, gamma, 2*acc)
		// The exact minimizer agrees within DirectAccuracy.
		ex, err := numeric.Exact(eta, gamma)
		if err != nil || ex.Status != numeric.Converged {
			t.Fatalf("Exact(%v, γ = %v): %v, %v", eta, gamma, err, ex.Status)
		}
		for i := range eta {
			if eta[i] < 0x1p-1022 {
				continue // subnormal: DirectAccuracy counts them, their Q_i are not normal
			}
			if d := math.Abs(res.Q[i]-ex.Q[i]) / ex.Q[i]; d > acc {
				t.Fatalf("η = %v, γ = %v: Direct q[%d] = %v, Exact %v: relative difference %g > %g", eta, gamma, i, res.Q[i], ex.Q[i], d, acc)
			}
		}
	})
}

// fuzzRows builds an n×k matrix from the values v: row r is v rotated by r
// (so that rows differ and chunks of rows go to different workers).
func fuzzRows(v []float64, k, n int) []float64 {
	m := make([]float64, n*k)
	for r := range n {
		for j := range k {
			m[r*k+j] = v[(r+j)%len(v)]
		}
	}
	return m
}

// fuzzBatchRows spans several chunks of the batch kernels (at least 256
// rows per worker) at 3 workers.
const fuzzBatchRows = 800

func FuzzBatch(f *testing.F) {
	f.Add(fuzzBytes(0.7, 0.2, 0.1), uint8(3), 2.0, uint8(3))
	f.Add(fuzzBytes(0.5, 0.5, 1, 0, 0x1p-1074, 1-0x1p-53), uint8(2), 1.0, uint8(2))
	f.Add(fuzzBytes(0.1, math.NaN(), -1, 2, 0.4), uint8(5), 20.0, uint8(4))
	f.Add(fuzzBytes(-700, 0, 700, math.Inf(-1), math.Inf(1)), uint8(4), 0.5, uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, k8 uint8, gamma float64, w8 uint8) {
		v := fuzzVec(b, 64)
		k := int(k8%16) + 1
		if len(v) == 0 {
			return
		}
		src := fuzzRows(v, k, fuzzBatchRows)
		workers := int(w8%4) + 2
		alpha := make([]float64, k)
		for j := range alpha {
			alpha[j] = math.Abs(v[j%len(v)]) + 0.1
		}
		kernels := []struct {
			name string
			run  func(dst, src []float64, workers int) []float64
			row  func(d, s []float64)
		}{
			{"PsiRows", func(d, s []float64, w int) []float64 { return numeric.PsiRows(d, s, k, gamma, w) },
				func(d, s []float64) { theory.Psi(d, s, gamma) }},
			{"PsiBalancedRows", func(d, s []float64, w int) []float64 { return numeric.PsiBalancedRows(d, s, k, alpha, gamma, w) },
				func(d, s []float64) { theory.PsiBalanced(d, s, alpha, gamma) }},
			{"SigmoidRows", func(d, s []float64, w int) []float64 { return numeric.SigmoidRows(d, s, k, alpha[:1], gamma, w) },
				func(d, s []float64) {
					for j, p := range s {
						d[j] = theory.SigmoidPosterior(p, alpha[0], gamma)
					}
				}},
			{"SigmoidLogitRows", func(d, s []float64, w int) []float64 { return numeric.SigmoidLogitRows(d, s, k, nil, gamma, w) },
				func(d, s []float64) {
					for j, z := range s {
						d[j] = theory.Sigmoid(theory.SigmoidPosteriorLogit(z, -1, gamma))
					}
				}},
			{"SoftmaxRows", func(d, s []float64, w int) []float64 { return numeric.SoftmaxRows(d, s, k, w) }, nil},
		}
		for _, kn := range kernels {
			one := kn.run(make([]float64, len(src)), src, 1)
			many := kn.run(make([]float64, len(src)), src, workers)
			inPlace := append([]float64(nil), src...)
			kn.run(inPlace, inPlace, workers)
			for i := range one {
				if math.Float64bits(one[i]) != math.Float64bits(many[i]) && !(math.IsNaN(one[i]) && math.IsNaN(many[i])) {
					t.Fatalf("%s: entry %d differs between 1 and %d workers: %v, %v", kn.name, i, workers, one[i], many[i])
				}
				if math.Float64bits(one[i]) != math.Float64bits(inPlace[i]) && !(math.IsNaN(one[i]) && math.IsNaN(inPlace[i])) {
					t.Fatalf("%s: entry %d differs in place: %v, %v", kn.name, i, one[i], inPlace[i])
				}
			}
			if kn.row != nil {
				d := make([]float64, k)
				for r := 0; r < 2; r++ {
					kn.row(d, src[r*k:(r+1)*k])
					for j := range d {
						if math.Float64bits(d[j]) != math.Float64bits(one[r*k+j]) && !(math.IsNaN(d[j]) && math.IsNaN(one[r*k+j])) {
							t.Fatalf("%s: row %d differs from the scalar function: %v, %v", kn.name, r, one[r*k:(r+1)*k], d)
						}
					}
				}
			}
			if kn.name == "SoftmaxRows" {
				checkSoftmax(t, src[:k], one[:k])
			}
			// A valid row and a valid γ (theory.Psi: γ ≥ 0 and finite;
			// otherwise every entry is NaN) give a probability vector.
			validGamma := gamma >= 0 && gamma <= math.MaxFloat64
			if kn.name == "PsiRows" && validGamma && numeric.ValidateRows(src[:k], k, numeric.Simplex, numeric.SumTol, 0) == nil && k >= 1 {
				for j, x := range one[:k] {
					if !(x >= 0 && x <= 1) {
						t.Fatalf("PsiRows of the valid row %v: entry %d = %v", src[:k], j, x)
					}
				}
			}
		}
	})
}

// checkSoftmax checks one softmax row: NaN exactly for a row with a NaN
// or +Inf entry or with every entry −Inf; otherwise entries in [0, 1]
// summing to 1, and the largest z's entry the largest (exp is monotone, so
// this holds exactly, ties included).
func checkSoftmax(t *testing.T, z, p []float64) {
	t.Helper()
	bad, allNegInf := false, true
	for _, x := range z {
		if math.IsNaN(x) || math.IsInf(x, 1) {
			bad = true
		}
		if !math.IsInf(x, -1) {
			allNegInf = false
		}
	}
	if bad || allNegInf {
		for _, x := range p {
			if !math.IsNaN(x) {
				t.Fatalf("softmax(%v) = %v, want NaN", z, p)
			}
		}
		return
	}
	var sum float64
	for j, x := range p {
		if !(x >= 0 && x <= 1) {
			t.Fatalf("softmax(%v)[%d] = %v", z, j, x)
		}
		sum += x
	}
	if math.Abs(sum-1) > fuzzSumTol(len(p)) {
		t.Fatalf("softmax(%v) = %v sums to 1%+g", z, p, sum-1)
	}
	if m := theory.Argmax(z); p[m] != theory.Max(p) {
		t.Fatalf("softmax(%v) = %v: the largest z's entry is not the largest", z, p)
	}
}
