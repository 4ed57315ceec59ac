//go:build !cuda

package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/genband/genband/align/internal/lattice"
	"github.com/genband/genband/bandop"
	"github.com/genband/genband/cudaops"
	"gorgonia.org/tensor"
)

// Emulation tests of the affine model's kernels (cudaops/kernels/
// align_affine.cu, and align_end.cu over three state planes): the launches
// the cuda glue makes (cells_cuda.go, end_cuda.go), run under the emulator
// against the engine's reference (align/internal/lattice: Forward, Total,
// Marginals), laid out as the cells Ops lay out α: item b, state k, cell
// (i, j) at (b·3 + k)·N·M + base[i+j] + i.

// affModels are the affine models of the emulation tests for semiring s:
// emuModels' modes and gaps, with and without turns.
func affModels(s bandop.Semiring) []Model {
	var ms []Model
	for _, m := range emuModels(s) {
		for _, noTurns := range []bool{false, true} {
			m.Affine, m.NoTurns = true, noTurns
			ms = append(ms, m)
		}
	}
	return ms
}

// affAt is the index of state k of cell (i, j) of item b in α.
func affAt(g *grid, b, k, i, j int) int { return (b*3+k)*g.n*g.mm + g.base[i+j] + i }

// affTheta draws θ (batch, N, M, 5): emuValue in every potential some path
// may read (lattice.Used), NaN in the others (flavour 0); flavour 1 has
// +Inf or −Inf in those instead and the semiring's zero in about one used
// potential in four (states no path reaches, which the gradient must not
// pass through).
func affTheta[T emuFloat](rng *rand.Rand, g *grid, lx, ly []int, flavour int) []T {
	th := make([]T, g.batch*g.n*g.mm*5)
	for b := range g.batch {
		l := g.m.lat(lx[b], ly[b])
		for i := range g.n {
			for j := range g.mm {
				for c := range 5 {
					x := emuValue(rng, g.m.Semiring)
					switch {
					case !l.Used(i, j, c) && flavour == 1:
						x = math.Inf(1 - 2*rng.IntN(2))
					case !l.Used(i, j, c):
						x = math.NaN()
					case flavour == 1 && rng.IntN(4) == 0:
						x = g.m.Semiring.Zero()
					}
					th[((b*g.n+i)*g.mm+j)*5+c] = T(x)
				}
			}
		}
	}
	return th
}

// affRef holds the engine's tables of every item: α (lattice.Forward), the
// outside values (lattice.Backward) and log Z (lattice.Total), each item's
// in the engine's layout (Lattice.Index).
type affRef struct {
	lat       []*lattice.Lattice
	fwd, bwd  [][]float64
	total     []float64
	alpha     []float64 // every item's α in the kernels' layout
	semiring  bandop.Semiring
	batch, nm int
}

func newAffRef[T emuFloat](g *grid, th []T, lx, ly []int) *affRef {
	r := &affRef{semiring: g.m.Semiring, batch: g.batch, nm: g.n * g.mm}
	r.alpha = make([]float64, 3*g.batch*r.nm)
	for k := range r.alpha {
		r.alpha[k] = lattice.Zero(r.semiring)
	}
	for b := range g.batch {
		l := g.m.lat(lx[b], ly[b])
		tb := lattice.Theta[T]{D: th[b*r.nm*5 : (b+1)*r.nm*5], Width: g.mm, Channels: 5}
		a, bw := make([]float64, l.Size()), make([]float64, l.Size())
		lattice.Forward(l, r.semiring, tb, a)
		lattice.Backward(l, r.semiring, tb, bw)
		r.lat, r.fwd, r.bwd = append(r.lat, l), append(r.fwd, a), append(r.bwd, bw)
		r.total = append(r.total, lattice.Total(l, r.semiring, a))
		for k := range 3 {
			for i := range lx[b] {
				for j := range ly[b] {
					r.alpha[affAt(g, b, k, i, j)] = a[l.Index(k, i, j)]
				}
			}
		}
	}
	return r
}

// marginals returns the engine's marginals of every item, laid out as θ
// (0 past the lengths).
func (r *affRef) marginals(g *grid, th []float64) []float64 {
	mu := make([]float64, len(th))
	for b, l := range r.lat {
		tb := lattice.Theta[float64]{D: th[b*r.nm*5 : (b+1)*r.nm*5], Width: g.mm, Channels: 5}
		lattice.Marginals(l, r.semiring, tb, r.fwd[b], r.bwd[b], r.total[b], mu[b*r.nm*5:(b+1)*r.nm*5])
	}
	return mu
}

// affEmuTol is the tolerance of the affine kernels against the engine, as
// emuCellsTol: Max's α is bit for bit; the others take exps and logs of
// other rounding, sums in other orders and contracted multiply-adds.
func affEmuTol[T emuFloat](g *grid, alpha bool) float64 {
	if alpha && g.m.Semiring == Max {
		return 0
	}
	tol := 0x1p-53 * 256 * float64(g.n+g.mm)
	if _, ok := any(T(0)).(float32); ok {
		tol += 4 * 0x1p-24
	}
	return tol
}

