package bandop

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Plus returns the elementwise semiring sum C = A ⊕ B of each pair of
// matrices, with the union of the two bands, (max of the Lowers, max of the
// Uppers), and the semiring's zero as fill. An entry outside one operand's
// band is that operand's fill, the zero. Both fills must be that zero.
func (a *Banded) Plus(b *Banded, s Semiring) (*Banded, error) {
	la, lb, lc, err := elemLayouts("Plus", a.operand, b.operand, s, plusResult)
	if err != nil {
		return nil, err
	}
	c := &Banded{lower: lc.lower, upper: lc.upper, fill: lc.fill, data: newDense(lc.dt, lc.shape(), 0)}
	switch lc.dt {
	case tensor.Float32:
		plusForward(s, storage[float32](c), storage[float32](a), storage[float32](b), la, lb, lc)
	default:
		plusForward(s, storage[float64](c), storage[float64](a), storage[float64](b), la, lb, lc)
	}
	return c, nil
}

// Plus adds the elementwise semiring sum a ⊕ b to the graph (see
// Banded.Plus). Its gradient with respect to both operands is defined.
func Plus(a, b *Node, s Semiring) (*Node, error) {
	return elemGraph("Plus", a, b, s, plusResult, func(la, lb layout) gorgonia.Op { return &plusOp{s: s, a: la, b: lb} })
}

func plusResult(la, lb layout, s Semiring) layout {
	return layout{batch: la.batch, n: la.n, lower: max(la.lower, lb.lower), upper: max(la.upper, lb.upper), fill: s.Zero(), dt: la.dt}
}

// elemLayouts checks the operands of an elementwise semiring op (Plus,
// Times) and returns their layouts and the result's, built by result.
func elemLayouts(op string, aOp, bOp func(op, name string) (layout, error), s Semiring, result func(la, lb layout, s Semiring) layout) (la, lb, lc layout, err error) {
	if err = checkSemiring(op, s); err != nil {
		return
	}
	if la, err = aOp(op, "A"); err != nil {
		return
	}
	if lb, err = bOp(op, "B"); err != nil {
		return
	}
	if err = sameShape(op, la, lb, "A", "B"); err != nil {
		return
	}
	if err = zeroFill(op, s, la, "A"); err != nil {
		return
	}
	if err = zeroFill(op, s, lb, "B"); err != nil {
		return
	}
	lc = result(la, lb, s)
	if lc.width() < 1 {
		err = errorf(op, "the intersection of bands A (%d, %d) and B (%d, %d) is empty: band (%d, %d) has width %d", la.lower, la.upper, lb.lower, lb.upper, lc.lower, lc.upper, lc.width())
	}
	return
}

func elemGraph(name string, a, b *Node, s Semiring, result func(la, lb layout, s Semiring) layout, mk func(la, lb layout) gorgonia.Op) (*Node, error) {
	la, lb, lc, err := elemLayouts(name,
		func(op, n string) (layout, error) { return a.layout(op, n) },
		func(op, n string) (layout, error) { return b.layout(op, n) }, s, result)
	if err != nil {
		return nil, err
	}
	out, err := gorgonia.ApplyOp(mk(la, lb), a.Node, b.Node)
	if err != nil {
		return nil, errorf(name, "%v", err)
	}
	return banded(out, lc), nil
}

// elemSlot returns the slot of an operand with layout lo that holds the
// entry of slot k of a result row with layout lc, and whether that entry is
// in the operand's band.
func elemSlot(k int, lo, lc layout) (int, bool) {
	ko := k - lc.lower + lo.lower
	return ko, ko >= 0 && ko < lo.width()
}

