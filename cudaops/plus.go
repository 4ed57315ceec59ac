package cudaops

import "fmt"

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
// inputs of bandop's plusGradOp). Any other wrt names no kernel.
func PlusBackward(dt Dtype, s Semiring, wrt, batch, n, la, ua, lb, ub int) Launch {
	return flat(KernelName(gradKernel("plus", wrt), dt), batch*n*operandWidth(wrt, la, ua, lb, ub), bandArgs(batch, n, la, ua, lb, ub, s)...)
}

// bandArgs are the scalars of the two-operand elementwise kernels (plus,
// times), in the kernels' parameter order.
func bandArgs(batch, n, la, ua, lb, ub int, s Semiring) []any {
	return []any{int64(batch), int64(n), int64(la), int64(ua), int64(lb), int64(ub), int64(s)}
}

// gradKernel is the base name of the backward kernel of a two-operand op
// with respect to operand wrt: op_bwd_a, op_bwd_b, or for another wrt a
// name no kernel has, so that the launch fails rather than runs the wrong
// gradient.
func gradKernel(op string, wrt int) string {
	switch wrt {
	case 0:
		return op + "_bwd_a"
	case 1:
		return op + "_bwd_b"
	}
	return fmt.Sprintf("%s_bwd_wrt%d", op, wrt)
}

// operandWidth is the band width of operand wrt (0 = A, 1 = B); B's for any
// other wrt, whose launch fails anyway.
func operandWidth(wrt, la, ua, lb, ub int) int {
	if wrt == 0 {
		return la + ua + 1
	}
	return lb + ub + 1
}
