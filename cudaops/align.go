package cudaops

// The launches of package align's Linear strategy (kernels/align_cells.cu,
// kernels/align_end.cu, the grid and lattice in kernels/align.cuh): α of
// every cell from the potentials θ (batch, n, m, 3) and its adjoint, and the
// ends that read log Z out of α and its gradient. α and its gradient are
// float64 (batch, n·m), each item's cells in the skewed order of align's
// grid: cell (i, j) at base(i+j) + i, anti-diagonal after anti-diagonal.
// Every kernel takes the model as two scalars: its mode (an AlignMode) and
// gap (its MaxGap, negative for a model without a gap), and the lengths as
// a (batch, 2) array of int64 (Go's int on the 64-bit platforms CUDA runs
// on: tensor.Int), lenX and lenY of item b at 2b and 2b + 1.

// AlignMode is the mode of an alignment as its kernels take it, with the
// values of align.Mode.
type AlignMode int

// The modes (see align.Mode).
const (
	AlignGlobal     AlignMode = 0 // from (0, 0) to the end cell
	AlignLocal      AlignMode = 1 // any start, any end
	AlignSemiGlobal AlignMode = 2 // start on the first row or column, end on the last
)

const (
	// alignThreads caps the blocks of the ends' backward; alignEndThreads
	// is ALIGN_END_THREADS of align_end.cu, the size of its shared arrays;
	// alignCellsThreads is ALIGN_CELLS_THREADS of align_cells.cu, the
	// launch bound of its kernels.
	alignThreads      = 256
	alignEndThreads   = 256
	alignCellsThreads = 512
	// alignMaxBlocks bounds the grids whose blocks loop over items.
	alignMaxBlocks = 1 << 30
	// alignEndBlocks is about the number of blocks AlignEndBackward spreads
	// a batch over when no per-item reduction forces a block per item.
	alignEndBlocks = 1024
)

// AlignCellsMaxRows is the largest min(n, m) that AlignCellsBackward
// takes: its blocks keep the gradients of three anti-diagonals, min(n, m)
// float64 each, in MaxSharedBytes of shared memory. A larger shape gives a
// launch that Check refuses; AlignCellsBackwardGlobal takes it.
const AlignCellsMaxRows = MaxSharedBytes / (3 * 8)

// alignOK reports whether a shape and mode name an alignment.
func alignOK(batch, n, m int, mode AlignMode) bool {
	return batch >= 1 && n >= 1 && m >= 1 && mode >= AlignGlobal && mode <= AlignSemiGlobal
}

func alignArgs(batch, n, m int, mode AlignMode, gap int, extra ...any) []any {
	return append([]any{int64(batch), int64(n), int64(m), int64(mode), int64(gap)}, extra...)
}

// warps returns x rounded up to whole warps of 32, at least 32 and at most
// limit.
func warps(x, limit int) int { return min(max(ceilDiv(x, 32), 1)*32, limit) }

// AlignCellsForward is the launch of align_cells_fwd: α of the cells Op of
// align's Linear strategy,
// float64 (batch, n·m) in the skewed order, every element written (the
// semiring's zero outside an item's lattice, NaN for an item whose lengths
// are out of range). Pointers: α, θ (dtype dt), the lengths. A block per
// item (blocks loop over them), its threads striding over the rows of an
// anti-diagonal (min(n, m) rounded up to warps, at most 512), the item's
// anti-diagonals in order with a barrier between them.
func AlignCellsForward(dt Dtype, s Semiring, batch, n, m int, mode AlignMode, gap int) Launch {
	return alignCells("align_cells_fwd", dt, s, batch, n, m, mode, gap)
}

// AlignCellsBackward is the launch of align_cells_bwd that keeps the
// gradients of its anti-diagonals in shared memory, for min(n, m) ≤
// AlignCellsMaxRows: the gradient of θ (dtype dt) of the gradient Op
// of align's Linear cells,
// from θ, α and the float64 gradient of α, every element written (0 for a
// potential no path uses, NaN for an item whose lengths are out of range);
// the weights of the terms are computed again from α and θ. Pointers: dθ,
// θ, the lengths, α, dα, and the scratch, which this launch does not read
// (pass null, or an empty buffer under the emulator). A block per item as
// AlignCellsForward, the anti-diagonals in reverse, with
// AlignCellsSharedBytes(n, m) of dynamic shared memory; for min(n, m) >
// AlignCellsMaxRows that exceeds MaxSharedBytes and Check refuses the
// launch: use AlignCellsBackwardGlobal.
func AlignCellsBackward(dt Dtype, s Semiring, batch, n, m int, mode AlignMode, gap int) Launch {
	l := alignCells("align_cells_bwd", dt, s, batch, n, m, mode, gap, 0)
	l.SharedBytes = AlignCellsSharedBytes(n, m)
	return l
}

// AlignCellsBackwardGlobal is AlignCellsBackward with the gradients of the
// anti-diagonals in device memory rather than shared memory, for min(n, m)
// > AlignCellsMaxRows, where they do not fit in shared memory (it takes
// any shape, but is slower, so use AlignCellsBackward where that fits).
// The last pointer is scratch memory of AlignCellsScratchBytes(batch, n,
// m) bytes, which the kernel overwrites; its results are those of
// AlignCellsBackward, bit for bit. No dynamic shared memory.
func AlignCellsBackwardGlobal(dt Dtype, s Semiring, batch, n, m int, mode AlignMode, gap int) Launch {
	return alignCells("align_cells_bwd", dt, s, batch, n, m, mode, gap, 1)
}

