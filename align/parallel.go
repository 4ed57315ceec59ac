package align

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// forItems calls f(k) for k in [0, n): items, steps or tile rows. It runs
// them on the processors when the work (about per operations each) pays
// for goroutines; callers give indices whose writes are disjoint.
func forItems(n, per int, f func(b int)) {
	procs := min(runtime.GOMAXPROCS(0), n)
	if procs <= 1 || n*per < 1<<15 {
		for b := range n {
			f(b)
		}
		return
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := int(next.Add(1) - 1); b < n; b = int(next.Add(1) - 1) {
				f(b)
			}
		}()
	}
	wg.Wait()
}
