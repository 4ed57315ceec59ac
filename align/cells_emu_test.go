//go:build !cuda

package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/cudaops"
	"gorgonia.org/tensor"
)

// emuCellsTheta draws θ for the cells' kernels in one of three flavours:
// 0 is emuTheta, NaN in every potential no path may use; 1 has +Inf there
// instead, and the semiring's zero in about one used potential in four
// (cells no path reaches: α is the zero, which the gradient must not pass
// through); 2 is flavour 0 with NaN in a used potential of item 0 and
// +Inf in one of the last item, which reach α and the gradient as they do
// on the CPU.
func emuCellsTheta[T emuFloat](rng *rand.Rand, g *grid, lx, ly []int, flavour int) []T {
	th := emuTheta[T](rng, g, lx, ly)
	used := func(b int) []int {
		var ks []int
		l := g.m.lat(lx[b], ly[b])
		for i := range g.n {
			for j := range g.mm {
				for c := range 3 {
					if l.Used(i, j, c) {
						ks = append(ks, ((b*g.n+i)*g.mm+j)*3+c)
					}
				}
			}
		}
		return ks
	}
	switch flavour {
	case 1:
		for k, x := range th {
			if math.IsNaN(float64(x)) {
				th[k] = T(math.Inf(1))
			} else if rng.IntN(4) == 0 {
				th[k] = T(g.m.Semiring.Zero())
			}
		}
	case 2:
		k := used(0)
		th[k[rng.IntN(len(k))]] = T(math.NaN())
		if b := g.batch - 1; b > 0 {
			k = used(b)
			th[k[rng.IntN(len(k))]] = T(math.Inf(1))
		}
	}
	return th
}

// emuCellsGrad draws the gradient of α: 0 in about one cell of an item's
// lattice in three (a cell that passes nothing back), a value in (0.5, 1.5)
// in the others, NaN outside the lattice (never read). The values are
// positive so that the gradients do not cancel: a tolerance relative to
// the result then bounds the errors of another order of addition.
func emuCellsGrad(rng *rand.Rand, g *grid, lx, ly []int) []float64 {
	da := make([]float64, g.cellsShape().TotalSize())
	for b := range g.batch {
		l := g.m.lat(lx[b], ly[b])
		for i := range g.n {
			for j := range g.mm {
				x := math.NaN()
				if l.Valid(i, j) {
					x = 0
					if rng.IntN(3) != 0 {
						x = 0.5 + rng.Float64()
					}
				}
				da[g.at(b, i, j)] = x
			}
		}
	}
	return da
}

// emuCellsTol is the tolerance of the cells' kernels against the CPU, for
// α (T float64) or the gradient of θ of dtype T: Max's α is bit for bit
// (it only adds); other results take exps and logs of other rounding
// (exp and log against fastexp's, each weight computed again from α rather
// than kept), sums in another order and contracted multiply-adds, whose
// errors grow along the anti-diagonals; a float32 gradient adds its final
// rounding.
func emuCellsTol[T emuFloat](g *grid, alpha bool) float64 {
	if alpha && g.m.Semiring == Max {
		return 0
	}
	tol := 0x1p-53 * 64 * float64(g.n+g.mm)
	if _, ok := any(T(0)).(float32); ok {
		tol += 2 * 0x1p-24
	}
	return tol
}

