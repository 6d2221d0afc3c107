package report

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/focaltk/focal/theory"
)

// Section 7 of findings.md: a wrong implementation of Ψ^γ found in the
// field.

// nitorchPosterior reproduces, for a probability vector q (the softmax of
// the scores), the posterior of nitorch's FocalHead (balbasty/nitorch,
// nitorch/nn/modules/segmentation.py at commit e0b8b661fa78):
//
//	phi = (1 - score).pow(gamma) - gamma * (1 - score).pow(gamma - 1) * score * score.logit()
//	score = score / phi
//	score = score / score.sum(1, keepdim=True)
//
// that is, φ computed with logit(v) = log(v/(1−v)) where Eq. 10 has log v:
//
//	φ_wrong(v) = (1−v)^γ − γ (1−v)^{γ−1} v logit(v),
//	Ψ_wrong,i(q) = (q_i/φ_wrong(q_i)) / Σ_l q_l/φ_wrong(q_l).
//
// For v > 1/2, logit v > 0 and φ_wrong can be negative, so the "posterior"
// leaves the simplex. It is evaluated the straightforward way (as the
// PyTorch code does), in float64; it is not part of the toolkit's API.
func nitorchPosterior(q []float64, gamma float64) []float64 {
	out := make([]float64, len(q))
	var sum float64
	for i, v := range q {
		logit := math.Log(v / (1 - v))
		phi := math.Pow(1-v, gamma) - gamma*math.Pow(1-v, gamma-1)*v*logit
		out[i] = v / phi
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// nitorchCases are the inputs of the table (γ, q).
var nitorchCases = []struct {
	gamma float64
	q     []float64
}{
	{2, []float64{0.9, 0.1}},
	{2, []float64{0.6, 0.4}},
	{1, []float64{0.7, 0.2, 0.1}},
	{2, []float64{0.4, 0.35, 0.25}},
	{3, []float64{0.25, 0.25, 0.25, 0.25}},
}

func genNitorch(ctx context.Context, r *run) (string, error) {
	var rows [][]string
	for _, c := range nitorchCases {
		psi := theory.Psi(make([]float64, len(c.q)), c.q, c.gamma)
		bad := nitorchPosterior(c.q, c.gamma)
		var dev float64
		for i := range psi {
			dev = math.Max(dev, math.Abs(bad[i]-psi[i]))
		}
		rows = append(rows, []string{sig(c.gamma, 3), vecPlain(c.q), vecPlain4(psi), vecPlain4(bad), sig(dev, 2)})
	}
	return table([]string{"γ", "q (softmax output)", "Ψ^γ(q), Eq. 12 (`theory.Psi`)", "nitorch `FocalHead.posterior` (logit for log)", "max \\|difference\\|"}, rows), nil
}

func vecPlain(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = sig(x, 6)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// vecPlain4 prints entries to 4 decimals (as the docs quote them).
func vecPlain4(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.4f", x)
		if parts[i] == "-0.0000" {
			parts[i] = "0.0000"
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
