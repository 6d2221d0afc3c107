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
	lraw, lrec        []float64 // log raw and log recovered probs (kc)
	labels            []int64
	ints              []int
	soft              []float64 // soft labels (kc; empty for hard ones)
}

func (p *pipeline) newBlock() *block {
	n := p.o.BlockRows * p.workers
	b := &block{
		in: make([]float64, n*p.k), raw: make([]float64, n*p.kc),
		out: make([]float64, n*p.k), rec: make([]float64, n*p.kc),
		lraw: make([]float64, n*p.kc), lrec: make([]float64, n*p.kc),
		labels: make([]int64, n), ints: make([]int, n),
	}
	switch p.o.LabelKind {
	case LabelsSoft:
		b.soft = make([]float64, n*p.kc)
	case LabelsMulti:
		b.soft = make([]float64, n*p.k)
	}
	return b
}

// transform fills b.raw, b.out, b.rec and their logarithms b.lraw, b.lrec
// for the first n rows of b.in. From softmax logits, the probabilities and
// the recovery are formed from the logits and their logarithms in the log
// domain (theory.PsiLogits, LogPsiLogits; softmax is their γ = 0), so that
// no small probability is rounded to 0 on the way (logits (50, 0, 0) give a
// recovered class 1 near 1e-64, and its NLL stays finite for any finite
// logits).
func (p *pipeline) transform(b *block, n int) {
	o := &p.o
	k, kc, w := p.k, p.kc, p.workers
	in, raw, out, rec := b.in[:n*k], b.raw[:n*kc], b.out[:n*k], b.rec[:n*kc]
	lraw, lrec := b.lraw[:n*kc], b.lrec[:n*kc]
	if o.Renormalize {
		numeric.RenormalizeRows(in, in, k)
	}
	switch {
	case o.Loss == LossSoftmax && o.InputKind == InputLogits:
		numeric.PsiLogitsRows(raw, in, k, nil, 0, w)
		numeric.LogPsiLogitsRows(lraw, in, k, nil, 0, w)
		numeric.PsiLogitsRows(out, in, k, p.alpha, o.Gamma, w)
		numeric.LogPsiLogitsRows(lrec, in, k, p.alpha, o.Gamma, w)
		copy(rec, out)
		return
	case o.Loss == LossSoftmax:
		copy(raw, in)
		if p.alpha != nil {
			numeric.PsiBalancedRows(out, raw, k, p.alpha, o.Gamma, w)
		} else {
			numeric.PsiRows(out, raw, k, o.Gamma, w)
		}
		copy(rec, out)
	default: // LossSigmoid
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
	LogRows(lraw, raw)
	LogRows(lrec, rec)
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
