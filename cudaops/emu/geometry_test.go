//go:build cgo

package emu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/genband/genband/cudaops"
)

// The kernels whose blocks loop over items (a grid-stride loop) and whose
// threads stride over a row or an item's cells must give the result of
// their constructor's geometry with fewer blocks than items and fewer
// threads than a row: then every such loop makes several trips, and every
// barrier inside one is passed several times by a block (the coverage check
// of make test, coverage_test.go, requires it of every loop and barrier).
// The constructor's geometry is the one the kernels' own emulation tests
// compare with the CPU (bandop, align); here each other geometry is
// compared with it, on random inputs: bit for bit where the order of the
// arithmetic does not depend on the geometry, else (a block's tree
// reduction) to a few units of roundoff.

// geoCase is one launch (the constructor's) and its buffers, the output
// first; blocks and block are the other geometry (block 0: the
// constructor's); tol is the relative tolerance (0: bit for bit).
type geoCase struct {
	name   string
	l      cudaops.Launch
	blocks uint
	block  uint
	tol    float64
	bufs   []any
}

// geoFresh returns a copy of buffer b filled with NaN (integers with -1),
// for an output.
func geoFresh(b any) any {
	switch s := b.(type) {
	case []float32:
		out := make([]float32, len(s))
		for i := range out {
			out[i] = float32(math.NaN())
		}
		return out
	case []float64:
		out := make([]float64, len(s))
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	panic(fmt.Sprintf("geoFresh: %T", b))
}

// geoDiff returns the first difference beyond tol between outputs a and b.
func geoDiff(a, b any, tol float64) error {
	var x, y []float64
	switch s := a.(type) {
	case []float32:
		for i := range s {
			x = append(x, float64(s[i]))
			y = append(y, float64(b.([]float32)[i]))
		}
	case []float64:
		x, y = s, b.([]float64)
	}
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) {
			if math.IsNaN(x[i]) != math.IsNaN(y[i]) {
				return fmt.Errorf("element %d: %v, want %v", i, y[i], x[i])
			}
			continue
		}
		if x[i] == y[i] {
			continue
		}
		if math.IsInf(x[i], 0) || math.Abs(x[i]-y[i]) > tol*math.Max(1, math.Abs(x[i])) {
			return fmt.Errorf("element %d: %v, want %v (tolerance %g)", i, y[i], x[i], tol)
		}
	}
	return nil
}

func runGeometry(t *testing.T, c geoCase) {
	t.Helper()
	run := func(l cudaops.Launch) any {
		bufs := slices.Clone(c.bufs)
		k := table[l.Kernel]
		bi := 0
		for _, p := range []byte(k.params) {
			if p == 'j' || p == 'x' {
				continue
			}
			if p >= 'a' && p <= 'z' { // an output or scratch: fresh
				bufs[bi] = geoFresh(bufs[bi])
			}
			bi++
		}
		if err := Run(l, bufs...); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		return bufs[0]
	}
	want := run(c.l)
	other := c.l
	other.Grid = [3]uint{c.blocks, 1, 1}
	if c.block != 0 {
		other.Block[0] = c.block
	}
	if other.Grid == c.l.Grid && other.Block == c.l.Block {
		t.Fatalf("%s: the other geometry is the constructor's (grid %v, block %v)", c.name, c.l.Grid, c.l.Block)
	}
	if err := geoDiff(want, run(other), c.tol); err != nil {
		t.Errorf("%s: grid %v block %v against the constructor's grid %v block %v: %v", c.name, other.Grid, other.Block, c.l.Grid, c.l.Block, err)
	}
}

func geoRandom[T float32 | float64](rng *rand.Rand, n int, scale float64) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = T(rng.NormFloat64() * scale)
	}
	return out
}

// The align kernels (kernels/align_cells.cu, align_end.cu): every mode,
// semiring and dtype, several items with ragged lengths, two blocks for
// five items and blocks of 8 threads (anti-diagonals of up to 12 cells);
// the global ends, a thread an item, with one block of two threads. The
// cells' kernels compute each cell in one thread whatever the geometry: bit
// for bit.
func TestGeometryAlign(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testGeometryAlign[float32](t) })
	t.Run("f64", func(t *testing.T) { testGeometryAlign[float64](t) })
}

