//go:build cuda

package cudaops_test

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/cudaops"
	"gorgonia.org/tensor"
)

// sfuPeakH100 is the H100's special-function (exp) throughput, the
// reference of the exp-peak-frac metric: about 3.9e12 exp/s.
const sfuPeakH100 = 3.9e12

// mulLogInput holds the benchmark's operands and the CPU product.
type mulLogInput struct {
	a, b, want *bandop.Banded
	cpu        float64 // seconds of the CPU Mul
	err        error
}

var (
	mulLogOnce sync.Once
	mulLogIn   mulLogInput
)

func newMulLogInput(batch, n, lo, up int) (in mulLogInput) {
	rng := rand.New(rand.NewPCG(1, 2))
	if in.a, in.err = bandop.Random(rng, tensor.Float32, batch, n, lo, up, math.Inf(-1)); in.err != nil {
		return
	}
	if in.b, in.err = bandop.Random(rng, tensor.Float32, batch, n, lo, up, math.Inf(-1)); in.err != nil {
		return
	}
	start := time.Now()
	in.want, in.err = in.a.Mul(in.b, bandop.Log)
	in.cpu = time.Since(start).Seconds()
	return
}

// BenchmarkCUDAMulLog times the log-semiring Mul forward kernel in float32 at
// batch 64, n = 4096, bands 64/64 × 64/64 on GPU 0 with CUDA events, and
// reports: the kernel time (kernel-ms), the exps it computes per second
// (one per inner term) as a fraction of the H100's special-function peak
// (exp-peak-frac), and how many times faster it is than bandop's CPU Mul
// on the same operands, measured in the same run (x-vs-cpu). It also
// checks the GPU result against the CPU's, so a fast wrong kernel does not
// report. Needs a GPU; run it with -benchtime 1x (the CPU product takes
// seconds; the operands and the CPU product are made once per process, as
// the framework calls a benchmark more than once). build/gpu/run.sh runs it
// with the other BenchmarkCUDA* benchmarks; by hand:
//
//	go test -tags cuda -modfile build/go.cuda.mod -run '^$' -bench CUDAMulLog -benchtime 1x ./cudaops
func BenchmarkCUDAMulLog(b *testing.B) {
	const batch, n, lo, up = 64, 4096, 64, 64
	b.StopTimer()
	d, err := cudaops.OpenDevice(0)
	if err != nil {
		b.Fatalf("opening GPU 0: %v", err)
	}
	defer d.Close()
	mulLogOnce.Do(func() { mulLogIn = newMulLogInput(batch, n, lo, up) })
	in := mulLogIn
	if in.err != nil {
		b.Fatal(in.err)
	}
	a, bb, want, cpu := in.a, in.b, in.want, in.cpu

	pa, err := cudaops.Upload(d, a.Data().Data().([]float32))
	if err != nil {
		b.Fatal(err)
	}
	pb, err := cudaops.Upload(d, bb.Data().Data().([]float32))
	if err != nil {
		b.Fatal(err)
	}
	size := want.Data().Shape().TotalSize()
	pc, err := d.Alloc(int64(size) * 4)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { d.Free(pa); d.Free(pb); d.Free(pc) }()

	l := cudaops.MulForward(cudaops.Float32, cudaops.Log, batch, n, lo, up, lo, up)
	b.StartTimer()
	secs, err := d.Time(l, max(b.N, 5), pc, pa, pb)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}

	got, err := cudaops.Download[float32](d, pc, size)
	if err != nil {
		b.Fatal(err)
	}
	wd := want.Data().Data().([]float32)
	for i := range wd {
		w, g := float64(wd[i]), float64(got[i])
		if w == g {
			continue
		}
		if math.IsInf(w, 0) || math.IsNaN(g) || math.Abs(g-w) > 1e-4*math.Max(1, math.Abs(w)) {
			b.Fatalf("element %d: GPU %v, CPU %v", i, g, w)
		}
	}

	// One exp per inner term: each valid output slot of each row takes
	// the terms ka valid in A's row with kb = kc − ka in range.
	terms := 0.0
	for i := 0; i < n; i++ {
		for ka := 0; ka < lo+up+1; ka++ {
			if k := i + ka - lo; k >= 0 && k < n {
				for kb := 0; kb < lo+up+1; kb++ {
					if j := k + kb - lo; j >= 0 && j < n {
						terms++
					}
				}
			}
		}
	}
	terms *= batch
	b.ReportMetric(secs*1e3, "kernel-ms")
	b.ReportMetric(terms/secs/sfuPeakH100, "exp-peak-frac")
	b.ReportMetric(cpu/secs, "x-vs-cpu")
	b.Logf("%s: %s %.3f ms, %.3g exp/s (%.1f%% of the H100's %.2g), CPU Mul %.2f s (%.0f×)",
		d.Name(), l.Kernel, secs*1e3, terms/secs, 100*terms/secs/sfuPeakH100, sfuPeakH100, cpu, cpu/secs)
}
