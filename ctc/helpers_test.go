package ctc

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// problem is one batch of CTC inputs: logProbs (T, batch, classes) as
// float64 (converted to the test's dtype), padded targets and lengths.
type problem struct {
	t, batch, cls int
	lp            []float64
	targets       [][]int // each item's labels
	inLen         []int
	width         int // padded targets' width (≥ every item's labels, ≥ 1)
	blank         int
}

// randomProblem draws log-softmaxed frames and labels in [1, cls) (not
// blank 0), with target lengths ≤ maxL and input lengths in [minT, t].
func randomProblem(rng *rand.Rand, t, batch, cls, maxL, minT int) problem {
	p := problem{t: t, batch: batch, cls: cls, lp: make([]float64, t*batch*cls), inLen: make([]int, batch), width: max(1, maxL)}
	for m := range t * batch {
		row := p.lp[m*cls : (m+1)*cls]
		var z float64
		for c := range row {
			row[c] = rng.NormFloat64()
			z += math.Exp(row[c])
		}
		for c := range row {
			row[c] -= math.Log(z)
		}
	}
	for b := range batch {
		p.inLen[b] = minT + rng.IntN(t-minT+1)
		l := rng.IntN(maxL + 1)
		lab := make([]int, l)
		for j := range lab {
			lab[j] = 1 + rng.IntN(cls-1)
		}
		p.targets = append(p.targets, lab)
	}
	return p
}

func (p problem) targetLens() []int {
	l := make([]int, p.batch)
	for b, x := range p.targets {
		l[b] = len(x)
	}
	return l
}

// padded returns the targets as (batch, width), padding 0... but padding
// with a class is fine: only the first L_b are read.
func (p problem) padded() []int {
	d := make([]int, p.batch*p.width)
	for b, lab := range p.targets {
		copy(d[b*p.width:], lab)
	}
	return d
}

func (p problem) concatenated() []int {
	var d []int
	for _, lab := range p.targets {
		d = append(d, lab...)
	}
	if len(d) == 0 {
		d = []int{1}
	}
	return d
}

func toDtype(dt tensor.Dtype, x []float64) any {
	if dt == tensor.Float32 {
		d := make([]float32, len(x))
		for i, v := range x {
			d[i] = float32(v)
		}
		return d
	}
	return append([]float64(nil), x...)
}

func asFloat64(v any) []float64 {
	switch d := v.(type) {
	case []float32:
		r := make([]float64, len(d))
		for i, x := range d {
			r[i] = float64(x)
		}
		return r
	case []float64:
		return append([]float64(nil), d...)
	case float32:
		return []float64{float64(d)}
	case float64:
		return []float64{d}
	}
	panic("not floats")
}

// lossFn is Loss or gorgonia.CTCLoss.
type lossFn func(lp, tg, il, tl *gorgonia.Node, red gorgonia.Reduction) (*gorgonia.Node, error)

func ours(opts ...Option) lossFn {
	return func(lp, tg, il, tl *gorgonia.Node, red gorgonia.Reduction) (*gorgonia.Node, error) {
		return Loss(lp, tg, il, tl, red, opts...)
	}
}

// runLoss builds the loss of p with fn and returns its value and the
// gradient with respect to logProbs (when grad is set).
func runLoss(tb testing.TB, fn lossFn, p problem, dt tensor.Dtype, red gorgonia.Reduction, concat, grad bool) (float64, []float64) {
	tb.Helper()
	g := gorgonia.NewGraph()
	lp := gorgonia.NewTensor(g, dt, 3, gorgonia.WithShape(p.t, p.batch, p.cls), gorgonia.WithName("lp"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(p.t, p.batch, p.cls), tensor.WithBacking(toDtype(dt, p.lp)))))
	var tg *gorgonia.Node
	if concat {
		d := p.concatenated()
		tg = gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(len(d)), gorgonia.WithName("tg"),
			gorgonia.WithValue(tensor.New(tensor.WithShape(len(d)), tensor.WithBacking(d))))
	} else {
		tg = gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(p.batch, p.width), gorgonia.WithName("tg"),
			gorgonia.WithValue(tensor.New(tensor.WithShape(p.batch, p.width), tensor.WithBacking(p.padded()))))
	}
	il := gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(p.batch), gorgonia.WithName("il"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(p.batch), tensor.WithBacking(append([]int(nil), p.inLen...)))))
	tl := gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(p.batch), gorgonia.WithName("tl"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(p.batch), tensor.WithBacking(p.targetLens()))))
	cost, err := fn(lp, tg, il, tl, red)
	if err != nil {
		tb.Fatal(err)
	}
	var grads gorgonia.Nodes
	if grad {
		if grads, err = gorgonia.Grad(cost, lp); err != nil {
			tb.Fatal(err)
		}
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		tb.Fatal(err)
	}
	v := asFloat64(cost.Value().Data())[0]
	if !grad {
		return v, nil
	}
	return v, asFloat64(grads[0].Value().Data())
}
