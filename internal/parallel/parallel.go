// Package parallel runs the loops of genband's CPU kernels on the
// processors: one rule for when a loop pays for goroutines and how its
// indices are shared among them, for bandop, align and attention alike.
//
// A loop runs on the calling goroutine when GOMAXPROCS is 1, when it has
// one index, or when its work, the caller's count of inner operations in
// the whole loop, is under MinWork; otherwise on min(GOMAXPROCS, n)
// goroutines that take chunks of indices from a shared counter until none
// is left, and the call returns when every chunk is done. Which goroutine
// runs a chunk, and in what order chunks start, is not defined: the caller
// gives chunks whose writes are disjoint, and a result that must be the
// same bits on any number of cores must not depend on that order (each
// chunk's indices still run in increasing order on one goroutine). f must
// not panic: a panic on another goroutine ends the program.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// MinWork is the work (inner operations in a whole loop) below which a
// loop runs on the calling goroutine: under it, starting goroutines costs
// more than it saves. Callers that can skip building the loop's closure
// under it compare with it themselves.
const MinWork = 1 << 15

// For calls f on disjoint ranges [lo, hi) that cover [0, n), n ≥ 0: once,
// f(0, n), on the calling goroutine when the loop is small (see the
// package doc; so also when n is 0), else in 4·p chunks of about n/(4·p)
// indices (at most n chunks) on p = min(GOMAXPROCS, n) goroutines: more
// chunks than goroutines even out indices that do unequal work (the rows
// near a band's edges).
func For(n, work int, f func(lo, hi int)) {
	p := procs(n, work)
	if p <= 1 {
		f(0, n)
		return
	}
	run(n, min(4*p, n), p, f)
}

// Each calls f(i) for every i in [0, n): in increasing order on the
// calling goroutine when the loop is small (see the package doc), else on
// p = min(GOMAXPROCS, n) goroutines that take one index at a time, for
// indices each worth many chunks of For's (items of a batch: whole
// alignments or scans).
func Each(n, work int, f func(i int)) {
	p := procs(n, work)
	if p <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	run(n, n, p, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			f(i)
		}
	})
}

// procs is the number of goroutines a loop of n indices and the given work
// runs on: 1 (the caller) when it does not pay for more.
func procs(n, work int) int {
	p := min(runtime.GOMAXPROCS(0), n)
	if work < MinWork {
		return 1
	}
	return p
}

// run calls f on chunk c = [c·n/chunks, (c+1)·n/chunks) for every c in
// [0, chunks), on p goroutines that take the next chunk from a counter.
func run(n, chunks, p int, f func(lo, hi int)) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range p {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := int(next.Add(1) - 1); c < chunks; c = int(next.Add(1) - 1) {
				f(c*n/chunks, (c+1)*n/chunks)
			}
		}()
	}
	wg.Wait()
}
