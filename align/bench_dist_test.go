package align

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"gorgonia.org/tensor"
)

// The distribution's benchmarks time an eager function on the seed's
// potentials (bench_test.go's seedProblem: batch 1, 200×200, uniform) and,
// in the same loop, its peer on the same potentials: each iteration runs
// one call of each, alternately, and the ratio reported is that of the
// median times, so that load from other processes on a shared machine
// weighs on both alike. ×marginals is against a compiled Program's log Z
// and marginals (Log, Linear), ×Viterbi against BestPaths.
//
//	go test -run '^$' -bench 'SampleSeed|KBestSeed' -benchtime 20x ./align

// pairTimes runs subject and peer once each per iteration, alternately,
// and reports the median of subject over the median of peer as ×name,
// and the peer's median in ns as name-ns/op.
func pairTimes(b *testing.B, name string, subject, peer func()) {
	subject()
	peer()
	var ts, tp []time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		subject()
		t1 := time.Now()
		b.StopTimer()
		peer()
		t2 := time.Now()
		b.StartTimer()
		ts, tp = append(ts, t1.Sub(t0)), append(tp, t2.Sub(t1))
	}
	b.StopTimer()
	ms, mp := median(ts), median(tp)
	b.ReportMetric(float64(mp.Nanoseconds()), name+"-ns/op")
	b.ReportMetric(float64(ms)/float64(mp), "×"+name)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkSampleSeed draws 1,000 paths of the seed: one forward pass,
// then 1,000 walks back. The peer is the seed's marginals.
func BenchmarkSampleSeed(b *testing.B) {
	theta := seedProblem().tensor(tensor.Float64)
	m := Model{Semiring: Log}
	pr, err := m.Compile(theta.Shape(), tensor.Float64, nil, nil)
	must(b, err)
	defer pr.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	pairTimes(b, "marginals", func() {
		if _, err := m.Sample(theta, 1000, rng, nil, nil); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if _, err := pr.Marginals(theta); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkLogProbsSeed is the log-probability of the seed's best path:
// one Log forward pass (log Z) and the path's score. The peer is the
// seed's marginals.
func BenchmarkLogProbsSeed(b *testing.B) {
	theta := seedProblem().tensor(tensor.Float64)
	m := Model{Semiring: Log}
	pr, err := m.Compile(theta.Shape(), tensor.Float64, nil, nil)
	must(b, err)
	defer pr.Close()
	_, best, err := m.BestPaths(theta, nil, nil)
	must(b, err)
	pairTimes(b, "marginals", func() {
		if _, err := m.LogProb(theta, best, nil, nil); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if _, err := pr.Marginals(theta); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkAffineDistSeed is BenchmarkLogProbsSeed and
// BenchmarkSampleSeed for the affine model, on the seed's potentials
// widened to five channels (benchAffine); the peer is the affine model's
// compiled marginals.
func BenchmarkAffineDistSeed(b *testing.B) {
	theta := benchAffine(seedProblem(), tensor.Float64)
	m := Model{Semiring: Log, Affine: true}
	pr, err := m.Compile(theta.Shape(), tensor.Float64, nil, nil)
	must(b, err)
	defer pr.Close()
	marginals := func() {
		if _, err := pr.Marginals(theta); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("LogProbs", func(b *testing.B) {
		_, best, err := m.BestPaths(theta, nil, nil)
		must(b, err)
		pairTimes(b, "marginals", func() {
			if _, err := m.LogProb(theta, best, nil, nil); err != nil {
				b.Fatal(err)
			}
		}, marginals)
	})
	b.Run("Sample", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 2))
		pairTimes(b, "marginals", func() {
			if _, err := m.Sample(theta, 1000, rng, nil, nil); err != nil {
				b.Fatal(err)
			}
		}, marginals)
	})
}

// BenchmarkKBestSeed finds the seed's 10 best paths, in every mode. The
// peer is BestPaths (Viterbi).
func BenchmarkKBestSeed(b *testing.B) {
	theta := seedProblem().tensor(tensor.Float64)
	for _, mode := range []Mode{Global, Local, SemiGlobal} {
		b.Run(mode.String(), func(b *testing.B) {
			m := Model{Mode: mode}
			pairTimes(b, "Viterbi", func() {
				if _, _, err := m.KBest(theta, 10, nil, nil); err != nil {
					b.Fatal(err)
				}
			}, func() {
				if _, _, err := m.BestPaths(theta, nil, nil); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkBestPathsSeed is BestPaths against the seed's marginals, for
// scale: the Viterbi pass is one cell-by-cell pass in float64.
func BenchmarkBestPathsSeed(b *testing.B) {
	theta := seedProblem().tensor(tensor.Float64)
	pr, err := Model{Semiring: Log}.Compile(theta.Shape(), tensor.Float64, nil, nil)
	must(b, err)
	defer pr.Close()
	m := Model{}
	pairTimes(b, "marginals", func() {
		if _, _, err := m.BestPaths(theta, nil, nil); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if _, err := pr.Marginals(theta); err != nil {
			b.Fatal(err)
		}
	})
}
