package align

import (
	"strconv"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LogPartition adds log Z of every batch item, shape (batch) in theta's
// dtype, to the graph of theta, the potentials of shape (batch, N, M, 3)
// ((batch, N, M, 5) for an affine model, see Match), Float64 or Float32.
// lenX and lenY give each item's lengths (1 ≤ lenX[b] ≤ N,
// 1 ≤ lenY[b] ≤ M); nil means N (or M) for every item.
// Potentials no path may use (past a length, outside the gap, a move from
// outside them) never contribute, whatever they hold. gorgonia.Grad of the
// sum of the result with respect to theta gives the marginals.
//
// The node keeps IEEE semantics, as Gorgonia's own Ops do: a NaN or +Inf
// potential that a path may use makes that item's log Z and marginals NaN
// or +Inf, and the run reports no error (Marginals and Program refuse such
// potentials instead).
//
// The lengths become a constant of the graph; to run one graph with other
// lengths, use LogPartitionLengths. With the LogDepth strategy the layout
// of its step matrices depends on the lengths, so they can only be given here.
func (m Model) LogPartition(theta *gorgonia.Node, lenX, lenY []int) (*gorgonia.Node, error) {
	const op = "LogPartition"
	if err := checkThetaNode(op, "potentials", theta); err != nil {
		return nil, err
	}
	if m.Strategy == LogDepth {
		return m.logDepthGraph(op, theta, lenX, lenY)
	}
	g, err := newGrid(op, m, theta.Shape())
	if err != nil {
		return nil, err
	}
	lv, err := g.fullLengths(op, lenX, lenY)
	if err != nil {
		return nil, err
	}
	return g.logPartition(op, theta, gorgonia.NewConstant(lv), theta.Dtype())
}

// checkThetaNode checks a node of potentials, named what in errors: not
// nil, of a graph, and of dtype Float64 or Float32 (its shape is the
// caller's to check).
func checkThetaNode(op, what string, theta *gorgonia.Node) error {
	if theta == nil {
		return errorf(ErrNil, op, "nil %s", what)
	}
	if theta.Graph() == nil {
		return errorf(ErrGraph, op, "the %s node belongs to no graph (a constant cannot be differentiated)", what)
	}
	if dt := theta.Dtype(); dt != tensor.Float64 && dt != tensor.Float32 {
		return errorf(ErrDtype, op, "%s have dtype %v, want float64 or float32", what, dt)
	}
	return nil
}

// checkLengthsNode checks the lengths node of batch items: (batch, 2) of
// tensor.Int. (A node of another graph is Gorgonia's to refuse.)
func checkLengthsNode(op string, lengths *gorgonia.Node, batch int) error {
	if lengths == nil {
		return errorf(ErrNil, op, "nil lengths")
	}
	if lengths.Dtype() != tensor.Int {
		return errorf(ErrDtype, op, "lengths have dtype %v, want int", lengths.Dtype())
	}
	if !lengths.Shape().Eq(tensor.Shape{batch, 2}) {
		return errorf(ErrShape, op, "lengths have shape %v, want (%d, 2)", lengths.Shape(), batch)
	}
	return nil
}

// LogPartitionLengths is LogPartition with the lengths as a node of the
// graph, (batch, 2) of tensor.Int holding lenX[b], lenY[b] in row b (see
// Lengths): one graph, built and compiled once, then serves every batch of
// potentials of its shape, whatever their lengths, bound with gorgonia.Let
// before each run. It needs the Linear strategy, and keeps IEEE semantics
// as LogPartition does.
//
// Lengths out of range make the run fail with an *Error of kind ErrLength
// that names the item, inside the error the machine's RunAll returns
// (Gorgonia wraps it without Unwrap): bandop.Cause finds it, so that
// errors.Is(bandop.Cause(err), ErrLength) tests it.
func (m Model) LogPartitionLengths(theta, lengths *gorgonia.Node) (*gorgonia.Node, error) {
	return m.logPartitionLengths("LogPartitionLengths", theta, lengths)
}

func (m Model) logPartitionLengths(op string, theta, lengths *gorgonia.Node) (*gorgonia.Node, error) {
	if err := checkThetaNode(op, "potentials", theta); err != nil {
		return nil, err
	}
	if err := m.check(op); err != nil {
		return nil, err
	}
	if m.Strategy != Linear {
		return nil, errorf(ErrMode, op, "the %v strategy lays its steps out for given lengths: use LogPartition, or Linear", m.Strategy)
	}
	g, err := newGrid(op, m, theta.Shape())
	if err != nil {
		return nil, err
	}
	if err := checkLengthsNode(op, lengths, g.batch); err != nil {
		return nil, err
	}
	return g.logPartition(op, theta, lengths, theta.Dtype())
}

// logPartition is the one builder of the Linear strategy: θ and the
// lengths → α of every cell (cellsOp) → the ends (endOp), log Z of dtype
// dt. Its two nodes serve LogPartition, LogPartitionLengths and Compile
// alike.
func (g *grid) logPartition(op string, theta, lengths *gorgonia.Node, dt tensor.Dtype) (*gorgonia.Node, error) {
	alpha, err := gorgonia.ApplyOp(newCellsOp(g, theta.Dtype()), theta, lengths)
	if err != nil {
		return nil, wrap(op, err)
	}
	z, err := gorgonia.ApplyOp(&endOp{g: g, dt: dt}, alpha, lengths)
	if err != nil {
		return nil, wrap(op, err)
	}
	return z, nil
}

// logDepthGraph adds log Z by the LogDepth strategy: θ gathered into the
// step matrices of the given lengths, multiplied pairwise in a tree.
func (m Model) logDepthGraph(op string, theta *gorgonia.Node, lenX, lenY []int) (*gorgonia.Node, error) {
	p, err := newPlan(op, m, theta.Shape(), lenX, lenY)
	if err != nil {
		return nil, err
	}
	g := theta.Graph()
	v0 := gorgonia.NewTensor(g, theta.Dtype(), 2, gorgonia.WithShape(p.batch, p.size),
		gorgonia.WithValue(p.start(theta.Dtype())), gorgonia.WithName(uniqueName(g, "align.v0")))
	count := pow2(p.steps)
	gm := p.gatherMap(count, true)
	gm.Out = tensor.Shape{count * p.batch, p.size, p.width()}
	r, err := bandop.Gather(theta, gm)
	if err != nil {
		return nil, wrap(op, err)
	}
	v, err := p.logDepth(v0, r, count)
	if err != nil {
		return nil, wrap(op, err)
	}
	z, err := p.total(v)
	if err != nil {
		return nil, wrap(op, err)
	}
	return z, nil
}

// take returns x[lo:hi] along the first dimension, reshaped to shape. It is
// a bandop.Gather rather than a Gorgonia slice: the tape machine of
// gorgonia v0.9.18 was seen to hand out the value of one slice of a large
// tensor as the value of another.
func take(x *gorgonia.Node, lo, hi int, shape tensor.Shape) (*gorgonia.Node, error) {
	in := x.Shape()
	per := in.TotalSize() / in[0]
	idx := make([]int32, (hi-lo)*per)
	for k := range idx {
		idx[k] = int32(lo*per + k)
	}
	return bandop.Gather(x, &bandop.GatherMap{In: in.Clone(), Out: shape, Index: idx})
}

// logDepth returns v₀ ⊗ A_0 ⊗ … ⊗ A_T from r, the storage of count = 2^k
// steps in bit-reversed order (see plan.gatherMap), by k levels of batched
// Mul: the first half of the stack times the second half is again a stack
// in bit-reversed order.
func (p *plan) logDepth(v, r *gorgonia.Node, count int) (*gorgonia.Node, error) {
	s := p.m.Semiring
	a, err := bandop.Wrap(r, p.lower, p.upper, s.Zero())
	if err != nil {
		return nil, err
	}
	for c := count; c > 1; c /= 2 {
		h := c / 2 * p.batch
		wa := a.Lower() + a.Upper() + 1
		left, err := take(a.Node, 0, h, tensor.Shape{h, p.size, wa})
		if err != nil {
			return nil, err
		}
		right, err := take(a.Node, h, 2*h, tensor.Shape{h, p.size, wa})
		if err != nil {
			return nil, err
		}
		l, err := bandop.Wrap(left, a.Lower(), a.Upper(), s.Zero())
		if err != nil {
			return nil, err
		}
		rr, err := bandop.Wrap(right, a.Lower(), a.Upper(), s.Zero())
		if err != nil {
			return nil, err
		}
		if a, err = bandop.Mul(l, rr, s); err != nil {
			return nil, err
		}
		// Diagonals past size−1 hold only padding: keep the band within
		// the matrix (with a gap the matrix is small and this bounds the
		// work).
		if lo, up := min(a.Lower(), p.size-1), min(a.Upper(), p.size-1); lo != a.Lower() || up != a.Upper() {
			if a, err = bandop.Reband(a, lo, up); err != nil {
				return nil, err
			}
		}
	}
	return bandop.VecMul(v, a, s)
}

// total returns the ⊕ of each item's final vector, (batch).
func (p *plan) total(v *gorgonia.Node) (*gorgonia.Node, error) {
	d, err := gorgonia.Reshape(v, tensor.Shape{p.batch, p.size, 1})
	if err != nil {
		return nil, err
	}
	diag, err := bandop.Wrap(d, 0, 0, p.m.Semiring.Zero())
	if err != nil {
		return nil, err
	}
	return bandop.Sum(diag, p.m.Semiring)
}

func pow2(n int) int {
	c := 1
	for c < n {
		c *= 2
	}
	return c
}

// uniqueName returns a node name not yet used in g, so that several
// alignments can share a graph.
func uniqueName(g *gorgonia.ExprGraph, base string) string {
	name := base
	for k := 1; len(g.ByName(name)) > 0; k++ {
		name = base + "." + strconv.Itoa(k)
	}
	return name
}