// TestEmuCells runs align_cells_fwd and align_cells_bwd under the emulator
// against cellsOp.Do and cellsGradOp.Do: every semiring, both dtypes,
// global, local and semi-global, without a gap and with gaps 0 and 1,
// ragged lengths, single rows and columns, N < M and N > M; θ of the three
// flavours of emuCellsTheta (NaN or +Inf in unused potentials, the
// semiring's zero in used ones, NaN and +Inf in used ones); the
// constructors' blocks and blocks of two threads striding over the rows of
// an anti-diagonal. The backward takes the CPU's α and a gradient with
// zeros (emuCellsGrad), and is compared with cellsGradOp.Do both with the
// forward's kept weights and computing them again; it runs with γ in
// shared memory and in scratch memory (emuCellsBackward), which must
// agree bit for bit, the latter with blocks of two threads also on fewer
// blocks than items.
func TestEmuCells(t *testing.T) {
	rng := rand.New(rand.NewPCG(91, 92))
	for _, s := range []bandop.Semiring{Real, Log, Max} {
		for _, m := range emuModels(s) {
			for _, shape := range emuShapes {
				for flavour := range 3 {
					for k, block := range []uint{0, 2} {
						if k == 1 && shape != [3]int{3, 6, 4} && shape != [3]int{2, 5, 5} {
							continue
						}
						name := fmt.Sprintf("flavour%d/block%d", flavour, block)
						t.Run(emuName(m, tensor.Float32, shape)+"/"+name, func(t *testing.T) { testEmuCells[float32](t, rng, m, shape, flavour, block) })
						t.Run(emuName(m, tensor.Float64, shape)+"/"+name, func(t *testing.T) { testEmuCells[float64](t, rng, m, shape, flavour, block) })
					}
				}
			}
		}
	}
}

func testEmuCells[T emuFloat](t *testing.T, rng *rand.Rand, m Model, shape [3]int, flavour int, block uint) {
	dt, cdt := emuDtype[T]()
	g, err := newGrid("test", m, tensor.Shape{shape[0], shape[1], shape[2], 3})
	must(t, err)
	lx, ly, lv := emuLengths(rng, g.batch, g.n, g.mm)
	lens := lv.Data().([]int)
	mode, gap := g.kernelModel()
	cs := cudaops.Semiring(m.Semiring)
	th := emuCellsTheta[T](rng, g, lx, ly, flavour)
	thv := tensor.New(tensor.WithShape(g.thetaShape()...), tensor.WithBacking(th))

	op := newCellsOp(g, dt)
	av, err := op.Do(thv, lv)
	must(t, err)
	want := av.Data().([]float64)
	alpha := newEmuOut[float64](len(want))
	emuRun(t, cudaops.AlignCellsForward(cdt, cs, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap), block,
		alpha.ptr(), emuPtr(th), emuPtr(lens))
	alpha.check(t, "align_cells_fwd")
	if d := diffFloats(alpha.data(), want, emuCellsTol[float64](g, true)); d != "" {
		t.Errorf("α: %s", d)
	}

	da := emuCellsGrad(rng, g, lx, ly)
	dav := tensor.New(tensor.WithShape(g.cellsShape()...), tensor.WithBacking(da))
	gop := op.gradOp()
	// Without the kept weights: a copy of α is not the α they were kept for.
	acopy := tensor.New(tensor.WithShape(g.cellsShape()...), tensor.WithBacking(slices.Clone(want)))
	wantNew, err := gop.Do(thv, lv, acopy, dav)
	must(t, err)
	if m.Semiring != Real && op.ws.weightsFor(av) == nil {
		t.Fatal("cellsOp.Do kept no weights for its α")
	}
	wantKept, err := gop.Do(thv, lv, av, dav)
	must(t, err)
	blocks := uint(0)
	if block != 0 {
		blocks = uint(max(g.batch-1, 1))
	}
	dth := emuCellsBackward[T](t, g, cdt, cs, block, blocks, th, lens, want, da)
	tol := emuCellsTol[T](g, false)
	if d := diffFloats(dth, wantNew.Data().([]T), tol); d != "" {
		t.Errorf("dθ against the weights computed again: %s", d)
	}
	if d := diffFloats(dth, wantKept.Data().([]T), tol); d != "" {
		t.Errorf("dθ against the kept weights: %s", d)
	}
}

