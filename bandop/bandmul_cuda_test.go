//go:build cuda

package bandop

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/internal/cudatest"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// cudaDense3 is a random (batch, n, d) input node.
func cudaDense3(g *gorgonia.ExprGraph, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n, d int, name string) *gorgonia.Node {
	v, _ := randDense(rng, s, dt, batch, n, d)
	return gorgonia.NodeFromAny(g, v, gorgonia.WithName(name))
}

// attnCUDAGraph is sliding-window attention softmax(band(Q·Kᵀ))·V, a
// LogSoftmax of the scores and a MulDense in semiring s of them, so that
// every Op of BandMul, MulDense and Softmax, forward and backward, is in
// one graph.
func attnCUDAGraph(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n, d, lower, upper int) (*gorgonia.ExprGraph, *gorgonia.Node, gorgonia.Nodes) {
	g := gorgonia.NewGraph()
	q := cudaDense3(g, rng, Real, dt, batch, n, d, "Q")
	k := cudaDense3(g, rng, Real, dt, batch, n, d, "K")
	v := cudaDense3(g, rng, s, dt, batch, n, d, "V")
	scores := must(BandMulNode(q, k, lower, upper))
	out := must(MulDense(must(Softmax(scores)), v, Real))
	ls := must(LogSoftmax(scores))
	a := ls
	if s == Real {
		a = must(Softmax(scores))
	}
	semi := must(MulDense(a, v, s))
	cost := gorgonia.Must(gorgonia.Add(gorgonia.Must(gorgonia.Sum(out)), gorgonia.Must(gorgonia.Sum(semi))))
	return g, cost, gorgonia.Nodes{q, k, v}
}

// TestCUDAAttentionOps runs every Op of BandMul, MulDense and Softmax,
// forward and backward, alone on the GPU and compares it with its CPU Do.
func TestCUDAAttentionOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 30))
	shapes := [][5]int{{1, 1, 0, 0, 1}, {3, 37, 4, 2, 5}, {2, 300, 32, 32, 64}, {1, 9, -1, 3, 2}}
	for _, s := range []Semiring{Real, Log, Max} {
		for _, dt := range dtypes {
			for _, sh := range shapes {
				t.Run(fmt.Sprintf("%v/%v/%v", s, dt, sh), func(t *testing.T) {
					g, cost, wrt := attnCUDAGraph(t, rng, s, dt, sh[0], sh[1], sh[4], sh[2], sh[3])
					if _, err := gorgonia.Grad(cost, wrt...); err != nil {
						t.Fatal(err)
					}
					vals, err := cudatest.CPUEval(g)
					if err != nil {
						t.Fatal(err)
					}
					var ops []gorgonia.Op
					var ins [][]gorgonia.Value
					var want []gorgonia.Value
					for _, n := range g.AllNodes() {
						op := n.Op()
						if !isBandop(op) {
							continue
						}
						if _, ok := op.(gorgonia.CUDADoer); !ok {
							t.Errorf("%v is not a gorgonia.CUDADoer", op)
							continue
						}
						var in []gorgonia.Value
						for _, c := range cudatest.Children(n) {
							in = append(in, vals[c])
						}
						ops, ins, want = append(ops, op), append(ins, in), append(want, vals[n])
					}
					got, err := cudatest.Apply(ops, ins)
					if err != nil {
						t.Fatalf("on the GPU: %v", err)
					}
					for k, op := range ops {
						if d := cudatest.Compare(got[k], want[k], gpuTol(dt)); d != "" {
							t.Errorf("%v: GPU and CPU differ: %s", op, d)
						}
					}
				})
			}
		}
	}
}

// BenchmarkCUDAAttention runs the banded half of BenchmarkAttention,
// BandMul → Softmax → MulDense forward and backward (float32, batch 4,
// d 64, window 32 either side), on GPU 0 through a TapeMachine: ns/op is
// one run of the graph, the copies of Q, K and V to the device included.
// The first run (module load, first allocations) is not timed.
func BenchmarkCUDAAttention(b *testing.B) {
	for _, n := range []int{1024, 4096} {
		b.Run(fmt.Sprintf("n%d", n), func(b *testing.B) {
			g := bandedAttention(b, n)
			defer g.m.Close()
			g.run(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				g.run(b)
			}
		})
	}
}
