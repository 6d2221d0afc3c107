package calibrate

// This file feeds the metrics of one block to the accumulators of each
// variant (raw, recovered, and with --val the temperature-scaled ones),
// skipping the validation rows. The metrics themselves are metrics.go's
// and bins.go's.

import (
	"sync"
)

// accumulate adds the test rows of a block to the accumulators of the raw,
// recovered and (with ts) temperature-scaled probabilities, concurrently.
func (p *pipeline) accumulate(b *block, m, first int, accs []*Accumulator, ts, fts *TemperatureFit, tsBuf, ftsBuf []float64) error {
	kc := p.kc
	t := 0
	for i := range m {
		if p.val.isVal(first + i) {
			continue
		}
		if err := p.checkClasses(b, i, first); err != nil {
			return err
		}
		if t != i {
			copy(b.raw[t*kc:(t+1)*kc], b.raw[i*kc:(i+1)*kc])
			copy(b.rec[t*kc:(t+1)*kc], b.rec[i*kc:(i+1)*kc])
			b.ints[t] = b.ints[i]
		}
		t++
	}
	raw, rec, labels := b.raw[:t*kc], b.rec[:t*kc], b.ints[:t]
	var wg sync.WaitGroup
	add := func(a *Accumulator, probs []float64) {
		defer wg.Done()
		a.Add(probs, labels)
	}
	if ts != nil {
		tsp, ftsp := tsBuf[:t*kc], ftsBuf[:t*kc]
		ScaleTemperature(tsp, LogRows(tsp, raw), kc, ts.T, p.workers)
		ScaleTemperature(ftsp, LogRows(ftsp, rec), kc, fts.T, p.workers)
		wg.Add(2)
		go add(accs[2], tsp)
		go add(accs[3], ftsp)
	}
	wg.Add(2)
	go add(accs[0], raw)
	add(accs[1], rec)
	wg.Wait()
	return nil
}
