package align

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"gorgonia.org/tensor"
)

// BenchmarkAffineVsLinear times the affine model's marginals against the
// linear model's on potentials of the same shape (batch, N, M) in the same
// run: compiled Programs, MarginalsInto a reused tensor, rounds of one
// call each, alternating. It reports affine-ms and linear-ms (medians)
// and ×linear, the median of the rounds' ratios (issue 20's target: at
// most 3). The seed size runs on one thread, the batch on two:
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
			ta, tl, ratio := make([]float64, rounds), make([]float64, rounds), make([]float64, rounds)
			b.ResetTimer()
			for r := range rounds {
				ta[r], tl[r] = msOf(aff), msOf(lin)
				ratio[r] = ta[r] / tl[r]
			}
			b.StopTimer()
			b.ReportMetric(benchMedian(ta), "affine-ms")
			b.ReportMetric(benchMedian(tl), "linear-ms")
			b.ReportMetric(benchMedian(ratio), "×linear")
			b.ReportMetric(benchMedian(ta)*1e6, "ns/op")
		})
	}
}

// msOf returns the time of one call of f in ms.
func msOf(f func()) float64 {
	start := time.Now()
	f()
	return float64(time.Since(start).Nanoseconds()) / 1e6
}

// benchMedian is the median of x (x is not modified).
func benchMedian(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}
