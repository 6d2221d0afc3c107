package theory_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/focaltk/focal/hiprec"
	"github.com/focaltk/focal/internal/acctable"
	"github.com/focaltk/focal/theory"
)

var (
	nan     = math.NaN()
	inf     = math.Inf(1)
	oneM53  = 1 - 0x1p-53 // largest float64 below 1
	subnorm = 0x1p-1074   // smallest positive subnormal
)

// alike reports whether a and b are equal, treating NaN as equal to NaN and
// distinguishing −0 from +0, like package math's tests.
func alike(a, b float64) bool {
	switch {
	case math.IsNaN(a) && math.IsNaN(b):
		return true
	case a == b:
		return math.Signbit(a) == math.Signbit(b)
	}
	return false
}

type sc struct{ v, gamma, want float64 }

// Special cases, one line per line of each doc comment's "Special cases are".
var (
	phiSC = []sc{
		{nan, 1, nan}, {0.5, nan, nan}, {-0.1, 1, nan}, {1.1, 1, nan}, {0.5, -1, nan}, {0.5, inf, nan},
		{0.3, 0, 1}, {1, 0, 1}, {0, 2, 1}, {1, 0.5, 0}, {1, 2, 0},
	}
	phiDerivSC = []sc{
		{nan, 1, nan}, {-0.1, 1, nan}, {0.5, -1, nan}, {0.5, inf, nan},
		{0.3, 0, 0}, {0, 2, inf}, {1, 0.5, math.Inf(-1)}, {1, 1, -2}, {1, 2, 0},
	}
	hSC = []sc{
		{nan, 1, nan}, {-0.1, 1, nan}, {1.1, 1, nan}, {0.5, -1, nan}, {0.5, nan, nan}, {0.5, inf, nan},
		{0.3, 0, 0.3}, {1, 0, 1}, {0, 2, 0}, {1, 2, inf}, {1, 0.5, inf},
	}
	logHSC = []sc{
		{nan, 1, nan}, {-0.1, 1, nan}, {1.1, 1, nan}, {0.5, -1, nan}, {0.5, inf, nan},
		{0.3, 0, math.Log(0.3)}, {1, 0, 0}, {0, 2, math.Inf(-1)}, {1, 2, inf}, {1, 1e-9, inf},
	}
	logHDerivSC = []sc{
		{nan, 1, nan}, {-0.1, 1, nan}, {0.5, -1, nan}, {0.5, inf, nan},
		{0, 2, inf}, {0, 0, inf}, {1, 2, inf}, {1, 0, 1},
	}
	lossTermSC = []sc{
		{nan, 1, nan}, {-0.1, 1, nan}, {1.1, 1, nan}, {0.5, -1, nan}, {0.5, inf, nan},
		{0, 2, inf}, {1, 2, 0}, {1, 0, 0},
	}
)

func runSC(t *testing.T, name string, f func(v, gamma float64) float64, cases []sc) {
	t.Helper()
	for _, c := range cases {
		if got := f(c.v, c.gamma); !alike(got, c.want) {
			t.Errorf("%s(%v, %v) = %v, want %v", name, c.v, c.gamma, got, c.want)
		}
	}
}

func TestSpecialCases(t *testing.T) {
	runSC(t, "Phi", theory.Phi, phiSC)
	runSC(t, "PhiDeriv", theory.PhiDeriv, phiDerivSC)
	runSC(t, "H", theory.H, hSC)
	runSC(t, "LogH", theory.LogH, logHSC)
	runSC(t, "LogHDeriv", theory.LogHDeriv, logHDerivSC)
	runSC(t, "LossTerm", theory.LossTerm, lossTermSC)
	for _, g := range []float64{nan, -1, inf} {
		if !math.IsNaN(theory.TauOC(g)) || !math.IsNaN(theory.TauUC(g)) {
			t.Errorf("TauOC/TauUC(%v) not NaN", g)
		}
	}
	if got := theory.TauUC(0); got != 0.5 {
		t.Errorf("TauUC(0) = %v, want 1/2", got)
	}
}

