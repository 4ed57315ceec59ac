package attention

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The benchmarks of issue 19 item 6: a sliding-window attention layer,
// forward and backward on a TapeMachine, float32, batch·heads 4, d 64,
// lower = upper = 32, at n = 1024, 4096 and 16384: Banded against dense
// Gorgonia attention (BatchedMatMul of q and kᵀ, scale, band mask, SoftMax,
// BatchedMatMul with v) measured in the same run. Metrics:
//
//   - peak-MB: the most heap the run held above the graph as built (inputs
//     bound), sampled every 100 µs during one run (runtime/metrics heap
//     objects, garbage not yet collected included);
//   - x-dense: the dense run's wall time over Banded's;
//   - x-dense-mem: the dense run's peak-MB over Banded's;
//   - B/op, allocs/op: bytes and objects Banded's run allocates.
const (
	benchBatch = 4
	benchD     = 64
	benchBand  = 32
)

// benchGraph is one built graph of the benchmark and its machine.
type benchGraph struct {
	m gorgonia.VM
}

func (g benchGraph) run(b *testing.B) {
	g.m.Reset()
	if err := g.m.RunAll(); err != nil {
		b.Fatal(err)
	}
}

// buildBench builds the cost Σ w·attention(q, k, v) and its gradient with
// respect to q, k and v, fused (Banded) or dense, on random float32 values.
func buildBench(b *testing.B, n int, dense bool) benchGraph {
	rng := rand.New(rand.NewPCG(uint64(n), 19))
	g := gorgonia.NewGraph()
	sh := tensor.Shape{benchBatch, n, benchD}
	var in []*gorgonia.Node
	for i := range 4 {
		x := make([]float32, sh.TotalSize())
		for j := range x {
			x[j] = float32(2*rng.Float64() - 1)
		}
		in = append(in, gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(sh...),
			gorgonia.WithValue(tensor.New(tensor.WithShape(sh...), tensor.WithBacking(x))), gorgonia.WithName(fmt.Sprint("in", i))))
	}
	scale := 1 / 8.0 // 1/√d
	var out *gorgonia.Node
	var err error
	if dense {
		out, err = denseAttention(in[0], in[1], in[2], n, benchBand, benchBand, scale)
	} else {
		out, err = Banded(in[0], in[1], in[2], benchBand, benchBand, scale)
	}
	if err != nil {
		b.Fatal(err)
	}
	prod, err := gorgonia.HadamardProd(out, in[3])
	if err != nil {
		b.Fatal(err)
	}
	cost, err := gorgonia.Sum(prod)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := gorgonia.Grad(cost, in[:3]...); err != nil {
		b.Fatal(err)
	}
	return benchGraph{m: gorgonia.NewTapeMachine(g)}
}

// denseAttention is the dense peer: the (batch, n, n) scores of every pair,
// a mask of −1e9 outside the band added, Gorgonia's SoftMax over the keys,
// and the product with v.
func denseAttention(q, k, v *gorgonia.Node, n, lower, upper int, scale float64) (*gorgonia.Node, error) {
	g := q.Graph()
	mask := make([]float32, n*n)
	for i := range n {
		for j := range n {
			if j-i < -lower || j-i > upper {
				mask[i*n+j] = -1e9
			}
		}
	}
	mk := gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(1, n, n), gorgonia.WithName("mask"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(1, n, n), tensor.WithBacking(mask))))
	s, err := gorgonia.BatchedMatMul(q, k, false, true)
	if err != nil {
		return nil, err
	}
	if s, err = gorgonia.Mul(s, gorgonia.NewConstant(float32(scale))); err != nil {
		return nil, err
	}
	if s, err = gorgonia.BroadcastAdd(s, mk, nil, []byte{0}); err != nil {
		return nil, err
	}
	p, err := gorgonia.SoftMax(s, 2)
	if err != nil {
		return nil, err
	}
	return gorgonia.BatchedMatMul(p, v)
}

// peakBytes runs g once and returns the most heap it held above what it
// held before, sampled every 100 µs.
func peakBytes(b *testing.B, g benchGraph) float64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	peak := base
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-time.After(100 * time.Microsecond):
			}
		}
	}()
	g.run(b)
	close(done)
	wg.Wait()
	return float64(peak - base)
}

// denseFigures caches the dense peer's seconds per run and peak bytes for
// each n, measured once per process.
var denseFigures = map[int][2]float64{}

func BenchmarkAttention(b *testing.B) {
	for _, n := range []int{1024, 4096, 16384} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			// The dense peer holds about ten (batch, n, n) float32 values.
			denseBytes := 10 * 4 * float64(benchBatch) * float64(n) * float64(n)
			fig, measured := denseFigures[n]
			if !measured && denseBytes <= 8<<30 {
				g := buildBench(b, n, true)
				peak := peakBytes(b, g)
				best := 0.0
				for r := range 2 {
					start := time.Now()
					g.run(b)
					if t := time.Since(start).Seconds(); r == 0 || t < best {
						best = t
					}
				}
				g.m.Close()
				fig = [2]float64{best, peak}
				denseFigures[n], measured = fig, true
				runtime.GC()
			}
			if !measured {
				b.Logf("n = %d: dense attention not run, it would need about %.0f GiB", n, denseBytes/(1<<30))
			}
			g := buildBench(b, n, false)
			defer g.m.Close()
			peak := peakBytes(b, g)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				g.run(b)
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(peak/1e6, "peak-MB")
			if measured {
				b.ReportMetric(fig[1]/1e6, "dense-peak-MB")
				b.ReportMetric(fig[0]/sec, "x-dense")
				b.ReportMetric(fig[1]/peak, "x-dense-mem")
			}
		})
	}
}
