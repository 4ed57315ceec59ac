//go:build cuda

package bandop

import (
	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
)

// binGradOp embeds binOp, so without its own CUDADo it would run the
// forward kernel: each has its own.
var (
	_ gorgonia.CUDADoer = (*binOp)(nil)
	_ gorgonia.CUDADoer = (*binGradOp)(nil)
)

// binForwardLaunch and binBackwardLaunch are the signatures that the launch
// constructors of cudaops' two-operand kernels share.
type (
	binForwardLaunch  func(dt cudaops.Dtype, s cudaops.Semiring, batch, n, la, ua, lb, ub int) cudaops.Launch
	binBackwardLaunch func(dt cudaops.Dtype, s cudaops.Semiring, wrt, batch, n, la, ua, lb, ub int) cudaops.Launch
)

// launches returns the kernels' launch constructors of op's spec.
func (op *binOp) launches() (binForwardLaunch, binBackwardLaunch) {
	switch op.spec {
	case mulSpec:
		return cudaops.MulForward, cudaops.MulBackward
	case plusSpec:
		return cudaops.PlusForward, cudaops.PlusBackward
	}
	return cudaops.TimesForward, cudaops.TimesBackward
}

// CUDADo runs the forward kernel on the GPU (mul_fwd, plus_fwd or
// times_fwd): inputs A, B; the output has the result's band.
func (op *binOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	lc := op.result()
	fwd, _ := op.launches()
	l := fwd(cudaDtype(lc.dt), cudaSemiring(op.s), op.a.batch, op.a.n, op.a.lower, op.a.upper, op.b.lower, op.b.upper)
	return cudaDo(op.spec.name, extern, dev, prealloc, lc.dt, lc.shape(), l, []deviceArg{bandArg(op.a), bandArg(op.b)}, inputs)
}

// CUDADo runs the backward kernel on the GPU (op_bwd_a or op_bwd_b):
// inputs A, B, C, dC; the output is the gradient in operand wrt's band.
func (op *binGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	lc := op.result()
	_, bwd := op.launches()
	l := bwd(cudaDtype(lc.dt), cudaSemiring(op.s), op.wrt, op.a.batch, op.a.n, op.a.lower, op.a.upper, op.b.lower, op.b.upper)
	return cudaDo(op.name(), extern, dev, prealloc, lc.dt, op.operand().shape(), l, []deviceArg{bandArg(op.a), bandArg(op.b), bandArg(lc), bandArg(lc)}, inputs)
}
