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

// TestGatherEmu runs gather_fwd and gather_bwd under the emulator with the
// launches and the ScatterPlan the cuda glue uses, on random maps (inputs
// read several times, never, and constants, ±Inf and NaN among them), and
// compares them with GatherMap.Gather and Scatter exactly: both kernels do
// the CPU's arithmetic in the CPU's order.
func TestGatherEmu(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testGatherEmu[float32](t) })
	t.Run("f64", func(t *testing.T) { testGatherEmu[float64](t) })
}

func testGatherEmu[T float](t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	dt := cudaops.Float64
	if _, ok := any(T(0)).(float32); ok {
		dt = cudaops.Float32
	}
	for _, c := range []struct{ in, out, consts int }{
		{1, 1, 0}, {1, 5, 1}, {7, 3, 0}, {6, 40, 3}, {300, 1000, 2}, {1000, 300, 0},
	} {
		name := fmt.Sprintf("in%d_out%d_consts%d", c.in, c.out, c.consts)
		m := &GatherMap{In: tensor.Shape{c.in}, Out: tensor.Shape{c.out}, Index: make([]int32, c.out)}
		for i := 0; i < c.consts; i++ {
			m.Consts = append(m.Consts, []float64{0, math.Inf(-1), 1.0 / 3}[i%3])
		}
		for e := range m.Index {
			if c.consts > 0 && rng.IntN(4) == 0 {
				m.Index[e] = -1 - int32(rng.IntN(c.consts))
			} else {
				m.Index[e] = int32(rng.IntN(c.in))
			}
		}
		x := make([]T, c.in)
		for i := range x {
			x[i] = T(rng.NormFloat64() * 10)
		}
		x[0] = T(math.Inf(1))
		g := make([]T, c.out)
		for e := range g {
			g[e] = T(rng.NormFloat64())
		}

		want, err := m.Gather(tensor.New(tensor.WithShape(c.in), tensor.WithBacking(append([]T(nil), x...))))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		consts := make([]float64, max(len(m.Consts), 1))
		copy(consts, m.Consts)
		got := make([]T, c.out)
		gatherEmuRun(t, cudaops.GatherForward(dt, c.out), got, x, m.Index, consts)
		gatherEmuCompare(t, name+" forward", got, want.Data().([]T))

		wantG, err := m.Scatter(tensor.New(tensor.WithShape(c.out), tensor.WithBacking(append([]T(nil), g...))))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		start, readers := cudaops.ScatterPlan(m.Index, c.in)
		gotG := make([]T, c.in)
		gatherEmuRun(t, cudaops.GatherBackward(dt, c.in), gotG, g, start, readers)
		gatherEmuCompare(t, name+" backward", gotG, wantG.Data().([]T))
	}
}

// gatherEmuRun runs l under the emulator on out (first, set to a sentinel
// beforehand so that an unwritten element shows), x, and the two map
// arrays.
func gatherEmuRun[T float, M int32 | float64](t *testing.T, l cudaops.Launch, out, x []T, idx []int32, m []M) {
	t.Helper()
	for i := range out {
		out[i] = T(math.NaN())
	}
	err := emu.Run(l, out, x, idx, m)
	if err != nil {
		t.Fatalf("emu.Run(%s): %v", l.Kernel, err)
	}
}

// gatherEmuCompare requires got and want to be equal bit for bit (NaN is
// never a right answer here: no input is NaN).
func gatherEmuCompare[T float](t *testing.T, what string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d elements, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] || got[i] != got[i] {
			t.Fatalf("%s: element %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}
