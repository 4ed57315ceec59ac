package align

import (
	"fmt"
	"sort"

	"github.com/genband/genband/bandop"

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
// LogPartition for lenX and lenY. To run many potentials of one shape,
// Compile once and call Program.Marginals: building and compiling the
// graph costs more than running it.
func (m Model) Marginals(theta *tensor.Dense, lenX, lenY []int) (*Result, error) {
	const op = "Marginals"
	if theta == nil {
		return nil, errorf(op, "nil potentials")
	}
	pr, err := m.compile(op, theta.Shape(), theta.Dtype(), lenX, lenY)
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	return pr.run(op, theta)
}

// A Program is the compiled graph of a model's marginals for one shape,
// dtype and set of lengths, ready to run on potentials of that shape.
// It is not safe for concurrent use.
type Program struct {
	m      Model
	p      *plan
	dt     tensor.Dtype
	gm     *bandop.GatherMap // θ → step storage (Linear)
	input  []*gorgonia.Node  // the step matrices (Linear) or θ (LogDepth)
	grads  []*gorgonia.Node
	z      *gorgonia.Node
	vm     gorgonia.VM
	steps  *tensor.Dense // the values of the step matrices (Linear)
	closed bool
}

func gatherInto[T float32 | float64](dst, x []T, m *bandop.GatherMap) {
	c := make([]T, len(m.Consts))
	for k, v := range m.Consts {
		c[k] = T(v)
	}
	for k, ix := range m.Index {
		if ix >= 0 {
			dst[k] = x[ix]
		} else {
			dst[k] = c[-ix-1]
		}
	}
}

func scatterAdd[T float32 | float64](dst, g []T, index []int32) {
	for k, ix := range index {
		if ix >= 0 {
			dst[ix] += g[k]
		}
	}
}

// Compile builds and compiles the graph of Marginals for potentials of the
// given shape (batch, N, M, 3) and dtype (Float64 or Float32).
//
// With the Linear strategy the gradient is taken with respect to the step
// matrices, which are the graph's inputs here, and mapped back onto θ by
// the adjoint of bandop.Gather: this is the gradient through θ, without
// taking every step's part out of one tensor in the graph, whose gradients
// cost more than the alignment.
func (m Model) Compile(shape tensor.Shape, dt tensor.Dtype, lenX, lenY []int) (*Program, error) {
	return m.compile("Compile", shape, dt, lenX, lenY)
}

func (m Model) compile(op string, shape tensor.Shape, dt tensor.Dtype, lenX, lenY []int) (pr *Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			pr, err = nil, errorf(op, "internal error: %v", r)
		}
	}()
	if dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, errorf(op, "potentials have dtype %v, want float64 or float32", dt)
	}
	p, err := newPlan(op, m, shape, lenX, lenY)
	if err != nil {
		return nil, err
	}
	pr = &Program{m: m, p: p, dt: dt}
	g := gorgonia.NewGraph()
	if m.Strategy == LogDepth {
		th := gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(shape...), gorgonia.WithName("align.theta"))
		if pr.z, err = m.LogPartition(th, lenX, lenY); err != nil {
			return nil, err
		}
		pr.input = []*gorgonia.Node{th}
	} else {
		pr.gm = p.gatherMap(p.steps, false)
		w := p.width()
		pr.input = make([]*gorgonia.Node, p.steps)
		for t := range pr.input {
			pr.input[t] = gorgonia.NewTensor(g, dt, 3, gorgonia.WithShape(p.batch, p.size, w), gorgonia.WithName(fmt.Sprintf("align.A%d", t)))
		}
		v0 := gorgonia.NewTensor(g, dt, 2, gorgonia.WithShape(p.batch, p.size),
			gorgonia.WithValue(p.start(dt)), gorgonia.WithName("align.v0"))
		v, err := p.linear(v0, pr.input)
		if err != nil {
			return nil, wrap(op, err)
		}
		if pr.z, err = p.total(v); err != nil {
			return nil, wrap(op, err)
		}
	}
	cost, err := gorgonia.Sum(pr.z)
	if err != nil {
		return nil, wrap(op, err)
	}
	if pr.grads, err = gorgonia.Grad(cost, pr.input...); err != nil {
		return nil, wrap(op, err)
	}
	pr.vm = gorgonia.NewTapeMachine(g)
	return pr, nil
}

