package align

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/cudaops"
	"gorgonia.org/tensor"
)

// TestEmuPipeline runs a whole alignment under the emulator with the six
// launches of a GPU run of the Linear graph (what a TapeMachine does with
// Program's graph under the cuda tag): align_layout_fwd, scan_fwd,
// align_end_fwd, then with dz = 1 align_end_bwd, scan_bwd (with respect to
// the step storage) and align_layout_bwd, each on the previous one's
// output, and compares log Z and the marginals with a compiled Program on
// the CPU: every semiring, both dtypes of θ (log Z in float64, as a
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
	if err != nil {
		t.Fatal(err)
	}
	lx, ly, lv := emuLengths(rng, g.batch, g.n, g.mm)
	lens := lv.Data().([]int)
	mode, gap := g.kernelModel()
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
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	want, err := pr.MarginalsLengths(tensor.New(tensor.WithShape(g.thetaShape()...), tensor.WithBacking(append([]T(nil), th...))), lx, ly)
	if err != nil {
		t.Fatal(err)
	}

	n := g.size
	a := newEmuOut[T](g.stepShape().TotalSize())
	emuRun(t, cudaops.AlignLayoutForward(cdt, cs, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap), 0, a.ptr(), emuPtr(th), emuPtr(lens))
	v0 := g.start(dt).Data().([]T)
	win := cudaops.ScanWindow(g.steps, n, g.win.Lo, g.win.Hi)
	states := newEmuOut[float64](g.statesShape().TotalSize())
	emuRun(t, cudaops.ScanForward(cdt, cs, g.batch, g.steps, n, g.lower, g.upper), 0,
		states.ptr(), emuPtr(v0), a.ptr(), emuPtr(win))
	z := newEmuOut[float64](g.batch)
	emuRun(t, cudaops.AlignEndForward(cudaops.Float64, cs, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap), 0, z.ptr(), states.ptr(), emuPtr(lens))
	// The GPU's sums and exps differ from the CPU's in the last bits at
	// every step (another order, accurate exp against the table exp, the
	// forward's cached weights): errors grow with the number of steps, and
	// float32 marginals add one rounding of each of their two or three
	// terms.
	chain := 0x1p-53 * 64 * float64(g.steps+1)
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
	dS := newEmuOut[float64](g.statesShape().TotalSize())
	emuRun(t, cudaops.AlignEndBackward(cudaops.Float64, cs, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap), 0,
		dS.ptr(), states.ptr(), emuPtr(lens), emuPtr(dz))
	da := newEmuOut[T](g.stepShape().TotalSize())
	scratch := make([]float64, cudaops.ScanScratchBytes(g.batch, n)/8)
	emuRun(t, cudaops.ScanBackward(cdt, cs, 1, g.batch, g.steps, n, g.lower, g.upper), 0,
		da.ptr(), emuPtr(v0), a.ptr(), states.ptr(), dS.ptr(), emuPtr(win), emuPtr(scratch))
	dth := newEmuOut[T](len(th))
	emuRun(t, cudaops.AlignLayoutBackward(cdt, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap), 0, dth.ptr(), emuPtr(lens), da.ptr())
	dth.check(t, "align_layout_bwd")
	if d := diffFloats(dth.data(), want.Marginals.Data().([]T), tol); d != "" {
		t.Errorf("marginals: %s", d)
	}
}
