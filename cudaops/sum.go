package cudaops

// sumThreads is the block size of the Sum kernels; kernels/sum.cu's
// reductions assume it (SUM_THREADS).
const sumThreads = 256

// maxSumBlocks bounds the grid of the Sum kernels: their blocks loop over
// the batch, so a larger batch needs no larger grid.
const maxSumBlocks = 1 << 30

// SumForward is the launch of sum_fwd: r[b] = ⊕ of every entry of matrix b
// of band storage (batch, n, lower+upper+1), a (batch) vector. Pointers: r,
// A. A block per matrix reduces it in shared memory.
func SumForward(dt Dtype, s Semiring, batch, n, lower, upper int) Launch {
	return sumLaunch("sum_fwd", dt, s, batch, n, lower, upper)
}

// SumBackward is the launch of sum_bwd: the gradient of Σ dr·r with respect
// to A, in A's band storage, 0 in the padding. Pointers: the gradient, then
// A, r, dr (the inputs of bandop's sumGradOp). A block per matrix; Max's
// gradient goes to the first maximal entry in row-major order, as on the
// CPU.
func SumBackward(dt Dtype, s Semiring, batch, n, lower, upper int) Launch {
	return sumLaunch("sum_bwd", dt, s, batch, n, lower, upper)
}

func sumLaunch(base string, dt Dtype, s Semiring, batch, n, lower, upper int) Launch {
	blocks := min(max(batch, 1), maxSumBlocks)
	return Launch{
		Kernel: KernelName(base, dt),
		Grid:   [3]uint{uint(blocks), 1, 1},
		Block:  [3]uint{sumThreads, 1, 1},
		Args:   []any{int64(batch), int64(n), int64(lower), int64(upper), int64(s)},
	}
}
