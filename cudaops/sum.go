package cudaops

// The block sizes of the Sum kernels: a block reduces a whole matrix, so
// a matrix of more than sumLargeSlots slots gets the largest block
// (kernels/sum.cu's SUM_THREADS) to read it with more threads. Both are
// powers of two, as the kernels' tree reductions need.
const (
	sumThreads      = 256
	sumLargeThreads = 512
	sumLargeSlots   = 1 << 16
)

// maxSumBlocks bounds the grid of the Sum kernels: their blocks loop over
// the batch, so a larger batch needs no larger grid.
const maxSumBlocks = 1 << 30

// SumForward is the launch of sum_fwd: r[b] = ⊕ of every entry of matrix b
// of band storage (batch, n, lower+upper+1), a (batch) vector. Pointers: r,
// A. A block per matrix reduces it in shared memory, 256 threads, or 512
// for a matrix of more than 65536 slots.
func SumForward(dt Dtype, s Semiring, batch, n, lower, upper int) Launch {
	return sumLaunch("sum_fwd", dt, s, batch, n, lower, upper)
}

// SumBackward is the launch of sum_bwd: the gradient of Σ dr·r with respect
// to A, in A's band storage, 0 in the padding. Pointers: the gradient, then
// A, r, dr (the inputs of the gradient Op of
// bandop.Sum). A block per matrix; Max's
// gradient goes to the first maximal entry in row-major order, as on the
// CPU.
func SumBackward(dt Dtype, s Semiring, batch, n, lower, upper int) Launch {
	return sumLaunch("sum_bwd", dt, s, batch, n, lower, upper)
}

func sumLaunch(base string, dt Dtype, s Semiring, batch, n, lower, upper int) Launch {
	blocks := min(max(batch, 1), maxSumBlocks)
	threads := sumThreads
	if n*(lower+upper+1) > sumLargeSlots {
		threads = sumLargeThreads
	}
	return Launch{
		Kernel: KernelName(base, dt),
		Grid:   [3]uint{uint(blocks), 1, 1},
		Block:  [3]uint{uint(threads), 1, 1},
		Args:   []any{int64(batch), int64(n), int64(lower), int64(upper), int64(s)},
	}
}
