package cudaops

import (
	"math"
	"strings"
	"testing"
)

func TestKernelName(t *testing.T) {
	if got := KernelName("mul_fwd", Float32); got != "mul_fwd_f32" {
		t.Errorf("KernelName f32 = %q", got)
	}
	if got := KernelName("mul_fwd", Float64); got != "mul_fwd_f64" {
		t.Errorf("KernelName f64 = %q", got)
	}
	var zero Dtype
	if got := KernelName("mul_fwd", zero); got == "mul_fwd_f32" || got == "mul_fwd_f64" {
		t.Errorf("the zero Dtype names a real kernel: %q", got)
	}
	if Float32.Size() != 4 || Float64.Size() != 8 || zero.Size() != 0 {
		t.Errorf("sizes %d %d %d", Float32.Size(), Float64.Size(), zero.Size())
	}
}

func TestLinear(t *testing.T) {
	for _, c := range []struct{ total, blocks int }{{0, 1}, {1, 1}, {256, 1}, {257, 2}, {1 << 20, 4096}} {
		l := Linear("k", c.total, int64(3))
		if l.Grid != [3]uint{uint(c.blocks), 1, 1} || l.Block != [3]uint{256, 1, 1} {
			t.Errorf("Linear(%d): grid %v block %v, want %d blocks of 256", c.total, l.Grid, l.Block, c.blocks)
		}
		if err := l.Check(); err != nil {
			t.Errorf("Linear(%d): %v", c.total, err)
		}
	}
}

func TestCheck(t *testing.T) {
	ok := Launch{Kernel: "k", Grid: [3]uint{math.MaxInt32, 65535, 65535}, Block: [3]uint{1024, 1, 1}, SharedBytes: MaxSharedBytes, Args: []any{int64(1), 2.5, 3}}
	if err := ok.Check(); err != nil {
		t.Fatalf("largest valid launch: %v", err)
	}
	cases := []struct {
		name string
		f    func(*Launch)
		want string
	}{
		{"grid x", func(l *Launch) { l.Grid[0] = math.MaxInt32 + 1 }, "CUDA limits"},
		{"grid z", func(l *Launch) { l.Grid[2] = 65536 }, "CUDA limits"},
		{"empty", func(l *Launch) { l.Grid[1] = 0 }, "empty"},
		{"threads", func(l *Launch) { l.Block = [3]uint{512, 3, 1} }, "at most 1024"},
		{"block z", func(l *Launch) { l.Block = [3]uint{1, 1, 65} }, "blockDim.z"},
		{"shared", func(l *Launch) { l.SharedBytes++ }, "shared memory"},
		{"arg", func(l *Launch) { l.Args = []any{[]int{1}} }, "scalar argument 0"},
	}
	for _, c := range cases {
		l := ok
		c.f(&l)
		if err := l.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
	w, err := Launch{Args: []any{-2, 1.5}}.ArgWords()
	if err != nil || w[0] != uint64(math.MaxUint64-1) || w[1] != math.Float64bits(1.5) {
		t.Errorf("ArgWords = %v, %v", w, err)
	}
}

// The benchmark's shape (batch 64, n 4096, bands 64/64 × 64/64) launches
// with one block per 16 rows × 64 slots, and both dtypes' staging fits the
// shared memory a launch may ask for.
func TestMulGeometry(t *testing.T) {
	l := MulForward(Float32, Log, 64, 4096, 64, 64, 64, 64)
	if want := uint(64 * 256 * 5); l.Grid[0] != want {
		t.Errorf("grid %v, want %d blocks along x", l.Grid, want)
	}
	for _, dt := range []Dtype{Float32, Float64} {
		if b := MulSharedBytes(dt); b == 0 || b > MaxSharedBytes/2 {
			t.Errorf("%v: %d bytes of shared memory, want at most %d (two blocks an SM)", dt, b, MaxSharedBytes/2)
		}
	}
	// A batch beyond gridDim.y/z's 65535 is fine: it folds into x.
	if err := MulForward(Float32, Log, 100000, 4, 1, 1, 1, 1).Check(); err != nil {
		t.Errorf("batch 100000: %v", err)
	}
	if err := MulBackward(Float64, Max, 1, 100000, 4, 1, 1, 1, 1).Check(); err != nil {
		t.Errorf("backward batch 100000: %v", err)
	}
	if err := MulForward(Float32, Log, 1<<20, 1<<20, 64, 64, 64, 64).Check(); err == nil {
		t.Errorf("a grid beyond 2^31−1 blocks passes Check")
	}
}