// tauOC0 is −W₀(−2e^{−2})/2, the γ → 0+ limit of τ_oc: the root in (0, 1/2)
// of log v = 2v − 2: 0.20318786997997995383847906206241987910... (mpmath
// 1.3.0, both by findroot and as −lambertw(−2e^{−2})/2 at 40 digits).
const tauOC0 = 0.20318786997997995

// Closed forms from the paper and design.md: at γ = 1, τ_oc = e^{−2} and
// τ_uc = e^{−1}.
func TestTauClosedForms(t *testing.T) {
	// tauTolULP: the root finders stop within an ulp of the root of the
	// float64 function, whose own error moves the root by about an ulp.
	const tauTolULP = 2
	cases := []struct{ got, want float64 }{
		{theory.TauOC(1), math.Exp(-2)},
		{theory.TauUC(1), math.Exp(-1)},
		{theory.TauOC(0), tauOC0},
	}
	for i, c := range cases {
		if d := math.Abs(c.got-c.want) / ulp(c.want); d > tauTolULP {
			t.Errorf("case %d: got %v, want %v (%.1f ulps)", i, c.got, c.want, d)
		}
	}
}

func ulp(x float64) float64 {
	x = math.Abs(x)
	return math.Nextafter(x, inf) - x
}

// tauUCBracket and tauUCResolution set the relative half-width w of the
// bracket around τ_uc in which φ − 1 must change sign: w = 1e-12 +
// 1e-14/γ. Near τ_uc the slope of φ is of order γ, so the bracket moves φ
// by about γ·w·τ_uc, which must exceed φ's rounding (a few ulps of 1,
// about 1e-16) to be seen at all: 1e-14/γ gives a factor of about 50 at
// every γ. (With 1e-12 alone, φ − 1 at γ = 1e-6 is 5e-19 either side,
// below resolution; it then held by the luck of the rounding, and a build
// that fuses multiply–adds, GOAMD64=v3, saw −1.1e-16 on the wrong side.)
const (
	tauUCBracket    = 1e-12
	tauUCResolution = 1e-14
)

// Thm 8 (1): 0 < τ_oc < τ_uc < 1/2; and the defining equations hold.
func TestTauOrderAndDefinition(t *testing.T) {
	for _, g := range []float64{1e-12, 1e-6, 1e-3, 0.03, 0.5, 1, 2, 3, 10, 100, 1000, 1e5} {
		oc, uc := theory.TauOC(g), theory.TauUC(g)
		if !(0 < oc && oc < uc && uc < 0.5) {
			t.Errorf("γ=%v: τ_oc=%v τ_uc=%v out of order", g, oc, uc)
		}
		// φ' changes sign at τ_oc and φ − 1 at τ_uc (one ulp either side).
		if !(theory.PhiDeriv(math.Nextafter(oc, 0), g) >= 0 && theory.PhiDeriv(math.Nextafter(oc, 1), g) <= 0) {
			t.Errorf("γ=%v: φ' does not change sign at τ_oc=%v", g, oc)
		}
		w := tauUCBracket + tauUCResolution/g
		lo, hi := uc*(1-w), uc*(1+w)
		if !(theory.Phi(lo, g) >= 1 && theory.Phi(hi, g) <= 1) {
			t.Errorf("γ=%v: φ−1 does not change sign near τ_uc=%v: %v %v", g, uc, theory.Phi(lo, g)-1, theory.Phi(hi, g)-1)
		}
	}
}

// The paper's worked example as quoted in the issue on nitorch: for γ = 2
// and q = (0.9, 0.1), Ψ(q) ≈ (0.9974, 0.0026).
func TestPsiPaperExample(t *testing.T) {
	got := theory.Psi(make([]float64, 2), []float64{0.9, 0.1}, 2)
	if math.Abs(got[0]-0.9974) > 5e-5 || math.Abs(got[1]-0.0026) > 5e-5 {
		t.Errorf("Ψ²(0.9, 0.1) = %v, want ≈ (0.9974, 0.0026)", got)
	}
}

