package cudaops

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// The scan launches: a block per item, whole warps up to 256 threads, the
// scalars in the kernels' order, and sizes that name no scan refused.
func TestScanGeometry(t *testing.T) {
	for _, c := range []struct{ n, threads int }{{1, 32}, {32, 32}, {33, 64}, {200, 224}, {256, 256}, {257, 256}, {1799, 256}, {4000, 256}} {
		if got := ScanThreads(c.n); got != c.threads {
			t.Errorf("ScanThreads(%d) = %d, want %d", c.n, got, c.threads)
		}
	}
	// The alignment benchmark's shape: 128 items, n 1799, 1800 steps.
	const items, steps, n = 128, 1800, 1799
	f := ScanForward(Float32, Log, items, steps, n, 1, 1)
	b := ScanBackward(Float32, Log, 1, items, steps, n, 1, 1)
	for _, l := range []Launch{f, b} {
		if l.Grid != [3]uint{items, 1, 1} || l.Block != [3]uint{256, 1, 1} || l.SharedBytes != 0 {
			t.Errorf("%s: grid %v block %v shared %d, want %d blocks of 256 threads", l.Kernel, l.Grid, l.Block, l.SharedBytes, items)
		}
		if err := l.Check(); err != nil {
			t.Errorf("%s: %v", l.Kernel, err)
		}
	}
	if got, want := fmt.Sprint(f.Args), fmt.Sprint([]any{int64(items), int64(steps), int64(n), int64(1), int64(1), int64(Log)}); got != want {
		t.Errorf("ScanForward args %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(b.Args), fmt.Sprint([]any{int64(items), int64(steps), int64(n), int64(1), int64(1), int64(Log), int64(1)}); got != want {
		t.Errorf("ScanBackward args %s, want %s", got, want)
	}
	if f.Kernel != "scan_fwd_f32" || b.Kernel != "scan_bwd_f32" || ScanBackward(Float64, Max, 0, 1, 1, 1, 0, 0).Kernel != "scan_bwd_f64" {
		t.Errorf("kernel names %s, %s", f.Kernel, b.Kernel)
	}
	if got := ScanScratchBytes(items, n); got != 2*8*items*n {
		t.Errorf("ScanScratchBytes = %d, want %d", got, 2*8*items*n)
	}
	// More items than the grid's limit loop in the blocks.
	if l := ScanForward(Float64, Real, min(1<<31, math.MaxInt), 1, 4, 0, 0); l.Grid[0] != scanMaxBlocks || l.Check() != nil {
		t.Errorf("2^31 items: grid %v (%v)", l.Grid, l.Check())
	}
	for _, l := range []Launch{
		ScanForward(Float32, Log, 0, 1, 4, 1, 1),
		ScanForward(Float32, Log, 1, 1, 0, 1, 1),
		ScanForward(Float32, Log, 1, -1, 4, 1, 1),
		ScanBackward(Float32, Log, 0, 1, 1, 4, -1, -1),
		ScanLastForward(Float32, 0, 1, 4),
		ScanLastBackward(Float32, 1, 1, 0),
	} {
		if l.Check() == nil {
			t.Errorf("%s with args %v passes Check", l.Kernel, l.Args)
		}
	}
	if l := ScanLastBackward(Float64, 2, 3, 5); l.Grid[0] != 1 || l.Block[0] != flatThreads {
		t.Errorf("ScanLastBackward of 40 elements: grid %v block %v", l.Grid, l.Block)
	}
}

func TestScanWindow(t *testing.T) {
	if got := ScanWindow(3, 7, nil, nil); !slices.Equal(got, []int64{0, 0, 0, 7, 7, 7}) {
		t.Errorf("nil window: %v", got)
	}
	if got := ScanWindow(2, 7, []int{1, 4}, []int{3, 4}); !slices.Equal(got, []int64{1, 4, 3, 4}) {
		t.Errorf("window: %v", got)
	}
	if got := ScanWindow(0, 7, nil, nil); len(got) != 1 {
		t.Errorf("no steps: %v, want one element", got)
	}
}
