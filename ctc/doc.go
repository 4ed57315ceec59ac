// Package ctc is connectionist temporal classification on bandop's scan:
// the CTC loss as a Gorgonia Op graph that is a drop-in for
// gorgonia.CTCLoss (Loss), the forced alignment of a batch of label
// strings to their frames (Align, AlignMask) and the soft alignment
// (Posteriors).
//
// # The scan
//
// An item's labels l_1 … l_L are extended to S = 2L + 1 states, a blank
// before, between and after them. A path moves at each frame from a state
// to itself, to the next, or past a blank to the one after when that
// label differs from the one before it: the step matrix of frame t is
// banded, lower 0 and upper 2, its entry from state r to state c the
// frame's log probability of c's class. The loss is then one
// bandop.ScanStates of these T matrices in the Log semiring (its states in
// float64 whatever the dtype) from state 0, read at the last two states;
// its gradient with respect to logProbs is gorgonia.Grad through the
// scan's reverse pass and the gather that built the steps. The forced
// alignment is the same scan in the Max semiring, traced back. Lengths
// are values of the run: frames past an item's length carry every state
// unchanged, states past its 2L_b + 1 are never entered, so one graph
// serves every batch of its padded shapes.
//
// # Concurrency
//
// The Ops keep buffers from run to run (the step matrices, the scan's
// states and gradients, the states' gradient): a graph runs on one machine
// at a time, as bandop.ReuseBuffers says; a run that finds them in use
// fails with an error of kind ErrBusy rather than write over them.
//
// # CUDA
//
// Under the cuda build tag the step matrices are gathered from logProbs
// (kernel ctc_steps) and their gradient scattered back (ctc_steps_bwd) on
// the GPU, beside the scan's own kernels, so the frames stay on the
// device; the targets and lengths, a few kilobytes, are copied to the
// host once a run and checked there as on the CPU. Each item's log p is
// taken out of the scan's last state on the GPU (ctc_final), and the
// states' gradient made there from theirs (ctc_final_bwd): of the states
// only one float64 an item reaches the host, where the reduction sums
// them. The alignment's trace reads the states on the CPU: Gorgonia moves
// them to the host for AlignMask.
package ctc