func plusForward[T float](s Semiring, c, a, b []T, la, lb, lc layout) {
	rows, wc := lc.batch*lc.n, lc.width()
	body := func(lo, hi int) {
		wa, wb, zero := la.width(), lb.width(), T(s.Zero())
		for r := lo; r < hi; r++ {
			crow := c[r*wc : (r+1)*wc]
			fillSlice(crow, zero) // the padding too
			clo, chi := validSlots(r%lc.n, lc.n, lc.lower, wc)
			for k := clo; k < chi; k++ {
				x, y := zero, zero
				if ka, ok := elemSlot(k, la, lc); ok {
					x = a[r*wa+ka]
				}
				if kb, ok := elemSlot(k, lb, lc); ok {
					y = b[r*wb+kb]
				}
				switch s {
				case Real:
					crow[k] = x + y
				case Max:
					crow[k] = max(x, y)
				default:
					crow[k] = T(logAddExp(float64(x), float64(y)))
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

// plusBackward computes the gradient g, in the storage of operand wrt
// (0 = A, 1 = B), of Σ dc·c. Real passes dc on; Log weighs it by
// exp(operand − c), 0 where c is −Inf; Max gives it to A where A equals c,
// else to B. A dc of 0 adds nothing, so an infinite operand makes no NaN.
func plusBackward[T float](s Semiring, wrt int, g, a, b, c, dc []T, la, lb, lc layout) {
	lo, x := la, a
	if wrt == 1 {
		lo, x = lb, b
	}
	rows, wo, wa, wc := lo.batch*lo.n, lo.width(), la.width(), lc.width()
	// Each row of g is written by its own iteration: rows run in parallel.
	body := func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			klo, khi := validSlots(r%lo.n, lo.n, lo.lower, wo)
			for k := klo; k < khi; k++ {
				kc := k - lo.lower + lc.lower // always in C's band, the union
				d, cv, xv := dc[r*wc+kc], c[r*wc+kc], x[r*wo+k]
				if d == 0 || (s != Real && math.IsInf(float64(cv), -1)) {
					continue
				}
				switch s {
				case Real:
					g[r*wo+k] = d
				case Log:
					g[r*wo+k] = d * T(math.Exp(float64(xv)-float64(cv)))
				default:
					if xv != cv {
						continue
					}
					if wrt == 1 {
						if ka, ok := elemSlot(kc, la, lc); ok && a[r*wa+ka] == cv {
							continue // A is first on a tie
						}
					}
					g[r*wo+k] = d
				}
			}
		}
	}
	if rows*wo < minParallelWork {
		body(0, rows)
		return
	}
	parallelFor(rows, rows*wo, body)
}

// plusOp is the Gorgonia Op of Plus.
type plusOp struct {
	opBase
	s    Semiring
	a, b layout
}

func (op *plusOp) String() string {
	return fmt.Sprintf("bandop.Plus{%v, A(%d,%d), B(%d,%d), %v}", op.s, op.a.lower, op.a.upper, op.b.lower, op.b.upper, op.a.dt)
}
func (op *plusOp) Arity() int                { return 2 }
func (op *plusOp) Type() hm.Type             { return fnType(op.a.dt, 3, 3, 3) }
func (op *plusOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *plusOp) Hashcode() uint32          { return hashcode(op) }
func (op *plusOp) DiffWRT(inputs int) []bool { return []bool{true, true} }

func (op *plusOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return plusResult(op.a, op.b, op.s).shape(), nil
}

// elemInputs returns an elementwise Op's operands A, B and, for a backward
// Op (n = 4), C and dC with layout lc.
func elemInputs(name string, vals []gorgonia.Value, n int, la, lb, lc layout) ([]*tensor.Dense, error) {
	if err := checkArity(name, vals, n); err != nil {
		return nil, err
	}
	ls := []layout{la, lb, lc, lc}
	ts := make([]*tensor.Dense, n)
	for i := range ts {
		t, err := input(name, vals, i, ls[i].dt, ls[i].shape())
		if err != nil {
			return nil, err
		}
		ts[i] = t
	}
	return ts, nil
}

func (op *plusOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	lc := plusResult(op.a, op.b, op.s)
	in, err := elemInputs("Plus", vals, 2, op.a, op.b, lc)
	if err != nil {
		return nil, err
	}
	c := newDense(lc.dt, lc.shape(), 0)
	switch lc.dt {
	case tensor.Float32:
		plusForward(op.s, c.Data().([]float32), in[0].Data().([]float32), in[1].Data().([]float32), op.a, op.b, lc)
	default:
		plusForward(op.s, c.Data().([]float64), in[0].Data().([]float64), in[1].Data().([]float64), op.a, op.b, lc)
	}
	return c, nil
}

func (op *plusOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, errorf("Plus", "SymDiff got %d inputs, want 2", len(inputs))
	}
	var gs gorgonia.Nodes
	for wrt := 0; wrt < 2; wrt++ {
		g, err := gorgonia.ApplyOp(&plusGradOp{plusOp: *op, wrt: wrt}, inputs[0], inputs[1], output, grad)
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// plusGradOp is the backward Op of Plus: from (A, B, C, dC) it returns the
// gradient with respect to A (wrt = 0) or B (wrt = 1), in band storage.
type plusGradOp struct {
	plusOp
	wrt int
}

func (op *plusGradOp) String() string {
	return fmt.Sprintf("bandop.PlusGrad{wrt %d, %v, A(%d,%d), B(%d,%d), %v}", op.wrt, op.s, op.a.lower, op.a.upper, op.b.lower, op.b.upper, op.a.dt)
}
func (op *plusGradOp) Arity() int            { return 4 }
func (op *plusGradOp) Type() hm.Type         { return fnType(op.a.dt, 3, 3, 3, 3, 3) }
func (op *plusGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *plusGradOp) Hashcode() uint32      { return hashcode(op) }

func (op *plusGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if op.wrt == 0 {
		return op.a.shape(), nil
	}
	return op.b.shape(), nil
}

func (op *plusGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	lc := plusResult(op.a, op.b, op.s)
	in, err := elemInputs("PlusGrad", vals, 4, op.a, op.b, lc)
	if err != nil {
		return nil, err
	}
	shape, _ := op.InferShape()
	g := newDense(lc.dt, shape, 0)
	switch lc.dt {
	case tensor.Float32:
		plusBackward(op.s, op.wrt, g.Data().([]float32), in[0].Data().([]float32), in[1].Data().([]float32), in[2].Data().([]float32), in[3].Data().([]float32), op.a, op.b, lc)
	default:
		plusBackward(op.s, op.wrt, g.Data().([]float64), in[0].Data().([]float64), in[1].Data().([]float64), in[2].Data().([]float64), in[3].Data().([]float64), op.a, op.b, lc)
	}
	return g, nil
}
