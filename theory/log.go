package theory

import "math"

// Log returns the natural logarithm of x, like math.Log, but correct also
// for subnormal x. math.Log on amd64 and s390x (an assembly kernel) does not
// normalize subnormal inputs and returns about −709.09 for every x below
// 2^−1022 instead of down to −744.44 (golang/go#56600, still open in
// Go 1.26); the accuracy tests against package hiprec found it here. A
// subnormal x is scaled by 2^54 exactly and the logarithm shifted back with
// the Cody–Waite split of 54·ln 2.
//
// Special cases are those of math.Log:
//
//	Log(+Inf) = +Inf
//	Log(0) = −Inf
//	Log(x < 0) = NaN
//	Log(NaN) = NaN
func Log(x float64) float64 {
	if x > 0 && x < 0x1p-1022 {
		return (math.Log(x*0x1p54) - 54*ln2Hi) - 54*ln2Lo
	}
	return math.Log(x)
}
