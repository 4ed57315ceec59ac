package cudaops

// SoftmaxForward is the launch of softmax_fwd: the softmax (log false) or
// log-softmax (log true) of each row's in-band entries of a banded operand
// with band (lower, upper), in the same band storage with the result's fill
// (0 or −Inf) in the padding. Pointers: Y, A. One thread per row.
func SoftmaxForward(dt Dtype, log bool, batch, n, lower, upper int) Launch {
	return softmaxLaunch("softmax_fwd", dt, log, batch, n, lower, upper)
}

// SoftmaxBackward is the launch of softmax_bwd: the gradient with respect
// to the input of Softmax or LogSoftmax from the output Y and dY, in band
// storage with 0 in the padding. Pointers: dA, Y, dY. One thread per row.
func SoftmaxBackward(dt Dtype, log bool, batch, n, lower, upper int) Launch {
	return softmaxLaunch("softmax_bwd", dt, log, batch, n, lower, upper)
}

// softmaxLaunch is a one-thread-per-row launch; a size below 1 gives an
// empty launch, which Check refuses.
func softmaxLaunch(base string, dt Dtype, log bool, batch, n, lower, upper int) Launch {
	lg := int64(0)
	if log {
		lg = 1
	}
	l := Linear(KernelName(base, dt), batch*n, int64(batch), int64(n), int64(lower), int64(upper), lg)
	if batch < 1 || n < 1 || lower+upper+1 < 1 {
		l.Grid[0] = 0
	}
	return l
}
