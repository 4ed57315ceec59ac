//go:build !cuda

package ctc

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/cudaops/emu"
	"gorgonia.org/tensor"
)

// TestStepsEmu runs ctc_steps and ctc_steps_bwd under the emulator with
// the launches and the table the cuda glue uses, and compares them with
// buildSteps and gatherGrad bit for bit: ragged input lengths, an empty
// target, repeats, and an item whose labels do not fit (1-D targets capped
// by MaxTargetLength), both dtypes.
func TestStepsEmu(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testStepsEmu[float32](t, tensor.Float32, cudaops.Float32) })
	t.Run("f64", func(t *testing.T) { testStepsEmu[float64](t, tensor.Float64, cudaops.Float64) })
}

func testStepsEmu[T float32 | float64](t *testing.T, dt tensor.Dtype, cdt cudaops.Dtype) {
	rng := rand.New(rand.NewPCG(33, 34))
	p := randomProblem(rng, 7, 4, 5, 3, 2)
	p.targets = [][]int{{2, 2, 3}, {}, {1, 4, 1, 2}, {3, 3, 3}}
	p.inLen = []int{7, 4, 2, 5}
	concat := p.concatenated()
	lens := p.targetLens()
	tg := tensor.New(tensor.WithShape(len(concat)), tensor.WithBacking(concat))
	il := tensor.New(tensor.WithShape(p.batch), tensor.WithBacking(p.inLen))
	tl := tensor.New(tensor.WithShape(p.batch), tensor.WithBacking(lens))
	f, err := checkForm("test", dt, tensor.Shape{p.t, p.batch, p.cls}, tensor.Int, tg.Shape(),
		[2]tensor.Dtype{tensor.Int, tensor.Int}, [2]tensor.Shape{{p.batch}, {p.batch}}, options{maxTarget: 3})
	if err != nil {
		t.Fatal(err)
	}
	bt, err := parse("test", f, tg, il, tl)
	if err != nil {
		t.Fatal(err)
	}
	if bt.fits[2] || !bt.fits[1] {
		t.Fatalf("fits %v, want item 2 (4 labels, 2 frames, cap 3) not to", bt.fits)
	}
	lp := make([]T, len(p.lp))
	for i, x := range p.lp {
		lp[i] = T(x)
	}
	lp[3] = T(math.Inf(-1))
	compareStepsEmu(t, rng, cdt, f, bt, lp)
}

// compareStepsEmu runs ctc_steps and ctc_steps_bwd on lp with f and bt's
// table, the gradient on random step gradients from rng, and requires
// buildSteps' and gatherGrad's bits.
func compareStepsEmu[T float32 | float64](t *testing.T, rng *rand.Rand, cdt cudaops.Dtype, f form, bt *batch, lp []T) {
	t.Helper()
	tab := bt.table(f)
	want := make([]T, f.stepShape().TotalSize())
	buildSteps(f, bt, want, lp)
	got := make([]T, len(want))
	for i := range got {
		got[i] = T(math.NaN())
	}
	if err := emu.Run(cudaops.CTCStepsForward(cdt, f.t, f.batch, f.cls, f.states()), got, lp, tab); err != nil {
		t.Fatal(err)
	}
	same(t, "steps", got, want)

	da := make([]T, len(want))
	for i := range da {
		da[i] = T(rng.NormFloat64())
	}
	wantG := make([]T, len(lp))
	gatherGrad(f, bt, wantG, da)
	gotG := make([]T, len(lp))
	for i := range gotG {
		gotG[i] = T(math.NaN())
	}
	if err := emu.Run(cudaops.CTCStepsBackward(cdt, f.t, f.batch, f.cls, f.states()), gotG, da, tab); err != nil {
		t.Fatal(err)
	}
	same(t, "steps' gradient", gotG, wantG)
}

// same requires got and want to hold the same bits (−Inf as −Inf; no NaN
// is a right answer here).
func same[T float32 | float64](t *testing.T, what string, got, want []T) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] || got[i] != got[i] {
			t.Fatalf("%s: element %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}
