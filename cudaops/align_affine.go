package cudaops

// The launches of the cells of package align's Linear strategy for the
// affine-gap model (kernels/align_affine.cu): α of every state of every
// cell from the potentials θ (batch, n, m, 5), float64 (batch, 3·n·m) —
// item b, state k (match, gap from the left, gap from above), cell (i, j)
// at b·3·n·m + k·n·m + base(i+j) + i — and the gradient of θ. Their ends
// are AlignEndForwardStates and AlignEndBackwardStates with 3 states. The
// model arrives as the linear launches take it (an AlignMode and a gap,
// negative for none) and noTurns (Model.NoTurns: no gap directly after a
// gap of the other direction).

const (
	// alignAffineThreads is ALIGN_AFFINE_THREADS of align_affine.cu, the
	// launch bound of its kernels.
	alignAffineThreads = 512
	// AlignAffineStates and AlignAffineChannels are the states of a cell
	// (α's planes) and the channels of θ of the affine model.
	AlignAffineStates   = 3
	AlignAffineChannels = 5
)

// AlignAffineMaxRows is the largest min(n, m) that AlignAffineBackward
// takes: its blocks keep the gradients of three anti-diagonals, three
// states of min(n, m) float64 each, in MaxSharedBytes of shared memory. A
// larger shape gives a launch that Check refuses; AlignAffineBackwardGlobal
// takes it.
const AlignAffineMaxRows = MaxSharedBytes / (3 * AlignAffineStates * 8)

// AlignAffineForward is the launch of align_affine_fwd: α of the cells Op
// of align's Linear strategy for the affine model, float64 (batch, 3·n·m),
// every element written (the semiring's zero outside an item's lattice,
// NaN for an item whose lengths are out of range). Pointers: α, θ (dtype
// dt, (batch, n, m, 5)), the lengths. A block per item (blocks loop over
// them), its threads striding over the rows of an anti-diagonal (min(n, m)
// rounded up to warps, at most 512), the item's anti-diagonals in order
// with a barrier between them.
func AlignAffineForward(dt Dtype, s Semiring, batch, n, m int, mode AlignMode, gap int, noTurns bool) Launch {
	return alignAffine("align_affine_fwd", dt, s, batch, n, m, mode, gap, noTurns)
}

// AlignAffineBackward is the launch of align_affine_bwd that keeps the
// gradients of its anti-diagonals in shared memory, for min(n, m) ≤
// AlignAffineMaxRows: the gradient of θ (dtype dt) from θ, α and the
// float64 gradient of α, every element written (0 for a potential no path
// uses, NaN for an item whose lengths are out of range); the weights are
// computed again from α and θ. Pointers: dθ, θ, the lengths, α, dα, and
// the scratch, which this launch does not read (pass null, or an empty
// buffer under the emulator). A block per item as AlignAffineForward, the
// anti-diagonals in reverse, with AlignAffineSharedBytes(n, m) of dynamic
// shared memory; past AlignAffineMaxRows Check refuses the launch: use
// AlignAffineBackwardGlobal.
func AlignAffineBackward(dt Dtype, s Semiring, batch, n, m int, mode AlignMode, gap int, noTurns bool) Launch {
	l := alignAffine("align_affine_bwd", dt, s, batch, n, m, mode, gap, noTurns, int64(0))
	l.SharedBytes = AlignAffineSharedBytes(n, m)
	return l
}

// AlignAffineBackwardGlobal is AlignAffineBackward with the gradients of
// the anti-diagonals in device memory, for any shape (slower where
// AlignAffineBackward fits). The last pointer is scratch memory of
// AlignAffineScratchBytes(batch, n, m) bytes, which the kernel
// overwrites; the results are AlignAffineBackward's, bit for bit. No
// dynamic shared memory.
func AlignAffineBackwardGlobal(dt Dtype, s Semiring, batch, n, m int, mode AlignMode, gap int, noTurns bool) Launch {
	return alignAffine("align_affine_bwd", dt, s, batch, n, m, mode, gap, noTurns, int64(1))
}

// AlignAffineSharedBytes is the dynamic shared memory of
// AlignAffineBackward: three anti-diagonals of three float64 states of
// min(n, m) cells (at least one cell).
func AlignAffineSharedBytes(n, m int) uint {
	return uint(3 * AlignAffineStates * 8 * max(min(n, m), 1))
}

// AlignAffineScratchBytes is the size of the scratch memory of
// AlignAffineBackwardGlobal: three anti-diagonals of three float64 states
// of min(n, m) cells for each block of its grid (a block per item, at most
// 2³⁰). It is 0 for a shape that names no alignment.
func AlignAffineScratchBytes(batch, n, m int) int64 {
	if batch < 1 || n < 1 || m < 1 {
		return 0
	}
	return 3 * AlignAffineStates * 8 * int64(min(n, m)) * int64(min(batch, alignMaxBlocks))
}

// alignAffine is the launch of an affine cells kernel; extra are the
// scalars after noTurns (the backward's global).
func alignAffine(base string, dt Dtype, s Semiring, batch, n, m int, mode AlignMode, gap int, noTurns bool, extra ...any) Launch {
	nt := int64(0)
	if noTurns {
		nt = 1
	}
	l := Launch{
		Kernel: KernelName(base, dt),
		Grid:   [3]uint{uint(min(max(batch, 1), alignMaxBlocks)), 1, 1},
		Block:  [3]uint{uint(warps(min(n, m), alignAffineThreads)), 1, 1},
		Args:   alignArgs(batch, n, m, mode, gap, append([]any{int64(s), nt}, extra...)...),
	}
	if !alignOK(batch, n, m, mode) {
		l.Grid[0] = 0
	}
	return l
}
