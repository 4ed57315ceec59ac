//go:build !cuda

package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/cudaops/emu"
	"gorgonia.org/tensor"
)

// The scan kernels (cudaops/kernels/scan.cu) under the CPU emulator, against
// scanForward and scanBackward of scan.go, launched by the constructors the
// cuda glue (scan_cuda.go) uses. The emulator runs a pthread per thread of
// a block and a barrier per step, so the shapes are small.

// scanEmuCase is a scan shape: items vectors of n columns through steps
// band matrices (lower, upper); window gives the window (nil: every row);
// block, when not 0, replaces the constructor's block size, so that the
// threads of a block stride over several columns and rows. A big case (a
// block of 256 threads, slow to emulate) runs each semiring in one dtype:
// float32 for Log (the alignment's), float64 for the others.
type scanEmuCase struct {
	items, steps, n, lower, upper int
	window                        func(rng *rand.Rand, steps, n int) *Window
	block                         uint
	big                           bool
}

// scanPartialWindow draws a window of random rows for each step, some steps
// with no row at all (lo = hi) and some with every row.
func scanPartialWindow(rng *rand.Rand, steps, n int) *Window {
	w := &Window{Lo: make([]int, steps), Hi: make([]int, steps)}
	for t := range steps {
		switch rng.IntN(5) {
		case 0: // empty
			r := rng.IntN(n + 1)
			w.Lo[t], w.Hi[t] = r, r
		case 1: // every row
			w.Lo[t], w.Hi[t] = 0, n
		default:
			a, b := rng.IntN(n+1), rng.IntN(n+1)
			w.Lo[t], w.Hi[t] = min(a, b), max(a, b)
		}
	}
	return w
}

// scanEmuCases: n = 1, a single step, several items, negative bands on
// either side, a band wider than n, partial windows with empty steps, a
// block of 32 threads striding over 70 columns, and n = 300, more columns
// than the constructor's largest block.
var scanEmuCases = []scanEmuCase{
	{items: 1, steps: 1, n: 1, lower: 0, upper: 0},
	{items: 2, steps: 1, n: 1, lower: 1, upper: 2, window: scanPartialWindow},
	{items: 3, steps: 4, n: 7, lower: 1, upper: 1},
	{items: 2, steps: 6, n: 9, lower: -1, upper: 2, window: scanPartialWindow},
	{items: 2, steps: 5, n: 8, lower: 2, upper: -1, window: scanPartialWindow},
	{items: 1, steps: 3, n: 3, lower: 4, upper: 5},
	{items: 3, steps: 4, n: 70, lower: 2, upper: 3, window: scanPartialWindow, block: 32},
	{items: 1, steps: 2, n: 300, lower: 1, upper: 1, window: scanPartialWindow, big: true},
}

// scanEmuInputs returns v0 and A for semiring s: ewValue draws (Log and Max
// with −Inf, Max small integers, so many ties), NaN in every padding slot
// and in every row outside the window (neither may change a result), and
// for Log and Max a row of −Inf in each matrix.
func scanEmuInputs[T float](rng *rand.Rand, l scanLayout) (v0, a []T) {
	v0 = make([]T, l.items*l.a.n)
	for i := range v0 {
		v0[i] = T(ewValue(rng, l.s))
	}
	a = mxBand[T](rng, l.s, l.a)
	w := l.a.width()
	for t := range l.steps {
		lo, hi := l.win.rows(t, l.a.n)
		for b := range l.items {
			m := t*l.items + b
			for r := range l.a.n {
				if r < lo || r >= hi {
					for k := range w {
						a[(m*l.a.n+r)*w+k] = T(math.NaN())
					}
				}
			}
		}
	}
	return v0, a
}

// scanGuarded is an output buffer with mxGuard sentinels on either side, to
// catch writes outside it.
type scanGuarded[T float] struct{ buf []T }

func newScanGuarded[T float](size int) scanGuarded[T] {
	g := scanGuarded[T]{make([]T, size+2*mxGuard)}
	for i := range g.buf {
		g.buf[i] = mxSentinel
	}
	return g
}

func (g scanGuarded[T]) ptr() []T  { return g.data() }
func (g scanGuarded[T]) data() []T { return g.buf[mxGuard : len(g.buf)-mxGuard] }

func (g scanGuarded[T]) check(t *testing.T, kernel string) {
	t.Helper()
	for i := 0; i < mxGuard; i++ {
		if g.buf[i] != mxSentinel || g.buf[len(g.buf)-1-i] != mxSentinel {
			t.Fatalf("%s wrote outside its output", kernel)
		}
	}
}

// scanEmuRun runs l under the emulator with the output out first, then ptrs.
func scanEmuRun(t *testing.T, l cudaops.Launch, block uint, ptrs ...any) {
	t.Helper()
	if block != 0 {
		l.Block[0] = block
	}
	if err := emu.Run(l, ptrs...); err != nil {
		t.Fatalf("%s: %v", l.Kernel, err)
	}
}

