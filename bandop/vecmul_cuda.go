//go:build cuda

package bandop

import (
	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
)

// vecOp serves VecMul and MulVec, vecGradOp their gradients; vecGradOp
// embeds vecOp, so without its own CUDADo it would run the forward kernel.
var (
	_ gorgonia.CUDADoer = (*vecOp)(nil)
	_ gorgonia.CUDADoer = (*vecGradOp)(nil)
)

// vecArgs are the deviceArgs of a vector product's two inputs in the Op's
// order: (v, A) for VecMul, (A, v) for MulVec.
func (op *vecOp) vecArgs() []deviceArg {
	v := deviceArg{op.a.dt, op.vShape()}
	if op.side == vecLeft {
		return []deviceArg{v, bandArg(op.a)}
	}
	return []deviceArg{bandArg(op.a), v}
}

// CUDADo runs VecMul (kernel vecmul_fwd) or MulVec (mulvec_fwd) on the GPU:
// inputs in the Op's order; the output is a (batch, n) vector.
func (op *vecOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	forward := cudaops.MulVecForward
	if op.side == vecLeft {
		forward = cudaops.VecMulForward
	}
	l := forward(cudaDtype(op.a.dt), cudaSemiring(op.s), op.a.batch, op.a.n, op.a.lower, op.a.upper)
	return cudaDo(op.side.String(), extern, dev, prealloc, op.a.dt, op.vShape(), l, op.vecArgs(), inputs)
}

// CUDADo runs the gradient of VecMul or MulVec with respect to input wrt
// on the GPU (kernels vecmul_bwd_v/a, mulvec_bwd_a/v): inputs the
// forward's two, r and dr; the output is shaped like input wrt.
func (op *vecGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	backward := cudaops.MulVecBackward
	if op.side == vecLeft {
		backward = cudaops.VecMulBackward
	}
	l := backward(cudaDtype(op.a.dt), cudaSemiring(op.s), op.wrt, op.a.batch, op.a.n, op.a.lower, op.a.upper)
	shape, _ := op.InferShape()
	vec := deviceArg{op.a.dt, op.vShape()}
	return cudaDo(op.name(), extern, dev, prealloc, op.a.dt, shape, l, append(op.vecArgs(), vec, vec), inputs)
}
