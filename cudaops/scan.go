package cudaops

import "fmt"

// The launches of bandop's Scan (kernels/scan.cu): the forward and the
// backward each run the whole scan, every step, in one launch, a block per
// item and __syncthreads between steps. A state of n columns is spread over
// the block's threads (columns in the forward, rows in the backward), each
// thread striding over several of them when n exceeds the block.
const (
	// scanMaxThreads caps the block of the scan kernels. A block per item
	// leaves the grid small (an alignment batch of 128 items is about a
	// block per multiprocessor), so the block is made as large as the state
	// keeps busy, up to 256 threads: any kernel, whatever its register
	// count, can launch 256 threads (255 registers a thread at most).
	scanMaxThreads = 256
	// scanMaxBlocks bounds the grid; the kernels' blocks loop over the
	// items, so more items need no larger grid.
	scanMaxBlocks = 1 << 30
)

// ScanThreads returns the block size of the scan kernels for states of n
// columns: n rounded up to whole warps of 32, at most 256.
func ScanThreads(n int) int {
	return min(max(ceilDiv(n, 32), 1)*32, scanMaxThreads)
}

// ScanForward is the launch of scan_fwd: the states of bandop's ScanStates,
// S[0] = v0 and S[t+1][b] = S[t][b] ⊗ A_{t·items+b} over the rows
// [lo[t], hi[t]) of step t's window, for items vectors of n columns through
// steps band matrices (lower, upper) held step-major: A has steps·items
// matrices. S, (steps+1, items, n), is float64 whatever dt is. Pointers: S,
// v0, A (the Op's inputs), then the window (ScanWindow, on the device). A
// block per item (ScanThreads(n) threads, striding over the columns), the
// whole scan in one launch.
func ScanForward(dt Dtype, s Semiring, items, steps, n, lower, upper int) Launch {
	return scanLaunch("scan_fwd", dt, items, steps, n, lower, upper, int64(s))
}

// ScanBackward is the launch of scan_bwd: the reverse scan of the gradient
// Op of bandop.ScanStates, the gradient of Σ dS·S with respect to input wrt: 0 is v0 (a
// (items, n) result), 1 is A (A's band storage, 0 outside the window's rows,
// in the padding and for terms of weight 0). One kernel serves both: wrt is
// its last scalar. Pointers: the gradient, then v0, A, S, dS (the Op's
// inputs; S is the forward's output, dS float64 of S's shape), the window
// (ScanWindow) and scratch memory of ScanScratchBytes(items, n) bytes that
// the kernel overwrites (the rolling adjoints of each item). A block per item
// (ScanThreads(n) threads, striding over the rows, each gathering over the
// columns its row reaches: no atomics). Any other wrt names no kernel.
func ScanBackward(dt Dtype, s Semiring, wrt, items, steps, n, lower, upper int) Launch {
	base := "scan_bwd"
	if wrt != 0 && wrt != 1 {
		base = fmt.Sprintf("scan_bwd_wrt%d", wrt)
	}
	return scanLaunch(base, dt, items, steps, n, lower, upper, int64(s), int64(wrt))
}

// ScanScratchBytes is the size of the scratch memory of ScanBackward: two
// float64 states (G_{t+1} and G_t) per item.
func ScanScratchBytes(items, n int) int64 { return 2 * 8 * int64(max(items, 0)) * int64(max(n, 0)) }

// ScanWindow returns the window of a scan as the kernels read it: steps
// int64 lower bounds, then steps upper bounds, rows lo[t] ≤ r < hi[t] of
// step t. Nil lo and hi (a nil bandop.Window) give every row, [0, n). The
// result has at least one element, so that its device copy is never empty.
func ScanWindow(steps, n int, lo, hi []int) []int64 {
	w := make([]int64, max(2*steps, 1))
	for t := 0; t < steps; t++ {
		if lo == nil || hi == nil {
			w[t], w[steps+t] = 0, int64(n)
		} else {
			w[t], w[steps+t] = int64(lo[t]), int64(hi[t])
		}
	}
	return w
}

// scanLaunch is a block-per-item launch; a size that names no scan (items,
// n or the band width below 1, or negative steps) gives an empty launch,
// which Check refuses.
func scanLaunch(base string, dt Dtype, items, steps, n, lower, upper int, extra ...any) Launch {
	l := Launch{
		Kernel: KernelName(base, dt),
		Grid:   [3]uint{uint(min(max(items, 1), scanMaxBlocks)), 1, 1},
		Block:  [3]uint{uint(ScanThreads(n)), 1, 1},
		Args:   append([]any{int64(items), int64(steps), int64(n), int64(lower), int64(upper)}, extra...),
	}
	if items < 1 || n < 1 || steps < 0 || lower+upper+1 < 1 {
		l.Grid[0] = 0
	}
	return l
}

// ScanLastForward is the launch of scan_last_fwd: v_T = S[steps] in dtype
// dt, (items, n), from the float64 states S (steps+1, items, n). Pointers:
// v_T, S. One thread per element.
func ScanLastForward(dt Dtype, items, steps, n int) Launch {
	return scanLastLaunch("scan_last_fwd", dt, items*n, items, steps, n)
}

// ScanLastBackward is the launch of scan_last_bwd: the float64 gradient of
// the states, (steps+1, items, n), 0 except the last state, which is dv
// ((items, n), dtype dt). Pointers: the gradient, dv. One thread per
// element of the gradient.
func ScanLastBackward(dt Dtype, items, steps, n int) Launch {
	return scanLastLaunch("scan_last_bwd", dt, (steps+1)*items*n, items, steps, n)
}

func scanLastLaunch(base string, dt Dtype, total, items, steps, n int) Launch {
	l := flat(KernelName(base, dt), total, int64(items), int64(steps), int64(n))
	if items < 1 || n < 1 || steps < 0 {
		l.Grid[0] = 0
	}
	return l
}
