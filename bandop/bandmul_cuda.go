//go:build cuda

package bandop

import (
	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
)

// bandMulGradOp embeds bandMulOp, so without its own CUDADo it would run
// the forward kernel.
var (
	_ gorgonia.CUDADoer = (*bandMulOp)(nil)
	_ gorgonia.CUDADoer = (*bandMulGradOp)(nil)
)

// CUDADo runs BandMul on the GPU (kernel bandmul_fwd): inputs Q, K; the
// output is band storage.
func (op *bandMulOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	l := cudaops.BandMulForward(cudaDtype(op.c.dt), op.c.batch, op.c.n, op.c.lower, op.c.upper, op.d)
	qk := deviceArg{op.c.dt, op.qShape()}
	return cudaDo("BandMul", extern, dev, prealloc, op.c.dt, op.c.shape(), l, []deviceArg{qk, qk}, inputs)
}

// CUDADo runs the gradient of BandMul with respect to input wrt on the GPU
// (kernels bandmul_bwd_q/k): inputs Q, K, dC; the output is shaped like Q.
func (op *bandMulGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	l := cudaops.BandMulBackward(cudaDtype(op.c.dt), op.wrt, op.c.batch, op.c.n, op.c.lower, op.c.upper, op.d)
	qk := deviceArg{op.c.dt, op.qShape()}
	return cudaDo("BandMulGrad", extern, dev, prealloc, op.c.dt, op.qShape(), l, []deviceArg{qk, qk, bandArg(op.c)}, inputs)
}
