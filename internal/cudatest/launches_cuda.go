//go:build cuda

package cudatest

import (
	"strings"
	"sync"
	"time"

	"github.com/genband/genband/internal/cudado"
)

// Launches tallies the kernel launches of cudado.Do while it is installed:
// how many, their total time (launch and synchronisation), and the time of
// the kernels whose names start with each of its prefixes.
type Launches struct {
	mu     sync.Mutex
	N      int
	Total  time.Duration
	prefix []string
	by     []time.Duration
}

// CountLaunches installs a tally of the launches (cudado.Launched) and
// returns it with the function that removes it.
func CountLaunches(prefixes ...string) (*Launches, func()) {
	l := &Launches{prefix: prefixes, by: make([]time.Duration, len(prefixes))}
	cudado.Launched = func(kernel string, d time.Duration) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.N++
		l.Total += d
		for i, p := range l.prefix {
			if strings.HasPrefix(kernel, p) {
				l.by[i] += d
				break
			}
		}
	}
	return l, func() { cudado.Launched = nil }
}

// Of returns the time of the kernels with the given prefix (one of
// CountLaunches').
func (l *Launches) Of(prefix string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, p := range l.prefix {
		if p == prefix {
			return l.by[i]
		}
	}
	return 0
}
