//go:build cuda

package align

import (
	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/internal/cudado"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var (
	_ gorgonia.CUDADoer = (*endOp)(nil)
	_ gorgonia.CUDADoer = (*endGradOp)(nil) // it embeds endOp: it must have its own
)

// CUDADo reads log Z of every item out of α on the GPU (kernel
// align_end_fwd, over every state plane of α): a thread per item in global
// mode with one state, a block per item reducing over its ends otherwise
// (local and semi-global mode, or the end cell's states of an affine
// model). Inputs α and the lengths. Lengths out of range, which the CPU
// reports as an error, give NaN (device memory is not read back to check
// them).
func (op *endOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	g := op.g
	mode, gap := g.kernelModel()
	l := cudaops.AlignEndForwardStates(cudaDtype(op.dt), cudaops.Semiring(g.m.Semiring), g.states, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap)
	want := []cudado.Arg{{Dtype: tensor.Float64, Shape: g.cellsShape()}, g.lengthsArg()}
	return cudaDo(g.op, extern, dev, prealloc, op.dt, tensor.Shape{g.batch}, l, want, inputs)
}

// CUDADo computes the float64 gradient of α on the GPU (kernel
// align_end_bwd): 0 everywhere but the ends of each item, weighted as
// endGradOp.Do weights them. Inputs α, the lengths and dz.
func (op *endGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	g := op.g
	mode, gap := g.kernelModel()
	l := cudaops.AlignEndBackwardStates(cudaDtype(op.dt), cudaops.Semiring(g.m.Semiring), g.states, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap)
	want := []cudado.Arg{{Dtype: tensor.Float64, Shape: g.cellsShape()}, g.lengthsArg(), {Dtype: op.dt, Shape: tensor.Shape{g.batch}}}
	return cudaDo(g.op, extern, dev, prealloc, tensor.Float64, g.cellsShape(), l, want, inputs)
}
