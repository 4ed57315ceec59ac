package ctc

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lossGraph builds the loss of p with fn (float32, padded targets) and its
// gradient with respect to logProbs, and returns a machine for it.
func lossGraph(tb testing.TB, fn lossFn, p problem) gorgonia.VM {
	tb.Helper()
	g := gorgonia.NewGraph()
	lpv, tgv, ilv, tlv := p.tensors(tensor.Float32)
	var ns []*gorgonia.Node
	for i, v := range []*tensor.Dense{lpv, tgv, ilv, tlv} {
		ns = append(ns, gorgonia.NewTensor(g, v.Dtype(), v.Dims(), gorgonia.WithShape(v.Shape()...), gorgonia.WithName(argNames[i]), gorgonia.WithValue(v)))
	}
	cost, err := fn(ns[0], ns[1], ns[2], ns[3], gorgonia.ReductionMean)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := gorgonia.Grad(cost, ns[0]); err != nil {
		tb.Fatal(err)
	}
	return gorgonia.NewTapeMachine(g)
}

// speedProblem is the size: batch 32, 1000 frames, 100 labels
// each, 1000 classes, full input lengths.
func speedProblem() problem {
	rng := rand.New(rand.NewPCG(23, 24))
	p := randomProblem(rng, 1000, 32, 1000, 100, 1000)
	for b := range p.targets {
		for len(p.targets[b]) < 100 {
			p.targets[b] = append(p.targets[b], 1+rng.IntN(999))
		}
	}
	p.width = 100
	return p
}

// cpuTime returns the processor time (user and system) the process has
// used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timeRun returns the wall and processor time of one forward and backward
// run of m.
func timeRun(tb testing.TB, m gorgonia.VM) (wall, cpu time.Duration) {
	start, c := time.Now(), cpuTime()
	if err := m.RunAll(); err != nil {
		tb.Fatal(err)
	}
	wall, cpu = time.Since(start), cpuTime()-c
	m.Reset()
	return wall, cpu
}

// BenchmarkLossVsGorgonia times Loss forward and backward at batch 32,
// 1000 frames, 100 labels, 1000 classes, float32 (ns/op), and in the same
// run gorgonia.CTCLoss on the same batch, once (gorgonia-ns/op), with the
// ratio of their wall times (speedup) and of the processor time they used
// (cpu-speedup: the fairer one where other programs share the cores, as
// it does not count the time the machine gave to others). Both run on
// every core Go is given.
func BenchmarkLossVsGorgonia(b *testing.B) {
	p := speedProblem()
	ours := lossGraph(b, ours(), p)
	defer ours.Close()
	theirs := lossGraph(b, gorgonia.CTCLoss, p)
	defer theirs.Close()
	timeRun(b, ours) // the kept buffers are made on the first run
	gWall, gCPU := timeRun(b, theirs)
	b.ResetTimer()
	var cpu time.Duration
	for range b.N {
		_, c := timeRun(b, ours)
		cpu += c
	}
	b.StopTimer()
	n := time.Duration(b.N)
	b.ReportMetric(float64(gWall.Nanoseconds()), "gorgonia-ns/op")
	b.ReportMetric(float64(gWall)/float64(b.Elapsed()/n), "speedup")
	b.ReportMetric(float64(gCPU)/float64(cpu/n), "cpu-speedup")
}

// BenchmarkLoss times Loss alone, forward and backward, at the size of
// BenchmarkLossVsGorgonia, in wall time (ns/op) and processor time
// (cpu-ns/op).
func BenchmarkLoss(b *testing.B) {
	m := lossGraph(b, ours(), speedProblem())
	defer m.Close()
	timeRun(b, m)
	b.ResetTimer()
	var cpu time.Duration
	for range b.N {
		_, c := timeRun(b, m)
		cpu += c
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}
