//go:build cuda

package align

import (
	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/internal/cudado"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var (
	_ gorgonia.CUDADoer = (*cellsOp)(nil)
	_ gorgonia.CUDADoer = (*cellsGradOp)(nil)
)

// CUDADo computes α of every cell on the GPU (kernel align_cells_fwd): a
// block per item, anti-diagonal by anti-diagonal. Inputs θ and the
// lengths, both on the device. It keeps no weights (the gradient computes
// them again). Lengths out of range, which the CPU reports as an error,
// give NaN (device memory is not read back to check them).
func (op *cellsOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	g := op.g
	mode, gap := g.kernelModel()
	l := cudaops.AlignCellsForward(cudaDtype(op.dt), cudaops.Semiring(g.m.Semiring), g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap)
	want := []cudado.Arg{{Dtype: op.dt, Shape: g.thetaShape()}, g.lengthsArg()}
	return cudaDo(g.op, extern, dev, prealloc, tensor.Float64, g.cellsShape(), l, want, inputs)
}

// CUDADo computes the gradient of θ on the GPU (kernel align_cells_bwd):
// the cells in reverse, a block per item, the weights of each term
// computed again from α and θ. Inputs θ, the lengths, α and its gradient.
// The kernel keeps three anti-diagonals of gradients in shared memory: for
// min(N, M) above cudaops.AlignCellsMaxRows it fails with an error of kind
// ErrSize.
func (op *cellsGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	g := op.fwd.g
	if r := min(g.n, g.mm); r > cudaops.AlignCellsMaxRows {
		return nil, errorf(ErrSize, g.op, "the GPU's gradient takes anti-diagonals of at most %d cells, min(N, M) of potentials %v is %d",
			cudaops.AlignCellsMaxRows, g.thetaShape(), r)
	}
	mode, gap := g.kernelModel()
	l := cudaops.AlignCellsBackward(cudaDtype(op.fwd.dt), cudaops.Semiring(g.m.Semiring), g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap)
	cells := cudado.Arg{Dtype: tensor.Float64, Shape: g.cellsShape()}
	want := []cudado.Arg{{Dtype: op.fwd.dt, Shape: g.thetaShape()}, g.lengthsArg(), cells, cells}
	return cudaDo(g.op, extern, dev, prealloc, op.fwd.dt, g.thetaShape(), l, want, inputs)
}
