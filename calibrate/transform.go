package calibrate

// This file holds the recovery transform of one block of rows: raw
// probabilities from the input (softmax or sigmoid of logits), the
// recovered posteriors (Ψ^γ, α-balanced Ψ or the sigmoid recovery), and the
// class probabilities the metrics see. It is shared by both passes.

import (
	"github.com/focaltk/focal/numeric"
	"github.com/focaltk/focal/theory"
)

// block holds the buffers of one block of rows.
type block struct {
	in, raw, out, rec []float64 // input, raw probs (kc), output (k), recovered (kc)
	labels            []int64
	ints              []int
}

func (p *pipeline) newBlock() *block {
	n := p.o.BlockRows * p.workers
	return &block{
		in: make([]float64, n*p.k), raw: make([]float64, n*p.kc),
		out: make([]float64, n*p.k), rec: make([]float64, n*p.kc),
		labels: make([]int64, n), ints: make([]int, n),
	}
}

// transform fills b.raw, b.out and b.rec for the first n rows of b.in.
func (p *pipeline) transform(b *block, n int) {
	o := &p.o
	k, kc, w := p.k, p.kc, p.workers
	in, raw, out, rec := b.in[:n*k], b.raw[:n*kc], b.out[:n*k], b.rec[:n*kc]
	if o.Renormalize {
		numeric.RenormalizeRows(in, in, k)
	}
	switch o.Loss {
	case LossSoftmax:
		if o.InputKind == InputLogits {
			numeric.SoftmaxRows(raw, in, k, w)
		} else {
			copy(raw, in)
		}
		if o.Alpha != nil {
			numeric.PsiBalancedRows(out, raw, k, o.Alpha, o.Gamma, w)
		} else {
			numeric.PsiRows(out, raw, k, o.Gamma, w)
		}
		copy(rec, out)
	case LossSigmoid:
		if o.InputKind == InputLogits {
			numeric.SigmoidLogitRows(out, in, k, o.Alpha, o.Gamma, w)
			for i, z := range in {
				in[i] = theory.Sigmoid(z) // raw probabilities from here on
			}
		} else {
			numeric.SigmoidRows(out, in, k, o.Alpha, o.Gamma, w)
		}
		toClasses(raw, in, k)
		toClasses(rec, out, k)
	}
}

// toClasses writes the metrics' class probabilities of sigmoid outputs:
// (1−p, p) for one column, the row normalized to sum 1 otherwise (NaN if
// it sums to 0).
func toClasses(dst, src []float64, k int) {
	if k == 1 {
		for i, x := range src {
			dst[2*i], dst[2*i+1] = 1-x, x
		}
		return
	}
	for r := 0; r < len(src)/k; r++ {
		row, d := src[r*k:(r+1)*k], dst[r*k:(r+1)*k]
		var s float64
		for _, x := range row {
			s += x
		}
		for j, x := range row {
			d[j] = x / s
		}
	}
}
