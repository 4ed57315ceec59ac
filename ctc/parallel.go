package ctc

import (
	"runtime"
	"sync"
)

// minParallelWork is the number of inner terms below which a loop runs on
// the calling goroutine: under it, starting goroutines costs more than it
// saves.
const minParallelWork = 1 << 15

// parallelFor calls f on disjoint ranges [lo, hi) covering [0, n), on up to
// GOMAXPROCS goroutines when the total work (in inner terms) pays for them.
//
// TODO: internal/parallel, once it exists, holds the module's one helper.
func parallelFor(n, work int, f func(lo, hi int)) {
	p := min(runtime.GOMAXPROCS(0), n)
	if p <= 1 || work < minParallelWork {
		f(0, n)
		return
	}
	chunks := min(4*p, n)
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for c := range chunks {
		next <- c
	}
	close(next)
	for range p {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				f(c*n/chunks, (c+1)*n/chunks)
			}
		}()
	}
	wg.Wait()
}
