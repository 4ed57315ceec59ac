package align

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/cudaops"
	"gorgonia.org/tensor"
)

// TestEmuLayout runs align_layout_fwd and align_layout_bwd under the
// emulator against layoutOp.Do and layoutGradOp.Do: every semiring, both
// dtypes, global, local and semi-global, without a gap and with gaps 0
// and 1, ragged lengths with NaN in every potential no path may use (which
// the layout must not place in a cell within the lengths), N < M,
// N > M, single rows and columns; the constructors' blocks and blocks of
// 32 threads striding over several rows or columns.
func TestEmuLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, s := range []bandop.Semiring{Real, Log, Max} {
		for _, m := range emuModels(s) {
			for _, shape := range emuShapes {
				for k, block := range []uint{0, 32} {
					if k == 1 && shape != [3]int{2, 5, 5} {
						continue
					}
					t.Run(emuName(m, tensor.Float32, shape), func(t *testing.T) { testEmuLayout[float32](t, rng, m, shape, block) })
					t.Run(emuName(m, tensor.Float64, shape), func(t *testing.T) { testEmuLayout[float64](t, rng, m, shape, block) })
				}
			}
		}
	}
}

func testEmuLayout[T emuFloat](t *testing.T, rng *rand.Rand, m Model, shape [3]int, block uint) {
	dt, cdt := emuDtype[T]()
	g, err := newGrid("test", m, tensor.Shape{shape[0], shape[1], shape[2], 3})
	if err != nil {
		t.Fatal(err)
	}
	lx, ly, lv := emuLengths(rng, g.batch, g.n, g.mm)
	lens := lv.Data().([]int)
	mode, gap := g.kernelModel()
	th := emuTheta[T](rng, g, lx, ly)
	thv := tensor.New(tensor.WithShape(g.thetaShape()...), tensor.WithBacking(th))

	// Forward: the window's rows as the CPU writes them, the semiring's
	// zero in every other row.
	op := &layoutOp{g: g, dt: dt}
	wv, err := op.Do(thv, lv)
	if err != nil {
		t.Fatal(err)
	}
	want := wv.Data().([]T)
	got := newEmuOut[T](len(want))
	emuRun(t, cudaops.AlignLayoutForward(cdt, cudaops.Semiring(m.Semiring), g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap), block,
		got.ptr(), emuPtr(th), emuPtr(lens))
	got.check(t, "align_layout_fwd")
	w := g.width()
	per := g.size * w
	zero := m.Semiring.Zero()
	// A cell past the lengths never feeds one within them, so the layout
	// may place its potentials; within the lengths it must place none that
	// no path may use.
	for st, ent := range g.ent {
		for b := range g.batch {
			for _, e := range ent {
				if e.src == srcOne {
					continue
				}
				cell := int(e.src) / 3
				i, j := cell/g.mm, cell%g.mm
				if x := got.data()[(st*g.batch+b)*per+int(e.at)]; i < lx[b] && j < ly[b] && math.IsNaN(float64(x)) {
					t.Fatalf("step %d item %d: θ[%d, %d, %d, %d], which no path may use, laid out", st, b, b, i, j, int(e.src)%3)
				}
			}
		}
	}
	for st := range g.steps {
		for b := range g.batch {
			mat := (st*g.batch + b) * per
			for r := range g.size {
				in := r >= g.win.Lo[st] && r < g.win.Hi[st]
				for k := range w {
					e := mat + r*w + k
					x := float64(got.data()[e])
					if in && !sameFloat(x, float64(want[e])) || !in && x != zero {
						wantX := zero
						if in {
							wantX = float64(want[e])
						}
						t.Fatalf("step %d item %d row %d slot %d (window [%d, %d)): got %v, want %v",
							st, b, r, k, g.win.Lo[st], g.win.Hi[st], x, wantX)
					}
				}
			}
		}
	}

	// Backward: a random gradient in every slot that holds a potential
	// (including those a global gap drops), NaN in every other slot, so
	// that a read of a slot the CPU does not read shows.
	da := make([]T, len(want))
	for i := range da {
		da[i] = T(math.NaN())
	}
	for st, ent := range g.ent {
		for b := range g.batch {
			mat := (st*g.batch + b) * per
			for _, e := range ent {
				if e.src != srcOne {
					da[mat+int(e.at)] = T(4*rng.Float64() - 2)
				}
			}
		}
	}
	gop := &layoutGradOp{layoutOp{g: g, dt: dt}}
	dv, err := gop.Do(lv, tensor.New(tensor.WithShape(g.stepShape()...), tensor.WithBacking(da)))
	if err != nil {
		t.Fatal(err)
	}
	dwant := dv.Data().([]T)
	dgot := newEmuOut[T](len(dwant))
	emuRun(t, cudaops.AlignLayoutBackward(cdt, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap), block, dgot.ptr(), emuPtr(lens), emuPtr(da))
	dgot.check(t, "align_layout_bwd")
	if d := diffFloats(dgot.data(), dwant, 0); d != "" {
		t.Errorf("dθ: %s", d)
	}
}

// TestEmuLayoutMatchesEntries checks Grid::source, the kernel's arithmetic,
// against grid.entries directly: for every model and shape the forward
// kernel applied to θ[e] = e (each potential its own index) puts each index
// exactly where grid.entries puts it (unless a global gap drops it for
// items that fill the grid), the one where it puts a one, and the zero
// everywhere else. Here the semiring is Real, whose zero (0) is not an
// index: index 0 is shifted by one.
func TestEmuLayoutMatchesEntries(t *testing.T) {
	for _, m := range emuModels(Real) {
		for _, shape := range [][3]int{{1, 2, 7}, {1, 7, 2}, {1, 4, 4}, {1, 3, 6}} {
			t.Run(emuName(m, tensor.Float64, shape), func(t *testing.T) {
				g, err := newGrid("test", m, tensor.Shape{shape[0], shape[1], shape[2], 3})
				if err != nil {
					t.Fatal(err)
				}
				mode, gap := g.kernelModel()
				th := make([]float64, g.n*g.mm*3)
				for e := range th {
					th[e] = float64(e + 2) // 1 is the one
				}
				lens := []int{g.n, g.mm}
				w := g.width()
				want := make([]float64, g.steps*g.size*w)
				for st, ent := range g.ent {
					for _, e := range ent {
						x := 1.0
						switch {
						case e.src == srcOne:
						case m.Mode == Global && m.Gapped && !g.srcInGap(e.src, g.n, g.mm):
							x = 0 // dropped by the item's gap
						default:
							x = th[e.src]
						}
						want[st*g.size*w+int(e.at)] = x
					}
				}
				got := newEmuOut[float64](len(want))
				emuRun(t, cudaops.AlignLayoutForward(cudaops.Float64, cudaops.Real, 1, g.n, g.mm, cudaops.AlignMode(mode), gap), 0,
					got.ptr(), emuPtr(th), emuPtr(lens))
				got.check(t, "align_layout_fwd")
				if d := diffFloats(got.data(), want, 0); d != "" {
					t.Errorf("%s (slot = (step·size + row)·%d + k)", d, w)
				}
			})
		}
	}
}
