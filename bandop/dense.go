package bandop

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// FromDense returns the band (lower, upper) of each matrix of d, which must
// have shape (batch, n, n); entries of d outside the band are ignored and
// the result's fill is fill. d may be a view or have a pending transpose
// (t.T()): it is read as its materialized value, and never modified.
func FromDense(d *tensor.Dense, lower, upper int, fill float64) (*Banded, error) {
	const op = "FromDense"
	if d == nil {
		return nil, kindErrorf(ErrNil, op, "nil tensor")
	}
	l, err := fromDenseLayout(op, d.Dtype(), d.Shape(), lower, upper, fill)
	if err != nil {
		return nil, err
	}
	a := newBanded(l, fill)
	src := contiguous(d)
	switch l.dt {
	case tensor.Float32:
		fromDense(storage[float32](a), src.Data().([]float32), l)
	case tensor.Float64:
		fromDense(storage[float64](a), src.Data().([]float64), l)
	}
	return a, nil
}

// fromDenseLayout checks FromDense's operand, of dtype dt and shape s, and
// returns the result's layout.
func fromDenseLayout(op string, dt tensor.Dtype, s tensor.Shape, lower, upper int, fill float64) (layout, error) {
	if err := checkDtype(op, "D", dt); err != nil {
		return layout{}, err
	}
	if err := checkBand(op, lower, upper); err != nil {
		return layout{}, err
	}
	if s.Dims() != 3 || s[1] != s[2] || s[0] < 1 || s[1] < 1 {
		return layout{}, kindErrorf(ErrShape, op, "D has shape %v, want (batch, n, n) with batch, n ≥ 1", s)
	}
	l := layout{batch: s[0], n: s[1], lower: lower, upper: upper, fill: fill, dt: dt}
	return l, checkResult(op, l)
}

// ToDense returns the matrices as a dense tensor of shape (batch, n, n), with
// the fill outside the band. It returns an error of kind ErrSize when
// batch·n² is more than MaxElements.
func (a *Banded) ToDense() (*tensor.Dense, error) {
	const op = "ToDense"
	l, err := a.operand(op, "A")
	if err != nil {
		return nil, err
	}
	if err := checkSize(op, "the dense result", l.batch, l.n, l.n); err != nil {
		return nil, err
	}
	d := newDense(l.dt, tensor.Shape{l.batch, l.n, l.n}, l.fill)
	switch l.dt {
	case tensor.Float32:
		toDense(d.Data().([]float32), storage[float32](a), l, float32(l.fill))
	case tensor.Float64:
		toDense(d.Data().([]float64), storage[float64](a), l, l.fill)
	}
	return d, nil
}

// fromDense copies the band of dense matrices d into band storage a (whose
// padding must already hold the fill).
func fromDense[T float](a, d []T, l layout) {
	n, w := l.n, l.width()
	for r := 0; r < l.batch*n; r++ {
		i := r % n
		lo, hi := validSlots(i, n, l.lower, w)
		for k := lo; k < hi; k++ {
			a[r*w+k] = d[r*n+i+k-l.lower]
		}
	}
}

// toDense writes band storage a into dense matrices d, fill outside the band.
func toDense[T float](d, a []T, l layout, fill T) {
	n, w := l.n, l.width()
	for r := 0; r < l.batch*n; r++ {
		i := r % n
		row := d[r*n : (r+1)*n]
		fillSlice(row, fill)
		lo, hi := validSlots(i, n, l.lower, w)
		for k := lo; k < hi; k++ {
			row[i+k-l.lower] = a[r*w+k]
		}
	}
}

// FromDenseNode adds to the graph the band (lower, upper) of d, a node of shape
// (batch, n, n). Its gradient flows back to the in-band entries of d.
func FromDenseNode(d *gorgonia.Node, lower, upper int, fill float64) (*Node, error) {
	const op = "FromDenseNode"
	if d == nil {
		return nil, kindErrorf(ErrNil, op, "nil node")
	}
	l, err := fromDenseLayout(op, d.Dtype(), d.Shape(), lower, upper, fill)
	if err != nil {
		return nil, err
	}
	out, err := gorgonia.ApplyOp(&fromDenseOp{l: l}, d)
	if err != nil {
		return nil, wrapGraph(op, err)
	}
	return banded(out, l), nil
}

