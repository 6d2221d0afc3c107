package theory_test

import (
	"math"
	"testing"

	"github.com/focaltk/focal/internal/fuzzvec"
	"github.com/focaltk/focal/theory"
)

// Fuzz targets of the kernels. Each checks, for any input, the contract of
// the function's doc comment: NaN exactly on the documented invalid inputs,
// and on valid ones the invariants below, which hold for every input and
// need no oracle. Seeds: the f.Add calls and testdata/fuzz/<target>/; CI
// runs each target briefly (.ci/run).

// fuzzVec and fuzzBytes are the decoding shared with the other package's
// fuzz targets (internal/fuzzvec), so that a seed means the same vector in
// both.
var (
	fuzzVec   = fuzzvec.Decode
	fuzzBytes = fuzzvec.Encode
)

func validProb(v float64) bool  { return v >= 0 && v <= 1 }
func validGamma(g float64) bool { return g >= 0 && !math.IsInf(g, 1) }
func ulps(n float64) float64    { return n * 0x1p-52 }

// psiSumTol returns the tolerance on |Σ Ψ_i − 1| for K entries: the
// compensated sum s is within an ulp, fl(1/s) within another, and each
// product x_i·fl(1/s) within one more, so the sum of the K results is
// within (K + 2) ulps of 1, plus the ulp of summing them here; 2(K + 4)
// ulps leaves a factor 2.
func psiSumTol(k int) float64 { return ulps(2 * float64(k+4)) }

// argmaxSep is the relative gap by which the largest entry of v must
// exceed every other for the argmax of Ψ (and of q*) to be required to be
// the same index: h is strictly increasing, and the computed h_i carry a
// relative error of a few ulps times max(1, γ|log(1−v_i)|) (Psi's doc),
// far below 1e-6 wherever that product is below 1e9, and where it is larger
// h_m/h_i grows like (1−v_m)^{−γ}/(1−v_i)^{−γ}, exponentially in γ.
const argmaxSep = 1e-6

func FuzzPsi(f *testing.F) {
	f.Add(fuzzBytes(0.7, 0.2, 0.1), 2.0, false)
	f.Add(fuzzBytes(0.5, 0.5), 1.0, false)
	f.Add(fuzzBytes(1, 0, 0), 2.0, false)
	f.Add(fuzzBytes(1, 1, 0.5), 0.5, false)
	f.Add(fuzzBytes(0, 0, 0), 2.0, false)
	f.Add(fuzzBytes(0x1p-1074, 0x1p-1074, 1-0x1p-53), 100.0, false)
	f.Add(fuzzBytes(0.3, 0.7), 1e300, false)
	f.Add(fuzzBytes(0.3, 0.7), 1000.0, true)
	f.Add(fuzzBytes(0.2, 0.2, 0.2, 0.2, 0.2), 0.0, false)
	f.Add(fuzzBytes(0.1, math.NaN()), 2.0, false)
	f.Add(fuzzBytes(0.1, -0.1), 2.0, false)
	f.Add(fuzzBytes(0.1, 0.9), math.Inf(1), false)
	f.Add(fuzzBytes(0.1, 0.9), -1.0, false)
	f.Add(fuzzBytes(1-0x1p-53, 1-0x1p-52, 0.5), 17.0, false)
	f.Add(fuzzBytes(1-0x1p-53, 1-0x1p-52, 0.5), 17.5, false)
	// Non-integer γ of the direct path (the power by pow1mExp), on rows the
	// kernels take, of every length mod 4 and longer than a chunk.
	f.Add(fuzzBytes(0.1, 0.2, 0.3, 0.05, 0.25, 0.1), 2.5, false)
	f.Add(fuzzBytes(1-0x1p-53, 0x1p-1022, 0x1p-54, 0.5, 0.5-0x1p-54), 16.75, false)
	f.Add(fuzzBytes(0.9, 1e-300, 1e-16, 0.3, 0.7, 0.2, 0.01), 1e-9, true)
	f.Add(fuzzBytes(0.3, 0.3, 0.3, 0.1, 0.3, 0.3, 0.3, 0.1, 0.3, 0.3, 0.3, 0.1, 0.3, 0.3, 0.3, 0.1,
		0.3, 0.3, 0.3, 0.1, 0.3, 0.3, 0.3, 0.1, 0.3, 0.3, 0.3, 0.1, 0.3, 0.3, 0.3, 0.1, 0.3, 0.4, 0.5), 0.3, true)
	f.Fuzz(func(t *testing.T, b []byte, gamma float64, simplex bool) {
		v := fuzzVec(b, 64)
		if len(v) == 0 {
			return
		}
		if simplex {
			toSimplex(v)
		}
		got := theory.Psi(make([]float64, len(v)), v, gamma)
		checkPsi(t, got, v, gamma)
		// Where a kernel takes v it gives the general code's bits.
		want := theory.PsiGeneral(make([]float64, len(v)), v, gamma)
		for i := range want {
			if !alike(got[i], want[i]) {
				t.Fatalf("Psi differs from the general code at %d: %v vs %v (v = %v, γ = %v)", i, got[i], want[i], v, gamma)
			}
		}
		// So does each kernel (the portable one and the assembly) called
		// directly, where it serves γ and takes v.
		if theory.PsiKernelGamma(gamma) {
			for name, kernel := range psiKernels() {
				out, lv := make([]float64, len(v)), make([]float64, len(v))
				if !kernel(out, v, lv, gamma) {
					continue
				}
				for i := range want {
					if !alike(out[i], want[i]) {
						t.Fatalf("the %s kernel differs from the general code at %d: %v vs %v (v = %v, γ = %v)", name, i, out[i], want[i], v, gamma)
					}
				}
			}
		}
		// dst may alias v.
		w := append([]float64(nil), v...)
		theory.Psi(w, w, gamma)
		for i := range w {
			if !alike(w[i], got[i]) {
				t.Fatalf("Psi in place differs at %d: %v vs %v (v = %v, γ = %v)", i, w[i], got[i], v, gamma)
			}
		}
	})
}

