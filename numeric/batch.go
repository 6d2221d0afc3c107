package numeric

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/focaltk/focal/theory"
)

// Batch kernels over N×K matrices stored row-major in a []float64 (row r is
// src[r*k : (r+1)*k]; rows are samples, columns classes). Each kernel writes
// into the caller's dst, which must have the length of src, and returns dst;
// dst may alias src. Rows are split into grains of contiguous rows, which
// worker goroutines take one after another (parallelGrains; workers ≤ 0
// means runtime.GOMAXPROCS(0)); nothing is allocated per row, only closures
// and the goroutines per call. Rows are transformed independently and
// exactly as the scalar theory functions transform them, so the result
// does not depend on the number of workers. Invalid rows become NaN, as in
// package theory; ValidateRows reports them as errors first.
//
// The kernels panic if k < 1, len(src) is not a multiple of k, or len(dst)
// != len(src).

// minRowsPerWorker: below this many rows per chunk the cost of starting a
// goroutine (~1 µs) is no longer small against the work (~0.1 µs per row
// at K = 10).
const minRowsPerWorker = 256

// PsiRows writes Ψ^γ of each row of src into dst (theory.Psi).
func PsiRows(dst, src []float64, k int, gamma float64, workers int) []float64 {
	n := checkRows(dst, src, k)
	parallelGrains(n, workers, minRowsPerWorker, grainEntries/k, func(lo, hi int) {
		theory.PsiRows(dst[lo*k:hi*k], src[lo*k:hi*k], k, gamma)
	})
	return dst
}

// grainEntries is about the number of matrix entries in one unit of work
// that parallelGrains hands out: ~0.15 ms of Ψ^γ at γ = 2, so that a few
// hundred units balance the workers while the hand-out (one atomic add)
// costs nothing.
const grainEntries = 1 << 14

