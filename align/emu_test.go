//go:build !cuda

package align

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/cudaops/emu"
	"gorgonia.org/tensor"
)

// Helpers of the emulation tests of the align kernels (cells_emu_test.go,
// end_emu_test.go, pipeline_emu_test.go): the kernels of
// cudaops/kernels/align_*.cu compiled for the CPU by the emulator
// (cudaops/emu), launched by the cudaops constructors the cuda glue
// (cells_cuda.go, end_cuda.go) uses, and compared with the CPU Do of the
// same Ops. The emulator runs every thread of a block, so the shapes are
// small.

// The lengths are handed to the kernels as the tensor.Int backing itself,
// which they read as int64: emuRun skips where an int is narrower.

type emuFloat interface{ float32 | float64 }

func emuDtype[T emuFloat]() (tensor.Dtype, cudaops.Dtype) {
	var x T
	if _, ok := any(x).(float32); ok {
		return tensor.Float32, cudaops.Float32
	}
	return tensor.Float64, cudaops.Float64
}

// emuModels are the models of the emulation tests for semiring s: global,
// local and semi-global, without a gap and with gaps 0 and 1.
func emuModels(s bandop.Semiring) []Model {
	var ms []Model
	for _, mode := range []Mode{Global, Local, SemiGlobal} {
		for _, gap := range []int{-1, 0, 1} {
			m := Model{Semiring: s, Mode: mode}
			if gap >= 0 {
				m.Gapped, m.MaxGap = true, gap
			}
			ms = append(ms, m)
		}
	}
	return ms
}

// emuShapes are (batch, N, M): single cells, a row, a column, N < M, N > M
// and a square.
var emuShapes = [][3]int{{1, 1, 1}, {2, 1, 4}, {2, 4, 1}, {3, 3, 5}, {3, 6, 4}, {2, 5, 5}}

// emuLengths draws ragged lengths: item 0 fills the grid, the others are
// random (an item of length 1 in either sequence among them when batch > 2).
func emuLengths(rng *rand.Rand, batch, n, m int) (lx, ly []int, lv *tensor.Dense) {
	lx, ly = make([]int, batch), make([]int, batch)
	for b := range batch {
		lx[b], ly[b] = n, m
		if b > 0 {
			lx[b], ly[b] = 1+rng.IntN(n), 1+rng.IntN(m)
		}
	}
	if batch > 2 {
		lx[2] = 1
	}
	lv, err := Lengths(lx, ly)
	if err != nil {
		panic(err)
	}
	return lx, ly, lv
}

// emuValue draws a potential or an α for semiring s: Real positive,
// Log uniform in [−2, 2), Max small integers (many ties).
func emuValue(rng *rand.Rand, s bandop.Semiring) float64 {
	switch s {
	case Real:
		return 0.5 + rng.Float64()
	case Max:
		return float64(rng.IntN(5) - 2)
	}
	return 4*rng.Float64() - 2
}

// emuTheta draws θ (batch, N, M, 3) with NaN in every potential no path
// may use (lattice.Lattice.Used: past an item's lengths, outside its gap, or a
// move from a cell outside them).
func emuTheta[T emuFloat](rng *rand.Rand, g *grid, lx, ly []int) []T {
	th := make([]T, g.batch*g.n*g.mm*3)
	for b := range g.batch {
		l := g.m.lat(lx[b], ly[b])
		for i := range g.n {
			for j := range g.mm {
				for c := range 3 {
					x := emuValue(rng, g.m.Semiring)
					if !l.Used(i, j, c) {
						x = math.NaN()
					}
					th[((b*g.n+i)*g.mm+j)*3+c] = T(x)
				}
			}
		}
	}
	return th
}

// emuGuard is the number of sentinels on either side of an output buffer.
const emuGuard = 8

// emuOut is a kernel's output buffer between sentinels, to catch writes
// outside it; its elements start as a value no kernel writes.
type emuOut[T emuFloat] struct{ buf []T }

const emuSentinel = 7.25e7

func newEmuOut[T emuFloat](size int) emuOut[T] {
	o := emuOut[T]{make([]T, size+2*emuGuard)}
	for i := range o.buf {
		o.buf[i] = emuSentinel
	}
	return o
}

func (o emuOut[T]) ptr() []T  { return o.data() }
func (o emuOut[T]) data() []T { return o.buf[emuGuard : len(o.buf)-emuGuard] }

// check fails t when the kernel wrote outside the buffer or left an
// element of it unwritten.
func (o emuOut[T]) check(t *testing.T, kernel string) {
	t.Helper()
	for i := range emuGuard {
		if o.buf[i] != emuSentinel || o.buf[len(o.buf)-1-i] != emuSentinel {
			t.Fatalf("%s wrote outside its output", kernel)
		}
	}
	for i, x := range o.data() {
		if x == emuSentinel {
			t.Fatalf("%s left element %d of its output unwritten", kernel, i)
		}
	}
}

// emuRun runs l under the emulator; block, when not 0, replaces the
// constructor's block size (so that the threads of a block stride over
// several elements in a small case).
func emuRun(t *testing.T, l cudaops.Launch, block uint, ptrs ...any) {
	t.Helper()
	if strconv.IntSize != 64 {
		t.Skipf("%s: the kernels read int lengths as int64; int is %d bits here", l.Kernel, strconv.IntSize)
	}
	if block != 0 {
		l.Block[0] = block
	}
	if err := emu.Run(l, ptrs...); err != nil {
		t.Fatalf("%s: %v", l.Kernel, err)
	}
}

// emuPtr is the address of x's first element.
func emuPtr[T any](x []T) any { return x }
