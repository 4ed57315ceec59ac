package bandop

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Times returns the elementwise semiring product C = A ⊗ B of each pair of
// matrices, with the intersection of the two bands, (min of the Lowers, min
// of the Uppers), and the semiring's zero as fill: outside the intersection
// one factor is the zero, and so is the product. Both fills must be that
// zero, and the intersection must have width at least 1.
func (a *Banded) Times(b *Banded, s Semiring) (*Banded, error) {
	la, lb, lc, err := elemLayouts("Times", a.operand, b.operand, s, timesResult)
	if err != nil {
		return nil, err
	}
	c := &Banded{lower: lc.lower, upper: lc.upper, fill: lc.fill, data: newDense(lc.dt, lc.shape(), 0)}
	switch lc.dt {
	case tensor.Float32:
		timesForward(s, storage[float32](c), storage[float32](a), storage[float32](b), la, lb, lc)
	default:
		timesForward(s, storage[float64](c), storage[float64](a), storage[float64](b), la, lb, lc)
	}
	return c, nil
}

// Times adds the elementwise semiring product a ⊗ b to the graph (see
// Banded.Times). Its gradient with respect to both operands is defined.
func Times(a, b *Node, s Semiring) (*Node, error) {
	return elemGraph("Times", a, b, s, timesResult, func(la, lb layout) gorgonia.Op { return &timesOp{s: s, a: la, b: lb} })
}

func timesResult(la, lb layout, s Semiring) layout {
	return layout{batch: la.batch, n: la.n, lower: min(la.lower, lb.lower), upper: min(la.upper, lb.upper), fill: s.Zero(), dt: la.dt}
}

func timesForward[T float](s Semiring, c, a, b []T, la, lb, lc layout) {
	rows, wc := lc.batch*lc.n, lc.width()
	body := func(lo, hi int) {
		wa, wb, zero := la.width(), lb.width(), T(s.Zero())
		da, db := la.lower-lc.lower, lb.lower-lc.lower // slot offsets, ≥ 0
		for r := lo; r < hi; r++ {
			crow := c[r*wc : (r+1)*wc]
			fillSlice(crow, zero) // the padding too
			clo, chi := validSlots(r%lc.n, lc.n, lc.lower, wc)
			for k := clo; k < chi; k++ {
				x, y := a[r*wa+k+da], b[r*wb+k+db]
				if s == Real {
					crow[k] = x * y
				} else {
					crow[k] = x + y
				}
			}
		}
	}
	if rows*wc < minParallelWork {
		body(0, rows)
		return
	}
	parallelFor(rows, rows*wc, body)
}

// timesBackward computes the gradient g, in the storage of operand wrt
// (0 = A, 1 = B), of Σ dc·c: dc times the other factor for Real, dc itself
// for Log and Max, and 0 outside the intersection. A dc of 0 adds nothing,
// so an infinite factor makes no NaN.
func timesBackward[T float](s Semiring, wrt int, g, a, b, dc []T, la, lb, lc layout) {
	lo, other, lt := la, b, lb
	if wrt == 1 {
		lo, other, lt = lb, a, la
	}
	rows, wo, wt, wc := lc.batch*lc.n, lo.width(), lt.width(), lc.width()
	do, dt := lo.lower-lc.lower, lt.lower-lc.lower
	// Each row of g is written by its own iteration: rows run in parallel.
	body := func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			clo, chi := validSlots(r%lc.n, lc.n, lc.lower, wc)
			for k := clo; k < chi; k++ {
				d := dc[r*wc+k]
				if d == 0 {
					continue
				}
				if s == Real {
					d *= other[r*wt+k+dt]
				}
				g[r*wo+k+do] = d
			}
		}
	}
	if rows*wc < minParallelWork {
		body(0, rows)
		return
	}
	parallelFor(rows, rows*wc, body)
}

// timesOp is the Gorgonia Op of Times.
type timesOp struct {
	opBase
	s    Semiring
	a, b layout
}

func (op *timesOp) String() string {
	return fmt.Sprintf("bandop.Times{%v, A(%d,%d), B(%d,%d), %v}", op.s, op.a.lower, op.a.upper, op.b.lower, op.b.upper, op.a.dt)
}
func (op *timesOp) Arity() int                { return 2 }
func (op *timesOp) Type() hm.Type             { return fnType(op.a.dt, 3, 3, 3) }
func (op *timesOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *timesOp) Hashcode() uint32          { return hashcode(op) }
func (op *timesOp) DiffWRT(inputs int) []bool { return []bool{true, true} }

func (op *timesOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return timesResult(op.a, op.b, op.s).shape(), nil
}

func (op *timesOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	lc := timesResult(op.a, op.b, op.s)
	in, err := elemInputs("Times", vals, 2, op.a, op.b, lc)
	if err != nil {
		return nil, err
	}
	c := newDense(lc.dt, lc.shape(), 0)
	switch lc.dt {
	case tensor.Float32:
		timesForward(op.s, c.Data().([]float32), in[0].Data().([]float32), in[1].Data().([]float32), op.a, op.b, lc)
	default:
		timesForward(op.s, c.Data().([]float64), in[0].Data().([]float64), in[1].Data().([]float64), op.a, op.b, lc)
	}
	return c, nil
}

func (op *timesOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, errorf("Times", "SymDiff got %d inputs, want 2", len(inputs))
	}
	var gs gorgonia.Nodes
	for wrt := 0; wrt < 2; wrt++ {
		g, err := gorgonia.ApplyOp(&timesGradOp{timesOp: *op, wrt: wrt}, inputs[0], inputs[1], output, grad)
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// timesGradOp is the backward Op of Times: from (A, B, C, dC) it returns the
// gradient with respect to A (wrt = 0) or B (wrt = 1), in band storage. C is
// an input only so that every backward Op of a two-operand op looks alike;
// it is not read.
type timesGradOp struct {
	timesOp
	wrt int
}

func (op *timesGradOp) String() string {
	return fmt.Sprintf("bandop.TimesGrad{wrt %d, %v, A(%d,%d), B(%d,%d), %v}", op.wrt, op.s, op.a.lower, op.a.upper, op.b.lower, op.b.upper, op.a.dt)
}
func (op *timesGradOp) Arity() int            { return 4 }
func (op *timesGradOp) Type() hm.Type         { return fnType(op.a.dt, 3, 3, 3, 3, 3) }
func (op *timesGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *timesGradOp) Hashcode() uint32      { return hashcode(op) }

func (op *timesGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if op.wrt == 0 {
		return op.a.shape(), nil
	}
	return op.b.shape(), nil
}

func (op *timesGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	lc := timesResult(op.a, op.b, op.s)
	in, err := elemInputs("TimesGrad", vals, 4, op.a, op.b, lc)
	if err != nil {
		return nil, err
	}
	shape, _ := op.InferShape()
	g := newDense(lc.dt, shape, 0)
	switch lc.dt {
	case tensor.Float32:
		timesBackward(op.s, op.wrt, g.Data().([]float32), in[0].Data().([]float32), in[1].Data().([]float32), in[3].Data().([]float32), op.a, op.b, lc)
	default:
		timesBackward(op.s, op.wrt, g.Data().([]float64), in[0].Data().([]float64), in[1].Data().([]float64), in[3].Data().([]float64), op.a, op.b, lc)
	}
	return g, nil
}
