package align

import "github.com/genband/genband/internal/parallel"

// forItems calls f(k) for k in [0, n): items, steps or tile rows, one index
// at a time on the processors when the work (about per operations each)
// pays for goroutines (parallel.Each); callers give indices whose writes
// are disjoint.
func forItems(n, per int, f func(b int)) { parallel.Each(n, n*per, f) }
