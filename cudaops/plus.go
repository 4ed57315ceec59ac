package cudaops

// PlusForward is the launch of plus_fwd: C = A ⊕ B elementwise over the
// union of the bands (la, ua) and (lb, ub), written as (batch, n,
// max(la,lb)+max(ua,ub)+1) band storage, padding included. Pointers: C, A,
// B. One thread per slot of C.
func PlusForward(dt Dtype, s Semiring, batch, n, la, ua, lb, ub int) Launch {
	w := max(la, lb) + max(ua, ub) + 1
	return flat(KernelName("plus_fwd", dt), batch*n*w, bandArgs(batch, n, la, ua, lb, ub, s)...)
}

// PlusBackward is the launch of plus_bwd_a (wrt 0) or plus_bwd_b (wrt 1):
// the gradient of Σ dC·C with respect to A or B, in that operand's band
// storage, 0 in the padding. Pointers: the gradient, then A, B, C, dC (the
// inputs of the gradient Op of bandop.Plus). Any other wrt names no kernel.
func PlusBackward(dt Dtype, s Semiring, wrt, batch, n, la, ua, lb, ub int) Launch {
	return flat(KernelName(gradKernel("plus", wrt), dt), batch*n*operandWidth(wrt, la, ua, lb, ub), bandArgs(batch, n, la, ua, lb, ub, s)...)
}
