//go:build !cuda

package align

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/cudaops"
	"gorgonia.org/tensor"
)

// TestGPUModelEmu runs the cells' and ends' emulation tests again at a
// realistic size (items of 96 × 96 cells) for the emulator's GPU memory
// model (make gpumodel, which sets GBEMU_GPUMODEL): the small shapes of
// the other tests exercise every branch, this one weighs the model's
// figures as a real workload would. The affine cells (align_affine_fwd,
// align_affine_bwd with γ in shared and in scratch memory) run at that
// size too, on a global item without a gap, a local one without turns and
// a semi-global one with gap 1, under every semiring: float64 against the
// CPU (testEmuAffineCells), float32 against the float64 kernels
// (testGPUModelAffine32), since TestEmuAffineCells's float32 tolerance is
// sized for its small shapes. Skipped unless the model is on.
func TestGPUModelEmu(t *testing.T) {
	if os.Getenv("GBEMU_GPUMODEL") == "" {
		t.Skip("GBEMU_GPUMODEL is not set (make gpumodel)")
	}
	shapes := emuShapes
	defer func() { emuShapes = shapes }()
	emuShapes = [][3]int{{3, 96, 96}}
	t.Run("Cells", TestEmuCells)
	t.Run("End", TestEmuEnd)
	rng := rand.New(rand.NewPCG(205, 206))
	for _, s := range []bandop.Semiring{Real, Log, Max} {
		for _, m := range []Model{
			{Semiring: s, Mode: Global, Affine: true},
			{Semiring: s, Mode: Local, Affine: true, NoTurns: true},
			{Semiring: s, Mode: SemiGlobal, Gapped: true, MaxGap: 1, Affine: true},
		} {
			for _, shape := range emuShapes {
				t.Run("AffineCells/"+emuName(m, tensor.Float64, shape), func(t *testing.T) {
					testEmuAffineCells[float64](t, rng, m, shape, 0, 0)
				})
				t.Run("AffineCells/"+emuName(m, tensor.Float32, shape), func(t *testing.T) {
					testGPUModelAffine32(t, rng, m, shape)
				})
			}
		}
	}
}

// testGPUModelAffine32 runs align_affine_fwd and align_affine_bwd (γ both
// ways, affEmuBackward) on float32 potentials and on the same potentials
// widened to float64, and checks that α is the same bit for bit and that
// the float32 dθ is the float64 one rounded: the kernels compute in
// float64 from the widened potentials whatever θ's dtype, and round only
// dθ's stores.
func testGPUModelAffine32(t *testing.T, rng *rand.Rand, m Model, shape [3]int) {
	g, err := newGrid("test", m, tensor.Shape{shape[0], shape[1], shape[2], 5})
	must(t, err)
	lx, ly, lv := emuLengths(rng, g.batch, g.n, g.mm)
	lens := lv.Data().([]int)
	mode, gap := g.kernelModel()
	am, cs := cudaops.AlignMode(mode), cudaops.Semiring(m.Semiring)
	th := affTheta[float32](rng, g, lx, ly, 0)
	th64 := make([]float64, len(th))
	for k, x := range th {
		th64[k] = float64(x)
	}
	n := 3 * g.batch * g.n * g.mm
	a32, a64 := newEmuOut[float64](n), newEmuOut[float64](n)
	emuRun(t, cudaops.AlignAffineForward(cudaops.Float32, cs, g.batch, g.n, g.mm, am, gap, m.NoTurns), 0,
		a32.ptr(), emuPtr(th), emuPtr(lens))
	a32.check(t, "align_affine_fwd_f32")
	emuRun(t, cudaops.AlignAffineForward(cudaops.Float64, cs, g.batch, g.n, g.mm, am, gap, m.NoTurns), 0,
		a64.ptr(), emuPtr(th64), emuPtr(lens))
	a64.check(t, "align_affine_fwd_f64")
	if d := diffFloats(a32.data(), a64.data(), 0); d != "" {
		t.Fatalf("α of float32 θ against float64 θ: %s", d)
	}
	da := affEmuGrad(rng, g, lx, ly)
	d32 := affEmuBackward(t, g, cudaops.Float32, 0, 0, th, lens, a64.data(), da)
	d64 := affEmuBackward(t, g, cudaops.Float64, 0, 0, th64, lens, a64.data(), da)
	for k, x := range d64 {
		if y := d32[k]; math.Float32bits(y) != math.Float32bits(float32(x)) && !(y != y && x != x) {
			t.Fatalf("dθ element %d: %v from float32 θ, %v from float64 θ", k, y, x)
		}
	}
}
