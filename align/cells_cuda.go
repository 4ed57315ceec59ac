//go:build cuda

package align

import (
	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/internal/cudado"
	"gorgonia.org/cu"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var (
	_ gorgonia.CUDADoer = (*cellsOp)(nil)
	_ gorgonia.CUDADoer = (*cellsGradOp)(nil)
)

// CUDADo computes α of every cell on the GPU (kernel align_cells_fwd, or
// align_affine_fwd for an affine model: every state of every cell): a
// block per item, anti-diagonal by anti-diagonal. Inputs θ and the
// lengths, both on the device. It keeps no weights (the gradient computes
// them again). Lengths out of range, which the CPU reports as an error,
// give NaN (device memory is not read back to check them).
func (op *cellsOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	g := op.g
	mode, gap := g.kernelModel()
	dt, s, am := cudaDtype(op.dt), cudaops.Semiring(g.m.Semiring), cudaops.AlignMode(mode)
	var l cudaops.Launch
	if g.m.Affine {
		l = cudaops.AlignAffineForward(dt, s, g.batch, g.n, g.mm, am, gap, g.m.NoTurns)
	} else {
		l = cudaops.AlignCellsForward(dt, s, g.batch, g.n, g.mm, am, gap)
	}
	want := []cudado.Arg{{Dtype: op.dt, Shape: g.thetaShape()}, g.lengthsArg()}
	return cudaDo(g.op, extern, dev, prealloc, tensor.Float64, g.cellsShape(), l, want, inputs)
}

// CUDADo computes the gradient of θ on the GPU (kernel align_cells_bwd,
// or align_affine_bwd for an affine model): the cells in reverse, a block
// per item, the weights of each term computed again from α and θ. Inputs
// θ, the lengths, α and its gradient. The kernel keeps three
// anti-diagonals of gradients, min(N, M) float64 each for every state of
// a cell: in shared memory up to cudaops.AlignCellsMaxRows
// (cudaops.AlignAffineMaxRows for affine), and past it in scratch device
// memory that CUDADo takes from the machine's allocator for the launch
// (cudaops.AlignCellsScratchBytes: 24·min(N, M) bytes an item;
// cudaops.AlignAffineScratchBytes: 72·min(N, M)) and gives back after it;
// the results are the same either way.
func (op *cellsGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	g := op.fwd.g
	mode, gap := g.kernelModel()
	dt, s, am := cudaDtype(op.fwd.dt), cudaops.Semiring(g.m.Semiring), cudaops.AlignMode(mode)
	cells := cudado.Arg{Dtype: tensor.Float64, Shape: g.cellsShape()}
	want := []cudado.Arg{{Dtype: op.fwd.dt, Shape: g.thetaShape()}, g.lengthsArg(), cells, cells}
	maxRows, shared, global, scratchBytes := cudaops.AlignCellsMaxRows, cudaops.AlignCellsBackward, cudaops.AlignCellsBackwardGlobal, cudaops.AlignCellsScratchBytes
	if g.m.Affine {
		noTurns := g.m.NoTurns
		maxRows, scratchBytes = cudaops.AlignAffineMaxRows, cudaops.AlignAffineScratchBytes
		shared = func(dt cudaops.Dtype, s cudaops.Semiring, batch, n, m int, mode cudaops.AlignMode, gap int) cudaops.Launch {
			return cudaops.AlignAffineBackward(dt, s, batch, n, m, mode, gap, noTurns)
		}
		global = func(dt cudaops.Dtype, s cudaops.Semiring, batch, n, m int, mode cudaops.AlignMode, gap int) cudaops.Launch {
			return cudaops.AlignAffineBackwardGlobal(dt, s, batch, n, m, mode, gap, noTurns)
		}
	}
	if min(g.n, g.mm) <= maxRows && !cellsGradScratch {
		l := shared(dt, s, g.batch, g.n, g.mm, am, gap)
		// The kernel does not read its scratch pointer here: null.
		return cudaDo(g.op, extern, dev, prealloc, op.fwd.dt, g.thetaShape(), l, want, inputs, 0)
	}
	machine, ok := extern.(gorgonia.CUDAMachine)
	if !ok {
		return nil, errorf(ErrDevice, g.op, "CUDADo needs a gorgonia.CUDAMachine, got %T", extern)
	}
	size := scratchBytes(g.batch, g.n, g.mm)
	scratch, err := machine.Get(dev, size)
	if err != nil {
		return nil, errorf(ErrDevice, g.op, "allocating %d bytes of scratch for the gradient of potentials %v on %v: %w", size, g.thetaShape(), dev, err)
	}
	// cudaDo waits for the kernel, so the scratch is free to go back.
	defer machine.Put(dev, scratch, size)
	l := global(dt, s, g.batch, g.n, g.mm, am, gap)
	return cudaDo(g.op, extern, dev, prealloc, op.fwd.dt, g.thetaShape(), l, want, inputs, cu.DevicePtr(scratch.Uintptr()))
}

// cellsGradScratch, set only by tests and benchmarks (never while a graph
// runs), makes cellsGradOp.CUDADo keep the gradients in scratch memory at
// every size, so that the two ways can be compared on the same shapes.
var cellsGradScratch bool
