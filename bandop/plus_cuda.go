//go:build cuda

package bandop

import (
	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
)

// plusGradOp embeds plusOp, so without its own CUDADo it would run the
// forward kernel: these assertions and methods keep each Op on its kernel.
var (
	_ gorgonia.CUDADoer = (*plusOp)(nil)
	_ gorgonia.CUDADoer = (*plusGradOp)(nil)
)

// CUDADo runs Plus on the GPU (kernel plus_fwd): inputs A, B; the output
// has the union band.
func (op *plusOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	lc := plusResult(op.a, op.b, op.s)
	l := cudaops.PlusForward(cudaDtype(lc.dt), cudaSemiring(op.s), op.a.batch, op.a.n, op.a.lower, op.a.upper, op.b.lower, op.b.upper)
	return cudaDo("Plus", extern, dev, prealloc, lc.dt, lc.shape(), l, []deviceArg{bandArg(op.a), bandArg(op.b)}, inputs)
}

// CUDADo runs Plus's backward on the GPU (kernel plus_bwd_a or plus_bwd_b):
// inputs A, B, C, dC; the output is the gradient in operand wrt's band.
func (op *plusGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	lc := plusResult(op.a, op.b, op.s)
	shape, _ := op.InferShape()
	l := cudaops.PlusBackward(cudaDtype(lc.dt), cudaSemiring(op.s), op.wrt, op.a.batch, op.a.n, op.a.lower, op.a.upper, op.b.lower, op.b.upper)
	return cudaDo("PlusGrad", extern, dev, prealloc, lc.dt, shape, l, []deviceArg{bandArg(op.a), bandArg(op.b), bandArg(lc), bandArg(lc)}, inputs)
}