// AlignCellsSharedBytes is the dynamic shared memory of AlignCellsBackward:
// three float64 anti-diagonals of min(n, m) cells (at least one cell).
func AlignCellsSharedBytes(n, m int) uint { return uint(3 * 8 * max(min(n, m), 1)) }

// AlignCellsScratchBytes is the size of the scratch memory of
// AlignCellsBackwardGlobal: three float64 anti-diagonals of min(n, m)
// cells for each block of its grid (a block per item, at most 2³⁰). It is
// 0 for a shape that names no alignment (batch, n or m below 1).
func AlignCellsScratchBytes(batch, n, m int) int64 {
	if batch < 1 || n < 1 || m < 1 {
		return 0
	}
	return 3 * 8 * int64(min(n, m)) * int64(min(batch, alignMaxBlocks))
}

// alignCells is the launch of a cells kernel; extra are the scalars after
// the semiring (the backward's global).
func alignCells(base string, dt Dtype, s Semiring, batch, n, m int, mode AlignMode, gap int, extra ...any) Launch {
	l := Launch{
		Kernel: KernelName(base, dt),
		Grid:   [3]uint{uint(min(max(batch, 1), alignMaxBlocks)), 1, 1},
		Block:  [3]uint{uint(warps(min(n, m), alignCellsThreads)), 1, 1},
		Args:   alignArgs(batch, n, m, mode, gap, append([]any{int64(s)}, extra...)...),
	}
	if !alignOK(batch, n, m, mode) {
		l.Grid[0] = 0
	}
	return l
}

// AlignEndForward is the launch of align_end_fwd: log Z of every item,
// (batch) of dtype dt, from α, float64 (batch, n·m), and the lengths.
// Pointers: z, α, the lengths. Global mode reads one
// state an item: a thread per item. Local and semi-global modes reduce
// over the item's end cells: a block per item (blocks loop over the
// items), a fixed tree order.
func AlignEndForward(dt Dtype, s Semiring, batch, n, m int, mode AlignMode, gap int) Launch {
	return AlignEndForwardStates(dt, s, 1, batch, n, m, mode, gap)
}

// AlignEndForwardStates is AlignEndForward for α of states planes, float64
// (batch, states·n·m): state k of an item's cells at k·n·m of its part, in
// the skewed order (the affine model's α has 3). Every state of an end
// cell ends paths: with more than one state, global mode too reduces, a
// block per item.
func AlignEndForwardStates(dt Dtype, s Semiring, states, batch, n, m int, mode AlignMode, gap int) Launch {
	ok := alignOK(batch, n, m, mode) && states >= 1
	args := alignArgs(batch, n, m, mode, gap, int64(s), int64(states))
	var l Launch
	if mode != AlignGlobal || states > 1 {
		l = Launch{Kernel: KernelName("align_end_fwd", dt), Grid: [3]uint{uint(min(max(batch, 1), alignMaxBlocks)), 1, 1},
			Block: [3]uint{alignEndThreads, 1, 1}, Args: args}
	} else {
		l = flat(KernelName("align_end_fwd", dt), batch, args...)
	}
	if !ok {
		l.Grid[0] = 0
	}
	return l
}

// AlignEndParts returns the blocks an item of AlignEndBackward takes: one
// when each must first redo the item's reduction (local and semi-global
// Log and Max), else enough for about 1,024 blocks in all, at most one per
// anti-diagonal (n+m−1).
func AlignEndParts(s Semiring, batch, n, m int, mode AlignMode) int {
	return AlignEndPartsStates(s, 1, batch, n, m, mode)
}

// AlignEndPartsStates is AlignEndParts for α of states planes: with more
// than one state global Log and Max reduce too (one part an item), and the
// parts go up to one per anti-diagonal of every plane (states·(n+m−1)).
func AlignEndPartsStates(s Semiring, states, batch, n, m int, mode AlignMode) int {
	if !alignOK(batch, n, m, mode) || states < 1 || ((mode != AlignGlobal || states > 1) && s != Real) {
		return 1
	}
	return min(max(ceilDiv(alignEndBlocks, batch), 1), states*(n+m-1))
}

// AlignEndBackward is the launch of align_end_bwd: the float64 gradient
// of α, (batch, n·m) in the skewed order, every element written: 0 except
// the ends of items whose dz (dtype dt) is not 0 (the gradient of the log
// partitions z),
// NaN for an item whose lengths are out of range. Pointers: dα, α, the
// lengths, dz. AlignEndParts blocks an item (blocks loop over them), each
// writing every parts-th anti-diagonal of its item, threads striding over
// the anti-diagonal's cells (min(n, m) rounded up to warps, at most 256).
func AlignEndBackward(dt Dtype, s Semiring, batch, n, m int, mode AlignMode, gap int) Launch {
	return AlignEndBackwardStates(dt, s, 1, batch, n, m, mode, gap)
}

// AlignEndBackwardStates is AlignEndBackward for α of states planes
// (AlignEndForwardStates): AlignEndPartsStates blocks an item, each writing
// every parts-th anti-diagonal of the item's planes, plane after plane.
func AlignEndBackwardStates(dt Dtype, s Semiring, states, batch, n, m int, mode AlignMode, gap int) Launch {
	ok := alignOK(batch, n, m, mode) && states >= 1
	parts := AlignEndPartsStates(s, states, batch, n, m, mode)
	l := Launch{
		Kernel: KernelName("align_end_bwd", dt),
		Grid:   [3]uint{uint(min(max(batch*parts, 1), alignMaxBlocks)), 1, 1},
		Block:  [3]uint{uint(warps(min(n, m), alignThreads)), 1, 1},
		Args:   alignArgs(batch, n, m, mode, gap, int64(s), int64(parts), int64(states)),
	}
	if !ok {
		l.Grid[0] = 0
	}
	return l
}
