//go:build cuda

package align

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/genband/genband/internal/cudatest"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The shape of BenchmarkCUDAAlignMarginals: 128 alignments of 900 × 900,
// float32 potentials, the Log semiring, global. θ and the marginals take
// 1.2 GB each, the float64 α and its gradient 0.8 GB each.
const (
	alignBenchBatch = 128
	alignBenchN     = 900
	alignBenchM     = 900
	alignBenchCPU   = 2 // items checked against the CPU
)

// alignBenchInput holds the potentials, the lengths and the CPU's log Z
// and marginals of the first alignBenchCPU items, made once per process
// (the framework calls a benchmark more than once).
type alignBenchInput struct {
	theta, lengths *tensor.Dense
	lenX, lenY     []int
	cpuZ, cpuMarg  []float64     // items [0, alignBenchCPU)
	cpu            time.Duration // their forward and backward on the CPU
	err            error
}

var (
	alignBenchOnce sync.Once
	alignBenchIn   alignBenchInput
)

func newAlignBenchInput(tb testing.TB) (in alignBenchInput) {
	rng := rand.New(rand.NewPCG(5, 6))
	const batch, n, m = alignBenchBatch, alignBenchN, alignBenchM
	th := make([]float32, batch*n*m*3)
	for i := range th {
		th[i] = 2*rng.Float32() - 1
	}
	in.lenX, in.lenY = make([]int, batch), make([]int, batch)
	for b := range batch {
		in.lenX[b], in.lenY[b] = n, m
		if b > 0 { // ragged, NaN past the lengths
			in.lenX[b], in.lenY[b] = n-rng.IntN(100), m-rng.IntN(100)
		}
		for i := range n {
			for j := range m {
				if i >= in.lenX[b] || j >= in.lenY[b] {
					for c := range 3 {
						th[((b*n+i)*m+j)*3+c] = float32(math.NaN())
					}
				}
			}
		}
	}
	in.theta = tensor.New(tensor.WithShape(batch, n, m, 3), tensor.WithBacking(th))
	if in.lengths, in.err = Lengths(in.lenX, in.lenY); in.err != nil {
		return
	}
	// The first items on the CPU, each Op's Do (a TapeMachine would run
	// them on the GPU under the cuda tag).
	k := alignBenchCPU
	sl := tensor.New(tensor.WithShape(k, n, m, 3), tensor.WithBacking(append([]float32(nil), th[:k*n*m*3]...)))
	lv, _ := Lengths(in.lenX[:k], in.lenY[:k])
	c := newCUDAAlignGraph(tb, Model{Semiring: Log}, sl, lv, tensor.Float64)
	start := time.Now()
	vals, err := cudatest.CPUEval(c.g)
	if err != nil {
		tb.Fatal(err)
	}
	in.cpu = time.Since(start)
	in.cpuZ, in.cpuMarg = float64s(vals[c.z]), float64s(vals[c.grad])
	return
}

// BenchmarkCUDAAlignMarginals runs the graph of a Program (θ and the
// lengths as inputs, log Z in float64, the marginals by gorgonia.Grad of
// Σ log Z, both read back) for 128 global Log alignments of 900 × 900 with
// float32 potentials (ragged lengths from 801 to 900, NaN past them) on
// GPU 0 through one TapeMachine, built once, and reports per run: the time
// of the genband kernels (kernel-ms: from each launch to the end of its
// synchronisation, the queued copies of the inputs done first) split into
// the cells' forward and backward (cells-fwd-ms, cells-bwd-ms) and the
// ends and their gradient (end-ms), and the number of kernel launches
// (launches: 4, one per Op: align_cells_fwd, align_end_fwd, align_end_bwd,
// align_cells_bwd). ns/op is the whole run, with the TapeMachine's copies
// of θ to the device and of log Z and the marginals (1.2 GB each way) back.
// It checks every item's marginals (each in [0, 1], the start move (0, 0)
// and the moves into the end cell summing to 1) and log Z and the
// marginals of the first two items against the CPU (each Op's Do). Needs a
// GPU with about 15 GB of memory (Gorgonia reserves 2.5 times what the
// graph's values take); build/gpu/run.sh runs it with the other
// BenchmarkCUDA* benchmarks; by hand:
//
//	go test -tags cuda -modfile build/go.cuda.mod -run '^$' -bench CUDAAlignMarginals -benchtime 5x ./align
func BenchmarkCUDAAlignMarginals(b *testing.B) {
	b.StopTimer()
	alignBenchOnce.Do(func() { alignBenchIn = newAlignBenchInput(b) })
	in := alignBenchIn
	if in.err != nil {
		b.Fatal(in.err)
	}
	c := newCUDAAlignGraph(b, Model{Semiring: Log}, in.theta, in.lengths, tensor.Float64)
	var gotZ, gotGrad gorgonia.Value
	gorgonia.Read(c.z, &gotZ)
	gorgonia.Read(c.grad, &gotGrad)
	vm := gorgonia.NewTapeMachine(c.g)
	defer vm.Close()

	tally, stop := cudatest.CountLaunches("align_cells_fwd", "align_cells_bwd", "align_end")
	defer stop()

	b.StartTimer()
	for i := 0; i < b.N; i++ {
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		if i < b.N-1 {
			vm.Reset()
		}
	}
	b.StopTimer()
	if gotZ == nil || gotGrad == nil {
		b.Fatal("log Z or the marginals were not read back")
	}
	alignBenchCheck(b, in, float64s(gotZ), gotGrad.Data().([]float32))
	runs := float64(b.N)
	ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 / runs }
	kernel, cellsFwd, cellsBwd, end := tally.Total, tally.Of("align_cells_fwd"), tally.Of("align_cells_bwd"), tally.Of("align_end")
	launches := tally.N
	b.ReportMetric(ms(kernel), "kernel-ms")
	b.ReportMetric(ms(cellsFwd), "cells-fwd-ms")
	b.ReportMetric(ms(cellsBwd), "cells-bwd-ms")
	b.ReportMetric(ms(end), "end-ms")
	b.ReportMetric(float64(launches)/runs, "launches")
	b.Logf("%d global Log alignments of %d×%d, float32: kernels %.1f ms a run (cells forward %.1f, backward %.1f, ends %.1f), %.0f launches; CPU (each Op's Do) %.0f ms for %d items",
		alignBenchBatch, alignBenchN, alignBenchM, ms(kernel), ms(cellsFwd), ms(cellsBwd), ms(end),
		float64(launches)/runs, in.cpu.Seconds()*1e3, alignBenchCPU)
}

