package cudaops

// TimesForward is the launch of times_fwd: C = A ⊗ B elementwise over the
// intersection of the bands (la, ua) and (lb, ub), written as (batch, n,
// min(la,lb)+min(ua,ub)+1) band storage, padding included. Pointers: C, A,
// B. One thread per slot of C.
func TimesForward(dt Dtype, s Semiring, batch, n, la, ua, lb, ub int) Launch {
	w := min(la, lb) + min(ua, ub) + 1
	return flat(KernelName("times_fwd", dt), batch*n*w, bandArgs(batch, n, la, ua, lb, ub, s)...)
}

// TimesBackward is the launch of times_bwd_a (wrt 0) or times_bwd_b (wrt 1):
// the gradient of Σ dC·C with respect to A or B, in that operand's band
// storage, 0 outside the intersection and in the padding. Pointers: the
// gradient, then A, B, C, dC (the inputs of the gradient Op of bandop.Times; C is not
// read). Any other wrt names no kernel.
func TimesBackward(dt Dtype, s Semiring, wrt, batch, n, la, ua, lb, ub int) Launch {
	return flat(KernelName(gradKernel("times", wrt), dt), batch*n*operandWidth(wrt, la, ua, lb, ub), bandArgs(batch, n, la, ua, lb, ub, s)...)
}
