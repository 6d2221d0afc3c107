package certify

import (
	"context"
	"runtime"
	"sync"
)

// settleAll runs fn on every box index, on GOMAXPROCS goroutines, and
// returns the error of the lowest index that fails (so the first
// unsettled box in file order is named whatever the scheduling), or
// ctx's error.
func settleAll(ctx context.Context, n int, fn func(i int) error) error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = fn(i)
			}
		}()
	}
	var ctxErr error
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			ctxErr = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if ctxErr != nil {
		return ctxErr
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