// emuCellsBackward runs align_cells_bwd of g under the emulator both ways,
// γ in shared memory (AlignCellsBackward) and in scratch memory
// (AlignCellsBackwardGlobal), and returns dθ of the first after checking
// that each wrote every element of its output and nothing outside it, and
// that they agree bit for bit. block, when not 0, replaces both launches'
// block size; blocks, when not 0, the grid of the second (blocks looping
// over several items, each reusing its part of the scratch). The scratch
// is exactly three anti-diagonals a block, NaN, so that an overrun or a
// read before a write shows even where the emulator's checks are off.
func emuCellsBackward[T emuFloat](t *testing.T, g *grid, cdt cudaops.Dtype, cs cudaops.Semiring, block, blocks uint, th []T, lens []int, alpha, da []float64) []T {
	t.Helper()
	mode, gap := g.kernelModel()
	am := cudaops.AlignMode(mode)
	shared := newEmuOut[T](len(th))
	emuRun(t, cudaops.AlignCellsBackward(cdt, cs, g.batch, g.n, g.mm, am, gap), block,
		shared.ptr(), emuPtr(th), emuPtr(lens), emuPtr(alpha), emuPtr(da), []float64{})
	shared.check(t, "align_cells_bwd")

	l := cudaops.AlignCellsBackwardGlobal(cdt, cs, g.batch, g.n, g.mm, am, gap)
	if l.SharedBytes != 0 {
		t.Fatalf("AlignCellsBackwardGlobal takes %d bytes of shared memory, want 0", l.SharedBytes)
	}
	size := cudaops.AlignCellsScratchBytes(g.batch, g.n, g.mm)
	if blocks != 0 {
		l.Grid[0] = blocks
		size = int64(blocks) * 3 * 8 * int64(min(g.n, g.mm))
	}
	scratch := make([]float64, size/8)
	for k := range scratch {
		scratch[k] = math.NaN()
	}
	global := newEmuOut[T](len(th))
	emuRun(t, l, block, global.ptr(), emuPtr(th), emuPtr(lens), emuPtr(alpha), emuPtr(da), scratch)
	global.check(t, "align_cells_bwd (global)")
	for k, x := range shared.data() {
		y := global.data()[k]
		if math.Float64bits(float64(x)) != math.Float64bits(float64(y)) && !(math.IsNaN(float64(x)) && math.IsNaN(float64(y))) {
			t.Fatalf("dθ element %d: %v with γ in scratch memory (grid %v), %v in shared memory", k, y, l.Grid[0], x)
		}
	}
	return shared.data()
}

// TestEmuCellsSkew checks the kernels' skewed order (Grid::base, a closed
// form) against the grid's table, cell by cell: local Max potentials with
// FromLeft and FromAbove −Inf and FromDiag −(1 + i·M + j), where α of every
// cell is its own FromDiag start (the diagonal term is lower still), so
// that α at g.at(b, i, j) must be exactly −(1 + i·M + j).
func TestEmuCellsSkew(t *testing.T) {
	m := Model{Semiring: Max, Mode: Local}
	for _, shape := range [][3]int{{1, 1, 1}, {1, 1, 7}, {1, 7, 1}, {1, 3, 8}, {1, 8, 3}, {2, 5, 5}, {2, 4, 6}} {
		t.Run(fmt.Sprintf("%dx%dx%d", shape[0], shape[1], shape[2]), func(t *testing.T) {
			g, err := newGrid("test", m, tensor.Shape{shape[0], shape[1], shape[2], 3})
			must(t, err)
			code := func(i, j int) float64 { return -float64(1 + i*g.mm + j) }
			th := make([]float64, g.batch*g.n*g.mm*3)
			lens := make([]int, 2*g.batch)
			for b := range g.batch {
				lens[2*b], lens[2*b+1] = g.n, g.mm
				for i := range g.n {
					for j := range g.mm {
						k := ((b*g.n+i)*g.mm + j) * 3
						th[k], th[k+1], th[k+2] = math.Inf(-1), code(i, j), math.Inf(-1)
					}
				}
			}
			mode, gap := g.kernelModel()
			alpha := newEmuOut[float64](g.cellsShape().TotalSize())
			emuRun(t, cudaops.AlignCellsForward(cudaops.Float64, cudaops.Max, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap), 0,
				alpha.ptr(), emuPtr(th), emuPtr(lens))
			alpha.check(t, "align_cells_fwd")
			for b := range g.batch {
				for i := range g.n {
					for j := range g.mm {
						if got := alpha.data()[g.at(b, i, j)]; got != code(i, j) {
							t.Fatalf("item %d: α at the grid's index of (%d, %d) is %v, the α of cell %v", b, i, j, got, -got-1)
						}
					}
				}
			}
		})
	}
}

