package cudaops

import "fmt"

// VecMulForward is the launch of vecmul_fwd: r = v ⊗ A for semiring s,
// r[b,j] = ⊕_i v[b,i] ⊗ A_b[i,j], a (batch, n) result, with A's band
// (lower, upper). Pointers: r, v, A (bandop's VecMul inputs are v, A). One
// thread per output element.
func VecMulForward(dt Dtype, s Semiring, batch, n, lower, upper int) Launch {
	return vecLaunch("vecmul_fwd", dt, batch*n, batch, n, lower, upper, s)
}

// MulVecForward is the launch of mulvec_fwd: r = A ⊗ v,
// r[b,i] = ⊕_j A_b[i,j] ⊗ v[b,j]. Pointers: r, A, v (bandop's MulVec inputs
// are A, v). One thread per output element.
func MulVecForward(dt Dtype, s Semiring, batch, n, lower, upper int) Launch {
	return vecLaunch("mulvec_fwd", dt, batch*n, batch, n, lower, upper, s)
}

// VecMulBackward is the launch of the gradient of Σ dr·r for VecMul with
// respect to its input wrt, as the gradient Op of bandop.VecMul
// numbers them: 0 is v
// (vecmul_bwd_v, a (batch, n) result), 1 is A (vecmul_bwd_a, A's band
// storage with 0 in the padding). Pointers: the gradient, then v, A, r, dr
// (r is the forward's output, bit for bit). Any other wrt names no kernel.
func VecMulBackward(dt Dtype, s Semiring, wrt, batch, n, lower, upper int) Launch {
	return vecBackward("vecmul", 0, dt, s, wrt, batch, n, lower, upper)
}

// MulVecBackward is VecMulBackward for MulVec, whose inputs are (A, v): wrt
// 0 is A (mulvec_bwd_a), 1 is v (mulvec_bwd_v). Pointers: the gradient,
// then A, v, r, dr.
func MulVecBackward(dt Dtype, s Semiring, wrt, batch, n, lower, upper int) Launch {
	return vecBackward("mulvec", 1, dt, s, wrt, batch, n, lower, upper)
}

// vecBackward names the kernel of input wrt, v being input vIn.
func vecBackward(op string, vIn int, dt Dtype, s Semiring, wrt, batch, n, lower, upper int) Launch {
	switch wrt {
	case vIn:
		return vecLaunch(op+"_bwd_v", dt, batch*n, batch, n, lower, upper, s)
	case 1 - vIn:
		return vecLaunch(op+"_bwd_a", dt, batch*n*(lower+upper+1), batch, n, lower, upper, s)
	}
	return vecLaunch(fmt.Sprintf("%s_bwd_wrt%d", op, wrt), dt, batch*n, batch, n, lower, upper, s)
}

// vecLaunch is a one-thread-per-element launch of the vector kernels over
// total elements; a size below 1 gives an empty launch, which Check
// refuses.
func vecLaunch(base string, dt Dtype, total, batch, n, lower, upper int, s Semiring) Launch {
	l := Linear(KernelName(base, dt), total, int64(batch), int64(n), int64(lower), int64(upper), int64(s))
	if batch < 1 || n < 1 || lower+upper+1 < 1 {
		l.Grid[0] = 0
	}
	return l
}
