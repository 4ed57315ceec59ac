//go:build cuda

package bandop

import (
	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// sumGradOp embeds sumOp, so without its own CUDADo it would run the
// forward kernel: each has its own.
var (
	_ gorgonia.CUDADoer = (*sumOp)(nil)
	_ gorgonia.CUDADoer = (*sumGradOp)(nil)
)

// CUDADo runs Sum on the GPU (kernel sum_fwd): input A; the output is the
// (batch) vector of the ⊕ of each matrix.
func (op *sumOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	l := cudaops.SumForward(cudaDtype(op.a.dt), cudaSemiring(op.s), op.a.batch, op.a.n, op.a.lower, op.a.upper)
	return cudaDo("Sum", extern, dev, prealloc, op.a.dt, tensor.Shape{op.a.batch}, l, []deviceArg{bandArg(op.a)}, inputs)
}

// CUDADo runs Sum's backward on the GPU (kernel sum_bwd): inputs A, r, dr;
// the output is the gradient in A's band.
func (op *sumGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	l := cudaops.SumBackward(cudaDtype(op.a.dt), cudaSemiring(op.s), op.a.batch, op.a.n, op.a.lower, op.a.upper)
	vec := deviceArg{op.a.dt, tensor.Shape{op.a.batch}}
	return cudaDo("SumGrad", extern, dev, prealloc, op.a.dt, op.a.shape(), l, []deviceArg{bandArg(op.a), vec, vec}, inputs)
}