// TestEmuCellsBadLengths: lengths out of range, which the CPU Ops refuse,
// give NaN on the GPU: the item's whole α and whole gradient of θ, the
// other items as the CPU computes them alone. Both dtypes; blocks of four
// threads, each walking several of an item's elements; the gradient with
// γ in shared and in scratch memory (emuCellsBackward), the latter also on
// two blocks for the three items.
func TestEmuCellsBadLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(93, 94))
	for _, m := range []Model{{Semiring: Log}, {Semiring: Max, Mode: Local}, {Semiring: Real, Mode: SemiGlobal, Gapped: true, MaxGap: 1}} {
		t.Run(m.String()+"/float32", func(t *testing.T) { testEmuCellsBadLengths[float32](t, rng, m) })
		t.Run(m.String()+"/float64", func(t *testing.T) { testEmuCellsBadLengths[float64](t, rng, m) })
	}
}

func testEmuCellsBadLengths[T emuFloat](t *testing.T, rng *rand.Rand, m Model) {
	dt, cdt := emuDtype[T]()
	g, err := newGrid("test", m, tensor.Shape{3, 4, 5, 3})
	must(t, err)
	mode, gap := g.kernelModel()
	cs := cudaops.Semiring(m.Semiring)
	lens := []int{4, 5, 0, 3, 2, 6} // item 1: lenX 0; item 2: lenY 6 > 5
	full := []int{4, 4, 4}
	th := emuTheta[T](rng, g, full, []int{5, 5, 5})
	per, nm := g.n*g.mm*3, g.n*g.mm

	// Item 0 alone on the CPU.
	g0, err := newGrid("test", m, tensor.Shape{1, 4, 5, 3})
	must(t, err)
	lv0, err := Lengths([]int{4}, []int{5})
	must(t, err)
	th0 := tensor.New(tensor.WithShape(1, 4, 5, 3), tensor.WithBacking(slices.Clone(th[:per])))
	op := newCellsOp(g0, dt)
	av, err := op.Do(th0, lv0)
	must(t, err)
	da := emuCellsGrad(rng, g, full, []int{5, 5, 5})
	dv, err := op.gradOp().Do(th0, lv0, av, tensor.New(tensor.WithShape(1, nm), tensor.WithBacking(slices.Clone(da[:nm]))))
	must(t, err)

	alpha := newEmuOut[float64](g.batch * nm)
	emuRun(t, cudaops.AlignCellsForward(cdt, cs, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap), 4,
		alpha.ptr(), emuPtr(th), emuPtr(lens))
	alpha.check(t, "align_cells_fwd")
	if d := diffFloats(alpha.data()[:nm], av.Data().([]float64), emuCellsTol[float64](g, true)); d != "" {
		t.Errorf("α of item 0: %s", d)
	}
	for k, x := range alpha.data()[nm:] {
		if !math.IsNaN(x) {
			t.Fatalf("α of item %d, element %d: %v, want NaN", 1+k/nm, k%nm, x)
		}
	}
	for _, blocks := range []uint{0, 2} {
		dth := emuCellsBackward[T](t, g, cdt, cs, 4, blocks, th, lens, alpha.data(), da)
		if d := diffFloats(dth[:per], dv.Data().([]T), emuCellsTol[T](g, false)); d != "" {
			t.Errorf("dθ of item 0: %s", d)
		}
		for k, x := range dth[per:] {
			if !math.IsNaN(float64(x)) {
				t.Fatalf("dθ of item %d, element %d: %v, want NaN", 1+k/per, k%per, x)
			}
		}
	}
}
