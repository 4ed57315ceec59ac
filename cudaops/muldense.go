package cudaops

import "fmt"

// MulDenseForward is the launch of muldense_fwd: R = A ⊗ V for semiring s,
// banded A with band (lower, upper) and dense V of shape (batch, n, d), a
// (batch, n, d) result. Pointers: R, A, V. One thread per element of R.
func MulDenseForward(dt Dtype, s Semiring, batch, n, lower, upper, d int) Launch {
	return mulDenseLaunch("muldense_fwd", dt, batch*n*d, batch, n, lower, upper, d, s)
}

// MulDenseBackward is the launch of MulDense's gradient with respect to its
// input wrt, as bandop.MulDense's gradient Op numbers them: 0 is A
// (muldense_bwd_a, A's band storage with 0 in the padding), 1 is V
// (muldense_bwd_v). Pointers: the gradient, then A, V, R, dR (R is the
// forward's output, bit for bit). Any other wrt names no kernel.
func MulDenseBackward(dt Dtype, s Semiring, wrt, batch, n, lower, upper, d int) Launch {
	switch wrt {
	case 0:
		return mulDenseLaunch("muldense_bwd_a", dt, batch*n*(lower+upper+1), batch, n, lower, upper, d, s)
	case 1:
		return mulDenseLaunch("muldense_bwd_v", dt, batch*n*d, batch, n, lower, upper, d, s)
	}
	return mulDenseLaunch(fmt.Sprintf("muldense_bwd_wrt%d", wrt), dt, batch*n*d, batch, n, lower, upper, d, s)
}

// mulDenseLaunch is a one-thread-per-element launch over total elements; a
// size below 1 gives an empty launch, which Check refuses.
func mulDenseLaunch(base string, dt Dtype, total, batch, n, lower, upper, d int, s Semiring) Launch {
	l := Linear(KernelName(base, dt), total, int64(batch), int64(n), int64(lower), int64(upper), int64(d), int64(s))
	if batch < 1 || n < 1 || d < 1 || lower+upper+1 < 1 {
		l.Grid[0] = 0
	}
	return l
}
