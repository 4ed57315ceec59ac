package align

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The benchmarks time alignment marginals and, in the same run, a peer on
// the same potentials, and report the ratio: ×DP against the plain
// forward–backward DP of oracle_test.go (math.Exp, one core), ×compiled
// against a compiled Program, f32/f64 between dtypes. B/θ is the bytes
// allocated per call over the bytes of θ.
//
//	go test -run '^$' -bench . -benchtime 20x ./align

// timeIt returns the mean time of reps calls of f, after one call to warm
// up.
func timeIt(reps int, f func()) time.Duration {
	f()
	start := time.Now()
	for range reps {
		f()
	}
	return time.Since(start) / time.Duration(reps)
}

// timeDP returns the mean time of the plain DP's log Z and marginals.
func timeDP(dt tensor.Dtype, p problem) time.Duration {
	a := (p.n + 1) * (p.mm + 1)
	if dt == tensor.Float32 {
		th := p.tensor(dt).Data().([]float32)
		marg, al, be := make([]float32, len(th)), make([]float32, a), make([]float32, a)
		return timeIt(3, func() { dpLogMarginals(th, marg, p.batch, p.n, p.mm, al, be) })
	}
	marg, al, be := make([]float64, len(p.theta)), make([]float64, a), make([]float64, a)
	return timeIt(3, func() { dpLogMarginals(p.theta, marg, p.batch, p.n, p.mm, al, be) })
}

// bytesPer runs f b.N times and reports the bytes it allocates per call
// relative to size.
func reportBytes(b *testing.B, size int, f func()) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range b.N {
		f()
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(size), "B/θ")
}

// benchProgram times Program.Marginals, reports ×DP, and returns the mean
// time per call.
func benchProgram(b *testing.B, m Model, p problem, dt tensor.Dtype) {
	theta := p.tensor(dt)
	dp := timeDP(dt, p)
	pr, err := m.Compile(theta.Shape(), dt, nil, nil)
	must(b, err)
	defer pr.Close()
	_, err = pr.Marginals(theta)
	must(b, err)
	b.ResetTimer()
	reportBytes(b, len(p.theta)*int(dt.Size()), func() {
		if _, err := pr.Marginals(theta); err != nil {
			b.Fatal(err)
		}
	})
	b.StopTimer()
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(dp.Nanoseconds()), "DP-ns/op")
	b.ReportMetric(per/float64(dp.Nanoseconds()), "×DP")
}

// seedProblem is DESIGN.md's seed: batch 1, 200×200, uniform potentials
// (the 1e6 block changes the values, not the work).
func seedProblem() problem {
	return randomProblem(rand.New(rand.NewPCG(1, 2)), 1, 200, 200, false)
}

func BenchmarkLinearSeed(b *testing.B) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		b.Run(dt.String(), func(b *testing.B) { benchProgram(b, Model{Semiring: Log}, seedProblem(), dt) })
	}
}

// BenchmarkLinearSeedF32 reports float32 over float64 for the seed's
// compiled marginals, both timed in this run.
func BenchmarkLinearSeedF32(b *testing.B) {
	p := seedProblem()
	m := Model{Semiring: Log}
	progs := map[tensor.Dtype]*Program{}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		pr, err := m.Compile(tensor.Shape{1, 200, 200, 3}, dt, nil, nil)
		must(b, err)
		defer pr.Close()
		progs[dt] = pr
	}
	th64, th32 := p.tensor(tensor.Float64), p.tensor(tensor.Float32)
	var t64, t32 time.Duration
	for range b.N {
		t64 += timeIt(1, func() { progs[tensor.Float64].Marginals(th64) })
		t32 += timeIt(1, func() { progs[tensor.Float32].Marginals(th32) })
	}
	b.ReportMetric(float64(t32)/float64(t64), "f32/f64")
}

// BenchmarkLinearSeedOneShot is Model.Marginals: building, compiling and
// running the graph; ×compiled is its ratio to Program.Marginals.
func BenchmarkLinearSeedOneShot(b *testing.B) {
	p := seedProblem()
	theta := p.tensor(tensor.Float64)
	m := Model{Semiring: Log}
	pr, err := m.Compile(theta.Shape(), tensor.Float64, nil, nil)
	must(b, err)
	compiled := timeIt(10, func() { pr.Marginals(theta) })
	pr.Close()
	dp := timeDP(tensor.Float64, p)
	b.ResetTimer()
	for range b.N {
		if _, err := m.Marginals(theta, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(per/float64(compiled.Nanoseconds()), "×compiled")
	b.ReportMetric(per/float64(dp.Nanoseconds()), "×DP")
}

func BenchmarkLinear16x512(b *testing.B) {
	benchProgram(b, Model{Semiring: Log}, randomProblem(rand.New(rand.NewPCG(1, 2)), 16, 512, 512, false), tensor.Float32)
}

func BenchmarkLogDepthSeed(b *testing.B) {
	benchProgram(b, Model{Semiring: Log, Strategy: LogDepth}, seedProblem(), tensor.Float64)
}

func BenchmarkLogDepthGap16x512(b *testing.B) {
	m := Model{Semiring: Log, Strategy: LogDepth, Gapped: true, MaxGap: 16}
	benchProgram(b, m, randomProblem(rand.New(rand.NewPCG(1, 2)), 16, 512, 512, false), tensor.Float32)
}

// BenchmarkTraining is a training loss as a user builds it: log Z of a
// batch of 16 pairs of lengths 20–40 padded to 40×40, inside a graph built
// once with the lengths as an input, its gradient, run forward and
// backward on a TapeMachine with new potentials and lengths each time.
// ×Program is its ratio to Program.MarginalsLengths on the same θ and
// lengths, timed in this run.
func BenchmarkTraining(b *testing.B) {
	const batch, n = 16, 40
	rng := rand.New(rand.NewPCG(5, 6))
	p := randomProblem(rng, batch, n, n, true)
	for k := range batch {
		p.lenX[k], p.lenY[k] = 20+rng.IntN(21), 20+rng.IntN(21)
	}
	m := Model{Semiring: Log}
	g := gorgonia.NewGraph()
	th := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(batch, n, n, 3), gorgonia.WithName("theta"))
	ln := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(batch, 2), gorgonia.WithName("lengths"))
	z, err := m.LogPartitionLengths(th, ln)
	must(b, err)
	loss, err := gorgonia.Sum(z)
	must(b, err)
	_, err = gorgonia.Grad(loss, th)
	must(b, err)
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	theta := p.tensor(tensor.Float32)
	lv, err := Lengths(p.lenX, p.lenY)
	must(b, err)
	step := func() {
		must(b, gorgonia.Let(th, theta))
		must(b, gorgonia.Let(ln, lv))
		vm.Reset()
		must(b, vm.RunAll())
	}
	pr, err := m.Compile(theta.Shape(), tensor.Float32, nil, nil)
	must(b, err)
	defer pr.Close()
	program := timeIt(10, func() { pr.MarginalsLengths(theta, p.lenX, p.lenY) })
	step()
	b.ResetTimer()
	for range b.N {
		step()
	}
	b.StopTimer()
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(per/float64(program.Nanoseconds()), "×Program")
	b.ReportMetric(float64(len(g.AllNodes())), "nodes")
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