// parallelGrains calls fn(lo, hi) on consecutive grains [lo, hi) of [0, n)
// from up to workers goroutines (workers ≤ 0 means runtime.GOMAXPROCS(0)),
// each taking the next grain when done with the last, and returns when all
// are done. A grain has maxGrain items, or fewer so that every worker gets
// one, but at least minGrain (the last grain may be shorter); no more
// workers start than there are grains. Unlike one equal chunk per worker
// (ParallelChunks), this keeps every worker busy to the end when some run
// slower than others (a core shared with another process: on a busy
// machine, the common case). The calling goroutine is one of the workers;
// nothing is allocated per grain.
func parallelGrains(n, workers, minGrain, maxGrain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(workers, 1)
	grain := max(1, minGrain, min(maxGrain, (n+workers-1)/workers))
	grains := (n + grain - 1) / grain
	workers = min(workers, grains)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			g := int(next.Add(1) - 1)
			if g >= grains {
				return
			}
			fn(g*grain, min((g+1)*grain, n))
		}
	}
	var wg sync.WaitGroup
	wg.Add(workers - 1)
	for range workers - 1 {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// PsiBalancedRows writes the α-balanced recovery of each row of src into dst
// (theory.PsiBalanced) with class weights alpha, of length k.
func PsiBalancedRows(dst, src []float64, k int, alpha []float64, gamma float64, workers int) []float64 {
	if len(alpha) != k {
		panic("numeric: len(alpha) != k")
	}
	forRows(dst, src, k, workers, func(d, s []float64) {
		theory.PsiBalanced(d, s, alpha, gamma)
	})
	return dst
}

// SigmoidRows writes, for each entry p of src (a sigmoid output of one
// class), the recovered P(y=1|x) of theory.SigmoidPosterior into dst.
// alpha holds the weight α of the positives: nil for no weighting, one
// value for all classes, or k values, one per column (α < 0: no weighting).
func SigmoidRows(dst, src []float64, k int, alpha []float64, gamma float64, workers int) []float64 {
	a := sigmoidAlphas(alpha, k)
	forRows(dst, src, k, workers, func(d, s []float64) {
		for j, p := range s {
			d[j] = theory.SigmoidPosterior(p, a(j), gamma)
		}
	})
	return dst
}

// SigmoidLogitRows is SigmoidRows for logits z (p = σ(z)): it writes the
// recovered P(y=1|x) = theory.Sigmoid(theory.SigmoidPosteriorLogit(z, α, γ))
// into dst.
func SigmoidLogitRows(dst, src []float64, k int, alpha []float64, gamma float64, workers int) []float64 {
	a := sigmoidAlphas(alpha, k)
	forRows(dst, src, k, workers, func(d, s []float64) {
		for j, z := range s {
			d[j] = theory.Sigmoid(theory.SigmoidPosteriorLogit(z, a(j), gamma))
		}
	})
	return dst
}

// SoftmaxRows writes softmax(src_r) of each row of logits into dst: the
// exponentials of z − max z normalized by their sum. A row with a NaN or
// +Inf entry, or with every entry −Inf, becomes NaN.
func SoftmaxRows(dst, src []float64, k int, workers int) []float64 {
	forRows(dst, src, k, workers, func(d, s []float64) {
		softmax(d, s, 1)
	})
	return dst
}

// SoftmaxTempRows writes softmax(src_r / t) of each row of logits into
// dst, for a temperature t > 0 (temperature scaling; SoftmaxRows is t = 1):
// the exponentials of (z − max z)/t normalized by their sum, with the
// special cases of SoftmaxRows.
func SoftmaxTempRows(dst, src []float64, k int, t float64, workers int) []float64 {
	forRows(dst, src, k, workers, func(d, s []float64) {
		softmax(d, s, t)
	})
	return dst
}

// softmax writes softmax(z/t) into d for t > 0.
func softmax(d, z []float64, t float64) {
	m := math.Inf(-1)
	for _, x := range z {
		if x > m || x != x {
			m = x
		}
	}
	if math.IsNaN(m) || math.IsInf(m, 0) {
		for i := range d {
			d[i] = math.NaN()
		}
		return
	}
	var s float64
	for i, x := range z {
		e := math.Exp((x - m) / t)
		d[i] = e
		s += e
	}
	for i := range d {
		d[i] /= s
	}
}

// sigmoidAlphas returns the weight of column j (see SigmoidRows).
func sigmoidAlphas(alpha []float64, k int) func(int) float64 {
	switch len(alpha) {
	case 0:
		return func(int) float64 { return -1 }
	case 1:
		a := alpha[0]
		return func(int) float64 { return a }
	case k:
		return func(j int) float64 { return alpha[j] }
	}
	panic("numeric: len(alpha) must be 0, 1 or k")
}

// forRows runs fn on every row pair (dst row, src row) in parallel grains.
func forRows(dst, src []float64, k, workers int, fn func(d, s []float64)) {
	n := checkRows(dst, src, k)
	run := func(lo, hi int) {
		for r := lo; r < hi; r++ {
			i := r * k
			fn(dst[i:i+k:i+k], src[i:i+k:i+k])
		}
	}
	parallelGrains(n, workers, minRowsPerWorker, grainEntries/k, run)
}

// checkRows returns the number of rows, panicking on inconsistent shapes.
func checkRows(dst, src []float64, k int) int {
	if k < 1 {
		panic("numeric: k < 1")
	}
	if len(src)%k != 0 {
		panic("numeric: len(src) is not a multiple of k")
	}
	if len(dst) != len(src) {
		panic("numeric: len(dst) != len(src)")
	}
	return len(src) / k
}

// ParallelChunks splits [0, n) into at most workers contiguous chunks of at
// least minChunk items (except when n itself is smaller) and calls fn(lo, hi)
// on each, concurrently, returning when all have returned. workers ≤ 0 means
// runtime.GOMAXPROCS(0). The last chunk runs on the calling goroutine.
func ParallelChunks(n, workers, minChunk int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if minChunk < 1 {
		minChunk = 1
	}
	if w := (n + minChunk - 1) / minChunk; w < workers {
		workers = w
	}
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := n / workers
	extra := n % workers
	lo := 0
	for w := 0; w < workers; w++ {
		hi := lo + chunk
		if w < extra {
			hi++
		}
		if w == workers-1 {
			fn(lo, hi)
			break
		}
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, hi)
		lo = hi
	}
	wg.Wait()
}

// PsiLogitsRows writes Ψ^γ(softmax(z)) of each row of logits src into dst,
// formed from the logits (theory.PsiLogitsRows): with alpha (of length k)
// not nil, the α-balanced recovery.
func PsiLogitsRows(dst, src []float64, k int, alpha []float64, gamma float64, workers int) []float64 {
	n := checkRows(dst, src, k)
	parallelGrains(n, workers, minRowsPerWorker, grainEntries/k, func(lo, hi int) {
		theory.PsiLogitsRows(dst[lo*k:hi*k], src[lo*k:hi*k], k, alpha, gamma)
	})
	return dst
}

// LogPsiLogitsRows writes log Ψ^γ(softmax(z)) of each row of logits src
// into dst (theory.LogPsiLogitsRows), finite wherever the true value is.
func LogPsiLogitsRows(dst, src []float64, k int, alpha []float64, gamma float64, workers int) []float64 {
	n := checkRows(dst, src, k)
	parallelGrains(n, workers, minRowsPerWorker, grainEntries/k, func(lo, hi int) {
		theory.LogPsiLogitsRows(dst[lo*k:hi*k], src[lo*k:hi*k], k, alpha, gamma)
	})
	return dst
}
