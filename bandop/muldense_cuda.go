//go:build cuda

package bandop

import (
	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
)

// mulDenseGradOp embeds mulDenseOp, so without its own CUDADo it would run
// the forward kernel.
var (
	_ gorgonia.CUDADoer = (*mulDenseOp)(nil)
	_ gorgonia.CUDADoer = (*mulDenseGradOp)(nil)
)

// CUDADo runs MulDense on the GPU (kernel muldense_fwd): inputs A, V; the
// output is (batch, n, d).
func (op *mulDenseOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	l := cudaops.MulDenseForward(cudaDtype(op.a.dt), cudaSemiring(op.s), op.a.batch, op.a.n, op.a.lower, op.a.upper, op.d)
	v := deviceArg{op.a.dt, op.vShape()}
	return cudaDo("MulDense", extern, dev, prealloc, op.a.dt, op.vShape(), l, []deviceArg{bandArg(op.a), v}, inputs)
}

// CUDADo runs the gradient of MulDense with respect to input wrt on the GPU
// (kernels muldense_bwd_a/v): inputs A, V, R, dR; the output is shaped like
// input wrt.
func (op *mulDenseGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	l := cudaops.MulDenseBackward(cudaDtype(op.a.dt), cudaSemiring(op.s), op.wrt, op.a.batch, op.a.n, op.a.lower, op.a.upper, op.d)
	shape, _ := op.InferShape()
	v := deviceArg{op.a.dt, op.vShape()}
	return cudaDo("MulDenseGrad", extern, dev, prealloc, op.a.dt, shape, l, []deviceArg{bandArg(op.a), v, v, v}, inputs)
}