// Logs is Log entry by entry, bit for bit, whatever the slice holds (its
// blocks of four with an entry off Log's main path take the scalar code),
// and in place.
func FuzzLogs(f *testing.F) {
	f.Add(fuzzBytes(0.7, 0.2, 0.1, 0.5, 3))
	f.Add(fuzzBytes(0, 0x1p-1074, 1, 2, math.Inf(1), -1, math.NaN(), 0.5, 0x1p-1022))
	f.Fuzz(func(t *testing.T, b []byte) {
		v := fuzzVec(b, 64)
		got := theory.Logs(make([]float64, len(v)), v)
		for i, x := range v {
			if want := theory.Log(x); !alike(got[i], want) {
				t.Fatalf("Logs at entry %d (%v) = %v, Log = %v (v = %v)", i, x, got[i], want, v)
			}
		}
		theory.Logs(v, v)
		for i := range v {
			if !alike(v[i], got[i]) {
				t.Fatalf("Logs in place differs at %d: %v vs %v", i, v[i], got[i])
			}
		}
	})
}

// toSimplex divides v by its sum when every entry is in [0, 1] and the sum
// is positive; otherwise it leaves v as it is.
func toSimplex(v []float64) {
	var s float64
	for _, x := range v {
		if !validProb(x) {
			return
		}
		s += x
	}
	if s > 0 {
		for i := range v {
			v[i] /= s
		}
	}
}

