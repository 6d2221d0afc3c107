package hiprec

import (
	"math"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

const (
	// ln2Digits is ln 2 to 70 digits (OEIS A002162).
	ln2Digits = "0.6931471805599453094172321214581765680755001343602552541206800094933936"
	// oneMinus2p53 is the float64 1 − 2^-53.
	oneMinus2p53 = 1 - 0x1p-53
)

func TestPhiSpecialCases(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		v, gamma float64
		want     *apd.Decimal
	}{
		{0.3, 0, apd.New(1, 0)},
		{1, 0, apd.New(1, 0)},
		{0, 0, apd.New(1, 0)},
		{0, 2, apd.New(1, 0)},
		{0, 1e-6, apd.New(1, 0)},
		{1, 2, apd.New(0, 0)},
		{1, 0.5, apd.New(0, 0)},
		{-0.1, 1, nanDec()},
		{1.1, 1, nanDec()},
		{nan, 1, nanDec()},
		{0.5, -1, nanDec()},
		{0.5, nan, nanDec()},
		{0.5, inf, nanDec()},
		{inf, 1, nanDec()},
	}
	for _, tt := range tests {
		if got := Phi(tt.v, tt.gamma); !alike(got, tt.want) {
			t.Errorf("Phi(%v, %v) = %s, want %s", tt.v, tt.gamma, got, tt.want)
		}
	}
	if got := PhiDecimal(nil, 1); got.Form != apd.NaN {
		t.Errorf("PhiDecimal(nil, 1) = %s, want NaN", got)
	}
}

func TestLogHSpecialCases(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		v, gamma float64
		want     *apd.Decimal
	}{
		{0, 2, infDec(true)},
		{0, 0, infDec(true)},
		{1, 2, infDec(false)},
		{1, 1e-6, infDec(false)},
		{1, 0, apd.New(0, 0)},
		{-0.1, 1, nanDec()},
		{1.5, 1, nanDec()},
		{nan, 1, nanDec()},
		{0.5, -1, nanDec()},
		{0.5, nan, nanDec()},
		{0.5, math.Inf(1), nanDec()},
	}
	for _, tt := range tests {
		if got := LogH(tt.v, tt.gamma); !alike(got, tt.want) {
			t.Errorf("LogH(%v, %v) = %s, want %s", tt.v, tt.gamma, got, tt.want)
		}
	}
	if got, want := Float(LogH(0, 1)), math.Inf(-1); got != want {
		t.Errorf("Float(LogH(0, 1)) = %v, want %v", got, want)
	}
	// γ = 0: ln h = ln v.
	for _, v := range []float64{5e-324, 0.25, 0.5, oneMinus2p53} {
		checkRel(t, "LogH(v, 0)", LogH(v, 0), hiLn(t, Exact(v)), goldenTol)
	}
}

// phiGolden: φ^γ(v) and ln h^γ(v) computed with mpmath 1.3.0 at mp.dps = 120
// from Eq. 10 and ln h = ln v − ln φ, printed to 70 digits (v is the exact
// float64; the 1 − 2^-53 rows use v = 1 − mpf(2)**-53).
var phiGolden = []struct {
	v, gamma  float64
	phi, logH string
}{
	{5e-324, 1e-6, "1.0", "-744.4400719213812623141072984460816341130871443029141429256103301959047"},
	{5e-324, 1000, "1.0", "-744.4400719213812623141072984460816341130871443029141429256103301959047"},
	{1e-300, 0.5, "1.0", "-690.7755278982137051803383445701005029086133415836413440625472017900871"},
	{0.3, 1e-6, "1.000000159313280340802196427044054530036416529648358404360438906682474", "-1.20397296363920368007307815395646277534790231764356656261787132486331"},
	{0.3, 0.5, "1.052513437622713327680071312022091838318309456764626951308260397849033", "-1.255153858156328548853101628980513514551449791448911822188181947888577"},
	{0.3, 2, "0.9956685778168931372943714738829757886601454645851514147126320129188527", "-1.199631974357877702009357098674759957939844063376016924281407482648178"},
	{0.3, 1000, "6.47919075794101320624648569239517741229182633077022572348816540415376e-153", "349.2229508042311998990424508571076770028482944984037455894701660206906"},
	{0.5, 1e-6, "0.9999999999997597736040490877846690101689313792156530189391981269195291", "-0.6931471805597050830212811803884849224575840583195969989219904785292914"},
	{0.5, 0.5, "0.952171317053684322329319793013657384607701112463237716848901430761689", "-0.6441368750675587997436288975888649077792104046251280876333708565659521"},
	{0.5, 2, "0.5965735902799726547086160607290882840377500671801276270603400047466968", "-0.1765945056319985547650567839190028894046247579279854344393672236950913"},
	{0.5, 1000, "6.478223095031817914043624775360932452271378822458501960447374598024005e-299", "685.9113493656286477955150329509487960438673634462453018033983963201943"},
	{oneMinus2p53, 1e-6, "0.9999642638374821919572995306450159318233815389477551757815856130110846", "0.00003573680106956574420192080063243159811306410574985072365762743554734671"},
	{oneMinus2p53, 0.5, "1.580506819158526162766085281387097522908908498611381422177870718231109e-8", "17.96293517673038622506005271774761290845249959579893443973100652054034"},
	{oneMinus2p53, 2, "3.697785493223492701021924493042638304894890307858060028514905645760775e-32", "72.37498885068609303281649132930041704112953111887282091715217096951688"},
	{oneMinus2p53, 1000, "2.574328036162831636230461025245793316477030059376547824212674515750997e-15952", "36729.8918148977861784725150465935909286681094754908604469309190225339"},
}

