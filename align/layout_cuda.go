//go:build cuda

package align

import (
	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/internal/cudado"
	"gorgonia.org/gorgonia"
)

var (
	_ gorgonia.CUDADoer = (*layoutOp)(nil)
	_ gorgonia.CUDADoer = (*layoutGradOp)(nil) // it embeds layoutOp: it must have its own
)

// CUDADo lays θ out as the scan's step matrices on the GPU (kernel
// align_layout_fwd): every slot of every step matrix, rows outside the
// window included (they get the semiring's zero). Inputs θ and the lengths
// (which only a global model with a gap reads), both on the device.
func (op *layoutOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	g := op.g
	mode, gap := g.kernelModel()
	l := cudaops.AlignLayoutForward(cudaDtype(op.dt), cudaops.Semiring(g.m.Semiring), g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap)
	want := []cudado.Arg{{Dtype: op.dt, Shape: g.thetaShape()}, g.lengthsArg()}
	return cudaDo(g.op, extern, dev, prealloc, op.dt, g.stepShape(), l, want, inputs)
}

// CUDADo computes the gradient of θ from that of the step storage on the
// GPU (kernel align_layout_bwd): a gather of the one or two slots that hold
// each potential. Inputs the lengths and the step storage's gradient.
func (op *layoutGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	g := op.g
	mode, gap := g.kernelModel()
	l := cudaops.AlignLayoutBackward(cudaDtype(op.dt), g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap)
	want := []cudado.Arg{g.lengthsArg(), {Dtype: op.dt, Shape: g.stepShape()}}
	return cudaDo(g.op, extern, dev, prealloc, op.dt, g.thetaShape(), l, want, inputs)
}