// affEmuBackward runs align_affine_bwd both ways, γ in shared memory and
// in NaN-filled scratch memory (on blocks grid blocks when not 0, looping
// over several items), checks that each wrote every element of dθ and
// nothing outside it and that they agree bit for bit, and returns dθ.
func affEmuBackward[T emuFloat](t *testing.T, g *grid, cdt cudaops.Dtype, block, blocks uint, th []T, lens []int, alpha, da []float64) []T {
	t.Helper()
	mode, gap := g.kernelModel()
	am, cs := cudaops.AlignMode(mode), cudaops.Semiring(g.m.Semiring)
	shared := newEmuOut[T](len(th))
	emuRun(t, cudaops.AlignAffineBackward(cdt, cs, g.batch, g.n, g.mm, am, gap, g.m.NoTurns), block,
		shared.ptr(), emuPtr(th), emuPtr(lens), emuPtr(alpha), emuPtr(da), []float64{})
	shared.check(t, "align_affine_bwd")
	l := cudaops.AlignAffineBackwardGlobal(cdt, cs, g.batch, g.n, g.mm, am, gap, g.m.NoTurns)
	if l.SharedBytes != 0 {
		t.Fatalf("AlignAffineBackwardGlobal takes %d bytes of shared memory, want 0", l.SharedBytes)
	}
	size := cudaops.AlignAffineScratchBytes(g.batch, g.n, g.mm)
	if blocks != 0 {
		l.Grid[0] = blocks
		size = int64(blocks) * 9 * 8 * int64(min(g.n, g.mm))
	}
	scratch := make([]float64, size/8)
	for k := range scratch {
		scratch[k] = math.NaN()
	}
	global := newEmuOut[T](len(th))
	emuRun(t, l, block, global.ptr(), emuPtr(th), emuPtr(lens), emuPtr(alpha), emuPtr(da), scratch)
	global.check(t, "align_affine_bwd (global)")
	for k, x := range shared.data() {
		if y := global.data()[k]; !sameFloat(float64(x), float64(y)) {
			t.Fatalf("dθ element %d: %v with γ in scratch memory (grid %v), %v in shared memory", k, y, l.Grid[0], x)
		}
	}
	return shared.data()
}

// TestEmuAffinePipeline runs an affine alignment under the emulator with
// the launches of a GPU run of the graph: align_affine_fwd, align_end_fwd
// over three states, then with dz = 1 align_end_bwd and align_affine_bwd
// (γ in shared and in scratch memory), and checks α against
// lattice.Forward, log Z against lattice.Total and the gradient of θ
// against lattice.Marginals (Log, Real); under Max, which the engine gives
// no marginals, that the gradient is the mask of one path (lattice.Check)
// whose score is the best. Every semiring, both dtypes, every mode, no gap
// and gaps 0 and 1, with and without turns, ragged lengths, single rows
// and columns, NaN (flavour 0) or ±Inf (flavour 1) in every potential no
// path may use, the semiring's zero in used ones (flavour 1); the
// constructors' blocks and blocks of two threads striding over an
// anti-diagonal's rows on fewer blocks than items.
func TestEmuAffinePipeline(t *testing.T) {
	rng := rand.New(rand.NewPCG(201, 202))
	for _, s := range []bandop.Semiring{Real, Log, Max} {
		for _, m := range affModels(s) {
			for _, shape := range emuShapes {
				for flavour := range 2 {
					for k, block := range []uint{0, 2} {
						if k == 1 && shape != [3]int{3, 6, 4} && shape != [3]int{2, 5, 5} {
							continue
						}
						name := fmt.Sprintf("flavour%d/block%d", flavour, block)
						// float32 differs from float64 only in θ's loads and
						// dθ's stores: one flavour covers it (make test's
						// time); both blockings, for the kernels' coverage.
						if flavour == 0 {
							t.Run(emuName(m, tensor.Float32, shape)+"/"+name, func(t *testing.T) { testEmuAffinePipeline[float32](t, rng, m, shape, flavour, block) })
						}
						t.Run(emuName(m, tensor.Float64, shape)+"/"+name, func(t *testing.T) { testEmuAffinePipeline[float64](t, rng, m, shape, flavour, block) })
					}
				}
			}
		}
	}
}

