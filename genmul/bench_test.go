package genmul

import (
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The benchmarks of issue 11, each reporting ratios against a peer measured
// in the same run (see BENCHMARKS.md, section genmul):
//
//	go test -run '^$' -bench 'LogMatMul' -benchtime 1x ./genmul
//
// BenchmarkLogMatMulCPU: LogMatMul float32 at (8, 512, 512, 512), ns per
// inner term on one core against bandop's Log Mul on one core, and two
// cores against one. BenchmarkLogMatMulGraph: forward + backward of
// LogMatMul at (8, 128, 128, 128) on a TapeMachine against the same
// product composed of Gorgonia ops, time and memory.

func randTensor32(rng *rand.Rand, shape ...int) *tensor.Dense {
	t := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
	for i, d := 0, t.Data().([]float32); i < len(d); i++ {
		d[i] = rng.Float32()
	}
	return t
}

// bestOf returns the fastest of reps runs of f, in seconds.
func bestOf(reps int, f func()) float64 {
	best := math.Inf(1)
	for range reps {
		start := time.Now()
		f()
		best = min(best, time.Since(start).Seconds())
	}
	return best
}

// bandTerms counts the inner terms of bandop's Mul of two n×n bands (l, u):
// the (i, k, j) with A[i,k] and B[k,j] both in band.
func bandTerms(batch, n, l, u int) int {
	t := 0
	for i := 0; i < n; i++ {
		for k := max(0, i-l); k <= min(n-1, i+u); k++ {
			t += min(n-1, k+u) - max(0, k-l) + 1
		}
	}
	return batch * t
}

// BenchmarkLogMatMulCPU times the eager LogMatMul, float32, batch 8,
// n = k = m = 512 (2^30 inner terms), and reports:
//
//   - ns/term: one-core time per inner term (the fastest of the alternating
//     runs below);
//   - bandop-ns/term: bandop's Log Mul per inner term on one core, at the
//     shape of its own benchmark (batch 8, n = 1024, bands 16/16 × 16/16),
//     the fastest of three runs;
//   - x-bandop: the ratio of the two (target ≤ 1.2);
//   - x-1cpu: the one-core time over the two-core time, the fastest of each
//     from three pairs of runs alternating GOMAXPROCS 1 and 2 (target ≥ 1.8;
//     other work on the machine slows single runs, and alternating spreads
//     it over both sides);
//   - bwd-ns/term: LogMatMulGrad per inner term and gradient on two cores
//     (a forward and the gradients with respect to A and B), for the record.
func BenchmarkLogMatMulCPU(b *testing.B) {
	const batch, n, k, m = 8, 512, 512, 512
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rng := rand.New(rand.NewPCG(1, 2))
	a, bb := randTensor32(rng, batch, n, k), randTensor32(rng, batch, k, m)
	terms := float64(batch * n * k * m)
	run := func() {
		if _, err := LogMatMul(a, bb); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		run()
	}
	b.StopTimer()

	ba, err := bandop.Random(rng, tensor.Float32, 8, 1024, 16, 16, math.Inf(-1))
	if err != nil {
		b.Fatal(err)
	}
	bb2, err := bandop.Random(rng, tensor.Float32, 8, 1024, 16, 16, math.Inf(-1))
	if err != nil {
		b.Fatal(err)
	}
	runtime.GOMAXPROCS(1)
	bandNs := bestOf(3, func() {
		if _, err := ba.Mul(bb2, bandop.Log); err != nil {
			b.Fatal(err)
		}
	}) * 1e9 / float64(bandTerms(8, 1024, 16, 16))

	best := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
	for range 3 {
		for _, p := range []int{1, 2} {
			runtime.GOMAXPROCS(p)
			best[p] = min(best[p], bestOf(1, run))
		}
	}
	ns := best[1] * 1e9 / terms

	runtime.GOMAXPROCS(2)
	dc := randTensor32(rng, batch, n, m)
	bwd := bestOf(1, func() {
		if _, _, err := LogMatMulGrad(a, bb, dc); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(ns, "ns/term")
	b.ReportMetric(bandNs, "bandop-ns/term")
	b.ReportMetric(ns/bandNs, "x-bandop")
	b.ReportMetric(best[1]/best[2], "x-1cpu")
	b.ReportMetric(bwd*1e9/(2*terms), "bwd-ns/term")
	b.Logf("LogMatMul f32 (8,512,512,512): 1 core %.2f s (%.3f ns/term), 2 cores %.2f s; bandop Log Mul %.3f ns/term; backward (2 cores) %.2f s",
		best[1], ns, best[2], bandNs, bwd)
}

// heapSampler records the peak of the heap's object bytes, read from
// runtime/metrics every 100 µs while it runs.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), peak: heapBytes()}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		t := time.NewTicker(100 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				h.peak = max(h.peak, heapBytes())
				return
			case <-t.C:
				h.peak = max(h.peak, heapBytes())
			}
		}
	}()
	return h
}

