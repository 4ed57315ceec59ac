package align

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"gorgonia.org/tensor"
)

// BenchmarkAffineVsLinear times the affine model's marginals against the
// linear model's on potentials of the same shape (batch, N, M) in the same
// run: compiled Programs, MarginalsInto a reused tensor, rounds of one
// call each, alternating. It reports affine-ms and linear-ms (medians of
// the wall times), ×linear, the median of the rounds' ratios (issue 20's
// target: at most 3), and cpu×linear, the same of the processor time the
// process used in each call: the fairer figure where other programs share
// the cores, since a longer call is more often made to wait for them. The
// seed size runs on one thread, the batch on two:
//
//	go test -run '^$' -bench AffineVsLinear -benchtime 20x ./align
func BenchmarkAffineVsLinear(b *testing.B) {
	for _, c := range []struct {
		name           string
		batch, n, mm   int
		dt             tensor.Dtype
		procs, minRuns int
	}{
		{"1x200x200/float64", 1, 200, 200, tensor.Float64, 1, 20},
		{"16x512x512/float32", 16, 512, 512, tensor.Float32, 2, 3},
	} {
		b.Run(c.name, func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.procs))
			rng := rand.New(rand.NewPCG(20, 6))
			run := func(m Model) func() {
				th := make([]float64, c.batch*c.n*c.mm*m.Channels())
				for k := range th {
					th[k] = rng.Float64()*2 - 1
				}
				theta := tensor.New(tensor.WithShape(c.batch, c.n, c.mm, m.Channels()), tensor.WithBacking(th))
				if c.dt == tensor.Float32 {
					theta = tensor.New(tensor.WithShape(theta.Shape()...), tensor.WithBacking(float32sOf(th)))
				}
				pr, err := m.Compile(theta.Shape(), c.dt, nil, nil)
				must(b, err)
				b.Cleanup(pr.Close)
				dst := tensor.New(tensor.Of(c.dt), tensor.WithShape(theta.Shape()...))
				f := func() {
					if _, err := pr.MarginalsInto(dst, theta); err != nil {
						b.Fatal(err)
					}
				}
				f() // the kept buffers, faulted in
				return f
			}
			aff, lin := run(Model{Semiring: Log, Affine: true}), run(Model{Semiring: Log})
			rounds := max(b.N, c.minRuns)
			ta, tl, ratio, cpu := make([]float64, rounds), make([]float64, rounds), make([]float64, rounds), make([]float64, rounds)
			b.ResetTimer()
			for r := range rounds {
				var ca, cl float64
				ta[r], ca = msOf(aff)
				tl[r], cl = msOf(lin)
				ratio[r], cpu[r] = ta[r]/tl[r], ca/cl
			}
			b.StopTimer()
			b.ReportMetric(benchMedian(ta), "affine-ms")
			b.ReportMetric(benchMedian(tl), "linear-ms")
			b.ReportMetric(benchMedian(ratio), "×linear")
			b.ReportMetric(benchMedian(cpu), "cpu×linear")
			b.ReportMetric(benchMedian(ta)*1e6, "ns/op")
		})
	}
}

// msOf returns the wall time and the process's processor time of one
// call of f in ms.
func msOf(f func()) (wall, cpu float64) {
	c0, start := processCPU(), time.Now()
	f()
	wall = float64(time.Since(start).Nanoseconds()) / 1e6
	return wall, float64(processCPU()-c0) / 1e6
}

// processCPU returns the processor time the process has used, in ns.
func processCPU() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// benchMedian is the median of x (x is not modified).
func benchMedian(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}
