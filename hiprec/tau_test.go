package hiprec

import (
	"math"
	"math/big"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// tauGolden: τ_oc^γ and τ_uc^γ computed with mpmath 1.3.0 at mp.dps = 120:
// τ_oc by 500 bisections on (γ−1)v ln v − (1−v)(ln v + 2) over (1e-30, 1/2)
// polished by findroot, τ_uc by 500 bisections on φ^γ(v) − 1 over
// (τ_oc, 1/2); printed to 70 digits.
var tauGolden = []struct {
	gamma  float64
	oc, uc string
}{
	{0, "0.2031878699799799538384790620624198791054987875905703175002477441519575", "0.5"},
	{1e-6, "0.2031877591468600165437363368393741567735139522434101139291778152857338", "0.4999998042820776323898217923082053718774108547241267299869953582051486"},
	{0.01, "0.202086829049607506874396568129194271341274889258753833184259266469263", "0.4980526846852203575776686917545604115046953643864990354213683008084197"},
	{0.5, "0.1612879084559301054984963954568261799146287975654365511775772278641878", "0.4214574615258173061302599786720270016302589735317216666234147938263846"},
	{1, "0.1353352832366126918939994949724844034076315459095758814681588726540734", "0.3678794411714423215955237701614608674458111310317678345078368016974615"},
	{2, "0.1040576580439883626794993214989688493831707751583902685557861559286618", "0.2976365549817047264605685371843836764935583683316251275876024901408516"},
	{3, "0.085460511835618627043636512734496596727267780637209927818576772754394", "0.2525839887160047313614862111106831033721982108098064559536328015943118"},
	{10, "0.04025123529228242834066444832459728289876184192671898711884390300329783", "0.1307479022360639253074701540535395233085057023433336258314507433651861"},
	{100, "0.006101734631846514437750664755719190429148177749555803944137120605786486", "0.0224983256524807592844679885951561973617504765234502539045549262188219"},
	{1000, "0.0007236224309487012523590875222534012446137294093609069581825107225084099", "0.0028806209436884795319578396500732325921630960966008524237175439210611"},
}

// tauGammas are the γ of the order and defining-equation checks.
var tauGammas = []float64{1e-6, 0.01, 0.5, 1, 2, 3, 10, 100, 1000}

func TestTauGolden(t *testing.T) {
	for _, tt := range tauGolden {
		checkRel(t, "TauOC", TauOC(tt.gamma), mustDec(t, tt.oc), goldenTol)
		checkRel(t, "TauUC", TauUC(tt.gamma), mustDec(t, tt.uc), goldenTol)
	}
}

// TestTauKnownValues checks the closed forms at γ = 1 (e^{−2}, e^{−1}, with
// apd's Exp as the reference and with the digits of e^{−1} and e^{−2}) and
// the γ = 0 limit, the root of ln v = 2v − 2 (= −W₀(−2e^{−2})/2).
func TestTauKnownValues(t *testing.T) {
	em1 := mustDec(t, "0.36787944117144232159552377016146086744581113103176")
	em2 := mustDec(t, "0.13533528323661269189399949497248440340763154590957")
	const digits50 = 1e-49 // the literals above have 50 digits
	checkRel(t, "TauOC(1)", TauOC(1), em2, digits50)
	checkRel(t, "TauUC(1)", TauUC(1), em1, digits50)
	for _, tt := range []struct {
		got *apd.Decimal
		x   int64
	}{{TauOC(1), -2}, {TauUC(1), -1}} {
		want := new(apd.Decimal)
		if _, err := hiCtx.Exp(want, apd.New(tt.x, 0)); err != nil {
			t.Fatal(err)
		}
		checkRel(t, "tau(1) vs apd Exp", tt.got, want, goldenTol)
	}
	// γ = 0: ln τ − 2τ + 2 = 0, residual ≈ |1/τ − 2|·(rounding of τ).
	tau0 := TauOC(0)
	res := hiOp(t, hiCtx.Add, hiOp(t, hiCtx.Sub, hiLn(t, tau0), hiOp(t, hiCtx.Mul, apd.New(2, 0), tau0)), apd.New(2, 0))
	if r := math.Abs(Float(res)); r > equationTol {
		t.Errorf("TauOC(0) = %s: ln τ − 2τ + 2 = %.3g", tau0, r)
	}
	if got := TauUC(0); got.Cmp(decHalf) != 0 {
		t.Errorf("TauUC(0) = %s, want 0.5", got)
	}
}

func TestTauSpecialCases(t *testing.T) {
	for _, g := range []float64{-1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		if d := TauOC(g); d.Form != apd.NaN {
			t.Errorf("TauOC(%v) = %s, want NaN", g, d)
		}
		if d := TauUC(g); d.Form != apd.NaN {
			t.Errorf("TauUC(%v) = %s, want NaN", g, d)
		}
	}
	// γ → 0: both tend to their γ = 0 values; for γ = 1e-300 the root of
	// φ = 1 is within 10^-300 of 1/2, which G(1/2) cannot resolve, so 1/2
	// is returned.
	if d := relDiff(TauOC(1e-300), TauOC(0)); d > goldenTol {
		t.Errorf("TauOC(1e-300) differs from TauOC(0) by %.3g", d)
	}
	if d := relDiff(TauUC(1e-300), decHalf); d > goldenTol {
		t.Errorf("TauUC(1e-300) differs from 1/2 by %.3g", d)
	}
}

// TestTauOrder checks Thm 8 (1): 0 < τ_oc < τ_uc < 1/2.
func TestTauOrder(t *testing.T) {
	for _, g := range tauGammas {
		oc, uc := TauOC(g), TauUC(g)
		if !(oc.Sign() > 0 && oc.Cmp(uc) < 0 && uc.Cmp(decHalf) < 0) {
			t.Errorf("γ = %v: τ_oc = %s, τ_uc = %s, want 0 < τ_oc < τ_uc < 1/2", g, oc, uc)
		}
	}
}

// TestTauDefiningEquations checks the defining properties of the roots at
// 150 digits, to relative δ = 1e-45: φ(τ_oc) ≥ φ(τ_oc(1 ± δ)) (a maximum,
// using φ itself rather than the equation φ' = 0 that TauOC solves), and
// φ(τ_uc(1 − δ)) > 1 > φ(τ_uc(1 + δ)) (a sign change of φ − 1, not of
// TauUC's G). The second-order change of φ at the maximum is ~|φ″|·τ²δ²
// ≥ 1e-97 for these γ, far above 150-digit noise, so the check fails if τ
// is wrong in its 45th digit.
func TestTauDefiningEquations(t *testing.T) {
	const delta = "1e-45"
	k := newCalc(150)
	d := mustDec(t, delta)
	scale := func(x *apd.Decimal, sign int64) *apd.Decimal {
		f := exactAdd(decOne, new(apd.Decimal).Set(d))
		if sign < 0 {
			f = exactSub(decOne, d)
		}
		r := new(apd.Decimal)
		if _, err := exactCtx.Mul(r, x, f); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, g := range tauGammas {
		G := k.num(g)
		phi := func(v *apd.Decimal) *big.Float { return k.phi(k.pointDec(v), G) }
		oc := TauOC(g)
		p0, pm, pp := phi(oc), phi(scale(oc, -1)), phi(scale(oc, 1))
		if !(p0.Cmp(pm) > 0 && p0.Cmp(pp) > 0) {
			t.Errorf("γ = %v: φ(τ_oc) = %s is not above φ(τ_oc(1∓%s)) = %s, %s",
				g, p0.Text('g', 60), delta, pm.Text('g', 60), pp.Text('g', 60))
		}
		uc := TauUC(g)
		one := k.one()
		qm, qp := phi(scale(uc, -1)), phi(scale(uc, 1))
		if !(qm.Cmp(one) > 0 && qp.Cmp(one) < 0) {
			t.Errorf("γ = %v: φ(τ_uc(1∓%s)) − 1 = %s, %s, want > 0 > ", g, delta,
				k.sub(qm, one).Text('g', 10), k.sub(qp, one).Text('g', 10))
		}
		// And |φ(τ_uc) − 1| is at the level of the rounding of τ_uc.
		if r := k.abs(k.sub(phi(uc), one)); r.Cmp(big.NewFloat(equationTol)) > 0 {
			t.Errorf("γ = %v: |φ(τ_uc) − 1| = %s", g, r.Text('g', 5))
		}
	}
}
