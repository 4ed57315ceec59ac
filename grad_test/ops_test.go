package gradtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/tensor"
)

// pairCases are the shapes of two-operand checks: n = 1, bands wider than n,
// negative limits, asymmetric bands, batch > 1.
var pairCases = []struct {
	batch, n, l1, u1, l2, u2 int
}{
	{1, 1, 0, 0, 0, 0},
	{2, 4, 1, 1, 0, 2},
	{1, 5, 6, 5, 2, 7},
	{2, 6, -1, 3, 2, -1},
	{1, 6, 2, 0, 0, 2},
}

// singleCases are the shapes of one-operand checks.
var singleCases = []struct{ batch, n, l, u int }{
	{1, 1, 0, 0}, {2, 4, 1, 2}, {1, 5, -1, 3}, {1, 3, 5, 4}, {2, 5, 2, -2},
}

func TestGradMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range pairCases {
		for _, s := range semirings {
			name := fmt.Sprintf("Mul/%v/b%d_n%d_(%d,%d)x(%d,%d)", s, c.batch, c.n, c.l1, c.u1, c.l2, c.u2)
			t.Run(name, func(t *testing.T) {
				check(t, gradCase{
					name: name,
					in: []operand{
						band(rng, s, "A", c.batch, c.n, c.l1, c.u1, s.Zero()),
						band(rng, s, "B", c.batch, c.n, c.l2, c.u2, s.Zero()),
					},
					f: func(a []arg) (output, error) { return bandOut(bandop.Mul(a[0].B, a[1].B, s)) },
				})
			})
		}
	}
}

func TestGradFromDenseNode(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ batch, n, l, u int }{{1, 1, 0, 0}, {2, 4, 1, 2}, {1, 5, -1, 3}, {1, 3, 5, 4}, {2, 5, 2, -2}} {
		for _, fill := range shapeFills {
			name := fmt.Sprintf("FromDenseNode/b%d_n%d_(%d,%d)_fill%v", c.batch, c.n, c.l, c.u, fill)
			t.Run(name, func(t *testing.T) {
				check(t, gradCase{
					name: name,
					in:   []operand{denseOp(rng, bandop.Real, "D", c.batch, c.n, c.n)},
					f: func(a []arg) (output, error) {
						return bandOut(bandop.FromDenseNode(a[0].N, c.l, c.u, fill))
					},
				})
			})
		}
	}
}

func TestGradToDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 3))
	for _, c := range []struct{ batch, n, l, u int }{{1, 1, 0, 0}, {2, 4, 1, 2}, {1, 5, -1, 3}, {1, 3, 5, 4}, {2, 5, 2, -2}} {
		for _, fill := range shapeFills {
			name := fmt.Sprintf("ToDense/b%d_n%d_(%d,%d)_fill%v", c.batch, c.n, c.l, c.u, fill)
			t.Run(name, func(t *testing.T) {
				check(t, gradCase{
					name: name,
					in:   []operand{band(rng, bandop.Real, "A", c.batch, c.n, c.l, c.u, fill)},
					f:    func(a []arg) (output, error) { return denseOut(bandop.ToDense(a[0].B)) },
				})
			})
		}
	}
}

// TestGradMulSparse puts the semiring's zero on a third of the in-band
// entries: Log's and Max's sums then include outputs whose terms are all
// −Inf, whose gradient must be 0, not NaN.
func TestGradMulSparse(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 4))
	for _, c := range pairCases[1:] {
		for _, s := range semirings {
			name := fmt.Sprintf("MulSparse/%v/b%d_n%d_(%d,%d)x(%d,%d)", s, c.batch, c.n, c.l1, c.u1, c.l2, c.u2)
			t.Run(name, func(t *testing.T) {
				check(t, gradCase{
					name: name,
					in: []operand{
						sparse(rng, band(rng, s, "A", c.batch, c.n, c.l1, c.u1, s.Zero()), s.Zero()),
						sparse(rng, band(rng, s, "B", c.batch, c.n, c.l2, c.u2, s.Zero()), s.Zero()),
					},
					f: func(a []arg) (output, error) { return bandOut(bandop.Mul(a[0].B, a[1].B, s)) },
				})
			})
		}
	}
}

// TestGradMulShared uses one node as both operands: Gorgonia must add the
// two contributions.
func TestGradMulShared(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 5))
	for _, s := range semirings {
		name := fmt.Sprintf("MulShared/%v", s)
		t.Run(name, func(t *testing.T) {
			check(t, gradCase{
				name: name,
				in:   []operand{band(rng, s, "A", 2, 5, 1, 2, s.Zero())},
				f:    func(a []arg) (output, error) { return bandOut(bandop.Mul(a[0].B, a[0].B, s)) },
			})
		})
	}
}

func TestGradGather(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 6))
	for _, c := range []struct {
		in, out []int
		consts  []float64
	}{
		{[]int{1}, []int{1}, nil},
		{[]int{2, 3}, []int{4, 2}, nil},
		{[]int{2, 3, 4}, []int{2, 5, 3}, []float64{0, math.Inf(-1), 2.5}},
		{[]int{6}, []int{2, 2, 2}, []float64{-1}},
	} {
		in, out := tensor.Shape(c.in), tensor.Shape(c.out)
		// Random reads: repeats (gradients add up), constants, and input
		// elements never read (gradient 0).
		index := make([]int32, out.TotalSize())
		for x := range index {
			if len(c.consts) > 0 && rng.IntN(4) == 0 {
				index[x] = -1 - int32(rng.IntN(len(c.consts)))
			} else {
				index[x] = int32(rng.IntN(in.TotalSize()))
			}
		}
		m := &bandop.GatherMap{In: in, Out: out, Index: index, Consts: c.consts}
		name := fmt.Sprintf("Gather/%v->%v_consts%d", in, out, len(c.consts))
		t.Run(name, func(t *testing.T) {
			check(t, gradCase{
				name: name,
				in:   []operand{denseOp(rng, bandop.Real, "x", c.in...)},
				f:    func(a []arg) (output, error) { return denseOut(bandop.Gather(a[0].N, m)) },
			})
		})
	}
}
