package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"gorgonia.org/tensor"
)

// The benchmarks of Mul (issue 2 item 9): batch 8, n = 1024, bands 16/16
// times 16/16, each semiring and dtype, on one core and on two. Metrics:
// ns/term is the time per inner term (i, j, k) actually computed; x-dense is
// how many times faster than the dense equivalent measured in the same run
// under the same GOMAXPROCS (Real: Gorgonia's tensor MatMul, backed by gonum,
// at the full size; Log and Max: a plain O(n³) loop at n = 256, its time per
// term scaled to the 8·1024³ terms of the full size); x-1cpu, on the two-core
// runs, is the one-core time over the two-core time (see benchMul). See
// BENCHMARKS.md.
const (
	benchBatch = 8
	benchN     = 1024
	benchBand  = 16
	benchDense = 256 // n of the plain dense loops of Log and Max
)

// mulTerms returns the number of inner terms (i, j, k) that Mul computes for
// operands of layouts la and lb: those with A[i,k] and B[k,j] both in band.
func mulTerms(la, lb layout) int {
	lc := mulResult(la, lb, Real)
	wa, wb, wc, n := la.width(), lb.width(), lc.width(), la.n
	total := 0
	for i := 0; i < n; i++ {
		clo, chi := validSlots(i, n, lc.lower, wc)
		kaLo, kaHi := validSlots(i, n, la.lower, wa)
		for ka := kaLo; ka < kaHi; ka++ {
			total += max(0, min(wb, chi-ka)-max(0, clo-ka))
		}
	}
	return total * la.batch
}

func TestMulTerms(t *testing.T) {
	for _, c := range bandCases {
		want := 0
		for i := 0; i < c.n; i++ {
			for k := 0; k < c.n; k++ {
				for j := 0; j < c.n; j++ {
					if k-i >= -c.l1 && k-i <= c.u1 && j-k >= -c.l2 && j-k <= c.u2 {
						want++
					}
				}
			}
		}
		want *= c.batch
		la := layout{batch: c.batch, n: c.n, lower: c.l1, upper: c.u1}
		lb := layout{batch: c.batch, n: c.n, lower: c.l2, upper: c.u2}
		if got := mulTerms(la, lb); got != want {
			t.Errorf("%+v: mulTerms = %d, want %d", c, got, want)
		}
	}
}

// benchDenseNs caches the dense peers' ns/term, measured once per name.
var benchDenseNs = map[string]float64{}

func benchOperands(b *testing.B, s Semiring, dt tensor.Dtype) (x, y *Banded) {
	rng := rand.New(rand.NewPCG(7, 9))
	x = randomFor(b, rng, s, dt, benchBatch, benchN, benchBand, benchBand)
	y = randomFor(b, rng, s, dt, benchBatch, benchN, benchBand, benchBand)
	return x, y
}

// benchMul runs, for each semiring, dtype and core count, a sub-benchmark
// named <semiring>/<dtype>/cpu=<p> of the function that setup returns, which
// does the inner terms setup also returns; dense, if not nil, returns the
// dense peer's ns per term. The two-core run also times single runs on one
// and on two cores alternately, five pairs, and reports the ratio of the
// fastest of each as x-1cpu: other work on the machine slows single runs,
// and alternating spreads it over both.
func benchMul(b *testing.B, setup func(b *testing.B, s Semiring, dt tensor.Dtype) (run func(), terms int), dense func(s Semiring, dt tensor.Dtype) float64) {
	for _, s := range semirings {
		for _, dt := range dtypes {
			for _, p := range []int{1, 2} {
				b.Run(fmt.Sprintf("%v/%v/cpu=%d", s, dt, p), func(b *testing.B) {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
					key := fmt.Sprintf("%s/%v/%v", b.Name(), s, dt)
					var denseNs float64
					if dense != nil {
						if _, ok := benchDenseNs[key]; !ok {
							benchDenseNs[key] = dense(s, dt)
						}
						denseNs = benchDenseNs[key]
					}
					run, terms := setup(b, s, dt)
					for b.Loop() {
						run()
					}
					ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(terms)
					b.ReportMetric(ns, "ns/term")
					if dense != nil {
						b.ReportMetric(denseNs, "dense-ns/term")
						denseTerms := float64(benchBatch) * benchN * benchN * benchN
						b.ReportMetric(denseNs*denseTerms/(ns*float64(terms)), "x-dense")
					}
					if p == 2 {
						b.StopTimer()
						best := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
						for range 5 {
							for _, q := range []int{1, 2} {
								runtime.GOMAXPROCS(q)
								start := time.Now()
								run()
								best[q] = min(best[q], float64(time.Since(start)))
							}
						}
						runtime.GOMAXPROCS(p)
						b.ReportMetric(best[1]/best[2], "x-1cpu")
					}
				})
			}
		}
	}
}

// BenchmarkMul measures the forward product through the public method.
func BenchmarkMul(b *testing.B) {
	benchMul(b, func(b *testing.B, s Semiring, dt tensor.Dtype) (func(), int) {
		x, y := benchOperands(b, s, dt)
		return func() {
			if _, err := x.Mul(y, s); err != nil {
				b.Fatal(err)
			}
		}, mulTerms(x.layout(), y.layout())
	}, denseNs)
}

