package align

import (
	"math/rand/v2"
	"testing"
	"time"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The entropy benchmarks time the graph of Entropy or KL and its gradient
// with respect to every potential, forward and backward on a TapeMachine,
// on the seed example (ns/step), and report ×marginals: the ratio to the
// seed's compiled marginals of the same model (Program.Marginals, forward
// and backward) timed alternately with it in the same run, in wall time
// and in the process's processor time (cpu-ns/step, cpu×marginals). ns/op
// is the two together; B/θ is the bytes a step allocates over the bytes
// of θ.
// The Affine benchmarks take the same potentials widened to the affine
// channels (open and extend both the linear gap's), so that their
// distribution is the linear one's.
//
//	go test -run '^$' -bench 'Entropy|KL' -benchtime 20x ./align

func benchDivergence(b *testing.B, m Model, div divergence, dt tensor.Dtype) {
	p := seedProblem()
	q := randomProblem(rand.New(rand.NewPCG(3, 4)), 1, p.n, p.mm, false)
	tp, tq := p.tensor(dt), q.tensor(dt)
	if m.Affine {
		tp, tq = benchAffine(p, dt), benchAffine(q, dt)
	}
	pr, err := m.Compile(tp.Shape(), dt, nil, nil)
	must(b, err)
	defer pr.Close()

	g := gorgonia.NewGraph()
	np := gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(tp.Shape()...), gorgonia.WithName("p"))
	ln := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(1, 2), gorgonia.WithName("lengths"))
	var out, nq *gorgonia.Node
	wrt := gorgonia.Nodes{np}
	if div == divEntropy {
		out, err = m.EntropyNode(np, ln)
	} else {
		nq = gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(tp.Shape()...), gorgonia.WithName("q"))
		out, err = m.KLNode(np, nq, ln)
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
	marginals := func() {
		if _, err := pr.Marginals(tp); err != nil {
			b.Fatal(err)
		}
	}
	marginals()
	step()
	// The two alternate, so that a change of the machine's load between
	// them moves both. The processor time (the process's, cpu-ns/step and
	// cpu×marginals) is steadier than the wall time on a loaded machine.
	var tm, ts time.Duration
	var cm, cs int64
	b.ResetTimer()
	for range b.N {
		c0, start := processCPU(), time.Now()
		marginals()
		c1, mid := processCPU(), time.Now()
		step()
		tm, ts = tm+mid.Sub(start), ts+time.Since(mid)
		cm, cs = cm+c1-c0, cs+processCPU()-c1
	}
	b.StopTimer()
	b.ReportMetric(float64(ts.Nanoseconds())/float64(b.N), "ns/step")
	b.ReportMetric(float64(tm.Nanoseconds())/float64(b.N), "marginals-ns/op")
	b.ReportMetric(float64(ts)/float64(tm), "×marginals")
	b.ReportMetric(float64(cs)/float64(b.N), "cpu-ns/step")
	b.ReportMetric(float64(cs)/float64(cm), "cpu×marginals")
	reportBytes(b, tp.Shape().TotalSize()*int(dt.Size()), step)
}

// benchAffine returns the affine potentials of p's scores: Match its
// FromDiag, both left channels its FromLeft, both above its FromAbove.
func benchAffine(p problem, dt tensor.Dtype) *tensor.Dense {
	cells := p.batch * p.n * p.mm
	th := make([]float64, cells*5)
	for x := range cells {
		l := p.theta[x*3 : x*3+3]
		copy(th[x*5:x*5+5], []float64{l[FromDiag], l[FromLeft], l[FromLeft], l[FromAbove], l[FromAbove]})
	}
	t := tensor.New(tensor.WithShape(p.batch, p.n, p.mm, 5), tensor.WithBacking(th))
	if dt == tensor.Float32 {
		f := make([]float32, len(th))
		for x, v := range th {
			f[x] = float32(v)
		}
		t = tensor.New(tensor.WithShape(p.batch, p.n, p.mm, 5), tensor.WithBacking(f))
	}
	return t
}

func BenchmarkEntropySeed(b *testing.B) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		b.Run(dt.String(), func(b *testing.B) { benchDivergence(b, Model{Semiring: Log}, divEntropy, dt) })
	}
}

func BenchmarkKLSeed(b *testing.B) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		b.Run(dt.String(), func(b *testing.B) { benchDivergence(b, Model{Semiring: Log}, divKL, dt) })
	}
}

func BenchmarkEntropyAffineSeed(b *testing.B) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		b.Run(dt.String(), func(b *testing.B) { benchDivergence(b, Model{Semiring: Log, Affine: true}, divEntropy, dt) })
	}
}

func BenchmarkKLAffineSeed(b *testing.B) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		b.Run(dt.String(), func(b *testing.B) { benchDivergence(b, Model{Semiring: Log, Affine: true}, divKL, dt) })
	}
}
