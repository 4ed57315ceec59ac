package bandop

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BandMul returns the band (lower, upper) of Q·Kᵀ for each pair of
// dense (n, d) matrices of q and k, both of shape (batch, n, d) and the same
// dtype: entry (i, j) in the band is Σ_t Q[i,t]·K[j,t], and only those
// entries are computed (the scores of sliding-window attention). The result
// has fill 0, the Real semiring's zero, which its padding holds too. q and
// k may be views or have a pending transpose (t.T()): each is read as its
// materialized value, and neither is modified.
func BandMul(q, k *tensor.Dense, lower, upper int) (*Banded, error) {
	const op = "BandMul"
	if q == nil || k == nil {
		return nil, kindErrorf(ErrNil, op, "Q or K is nil")
	}
	lc, d, err := bandMulLayout(op, q.Dtype(), k.Dtype(), q.Shape(), k.Shape(), lower, upper)
	if err != nil {
		return nil, err
	}
	c := newBanded(lc, 0) // the kernel writes every slot
	qd, kd := contiguous(q), contiguous(k)
	switch lc.dt {
	case tensor.Float32:
		bandMulForward(storage[float32](c), qd.Data().([]float32), kd.Data().([]float32), lc, d)
	default:
		bandMulForward(storage[float64](c), qd.Data().([]float64), kd.Data().([]float64), lc, d)
	}
	return c, nil
}

// BandMulNode adds the band (lower, upper) of q·kᵀ to the graph (see
// BandMul); q and k have shape (batch, n, d). Its gradient with
// respect to both operands is defined: dQ = G·K and dK = Gᵀ·Q over the
// band of the incoming gradient G, whose padding is never read.
func BandMulNode(q, k *gorgonia.Node, lower, upper int) (*Node, error) {
	const name = "BandMulNode"
	if q == nil || k == nil {
		return nil, kindErrorf(ErrNil, name, "Q or K is nil")
	}
	lc, d, err := bandMulLayout(name, q.Dtype(), k.Dtype(), q.Shape(), k.Shape(), lower, upper)
	if err != nil {
		return nil, err
	}
	out, err := gorgonia.ApplyOp(&bandMulOp{c: lc, d: d}, q, k)
	if err != nil {
		return nil, wrapGraph(name, err)
	}
	return banded(out, lc), nil
}

// bandMulLayout checks the operands of BandMul and returns the result's
// layout and the operands' number of columns d.
func bandMulLayout(op string, qdt, kdt tensor.Dtype, qs, ks tensor.Shape, lower, upper int) (layout, int, error) {
	if err := checkDtype(op, "Q", qdt); err != nil {
		return layout{}, 0, err
	}
	if kdt != qdt {
		return layout{}, 0, kindErrorf(ErrDtype, op, "K has dtype %v, Q has %v", kdt, qdt)
	}
	if err := checkBand(op, lower, upper); err != nil {
		return layout{}, 0, err
	}
	if qs.Dims() != 3 || qs[0] < 1 || qs[1] < 1 || qs[2] < 1 {
		return layout{}, 0, kindErrorf(ErrShape, op, "Q has shape %v, want (batch, n, d), each at least 1", qs)
	}
	if !ks.Eq(qs) {
		return layout{}, 0, kindErrorf(ErrShape, op, "K has shape %v, Q has %v: they must be equal", ks, qs)
	}
	if err := checkSize(op, "Q", qs[0], qs[1], qs[2]); err != nil {
		return layout{}, 0, err
	}
	lc := layout{batch: qs[0], n: qs[1], lower: lower, upper: upper, fill: 0, dt: qdt}
	if err := checkResult(op, lc); err != nil {
		return layout{}, 0, err
	}
	return lc, qs[2], nil
}

// bandMulForward writes c = the band of Q·Kᵀ (layout lc), padding included.
// It is the kernel of MulDense's Real gradient with respect to A as well.
func bandMulForward[T float](c, q, k []T, lc layout, d int) {
	rows := lc.batch * lc.n
	parallelFor(rows, rows*lc.width()*d, func(lo, hi int) { bandDots(c, q, k, lc, d, false, lo, hi) })
}

// bandMulBackward computes the gradient with respect to Q (wrt 0: row i is
// Σ_j G[i,j]·K[j,:], MulDense's kernel along G's rows) or K (wrt 1: row j
// is Σ_i G[i,j]·Q[i,:], down G's columns). A term whose G is 0 adds nothing,
// whatever the other factor; that takes a test per term only where the
// other factor holds an Inf or NaN.
func bandMulBackward[T float](wrt int, g, q, k, dc []T, lc layout, d int) {
	side, other := vecRight, k
	if wrt == 1 {
		side, other = vecLeft, q
	}
	rows, skip := lc.batch*lc.n, !allFinite(other)
	parallelFor(rows, rows*lc.width()*d, func(lo, hi int) {
		denseRowsReal(side, g, dc, other, lc, d, skip, false, lo, hi)
	})
}

