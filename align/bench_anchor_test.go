package align

import (
	"math"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/genband/genband/internal/anchor"
	"gorgonia.org/tensor"
)

// The VsAnchor benchmarks time a compiled Program's marginals
// (MarginalsInto a reused tensor, as the anchor writes into its own
// buffer) against the C anchor seed_dp_simd (../shared/anchors, see its README) in the same
// run: b.N rounds (at least 3), each the median of a batch of genband
// calls then one run of the anchor, which prints the median of as many
// calls. They report genband-ms, anchor-ms (the medians over the rounds)
// and x-anchor, the median of the rounds' ratios; ns/op is genband's
// median. Without gcc or the anchors they skip.
//
//	go test -run '^$' -bench SeedVsAnchor -benchtime 5x -cpu 1 ./align
//	go test -run '^$' -bench Batch512VsAnchor -benchtime 3x -cpu 2 ./align

// medianCall returns the median time of reps calls of f in ms, failing b
// on an error.
func medianCall(b *testing.B, reps int, f func() error) float64 {
	ts := make([]float64, reps)
	for k := range ts {
		start := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		ts[k] = float64(time.Since(start).Nanoseconds()) / 1e6
	}
	return anchor.Median(ts)
}

// compareAnchor runs max(b.N, 3) interleaved rounds of genband (reps calls
// of call) and of the anchor (its args), and reports them.
func compareAnchor(b *testing.B, reps int, call func() error, prog *anchor.Program, env []string, args ...string) {
	b.ResetTimer()
	cmp, err := anchor.Interleave(max(b.N, 3),
		func() (float64, error) { return medianCall(b, reps, call), nil },
		func() (float64, error) {
			r, err := prog.Run(env, args...)
			return r.MedianMS, err
		})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	cmp.Report(b, "ms")
	b.ReportMetric(anchor.Median(cmp.Genband)*1e6, "ns/op")
}

// BenchmarkSeedVsAnchor is the seed, θ from seed_vals.npy (1×200×200,
// rows and columns from 180 on at 1e6) in float64, against
// seed_dp_simd seed with KERNEL=diag, one core: run it with -cpu 1. It
// first checks the marginals against the anchors' float64 DP
// (seed_marg_dp64.npy) to 1e-6: at log Z ≈ 2.19e8 the DP's own marginals
// are good to about 1e-7 (the anchor is 6e-8 from them).
func BenchmarkSeedVsAnchor(b *testing.B) {
	const reps = 50
	prog := anchor.ForBench(b, "seed_dp_simd")
	vals, ref := prog.File("seed_vals.npy"), prog.File("seed_marg_dp64.npy")
	shape, th, err := anchor.LoadNPY(vals)
	must(b, err)
	_, want, err := anchor.LoadNPY(ref)
	must(b, err)
	theta := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(th))
	pr, err := Model{Semiring: Log}.Compile(theta.Shape(), tensor.Float64, nil, nil)
	must(b, err)
	defer pr.Close()
	res, err := pr.Marginals(theta)
	must(b, err)
	worst := 0.0
	for k, x := range res.Marginals.Data().([]float64) {
		worst = max(worst, math.Abs(x-want[k]))
	}
	if !(worst <= 1e-6) {
		b.Fatalf("marginals %.3g from seed_marg_dp64.npy", worst)
	}
	dst := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(shape...))
	compareAnchor(b, reps, func() error { _, err := pr.MarginalsInto(dst, theta); return err },
		prog, []string{"KERNEL=diag"}, "seed", strconv.Itoa(reps), vals, ref)
}

// BenchmarkBatch512VsAnchor is 16 items of 512×512, float32 θ from the
// anchors' LCG, against seed_dp_simd batch on as many threads as
// GOMAXPROCS (the anchors' figure is for 2: run it with -cpu 2).
func BenchmarkBatch512VsAnchor(b *testing.B) {
	const batch, n, reps = 16, 512, 5
	prog := anchor.ForBench(b, "seed_dp_simd")
	theta := tensor.New(tensor.WithShape(batch, n, n, 3), tensor.WithBacking(anchor.BatchTheta(batch*n*n*3)))
	pr, err := Model{Semiring: Log}.Compile(theta.Shape(), tensor.Float32, nil, nil)
	must(b, err)
	defer pr.Close()
	_, err = pr.Marginals(theta)
	must(b, err)
	dst := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(theta.Shape()...))
	compareAnchor(b, reps, func() error { _, err := pr.MarginalsInto(dst, theta); return err },
		prog, nil, "batch", strconv.Itoa(reps), strconv.Itoa(batch), strconv.Itoa(n), strconv.Itoa(n),
		strconv.Itoa(runtime.GOMAXPROCS(0)))
}
