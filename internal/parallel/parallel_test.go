package parallel

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestCover: every index runs exactly once, within ranges that are
// disjoint, each in increasing order, on the calling goroutine for a small
// loop (one range for For) and on several otherwise, for every
// GOMAXPROCS the test sets.
func TestCover(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	cases := []struct {
		procs, n, work int
		parallel       bool // the loop runs on goroutines of its own
	}{
		{1, 1000, 1 << 30, false},     // one processor
		{4, 1000, MinWork - 1, false}, // too little work
		{4, 1, 1 << 30, false},        // one index
		{4, 0, 1 << 30, false},        // none
		{4, 1000, MinWork, true},      // just enough
		{4, 3, 1 << 30, true},         // fewer indices than 4·p chunks
		{3, 1001, 1 << 20, true},      // chunks of unequal sizes
		{16, 5, 1 << 20, true},        // fewer indices than processors
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("procs%d/n%d/work%d", c.procs, c.n, c.work), func(t *testing.T) {
			runtime.GOMAXPROCS(c.procs)
			for _, each := range []bool{false, true} {
				hits := make([]atomic.Int32, c.n)
				var calls, offCaller atomic.Int32
				var mu sync.Mutex
				var ranges [][2]int
				caller := goid()
				visit := func(lo, hi int) {
					calls.Add(1)
					if goid() != caller {
						offCaller.Add(1)
					}
					mu.Lock()
					ranges = append(ranges, [2]int{lo, hi})
					mu.Unlock()
					for i := lo; i < hi; i++ {
						hits[i].Add(1)
					}
				}
				name := "For"
				if each {
					name = "Each"
					Each(c.n, c.work, func(i int) { visit(i, i+1) })
				} else {
					For(c.n, c.work, visit)
				}
				for i := range hits {
					if h := hits[i].Load(); h != 1 {
						t.Fatalf("%s: index %d ran %d times", name, i, h)
					}
				}
				switch {
				case c.parallel && offCaller.Load() == 0:
					t.Errorf("%s: ran on the caller only", name)
				case !c.parallel && offCaller.Load() != 0:
					t.Errorf("%s: %d calls on other goroutines, want the caller's only", name, offCaller.Load())
				case !c.parallel && !each && calls.Load() != 1:
					t.Errorf("For: %d calls, want one, f(0, %d)", calls.Load(), c.n)
				case !c.parallel && !each && ranges[0] != [2]int{0, c.n}:
					t.Errorf("For: range %v, want [0, %d)", ranges[0], c.n)
				}
				if c.parallel && !each {
					p := min(c.procs, c.n)
					if want := min(4*p, c.n); len(ranges) != want {
						t.Errorf("For: %d chunks, want %d", len(ranges), want)
					}
				}
			}
		})
	}
}

// TestOrderOnCaller: a small loop runs its indices in increasing order,
// which callers whose results must not depend on scheduling may rely on.
func TestOrderOnCaller(t *testing.T) {
	var got []int
	Each(10, 0, func(i int) { got = append(got, i) })
	for i, x := range got {
		if x != i {
			t.Fatalf("Each ran %v, want 0 … 9 in order", got)
		}
	}
	if len(got) != 10 {
		t.Fatalf("Each ran %d indices, want 10", len(got))
	}
}

// goid returns the calling goroutine's id, from its stack's header.
func goid() string {
	var buf [64]byte
	s := buf[:runtime.Stack(buf[:], false)]
	// "goroutine 18 [running]:"
	for i := len("goroutine "); i < len(s); i++ {
		if s[i] == ' ' {
			return string(s[len("goroutine "):i])
		}
	}
	return string(s)
}
