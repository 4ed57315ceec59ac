//go:build !cuda

package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/cudaops/emu"
	"gorgonia.org/tensor"
)

// emuShapes are (batch, n, d, lower, upper, lengths): n = 1, causal and
// anticausal windows, negative sides, a side past n, lengths with 0 and
// full items, and a window over two tiles with d over one block's threads
// (so that every loop of the kernels makes two trips and every barrier two
// passes).
var emuShapes = []struct {
	batch, n, d, lower, upper int
	lens                      []int
}{
	{1, 1, 1, 0, 0, nil},
	{2, 5, 3, 1, 0, nil},
	{2, 17, 5, -1, 3, nil},
	{1, 7, 1, 3, -2, nil},
	{2, 9, 2, 12, 12, []int{9, 4}},
	{3, 6, 3, 2, 2, []int{0, 6, 1}},
	{1, 80, 34, 40, 40, nil},
	{2, 70, 33, 66, 2, []int{70, 69}},
}

// TestKernelsEmu runs the kernels in the emulator against the CPU path:
// the forward's output, and the gradient of both backward launches.
func TestKernelsEmu(t *testing.T) {
	testKernelsEmu[float64](t, tensor.Float64, cudaops.Float64)
	testKernelsEmu[float32](t, tensor.Float32, cudaops.Float32)
}

const emuSentinel = -98765.25

func testKernelsEmu[T float32 | float64](t *testing.T, dt tensor.Dtype, cdt cudaops.Dtype) {
	rng := rand.New(rand.NewPCG(11, uint64(cdt)))
	// The GPU's __expf and its order of sums (the running maximum moves
	// tile by tile) against the CPU's.
	tol := 1e-11
	if cdt == cudaops.Float32 {
		tol = 3e-5
	}
	for _, c := range emuShapes {
		name := fmt.Sprintf("%v/b%d_n%d_d%d_(%d,%d)_lens%v", cdt, c.batch, c.n, c.d, c.lower, c.upper, c.lens)
		f := form{dt: dt, batch: c.batch, n: c.n, d: c.d, lower: c.lower, upper: c.upper, scale: 0.7, lengths: c.lens != nil}
		m := c.batch * c.n * c.d
		vals := make([][]T, 4)
		for i := range vals {
			vals[i] = make([]T, m)
			for x := range vals[i] {
				vals[i][x] = T(2*rng.Float64() - 1)
			}
		}
		q, k, v, dout := vals[0], vals[1], vals[2], vals[3]
		lens, lens64 := make([]int, c.batch), []int64{}
		for b := range lens {
			lens[b] = c.n
			if c.lens != nil {
				lens[b] = c.lens[b]
				lens64 = append(lens64, int64(c.lens[b]))
			}
		}
		wantOut, lse := make([]T, m), make([]T, c.batch*c.n)
		forward(f, wantOut, lse, q, k, v, lens)
		want := make([]T, 3*m)
		backward(f, want[:m], want[m:2*m], want[2*m:], q, k, v, dout, lse, lens)

		out := sentinel[T](m)
		if err := emu.Run(cudaops.AttentionForward(cdt, c.batch, c.n, c.d, c.lower, c.upper, f.scale, f.lengths), out, q, k, v, lens64); err != nil {
			t.Fatalf("%s: forward: %v", name, err)
		}
		compare(t, name+": out", out, wantOut, tol)

		g, stats := sentinel[T](3*m), sentinel[T](cudaops.AttentionStatsElements(c.batch, c.n))
		if err := emu.Run(cudaops.AttentionBackwardRows(cdt, c.batch, c.n, c.d, c.lower, c.upper, f.scale, f.lengths), g, q, k, v, dout, lens64, stats); err != nil {
			t.Fatalf("%s: backward by rows: %v", name, err)
		}
		for r, x := range lse {
			if e := math.Abs(float64(stats[r] - x)); !(e <= tol*(1+math.Abs(float64(x)))) && !(math.IsInf(float64(x), -1) && stats[r] == x) {
				t.Fatalf("%s: lse[%d] = %v, CPU %v", name, r, stats[r], x)
			}
		}
		if err := emu.Run(cudaops.AttentionBackwardKeys(cdt, c.batch, c.n, c.d, c.lower, c.upper, f.scale, f.lengths), g, q, k, v, dout, lens64, stats); err != nil {
			t.Fatalf("%s: backward by keys: %v", name, err)
		}
		compare(t, name+": dq", g[:m], want[:m], tol)
		compare(t, name+": dk", g[m:2*m], want[m:2*m], tol)
		compare(t, name+": dv", g[2*m:], want[2*m:], tol)
	}
}

func sentinel[T float32 | float64](size int) []T {
	s := make([]T, size)
	for i := range s {
		s[i] = emuSentinel
	}
	return s
}

// compare fails t at the first element of got further than tol·max(1,
// |want|) from want; the CPU's zeros must be exact.
func compare[T float32 | float64](t *testing.T, what string, got, want []T, tol float64) {
	t.Helper()
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if g == emuSentinel {
			t.Fatalf("%s[%d] not written (want %v)", what, i, w)
		}
		if w == 0 && g != 0 || !(math.Abs(g-w) <= tol*math.Max(1, math.Abs(w))) {
			t.Fatalf("%s[%d] = %v, CPU %v", what, i, g, w)
		}
	}
}

// TestKernelLaunches checks the geometry: one block per row, and shapes
// that cannot be launched refused.
func TestKernelLaunches(t *testing.T) {
	l := cudaops.AttentionForward(cudaops.Float32, 3, 5, 8, 2, 100, 1, false)
	if l.Grid[0] != 15 || l.Args[4] != int64(5) {
		t.Errorf("forward launch %+v: want 15 blocks and upper clamped to n = 5", l)
	}
	for _, bad := range []cudaops.Launch{
		cudaops.AttentionForward(cudaops.Float32, 0, 5, 8, 1, 1, 1, false),
		cudaops.AttentionBackwardKeys(cudaops.Float64, 1, 5, 1<<20, 1, 1, 1, false),
	} {
		if err := bad.Check(); err == nil {
			t.Errorf("launch %+v accepted", bad)
		}
	}
}
