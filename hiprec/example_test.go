package hiprec_test

import (
	"fmt"
	"math"

	"github.com/focaltk/focal/hiprec"
)

func ExampleExact() {
	fmt.Println(hiprec.Exact(0.1))
	// Output: 0.1000000000000000055511151231257827021181583404541015625
}

func ExampleTauOC() {
	// At γ = 1 the thresholds of Thm 8 are e^{−2} and e^{−1}.
	fmt.Println(hiprec.TauOC(1).Text('f')[:42])
	fmt.Println(hiprec.TauUC(1).Text('f')[:42])
	// Output:
	// 0.1353352832366126918939994949724844034076
	// 0.3678794411714423215955237701614608674458
}

func ExampleMinimize() {
	q, err := hiprec.Minimize([]float64{0.7, 0.2, 0.1}, 2)
	if err != nil {
		panic(err)
	}
	psi := hiprec.PsiDecimal(q, 2) // Thm 11: Ψ(q*) recovers η
	for i := range q {
		fmt.Printf("q*_%d = %.20s…  Ψ_%d = %.6f\n", i, q[i].Text('f'), i, hiprec.Float(psi[i]))
	}
	// Output:
	// q*_0 = 0.535168594133914231…  Ψ_0 = 0.700000
	// q*_1 = 0.292692649312414636…  Ψ_1 = 0.200000
	// q*_2 = 0.172138756553671131…  Ψ_2 = 0.100000
}

func ExampleRelErr() {
	// How accurate is the float64 log of 1 − 2^-53, as an estimate of ln h⁰?
	v := 1 - 0x1p-53
	want := hiprec.LogH(v, 0) // ln v, to 60 digits
	fmt.Printf("%.2f ulp\n", hiprec.ULPs(math.Log(v), want))
	// Output: 0.25 ulp
}