func TestPsiSpecialCases(t *testing.T) {
	dst := make([]float64, 3)
	allNaN := func(x []float64) bool {
		for _, v := range x {
			if !math.IsNaN(v) {
				return false
			}
		}
		return true
	}
	for _, c := range []struct {
		v     []float64
		gamma float64
	}{
		{[]float64{0.5, 0.5, 0}, nan}, {[]float64{0.5, 0.5, 0}, -1}, {[]float64{0.5, 0.5, 0}, inf},
		{[]float64{nan, 0.5, 0.5}, 1}, {[]float64{-0.1, 0.6, 0.5}, 1}, {[]float64{1.5, 0, 0}, 1},
		{[]float64{0, 0, 0}, 2}, {[]float64{0, 0, 0}, 0},
	} {
		if !allNaN(theory.Psi(dst, c.v, c.gamma)) {
			t.Errorf("Psi(%v, %v) = %v, want all NaN", c.v, c.gamma, dst)
		}
	}
	for _, g := range []float64{1e-9, 0.5, 2, 17, 18, 100, 1000} {
		for y := range 3 {
			e := make([]float64, 3)
			e[y] = 1
			theory.Psi(dst, e, g)
			for i := range dst {
				if dst[i] != e[i] {
					t.Errorf("Ψ^%v(e_%d) = %v, want e_%d", g, y, dst, y)
					break
				}
			}
		}
	}
	// Two entries at 1 (not a probability vector): uniform on them.
	theory.Psi(dst, []float64{1, 0.3, 1}, 2)
	if dst[0] != 0.5 || dst[1] != 0 || dst[2] != 0.5 {
		t.Errorf("Psi((1, .3, 1), 2) = %v", dst)
	}
	// γ = 0: v / Σv.
	v := []float64{0.2, 0.3, 0.5}
	theory.Psi(dst, v, 0)
	for i := range v {
		if math.Abs(dst[i]-v[i]) > ulp(v[i]) {
			t.Errorf("Ψ⁰(%v) = %v, want identity", v, dst)
		}
	}
	// No overflow at the top of the range: γ = 1000, v_1 = 1 − 2^−53.
	theory.Psi(dst, []float64{oneM53, 0x1p-53, 0}, 1000)
	if dst[0] != 1 || dst[1] != 0 || dst[2] != 0 {
		t.Errorf("Ψ^1000(1−2^−53, 2^−53, 0) = %v", dst)
	}
	// Subnormal entries are kept, not flushed.
	theory.Psi(dst, []float64{subnorm, 0.5, 0.5 - subnorm}, 2)
	if !(dst[0] > 0) {
		t.Errorf("Ψ² lost a subnormal entry: %v", dst)
	}
}

// h^γ is strictly increasing on [0, 1]: on a grid with subnormal, tiny and
// near-one points, for γ across the range.
func TestHIncreasing(t *testing.T) {
	grid := []float64{0, subnorm, 1e-300, 1e-100, 1e-20, 1e-8, 1e-3, 0.01, 0.1, 0.2, 0.3, 0.4, 0.5,
		0.6, 0.7, 0.9, 0.99, 1 - 1e-8, 1 - 1e-12, oneM53, 1}
	for _, g := range []float64{0, 1e-6, 0.03, 0.5, 1, 2, 3, 17.5, 100, 1000} {
		for i := 1; i < len(grid); i++ {
			a, b := theory.LogH(grid[i-1], g), theory.LogH(grid[i], g)
			if !(a < b) {
				t.Errorf("γ=%v: log h(%v)=%v ≥ log h(%v)=%v", g, grid[i-1], a, grid[i], b)
			}
			if d := theory.LogHDeriv(grid[i], g); !(d > 0) {
				t.Errorf("γ=%v: (log h)'(%v) = %v ≤ 0", g, grid[i], d)
			}
		}
	}
}

