//go:build cuda

package bandop

import (
	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
)

// mulGradOp embeds mulOp, so without its own CUDADo it would run the
// forward kernel: each has its own.
var (
	_ gorgonia.CUDADoer = (*mulOp)(nil)
	_ gorgonia.CUDADoer = (*mulGradOp)(nil)
)

// CUDADo runs Mul on the GPU (kernel mul_fwd): inputs A, B; the output has
// the band (A.l+B.l, A.u+B.u).
func (op *mulOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	lc := mulResult(op.a, op.b, op.s)
	l := cudaops.MulForward(cudaDtype(lc.dt), cudaSemiring(op.s), op.a.batch, op.a.n, op.a.lower, op.a.upper, op.b.lower, op.b.upper)
	return cudaDo("Mul", extern, dev, prealloc, lc.dt, lc.shape(), l, []deviceArg{bandArg(op.a), bandArg(op.b)}, inputs)
}

// CUDADo runs Mul's backward on the GPU (kernel mul_bwd_a or mul_bwd_b):
// inputs A, B, C, dC; the output is the gradient in operand wrt's band.
func (op *mulGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	lc := mulResult(op.a, op.b, op.s)
	shape, _ := op.InferShape()
	l := cudaops.MulBackward(cudaDtype(lc.dt), cudaSemiring(op.s), op.wrt, op.a.batch, op.a.n, op.a.lower, op.a.upper, op.b.lower, op.b.upper)
	return cudaDo("MulGrad", extern, dev, prealloc, lc.dt, shape, l, []deviceArg{bandArg(op.a), bandArg(op.b), bandArg(lc), bandArg(lc)}, inputs)
}