func testEmuAffinePipeline[T emuFloat](t *testing.T, rng *rand.Rand, m Model, shape [3]int, flavour int, block uint) {
	_, cdt := emuDtype[T]()
	g, err := newGrid("test", m, tensor.Shape{shape[0], shape[1], shape[2], 5})
	must(t, err)
	lx, ly, lv := emuLengths(rng, g.batch, g.n, g.mm)
	lens := lv.Data().([]int)
	mode, gap := g.kernelModel()
	am, cs := cudaops.AlignMode(mode), cudaops.Semiring(m.Semiring)
	th := affTheta[T](rng, g, lx, ly, flavour)
	ref := newAffRef(g, th, lx, ly)

	blocks := uint(0)
	if block != 0 {
		blocks = uint(max(g.batch-1, 1))
	}
	alpha := newEmuOut[float64](len(ref.alpha))
	fwd := cudaops.AlignAffineForward(cdt, cs, g.batch, g.n, g.mm, am, gap, m.NoTurns)
	if blocks != 0 {
		fwd.Grid[0] = blocks // blocks looping over several items
	}
	emuRun(t, fwd, block, alpha.ptr(), emuPtr(th), emuPtr(lens))
	alpha.check(t, "align_affine_fwd")
	if d := diffFloats(alpha.data(), ref.alpha, affEmuTol[float64](g, true)); d != "" {
		t.Fatalf("α: %s", d)
	}

	z := newEmuOut[float64](g.batch)
	emuRun(t, cudaops.AlignEndForwardStates(cudaops.Float64, cs, 3, g.batch, g.n, g.mm, am, gap), block,
		z.ptr(), alpha.ptr(), emuPtr(lens))
	z.check(t, "align_end_fwd")
	if d := diffFloats(z.data(), ref.total, affEmuTol[float64](g, true)); d != "" {
		t.Fatalf("log Z: %s", d)
	}
	dz := make([]float64, g.batch)
	for b := range dz {
		dz[b] = 1
	}
	da := newEmuOut[float64](len(ref.alpha))
	emuRun(t, cudaops.AlignEndBackwardStates(cudaops.Float64, cs, 3, g.batch, g.n, g.mm, am, gap), block,
		da.ptr(), alpha.ptr(), emuPtr(lens), emuPtr(dz))
	da.check(t, "align_end_bwd")

	dth := affEmuBackward(t, g, cdt, block, blocks, th, lens, alpha.data(), da.data())
	if m.Semiring == Max {
		affCheckBestPaths(t, g, ref, th, dth)
		return
	}
	th64 := make([]float64, len(th))
	for k, x := range th {
		th64[k] = float64(x)
	}
	if d := diffFloats(dth, ref.marginals(g, th64), affEmuTol[T](g, false)); d != "" {
		t.Errorf("dθ against lattice.Marginals: %s", d)
	}
}

// affCheckBestPaths checks a Max gradient of θ with dz = 1: every item
// whose best score is finite gets the mask of one path of its lattice
// (each element 0 or 1) scoring that best, every other item 0 everywhere.
func affCheckBestPaths[T emuFloat](t *testing.T, g *grid, ref *affRef, th, dth []T) {
	t.Helper()
	per := g.n * g.mm * 5
	for b, l := range ref.lat {
		type step struct{ i, j, c int }
		var steps []step
		score := 0.0
		for e, x := range dth[b*per : (b+1)*per] {
			switch x {
			case 0:
				continue
			case 1:
				c, cell := e%5, e/5
				steps = append(steps, step{cell / g.mm, cell % g.mm, c})
				score += float64(th[b*per+e])
			default:
				t.Fatalf("item %d: dθ element %d = %v, want 0 or 1", b, e, x)
			}
		}
		z := ref.total[b]
		if math.IsInf(z, -1) {
			if len(steps) != 0 {
				t.Fatalf("item %d: no path scores more than −Inf, yet dθ has %d ones", b, len(steps))
			}
			continue
		}
		// A path's steps lie on increasing anti-diagonals.
		sort.Slice(steps, func(p, q int) bool { return steps[p].i+steps[p].j < steps[q].i+steps[q].j })
		if k, why := l.Check(len(steps), func(k int) (int, int, int) { return steps[k].i, steps[k].j, steps[k].c }); k >= 0 {
			t.Fatalf("item %d: dθ is not the mask of a path (step %d: %s): %v", b, k, why, steps)
		}
		if score != z {
			t.Fatalf("item %d: the path of dθ scores %v, the best is %v", b, score, z)
		}
	}
}

// affThetaUsedNaN is affTheta's flavour 0 with NaN in a used potential of
// item 0 and +Inf in one of the last item, which reach α and the gradient
// as they do on the CPU.
func affThetaUsedNaN[T emuFloat](rng *rand.Rand, g *grid, lx, ly []int) []T {
	th := affTheta[T](rng, g, lx, ly, 0)
	used := func(b int) []int {
		var ks []int
		l := g.m.lat(lx[b], ly[b])
		for i := range g.n {
			for j := range g.mm {
				for c := range 5 {
					if l.Used(i, j, c) {
						ks = append(ks, ((b*g.n+i)*g.mm+j)*5+c)
					}
				}
			}
		}
		return ks
	}
	k := used(0)
	th[k[rng.IntN(len(k))]] = T(math.NaN())
	if b := g.batch - 1; b > 0 {
		k = used(b)
		th[k[rng.IntN(len(k))]] = T(math.Inf(1))
	}
	return th
}

