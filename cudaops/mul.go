package cudaops

import "math"

// The forward Mul kernel's tiles (kernels/mul.cu holds the same numbers):
// blocks of mulTX × mulTY threads, each computing mulTR rows × mulKC output
// slots of one matrix, staging mulKA(dt) slots of A (and the rows of B they
// reach) per step in dynamic shared memory.
const (
	mulTX = 32
	mulTY = 8
	mulTR = 16 // mulTY · MUL_P
	mulKC = 64 // mulTX · MUL_Q
)

func mulKA(dt Dtype) int {
	if dt == Float64 {
		return 16
	}
	return 32
}

// MulSharedBytes is the dynamic shared memory of a forward Mul block: the
// staged rows of B and slots of A of one step.
func MulSharedBytes(dt Dtype) uint {
	ka := mulKA(dt)
	return uint(((mulTR+ka-1)*(mulKC+ka-1) + mulTR*ka) * dt.Size())
}

// MulForward is the launch of mul_fwd: C = A ⊗ B for semiring s, a batch of
// n×n matrices with A's band (la, ua) and B's (lb, ub), C's band
// (la+lb, ua+ub) with the semiring's zero in the padding. Pointers: C, A,
// B. A block computes a tile of 16 rows × 64 slots of C; blockIdx.x folds
// (batch, row tile, slot tile), so batch has no limit of its own.
func MulForward(dt Dtype, s Semiring, batch, n, la, ua, lb, ub int) Launch {
	wc := la + ua + lb + ub + 1
	return Launch{
		Kernel:      KernelName("mul_fwd", dt),
		Grid:        [3]uint{tiles(batch, ceilDiv(n, mulTR), ceilDiv(wc, mulKC)), 1, 1},
		Block:       [3]uint{mulTX, mulTY, 1},
		SharedBytes: MulSharedBytes(dt),
		Args:        bandArgs(batch, n, la, ua, lb, ub, s),
	}
}

// MulBackward is the launch of mul_bwd_a (wrt 0) or mul_bwd_b (wrt 1): the
// gradient of Σ dC·C with respect to A or B in that operand's band storage,
// 0 in the padding. Pointers: the gradient, then A, B, C, dC (the inputs of
// the gradient Op of bandop.Mul; C is the forward's output, bit for bit). Any other
// wrt names no kernel. One thread per gradient slot, in blocks of 32 slots
// × 8 rows; blockIdx.x folds (batch, row tile, slot tile).
func MulBackward(dt Dtype, s Semiring, wrt, batch, n, la, ua, lb, ub int) Launch {
	w := operandWidth(wrt, la, ua, lb, ub)
	return Launch{
		Kernel: KernelName(gradKernel("mul", wrt), dt),
		Grid:   [3]uint{tiles(batch, ceilDiv(n, 8), ceilDiv(w, 32)), 1, 1},
		Block:  [3]uint{32, 8, 1},
		Args:   bandArgs(batch, n, la, ua, lb, ub, s),
	}
}

// ceilDiv is ⌈a/b⌉ for b > 0, and 0 for a ≤ 0.
func ceilDiv(a, b int) int {
	if a <= 0 {
		return 0
	}
	return (a-1)/b + 1
}

// tiles is the product of the counts, as a grid dimension: 0 (an empty
// launch, which Check refuses) when any count is below 1, and a value
// Check refuses when the product passes the CUDA limit of gridDim.x.
func tiles(counts ...int) uint {
	p := uint64(1)
	for _, c := range counts {
		if c < 1 {
			return 0
		}
		p *= uint64(c)
		if p > math.MaxInt32 {
			return math.MaxInt32 + 1
		}
	}
	return uint(p)
}
