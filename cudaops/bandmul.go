package cudaops

import "fmt"

// BandMulForward is the launch of bandmul_fwd: the band (lower, upper) of
// Q·Kᵀ for Q, K of shape (batch, n, d), in band storage with 0 in the
// padding. Pointers: C, Q, K. One thread per slot of C.
func BandMulForward(dt Dtype, batch, n, lower, upper, d int) Launch {
	return bandMulLaunch("bandmul_fwd", dt, batch*n*(lower+upper+1), batch, n, lower, upper, d)
}

// BandMulBackward is the launch of BandMul's gradient with respect to its
// input wrt, as bandop.BandMul's gradient Op numbers them: 0 is Q (bandmul_bwd_q),
// 1 is K (bandmul_bwd_k), each of shape (batch, n, d). Pointers: the
// gradient, then Q, K, dC. Any other wrt names no kernel.
func BandMulBackward(dt Dtype, wrt, batch, n, lower, upper, d int) Launch {
	base := fmt.Sprintf("bandmul_bwd_wrt%d", wrt)
	switch wrt {
	case 0:
		base = "bandmul_bwd_q"
	case 1:
		base = "bandmul_bwd_k"
	}
	return bandMulLaunch(base, dt, batch*n*d, batch, n, lower, upper, d)
}

// bandMulLaunch is a one-thread-per-element launch over total elements; a
// size below 1 gives an empty launch, which Check refuses.
func bandMulLaunch(base string, dt Dtype, total, batch, n, lower, upper, d int) Launch {
	l := Linear(KernelName(base, dt), total, int64(batch), int64(n), int64(lower), int64(upper), int64(d))
	if batch < 1 || n < 1 || d < 1 || lower+upper+1 < 1 {
		l.Grid[0] = 0
	}
	return l
}
