package bandop

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/genband/genband/internal/anchor"
	"gorgonia.org/tensor"
)

// BenchmarkLogSteps times the Log kernels other than Mul's, float32, on one
// core, in ns per inner term (the median of 9 calls): Scan with three terms
// a column (band 1/1, an alignment's step) and with 17 (band 8/8), 16 items
// of n = 512 over 64 steps; VecMul with 65 terms an output (band 32/32,
// batch 8, n = 1024); MulDense with band 16/16, batch 8, n = 1024, d = 32.
//
//	go test -run '^$' -bench LogSteps -benchtime 1x ./bandop
func BenchmarkLogSteps(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rng := rand.New(rand.NewPCG(13, 14))
	dt := tensor.Float32
	med := func(b *testing.B, terms float64, f func() error) {
		for b.Loop() {
		}
		ts := make([]float64, 9)
		for r := range ts {
			start := time.Now()
			if err := f(); err != nil {
				b.Fatal(err)
			}
			ts[r] = float64(time.Since(start).Nanoseconds()) / terms
		}
		b.ReportMetric(anchor.Median(ts), "ns/term")
	}
	for _, band := range []int{1, 8} {
		b.Run(fmt.Sprintf("Scan/band=%d", band), func(b *testing.B) {
			const items, n, steps = 16, 512, 64
			a := randomFor(b, rng, Log, dt, items*steps, n, band, band)
			v0 := tensor.New(tensor.WithShape(items, n), tensor.WithBacking(make([]float32, items*n)))
			med(b, float64(items*steps*n*(2*band+1)), func() error {
				_, err := a.Scan(v0, Log, nil)
				return err
			})
		})
	}
	b.Run("VecMul/band=32", func(b *testing.B) {
		const batch, n, band = 8, 1024, 32
		a := randomFor(b, rng, Log, dt, batch, n, band, band)
		v := tensor.New(tensor.WithShape(batch, n), tensor.WithBacking(make([]float32, batch*n)))
		med(b, float64(batch*n*(2*band+1)), func() error {
			_, err := a.VecMul(v, Log)
			return err
		})
	})
	b.Run("MulDense/band=16", func(b *testing.B) {
		const batch, n, band, d = 8, 1024, 16, 32
		a := randomFor(b, rng, Log, dt, batch, n, band, band)
		vs := make([]float32, batch*n*d)
		for i := range vs {
			vs[i] = 6*rng.Float32() - 3
		}
		v := tensor.New(tensor.WithShape(batch, n, d), tensor.WithBacking(vs))
		med(b, float64(batch*n*(2*band+1)*d), func() error {
			_, err := a.MulDense(v, Log)
			return err
		})
	})
}