func TestPhiLogHGolden(t *testing.T) {
	for _, tt := range phiGolden {
		if tt.phi != "1.0" { // 1 + O(10^-300) is 1.0 to 70 digits
			checkRel(t, "Phi", Phi(tt.v, tt.gamma), mustDec(t, tt.phi), goldenTol)
		} else if d := absDiffDec(Phi(tt.v, tt.gamma), decOne); d > 1e-290 {
			t.Errorf("Phi(%v, %v) − 1 = %v, want O(1e-298)", tt.v, tt.gamma, d)
		}
		checkRel(t, "LogH", LogH(tt.v, tt.gamma), mustDec(t, tt.logH), goldenTol)
	}
}

// TestPhiClosedForms checks φ at γ = 1 and γ = 2, where Eq. 10 has no
// fractional powers — φ¹ = (1−v) − v ln v, φ² = (1−v)² − 2(1−v) v ln v —
// evaluated with apd (its own Ln, exact products), and the hand-derived
// φ²(1/2) = 1/4 + (ln 2)/2, ln h²(1/2) = −ln 2 − ln(1/4 + (ln 2)/2).
func TestPhiClosedForms(t *testing.T) {
	for _, v := range []float64{5e-324, 1e-300, 1e-8, 0.1, 0.25, 0.5, 0.75, 0.9, 1 - 1e-8, oneMinus2p53} {
		V := Exact(v)
		c := exactSub(decOne, V)
		vlnv := hiOp(t, hiCtx.Mul, V, hiLn(t, V))
		phi1 := hiOp(t, hiCtx.Sub, c, vlnv)
		checkRel(t, "Phi(v, 1)", Phi(v, 1), phi1, goldenTol)
		c2 := hiOp(t, hiCtx.Mul, c, c)
		phi2 := hiOp(t, hiCtx.Sub, c2, hiOp(t, hiCtx.Mul, apd.New(2, 0), hiOp(t, hiCtx.Mul, c, vlnv)))
		checkRel(t, "Phi(v, 2)", Phi(v, 2), phi2, goldenTol)
	}
	ln2 := mustDec(t, ln2Digits)
	phiHalf := hiOp(t, hiCtx.Add, apd.New(25, -2), hiOp(t, hiCtx.Mul, ln2, apd.New(5, -1)))
	checkRel(t, "Phi(1/2, 2)", Phi(0.5, 2), phiHalf, goldenTol)
	checkRel(t, "LogH(1/2, 2)", LogH(0.5, 2), hiOp(t, hiCtx.Sub, new(apd.Decimal).Neg(ln2), hiLn(t, phiHalf)), goldenTol)
}

// TestLogHMatchesPhi checks the two arrangements of Eq. 10 against each
// other: LogH (factored, logarithmic) and ln v − ln Phi (the two terms as
// written, then apd's Ln).
func TestLogHMatchesPhi(t *testing.T) {
	for _, v := range []float64{1e-300, 1e-20, 0.01, 0.2, 0.5, 0.8, 0.999, 1 - 1e-12, oneMinus2p53} {
		for _, g := range []float64{1e-6, 0.01, 0.5, 1, 1.5, 2, 3, 7.25, 100, 1000} {
			want := hiOp(t, hiCtx.Sub, hiLn(t, Exact(v)), hiLn(t, Phi(v, g)))
			got := LogH(v, g)
			if e := absDiffDec(got, want); e > consistencyTol*math.Max(1, math.Abs(Float(want))) {
				t.Errorf("LogH(%v, %v) = %s, ln v − ln Phi = %s (diff %.3g)", v, g, got, want, e)
			}
		}
	}
}

// TestPhiDecimalNearOne checks that a decimal v within 10^-40 of 1 keeps its
// complement: φ(1 − c) for tiny c, against φ¹ = c − (1−c) ln(1−c) with apd.
func TestPhiDecimalNearOne(t *testing.T) {
	c := mustDec(t, "1.234567890123456789e-40")
	v := exactSub(decOne, c)
	c9 := *hiCtx
	c9.Precision = 200 // ln(1 − c) needs c's 18 digits after 40 zeros
	lnv := new(apd.Decimal)
	if _, err := c9.Ln(lnv, v); err != nil {
		t.Fatal(err)
	}
	want := hiOp(t, hiCtx.Sub, c, hiOp(t, hiCtx.Mul, v, lnv))
	checkRel(t, "PhiDecimal(1 − 1.23e-40, 1)", PhiDecimal(v, 1), want, goldenTol)
	// LogHDecimal at γ = 0 is ln v = ln(1 − c) ≈ −c.
	checkRel(t, "LogHDecimal(1 − 1.23e-40, 0)", LogHDecimal(v, 0), lnv, goldenTol)
}

var sinkDec *apd.Decimal

func BenchmarkPhi(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sinkDec = Phi(0.3, 2.5)
	}
}

func BenchmarkLogH(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sinkDec = LogH(0.3, 2.5)
	}
}