// bandMulOp is the Gorgonia Op of BandMul: inputs Q and K, (batch, n, d);
// output band storage of layout c.
type bandMulOp struct {
	opBase
	c layout // the result's layout
	d int
}

func (op *bandMulOp) String() string {
	return fmt.Sprintf("bandop.BandMul{(%d,%d), d %d, %v}", op.c.lower, op.c.upper, op.d, op.c.dt)
}
func (op *bandMulOp) Arity() int                { return 2 }
func (op *bandMulOp) Type() hm.Type             { return fnType(op.c.dt, 3, 3, 3) }
func (op *bandMulOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *bandMulOp) Hashcode() uint32          { return hashcode(op) }
func (op *bandMulOp) DiffWRT(inputs int) []bool { return []bool{true, true} }

func (op *bandMulOp) qShape() tensor.Shape { return tensor.Shape{op.c.batch, op.c.n, op.d} }

func (op *bandMulOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.c.shape(), nil
}

// operands returns Q and K from an Op's inputs.
func (op *bandMulOp) operands(name string, vals []gorgonia.Value) (q, k *tensor.Dense, err error) {
	if q, err = input(name, vals, 0, op.c.dt, op.qShape()); err != nil {
		return
	}
	k, err = input(name, vals, 1, op.c.dt, op.qShape())
	return
}

func (op *bandMulOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "BandMul"
	if err := checkArity(name, vals, 2); err != nil {
		return nil, err
	}
	q, k, err := op.operands(name, vals)
	if err != nil {
		return nil, err
	}
	c := newDense(op.c.dt, op.c.shape(), 0)
	switch op.c.dt {
	case tensor.Float32:
		bandMulForward(c.Data().([]float32), q.Data().([]float32), k.Data().([]float32), op.c, op.d)
	default:
		bandMulForward(c.Data().([]float64), q.Data().([]float64), k.Data().([]float64), op.c, op.d)
	}
	return c, nil
}

func (op *bandMulOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, kindErrorf(ErrShape, "BandMul", "SymDiff got %d inputs, want 2", len(inputs))
	}
	var gs gorgonia.Nodes
	for wrt := 0; wrt < 2; wrt++ {
		g, err := gorgonia.ApplyOp(&bandMulGradOp{bandMulOp: *op, wrt: wrt}, inputs[0], inputs[1], grad)
		if err != nil {
			return nil, wrapGraph("BandMul", err)
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// bandMulGradOp is the backward Op of BandMul: from (Q, K, dC) it returns
// the gradient with respect to Q (wrt = 0) or K (wrt = 1). The result is
// linear in Q and K, so the forward's output is not an input.
type bandMulGradOp struct {
	bandMulOp
	wrt int
}

func (op *bandMulGradOp) String() string {
	return fmt.Sprintf("bandop.BandMulGrad{wrt %d, (%d,%d), d %d, %v}", op.wrt, op.c.lower, op.c.upper, op.d, op.c.dt)
}
func (op *bandMulGradOp) Arity() int            { return 3 }
func (op *bandMulGradOp) Type() hm.Type         { return fnType(op.c.dt, 3, 3, 3, 3) }
func (op *bandMulGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *bandMulGradOp) Hashcode() uint32      { return hashcode(op) }

func (op *bandMulGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.qShape(), nil
}

func (op *bandMulGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "BandMulGrad"
	if err := checkArity(name, vals, 3); err != nil {
		return nil, err
	}
	q, k, err := op.bandMulOp.operands(name, vals)
	if err != nil {
		return nil, err
	}
	dc, err := input(name, vals, 2, op.c.dt, op.c.shape())
	if err != nil {
		return nil, err
	}
	g := newDense(op.c.dt, op.qShape(), 0)
	switch op.c.dt {
	case tensor.Float32:
		bandMulBackward(op.wrt, g.Data().([]float32), q.Data().([]float32), k.Data().([]float32), dc.Data().([]float32), op.c, op.d)
	default:
		bandMulBackward(op.wrt, g.Data().([]float64), q.Data().([]float64), k.Data().([]float64), dc.Data().([]float64), op.c, op.d)
	}
	return g, nil
}
