package align

import "sync/atomic"

// inUse is a claim on memory that an Op (or a pair of Ops) keeps from run
// to run in the graph that holds it: every Do that uses the memory holds
// the claim while it runs, and a Do that finds it held, by a run of the
// same graph on another machine, returns an error of kind ErrBusy rather
// than write over memory that run is using. It guards the Do only: a value
// read after another run has rewritten its memory cannot be told.
type inUse struct{ busy atomic.Bool }

// claim takes u for a Do of op, or returns an error of kind ErrBusy when
// another Do holds it.
func (u *inUse) claim(op string) error {
	if !u.busy.CompareAndSwap(false, true) {
		return errorf(ErrBusy, op, "the alignment's buffers are in use by another run of the same graph (a graph runs on one machine at a time)")
	}
	return nil
}

// release gives up the claim a successful claim took.
func (u *inUse) release() { u.busy.Store(false) }