func (h *heapSampler) finish() uint64 {
	close(h.stop)
	h.done.Wait()
	return h.peak
}

// memRun runs f once from a collected heap and returns the bytes it
// allocated (TotalAlloc) and the peak of the heap's object bytes above the
// starting heap.
func memRun(f func()) (alloc, peak float64) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, total := ms.HeapAlloc, ms.TotalAlloc
	h := startHeapSampler()
	f()
	p := h.finish()
	runtime.ReadMemStats(&ms)
	return float64(ms.TotalAlloc - total), float64(p) - float64(base)
}

// logGraph is a forward + backward graph of a log-semiring product on a
// TapeMachine: cost = Σ C, gradients with respect to A and B.
type logGraph struct {
	m        gorgonia.VM
	c        *gorgonia.Node
	da, db   *gorgonia.Node
	runError error
}

// run resets the machine and runs the graph: after it the machine holds
// the values of this run.
func (g *logGraph) run() {
	g.m.Reset()
	g.runError = g.m.RunAll()
}

// newLogGraph builds the graph with genmul's LogMatMulNode (composed
// false) or with Gorgonia's own ops (composed true): A transposed and
// reshaped to (1, n, batch, k) plus B transposed and reshaped to
// (m, 1, batch, k) by broadcasting, then a log-sum-exp over k (its maximum,
// the difference, exp, sum, log, plus the maximum) and a transpose to
// (batch, n, m): the batch·n·m·k terms and their gradients are tensors of
// the graph.
func newLogGraph(a, b *tensor.Dense, composed bool) (*logGraph, error) {
	s := a.Shape()
	batch, n, k, m := s[0], s[1], s[2], b.Shape()[2]
	g := gorgonia.NewGraph()
	var na, nb, c *gorgonia.Node
	var err error
	if !composed {
		na = gorgonia.NodeFromAny(g, a.Clone(), gorgonia.WithName("A"))
		nb = gorgonia.NodeFromAny(g, b.Clone(), gorgonia.WithName("B"))
		if c, err = LogMatMulNode(na, nb); err != nil {
			return nil, err
		}
	} else {
		// The terms are laid out (m, n, batch, k): Gorgonia v0.9.18
		// differentiates a broadcast along axis 0 or 1 of a 4-d tensor
		// right but not one along axis 2 (its gradient mixes the rows), and
		// its Max along a middle axis mixes rows too; along the last it is
		// right.
		na = gorgonia.NodeFromAny(g, a.Clone(), gorgonia.WithName("A"))
		nb = gorgonia.NodeFromAny(g, b.Clone(), gorgonia.WithName("B"))
		at, err := gorgonia.Transpose(na, 1, 0, 2) // (n, batch, k)
		if err != nil {
			return nil, err
		}
		a4, err := gorgonia.Reshape(at, tensor.Shape{1, n, batch, k})
		if err != nil {
			return nil, err
		}
		bt, err := gorgonia.Transpose(nb, 2, 0, 1) // (m, batch, k)
		if err != nil {
			return nil, err
		}
		b4, err := gorgonia.Reshape(bt, tensor.Shape{m, 1, batch, k})
		if err != nil {
			return nil, err
		}
		x, err := gorgonia.BroadcastAdd(a4, b4, []byte{0}, []byte{1})
		if err != nil {
			return nil, err
		}
		mx, err := gorgonia.Max(x, 3)
		if err != nil {
			return nil, err
		}
		mx4, err := gorgonia.Reshape(mx, tensor.Shape{m, n, batch, 1})
		if err != nil {
			return nil, err
		}
		sh, err := gorgonia.BroadcastSub(x, mx4, nil, []byte{3})
		if err != nil {
			return nil, err
		}
		e, err := gorgonia.Exp(sh)
		if err != nil {
			return nil, err
		}
		sum, err := gorgonia.Sum(e, 3)
		if err != nil {
			return nil, err
		}
		l, err := gorgonia.Log(sum)
		if err != nil {
			return nil, err
		}
		ct, err := gorgonia.Add(l, mx) // (m, n, batch)
		if err != nil {
			return nil, err
		}
		if c, err = gorgonia.Transpose(ct, 2, 1, 0); err != nil {
			return nil, err
		}
	}
	cost, err := gorgonia.Sum(c)
	if err != nil {
		return nil, err
	}
	gs, err := gorgonia.Grad(cost, na, nb)
	if err != nil {
		return nil, err
	}
	return &logGraph{m: gorgonia.NewTapeMachine(g), c: c, da: gs[0], db: gs[1]}, nil
}

