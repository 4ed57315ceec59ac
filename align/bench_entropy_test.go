package align

import (
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The entropy benchmarks time the graph of Entropy or KL and its gradient
// with respect to every potential, forward and backward on a TapeMachine,
// on the seed example, and report ×marginals: the ratio to the seed's
// compiled marginals (Program.Marginals, forward and backward) timed in
// the same run.
//
//	go test -run '^$' -bench 'Entropy|KL' -benchtime 20x ./align

func benchDivergence(b *testing.B, div divergence, dt tensor.Dtype) {
	p := seedProblem()
	q := randomProblem(rand.New(rand.NewPCG(3, 4)), 1, p.n, p.mm, false)
	tp, tq := p.tensor(dt), q.tensor(dt)
	m := Model{Semiring: Log}
	pr, err := m.Compile(tp.Shape(), dt, nil, nil)
	must(b, err)
	defer pr.Close()

	g := gorgonia.NewGraph()
	np := gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(tp.Shape()...), gorgonia.WithName("p"))
	ln := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(1, 2), gorgonia.WithName("lengths"))
	var out, nq *gorgonia.Node
	wrt := gorgonia.Nodes{np}
	if div == divEntropy {
		out, err = m.Entropy(np, ln)
	} else {
		nq = gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(tp.Shape()...), gorgonia.WithName("q"))
		out, err = m.KL(np, nq, ln)
		wrt = append(wrt, nq)
	}
	must(b, err)
	cost, err := gorgonia.Sum(out)
	must(b, err)
	_, err = gorgonia.Grad(cost, wrt...)
	must(b, err)
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	lv, err := Lengths([]int{p.n}, []int{p.mm})
	must(b, err)
	step := func() {
		must(b, gorgonia.Let(np, tp))
		if div != divEntropy {
			must(b, gorgonia.Let(nq, tq))
		}
		must(b, gorgonia.Let(ln, lv))
		vm.Reset()
		must(b, vm.RunAll())
	}
	marginals := timeIt(5, func() {
		if _, err := pr.Marginals(tp); err != nil {
			b.Fatal(err)
		}
	})
	step()
	b.ResetTimer()
	reportBytes(b, len(p.theta)*int(dt.Size()), step)
	b.StopTimer()
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(marginals.Nanoseconds()), "marginals-ns/op")
	b.ReportMetric(per/float64(marginals.Nanoseconds()), "×marginals")
}

func BenchmarkEntropySeed(b *testing.B) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		b.Run(dt.String(), func(b *testing.B) { benchDivergence(b, divEntropy, dt) })
	}
}

func BenchmarkKLSeed(b *testing.B) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		b.Run(dt.String(), func(b *testing.B) { benchDivergence(b, divKL, dt) })
	}
}