// Close releases the Program's machine.
func (pr *Program) Close() {
	if !pr.closed {
		pr.closed = true
		pr.vm.Close()
	}
}

// Marginals runs the program on theta, which must have the shape and dtype
// it was compiled for.
func (pr *Program) Marginals(theta *tensor.Dense) (*Result, error) {
	return pr.run("Program.Marginals", theta)
}

func (pr *Program) run(op string, theta *tensor.Dense) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, errorf(op, "internal error: %v", r)
		}
	}()
	p := pr.p
	switch {
	case pr.closed:
		return nil, errorf(op, "program is closed")
	case theta == nil:
		return nil, errorf(op, "nil potentials")
	case theta.Dtype() != pr.dt:
		return nil, errorf(op, "potentials have dtype %v, the program was compiled for %v", theta.Dtype(), pr.dt)
	case !theta.Shape().Eq(tensor.Shape{p.batch, p.n, p.mm, 3}):
		return nil, errorf(op, "potentials have shape %v, the program was compiled for %v", theta.Shape(), tensor.Shape{p.batch, p.n, p.mm, 3})
	}
	if pr.m.Strategy == LogDepth {
		if err := gorgonia.Let(pr.input[0], theta.Clone()); err != nil {
			return nil, wrap(op, err)
		}
	} else {
		// The step matrices' values share one buffer, bound once: each run
		// gathers θ into it in place.
		if pr.steps == nil {
			pr.steps = tensor.New(tensor.Of(pr.dt), tensor.WithShape(pr.gm.Out...))
			per := p.batch * p.size * p.width()
			for t, in := range pr.input {
				var val *tensor.Dense
				switch d := pr.steps.Data().(type) {
				case []float64:
					val = tensor.New(tensor.WithShape(p.batch, p.size, p.width()), tensor.WithBacking(d[t*per:(t+1)*per]))
				case []float32:
					val = tensor.New(tensor.WithShape(p.batch, p.size, p.width()), tensor.WithBacking(d[t*per:(t+1)*per]))
				}
				if err := gorgonia.Let(in, val); err != nil {
					return nil, wrap(op, err)
				}
			}
		}
		x := contiguous(theta)
		switch d := pr.steps.Data().(type) {
		case []float64:
			gatherInto(d, x.Data().([]float64), pr.gm)
		case []float32:
			gatherInto(d, x.Data().([]float32), pr.gm)
		}
	}
	pr.vm.Reset()
	if err := pr.vm.RunAll(); err != nil {
		return nil, wrap(op, err)
	}
	res = &Result{LogZ: float64s(pr.z.Value())}
	if pr.m.Strategy == LogDepth {
		gv, ok := pr.grads[0].Value().(*tensor.Dense)
		if !ok {
			return nil, errorf(op, "gradient is a %T", pr.grads[0].Value())
		}
		res.Marginals = contiguous(gv).Clone().(*tensor.Dense)
		return res, nil
	}
	// The adjoint of the gather, step by step from the gradient nodes.
	per := p.batch * p.size * p.width()
	res.Marginals = tensor.New(tensor.Of(pr.dt), tensor.WithShape(p.batch, p.n, p.mm, 3))
	for t, gn := range pr.grads {
		gv, ok := gn.Value().(*tensor.Dense)
		if !ok {
			return nil, errorf(op, "gradient of step %d is a %T", t, gn.Value())
		}
		gv = contiguous(gv)
		ix := pr.gm.Index[t*per : (t+1)*per]
		switch d := res.Marginals.Data().(type) {
		case []float64:
			scatterAdd(d, gv.Data().([]float64), ix)
		case []float32:
			scatterAdd(d, gv.Data().([]float32), ix)
		}
	}
	return res, nil
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
