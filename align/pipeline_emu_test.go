//go:build !cuda

package align

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/cudaops"
	"gorgonia.org/tensor"
)

// TestEmuPipeline runs a whole alignment under the emulator with the four
// launches of a GPU run of the Linear graph (what a TapeMachine does with
// Program's graph under the cuda tag): align_cells_fwd, align_end_fwd,
// then with dz = 1 align_end_bwd and align_cells_bwd, each on the outputs
// before it, and compares log Z and the marginals with a compiled Program
// on the CPU: every semiring, both dtypes of θ (log Z in float64, as a
// Program has it), global, local and semi-global, with and without a gap,
// ragged lengths with NaN in every potential no path may use.
func TestEmuPipeline(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for _, s := range []bandop.Semiring{Real, Log, Max} {
		for _, m := range emuModels(s) {
			for _, shape := range [][3]int{{3, 3, 5}, {3, 6, 4}} {
				t.Run(emuName(m, tensor.Float32, shape), func(t *testing.T) { testEmuPipeline[float32](t, rng, m, shape) })
				t.Run(emuName(m, tensor.Float64, shape), func(t *testing.T) { testEmuPipeline[float64](t, rng, m, shape) })
			}
		}
	}
}

func testEmuPipeline[T emuFloat](t *testing.T, rng *rand.Rand, m Model, shape [3]int) {
	dt, cdt := emuDtype[T]()
	g, err := newGrid("test", m, tensor.Shape{shape[0], shape[1], shape[2], 3})
	must(t, err)
	lx, ly, lv := emuLengths(rng, g.batch, g.n, g.mm)
	lens := lv.Data().([]int)
	mode, gap := g.kernelModel()
	am := cudaops.AlignMode(mode)
	cs := cudaops.Semiring(m.Semiring)
	th := emuTheta[T](rng, g, lx, ly)
	if m.Semiring == Max {
		// Distinct scores: the best path is unique, so that the order of
		// the sums cannot pick another on a tie.
		for i := range th {
			if !math.IsNaN(float64(th[i])) {
				th[i] = T(4*rng.Float64() - 2)
			}
		}
	}

	pr, err := m.Compile(g.thetaShape(), dt, nil, nil)
	must(t, err)
	defer pr.Close()
	want, err := pr.MarginalsLengths(tensor.New(tensor.WithShape(g.thetaShape()...), tensor.WithBacking(append([]T(nil), th...))), lx, ly)
	must(t, err)

	alpha := newEmuOut[float64](g.cellsShape().TotalSize())
	emuRun(t, cudaops.AlignCellsForward(cdt, cs, g.batch, g.n, g.mm, am, gap), 0, alpha.ptr(), emuPtr(th), emuPtr(lens))
	alpha.check(t, "align_cells_fwd")
	z := newEmuOut[float64](g.batch)
	emuRun(t, cudaops.AlignEndForward(cudaops.Float64, cs, g.batch, g.n, g.mm, am, gap), 0, z.ptr(), alpha.ptr(), emuPtr(lens))
	z.check(t, "align_end_fwd")
	// The GPU's sums, exps and logs differ from the CPU's in the last bits
	// at every cell (another order, accurate exp and log against the
	// table's, weights computed again): errors grow along the
	// anti-diagonals, and float32 marginals add one rounding.
	chain := 0x1p-53 * 64 * float64(g.n+g.mm)
	tol := chain
	if dt == tensor.Float32 {
		tol += 4 * 0x1p-24
	}
	for b, z := range want.LogZ {
		if math.IsNaN(z) {
			t.Fatalf("item %d: the CPU's log Z is NaN: a potential no path may use reached it", b)
		}
	}
	if d := diffFloats(z.data(), want.LogZ, chain); d != "" {
		t.Errorf("log Z: %s", d)
	}

	dz := make([]float64, g.batch)
	for b := range dz {
		dz[b] = 1
	}
	da := newEmuOut[float64](g.cellsShape().TotalSize())
	emuRun(t, cudaops.AlignEndBackward(cudaops.Float64, cs, g.batch, g.n, g.mm, am, gap), 0,
		da.ptr(), alpha.ptr(), emuPtr(lens), emuPtr(dz))
	da.check(t, "align_end_bwd")
	dth := newEmuOut[T](len(th))
	emuRun(t, cudaops.AlignCellsBackward(cdt, cs, g.batch, g.n, g.mm, am, gap), 0,
		dth.ptr(), emuPtr(th), emuPtr(lens), alpha.ptr(), da.ptr(), []float64{})
	dth.check(t, "align_cells_bwd")
	if d := diffFloats(dth.data(), want.Marginals.Data().([]T), tol); d != "" {
		t.Errorf("marginals: %s", d)
	}
}
