package align

import (
	"fmt"
	"sort"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Result holds what Marginals computes.
type Result struct {
	// LogZ is log Z of every batch item in float64: the log-partition
	// (Log), the best score (Max) or the partition itself (Real).
	LogZ []float64
	// Marginals is ∂ Σ log Z / ∂θ, of θ's shape and dtype: the probability
	// of each move under Log, the 0/1 best path under Max, and 0 in every
	// cell past a length or outside the gap.
	Marginals *tensor.Dense
}

// Marginals builds the graph of LogPartition for theta, (batch, N, M, 3),
// differentiates the sum of log Z with gorgonia.Grad, runs it on a tape
// machine and returns log Z and the marginals. theta is not modified. See
// LogPartition for lenX and lenY.
//
// With the Linear strategy the gradient is taken with respect to the step
// matrices, which are the graph's inputs here, and mapped back onto θ by
// the adjoint of bandop.Gather: this is the same gradient as through θ, but
// without the slicing of the steps out of one tensor, whose gradient costs
// more than the alignment.
func (m Model) Marginals(theta *tensor.Dense, lenX, lenY []int) (res *Result, err error) {
	const op = "Marginals"
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, errorf(op, "internal error: %v", r)
		}
	}()
	if theta == nil {
		return nil, errorf(op, "nil potentials")
	}
	dt := theta.Dtype()
	if dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, errorf(op, "potentials have dtype %v, want float64 or float32", dt)
	}
	p, err := newPlan(op, m, theta.Shape(), lenX, lenY)
	if err != nil {
		return nil, err
	}
	if m.Strategy == LogDepth {
		return m.marginalsThrough(theta, lenX, lenY)
	}
	gm := p.gatherMap(p.steps, false)
	r, err := gm.Gather(theta)
	if err != nil {
		return nil, wrap(op, err)
	}
	g := gorgonia.NewGraph()
	w := p.width()
	per := p.batch * p.size * w
	leaves := make([]*gorgonia.Node, p.steps)
	for t := range leaves {
		var val *tensor.Dense
		switch d := r.Data().(type) {
		case []float64:
			val = tensor.New(tensor.WithShape(p.batch, p.size, w), tensor.WithBacking(d[t*per:(t+1)*per]))
		case []float32:
			val = tensor.New(tensor.WithShape(p.batch, p.size, w), tensor.WithBacking(d[t*per:(t+1)*per]))
		}
		leaves[t] = gorgonia.NewTensor(g, dt, 3, gorgonia.WithShape(p.batch, p.size, w),
			gorgonia.WithValue(val), gorgonia.WithName(fmt.Sprintf("align.A%d", t)))
	}
	v0 := gorgonia.NewTensor(g, dt, 2, gorgonia.WithShape(p.batch, p.size),
		gorgonia.WithValue(p.start(dt)), gorgonia.WithName("align.v0"))
	v, err := p.linear(v0, leaves)
	if err != nil {
		return nil, wrap(op, err)
	}
	z, err := p.total(v)
	if err != nil {
		return nil, wrap(op, err)
	}
	grads, err := gradients(z, leaves)
	if err != nil {
		return nil, wrap(op, err)
	}
	gr := tensor.New(tensor.Of(dt), tensor.WithShape(p.steps, p.batch, p.size, w))
	for t, gn := range grads {
		gv, ok := gn.Value().(*tensor.Dense)
		if !ok {
			return nil, errorf(op, "gradient of step %d is a %T", t, gn.Value())
		}
		gv = contiguous(gv)
		switch d := gr.Data().(type) {
		case []float64:
			copy(d[t*per:(t+1)*per], gv.Data().([]float64))
		case []float32:
			copy(d[t*per:(t+1)*per], gv.Data().([]float32))
		}
	}
	marg, err := gm.Scatter(gr)
	if err != nil {
		return nil, wrap(op, err)
	}
	return &Result{LogZ: float64s(z.Value()), Marginals: marg}, nil
}

// marginalsThrough differentiates with respect to θ itself.
func (m Model) marginalsThrough(theta *tensor.Dense, lenX, lenY []int) (*Result, error) {
	const op = "Marginals"
	g := gorgonia.NewGraph()
	th := gorgonia.NewTensor(g, theta.Dtype(), 4, gorgonia.WithShape(theta.Shape()...),
		gorgonia.WithValue(theta.Clone()), gorgonia.WithName("align.theta"))
	z, err := m.LogPartition(th, lenX, lenY)
	if err != nil {
		return nil, err
	}
	grads, err := gradients(z, []*gorgonia.Node{th})
	if err != nil {
		return nil, wrap(op, err)
	}
	gv, ok := grads[0].Value().(*tensor.Dense)
	if !ok {
		return nil, errorf(op, "gradient is a %T", grads[0].Value())
	}
	return &Result{LogZ: float64s(z.Value()), Marginals: contiguous(gv).Clone().(*tensor.Dense)}, nil
}

// gradients runs the graph of z and returns the gradient nodes of Σ z with
// respect to wrt, holding their values.
func gradients(z *gorgonia.Node, wrt []*gorgonia.Node) ([]*gorgonia.Node, error) {
	cost, err := gorgonia.Sum(z)
	if err != nil {
		return nil, err
	}
	grads, err := gorgonia.Grad(cost, wrt...)
	if err != nil {
		return nil, err
	}
	vm := gorgonia.NewTapeMachine(z.Graph())
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		return nil, err
	}
	return grads, nil
}

func contiguous(t *tensor.Dense) *tensor.Dense {
	if t.IsView() || !t.IsNativelyAccessible() {
		return t.Materialize().(*tensor.Dense)
	}
	return t
}

func float64s(v gorgonia.Value) []float64 {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil
	}
	d = contiguous(d)
	switch x := d.Data().(type) {
	case []float64:
		return append([]float64(nil), x...)
	case []float32:
		out := make([]float64, len(x))
		for i, f := range x {
			out[i] = float64(f)
		}
		return out
	case float64:
		return []float64{x}
	case float32:
		return []float64{float64(x)}
	}
	return nil
}

// A Step is one cell of a path and the move that enters it.
type Step struct{ I, J, Move int }

// BestPaths returns the best score of every batch item and its path, in
// order from the first cell to the last, using the Max semiring whatever
// m.Semiring is. On ties the path takes the first maximal choice of each
// ⊕ (see bandop.Max). The path is read off the Max marginals.
func (m Model) BestPaths(theta *tensor.Dense, lenX, lenY []int) ([]float64, [][]Step, error) {
	m.Semiring = Max
	res, err := m.Marginals(theta, lenX, lenY)
	if err != nil {
		return nil, nil, err
	}
	s := res.Marginals.Shape()
	batch, n, mm := s[0], s[1], s[2]
	vals := float64s(res.Marginals)
	paths := make([][]Step, batch)
	for b := range batch {
		for i := range n {
			for j := range mm {
				for c := range 3 {
					if vals[((b*n+i)*mm+j)*3+c] > 0.5 {
						paths[b] = append(paths[b], Step{i, j, c})
					}
				}
			}
		}
		sort.SliceStable(paths[b], func(x, y int) bool {
			px, py := paths[b][x], paths[b][y]
			return px.I+px.J < py.I+py.J
		})
	}
	return res.LogZ, paths, nil
}
