package align

import (
	"strconv"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LogPartition adds log Z of every batch item, shape (batch), to the graph
// of theta, the potentials of shape (batch, N, M, 3) (Float64 or Float32).
// lenX and lenY give each item's lengths (1 ≤ lenX[b] ≤ N, 1 ≤ lenY[b] ≤
// M); nil means N (or M) for every item. Cells past a length are never read.
// gorgonia.Grad of the sum of the result with respect to theta gives the
// marginals.
func (m Model) LogPartition(theta *gorgonia.Node, lenX, lenY []int) (z *gorgonia.Node, err error) {
	const op = "LogPartition"
	defer func() {
		if r := recover(); r != nil {
			z, err = nil, errorf(op, "internal error: %v", r)
		}
	}()
	if theta == nil {
		return nil, errorf(op, "nil potentials")
	}
	if dt := theta.Dtype(); dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, errorf(op, "potentials have dtype %v, want float64 or float32", dt)
	}
	p, err := newPlan(op, m, theta.Shape(), lenX, lenY)
	if err != nil {
		return nil, err
	}
	g := theta.Graph()
	v0 := gorgonia.NewTensor(g, theta.Dtype(), 2, gorgonia.WithShape(p.batch, p.size),
		gorgonia.WithValue(p.start(theta.Dtype())), gorgonia.WithName(uniqueName(g, "align.v0")))
	var v *gorgonia.Node
	if m.Strategy == LogDepth {
		count := pow2(p.steps)
		gm := p.gatherMap(count, true)
		gm.Out = tensor.Shape{count * p.batch, p.size, p.width()}
		r, err := bandop.Gather(theta, gm)
		if err != nil {
			return nil, wrap(op, err)
		}
		if v, err = p.logDepth(v0, r, count); err != nil {
			return nil, wrap(op, err)
		}
	} else {
		r, err := bandop.Gather(theta, p.gatherMap(p.steps, false))
		if err != nil {
			return nil, wrap(op, err)
		}
		steps := make([]*gorgonia.Node, 0, p.steps)
		if steps, err = split(r, p.steps, tensor.Shape{p.batch, p.size, p.width()}, steps); err != nil {
			return nil, wrap(op, err)
		}
		if v, err = p.linear(v0, steps); err != nil {
			return nil, wrap(op, err)
		}
	}
	if z, err = p.total(v); err != nil {
		return nil, wrap(op, err)
	}
	return z, nil
}

// split appends the n ≥ 2 steps of r, (n, batch, size, width), as separate
// nodes of shape (batch, size, width). It halves r recursively: the
// gradient of taking a part of a tensor is as large as the tensor, so one
// part per step of the whole r would cost O(n²) in the backward pass, the
// tree O(n·log n).
func split(r *gorgonia.Node, n int, leaf tensor.Shape, out []*gorgonia.Node) ([]*gorgonia.Node, error) {
	for _, part := range [][2]int{{0, n / 2}, {n / 2, n}} {
		lo, hi := part[0], part[1]
		if hi-lo == 1 {
			s, err := take(r, lo, hi, leaf)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
			continue
		}
		s, err := take(r, lo, hi, append(tensor.Shape{hi - lo}, leaf...))
		if err != nil {
			return nil, err
		}
		if out, err = split(s, hi-lo, leaf, out); err != nil {
			return nil, err
		}
	}
	return out, nil
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

// linear returns v₀ ⊗ A_0 ⊗ … ⊗ A_T, one VecMul per step; steps[t] holds
// the storage of A_t, (batch, size, width).
func (p *plan) linear(v *gorgonia.Node, steps []*gorgonia.Node) (*gorgonia.Node, error) {
	zero := p.m.Semiring.Zero()
	for _, s := range steps {
		a, err := bandop.Wrap(s, p.lower, p.upper, zero)
		if err != nil {
			return nil, err
		}
		if v, err = bandop.VecMul(v, a, p.m.Semiring); err != nil {
			return nil, err
		}
	}
	return v, nil
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

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return errorf(op, "%v", err)
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
