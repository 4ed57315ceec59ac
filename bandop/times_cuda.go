//go:build cuda

package bandop

import (
	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
)

// timesGradOp embeds timesOp, so without its own CUDADo it would run the
// forward kernel: these assertions and methods keep each Op on its kernel.
var (
	_ gorgonia.CUDADoer = (*timesOp)(nil)
	_ gorgonia.CUDADoer = (*timesGradOp)(nil)
)

// CUDADo runs Times on the GPU (kernel times_fwd): inputs A, B; the output
// has the intersection band.
func (op *timesOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	lc := timesResult(op.a, op.b, op.s)
	l := cudaops.TimesForward(cudaDtype(lc.dt), cudaSemiring(op.s), op.a.batch, op.a.n, op.a.lower, op.a.upper, op.b.lower, op.b.upper)
	return cudaDo("Times", extern, dev, prealloc, lc.dt, lc.shape(), l, []deviceArg{bandArg(op.a), bandArg(op.b)}, inputs)
}

// CUDADo runs Times's backward on the GPU (kernel times_bwd_a or times_bwd_b):
// inputs A, B, C, dC; the output is the gradient in operand wrt's band.
func (op *timesGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	lc := timesResult(op.a, op.b, op.s)
	shape, _ := op.InferShape()
	l := cudaops.TimesBackward(cudaDtype(lc.dt), cudaSemiring(op.s), op.wrt, op.a.batch, op.a.n, op.a.lower, op.a.upper, op.b.lower, op.b.upper)
	return cudaDo("TimesGrad", extern, dev, prealloc, lc.dt, shape, l, []deviceArg{bandArg(op.a), bandArg(op.b), bandArg(lc), bandArg(lc)}, inputs)
}