// PhiDeriv and LogHDeriv against a central finite difference (a second
// method). fdTol: the step 1e-6 leaves a truncation error ~1e-12·f”' and a
// rounding error ~1e-10·|f|, so 1e-6 relative is ample without masking a
// wrong formula (which would be off by O(1)).
func TestDerivatives(t *testing.T) {
	const fdTol = 1e-6
	const step = 1e-6
	for _, g := range []float64{0.3, 1, 2, 5.5} {
		for _, v := range []float64{0.05, 0.2, 0.4, 0.6, 0.9} {
			fd := (theory.Phi(v+step, g) - theory.Phi(v-step, g)) / (2 * step)
			if d := theory.PhiDeriv(v, g); math.Abs(d-fd) > fdTol*math.Max(1, math.Abs(d)) {
				t.Errorf("PhiDeriv(%v, %v) = %v, finite difference %v", v, g, d, fd)
			}
			fd = (theory.LogH(v+step, g) - theory.LogH(v-step, g)) / (2 * step)
			if d := theory.LogHDeriv(v, g); math.Abs(d-fd) > fdTol*math.Max(1, math.Abs(d)) {
				t.Errorf("LogHDeriv(%v, %v) = %v, finite difference %v", v, g, d, fd)
			}
		}
	}
}

// log h and h agree where h does not overflow (an identity between two code
// paths: H divides, LogH sums logarithms).
func TestHLogHConsistent(t *testing.T) {
	// hTol: each side has a few ulps of error; log h up to ~700 in
	// magnitude turns an absolute ulp into 700 relative ulps after exp.
	const hTol = 2e-13
	for _, g := range []float64{0, 0.5, 1, 2, 7, 30} {
		for _, v := range []float64{1e-300, 1e-10, 0.01, 0.3, 0.5, 0.8, 0.999} {
			h, lh := theory.H(v, g), theory.LogH(v, g)
			if math.Abs(math.Log(h)-lh) > hTol*math.Max(1, math.Abs(lh)) {
				t.Errorf("γ=%v v=%v: log H = %v, LogH = %v", g, v, math.Log(h), lh)
			}
		}
	}
}

func TestLossAndRisk(t *testing.T) {
	// γ = 0 is the cross-entropy (Eq. 6).
	u, v := []float64{0.7, 0.2, 0.1}, []float64{0.5, 0.5, 0}
	want := -(0.5*math.Log(0.7) + 0.5*math.Log(0.2))
	if got := theory.Loss(u, v, 0); math.Abs(got-want) > 4*ulp(want) {
		t.Errorf("Loss γ=0 = %v, want cross-entropy %v", got, want)
	}
	// A zero target weight contributes 0 even at u = 0.
	if got := theory.Risk([]float64{0, 1}, []float64{0, 1}, 2); got != 0 {
		t.Errorf("Risk(e_2; e_2) = %v, want 0", got)
	}
	if got := theory.Risk([]float64{0, 1}, []float64{0.5, 0.5}, 2); !math.IsInf(got, 1) {
		t.Errorf("Risk with q_i = 0 < η_i = %v, want +Inf", got)
	}
	if got := theory.Loss(u, []float64{nan, 0.5, 0.5}, 1); !math.IsNaN(got) {
		t.Errorf("Loss with NaN target = %v", got)
	}
}

func TestConfidenceAndSK(t *testing.T) {
	if c := theory.Confidence([]float64{0.4, 0.6}, []float64{0.3, 0.7}); c != theory.UnderConfident {
		t.Errorf("got %v", c)
	}
	if c := theory.Confidence([]float64{0.4, 0.3, 0.3}, []float64{0.38, 0.31, 0.31}); c != theory.OverConfident {
		t.Errorf("got %v", c)
	}
	if c := theory.Confidence([]float64{0.5, 0.5}, []float64{0.5, 0.5}); c != theory.Exact {
		t.Errorf("got %v", c)
	}
	for _, c := range []struct {
		v    []float64
		want bool
	}{
		{[]float64{1, 0, 0}, true}, {[]float64{0.5, 0, 0.5}, true}, {[]float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, true},
		{[]float64{0.5, 0.3, 0.2}, false}, {[]float64{0.5, 0.5 - 1e-17, 0}, true}, {[]float64{0.5, 0.4999999, 0}, false}, {nil, false},
	} {
		if got := theory.InSK(c.v); got != c.want {
			t.Errorf("InSK(%v) = %v", c.v, got)
		}
	}
}

