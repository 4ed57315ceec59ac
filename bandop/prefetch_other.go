//go:build !amd64 || purego

package bandop

// prefetchLines does nothing where bandop has no assembly: there the
// hardware's own prefetchers are all a scan has.
func prefetchLines(p *byte, n int) {}