// affEmuGrad draws the gradient of α (every state plane): 0 in about one
// state of the lattice in three, a value in (0.5, 1.5) in the others
// (positive, so that the sums do not cancel), NaN outside the lattice
// (never read).
func affEmuGrad(rng *rand.Rand, g *grid, lx, ly []int) []float64 {
	da := make([]float64, 3*g.batch*g.n*g.mm)
	for b := range g.batch {
		l := g.m.lat(lx[b], ly[b])
		for k := range 3 {
			for i := range g.n {
				for j := range g.mm {
					x := math.NaN()
					if l.Valid(i, j) {
						x = 0
						if rng.IntN(3) != 0 {
							x = 0.5 + rng.Float64()
						}
					}
					da[affAt(g, b, k, i, j)] = x
				}
			}
		}
	}
	return da
}

// TestEmuAffineCells runs align_affine_fwd and align_affine_bwd under the
// emulator against the CPU's cellsOp.Do and cellsGradOp.Do of the affine
// model: every semiring, both dtypes, every mode, no gap and gaps 0 and 1,
// with and without turns, ragged lengths, single rows and columns; θ with
// NaN or ±Inf in every potential no path may use, the semiring's zero in
// used ones, or NaN and +Inf in used ones (flavour 2); a gradient of α
// with zeros and NaN outside the lattice (affEmuGrad); the CPU's gradient
// both with the forward's kept weights and computing them again; γ in
// shared and in scratch memory, blocks of two threads on fewer blocks
// than items.
func TestEmuAffineCells(t *testing.T) {
	rng := rand.New(rand.NewPCG(203, 204))
	for _, s := range []bandop.Semiring{Real, Log, Max} {
		for _, m := range affModels(s) {
			for _, shape := range emuShapes {
				for flavour := range 3 {
					for k, block := range []uint{0, 2} {
						if k == 1 && shape != [3]int{3, 6, 4} && shape != [3]int{2, 5, 5} {
							continue
						}
						name := fmt.Sprintf("flavour%d/block%d", flavour, block)
						if flavour != 1 { // as in TestEmuAffinePipeline
							t.Run(emuName(m, tensor.Float32, shape)+"/"+name, func(t *testing.T) { testEmuAffineCells[float32](t, rng, m, shape, flavour, block) })
						}
						t.Run(emuName(m, tensor.Float64, shape)+"/"+name, func(t *testing.T) { testEmuAffineCells[float64](t, rng, m, shape, flavour, block) })
					}
				}
			}
		}
	}
}

func testEmuAffineCells[T emuFloat](t *testing.T, rng *rand.Rand, m Model, shape [3]int, flavour int, block uint) {
	dt, cdt := emuDtype[T]()
	g, err := newGrid("test", m, tensor.Shape{shape[0], shape[1], shape[2], 5})
	must(t, err)
	lx, ly, lv := emuLengths(rng, g.batch, g.n, g.mm)
	lens := lv.Data().([]int)
	mode, gap := g.kernelModel()
	th := affTheta[T](rng, g, lx, ly, flavour)
	if flavour == 2 {
		th = affThetaUsedNaN[T](rng, g, lx, ly)
	}
	thv := tensor.New(tensor.WithShape(g.thetaShape()...), tensor.WithBacking(th))

	op := newCellsOp(g, dt)
	av, err := op.Do(thv, lv)
	must(t, err)
	want := av.Data().([]float64)
	alpha := newEmuOut[float64](len(want))
	emuRun(t, cudaops.AlignAffineForward(cdt, cudaops.Semiring(m.Semiring), g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap, m.NoTurns), block,
		alpha.ptr(), emuPtr(th), emuPtr(lens))
	alpha.check(t, "align_affine_fwd")
	if d := diffFloats(alpha.data(), want, affEmuTol[float64](g, true)); d != "" {
		t.Errorf("α: %s", d)
	}

	da := affEmuGrad(rng, g, lx, ly)
	dav := tensor.New(tensor.WithShape(g.cellsShape()...), tensor.WithBacking(da))
	gop := op.gradOp()
	// A copy of α is not the α the weights were kept for: computed again.
	acopy := tensor.New(tensor.WithShape(g.cellsShape()...), tensor.WithBacking(append([]float64(nil), want...)))
	wantNew, err := gop.Do(thv, lv, acopy, dav)
	must(t, err)
	wantKept, err := gop.Do(thv, lv, av, dav)
	must(t, err)
	blocks := uint(0)
	if block != 0 {
		blocks = uint(max(g.batch-1, 1))
	}
	dth := affEmuBackward(t, g, cdt, block, blocks, th, lens, want, da)
	tol := affEmuTol[T](g, false)
	if d := diffFloats(dth, wantNew.Data().([]T), tol); d != "" {
		t.Errorf("dθ against the weights computed again: %s", d)
	}
	if d := diffFloats(dth, wantKept.Data().([]T), tol); d != "" {
		t.Errorf("dθ against the kept weights: %s", d)
	}
}

