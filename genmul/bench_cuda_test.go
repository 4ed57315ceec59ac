//go:build cuda

package genmul

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
	"gorgonia.org/cu"
)

// sfuPerClock is the number of exp2 results one multiprocessor's
// special-function units deliver per clock (the CUDA C Programming Guide's
// throughput table: 16 from compute capability 7.0 on, and on 6.0; 32 on
// 5.x, 6.1 and 6.2).
func sfuPerClock(major, minor int) float64 {
	if major >= 7 || major == 6 && minor == 0 {
		return 16
	}
	return 32
}

// sfuPeak returns the special-function peak of GPU 0 in exp/s: its
// multiprocessors × its clock × sfuPerClock, with a description.
func sfuPeak(b *testing.B) (float64, string) {
	dev, err := cu.GetDevice(0)
	if err != nil {
		b.Fatal(err)
	}
	at, err := dev.Attributes(cu.MultiprocessorCount, cu.ClockRate, cu.ComputeCapabilityMajor, cu.ComputeCapabilityMinor)
	if err != nil {
		b.Fatal(err)
	}
	sms, khz, major, minor := at[0], at[1], at[2], at[3]
	per := sfuPerClock(major, minor)
	return float64(sms) * float64(khz) * 1e3 * per, fmt.Sprintf("%d SMs × %d MHz × %.0f exp/clock, sm_%d%d", sms, khz/1000, per, major, minor)
}

// BenchmarkCUDALogMatMul times the LogMatMul forward kernel (logmatmul_fwd,
// float32) at batch 64, n = k = m = 1024 on GPU 0 with CUDA events, and
// reports the kernel time (kernel-ms) and its exps per second (one per
// inner term, 64·1024³ of them) as a fraction of the GPU's special-function
// peak, computed from the device's attributes (exp-peak-frac; sfuPeak). It
// checks 256 outputs against a float64 sum on the CPU first, so a fast
// wrong kernel does not report. Needs a GPU; build/gpu/run.sh runs it with
// the other BenchmarkCUDA* benchmarks; by hand:
//
//	go test -tags cuda -modfile build/go.cuda.mod -run '^$' -bench CUDALogMatMul -benchtime 20x ./genmul
func BenchmarkCUDALogMatMul(b *testing.B) {
	const batch, n, k, m = 64, 1024, 1024, 1024
	b.StopTimer()
	d, err := cudaops.OpenDevice(0)
	if err != nil {
		b.Fatalf("opening GPU 0: %v", err)
	}
	defer d.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	av, bv := make([]float32, batch*n*k), make([]float32, batch*k*m)
	for i := range av {
		av[i] = float32(rng.NormFloat64())
	}
	for i := range bv {
		bv[i] = float32(rng.NormFloat64())
	}
	pa, err := cudaops.Upload(d, av)
	if err != nil {
		b.Fatal(err)
	}
	pb, err := cudaops.Upload(d, bv)
	if err != nil {
		b.Fatal(err)
	}
	size := batch * n * m
	pc, err := d.Alloc(int64(size) * 4)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { d.Free(pa); d.Free(pb); d.Free(pc) }()
	l := cudaops.GenmulForward(cudaops.Float32, cudaops.LogMatMul, batch, n, k, m)
	if err := d.Run(l, pc, pa, pb); err != nil {
		b.Fatal(err)
	}
	got, err := cudaops.Download[float32](d, pc, size)
	if err != nil {
		b.Fatal(err)
	}
	for range 256 {
		bat, i, j := rng.IntN(batch), rng.IntN(n), rng.IntN(m)
		mx := math.Inf(-1)
		for q := 0; q < k; q++ {
			mx = max(mx, float64(av[(bat*n+i)*k+q])+float64(bv[(bat*k+q)*m+j]))
		}
		s := 0.0
		for q := 0; q < k; q++ {
			s += math.Exp(float64(av[(bat*n+i)*k+q]) + float64(bv[(bat*k+q)*m+j]) - mx)
		}
		want, g := mx+math.Log(s), float64(got[(bat*n+i)*m+j])
		if math.Abs(g-want) > 1e-4*math.Max(1, math.Abs(want)) {
			b.Fatalf("C[%d,%d,%d]: GPU %v, float64 %v", bat, i, j, g, want)
		}
	}

	b.StartTimer()
	secs, err := d.Time(l, max(b.N, 5), pc, pa, pb)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	peak, what := sfuPeak(b)
	terms := float64(batch) * n * k * m
	b.ReportMetric(secs*1e3, "kernel-ms")
	b.ReportMetric(terms/secs/peak, "exp-peak-frac")
	b.Logf("%s: %s %.2f ms, %.3g exp/s = %.1f%% of the special-function peak %.3g exp/s (%s)",
		d.Name(), l.Kernel, secs*1e3, terms/secs, 100*terms/secs/peak, peak, what)
}
