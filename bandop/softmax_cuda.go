//go:build cuda

package bandop

import (
	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
)

// softmaxGradOp embeds softmaxOp, so without its own CUDADo it would run
// the forward kernel.
var (
	_ gorgonia.CUDADoer = (*softmaxOp)(nil)
	_ gorgonia.CUDADoer = (*softmaxGradOp)(nil)
)

// CUDADo runs Softmax or LogSoftmax on the GPU (kernel softmax_fwd): input
// A; the output is band storage of A's band.
func (op *softmaxOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	l := cudaops.SoftmaxForward(cudaDtype(op.a.dt), op.log, op.a.batch, op.a.n, op.a.lower, op.a.upper)
	return cudaDo(op.name(), extern, dev, prealloc, op.a.dt, op.a.shape(), l, []deviceArg{bandArg(op.a)}, inputs)
}

// CUDADo runs the gradient of Softmax or LogSoftmax on the GPU (kernel
// softmax_bwd): inputs Y, dY; the output is band storage of A's band.
func (op *softmaxGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	l := cudaops.SoftmaxBackward(cudaDtype(op.a.dt), op.log, op.a.batch, op.a.n, op.a.lower, op.a.upper)
	b := bandArg(op.a)
	return cudaDo(op.name()+"Grad", extern, dev, prealloc, op.a.dt, op.a.shape(), l, []deviceArg{b, b}, inputs)
}
