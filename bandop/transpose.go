package bandop

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Transpose returns the transposed matrices, band (Upper, Lower), with a's
// fill. It returns nil for a nil a.
func (a *Banded) Transpose() *Banded {
	if a == nil || a.data == nil {
		return nil
	}
	l := a.layout()
	out := transposed(l, l.fill)
	c := newBanded(out, 0) // the kernel writes every slot
	switch l.dt {
	case tensor.Float32:
		transposeForward(storage[float32](c), storage[float32](a), l, float32(l.fill))
	default:
		transposeForward(storage[float64](c), storage[float64](a), l, l.fill)
	}
	return c
}

// Transpose adds the transpose of a to the graph. Its gradient is the
// transpose of the incoming gradient.
func Transpose(a *Node) (*Node, error) {
	l, err := a.layout("Transpose", "A")
	if err != nil {
		return nil, err
	}
	out, err := gorgonia.ApplyOp(&transposeOp{in: l}, a.Node)
	if err != nil {
		return nil, wrapGraph("Transpose", err)
	}
	return banded(out, transposed(l, l.fill)), nil
}

// transposed is the layout of the transpose of matrices of layout l, with
// the given fill.
func transposed(l layout, fill float64) layout {
	l.lower, l.upper, l.fill = l.upper, l.lower, fill
	return l
}

// transposeForward writes the transpose of a (layout l) into c, padding
// included. Slot k of row i of C is entry (j, i) of A with j = i+k−Upper,
// held in slot w−1−k of A's row j: transposing reverses each diagonal's
// slot order.
func transposeForward[T float](c, a []T, l layout, fill T) {
	n, w := l.n, l.width()
	rows := l.batch * n
	body := func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := c[r*w : (r+1)*w]
			fillSlice(row, fill)
			i, base := r%n, r-r%n
			klo, khi := validSlots(i, n, l.upper, w)
			for k := klo; k < khi; k++ {
				row[k] = a[(base+i+k-l.upper)*w+w-1-k]
			}
		}
	}
	if rows*w < minParallelWork {
		body(0, rows)
		return
	}
	parallelFor(rows, rows*w, body)
}

// transposeOp is the Gorgonia Op of Transpose, and of its gradient: an
// input of layout in gives the transpose, with fill in.fill.
type transposeOp struct {
	opBase
	in layout
}

func (op *transposeOp) String() string {
	return fmt.Sprintf("bandop.Transpose{A(%d,%d) fill %v, %v}", op.in.lower, op.in.upper, op.in.fill, op.in.dt)
}
func (op *transposeOp) Arity() int                { return 1 }
func (op *transposeOp) Type() hm.Type             { return fnType(op.in.dt, 3, 3) }
func (op *transposeOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *transposeOp) Hashcode() uint32          { return hashcode(op) }
func (op *transposeOp) DiffWRT(inputs int) []bool { return []bool{true} }
func (op *transposeOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return transposed(op.in, op.in.fill).shape(), nil
}

func (op *transposeOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity("Transpose", vals, 1); err != nil {
		return nil, err
	}
	a, err := input("Transpose", vals, 0, op.in.dt, op.in.shape())
	if err != nil {
		return nil, err
	}
	out := transposed(op.in, op.in.fill)
	c := newDense(out.dt, out.shape(), 0)
	switch out.dt {
	case tensor.Float32:
		transposeForward(c.Data().([]float32), a.Data().([]float32), op.in, float32(op.in.fill))
	default:
		transposeForward(c.Data().([]float64), a.Data().([]float64), op.in, op.in.fill)
	}
	return c, nil
}

// SymDiff: the gradient of a transpose is the transpose of the gradient,
// whose fill is 0.
func (op *transposeOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 1 {
		return nil, kindErrorf(ErrShape, "Transpose", "SymDiff got %d inputs, want 1", len(inputs))
	}
	g, err := gorgonia.ApplyOp(&transposeOp{in: transposed(op.in, 0)}, grad)
	if err != nil {
		return nil, wrapGraph("Transpose", err)
	}
	return gorgonia.Nodes{g}, nil
}
