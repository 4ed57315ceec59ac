package genmul

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/genband/genband/internal/anchor"
	"gorgonia.org/tensor"
)

// BenchmarkLogMatMulVsAnchor times the eager LogMatMul, float32, batch 8,
// n = k = m = 256, on one core, against the C anchor logmatmul_simd
// (../shared/anchors, see its README: `logmatmul_simd 5 1`) in the same
// run: max(b.N, 3) interleaved rounds, each the median of 5 LogMatMul calls
// then one run of the anchor (which prints the median of its 5). It reports
// genband-ns/term, anchor-ns/term (the medians over the rounds) and
// x-anchor, the median of the rounds' ratios (target ≤ 2, issue 18).
// Without gcc or the anchors it skips.
//
//	go test -run '^$' -bench LogMatMulVsAnchor -benchtime 3x ./genmul
func BenchmarkLogMatMulVsAnchor(b *testing.B) {
	const batch, n = 8, 256
	prog := anchor.ForBench(b, "logmatmul_simd")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rng := rand.New(rand.NewPCG(3, 4))
	a, bb := randTensor32(rng, batch, n, n), randTensor32(rng, batch, n, n)
	terms := float64(batch * n * n * n)
	genband := func() (float64, error) {
		ts := make([]float64, 5)
		for r := range ts {
			start := time.Now()
			if _, err := LogMatMul(a, bb); err != nil {
				return 0, err
			}
			ts[r] = float64(time.Since(start).Nanoseconds()) / terms
		}
		return anchor.Median(ts), nil
	}
	b.ResetTimer()
	cmp, err := anchor.Interleave(max(b.N, 3), genband, func() (float64, error) {
		r, err := prog.Run(nil, "5", "1", strconv.Itoa(batch), strconv.Itoa(n))
		return r.NsPerTerm, err
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	cmp.Report(b, "ns/term")
}

// BenchmarkProducts times every product's forward and eager gradient,
// float32, batch 8, n = k = m = 128, on one core, in ns per inner term
// (per term and gradient pair for the backward: the gradient's time over
// batch·n·k·m), the median of 3 calls each:
//
//	go test -run '^$' -bench Products -benchtime 1x ./genmul
func BenchmarkProducts(b *testing.B) {
	const batch, n = 8, 128
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rng := rand.New(rand.NewPCG(5, 6))
	a, bb, dc := randTensor32(rng, batch, n, n), randTensor32(rng, batch, n, n), randTensor32(rng, batch, n, n)
	terms := float64(batch * n * n * n)
	med := func(f func() error) float64 {
		ts := make([]float64, 3)
		for r := range ts {
			start := time.Now()
			if err := f(); err != nil {
				b.Fatal(err)
			}
			ts[r] = float64(time.Since(start).Nanoseconds()) / terms
		}
		return anchor.Median(ts)
	}
	src := rand.NewPCG(7, 8)
	for _, p := range []struct {
		name string
		fwd  func(a, b *tensor.Dense) (*tensor.Dense, error)
		grad func(a, b, dc *tensor.Dense) (*tensor.Dense, *tensor.Dense, error)
	}{
		{"Log", LogMatMul, LogMatMulGrad},
		{"Max", MaxMatMul, MaxMatMulGrad},
		{"Sample", SampleMatMul, func(a, b, dc *tensor.Dense) (*tensor.Dense, *tensor.Dense, error) {
			return SampleMatMulGrad(a, b, dc, src)
		}},
		{"ProdMax", ProdMaxMatMul, ProdMaxMatMulGrad},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
			}
			fwd := med(func() error { _, err := p.fwd(a, bb); return err })
			bwd := med(func() error { _, _, err := p.grad(a, bb, dc); return err })
			b.ReportMetric(fwd, "fwd-ns/term")
			b.ReportMetric(bwd, "bwd-ns/term")
		})
	}
}
