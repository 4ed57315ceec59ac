package cudaops

// The launches of package align's Linear strategy (kernels/align_layout.cu,
// kernels/align_end.cu, the grid in kernels/align.cuh): the layout of the
// potentials θ (batch, n, m, 3) as the scan's step matrices and its
// adjoint, and the ends that read log Z out of the scan's float64 states
// and its gradient. Every kernel takes the model as two scalars: its mode
// (an AlignMode) and gap (its MaxGap, negative for a model without a gap),
// and the lengths as a (batch, 2) array of int64 (Go's int on the 64-bit
// platforms CUDA runs on: tensor.Int), lenX and lenY of item b at 2b and
// 2b + 1. For a model of size n × m, the rotated grid has steps = n+m−1
// step matrices an item, states of size = slots·(n+m−1) (slots 2 in local
// mode, else 1) and band (2, 2) (local) or (1, 1) (global, semi-global).
// AlignMode is the mode of an alignment as its kernels take it, with the
// values of align.Mode.
type AlignMode int

// The modes (see align.Mode).
const (
	AlignGlobal     AlignMode = 0 // from (0, 0) to the end cell
	AlignLocal      AlignMode = 1 // any start, any end; a start slot per offset
	AlignSemiGlobal AlignMode = 2 // start on the first row or column, end on the last
)

const (
	// alignThreads caps the blocks of the align kernels; alignEndThreads
	// is ALIGN_END_THREADS of align_end.cu, the size of its shared arrays.
	alignThreads    = 256
	alignEndThreads = 256
	// alignMaxBlocks bounds the grids whose blocks loop over matrices,
	// rows or items.
	alignMaxBlocks = 1 << 30
	// alignEndBlocks is about the number of blocks AlignEndBackward spreads
	// a batch over when no per-item reduction forces a block per item.
	alignEndBlocks = 1024
)

// alignGrid returns the size of the rotated grid's states and its band
// width; ok is false for a shape that names no alignment.
func alignGrid(batch, n, m int, mode AlignMode) (steps, size, w int, ok bool) {
	slots, lower := 1, 1
	if mode == AlignLocal {
		slots, lower = 2, 2
	}
	steps = n + m - 1
	ok = batch >= 1 && n >= 1 && m >= 1 && mode >= AlignGlobal && mode <= AlignSemiGlobal
	return steps, slots * steps, 2*lower + 1, ok
}

func alignArgs(batch, n, m int, mode AlignMode, gap int, extra ...any) []any {
	return append([]any{int64(batch), int64(n), int64(m), int64(mode), int64(gap)}, extra...)
}

// warps returns x rounded up to whole warps of 32, at least 32 and at most
// alignThreads.
func warps(x int) int { return min(max(ceilDiv(x, 32), 1)*32, alignThreads) }

// AlignLayoutForward is the launch of align_layout_fwd: the step matrices
// of align's layoutOp, band storage (steps·batch, size, w) with item b of
// step t at matrix t·batch + b, every slot of every row written (a
// potential, the semiring's one or its zero, from the slot's position; a
// global model with a gap writes the zero for a potential outside the
// item's gap). Pointers: the step storage, θ (dtype dt), the lengths. A
// block per step matrix (blocks loop over them), threads walking its
// slots.
func AlignLayoutForward(dt Dtype, s Semiring, batch, n, m int, mode AlignMode, gap int) Launch {
	steps, size, w, ok := alignGrid(batch, n, m, mode)
	l := Launch{
		Kernel: KernelName("align_layout_fwd", dt),
		Grid:   [3]uint{uint(min(max(steps*batch, 1), alignMaxBlocks)), 1, 1},
		Block:  [3]uint{uint(warps(size * w)), 1, 1},
		Args:   alignArgs(batch, n, m, mode, gap, int64(s)),
	}
	if !ok {
		l.Grid[0] = 0
	}
	return l
}

// AlignLayoutBackward is the launch of align_layout_bwd: the gradient of θ
// from that of the step storage, each element the sum of the one or two
// slots that hold it (a gather: no atomics). Pointers: dθ, the lengths,
// the step storage's gradient. A block per row (b, i) of θ (blocks loop
// over them), threads striding over its columns.
func AlignLayoutBackward(dt Dtype, batch, n, m int, mode AlignMode, gap int) Launch {
	_, _, _, ok := alignGrid(batch, n, m, mode)
	l := Launch{
		Kernel: KernelName("align_layout_bwd", dt),
		Grid:   [3]uint{uint(min(max(batch*n, 1), alignMaxBlocks)), 1, 1},
		Block:  [3]uint{uint(warps(m)), 1, 1},
		Args:   alignArgs(batch, n, m, mode, gap),
	}
	if !ok {
		l.Grid[0] = 0
	}
	return l
}

// AlignEndForward is the launch of align_end_fwd: log Z of every item,
// (batch) of dtype dt, from the float64 states (steps+1, batch, size) and
// the lengths. Pointers: z, the states, the lengths. Global mode reads one
// state an item: a thread per item. Local and semi-global modes reduce
// over the item's end cells: a block per item (blocks loop over the
// items), a fixed tree order.
func AlignEndForward(dt Dtype, s Semiring, batch, n, m int, mode AlignMode, gap int) Launch {
	_, _, _, ok := alignGrid(batch, n, m, mode)
	args := alignArgs(batch, n, m, mode, gap, int64(s))
	var l Launch
	if mode != AlignGlobal {
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
// Log and Max),
// else enough for about alignEndBlocks blocks in all, at most one per
// state (steps+1).
func AlignEndParts(s Semiring, batch, n, m int, mode AlignMode) int {
	steps, _, _, ok := alignGrid(batch, n, m, mode)
	if !ok || (mode != AlignGlobal && s != Real) {
		return 1
	}
	return min(max(ceilDiv(alignEndBlocks, batch), 1), steps+1)
}

// AlignEndBackward is the launch of align_end_bwd: the float64 gradient
// of the states, (steps+1, batch, size), every element written: 0 except
// the ends of items whose dz (dtype dt) is not 0 (see align's endGradOp).
// Pointers: dS, the states, the lengths, dz. AlignEndParts blocks an item
// (blocks loop over them), each writing every parts-th state of its item,
// threads striding over the state's columns.
func AlignEndBackward(dt Dtype, s Semiring, batch, n, m int, mode AlignMode, gap int) Launch {
	_, size, _, ok := alignGrid(batch, n, m, mode)
	parts := AlignEndParts(s, batch, n, m, mode)
	l := Launch{
		Kernel: KernelName("align_end_bwd", dt),
		Grid:   [3]uint{uint(min(max(batch*parts, 1), alignMaxBlocks)), 1, 1},
		Block:  [3]uint{uint(warps(size)), 1, 1},
		Args:   alignArgs(batch, n, m, mode, gap, int64(s), int64(parts)),
	}
	if !ok {
		l.Grid[0] = 0
	}
	return l
}