// alignBenchCheck checks the GPU's log Z and marginals: every item's
// marginals in [0, 1], its start move and the moves into its end cell each
// summing to 1, log Z finite, and the first items equal to the CPU's.
func alignBenchCheck(b *testing.B, in alignBenchInput, z []float64, marg []float32) {
	const n, m = alignBenchN, alignBenchM
	for k, x := range marg {
		if !(x >= -1e-4 && x <= 1+1e-4) {
			b.Fatalf("marginal %d = %v, outside [0, 1]", k, x)
		}
	}
	at := func(bb, i, j, c int) float64 { return float64(marg[((bb*n+i)*m+j)*3+c]) }
	for bb := range alignBenchBatch {
		if math.IsNaN(z[bb]) || math.IsInf(z[bb], 0) {
			b.Fatalf("item %d: log Z = %v", bb, z[bb])
		}
		lx, ly := in.lenX[bb], in.lenY[bb]
		endSum := at(bb, lx-1, ly-1, FromLeft) + at(bb, lx-1, ly-1, FromDiag) + at(bb, lx-1, ly-1, FromAbove)
		if math.Abs(endSum-1) > 1e-3 || math.Abs(at(bb, 0, 0, FromDiag)-1) > 1e-4 {
			b.Fatalf("item %d: the moves into the end cell sum to %v, the start has %v; want 1", bb, endSum, at(bb, 0, 0, FromDiag))
		}
	}
	for bb := range alignBenchCPU {
		if math.Abs(z[bb]-in.cpuZ[bb]) > 1e-9*math.Max(1, math.Abs(in.cpuZ[bb])) {
			b.Fatalf("item %d: log Z on the GPU %v, on the CPU %v", bb, z[bb], in.cpuZ[bb])
		}
	}
	for k, w := range in.cpuMarg {
		if g := float64(marg[k]); !(math.Abs(g-w) <= 1e-4) && !(math.IsNaN(g) && math.IsNaN(w)) {
			b.Fatalf("marginal %d: GPU %v, CPU %v", k, g, w)
		}
	}
}

// BenchmarkCUDACellsGradScratch measures what keeping the cells' gradients
// in scratch device memory costs against shared memory, on the shape of
// BenchmarkCUDAAlignMarginals (which fits in shared memory, so that both
// ways run): each iteration runs the graph of log Z and the marginals
// twice in one TapeMachine, align_cells_bwd in shared memory and then in
// scratch memory (cellsGradScratch), and reports the kernel's time of each
// (shared-ms, scratch-ms: from the launch to the end of its
// synchronisation) and their ratio (scratch/shared). It fails unless the
// two runs give the same marginals, bit for bit. By hand:
//
//	go test -tags cuda -modfile build/go.cuda.mod -run '^$' -bench CUDACellsGradScratch -benchtime 3x ./align
func BenchmarkCUDACellsGradScratch(b *testing.B) {
	b.StopTimer()
	alignBenchOnce.Do(func() { alignBenchIn = newAlignBenchInput(b) })
	in := alignBenchIn
	if in.err != nil {
		b.Fatal(in.err)
	}
	c := newCUDAAlignGraph(b, Model{Semiring: Log}, in.theta, in.lengths, tensor.Float64)
	var gotGrad gorgonia.Value
	gorgonia.Read(c.grad, &gotGrad)
	vm := gorgonia.NewTapeMachine(c.g)
	defer vm.Close()
	tally, stop := cudatest.CountLaunches("align_cells_bwd")
	defer stop()
	defer func() { cellsGradScratch = false }()

	var took [2]time.Duration // shared, scratch
	var marg [2][]float32
	b.StartTimer()
	for i := 0; i < b.N; i++ {
		for k, scratch := range []bool{false, true} {
			cellsGradScratch = scratch
			before := tally.Of("align_cells_bwd")
			vm.Reset()
			if err := vm.RunAll(); err != nil {
				b.Fatal(err)
			}
			took[k] += tally.Of("align_cells_bwd") - before
			if gotGrad == nil {
				b.Fatal("the marginals were not read back")
			}
			// A copy: the machine may write the next run's marginals into the same memory.
			marg[k] = slices.Clone(gotGrad.Data().([]float32))
		}
		for e, x := range marg[0] {
			if y := marg[1][e]; math.Float32bits(x) != math.Float32bits(y) && !(x != x && y != y) {
				b.Fatalf("marginal %d: %v with the gradients in scratch memory, %v in shared memory", e, y, x)
			}
		}
	}
	b.StopTimer()
	runs := float64(b.N)
	ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 / runs }
	b.ReportMetric(ms(took[0]), "shared-ms")
	b.ReportMetric(ms(took[1]), "scratch-ms")
	b.ReportMetric(took[1].Seconds()/took[0].Seconds(), "scratch/shared")
}
