package bandop

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The benchmark of sliding-window attention (issue 19): BandMul → Softmax
// → MulDense, forward and backward on a TapeMachine, against the dense
// Gorgonia equivalent (BatchedMatMul of Q and Kᵀ, an additive mask of
// −1e9 outside the window, SoftMax, BatchedMatMul with V), float32, batch 4
// (heads folded in), d = 64, window 32 either side. Both run in the same
// iteration, so the ratios compare like with like on a shared machine:
// x-dense is the dense time over the banded one, mem-ratio the dense bytes
// allocated over the banded ones; banded-B/op and dense-B/op are those
// bytes (Go heap allocations of one run, graph values included).
const (
	attnBatch = 4
	attnD     = 64
	attnBand  = 32
)

// attnGraph is one attention graph, its machine and the nodes to read.
type attnGraph struct {
	m   gorgonia.VM
	out *gorgonia.Node
}

func attnInputs(g *gorgonia.ExprGraph, n int) (q, k, v *gorgonia.Node) {
	rng := rand.New(rand.NewPCG(19, uint64(n)))
	mk := func(name string) *gorgonia.Node {
		x := make([]float32, attnBatch*n*attnD)
		for i := range x {
			x[i] = float32(rng.NormFloat64()) * 0.3
		}
		return gorgonia.NodeFromAny(g, tensor.New(tensor.WithShape(attnBatch, n, attnD), tensor.WithBacking(x)), gorgonia.WithName(name))
	}
	return mk("Q"), mk("K"), mk("V")
}

// bandedAttention builds softmax(band(Q·Kᵀ))·V with its gradients.
func bandedAttention(tb testing.TB, n int) attnGraph {
	g := gorgonia.NewGraph()
	q, k, v := attnInputs(g, n)
	s := must(BandMulNode(q, k, attnBand, attnBand))
	p := must(Softmax(s))
	out := must(MulDense(p, v, Real))
	cost := gorgonia.Must(gorgonia.Sum(out))
	if _, err := gorgonia.Grad(cost, q, k, v); err != nil {
		tb.Fatal(err)
	}
	return attnGraph{m: gorgonia.NewTapeMachine(g), out: out}
}

// denseAttention builds the same attention densely: the full (n, n) scores,
// masked.
func denseAttention(tb testing.TB, n int) attnGraph {
	g := gorgonia.NewGraph()
	q, k, v := attnInputs(g, n)
	mask := make([]float32, attnBatch*n*n)
	for b := 0; b < attnBatch; b++ {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if j-i < -attnBand || j-i > attnBand {
					mask[(b*n+i)*n+j] = -1e9
				}
			}
		}
	}
	mn := gorgonia.NewConstant(tensor.New(tensor.WithShape(attnBatch, n, n), tensor.WithBacking(mask)), gorgonia.WithName("mask"))
	s := gorgonia.Must(gorgonia.BatchedMatMul(q, k, false, true))
	s = gorgonia.Must(gorgonia.Add(s, mn))
	p := gorgonia.Must(gorgonia.SoftMax(s))
	out := gorgonia.Must(gorgonia.BatchedMatMul(p, v))
	cost := gorgonia.Must(gorgonia.Sum(out))
	if _, err := gorgonia.Grad(cost, q, k, v); err != nil {
		tb.Fatal(err)
	}
	return attnGraph{m: gorgonia.NewTapeMachine(g), out: out}
}

// run runs the graph once and returns its time and the bytes it allocated.
func (a attnGraph) run(tb testing.TB) (time.Duration, uint64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	if err := a.m.RunAll(); err != nil {
		tb.Fatal(err)
	}
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	a.m.Reset()
	return d, after.TotalAlloc - before.TotalAlloc
}

func BenchmarkAttention(b *testing.B) {
	for _, n := range []int{1024, 4096} {
		b.Run(fmt.Sprintf("n%d", n), func(b *testing.B) {
			banded, dense := bandedAttention(b, n), denseAttention(b, n)
			defer banded.m.Close()
			defer dense.m.Close()
			var tb, td time.Duration
			var mb, md uint64
			runtime.GC() // the garbage of building the dense graph (its mask)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d, m := banded.run(b)
				tb, mb = tb+d, mb+m
				runtime.GC() // the dense run's garbage is not the banded run's cost
				d, m = dense.run(b)
				td, md = td+d, md+m
				runtime.GC()
			}
			b.ReportMetric(float64(tb.Nanoseconds())/float64(b.N), "banded-ns/op")
			b.ReportMetric(float64(td.Nanoseconds())/float64(b.N), "dense-ns/op")
			b.ReportMetric(float64(td)/float64(tb), "x-dense")
			b.ReportMetric(float64(mb)/float64(b.N), "banded-B/op")
			b.ReportMetric(float64(md)/float64(b.N), "dense-B/op")
			b.ReportMetric(float64(md)/float64(mb), "mem-ratio")
		})
	}
}

// The two graphs of the benchmark compute the same attention: the dense
// one's mask leaves exactly the band, whose softmax is the same.
func TestAttentionBenchGraphsAgree(t *testing.T) {
	const n = 80
	banded, dense := bandedAttention(t, n), denseAttention(t, n)
	defer banded.m.Close()
	defer dense.m.Close()
	banded.run(t)
	dense.run(t)
	checkTensors(t, "banded attention", banded.out.Value(), dense.out.Value(), 1e-5)
	nonzero := 0
	for _, x := range floats(banded.out.Value().(*tensor.Dense)) {
		if x != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Error("the attention is all 0: the comparison is vacuous")
	}
}

// BenchmarkAttentionBanded is the banded half of BenchmarkAttention alone,
// for profiles.
func BenchmarkAttentionBanded(b *testing.B) {
	for _, n := range []int{1024, 4096} {
		b.Run(fmt.Sprintf("n%d", n), func(b *testing.B) {
			banded := bandedAttention(b, n)
			defer banded.m.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				banded.run(b)
			}
		})
	}
}