// affEmuAlpha draws α of three state planes for the ends' kernels: a value
// (emuValue) in every state of every end cell of an item, NaN in every
// other element, so that reading anything but an end shows. Flavour 1 adds
// −Inf ends (about one in five, and every end of item 1); flavour 2 puts
// NaN in an end of item 0 and +Inf in an end of the last item.
func affEmuAlpha(rng *rand.Rand, g *grid, lx, ly []int, flavour int) []float64 {
	a := make([]float64, 3*g.batch*g.n*g.mm)
	for k := range a {
		a[k] = math.NaN()
	}
	ends := make([][]int, g.batch)
	for b := range g.batch {
		g.m.lat(lx[b], ly[b]).Ends(func(k, i, j int) {
			at := affAt(g, b, k, i, j)
			ends[b] = append(ends[b], at)
			x := emuValue(rng, g.m.Semiring)
			if flavour == 1 && (b == 1 || rng.IntN(5) == 0) {
				x = math.Inf(-1)
			}
			a[at] = x
		})
	}
	if flavour == 2 {
		a[ends[0][rng.IntN(len(ends[0]))]] = math.NaN()
		if b := g.batch - 1; b > 0 {
			a[ends[b][rng.IntN(len(ends[b]))]] = math.Inf(1)
		}
	}
	return a
}

// TestEmuAffineEnd runs align_end_fwd and align_end_bwd over three state
// planes under the emulator against the CPU's endOp.Do and endGradOp.Do of
// the affine model: every semiring, both dtypes of z, every mode, no gap
// and gaps 0 and 1, ragged lengths, NaN in every element of α that is not
// an end, −Inf, +Inf and NaN ends, a dz of 0 for item 0; the constructors'
// blocks and blocks of 32 threads. Max is bit for bit; Log and Real sums
// are added in another order than the CPU's.
func TestEmuAffineEnd(t *testing.T) {
	rng := rand.New(rand.NewPCG(205, 206))
	for _, s := range []bandop.Semiring{Real, Log, Max} {
		for _, m := range emuModels(s) {
			m.Affine = true
			for _, shape := range emuShapes {
				for flavour := range 3 {
					for k, block := range []uint{0, 32} {
						if k == 1 && shape != [3]int{3, 6, 4} {
							continue
						}
						name := fmt.Sprintf("flavour%d/block%d", flavour, block)
						t.Run(emuName(m, tensor.Float64, shape)+"/"+name, func(t *testing.T) { testEmuAffineEnd[float64](t, rng, m, shape, flavour, block) })
						t.Run(emuName(m, tensor.Float32, shape)+"/"+name, func(t *testing.T) { testEmuAffineEnd[float32](t, rng, m, shape, flavour, block) })
					}
				}
			}
		}
	}
}

func testEmuAffineEnd[T emuFloat](t *testing.T, rng *rand.Rand, m Model, shape [3]int, flavour int, block uint) {
	dt, cdt := emuDtype[T]()
	g, err := newGrid("test", m, tensor.Shape{shape[0], shape[1], shape[2], 5})
	must(t, err)
	lx, ly, lv := emuLengths(rng, g.batch, g.n, g.mm)
	lens := lv.Data().([]int)
	mode, gap := g.kernelModel()
	am, cs := cudaops.AlignMode(mode), cudaops.Semiring(m.Semiring)
	st := affEmuAlpha(rng, g, lx, ly, flavour)
	sv := tensor.New(tensor.WithShape(g.cellsShape()...), tensor.WithBacking(st))
	// As TestEmuEnd: a probabilistic bound of a float64 sum of the ends in
	// another order (three an end cell), plus float32's rounding of z.
	sumTol := 0.0
	if m.Semiring != Max {
		terms := 3 * map[Mode]int{Global: 1, Local: g.n * g.mm, SemiGlobal: g.n + g.mm - 1}[m.Mode]
		sumTol = 0x1p-53 * (12*math.Sqrt(float64(terms)) + 16)
	}
	tol := sumTol
	if tol > 0 && dt == tensor.Float32 {
		tol += 0x1p-24
	}

	op := &endOp{g: g, dt: dt}
	zv, err := op.Do(sv, lv)
	must(t, err)
	zwant := zv.Data().([]T)
	z := newEmuOut[T](g.batch)
	emuRun(t, cudaops.AlignEndForwardStates(cdt, cs, 3, g.batch, g.n, g.mm, am, gap), block, z.ptr(), emuPtr(st), emuPtr(lens))
	z.check(t, "align_end_fwd")
	if d := diffFloats(z.data(), zwant, tol); d != "" {
		t.Errorf("z: %s", d)
	}

	dz := make([]T, g.batch)
	for b := range dz {
		dz[b] = T(4*rng.Float64() - 2)
	}
	if g.batch > 1 {
		dz[0] = 0
	}
	dv, err := op.gradOp().Do(sv, lv, tensor.New(tensor.WithShape(g.batch), tensor.WithBacking(dz)))
	must(t, err)
	dwant := dv.Data().([]float64)
	dA := newEmuOut[float64](len(dwant))
	emuRun(t, cudaops.AlignEndBackwardStates(cdt, cs, 3, g.batch, g.n, g.mm, am, gap), block,
		dA.ptr(), emuPtr(st), emuPtr(lens), emuPtr(dz))
	dA.check(t, "align_end_bwd")
	btol := 0.0
	if m.Semiring == Log {
		zmax := 1.0
		for _, x := range zwant {
			if v := math.Abs(float64(x)); v > zmax && !math.IsInf(v, 0) {
				zmax = v
			}
		}
		btol = 4*sumTol*zmax + 0x1p-53*16
	}
	if d := diffFloats(dA.data(), dwant, btol); d != "" {
		t.Errorf("dα: %s", d)
	}
}

