package align

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"gorgonia.org/tensor"
)

// The benchmarks time Program.Marginals (gather, forward, backward and
// scatter on a compiled graph; BenchmarkLinearSeedOneShot adds building
// and compiling the graph) and, in the same run, the plain forward–backward DP of oracle_test.go on
// the same potentials; they report the ratio as "×DP".
//
//	go test -run '^$' -bench . -benchtime 5x ./align

func benchMarginals(b *testing.B, m Model, batch, n, mm int) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		b.Run(dt.String(), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			p := randomProblem(rng, batch, n, mm, false)
			theta := p.tensor(dt)
			dp := timeDP(dt, p)
			pr, err := m.Compile(theta.Shape(), dt, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer pr.Close()
			b.ResetTimer()
			for range b.N {
				if _, err := pr.Marginals(theta); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(float64(dp.Nanoseconds()), "DP-ns/op")
			b.ReportMetric(per/float64(dp.Nanoseconds()), "×DP")
		})
	}
}

// timeDP returns the mean time of the plain DP's log Z and marginals.
func timeDP(dt tensor.Dtype, p problem) time.Duration {
	const reps = 3
	a := (p.n + 1) * (p.mm + 1)
	start := time.Now()
	for range reps {
		if dt == tensor.Float32 {
			th := p.tensor(dt).Data().([]float32)
			dpLogMarginals(th, make([]float32, len(th)), p.batch, p.n, p.mm, make([]float32, a), make([]float32, a))
		} else {
			dpLogMarginals(p.theta, make([]float64, len(p.theta)), p.batch, p.n, p.mm, make([]float64, a), make([]float64, a))
		}
	}
	return time.Since(start) / reps
}

func BenchmarkLinearSeed(b *testing.B) {
	benchMarginals(b, Model{Semiring: Log, Strategy: Linear}, 1, 200, 200)
}

func BenchmarkLinearSeedOneShot(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := randomProblem(rng, 1, 200, 200, false)
	theta := p.tensor(tensor.Float64)
	dp := timeDP(tensor.Float64, p)
	b.ResetTimer()
	for range b.N {
		if _, err := (Model{Semiring: Log}).Marginals(theta, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(dp.Nanoseconds()), "DP-ns/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(dp.Nanoseconds()), "×DP")
}

func BenchmarkLinear16x512(b *testing.B) {
	benchMarginals(b, Model{Semiring: Log, Strategy: Linear}, 16, 512, 512)
}

func BenchmarkLogDepthSeed(b *testing.B) {
	benchMarginals(b, Model{Semiring: Log, Strategy: LogDepth}, 1, 200, 200)
}

func BenchmarkLogDepthGap16x512(b *testing.B) {
	benchMarginals(b, Model{Semiring: Log, Strategy: LogDepth, Gapped: true, MaxGap: 16}, 16, 512, 512)
}

// TestDPBaseline checks the benchmarks' DP against the reference DP.
func TestDPBaseline(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, sh := range [][2]int{{1, 1}, {4, 7}, {9, 3}} {
		p := randomProblem(rng, 2, sh[0], sh[1], false)
		a := (p.n + 1) * (p.mm + 1)
		marg := make([]float64, len(p.theta))
		z := dpLogMarginals(p.theta, marg, p.batch, p.n, p.mm, make([]float64, a), make([]float64, a))
		m := Model{Semiring: Log}
		checkAgainst(t, fmt.Sprint("baseline ", sh), m, p, z, marg, forwardBackward, 1e-10)
	}
}
