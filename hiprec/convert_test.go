package hiprec

import (
	"math"
	"math/rand"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// Exact decimal values of float64s, printed by Python's decimal.Decimal(x)
// (which converts exactly).
var exactTests = []struct {
	x    float64
	want string
}{
	{0.1, "0.1000000000000000055511151231257827021181583404541015625"},
	{1.0 / 3, "0.333333333333333314829616256247390992939472198486328125"},
	{1 - 0x1p-53, "0.99999999999999988897769753748434595763683319091796875"},
	{1, "1"},
	{0, "0"},
	{-2.5, "-2.5"},
	{0x1p100, "1267650600228229401496703205376"},
	{math.MaxFloat64, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368"},
	{5e-324, "4.940656458412465441765687928682213723650598026143247644255856825006755072702087518652998363616359923797965646954457177309266567103559397963987747960107818781263007131903114045278458171678489821036887186360569987307230500063874091535649843873124733972731696151400317153853980741262385655911710266585566867681870395603106249319452715914924553293054565444011274801297099995419319894090804165633245247571478690147267801593552386115501348035264934720193790268107107491703332226844753335720832431936092382893458368060106011506169809753078342277318329247904982524730776375927247874656084778203734469699533647017972677717585125660551199131504891101451037862738167250955837389733598993664809941164205702637090279242767544565229087538682506419718265533447265625E-324"},
	{2.2250738585072014e-308, "2.225073858507201383090232717332404064219215980462331830553327416887204434813918195854283159012511020564067339731035811005152434161553460108856012385377718821130777993532002330479610147442583636071921565046942503734208375250806650616658158948720491179968591639648500635908770118304874799780887753749949451580451605050915399856582470818645113537935804992115981085766051992433352114352390148795699609591288891602992641511063466313393663477586513029371762047325631781485664350872122828637642044846811407613911477062801689853244110024161447421618567166150540154285084716752901903161322778896729707373123334086988983175067838846926092773977972858659654941091369095406136467568702398678315290680984617210924625396728515625E-308"},
}

func TestExact(t *testing.T) {
	for _, tt := range exactTests {
		if got := Exact(tt.x); got.Cmp(mustDec(t, tt.want)) != 0 {
			t.Errorf("Exact(%v) = %s, want %s", tt.x, got, tt.want)
		}
	}
	if got := Exact(0.1).Text('f'); got[:36] != "0.1000000000000000055511151231257827" {
		t.Errorf("Exact(0.1) prints %s", got)
	}
	if d := Exact(math.Copysign(0, -1)); !d.IsZero() || !d.Negative {
		t.Errorf("Exact(-0) = %s, want -0", d)
	}
	if d := Exact(math.NaN()); d.Form != apd.NaN {
		t.Errorf("Exact(NaN) = %s", d)
	}
	if d := Exact(math.Inf(-1)); d.Form != apd.Infinite || !d.Negative {
		t.Errorf("Exact(-Inf) = %s", d)
	}
}

// floatEdges are float64s at the edges of the format.
var floatEdges = []float64{
	0, 5e-324, 1e-323, 0x1p-1022 - 0x1p-1074, 0x1p-1022, 1e-300, 0.1, 1.0 / 3, 0.5,
	1 - 0x1p-53, 1, 1 + 0x1p-52, 1e300, math.MaxFloat64,
}

func TestFloatRoundTrip(t *testing.T) {
	seed := int64(1)
	rng := rand.New(rand.NewSource(seed))
	xs := append([]float64{}, floatEdges...)
	for i := 0; i < 300; i++ {
		// log-uniform magnitude over the whole range, random mantissa bits
		xs = append(xs, math.Ldexp(1+rng.Float64(), rng.Intn(2098)-1074))
	}
	for _, x := range xs {
		for _, s := range []float64{1, -1} {
			if got := Float(Exact(s * x)); math.Float64bits(got) != math.Float64bits(s*x) {
				t.Errorf("Float(Exact(%v)) = %v (seed %d)", s*x, got, seed)
			}
		}
	}
	if got := Float(Exact(math.Copysign(0, -1))); !math.Signbit(got) {
		t.Errorf("Float(Exact(-0)) = %v, want -0", got)
	}
}

// TestFloatRounding checks correct rounding at and next to the midpoint
// between consecutive float64s (including the subnormal range, underflow
// to 0 and overflow to +Inf), where the decimal inputs are 750–1300 digits
// long.
func TestFloatRounding(t *testing.T) {
	tiny := apd.New(1, -1300)
	half := apd.New(5, -1)
	cases := append([]float64{}, floatEdges...)
	for _, x := range cases {
		next := math.Nextafter(x, math.Inf(1))
		var nextDec *apd.Decimal
		if math.IsInf(next, 1) {
			nextDec = Exact(0x1p1023)
			nextDec = exactAdd(nextDec, nextDec) // 2^1024
		} else {
			nextDec = Exact(next)
		}
		mid := new(apd.Decimal)
		if _, err := exactCtx.Mul(mid, exactAdd(Exact(x), nextDec), half); err != nil {
			t.Fatal(err)
		}
		even := x
		if math.Float64bits(x)&1 == 1 {
			even = next
		}
		if got := Float(mid); got != even {
			t.Errorf("Float(midpoint(%v, next)) = %v, want %v (ties to even)", x, got, even)
		}
		if got := Float(exactAdd(mid, tiny)); got != next {
			t.Errorf("Float(midpoint(%v, next) + 1e-1300) = %v, want %v", x, got, next)
		}
		if got := Float(exactSub(mid, tiny)); got != x {
			t.Errorf("Float(midpoint(%v, next) - 1e-1300) = %v, want %v", x, got, x)
		}
	}
}

func TestFloatSpecialCases(t *testing.T) {
	tests := []struct {
		d    *apd.Decimal
		want float64
	}{
		{nanDec(), math.NaN()},
		{nil, math.NaN()},
		{infDec(false), math.Inf(1)},
		{infDec(true), math.Inf(-1)},
		{apd.New(1, 400), math.Inf(1)},
		{apd.New(-1, 400), math.Inf(-1)},
		{apd.New(1, -400), 0},
		{apd.New(1, -99999), 0},
		{apd.New(1, 0), 1},
	}
	for _, tt := range tests {
		got := Float(tt.d)
		if math.Float64bits(got) != math.Float64bits(tt.want) && !(math.IsNaN(got) && math.IsNaN(tt.want)) {
			t.Errorf("Float(%v) = %v, want %v", tt.d, got, tt.want)
		}
	}
}

func TestRelErrULPs(t *testing.T) {
	tenth := apd.New(1, -1)
	// |0.1 − Exact(0.1)| = 5.551115123125782702…e-18 exactly.
	if got, want := RelErr(0.1, tenth), 5.551115123125782702e-17; math.Abs(got-want) > 1e-15*want {
		t.Errorf("RelErr(0.1, 1/10) = %v, want %v", got, want)
	}
	// ulp(0.1) = 2^-56 = 1.3877787807814457e-17, so 0.4 ulp.
	if got, want := ULPs(0.1, tenth), 0.4; math.Abs(got-want) > 1e-15 {
		t.Errorf("ULPs(0.1, 1/10) = %v, want %v", got, want)
	}
	if got, want := ULPs(math.Nextafter(0.1, 1), tenth), 1.4; math.Abs(got-want) > 1e-15 {
		t.Errorf("ULPs(next(0.1), 1/10) = %v, want %v", got, want)
	}
	if got := ULPs(5e-324, apd.New(0, 0)); got != 1 {
		t.Errorf("ULPs(5e-324, 0) = %v, want 1", got)
	}
	for _, x := range floatEdges {
		if r, u := RelErr(x, Exact(x)), ULPs(x, Exact(x)); r != 0 || u != 0 {
			t.Errorf("RelErr, ULPs(%v, Exact(%v)) = %v, %v, want 0", x, x, r, u)
		}
	}
	inf := math.Inf(1)
	nan := math.NaN()
	special := []struct {
		got  float64
		want *apd.Decimal
		e    float64
	}{
		{0, apd.New(0, 0), 0},
		{1e-300, apd.New(0, 0), inf},
		{nan, nanDec(), 0},
		{1, nanDec(), inf},
		{nan, apd.New(1, 0), inf},
		{inf, infDec(false), 0},
		{math.Inf(-1), infDec(false), inf},
		{inf, apd.New(1, 0), inf},
		{1, infDec(false), inf},
		{1, nil, inf},
	}
	for _, tt := range special {
		if got := RelErr(tt.got, tt.want); got != tt.e {
			t.Errorf("RelErr(%v, %v) = %v, want %v", tt.got, tt.want, got, tt.e)
		}
		if tt.want != nil && tt.want.Form == apd.Finite && tt.want.IsZero() {
			continue // ULPs uses ulp(0) = 2^-1074 instead
		}
		if got := ULPs(tt.got, tt.want); got != tt.e {
			t.Errorf("ULPs(%v, %v) = %v, want %v", tt.got, tt.want, got, tt.e)
		}
	}
	// Beyond MaxFloat64 the ulp is 2^971.
	big := exactAdd(Exact(math.MaxFloat64), Exact(0x1p971))
	if got := ULPs(math.MaxFloat64, big); got != 1 {
		t.Errorf("ULPs(MaxFloat64, MaxFloat64 + 2^971) = %v, want 1", got)
	}
}

// TestOffsets: the offsets of decimals that all round to 1/2 keep their
// differences (the oracle is the decimal literal itself: 1/2 + 3e-30 − 1/2
// is 3e-30 exactly), and the special cases give NaN.
func TestOffsets(t *testing.T) {
	mk := func(s string) *apd.Decimal {
		d, _, err := apd.NewFromString(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := []*apd.Decimal{mk("0.500000000000000000000000000003"), mk("0.5"), mk("0.499999999999999999999999999999"), mk("0.25")}
	for _, x := range d[:3] {
		if Float(x) != 0.5 {
			t.Fatalf("Float(%s) = %v: the case needs entries that round to 1/2", x, Float(x))
		}
	}
	got := Offsets(d, 0.5)
	want := []float64{3e-30, 0, -1e-30, -0.25}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Offsets[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	for _, c := range []float64{math.NaN(), math.Inf(1)} {
		if o := Offsets(d[:1], c); !math.IsNaN(o[0]) {
			t.Errorf("Offsets(d, %v) = %v, want NaN", c, o)
		}
	}
	if o := Offsets([]*apd.Decimal{nil, {Form: apd.NaN}}, 0.5); !math.IsNaN(o[0]) || !math.IsNaN(o[1]) {
		t.Errorf("Offsets of nil and NaN = %v, want NaN", o)
	}
}
