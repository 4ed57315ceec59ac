package cudaops

import (
	"fmt"
	"math"
	"testing"
)

// The align launches: their geometry at the alignment benchmark's shape
// (128 items of 900 × 900) and at small ones, the scalars in the kernels'
// order, the shared memory of the cells' backward and its limit, the
// parts of the ends' backward, and shapes and modes that name no
// alignment refused.
func TestAlignGeometry(t *testing.T) {
	const batch, n, m = 128, 900, 900
	for _, c := range []struct {
		l            Launch
		kernel       string
		grid, block  uint
		shared       uint
		args         []any
		mode, reason string
	}{
		{AlignCellsForward(Float32, Log, batch, n, m, AlignGlobal, -1), "align_cells_fwd_f32", batch, 512, 0,
			[]any{int64(batch), int64(n), int64(m), int64(0), int64(-1), int64(Log)}, "global", "a block per item, 900 rows: the cap"},
		{AlignCellsForward(Float64, Max, 2, 3, 40, AlignLocal, 1), "align_cells_fwd_f64", 2, 32, 0,
			[]any{int64(2), int64(3), int64(40), int64(1), int64(1), int64(Max)}, "local", "3 rows an anti-diagonal: one warp"},
		{AlignCellsBackward(Float32, Log, batch, n, m, AlignGlobal, -1), "align_cells_bwd_f32", batch, 512, 3 * 8 * 900,
			[]any{int64(batch), int64(n), int64(m), int64(0), int64(-1), int64(Log), int64(0)}, "global", "three anti-diagonals of 900 rows"},
		{AlignCellsBackward(Float64, Real, 3, 70, 40, AlignSemiGlobal, 2), "align_cells_bwd_f64", 3, 64, 3 * 8 * 40,
			[]any{int64(3), int64(70), int64(40), int64(2), int64(2), int64(Real), int64(0)}, "semi-global", "40 rows: two warps"},
		{AlignCellsBackwardGlobal(Float64, Max, 3, 70, 40, AlignLocal, 2), "align_cells_bwd_f64", 3, 64, 0,
			[]any{int64(3), int64(70), int64(40), int64(1), int64(2), int64(Max), int64(1)}, "local", "γ in scratch: no shared memory"},
		{AlignCellsBackwardGlobal(Float32, Log, 2, 5000, 2100, AlignGlobal, -1), "align_cells_bwd_f32", 2, 512, 0,
			[]any{int64(2), int64(5000), int64(2100), int64(0), int64(-1), int64(Log), int64(1)}, "global", "past AlignCellsMaxRows"},
		{AlignEndForward(Float64, Log, batch, n, m, AlignGlobal, -1), "align_end_fwd_f64", 1, flatThreads, 0,
			[]any{int64(batch), int64(n), int64(m), int64(0), int64(-1), int64(Log), int64(1)}, "global", "a thread per item"},
		{AlignEndForward(Float32, Log, batch, n, m, AlignLocal, -1), "align_end_fwd_f32", batch, alignEndThreads, 0,
			[]any{int64(batch), int64(n), int64(m), int64(1), int64(-1), int64(Log), int64(1)}, "local", "a block per item"},
		{AlignEndBackward(Float64, Log, batch, n, m, AlignGlobal, -1), "align_end_bwd_f64", batch * 8, 256, 0,
			[]any{int64(batch), int64(n), int64(m), int64(0), int64(-1), int64(Log), int64(8), int64(1)}, "global", "8 parts an item"},
		{AlignEndBackward(Float64, Max, batch, n, m, AlignLocal, 3), "align_end_bwd_f64", batch, 256, 0,
			[]any{int64(batch), int64(n), int64(m), int64(1), int64(3), int64(Max), int64(1), int64(1)}, "local Max", "one part: the reduction"},
		{AlignEndBackward(Float32, Real, 1, 2, 2, AlignLocal, -1), "align_end_bwd_f32", 3, 32, 0,
			[]any{int64(1), int64(2), int64(2), int64(1), int64(-1), int64(Real), int64(3), int64(1)}, "local Real", "one part an anti-diagonal"},
		{AlignEndForward(Float32, Max, batch, n, m, AlignSemiGlobal, 2), "align_end_fwd_f32", batch, alignEndThreads, 0,
			[]any{int64(batch), int64(n), int64(m), int64(2), int64(2), int64(Max), int64(1)}, "semi-global", "a block per item"},
		{AlignEndBackward(Float64, Log, batch, n, m, AlignSemiGlobal, -1), "align_end_bwd_f64", batch, 256, 0,
			[]any{int64(batch), int64(n), int64(m), int64(2), int64(-1), int64(Log), int64(1), int64(1)}, "semi-global Log", "one part: the reduction"},
	} {
		l := c.l
		if l.Kernel != c.kernel || l.Grid != [3]uint{c.grid, 1, 1} || l.Block != [3]uint{c.block, 1, 1} || l.SharedBytes != c.shared {
			t.Errorf("%s (%s, %s): got %s grid %v block %v shared %d, want grid %d block %d shared %d", c.kernel, c.mode, c.reason,
				l.Kernel, l.Grid, l.Block, l.SharedBytes, c.grid, c.block, c.shared)
		}
		if got, want := fmt.Sprint(l.Args), fmt.Sprint(c.args); got != want {
			t.Errorf("%s (%s): args %s, want %s", c.kernel, c.mode, got, want)
		}
		if err := l.Check(); err != nil {
			t.Errorf("%s (%s): %v", c.kernel, c.mode, err)
		}
	}
	if p := AlignEndParts(Log, 1, 3, 2, AlignGlobal); p != 4 {
		t.Errorf("AlignEndParts of 4 anti-diagonals, one item = %d, want 4 (one each)", p)
	}
	if p := AlignEndParts(Real, 4096, 3, 2, AlignLocal); p != 1 {
		t.Errorf("AlignEndParts of 4096 items = %d, want 1", p)
	}
	// The cells' backward: its shared memory fits up to AlignCellsMaxRows
	// rows, whichever of n and m is the smaller, and no further.
	for _, c := range []struct {
		n, m int
		ok   bool
	}{{AlignCellsMaxRows, AlignCellsMaxRows, true}, {AlignCellsMaxRows, 100000, true}, {100000, AlignCellsMaxRows, true},
		{AlignCellsMaxRows + 1, AlignCellsMaxRows + 1, false}} {
		err := AlignCellsBackward(Float32, Log, 1, c.n, c.m, AlignGlobal, -1).Check()
		if (err == nil) != c.ok {
			t.Errorf("AlignCellsBackward of %d × %d: Check gives %v", c.n, c.m, err)
		}
	}
	// The global memory variant takes those shapes, with scratch for three
	// anti-diagonals of each block.
	for _, c := range []struct {
		batch, n, m int
		want        int64
	}{
		{1, AlignCellsMaxRows + 1, AlignCellsMaxRows + 1, 3 * 8 * (AlignCellsMaxRows + 1)},
		{4, 100000, 2100, 4 * 3 * 8 * 2100},
		{3, 7, 70, 3 * 3 * 8 * 7},
		{min(1<<31, math.MaxInt), 2, 5, alignMaxBlocks * 3 * 8 * 2}, // blocks loop over the items: scratch for the grid
		{0, 3, 3, 0},
		{2, 0, 3, 0},
	} {
		l := AlignCellsBackwardGlobal(Float64, Real, c.batch, c.n, c.m, AlignLocal, -1)
		if err := l.Check(); (err == nil) != (c.want > 0) {
			t.Errorf("AlignCellsBackwardGlobal of %d × %d × %d: Check gives %v", c.batch, c.n, c.m, err)
		}
		if got := AlignCellsScratchBytes(c.batch, c.n, c.m); got != c.want {
			t.Errorf("AlignCellsScratchBytes(%d, %d, %d) = %d, want %d", c.batch, c.n, c.m, got, c.want)
		}
		if c.want > 0 && AlignCellsScratchBytes(c.batch, c.n, c.m) != int64(l.Grid[0])*3*8*int64(min(c.n, c.m)) {
			t.Errorf("AlignCellsScratchBytes(%d, %d, %d) is not three anti-diagonals for each of the grid's %d blocks", c.batch, c.n, c.m, l.Grid[0])
		}
	}
	if AlignCellsMaxRows < 900 {
		t.Errorf("AlignCellsMaxRows = %d: the benchmark's 900 × 900 does not fit", AlignCellsMaxRows)
	}
	// Batches beyond the grid limit loop in the blocks.
	if l := AlignCellsForward(Float32, Log, min(1<<31, math.MaxInt), 4, 4, AlignGlobal, -1); l.Grid[0] != alignMaxBlocks || l.Check() != nil {
		t.Errorf("2^31 items: grid %v (%v)", l.Grid, l.Check())
	}
	for _, l := range []Launch{
		AlignCellsForward(Float32, Log, 0, 3, 3, AlignGlobal, -1),
		AlignCellsBackward(Float32, Log, 1, 0, 3, AlignGlobal, -1),
		AlignCellsBackward(Float64, Max, 1, 3, 0, AlignLocal, -1),
		AlignCellsBackwardGlobal(Float64, Max, 1, 3, 3, AlignMode(3), -1),
		AlignEndForward(Float64, Log, 1, 3, 0, AlignLocal, -1),
		AlignEndForward(Float64, Log, 0, 3, 3, AlignGlobal, -1),
		AlignEndBackward(Float64, Max, 2, 0, 3, AlignLocal, -1),
		AlignCellsForward(Float32, Log, 1, 3, 3, AlignMode(3), -1),
		AlignEndBackward(Float64, Log, 1, 3, 3, AlignMode(-1), -1),
	} {
		if l.Check() == nil {
			t.Errorf("%s with args %v passes Check", l.Kernel, l.Args)
		}
	}
}