// BenchmarkLogMatMulGraph times forward + backward of LogMatMul, float32,
// batch 8, n = k = m = 128, on a TapeMachine (cost Σ C, gradients with
// respect to A and B), against the same product composed of Gorgonia ops
// (newLogGraph), both on every core, after checking that the two agree.
// It reports the speed ratio (x-gorgonia, target ≥ 10) and, for the first
// run of a fresh machine of each (graph built, inputs bound, heap
// collected), the peak of the heap's object bytes above the starting heap,
// sampled every 100 µs (peak-MB and gorgonia-peak-MB, ratio x-mem, target
// ≥ 20), and the bytes the run allocated (alloc-MB, gorgonia-alloc-MB).
func BenchmarkLogMatMulGraph(b *testing.B) {
	const batch, n, k, m = 8, 128, 128, 128
	rng := rand.New(rand.NewPCG(3, 4))
	a, bb := randTensor32(rng, batch, n, k), randTensor32(rng, batch, k, m)
	ours, err := newLogGraph(a, bb, false)
	if err != nil {
		b.Fatal(err)
	}
	defer ours.m.Close()
	peer, err := newLogGraph(a, bb, true)
	if err != nil {
		b.Fatal(err)
	}
	defer peer.m.Close()

	// Both compute the same values and gradients.
	for _, g := range []*logGraph{ours, peer} {
		if err := g.m.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
	for _, pair := range [][2]*gorgonia.Node{{ours.c, peer.c}, {ours.da, peer.da}, {ours.db, peer.db}} {
		x := pair[0].Value().Data().([]float32)
		y := pair[1].Value().Data().([]float32)
		for i := range x {
			if math.Abs(float64(x[i]-y[i])) > 1e-4*math.Max(1, math.Abs(float64(y[i]))) {
				b.Fatalf("%v[%d]: genmul %v, Gorgonia ops %v", pair[0], i, x[i], y[i])
			}
		}
	}
	for b.Loop() {
		if ours.run(); ours.runError != nil {
			b.Fatal(ours.runError)
		}
	}
	b.StopTimer()
	secs := b.Elapsed().Seconds() / float64(b.N)
	peerSecs := bestOf(2, peer.run)
	if peer.runError != nil {
		b.Fatal(peer.runError)
	}
	// Memory: the first run of a fresh machine, which allocates every
	// value the graph holds.
	mem := func(composed bool) (alloc, peak float64) {
		g, err := newLogGraph(a, bb, composed)
		if err != nil {
			b.Fatal(err)
		}
		defer g.m.Close()
		alloc, peak = memRun(g.run)
		if g.runError != nil {
			b.Fatal(g.runError)
		}
		return alloc, peak
	}
	alloc, peak := mem(false)
	pAlloc, pPeak := mem(true)
	const mb = 1 << 20
	b.ReportMetric(peerSecs/secs, "x-gorgonia")
	b.ReportMetric(peak/mb, "peak-MB")
	b.ReportMetric(pPeak/mb, "gorgonia-peak-MB")
	b.ReportMetric(pPeak/peak, "x-mem")
	b.ReportMetric(alloc/mb, "alloc-MB")
	b.ReportMetric(pAlloc/mb, "gorgonia-alloc-MB")
	b.Logf("forward + backward (8,128,128,128) f32: genmul %.1f ms, Gorgonia ops %.0f ms (%.1f×); first run of a fresh machine: peak heap %.1f MB vs %.0f MB (%.0f×), allocated %.1f MB vs %.0f MB",
		secs*1e3, peerSecs*1e3, peerSecs/secs, peak/mb, pPeak/mb, pPeak/peak, alloc/mb, pAlloc/mb)
}