// BenchmarkMulGrad measures the backward kernels: per iteration the
// gradients with respect to both operands, so twice the inner terms.
func BenchmarkMulGrad(b *testing.B) {
	benchMul(b, func(b *testing.B, s Semiring, dt tensor.Dtype) (func(), int) {
		x, y := benchOperands(b, s, dt)
		z, err := x.Mul(y, s)
		if err != nil {
			b.Fatal(err)
		}
		dz := z.Clone()
		la, lb, lc := x.layout(), y.layout(), z.layout()
		terms := 2 * mulTerms(la, lb)
		switch dt {
		case tensor.Float32:
			ga, gb := make([]float32, la.shape().TotalSize()), make([]float32, lb.shape().TotalSize())
			xs, ys, zs, dzs := storage[float32](x), storage[float32](y), storage[float32](z), storage[float32](dz)
			for i := range dzs {
				dzs[i] = float32(i%7) - 3 // nonzero and zero seeds alike
			}
			return func() {
				mulBackward(s, 0, ga, xs, ys, zs, dzs, la, lb, lc)
				mulBackward(s, 1, gb, xs, ys, zs, dzs, la, lb, lc)
			}, terms
		default:
			ga, gb := make([]float64, la.shape().TotalSize()), make([]float64, lb.shape().TotalSize())
			xs, ys, zs, dzs := storage[float64](x), storage[float64](y), storage[float64](z), storage[float64](dz)
			for i := range dzs {
				dzs[i] = float64(i%7) - 3
			}
			return func() {
				mulBackward(s, 0, ga, xs, ys, zs, dzs, la, lb, lc)
				mulBackward(s, 1, gb, xs, ys, zs, dzs, la, lb, lc)
			}, terms
		}
	}, nil)
}

// denseNs returns the ns per term of the dense equivalent of Mul under the
// current GOMAXPROCS: the best of three timings.
func denseNs(s Semiring, dt tensor.Dtype) float64 {
	rng := rand.New(rand.NewPCG(3, 4))
	var run func()
	var terms float64
	if s == Real {
		n := benchN
		var as, bs, cs []*tensor.Dense
		for range benchBatch {
			as = append(as, tensor.New(tensor.WithShape(n, n), tensor.Of(dt), tensor.WithBacking(randomSlice(rng, dt, n*n))))
			bs = append(bs, tensor.New(tensor.WithShape(n, n), tensor.Of(dt), tensor.WithBacking(randomSlice(rng, dt, n*n))))
			cs = append(cs, tensor.New(tensor.WithShape(n, n), tensor.Of(dt)))
		}
		run = func() {
			for i := range as {
				if _, err := tensor.MatMul(as[i], bs[i], tensor.WithReuse(cs[i])); err != nil {
					panic(err)
				}
			}
		}
		terms = float64(benchBatch) * float64(n) * float64(n) * float64(n)
	} else {
		n := benchDense
		terms = float64(n) * float64(n) * float64(n)
		if dt == tensor.Float32 {
			a, bt, c := randomSlice(rng, dt, n*n).([]float32), randomSlice(rng, dt, n*n).([]float32), make([]float32, n*n)
			run = func() { denseLoop(s, c, a, bt, n) }
		} else {
			a, bt, c := randomSlice(rng, dt, n*n).([]float64), randomSlice(rng, dt, n*n).([]float64), make([]float64, n*n)
			run = func() { denseLoop(s, c, a, bt, n) }
		}
	}
	best := math.Inf(1)
	for range 3 {
		start := time.Now()
		run()
		best = min(best, float64(time.Since(start).Nanoseconds()))
	}
	return best / terms
}

func randomSlice(rng *rand.Rand, dt tensor.Dtype, size int) any {
	if dt == tensor.Float32 {
		s := make([]float32, size)
		for i := range s {
			s[i] = 6*rng.Float32() - 3
		}
		return s
	}
	s := make([]float64, size)
	for i := range s {
		s[i] = 6*rng.Float64() - 3
	}
	return s
}

// denseLoop is the plain dense Log or Max product c = a ⊗ b of n×n matrices
// with b given transposed (bt[j*n+k] = B[k,j]) so both inner reads are
// contiguous; Log calls math.Exp per term. Rows are split over GOMAXPROCS
// goroutines as Mul's are.
func denseLoop[T float](s Semiring, c, a, bt []T, n int) {
	parallelFor(n, n*n*n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ai := a[i*n : (i+1)*n]
			for j := 0; j < n; j++ {
				bj := bt[j*n : (j+1)*n]
				bj = bj[:len(ai)]
				m := T(math.Inf(-1))
				for k, av := range ai {
					if v := av + bj[k]; v > m {
						m = v
					}
				}
				if s == Max {
					c[i*n+j] = m
					continue
				}
				var sum T
				for k, av := range ai {
					sum += T(math.Exp(float64(av + bj[k] - m)))
				}
				c[i*n+j] = m + T(math.Log(float64(sum)))
			}
		}
	})
}
