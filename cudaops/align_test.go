package cudaops

import (
	"fmt"
	"testing"
)

// The align launches: their geometry at the alignment benchmark's shape
// (128 items of 900 × 900) and at small ones, the scalars in the kernels'
// order, the parts of the ends' backward, and shapes and modes that name
// no alignment refused.
func TestAlignGeometry(t *testing.T) {
	const batch, n, m = 128, 900, 900
	const steps, size = n + m - 1, n + m - 1
	for _, c := range []struct {
		l            Launch
		kernel       string
		grid, block  uint
		args         []any
		mode, reason string
	}{
		{AlignLayoutForward(Float32, Log, batch, n, m, AlignGlobal, -1), "align_layout_fwd_f32", steps * batch, 256,
			[]any{int64(batch), int64(n), int64(m), int64(0), int64(-1), int64(Log)}, "global", "a block per step matrix"},
		{AlignLayoutForward(Float64, Max, 2, 3, 4, AlignLocal, 1), "align_layout_fwd_f64", 6 * 2, 64,
			[]any{int64(2), int64(3), int64(4), int64(1), int64(1), int64(Max)}, "local", "12 rows × 5 slots: two warps"},
		{AlignLayoutBackward(Float32, batch, n, m, AlignGlobal, -1), "align_layout_bwd_f32", batch * n, 256,
			[]any{int64(batch), int64(n), int64(m), int64(0), int64(-1)}, "global", "a block per row of θ"},
		{AlignLayoutBackward(Float64, 3, 5, 40, AlignLocal, 2), "align_layout_bwd_f64", 15, 64,
			[]any{int64(3), int64(5), int64(40), int64(1), int64(2)}, "local", "40 columns: two warps"},
		{AlignEndForward(Float64, Log, batch, n, m, AlignGlobal, -1), "align_end_fwd_f64", 1, flatThreads,
			[]any{int64(batch), int64(n), int64(m), int64(0), int64(-1), int64(Log)}, "global", "a thread per item"},
		{AlignEndForward(Float32, Log, batch, n, m, AlignLocal, -1), "align_end_fwd_f32", batch, alignEndThreads,
			[]any{int64(batch), int64(n), int64(m), int64(1), int64(-1), int64(Log)}, "local", "a block per item"},
		{AlignEndBackward(Float64, Log, batch, n, m, AlignGlobal, -1), "align_end_bwd_f64", batch * 8, 256,
			[]any{int64(batch), int64(n), int64(m), int64(0), int64(-1), int64(Log), int64(8)}, "global", "8 parts an item"},
		{AlignEndBackward(Float64, Max, batch, n, m, AlignLocal, 3), "align_end_bwd_f64", batch, 256,
			[]any{int64(batch), int64(n), int64(m), int64(1), int64(3), int64(Max), int64(1)}, "local Max", "one part: the reduction"},
		{AlignEndBackward(Float32, Real, 1, 2, 2, AlignLocal, -1), "align_end_bwd_f32", 4, 32,
			[]any{int64(1), int64(2), int64(2), int64(1), int64(-1), int64(Real), int64(4)}, "local Real", "one part a state"},
		{AlignLayoutForward(Float64, Log, 2, 3, 4, AlignSemiGlobal, -1), "align_layout_fwd_f64", 6 * 2, 32,
			[]any{int64(2), int64(3), int64(4), int64(2), int64(-1), int64(Log)}, "semi-global", "6 rows × 3 slots: one warp"},
		{AlignEndForward(Float32, Max, batch, n, m, AlignSemiGlobal, 2), "align_end_fwd_f32", batch, alignEndThreads,
			[]any{int64(batch), int64(n), int64(m), int64(2), int64(2), int64(Max)}, "semi-global", "a block per item"},
		{AlignEndBackward(Float64, Log, batch, n, m, AlignSemiGlobal, -1), "align_end_bwd_f64", batch, 256,
			[]any{int64(batch), int64(n), int64(m), int64(2), int64(-1), int64(Log), int64(1)}, "semi-global Log", "one part: the reduction"},
	} {
		l := c.l
		if l.Kernel != c.kernel || l.Grid != [3]uint{c.grid, 1, 1} || l.Block != [3]uint{c.block, 1, 1} || l.SharedBytes != 0 {
			t.Errorf("%s (%s, %s): got %s grid %v block %v shared %d, want grid %d block %d", c.kernel, c.mode, c.reason,
				l.Kernel, l.Grid, l.Block, l.SharedBytes, c.grid, c.block)
		}
		if got, want := fmt.Sprint(l.Args), fmt.Sprint(c.args); got != want {
			t.Errorf("%s (%s): args %s, want %s", c.kernel, c.mode, got, want)
		}
		if err := l.Check(); err != nil {
			t.Errorf("%s (%s): %v", c.kernel, c.mode, err)
		}
	}
	if p := AlignEndParts(Log, 1, 3, 2, AlignGlobal); p != 5 {
		t.Errorf("AlignEndParts of 4 steps, one item = %d, want 5 (one a state)", p)
	}
	if p := AlignEndParts(Real, 4096, 3, 2, AlignLocal); p != 1 {
		t.Errorf("AlignEndParts of 4096 items = %d, want 1", p)
	}
	// Batches beyond the grid limit loop in the blocks.
	if l := AlignLayoutForward(Float32, Log, 1<<20, 1<<10, 1<<10, AlignGlobal, -1); l.Grid[0] != alignMaxBlocks || l.Check() != nil {
		t.Errorf("2^20 items of 2^10 × 2^10: grid %v (%v)", l.Grid, l.Check())
	}
	for _, l := range []Launch{
		AlignLayoutForward(Float32, Log, 0, 3, 3, AlignGlobal, -1),
		AlignLayoutBackward(Float32, 1, 0, 3, AlignGlobal, -1),
		AlignEndForward(Float64, Log, 1, 3, 0, AlignLocal, -1),
		AlignEndForward(Float64, Log, 0, 3, 3, AlignGlobal, -1),
		AlignEndBackward(Float64, Max, 2, 0, 3, AlignLocal, -1),
		AlignLayoutForward(Float32, Log, 1, 3, 3, AlignMode(3), -1),
		AlignEndBackward(Float64, Log, 1, 3, 3, AlignMode(-1), -1),
	} {
		if l.Check() == nil {
			t.Errorf("%s with args %v passes Check", l.Kernel, l.Args)
		}
	}
}