func checkPsi(t *testing.T, got, v []float64, gamma float64) {
	t.Helper()
	invalid := !validGamma(gamma)
	allZero := true
	ones := 0
	for _, x := range v {
		if !validProb(x) {
			invalid = true
		}
		if x != 0 {
			allZero = false
		}
		if x == 1 {
			ones++
		}
	}
	if invalid || allZero {
		for i, x := range got {
			if !math.IsNaN(x) {
				t.Fatalf("Psi(%v, γ = %v)[%d] = %v, want NaN", v, gamma, i, x)
			}
		}
		return
	}
	var sum float64
	for i, x := range got {
		if !(x >= 0 && x <= 1) {
			t.Fatalf("Psi(%v, γ = %v)[%d] = %v, outside [0, 1]", v, gamma, i, x)
		}
		if v[i] == 0 && x != 0 {
			t.Fatalf("Psi(%v, γ = %v)[%d] = %v for v_i = 0", v, gamma, i, x)
		}
		sum += x
	}
	if d := math.Abs(sum - 1); d > psiSumTol(len(v)) {
		t.Fatalf("Psi(%v, γ = %v) sums to 1%+g (tolerance %g): %v", v, gamma, sum-1, psiSumTol(len(v)), got)
	}
	if ones > 0 && gamma > 0 {
		for i, x := range got {
			want := 0.0
			if v[i] == 1 {
				want = 1 / float64(ones)
			}
			if x != want {
				t.Fatalf("Psi(%v, γ = %v) = %v: want uniform on the entries equal to 1", v, gamma, got)
			}
		}
	}
	// Ties stay exactly tied (equal inputs follow identical arithmetic).
	for i := range v {
		for j := i + 1; j < len(v); j++ {
			if v[i] == v[j] && got[i] != got[j] {
				t.Fatalf("Psi(%v, γ = %v): v_%d = v_%d but Ψ = %v, %v", v, gamma, i, j, got[i], got[j])
			}
		}
	}
	// Prop 12: argmax Ψ(v) = argmax v, required where the largest v is
	// ahead of the others by argmaxSep (Argmax picks the smallest index
	// of a tie, and ties stay tied, checked above).
	m := theory.Argmax(v)
	sep := true
	for i, x := range v {
		if i != m && x != v[m] && !(v[m] > x*(1+argmaxSep)) {
			sep = false
		}
	}
	if sep && theory.Argmax(got) != m {
		t.Fatalf("Psi(%v, γ = %v) = %v: argmax %d, want %d", v, gamma, got, theory.Argmax(got), m)
	}
}

// logHTol returns the absolute tolerance of LogH at v: its doc promises a
// few ulps of max(|log v|, γ|log(1−v)|, 1); 16 ulps of that, with the same
// again for the reference it is compared with.
func logHTol(v, gamma float64) float64 {
	return ulps(16) * math.Max(math.Max(math.Abs(math.Log(v)), gamma*math.Abs(math.Log1p(-v))), 1)
}

func FuzzLogH(f *testing.F) {
	for _, c := range []struct{ v, w, gamma float64 }{
		{0.5, 0.6, 2}, {0, 0x1p-1074, 2}, {1 - 0x1p-53, 1, 2}, {0.3, 0.3, 0}, {1, 1, 0},
		{0x1p-1074, 0x1p-1073, 1000}, {0.9, 1 - 0x1p-53, 1e300}, {0.5, 0.5, math.MaxFloat64},
		{math.NaN(), 0.5, 1}, {math.Copysign(0, -1), 0.5, 1}, {0.5, 1.5, 1}, {0.2, 0.3, math.Inf(1)}, {0.2, 0.3, 1e-300},
	} {
		f.Add(c.v, c.w, c.gamma)
	}
	f.Fuzz(func(t *testing.T, v, w, gamma float64) {
		lv, lw := theory.LogH(v, gamma), theory.LogH(w, gamma)
		for _, c := range []struct{ x, l float64 }{{v, lv}, {w, lw}} {
			x, l := c.x, c.l
			switch {
			case !validGamma(gamma) || !validProb(x):
				if !math.IsNaN(l) {
					t.Fatalf("LogH(%v, %v) = %v, want NaN", x, gamma, l)
				}
				return
			case x == 0:
				if !math.IsInf(l, -1) {
					t.Fatalf("LogH(0, %v) = %v, want −Inf", gamma, l)
				}
			case x == 1 && gamma > 0:
				if !math.IsInf(l, 1) {
					t.Fatalf("LogH(1, %v) = %v, want +Inf", gamma, l)
				}
			case gamma == 0:
				if l != theory.Log(x) {
					t.Fatalf("LogH(%v, 0) = %v, want log v = %v", x, l, theory.Log(x))
				}
			case gamma <= 1e300:
				// Finite on (0, 1): γ|log1p(−v)| ≤ 1e300·37.5 cannot
				// overflow, nor can log1p of the other term.
				if math.IsNaN(l) || math.IsInf(l, 0) {
					t.Fatalf("LogH(%v, %v) = %v, want finite", x, gamma, l)
				}
				// A second formula: log H where H is a normal number.
				if h := theory.H(x, gamma); h >= 0x1p-1022 && h <= math.MaxFloat64 && gamma <= 17 {
					tol := logHTol(x, gamma) + ulps(16)*math.Max(1, gamma*math.Abs(math.Log1p(-x)))
					if d := math.Abs(l - math.Log(h)); d > tol {
						t.Fatalf("LogH(%v, %v) = %v, log H = %v: differ by %g > %g", x, gamma, l, math.Log(h), d, tol)
					}
				}
			}
		}
		// h is increasing: LogH(v) ≤ LogH(w) for v < w, to the rounding.
		if v > w {
			v, w, lv, lw = w, v, lw, lv
		}
		if v < w && lv > lw {
			if math.IsInf(lv, 0) || math.IsNaN(lw) {
				t.Fatalf("LogH(%v) = %v > LogH(%v) = %v at γ = %v", v, lv, w, lw, gamma)
			}
			if tol := logHTol(v, gamma) + logHTol(w, gamma); lv-lw > tol {
				t.Fatalf("LogH not increasing at γ = %v: LogH(%v) = %v > LogH(%v) = %v by %g > %g", gamma, v, lv, w, lw, lv-lw, tol)
			}
		}
	})
}

