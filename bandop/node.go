package bandop

import (
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Node is a banded matrix in a Gorgonia graph: a *gorgonia.Node whose value
// is the band storage, of shape (batch, n, Lower+Upper+1), together with the
// band and fill that give that storage its meaning. The graph functions of
// this package (Mul, Transpose, …) take and return Nodes.
type Node struct {
	*gorgonia.Node
	lower, upper int
	fill         float64
}

// NewNode adds a to g as an input node named name, holding a's storage as its
// value. To differentiate with respect to it, pass n.Node to gorgonia.Grad.
func NewNode(g *gorgonia.ExprGraph, a *Banded, name string) (*Node, error) {
	if g == nil {
		return nil, kindErrorf(ErrNil, "NewNode", "nil graph")
	}
	if a == nil || a.data == nil {
		return nil, kindErrorf(ErrNil, "NewNode", "the value is a nil or zero Banded (make one with New, FromDense, Zeros or Filled)")
	}
	n := gorgonia.NewTensor(g, a.Dtype(), 3,
		gorgonia.WithShape(a.data.Shape()...),
		gorgonia.WithName(name),
		gorgonia.WithValue(a.data.Clone()))
	return &Node{Node: n, lower: a.lower, upper: a.upper, fill: a.fill}, nil
}

// Wrap gives the band (lower, upper) and fill to an existing node whose value
// is band storage: n must have rank 3, dtype Float32 or Float64, and last
// dimension lower+upper+1.
func Wrap(n *gorgonia.Node, lower, upper int, fill float64) (*Node, error) {
	const op = "Wrap"
	if n == nil {
		return nil, kindErrorf(ErrNil, op, "nil node")
	}
	if err := checkBand(op, lower, upper); err != nil {
		return nil, err
	}
	if err := checkDtype(op, "node "+n.Name(), n.Dtype()); err != nil {
		return nil, err
	}
	s := n.Shape()
	if s.Dims() != 3 {
		return nil, kindErrorf(ErrShape, op, "node %s has shape %v, want rank 3 (batch, n, lower+upper+1)", n.Name(), s)
	}
	if s[0] < 1 || s[1] < 1 {
		return nil, kindErrorf(ErrShape, op, "node %s has shape %v, want batch ≥ 1 and n ≥ 1", n.Name(), s)
	}
	if s[2] != lower+upper+1 {
		return nil, kindErrorf(ErrBand, op, "node %s has %d band slots per row, band (%d, %d) needs %d", n.Name(), s[2], lower, upper, lower+upper+1)
	}
	return &Node{Node: n, lower: lower, upper: upper, fill: fill}, nil
}

// Lower returns the number of sub-diagonals in the band.
func (n *Node) Lower() int { return n.lower }

// Upper returns the number of super-diagonals in the band.
func (n *Node) Upper() int { return n.upper }

// Fill returns the value of every entry outside the band.
func (n *Node) Fill() float64 { return n.fill }

// Banded returns the node's current value as a Banded (a copy), for reading
// results after a machine has run the graph.
func (n *Node) Banded() (*Banded, error) {
	v := n.Node.Value()
	if v == nil {
		return nil, kindErrorf(ErrValue, "Node.Banded", "node %s has no value yet: run the graph first", n.Name())
	}
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, kindErrorf(ErrValue, "Node.Banded", "node %s holds a %T, want a *tensor.Dense", n.Name(), v)
	}
	return newFrom("Node.Banded", d, n.lower, n.upper, n.fill)
}

// layout returns what operations check of n, or an error naming op and name
// when n is nil or does not look like band storage (wrong rank, dtype or
// last dimension).
func (n *Node) layout(op, name string) (layout, error) {
	if n == nil || n.Node == nil {
		return layout{}, kindErrorf(ErrNil, op, "%s is a nil or zero Node (make one with NewNode, Wrap or a graph function)", name)
	}
	if err := checkDtype(op, name, n.Dtype()); err != nil {
		return layout{}, err
	}
	s := n.Shape()
	if s.Dims() != 3 || s[2] != n.lower+n.upper+1 {
		return layout{}, kindErrorf(ErrShape, op, "%s has shape %v, want (batch, n, %d) for band (%d, %d)", name, s, n.lower+n.upper+1, n.lower, n.upper)
	}
	return layout{batch: s[0], n: s[1], lower: n.lower, upper: n.upper, fill: n.fill, dt: n.Dtype()}, nil
}

// banded returns a Node for out with band l.
func banded(out *gorgonia.Node, l layout) *Node {
	return &Node{Node: out, lower: l.lower, upper: l.upper, fill: l.fill}
}

// operand returns the layout of a value operand, or an error naming op and
// name when a is nil.
func (a *Banded) operand(op, name string) (layout, error) {
	if a == nil || a.data == nil {
		return layout{}, kindErrorf(ErrNil, op, "%s is a nil or zero Banded (make one with New, FromDense, Zeros or Filled)", name)
	}
	return a.layout(), nil
}

// sameShape checks that two operands have equal batch, n and dtype.
func sameShape(op string, a, b layout, an, bn string) error {
	if a.dt != b.dt {
		return kindErrorf(ErrDtype, op, "%s has dtype %v, %s has %v", an, a.dt, bn, b.dt)
	}
	if a.batch != b.batch {
		return kindErrorf(ErrShape, op, "%s has batch %d, %s has %d", an, a.batch, bn, b.batch)
	}
	if a.n != b.n {
		return kindErrorf(ErrShape, op, "%s has n %d, %s has %d", an, a.n, bn, b.n)
	}
	return nil
}

// zeroFill checks that an operand of a semiring operation has the semiring's
// zero as its fill.
func zeroFill(op string, s Semiring, a layout, name string) error {
	if !s.isZero(a.fill) {
		return kindErrorf(ErrFill, op, "%s has fill %v, but the %v semiring needs its zero %v", name, a.fill, s, s.Zero())
	}
	return nil
}
