package calibrate

// This file feeds the metrics of one block to the accumulators of each
// variant (raw, recovered, and with --val the temperature-scaled ones),
// skipping the validation rows. The metrics themselves are metrics.go's
// and bins.go's. meanNLL measures the validation rows for the report.

import "sync"

// accumulate adds the test rows of a block to the accumulators of the raw,
// recovered and temperature-scaled probabilities (accs[2+i] of scaled[i]),
// concurrently.
func (p *pipeline) accumulate(b *block, m, first int, accs []*Accumulator, scaled []scaledVariant) error {
	kc := p.kc
	t := 0
	for i := range m {
		if p.val.isVal(first+i) || b.ints[i] == ignored {
			continue
		}
		if err := p.checkClasses(b, i, first); err != nil {
			return err
		}
		if t != i {
			for _, x := range [][]float64{b.raw, b.rec, b.lraw, b.lrec, b.soft} {
				if x != nil {
					copy(x[t*kc:(t+1)*kc], x[i*kc:(i+1)*kc])
				}
			}
			b.ints[t] = b.ints[i]
		}
		t++
	}
	raw, rec, labels := b.raw[:t*kc], b.rec[:t*kc], b.ints[:t]
	lraw, lrec := b.lraw[:t*kc], b.lrec[:t*kc]
	var wg sync.WaitGroup
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
