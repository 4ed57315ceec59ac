package bandop

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/genband/genband/internal/anchor"
	"gorgonia.org/tensor"
)

// BenchmarkScanCTC times the Log scan at the shape and size of ctc's
// BenchmarkLossVsGorgonia: band (0, 2), n = 201 states, 32 items, 1000
// steps, float32, with the skip transition impossible (−Inf) on every
// other state, as CTC's blanks make it. It runs on one core and reports ns
// per term (the median of 5 calls) of the forward alone (fwd) and of the
// forward and the reverse scan without kept weights (fwd+bwd); at this
// size (hundreds of MB) the operands stream from memory, as in ctc.
//
//	go test -run '^$' -bench ScanCTC -benchtime 1x ./bandop
func BenchmarkScanCTC(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const items, n, steps, lower, upper = 32, 201, 1000, 0, 2
	rng := rand.New(rand.NewPCG(31, 32))
	a := randomFor(b, rng, Log, tensor.Float32, items*steps, n, lower, upper)
	d := a.data.Data().([]float32)
	w := lower + upper + 1
	for m := range items * steps {
		for r := 0; r < n; r += 2 {
			d[(m*n+r)*w+2] = float32(math.Inf(-1))
		}
	}
	la, err := a.operand("bench", "A")
	if err != nil {
		b.Fatal(err)
	}
	l, err := scanCheck("bench", la, tensor.Float32, tensor.Shape{items, n}, Log, nil)
	if err != nil {
		b.Fatal(err)
	}
	v0 := make([]float32, items*n)
	for i := range v0 {
		v0[i] = float32(math.Inf(-1))
	}
	for b := range items {
		v0[b*n] = 0
	}
	states := make([]float64, (steps+1)*items*n)
	dS := make([]float64, len(states))
	for i := steps * items * n; i < len(dS); i++ {
		dS[i] = 1
	}
	da := make([]float32, len(d))
	terms := float64(items * steps * n * w)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"fwd", func() { scanForward(l, states, v0, d, nil) }},
		{"fwd+bwd", func() {
			scanForward(l, states, v0, d, nil)
			scanBackward(l, states, dS, d, da, nil, nil)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.f()
			}
			ts := make([]float64, 5)
			for r := range ts {
				start := time.Now()
				c.f()
				ts[r] = float64(time.Since(start).Nanoseconds()) / terms
			}
			b.ReportMetric(anchor.Median(ts), "ns/term")
		})
	}
}
