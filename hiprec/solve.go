package hiprec

import (
	"errors"
	"math/big"
)

// ErrNoConvergence is returned (wrapped) when a root finder exhausts its
// iteration budget. It has not been observed; it exists so that a failure
// is an error, never a silently wrong digit.
var ErrNoConvergence = errors.New("hiprec: root finder did not converge")

// maxSolveIter bounds the iterations of solveIncreasing. Bisection alone
// needs about 3.3 per digit, so this is ample for 250 digits from any
// bracket; Newton from a float64 start needs about 4.
const maxSolveIter = 2000

// solveIncreasing returns a zero of the increasing function f, which returns
// f(x) and f'(x). x0 is the start; lo and hi, if not nil, bracket the zero
// (f(lo) < 0 < f(hi)); tol(x) is the step below which x counts as
// converged (the result is the last x at which f was evaluated, within
// about one such step of the zero); maxStep(x) caps a Newton step while one
// side of the bracket is still unknown.
//
// Method: safeguarded Newton. Each evaluation narrows the bracket by the
// sign of f. A Newton step that leaves the bracket, or two steps in a row
// that fail to halve, are replaced by bisection, so the iteration always
// terminates (bisection needs no accuracy of f, only its sign), and near
// the zero it converges quadratically. With rounding noise in f, the result
// is a point where the computed f changes sign, which is as good as f's
// accuracy allows.
func (k *calc) solveIncreasing(f func(x *big.Float) (fx, dfx *big.Float),
	x0, lo, hi *big.Float, tol, maxStep func(x *big.Float) *big.Float) (*big.Float, error) {
	x := x0
	var prev *big.Float // |previous step|
	slow := 0
	for it := 0; it < maxSolveIter; it++ {
		fx, dfx := f(x)
		if fx.Sign() == 0 {
			return x, nil
		}
		if fx.Sign() < 0 {
			lo = x
		} else {
			hi = x
		}
		bisect := false
		var xn *big.Float
		if dfx.IsInf() || dfx.Sign() <= 0 {
			bisect = true
		} else {
			step := k.neg(k.quo(fx, dfx))
			if k.abs(step).Cmp(tol(x)) <= 0 {
				// Converged: |x − x*| ≈ |step|. (Tested before the bracket
				// checks: at the noise floor x + step may round to x, which
				// is on the bracket's edge.)
				return x, nil
			}
			if prev != nil && lo != nil && hi != nil {
				if k.abs(step).Cmp(k.half(prev)) > 0 {
					slow++
				} else {
					slow = 0
				}
				if slow >= 2 {
					bisect, slow = true, 0
				}
			}
			if (lo == nil || hi == nil) && k.abs(step).Cmp(maxStep(x)) > 0 {
				step = maxStep(x)
				if fx.Sign() > 0 {
					step = k.neg(step)
				}
			}
			xn = k.add(x, step)
			if (lo != nil && xn.Cmp(lo) <= 0) || (hi != nil && xn.Cmp(hi) >= 0) {
				bisect = true
			}
		}
		if bisect {
			switch {
			case lo != nil && hi != nil:
				xn = k.half(k.add(lo, hi))
			case lo != nil: // f < 0 at every point seen: move up
				xn = k.add(x, maxStep(x))
			default:
				xn = k.sub(x, maxStep(x))
			}
		}
		d := k.abs(k.sub(xn, x))
		if d.Cmp(tol(xn)) <= 0 {
			// The step bounds the distance from x to the zero (Newton:
			// |x − x*| ≈ |step|; bisection: the bracket).
			return x, nil
		}
		prev, x = d, xn
	}
	return x, ErrNoConvergence
}

// relTol returns tol·|x|: a relative step tolerance.
func (k *calc) relTol(x *big.Float) *big.Float { return k.mul(k.abs(x), k.tol) }

// absTol returns tol: an absolute step tolerance.
func (k *calc) absTol(*big.Float) *big.Float { return k.tol }

// noCap is a maxStep for solves that always have a bracket.
func noCap(*big.Float) *big.Float { return big.NewFloat(1) }
