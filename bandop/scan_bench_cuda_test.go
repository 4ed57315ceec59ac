//go:build cuda

package bandop

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/genband/genband/internal/cudatest"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The alignment-like scan of BenchmarkCUDAScanLog: 128 items (a batch of
// alignments), states of 1799 offsets, 1800 anti-diagonal steps, tridiagonal
// step matrices, float32. A holds 230400 matrices (about 5 GB).
const (
	scanBenchItems = 128
	scanBenchN     = 1799
	scanBenchSteps = 1800
)

// scanBenchInput holds the operands and the CPU's cost, made once per
// process (the framework calls a benchmark more than once).
type scanBenchInput struct {
	a    *Banded
	v0   *tensor.Dense
	last []float32     // v_T on the CPU
	cpu  time.Duration // the CPU forward scan
	err  error
}

var (
	scanBenchOnce sync.Once
	scanBenchIn   scanBenchInput
)

func newScanBenchInput() (in scanBenchInput) {
	rng := rand.New(rand.NewPCG(3, 4))
	if in.a, in.err = Random(rng, tensor.Float32, scanBenchSteps*scanBenchItems, scanBenchN, 1, 1, math.Inf(-1)); in.err != nil {
		return
	}
	// Every path starts at offset 0, as an alignment's does.
	v := make([]float32, scanBenchItems*scanBenchN)
	for i := range v {
		v[i] = float32(math.Inf(-1))
		if i%scanBenchN == 0 {
			v[i] = 0
		}
	}
	in.v0 = tensor.New(tensor.WithShape(scanBenchItems, scanBenchN), tensor.WithBacking(v))
	start := time.Now()
	last, err := in.a.Scan(in.v0, Log, nil)
	in.cpu = time.Since(start)
	if in.err = err; err != nil {
		return
	}
	in.last = last.Data().([]float32)
	return
}

// BenchmarkCUDAScanLog runs a log-semiring Scan of the alignment's shape
// (scanBench*: 128 items, n 1799, 1800 steps, band (1, 1), float32; v0 a
// constant, as in package align) forward and backward (the gradient with
// respect to A) on GPU 0 through a Gorgonia TapeMachine, and reports per
// run of the graph: the time of the scan's kernels (kernel-ms: from each
// launch to the end of its synchronisation, the queued copies of the
// inputs done first), that of the forward and of the backward scan
// (fwd-ms, bwd-ms; the whole scan is one launch each), the number of
// kernel launches (launches), and the ratio of the CPU's forward scan,
// measured in the same process, to the GPU's (fwd-x-vs-cpu). v_T is
// checked against the CPU's. ns/op is the whole run, with the TapeMachine's
// copies of A (5 GB) to the device. Needs a GPU with about 45 GB of memory
// (Gorgonia reserves 2.5 times what the graph's values take) and a host
// with about 16 GB; build/gpu/run.sh runs it with the other
// BenchmarkCUDA* benchmarks; by hand:
//
//	go test -tags cuda -modfile build/go.cuda.mod -run '^$' -bench CUDAScanLog -benchtime 3x ./bandop
func BenchmarkCUDAScanLog(b *testing.B) {
	b.StopTimer()
	scanBenchOnce.Do(func() { scanBenchIn = newScanBenchInput() })
	in := scanBenchIn
	if in.err != nil {
		b.Fatal(in.err)
	}
	g := gorgonia.NewGraph()
	a, err := NewNode(g, in.a, "A")
	if err != nil {
		b.Fatal(err)
	}
	v0 := gorgonia.NewConstant(in.v0, gorgonia.WithName("v0"))
	last, err := Scan(v0, a, Log, nil)
	if err != nil {
		b.Fatal(err)
	}
	cost := gorgonia.Must(gorgonia.Sum(last))
	if _, err := gorgonia.Grad(cost, a.Node); err != nil {
		b.Fatal(err)
	}
	var gotLast gorgonia.Value
	gorgonia.Read(last, &gotLast)
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()

	tally, stop := cudatest.CountLaunches("scan_fwd", "scan_bwd")
	defer stop()

	b.StartTimer()
	for i := 0; i < b.N; i++ {
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
		if i < b.N-1 {
			m.Reset()
		}
	}
	b.StopTimer()
	if gotLast == nil {
		b.Fatal("v_T was not read back")
	}
	for i, x := range gotLast.Data().([]float32) {
		g, w := float64(x), float64(in.last[i])
		if g != w && !(math.Abs(g-w) <= 1e-5*math.Max(1, math.Abs(w))) {
			b.Fatalf("v_T element %d: GPU %v, CPU %v", i, g, w)
		}
	}
	runs := float64(b.N)
	kernel, fwd, bwd, launches := tally.Total, tally.Of("scan_fwd"), tally.Of("scan_bwd"), tally.N
	b.ReportMetric(kernel.Seconds()*1e3/runs, "kernel-ms")
	b.ReportMetric(fwd.Seconds()*1e3/runs, "fwd-ms")
	b.ReportMetric(bwd.Seconds()*1e3/runs, "bwd-ms")
	b.ReportMetric(float64(launches)/runs, "launches")
	if fwd > 0 {
		b.ReportMetric(in.cpu.Seconds()*runs/fwd.Seconds(), "fwd-x-vs-cpu")
	}
	b.Logf("scan %d items × n %d × %d steps, band (1,1), float32 Log: kernels %.1f ms a run (forward %.1f, backward %.1f), %.0f launches; CPU forward %.0f ms",
		scanBenchItems, scanBenchN, scanBenchSteps, kernel.Seconds()*1e3/runs, fwd.Seconds()*1e3/runs, bwd.Seconds()*1e3/runs,
		float64(launches)/runs, in.cpu.Seconds()*1e3)
}