// tauMonoTol is the relative slack of the monotonicity check of τ_oc and
// τ_uc in γ: both are within a few ulps of the root of a well-conditioned
// equation (relative error ≤ 1e-14 measured, tau.go), so 1e-13 is a factor
// 10 above.
const tauMonoTol = 1e-13

func FuzzTau(f *testing.F) {
	for _, c := range [][2]float64{
		{0, 1}, {1, 2}, {0.5, 0.5}, {1e-300, 1e-6}, {1000, 1001}, {1e300, math.MaxFloat64},
		{math.NaN(), 1}, {-1, 1}, {math.Inf(1), 1}, {0x1p-1074, 0}, {17, 1e6},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, g1, g2 float64) {
		oc1, uc1 := theory.TauOC(g1), theory.TauUC(g1)
		oc2, uc2 := theory.TauOC(g2), theory.TauUC(g2)
		for _, c := range []struct{ g, oc, uc float64 }{{g1, oc1, uc1}, {g2, oc2, uc2}} {
			g, oc, uc := c.g, c.oc, c.uc
			if !validGamma(g) {
				if !math.IsNaN(oc) || !math.IsNaN(uc) {
					t.Fatalf("TauOC, TauUC(%v) = %v, %v, want NaN", g, oc, uc)
				}
				return
			}
			if g == 0 {
				if uc != 0.5 || !(oc > 0.2031 && oc < 0.2032) {
					t.Fatalf("TauOC, TauUC(0) = %v, %v, want 0.20318…, 1/2", oc, uc)
				}
				continue
			}
			// Thm 8: 0 < τ_oc < τ_uc < 1/2 for γ > 0.
			if !(oc > 0 && oc < uc && uc < 0.5) {
				t.Fatalf("γ = %v: τ_oc = %v, τ_uc = %v, want 0 < τ_oc < τ_uc < 1/2", g, oc, uc)
			}
		}
		// Both decrease in γ.
		if g1 > g2 {
			g1, g2, oc1, oc2, uc1, uc2 = g2, g1, oc2, oc1, uc2, uc1
		}
		if g1 < g2 && (oc2 > oc1*(1+tauMonoTol) || uc2 > uc1*(1+tauMonoTol)) {
			t.Fatalf("τ increases with γ: γ = %v: (%v, %v); γ = %v: (%v, %v)", g1, oc1, uc1, g2, oc2, uc2)
		}
	})
}