// scanWindowWords is the window as the kernels take it, for l.
func scanWindowWords(l scanLayout) []int64 {
	if l.win == nil {
		return cudaops.ScanWindow(l.steps, l.a.n, nil, nil)
	}
	return cudaops.ScanWindow(l.steps, l.a.n, l.win.Lo, l.win.Hi)
}

// testScanEmu runs the four scan kernels on one case and compares them with
// the CPU: the states (scan_fwd), both gradients (scan_bwd, from the CPU's
// states), the last state (scan_last_fwd) and its adjoint (scan_last_bwd).
func testScanEmu[T float](t *testing.T, rng *rand.Rand, c scanEmuCase, s Semiring) {
	la := layout{batch: c.steps * c.items, n: c.n, lower: c.lower, upper: c.upper, fill: s.Zero(), dt: ewTensorDtype[T]()}
	var win *Window
	if c.window != nil {
		win = c.window(rng, c.steps, c.n)
	}
	l := scanLayout{a: la, items: c.items, steps: c.steps, s: s, win: win}
	v0, a := scanEmuInputs[T](rng, l)
	testScanEmuOn(t, l, c.block, v0, a, mxGrad[float64](rng, l.statesShape().TotalSize(), layout{}))
}

// testScanEmuOn compares the kernels with the CPU on the inputs v0, A and
// the states' gradient dS.
func testScanEmuOn[T float](t *testing.T, l scanLayout, block uint, v0, a []T, dS []float64) {
	t.Helper()
	cdt, cs := ewDtype[T](), cudaops.Semiring(l.s)
	n, items, steps := l.a.n, l.items, l.steps
	win := scanWindowWords(l)
	nS, nV, nA := l.statesShape().TotalSize(), items*n, len(a)

	want := make([]float64, nS)
	scanForward(l, want, v0, a, nil)
	states := newScanGuarded[float64](nS)
	scanEmuRun(t, cudaops.ScanForward(cdt, cs, items, steps, n, l.a.lower, l.a.upper), block,
		states.ptr(), v0, a, win)
	states.check(t, "scan_fwd")
	// A state is a chain of steps ⊕ over the band's width: at most
	// steps·width terms.
	terms := steps * l.a.width()
	if err := mxCompare(l.s, states.data(), want, terms, nil); err != nil {
		t.Errorf("forward states: %v", err)
	}

	// The backward reads the CPU's states, so that it is checked alone.
	for wrt := range 2 {
		size := nV
		if wrt == 1 {
			size = nA
		}
		gwant := make([]T, size)
		if wrt == 1 {
			scanBackward(l, want, dS, a, gwant, nil, nil)
		} else {
			scanBackward(l, want, dS, a, nil, gwant, nil)
		}
		got := newScanGuarded[T](size)
		scratch := make([]float64, cudaops.ScanScratchBytes(items, n)/8)
		for i := range scratch {
			scratch[i] = math.NaN() // the kernel must write before it reads
		}
		scanEmuRun(t, cudaops.ScanBackward(cdt, cs, wrt, items, steps, n, l.a.lower, l.a.upper), block,
			got.ptr(), v0, a, want, dS, win, scratch)
		got.check(t, "scan_bwd")
		if err := mxCompare(l.s, got.data(), gwant, terms, nil); err != nil {
			t.Errorf("backward wrt %d: %v", wrt, err)
		}
	}

	last := newScanGuarded[T](nV)
	scanEmuRun(t, cudaops.ScanLastForward(cdt, items, steps, n), 0, last.ptr(), want)
	last.check(t, "scan_last_fwd")
	lastWant := lastState(l, tensor.New(tensor.WithShape(l.statesShape()...), tensor.WithBacking(want))).Data().([]T)
	if err := mxCompare(l.s, last.data(), lastWant, 1, nil); err != nil {
		t.Errorf("last state: %v", err)
	}

	dv := make([]T, nV)
	for i := range dv {
		dv[i] = T(dS[i]) + 1
	}
	dvNode := tensor.New(tensor.WithShape(l.vShape()...), tensor.WithBacking(dv))
	dsWant, err := (&scanLastGradOp{l: l}).Do(dvNode)
	if err != nil {
		t.Fatal(err)
	}
	ds := newScanGuarded[float64](nS)
	scanEmuRun(t, cudaops.ScanLastBackward(cdt, items, steps, n), 0, ds.ptr(), dv)
	ds.check(t, "scan_last_bwd")
	if err := mxCompare(Max, ds.data(), dsWant.Data().([]float64), 0, nil); err != nil { // exactly
		t.Errorf("last state's adjoint: %v", err)
	}
}

func TestScanEmu(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, c := range scanEmuCases {
		for _, s := range []Semiring{Real, Log, Max} {
			name := fmt.Sprintf("%v/items%d_steps%d_n%d_band%d,%d_block%d", s, c.items, c.steps, c.n, c.lower, c.upper, c.block)
			if !c.big || s != Log {
				t.Run(name+"/f64", func(t *testing.T) { testScanEmu[float64](t, rng, c, s) })
			}
			if !c.big || s == Log {
				t.Run(name+"/f32", func(t *testing.T) { testScanEmu[float32](t, rng, c, s) })
			}
		}
	}
}