// ToDense adds to the graph the dense form of a, of shape (batch, n, n),
// with a's fill outside the band.
func ToDense(a *Node) (*gorgonia.Node, error) {
	const op = "ToDense"
	l, err := a.layout(op, "A")
	if err != nil {
		return nil, err
	}
	if err := checkSize(op, "the dense result", l.batch, l.n, l.n); err != nil {
		return nil, err
	}
	out, err := gorgonia.ApplyOp(&toDenseOp{l: l}, a.Node)
	if err != nil {
		return nil, wrapGraph(op, err)
	}
	return out, nil
}

// fromDenseOp takes (batch, n, n) to band storage with layout l. With
// l.fill = 0 it is also the backward Op of toDenseOp.
type fromDenseOp struct {
	opBase
	l layout
}

func (op *fromDenseOp) String() string {
	return fmt.Sprintf("bandop.FromDense{(%d,%d), fill %v, %v}", op.l.lower, op.l.upper, op.l.fill, op.l.dt)
}
func (op *fromDenseOp) Arity() int                { return 1 }
func (op *fromDenseOp) Type() hm.Type             { return fnType(op.l.dt, 3, 3) }
func (op *fromDenseOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *fromDenseOp) Hashcode() uint32          { return hashcode(op) }
func (op *fromDenseOp) DiffWRT(inputs int) []bool { return []bool{true} }
func (op *fromDenseOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.l.shape(), nil
}

func (op *fromDenseOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "FromDense"
	if err := checkArity(name, vals, 1); err != nil {
		return nil, err
	}
	d, err := input(name, vals, 0, op.l.dt, tensor.Shape{op.l.batch, op.l.n, op.l.n})
	if err != nil {
		return nil, err
	}
	out := newDense(op.l.dt, op.l.shape(), op.l.fill)
	switch op.l.dt {
	case tensor.Float32:
		fromDense(out.Data().([]float32), d.Data().([]float32), op.l)
	default:
		fromDense(out.Data().([]float64), d.Data().([]float64), op.l)
	}
	return out, nil
}

// SymDiff: FromDense is linear and its adjoint is ToDense with fill 0.
func (op *fromDenseOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	l := op.l
	l.fill = 0
	g, err := gorgonia.ApplyOp(&toDenseOp{l: l}, grad)
	if err != nil {
		return nil, wrapGraph("FromDense", err)
	}
	return gorgonia.Nodes{g}, nil
}

// toDenseOp takes band storage with layout l to (batch, n, n). With
// l.fill = 0 it is also the backward Op of fromDenseOp.
type toDenseOp struct {
	opBase
	l layout
}

func (op *toDenseOp) String() string {
	return fmt.Sprintf("bandop.ToDense{(%d,%d), fill %v, %v}", op.l.lower, op.l.upper, op.l.fill, op.l.dt)
}
func (op *toDenseOp) Arity() int                { return 1 }
func (op *toDenseOp) Type() hm.Type             { return fnType(op.l.dt, 3, 3) }
func (op *toDenseOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *toDenseOp) Hashcode() uint32          { return hashcode(op) }
func (op *toDenseOp) DiffWRT(inputs int) []bool { return []bool{true} }
func (op *toDenseOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.l.batch, op.l.n, op.l.n}, nil
}

func (op *toDenseOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "ToDense"
	if err := checkArity(name, vals, 1); err != nil {
		return nil, err
	}
	a, err := input(name, vals, 0, op.l.dt, op.l.shape())
	if err != nil {
		return nil, err
	}
	out := newDense(op.l.dt, tensor.Shape{op.l.batch, op.l.n, op.l.n}, op.l.fill)
	switch op.l.dt {
	case tensor.Float32:
		toDense(out.Data().([]float32), a.Data().([]float32), op.l, float32(op.l.fill))
	default:
		toDense(out.Data().([]float64), a.Data().([]float64), op.l, op.l.fill)
	}
	return out, nil
}

// SymDiff: ToDense is linear and its adjoint is FromDense with fill 0.
func (op *toDenseOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	l := op.l
	l.fill = 0
	g, err := gorgonia.ApplyOp(&fromDenseOp{l: l}, grad)
	if err != nil {
		return nil, wrapGraph("ToDense", err)
	}
	return gorgonia.Nodes{g}, nil
}