// TestEmuAffineBadLengths: lengths out of range, which the CPU Ops refuse,
// give NaN on the GPU: the item's whole α (three planes), log Z, its whole
// gradient of α and of θ; the other items as the CPU computes them alone.
// Both dtypes, blocks of four threads, γ in shared and in scratch memory
// (the latter also on two blocks for the three items).
func TestEmuAffineBadLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(207, 208))
	for _, m := range []Model{{Semiring: Log, Affine: true}, {Semiring: Max, Mode: Local, Affine: true, NoTurns: true},
		{Semiring: Real, Mode: SemiGlobal, Gapped: true, MaxGap: 1, Affine: true}} {
		t.Run(m.String()+"/float32", func(t *testing.T) { testEmuAffineBadLengths[float32](t, rng, m) })
		t.Run(m.String()+"/float64", func(t *testing.T) { testEmuAffineBadLengths[float64](t, rng, m) })
	}
}

func testEmuAffineBadLengths[T emuFloat](t *testing.T, rng *rand.Rand, m Model) {
	dt, cdt := emuDtype[T]()
	g, err := newGrid("test", m, tensor.Shape{3, 4, 5, 5})
	must(t, err)
	mode, gap := g.kernelModel()
	am, cs := cudaops.AlignMode(mode), cudaops.Semiring(m.Semiring)
	lens := []int{4, 5, 0, 3, 2, 6} // item 1: lenX 0; item 2: lenY 6 > 5
	full := []int{4, 4, 4}
	th := affTheta[T](rng, g, full, []int{5, 5, 5}, 0)
	per, nm := g.n*g.mm*5, 3*g.n*g.mm

	// Item 0 alone on the CPU.
	g0, err := newGrid("test", m, tensor.Shape{1, 4, 5, 5})
	must(t, err)
	lv0, err := Lengths([]int{4}, []int{5})
	must(t, err)
	th0 := tensor.New(tensor.WithShape(1, 4, 5, 5), tensor.WithBacking(append([]T(nil), th[:per]...)))
	op := newCellsOp(g0, dt)
	av, err := op.Do(th0, lv0)
	must(t, err)
	da := affEmuGrad(rng, g, full, []int{5, 5, 5})
	dv, err := op.gradOp().Do(th0, lv0, av, tensor.New(tensor.WithShape(1, nm), tensor.WithBacking(append([]float64(nil), da[:nm]...))))
	must(t, err)

	alpha := newEmuOut[float64](g.batch * nm)
	emuRun(t, cudaops.AlignAffineForward(cdt, cs, g.batch, g.n, g.mm, am, gap, m.NoTurns), 4, alpha.ptr(), emuPtr(th), emuPtr(lens))
	alpha.check(t, "align_affine_fwd")
	if d := diffFloats(alpha.data()[:nm], av.Data().([]float64), affEmuTol[float64](g, true)); d != "" {
		t.Errorf("α of item 0: %s", d)
	}
	for k, x := range alpha.data()[nm:] {
		if !math.IsNaN(x) {
			t.Fatalf("α of item %d, element %d: %v, want NaN", 1+k/nm, k%nm, x)
		}
	}
	z := newEmuOut[float64](g.batch)
	emuRun(t, cudaops.AlignEndForwardStates(cudaops.Float64, cs, 3, g.batch, g.n, g.mm, am, gap), 4, z.ptr(), alpha.ptr(), emuPtr(lens))
	z.check(t, "align_end_fwd")
	dA := newEmuOut[float64](g.batch * nm)
	emuRun(t, cudaops.AlignEndBackwardStates(cudaops.Float64, cs, 3, g.batch, g.n, g.mm, am, gap), 4,
		dA.ptr(), alpha.ptr(), emuPtr(lens), emuPtr([]float64{1, 1, 1}))
	dA.check(t, "align_end_bwd")
	for b := range g.batch {
		if (b == 0) == math.IsNaN(z.data()[b]) {
			t.Errorf("log Z of item %d = %v", b, z.data()[b])
		}
		for k, x := range dA.data()[b*nm : (b+1)*nm] {
			if (b == 0) == math.IsNaN(x) {
				t.Fatalf("dα of item %d, element %d = %v", b, k, x)
			}
		}
	}
	for _, blocks := range []uint{0, 2} {
		dth := affEmuBackward(t, g, cdt, 4, blocks, th, lens, alpha.data(), da)
		if d := diffFloats(dth[:per], dv.Data().([]T), affEmuTol[T](g, false)); d != "" {
			t.Errorf("dθ of item 0: %s", d)
		}
		for k, x := range dth[per:] {
			if !math.IsNaN(float64(x)) {
				t.Fatalf("dθ of item %d, element %d: %v, want NaN", 1+k/per, k%per, x)
			}
		}
	}
}