// Max gives each column's gradient to its first maximal row only: with
// every value 0 all terms tie, and the kernels must pick the CPU's rows
// (the lowest of the window), leaving the other tied slots of dA at 0.
func TestScanEmuMaxTies(t *testing.T) {
	const items, steps, n = 2, 4, 11
	la := layout{batch: steps * items, n: n, lower: 2, upper: 1, fill: math.Inf(-1), dt: tensor.Float64}
	win := &Window{Lo: []int{0, 2, 3, 0}, Hi: []int{n, 9, 3, 5}}
	l := scanLayout{a: la, items: items, steps: steps, s: Max, win: win}
	rng := rand.New(rand.NewPCG(41, 42))
	v0, a := scanEmuInputs[float64](rng, l)
	for i := range v0 {
		v0[i] = 0
	}
	for i, x := range a {
		if !math.IsNaN(x) { // keep the poisoned padding and outside rows
			a[i] = 0
		}
	}
	dS := make([]float64, l.statesShape().TotalSize())
	for i := range dS {
		dS[i] = float64(i%7) + 1
	}
	testScanEmuOn(t, l, 32, v0, a, dS)

	// Some tied in-window slots get the gradient and some do not.
	da := make([]float64, len(a))
	scanBackward(l, make([]float64, len(dS)), dS, a, da, nil, nil) // all states 0: every term ties
	zeros, ones := 0, 0
	for i, x := range a {
		if x == 0 {
			if da[i] == 0 {
				zeros++
			} else {
				ones++
			}
		}
	}
	if zeros == 0 || ones == 0 {
		t.Errorf("of the tied slots, %d get a gradient and %d do not: want some of each", ones, zeros)
	}
}

// NaN in an in-window slot of A reaches the states as the CPU's max and
// logsumexp carry it (Max keeps NaN once it has met it, unlike fmax), and
// the gradients as the CPU's.
func TestScanEmuNaN(t *testing.T) {
	for _, s := range []Semiring{Real, Log, Max} {
		t.Run(fmt.Sprintf("%v/f64", s), func(t *testing.T) { testScanEmuNaN[float64](t, s) })
		t.Run(fmt.Sprintf("%v/f32", s), func(t *testing.T) { testScanEmuNaN[float32](t, s) })
	}
}

func testScanEmuNaN[T float](t *testing.T, s Semiring) {
	const items, steps, n = 2, 3, 6
	rng := rand.New(rand.NewPCG(51, uint64(s)))
	la := layout{batch: steps * items, n: n, lower: 1, upper: 1, fill: s.Zero(), dt: ewTensorDtype[T]()}
	l := scanLayout{a: la, items: items, steps: steps, s: s}
	v0, a := scanEmuInputs[T](rng, l)
	// The diagonal slot of row 2 of item 1's step-0 matrix: column 2 of
	// item 1's state 1 is NaN, and so is every column it reaches later.
	a[((0*items+1)*n+2)*la.width()+1] = T(math.NaN())
	states := make([]float64, l.statesShape().TotalSize())
	scanForward(l, states, v0, a, nil)
	if x := states[(1*items+1)*n+2]; !math.IsNaN(x) {
		t.Fatalf("CPU: state 1, item 1, column 2 is %v, want NaN", x)
	}
	testScanEmuOn(t, l, 0, v0, a, mxGrad[float64](rng, l.statesShape().TotalSize(), layout{}))
}

// The scan constructors name kernels of the PTX; a wrong wrt or an empty
// shape does not launch.
func TestScanKernelsExist(t *testing.T) {
	have := map[string]bool{}
	for _, k := range cudaops.Kernels() {
		have[k] = true
	}
	for _, dt := range []cudaops.Dtype{cudaops.Float32, cudaops.Float64} {
		for _, l := range []cudaops.Launch{
			cudaops.ScanForward(dt, cudaops.Log, 2, 3, 4, 1, 1),
			cudaops.ScanBackward(dt, cudaops.Log, 0, 2, 3, 4, 1, 1),
			cudaops.ScanBackward(dt, cudaops.Log, 1, 2, 3, 4, 1, 1),
			cudaops.ScanLastForward(dt, 2, 3, 4),
			cudaops.ScanLastBackward(dt, 2, 3, 4),
		} {
			if !have[l.Kernel] {
				t.Errorf("kernel %s is not in the PTX", l.Kernel)
			}
		}
	}
	if l := cudaops.ScanBackward(cudaops.Float64, cudaops.Log, 2, 1, 1, 4, 1, 1); have[l.Kernel] {
		t.Errorf("ScanBackward with wrt 2 names kernel %s, which exists", l.Kernel)
	}
	if err := cudaops.ScanForward(cudaops.Float64, cudaops.Log, 1, 1, 0, 1, 1).Check(); err == nil {
		t.Errorf("ScanForward with n 0 passes Check")
	}
}
