//go:build !cuda

package ctc

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/genband/genband/cudaops"
	"gorgonia.org/tensor"
)

// TestGPUModelEmu runs ctc_steps and ctc_steps_bwd at a realistic size
// (batch 4, T = 200, labels up to 50, 100 classes, ragged input lengths)
// for the emulator's GPU memory model (make gpumodel, which sets
// GBEMU_GPUMODEL), checking them against buildSteps and gatherGrad bit for
// bit as TestStepsEmu does: that test's tiny shapes exercise every branch,
// this one weighs the model's figures as a real workload would; so do
// ctc_final and ctc_final_bwd (testFinalEmu). Skipped unless the model is
// on.
func TestGPUModelEmu(t *testing.T) {
	if os.Getenv("GBEMU_GPUMODEL") == "" {
		t.Skip("GBEMU_GPUMODEL is not set (make gpumodel)")
	}
	t.Run("f32", func(t *testing.T) { testGPUModelEmu[float32](t, tensor.Float32, cudaops.Float32) })
	t.Run("f64", func(t *testing.T) { testGPUModelEmu[float64](t, tensor.Float64, cudaops.Float64) })
	// ctc_final and ctc_final_bwd at T = 200, labels up to 50, checked as
	// TestFinalEmu checks them, at the batch above and at a full warp.
	rng := rand.New(rand.NewPCG(37, 38))
	for _, batch := range []int{4, 32} {
		t.Run(fmt.Sprintf("final/200×%d×50", batch), func(t *testing.T) { testFinalEmu(t, rng, 200, batch, 50) })
	}
}

func testGPUModelEmu[T float32 | float64](t *testing.T, dt tensor.Dtype, cdt cudaops.Dtype) {
	rng := rand.New(rand.NewPCG(35, 36))
	// minT 150 ≥ 2·50 + 1 frames: every item's labels fit.
	p := randomProblem(rng, 200, 4, 100, 50, 150)
	concat := p.concatenated()
	tg := tensor.New(tensor.WithShape(len(concat)), tensor.WithBacking(concat))
	il := tensor.New(tensor.WithShape(p.batch), tensor.WithBacking(p.inLen))
	tl := tensor.New(tensor.WithShape(p.batch), tensor.WithBacking(p.targetLens()))
	f, err := checkForm("test", dt, tensor.Shape{p.t, p.batch, p.cls}, tensor.Int, tg.Shape(),
		[2]tensor.Dtype{tensor.Int, tensor.Int}, [2]tensor.Shape{{p.batch}, {p.batch}}, options{})
	if err != nil {
		t.Fatal(err)
	}
	bt, err := parse("test", f, tg, il, tl)
	if err != nil {
		t.Fatal(err)
	}
	lp := make([]T, len(p.lp))
	for i, x := range p.lp {
		lp[i] = T(x)
	}
	compareStepsEmu(t, rng, cdt, f, bt, lp)
}