// TestEmuAffineOpenIsExtend: with Open = Extend and turns allowed the
// affine model is the linear one (Match = FromDiag, OpenLeft = ExtendLeft
// = FromLeft, OpenAbove = ExtendAbove = FromAbove): the kernels of both
// models, each pipeline under the emulator (cells, ends with dz = 1, their
// gradients), give the same log Z and the same marginals (the linear
// FromLeft is OpenLeft + ExtendLeft, FromAbove likewise). Every semiring
// (Max with distinct scores, so that one best path is unique), mode and
// gap, both dtypes, ragged lengths.
func TestEmuAffineOpenIsExtend(t *testing.T) {
	rng := rand.New(rand.NewPCG(209, 210))
	for _, s := range []bandop.Semiring{Real, Log, Max} {
		for _, m := range emuModels(s) {
			for _, shape := range [][3]int{{3, 6, 4}, {2, 5, 5}} {
				t.Run(emuName(m, tensor.Float32, shape), func(t *testing.T) { testEmuAffineOpenIsExtend[float32](t, rng, m, shape) })
				t.Run(emuName(m, tensor.Float64, shape), func(t *testing.T) { testEmuAffineOpenIsExtend[float64](t, rng, m, shape) })
			}
		}
	}
}

// affEmuPipeline runs the kernels of model g.m (linear or affine) on θ:
// the cells, the ends (log Z), their gradients with dz = 1; it returns
// log Z and the gradient of θ.
func affEmuPipeline[T emuFloat](t *testing.T, g *grid, th []T, lens []int) ([]float64, []T) {
	t.Helper()
	_, cdt := emuDtype[T]()
	mode, gap := g.kernelModel()
	am, cs := cudaops.AlignMode(mode), cudaops.Semiring(g.m.Semiring)
	size := g.cellsShape().TotalSize()
	alpha, z, da, dth := make([]float64, size), make([]float64, g.batch), make([]float64, size), make([]T, len(th))
	dz := make([]float64, g.batch)
	for b := range dz {
		dz[b] = 1
	}
	if g.m.Affine {
		emuRun(t, cudaops.AlignAffineForward(cdt, cs, g.batch, g.n, g.mm, am, gap, g.m.NoTurns), 0, alpha, emuPtr(th), emuPtr(lens))
	} else {
		emuRun(t, cudaops.AlignCellsForward(cdt, cs, g.batch, g.n, g.mm, am, gap), 0, alpha, emuPtr(th), emuPtr(lens))
	}
	emuRun(t, cudaops.AlignEndForwardStates(cudaops.Float64, cs, g.states, g.batch, g.n, g.mm, am, gap), 0, z, alpha, emuPtr(lens))
	emuRun(t, cudaops.AlignEndBackwardStates(cudaops.Float64, cs, g.states, g.batch, g.n, g.mm, am, gap), 0, da, alpha, emuPtr(lens), dz)
	if g.m.Affine {
		emuRun(t, cudaops.AlignAffineBackward(cdt, cs, g.batch, g.n, g.mm, am, gap, g.m.NoTurns), 0, dth, emuPtr(th), emuPtr(lens), alpha, da, []float64{})
	} else {
		emuRun(t, cudaops.AlignCellsBackward(cdt, cs, g.batch, g.n, g.mm, am, gap), 0, dth, emuPtr(th), emuPtr(lens), alpha, da, []float64{})
	}
	return z, dth
}