func testGeometryAlign[T float32 | float64](t *testing.T) {
	dt := cudaops.Float64
	if _, ok := any(T(0)).(float32); ok {
		dt = cudaops.Float32
	}
	rng := rand.New(rand.NewPCG(61, uint64(dt)))
	const batch, n, m = 5, 12, 12
	lens := make([]int64, 2*batch)
	for b := range batch {
		lens[2*b], lens[2*b+1] = int64(n-rng.IntN(4)), int64(m-rng.IntN(4))
	}
	lens[0], lens[1] = n, m
	tol := 0x1p-20 // a float result rounded from a double reduction
	if dt == cudaops.Float64 {
		tol = 1e-12
	}
	for _, mode := range []cudaops.AlignMode{cudaops.AlignGlobal, cudaops.AlignLocal, cudaops.AlignSemiGlobal} {
		for _, gap := range []int{-1, 3} {
			for _, s := range []cudaops.Semiring{cudaops.Real, cudaops.Log, cudaops.Max} {
				name := fmt.Sprintf("%v/mode=%d/gap=%d/%v", dt, mode, gap, s)
				theta := geoRandom[T](rng, batch*n*m*3, 1)
				alpha := make([]float64, batch*n*m)
				runGeometry(t, geoCase{name + "/cells_fwd", cudaops.AlignCellsForward(dt, s, batch, n, m, mode, gap), 2, 8, 0, []any{alpha, theta, lens}})
				alpha = geoRandom[float64](rng, len(alpha), 3)
				dalpha := geoRandom[float64](rng, len(alpha), 1)
				runGeometry(t, geoCase{name + "/cells_bwd", cudaops.AlignCellsBackward(dt, s, batch, n, m, mode, gap), 2, 8, 0,
					[]any{make([]T, len(theta)), theta, lens, alpha, dalpha, []float64{}}})
				z := make([]T, batch)
				fwd := cudaops.AlignEndForward(dt, s, batch, n, m, mode, gap)
				blocks, block := uint(2), uint(8) // local, semi-global: a block an item
				if mode == cudaops.AlignGlobal {
					blocks, block = 1, 2 // a thread an item
				}
				runGeometry(t, geoCase{name + "/end_fwd", fwd, blocks, block, tol, []any{z, alpha, lens}})
				dz := geoRandom[T](rng, batch, 1)
				bwd := cudaops.AlignEndBackward(dt, s, batch, n, m, mode, gap)
				runGeometry(t, geoCase{name + "/end_bwd", bwd, 2, 8, tol, []any{make([]float64, len(alpha)), alpha, lens, dz}})
			}
		}
	}
}

// gather_fwd and gather_bwd with one block for 600 elements (a thread
// walks three), and the scan kernels with two blocks for five items (a
// block runs the scan of several items, passing its barriers once a step
// an item) and blocks of 8 threads for 20 columns.
func TestGeometryGatherScan(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testGeometryGatherScan[float32](t) })
	t.Run("f64", func(t *testing.T) { testGeometryGatherScan[float64](t) })
}

func testGeometryGatherScan[T float32 | float64](t *testing.T) {
	dt := cudaops.Float64
	if _, ok := any(T(0)).(float32); ok {
		dt = cudaops.Float32
	}
	rng := rand.New(rand.NewPCG(71, uint64(dt)))
	const in, out = 600, 700
	idx := make([]int32, out)
	for e := range idx {
		idx[e] = int32(rng.IntN(in+2)) - 2 // -1, -2: constants
	}
	x := geoRandom[T](rng, in, 1)
	consts := []float64{0.5, math.Inf(-1)}
	runGeometry(t, geoCase{"gather_fwd", cudaops.GatherForward(dt, out), 1, 0, 0, []any{make([]T, out), x, idx, consts}})
	start, readers := cudaops.ScatterPlan(idx, in)
	g := geoRandom[T](rng, out, 1)
	runGeometry(t, geoCase{"gather_bwd", cudaops.GatherBackward(dt, in), 1, 0, 0, []any{make([]T, in), g, start, readers}})

	const items, steps, n, lower, upper = 5, 4, 20, 2, 1
	w := lower + upper + 1
	win := cudaops.ScanWindow(steps, n, []int{0, 3, 5, 0}, []int{n, 15, 5, 11})
	for _, s := range []cudaops.Semiring{cudaops.Real, cudaops.Log, cudaops.Max} {
		name := fmt.Sprintf("%v/%v", dt, s)
		scale := 1.0
		if s == cudaops.Real {
			scale = 0.3
		}
		v0 := geoRandom[T](rng, items*n, scale)
		a := geoRandom[T](rng, steps*items*n*w, scale)
		S := make([]float64, (steps+1)*items*n)
		runGeometry(t, geoCase{name + "/scan_fwd", cudaops.ScanForward(dt, s, items, steps, n, lower, upper), 2, 8, 0, []any{S, v0, a, win}})
		// The states themselves, for the backward.
		if err := Run(cudaops.ScanForward(dt, s, items, steps, n, lower, upper), S, v0, a, win); err != nil {
			t.Fatal(err)
		}
		dS := geoRandom[float64](rng, len(S), 1)
		scratch := make([]float64, cudaops.ScanScratchBytes(items, n)/8)
		for wrt, size := range []int{items * n, len(a)} {
			runGeometry(t, geoCase{fmt.Sprintf("%s/scan_bwd wrt %d", name, wrt), cudaops.ScanBackward(dt, s, wrt, items, steps, n, lower, upper), 2, 8, 0,
				[]any{make([]T, size), v0, a, S, dS, win, scratch}})
		}
	}
	runGeometry(t, geoCase{"scan_last_fwd", cudaops.ScanLastForward(dt, 30, steps, n), 1, 0, 0, []any{make([]T, 30*n), geoRandom[float64](rng, (steps+1)*30*n, 1)}})
	runGeometry(t, geoCase{"scan_last_bwd", cudaops.ScanLastBackward(dt, items, steps, n), 1, 0, 0, []any{make([]float64, (steps+1)*items*n), geoRandom[T](rng, items*n, 1)}})
}
