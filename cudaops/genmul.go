package cudaops

import (
	"fmt"
	"strings"
)

// The launches of kernels/genmul.cu, the kernels of package genmul: dense
// batched products of A (batch, n, k) and B (batch, k, m). Every launch's
// scalars are batch, n, k, m (int64), after the pointers, except where a
// constructor says otherwise.

// Tiles of genmul.cu (it holds the same numbers): products and selections
// compute genmulTile × genmulTile outputs a block, the Log gradients and
// expectations genmulGradTile × genmulGradTile, with blocks of
// genmulThreads × genmulThreads threads.
const (
	genmulThreads  = 16
	genmulTile     = 64
	genmulGradTile = 32
)

// GenmulProduct names a product of package genmul (Sample's forward is
// Log's).
type GenmulProduct int

// The products.
const (
	LogMatMul     GenmulProduct = 1 + iota // log Σ_k exp(A + B)
	MaxMatMul                              // max_k (A + B)
	ProdMaxMatMul                          // max_k A·B
)

func (p GenmulProduct) base() string {
	switch p {
	case LogMatMul:
		return "logmatmul"
	case MaxMatMul:
		return "maxmatmul"
	case ProdMaxMatMul:
		return "prodmaxmatmul"
	}
	return fmt.Sprintf("genmul%d", int(p))
}

func genmulArgs(batch, n, k, m int) []any {
	return []any{int64(batch), int64(n), int64(k), int64(m)}
}

// genmulTiles is the launch of a kernel over the tiles of a (batch, rows,
// cols) output, size × size outputs a block; extra tiles are added to the
// grid (logmatmul_bwd runs dB's tiles after dA's).
func genmulTiles(kernel string, size, batch, rows, cols int, extra uint) Launch {
	grid := tiles(batch, ceilDiv(rows, size), ceilDiv(cols, size))
	if grid > 0 && extra > 0 {
		grid += extra
	}
	return Launch{
		Kernel: kernel,
		Grid:   [3]uint{grid, 1, 1},
		Block:  [3]uint{genmulThreads, genmulThreads, 1},
	}
}

// GenmulForward is the launch of logmatmul_fwd, maxmatmul_fwd or
// prodmaxmatmul_fwd: C (batch, n, m) = A ⊗ B. Pointers: C, A, B. A block
// computes a 64 × 64 tile of C; blockIdx.x folds (batch, row tile, column
// tile).
func GenmulForward(dt Dtype, p GenmulProduct, batch, n, k, m int) Launch {
	l := genmulTiles(KernelName(p.base()+"_fwd", dt), genmulTile, batch, n, m, 0)
	l.Args = genmulArgs(batch, n, k, m)
	return l
}

// LogMatMulBackward is the launch of logmatmul_bwd: both gradients of
// LogMatMul into one buffer, dA's batch·n·k elements then dB's batch·k·m.
// Pointers: the gradients, A, B, C, dC. Blocks of 32 × 32 outputs, dA's
// tiles first.
func LogMatMulBackward(dt Dtype, batch, n, k, m int) Launch {
	l := genmulTiles(KernelName("logmatmul_bwd", dt), genmulGradTile, batch, n, k, tiles(batch, ceilDiv(k, genmulGradTile), ceilDiv(m, genmulGradTile)))
	l.Args = genmulArgs(batch, n, k, m)
	return l
}

// LogMatMulPart is the launch of logmatmul_bwd_part: dA (wrt 0) or dB (wrt
// 1) copied out of logmatmul_bwd's buffer. Pointers: the part, the buffer.
// Scalars: the part's offset and size.
func LogMatMulPart(dt Dtype, wrt, batch, n, k, m int) Launch {
	off, size := 0, batch*n*k
	if wrt != 0 {
		off, size = batch*n*k, batch*k*m
	}
	return Linear(KernelName("logmatmul_bwd_part", dt), size, int64(off), int64(size))
}

// LogMatMulGrad is the launch of logmatmul_bwd_a (wrt 0) or logmatmul_bwd_b
// (wrt 1): one gradient of LogMatMul. Pointers: the gradient, A, B, C, dC.
// With weighted set it is logmatmul_bwd2_a or _b, a term of the second
// derivatives: dC·P weighted by a tensor H of the other operand's shape,
// the last pointer.
func LogMatMulGrad(dt Dtype, wrt int, weighted bool, batch, n, k, m int) Launch {
	base := gradKernel("logmatmul", wrt)
	if weighted {
		base = strings.Replace(base, "_bwd_", "_bwd2_", 1)
	}
	rows, cols := n, k
	if wrt != 0 {
		rows, cols = k, m
	}
	l := genmulTiles(KernelName(base, dt), genmulGradTile, batch, rows, cols, 0)
	l.Args = genmulArgs(batch, n, k, m)
	return l
}

// LogMatMulExpect is the launch of logmatmul_bwd2_expect_a (wrt 0: H of
// A's shape) or _b (wrt 1: H of B's shape): E[i,j] = Σ_k P[i,k,j]·H, a term
// of LogMatMul's second derivatives. Pointers: E (batch, n, m), A, B, C, H.
func LogMatMulExpect(dt Dtype, wrt, batch, n, k, m int) Launch {
	base := "logmatmul_bwd2_expect_a"
	switch wrt {
	case 0:
	case 1:
		base = "logmatmul_bwd2_expect_b"
	default:
		base = fmt.Sprintf("logmatmul_bwd2_expect_wrt%d", wrt)
	}
	l := genmulTiles(KernelName(base, dt), genmulGradTile, batch, n, m, 0)
	l.Args = genmulArgs(batch, n, k, m)
	return l
}

// GenmulSelect is the launch of maxmatmul_bwd_select or
// prodmaxmatmul_bwd_select: the first maximal k of each output, an int32
// (batch, n, m), −1 where there is none. Pointers: the selection, A, B, C.
// (LogMatMul has no such kernel: its launch fails.)
func GenmulSelect(dt Dtype, p GenmulProduct, batch, n, k, m int) Launch {
	l := genmulTiles(KernelName(p.base()+"_bwd_select", dt), genmulTile, batch, n, m, 0)
	l.Args = genmulArgs(batch, n, k, m)
	return l
}

// SampleMatMulDraw is the launch of samplematmul_bwd_draw: for each output
// a k drawn from the softmax over k, from the 64-bit seed (genmul's
// CPU path, SampleMatMulGrad, draws the same numbers). Pointers: the selection (int32), A,
// B, C. Scalars: batch, n, k, m, seed. One thread per output.
func SampleMatMulDraw(dt Dtype, seed uint64, batch, n, k, m int) Launch {
	return Linear(KernelName("samplematmul_bwd_draw", dt), batch*n*m, int64(batch), int64(n), int64(k), int64(m), int64(seed))
}

// GenmulRoute is the launch of maxmatmul_bwd_a or _b (Max and Sample) or
// prodmaxmatmul_bwd_a or _b: the gradient with respect to A (wrt 0) or B
// (wrt 1) of a product whose outputs each take their selected term.
// Pointers: the gradient, A, B, the selection, dC. One thread per row of
// dA or per column of dB.
func GenmulRoute(dt Dtype, p GenmulProduct, wrt, batch, n, k, m int) Launch {
	total := batch * n
	if wrt != 0 {
		total = batch * m
	}
	return Linear(KernelName(gradKernel(p.base(), wrt), dt), total, int64(batch), int64(n), int64(k), int64(m))
}