func testEmuAffineOpenIsExtend[T emuFloat](t *testing.T, rng *rand.Rand, m Model, shape [3]int) {
	lin, err := newGrid("test", m, tensor.Shape{shape[0], shape[1], shape[2], 3})
	must(t, err)
	am := m
	am.Affine = true
	aff, err := newGrid("test", am, tensor.Shape{shape[0], shape[1], shape[2], 5})
	must(t, err)
	_, _, lv := emuLengths(rng, lin.batch, lin.n, lin.mm)
	lens := lv.Data().([]int)
	cells := lin.batch * lin.n * lin.mm
	lth, ath := make([]T, 3*cells), make([]T, 5*cells)
	for e := range cells {
		for c := range 3 {
			x := emuValue(rng, m.Semiring)
			if m.Semiring == Max {
				x = 4*rng.Float64() - 2
			}
			lth[3*e+c] = T(x)
		}
		l, d, a := lth[3*e+FromLeft], lth[3*e+FromDiag], lth[3*e+FromAbove]
		copy(ath[5*e:5*e+5], []T{d, l, l, a, a})
	}
	lz, ldth := affEmuPipeline(t, lin, lth, lens)
	az, adth := affEmuPipeline(t, aff, ath, lens)
	tol := affEmuTol[T](aff, false)
	if d := diffFloats(az, lz, tol); d != "" {
		t.Errorf("log Z: %s", d)
	}
	merged := make([]T, 3*cells)
	for e := range cells {
		merged[3*e+FromDiag] = adth[5*e+Match]
		merged[3*e+FromLeft] = adth[5*e+OpenLeft] + adth[5*e+ExtendLeft]
		merged[3*e+FromAbove] = adth[5*e+OpenAbove] + adth[5*e+ExtendAbove]
	}
	if d := diffFloats(merged, ldth, tol); d != "" {
		t.Errorf("marginals: %s", d)
	}
}

// TestEmuAffineUsed checks the kernels' reading of θ against the exact
// lattice.Used from both sides: an item with NaN in every potential no
// path uses (which the passes must ignore, aff_theta) has a finite log Z,
// and one with, besides, NaN or +Inf in any single potential some path
// uses has a log Z that is not finite (the bad value reaches it). A batch
// holds one item for each used potential of the lengths and one without;
// every semiring, mode, gap, with and without turns, lengths filling the
// grid and shorter.
func TestEmuAffineUsed(t *testing.T) {
	rng := rand.New(rand.NewPCG(213, 214))
	for _, s := range []bandop.Semiring{Real, Log, Max} {
		for _, m := range affModels(s) {
			for _, c := range []struct{ n, mm, lx, ly int }{{3, 4, 3, 4}, {4, 3, 4, 3}, {1, 4, 1, 4}, {4, 1, 4, 1}, {4, 5, 3, 4}, {5, 4, 4, 2}} {
				t.Run(fmt.Sprintf("%v/%dx%d/%dx%d", m, c.n, c.mm, c.lx, c.ly), func(t *testing.T) {
					l := m.lat(c.lx, c.ly)
					var used []int // (i·M + j)·5 + channel
					for i := range c.n {
						for j := range c.mm {
							for ch := range 5 {
								if l.Used(i, j, ch) {
									used = append(used, (i*c.mm+j)*5+ch)
								}
							}
						}
					}
					batch, per := len(used)+1, c.n*c.mm*5
					g, err := newGrid("test", m, tensor.Shape{batch, c.n, c.mm, 5})
					must(t, err)
					th := make([]float64, batch*per)
					lens := make([]int, 2*batch)
					for b := range batch {
						lens[2*b], lens[2*b+1] = c.lx, c.ly
						for e := range per {
							i, j, ch := e/5/c.mm, e/5%c.mm, e%5
							x := math.NaN()
							if l.Used(i, j, ch) {
								x = emuValue(rng, s)
							}
							th[b*per+e] = x
						}
						if b > 0 {
							bad := math.NaN()
							if rng.IntN(2) == 0 {
								bad = math.Inf(1)
							}
							th[b*per+used[b-1]] = bad
						}
					}
					mode, gap := g.kernelModel()
					am, cs := cudaops.AlignMode(mode), cudaops.Semiring(s)
					alpha := make([]float64, g.cellsShape().TotalSize())
					z := make([]float64, batch)
					emuRun(t, cudaops.AlignAffineForward(cudaops.Float64, cs, batch, c.n, c.mm, am, gap, m.NoTurns), 0, alpha, emuPtr(th), emuPtr(lens))
					emuRun(t, cudaops.AlignEndForwardStates(cudaops.Float64, cs, 3, batch, c.n, c.mm, am, gap), 0, z, alpha, emuPtr(lens))
					if math.IsNaN(z[0]) || math.IsInf(z[0], 0) {
						t.Fatalf("log Z = %v with NaN only in potentials no path uses", z[0])
					}
					for b := 1; b < batch; b++ {
						if !math.IsNaN(z[b]) && !math.IsInf(z[b], 1) {
							e := used[b-1]
							t.Fatalf("log Z = %v with %v in θ[%d, %d, %s], which a path uses", z[b], th[b*per+e], e/5/c.mm, e/5%c.mm, l.Top.ChannelName(e%5))
						}
					}
				})
			}
		}
	}
}
