//go:build amd64 && !purego

package bandop

// prefetchLines asks the processor to bring the n bytes from p into its
// caches, one prefetch per 64-byte line; it reads nothing itself, so p
// may be any address (the hint never faults).
//
//go:noescape
func prefetchLines(p *byte, n int)
