package calibrate

// This file feeds the metrics of one block to the accumulators of each
// variant (raw, recovered, and with --val the temperature-scaled ones),
// skipping the validation rows and the ignored ones. The metrics
// themselves are metrics.go's, bins.go's and perlabel.go's.

import "sync"

// accumulate adds the test rows of a block to the accumulators of the raw,
// recovered and temperature-scaled probabilities (accs[2+i] of scaled[i];
// accs is empty for multi-label targets), and for sigmoid outputs to the
// per-label accumulators of the raw and recovered outputs (per; nil for
// the softmax loss), concurrently.
func (p *pipeline) accumulate(b *block, m, first int, accs []*Accumulator, per []*PerLabelAccumulator, scaled []scaledVariant) error {
	k, kc := p.k, p.kc
	multi := p.o.LabelKind == LabelsMulti
	sw := kc // width of a row of b.soft
	if multi {
		sw = k
	}
	t := 0
	for i := range m {
		if p.val.isVal(first+i) || b.ints[i] == ignored {
			continue
		}
		if !multi {
			if err := p.checkClasses(b, i, first); err != nil {
				return err
			}
		}
		if t != i {
			for _, x := range [][]float64{b.raw, b.rec, b.lraw, b.lrec} {
				copy(x[t*kc:(t+1)*kc], x[i*kc:(i+1)*kc])
			}
			if per != nil {
				copy(b.in[t*k:(t+1)*k], b.in[i*k:(i+1)*k])
				copy(b.out[t*k:(t+1)*k], b.out[i*k:(i+1)*k])
			}
			if b.soft != nil {
				copy(b.soft[t*sw:(t+1)*sw], b.soft[i*sw:(i+1)*sw])
			}
			b.ints[t] = b.ints[i]
		}
		t++
	}
	raw, rec, labels := b.raw[:t*kc], b.rec[:t*kc], b.ints[:t]
	lraw, lrec := b.lraw[:t*kc], b.lrec[:t*kc]
	var wg sync.WaitGroup
	for i, a := range per {
		probs := [2][]float64{b.in[:t*k], b.out[:t*k]}[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch {
			case multi:
				a.Add(probs, b.soft[:t*k])
			case k == 1:
				// One output: its event is the class 1 of the pair.
				a.Add(probs, binaryOutcomes(labels, b.soft, t))
			case b.soft != nil:
				a.Add(probs, b.soft[:t*k])
			default:
				a.AddClasses(probs, labels)
			}
		}()
	}
	if multi {
		wg.Wait()
		return nil
	}
	add := func(a *Accumulator, probs, logp []float64) {
		defer wg.Done()
		if b.soft != nil {
			a.AddSoft(probs, logp, b.soft[:t*kc])
		} else {
			a.AddLog(probs, logp, labels)
		}
	}
	for i, v := range scaled {
		n := t * kc
		probs, logs := v.buf[:n], v.buf[n:2*n]
		v.apply(probs, logs, lraw, lrec)
		wg.Add(1)
		go add(accs[2+i], probs, logs)
	}
	wg.Add(2)
	go add(accs[0], raw, lraw)
	add(accs[1], rec, lrec)
	wg.Wait()
	return nil
}

// binaryOutcomes returns the outcomes of the event of a one-output
// sigmoid model for t rows: the labels in {0, 1}, or with soft labels
// (pairs (1−y, y)) their second entries.
func binaryOutcomes(labels []int, soft []float64, t int) []float64 {
	y := make([]float64, t)
	for i := range y {
		if soft != nil {
			y[i] = soft[2*i+1]
		} else {
			y[i] = float64(labels[i])
		}
	}
	return y
}