// Log(2^−k) = −k·ln 2 exactly in real arithmetic: an identity oracle for
// the subnormal range, where math.Log on amd64 is wrong (golang/go#56600).
func TestLogSubnormal(t *testing.T) {
	// logTolULP: theory.Log is within 0.51 ulp (theory/log.go); the
	// reference −k·ln 2 rounds once more.
	const logTolULP = 2
	for _, k := range []int{1022, 1023, 1030, 1050, 1074} {
		x := math.Ldexp(1, -k)
		want := -float64(k) * math.Ln2 // exact product of two floats rounds once
		if d := math.Abs(theory.Log(x)-want) / ulp(want); d > logTolULP {
			t.Errorf("Log(2^-%d) = %v, want %v (%.1f ulps)", k, theory.Log(x), want, d)
		}
	}
	for _, c := range []struct{ x, want float64 }{{0, math.Inf(-1)}, {-1, nan}, {nan, nan}, {inf, inf}, {1, 0}} {
		if got := theory.Log(c.x); !alike(got, c.want) {
			t.Errorf("Log(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

// PsiRows, not in place and in place, meets Psi's accuracy contract row by
// row against the independent oracle hiprec.Psi (a shifted softmax of ln h
// in 233-bit arithmetic, written from Eq. 12–13 without this package),
// through acctable.Check's tolerances (acctable.StrictRelTol where every
// γ·|log(1−v_i)| ≤ 10, acctable.ULPsPerA ulps per unit beyond), and gives NaN exactly where
// the oracle does; rows with special cases are included, for several γ and
// more rows than one block. It is also Psi of each row bit for bit, as its
// doc promises.
func TestPsiRowsMatchesPsi(t *testing.T) {
	rows := [][]float64{
		{0.7, 0.2, 0.1}, {1, 0, 0}, {0.5, 0.5, 0}, {nan, 0.5, 0.5}, {0, 0, 0}, {1e-300, 0.5, 0.5 - 1e-300},
		{oneM53, 0x1p-53, 0}, {subnorm, 0.6, 0.4 - subnorm}, {1.5, 0, 0}, {0.2, 0.3, 0.5},
	}
	const k, copies = 3, 40
	var v []float64
	for range copies {
		for _, r := range rows {
			v = append(v, r...)
		}
	}
	var tab acctable.Table
	for _, g := range []float64{0, 0.5, 1, 2, 3, 17, 17.5, 100} {
		got := theory.PsiRows(make([]float64, len(v)), v, k, g)
		same := append([]float64(nil), v...)
		theory.PsiRows(same, same, k, g)
		for ri, r := range rows {
			want := hiprec.Psi(r, g)
			a := 0.0
			for _, x := range r {
				a = math.Max(a, acctable.Amp(x, g))
			}
			psi := theory.Psi(make([]float64, k), r, g)
			for c := range copies {
				i := (c*len(rows) + ri) * k
				for j := range k {
					where := fmt.Sprintf("γ=%v row %v entry %d (copy %d)", g, r, j, c)
					for name, x := range map[string]float64{"PsiRows": got[i+j], "PsiRows in place": same[i+j]} {
						if !alike(x, psi[j]) {
							t.Fatalf("%s: %s = %v, Psi %v", where, name, x, psi[j])
						}
						if want[j].Form == apd.NaN {
							if !math.IsNaN(x) {
								t.Fatalf("%s: %s = %v, want NaN", where, name, x)
							}
							continue
						}
						if hiprec.Float(want[j]) < acctable.MinComponent {
							if d := math.Abs(x - hiprec.Float(want[j])); d > acctable.MinComponent {
								t.Fatalf("%s: %s = %v, want %s", where, name, x, want[j])
							}
							continue
						}
						acctable.Check(t, &tab, name, x, want[j], a, where)
					}
				}
			}
		}
	}
}
