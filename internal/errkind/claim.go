package errkind

import "sync/atomic"

// A Claim guards memory that an Op (or a forward Op and its gradient)
// keeps from run to run in the graph that holds it. Every Do that uses the
// memory takes the claim while it runs; a Do that finds it taken, by a run
// of the same graph on another machine, gets an error of kind Busy instead
// of writing over memory that run is using. It guards the Do only: a value
// read after another run rewrote its memory cannot be told. The zero Claim
// is free.
type Claim struct{ busy atomic.Bool }

// Take takes c for a Do of op in package pkg, or returns an error of kind
// Busy, naming them, when another Do holds it.
func (c *Claim) Take(pkg, op string) error {
	if !c.busy.CompareAndSwap(false, true) {
		return Errorf(pkg, Busy, op, "the Op's buffers are in use by another run of the same graph (a graph runs on one machine at a time)")
	}
	return nil
}

// Release gives up the claim a successful Take took.
func (c *Claim) Release() { c.busy.Store(false) }
