package cudaops

// The tile and block shape of transpose_fwd (kernels/transpose.cu:
// TR_ROWS, TR_SLOTS, TR_THREADS_Y).
const (
	transposeRows     = 32
	transposeSlots    = 32
	transposeThreadsY = 8
	transposeNarrow   = 8 // TR_NARROW: up to this width, one thread a slot
)

// maxTransposeBlocks bounds the grid of transpose_fwd: its blocks loop over
// the tiles, so more tiles need no larger grid.
const maxTransposeBlocks = 1 << 30

// TransposeForward is the launch of transpose_fwd: the transpose, band
// (upper, lower), of band storage A with band (lower, upper), fill in the
// padding. Pointers: the transpose, A. With fill 0 and the band swapped it
// is also the backward of Transpose (bandop's Transpose Op serves both). A
// block per tile of 32 rows × 32 slots of the result, staged through shared
// memory so that reads and writes are both coalesced; for a band of at most
// 8 slots, one thread per slot of the result instead.
func TransposeForward(dt Dtype, batch, n, lower, upper int, fill float64) Launch {
	w := lower + upper + 1
	if w <= transposeNarrow {
		return flat(KernelName("transpose_fwd", dt), batch*n*w, denseArgs(batch, n, lower, upper, fill)...)
	}
	tiles := batch * ceilDiv(n, transposeRows) * ceilDiv(w, transposeSlots)
	return Launch{
		Kernel: KernelName("transpose_fwd", dt),
		Grid:   [3]uint{uint(min(max(tiles, 1), maxTransposeBlocks)), 1, 1},
		Block:  [3]uint{transposeSlots, transposeThreadsY, 1},
		Args:   denseArgs(batch, n, lower, upper, fill),
	}
}
