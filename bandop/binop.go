package bandop

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The two-operand semiring ops, Mul, Plus and Times, differ only in the band
// of their result and in their kernels; everything else (checks, the Op and
// its backward Op, their types, shapes, hashes and names) is written once
// here, in the manner of Gorgonia's elemBinOp. A binSpec is what one of them
// adds to this skeleton.
type binSpec struct {
	name   string                                   // "Mul": the function the caller calls, and the Ops' names
	result func(la, lb layout, s Semiring) layout   // the result's layout from the operands'
	check  func(op string, la, lb, lc layout) error // what result cannot detect: an empty or too wide band
	f32    binKernels[float32]
	f64    binKernels[float64]
}

// binKernels are the CPU kernels of one op for one element type. fwd writes
// every slot of c, padding included; bwd writes into g, which holds zeros,
// the gradient of Σ dc·c with respect to operand wrt (0 = A, 1 = B).
type binKernels[T float] struct {
	fwd func(s Semiring, c, a, b []T, la, lb, lc layout)
	bwd func(s Semiring, wrt int, g, a, b, c, dc []T, la, lb, lc layout)
}

var (
	mulSpec = &binSpec{name: "Mul", result: mulResult, check: mulCheck,
		f32: binKernels[float32]{mulForward[float32], mulBackward[float32]},
		f64: binKernels[float64]{mulForward[float64], mulBackward[float64]}}
	plusSpec = &binSpec{name: "Plus", result: plusResult, check: elemCheck,
		f32: binKernels[float32]{plusForward[float32], plusBackward[float32]},
		f64: binKernels[float64]{plusForward[float64], plusBackward[float64]}}
	timesSpec = &binSpec{name: "Times", result: timesResult, check: elemCheck,
		f32: binKernels[float32]{timesForward[float32], timesBackward[float32]},
		f64: binKernels[float64]{timesForward[float64], timesBackward[float64]}}
)

// forward runs the forward kernel of the dtype of lc on storage slices.
func (sp *binSpec) forward(s Semiring, c, a, b *tensor.Dense, la, lb, lc layout) {
	switch lc.dt {
	case tensor.Float32:
		sp.f32.fwd(s, c.Data().([]float32), a.Data().([]float32), b.Data().([]float32), la, lb, lc)
	default:
		sp.f64.fwd(s, c.Data().([]float64), a.Data().([]float64), b.Data().([]float64), la, lb, lc)
	}
}

// backward runs the backward kernel of the dtype of lc.
func (sp *binSpec) backward(s Semiring, wrt int, g, a, b, c, dc *tensor.Dense, la, lb, lc layout) {
	switch lc.dt {
	case tensor.Float32:
		sp.f32.bwd(s, wrt, g.Data().([]float32), a.Data().([]float32), b.Data().([]float32), c.Data().([]float32), dc.Data().([]float32), la, lb, lc)
	default:
		sp.f64.bwd(s, wrt, g.Data().([]float64), a.Data().([]float64), b.Data().([]float64), c.Data().([]float64), dc.Data().([]float64), la, lb, lc)
	}
}

// layouts checks the operands of the op, the semiring and the result, and
// returns the three layouts; aOp and bOp give an operand's layout, from a
// value or a node.
func (sp *binSpec) layouts(aOp, bOp func(op, name string) (layout, error), s Semiring) (la, lb, lc layout, err error) {
	op := sp.name
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
	lc = sp.result(la, lb, s)
	if err = sp.check(op, la, lb, lc); err != nil {
		return
	}
	err = checkResult(op, lc)
	return
}

// eager is the body of the methods Banded.Mul, Banded.Plus and Banded.Times.
func (sp *binSpec) eager(a, b *Banded, s Semiring) (*Banded, error) {
	la, lb, lc, err := sp.layouts(a.operand, b.operand, s)
	if err != nil {
		return nil, err
	}
	// The kernel writes every slot, padding included, so c's storage is only
	// zeroed: filling it would be one more serial pass before the parallel
	// kernel.
	c := newBanded(lc, 0)
	sp.forward(s, c.data, a.data, b.data, la, lb, lc)
	return c, nil
}

// graph is the body of the functions Mul, Plus and Times on nodes.
func (sp *binSpec) graph(a, b *Node, s Semiring) (*Node, error) {
	la, lb, lc, err := sp.layouts(
		func(op, name string) (layout, error) { return a.layout(op, name) },
		func(op, name string) (layout, error) { return b.layout(op, name) }, s)
	if err != nil {
		return nil, err
	}
	out, err := gorgonia.ApplyOp(&binOp{spec: sp, s: s, a: la, b: lb}, a.Node, b.Node)
	if err != nil {
		return nil, wrapGraph(sp.name, err)
	}
	return banded(out, lc), nil
}

// elemCheck reports an empty result band of an elementwise op (Times of
// two bands that do not meet); a union is never empty.
func elemCheck(op string, la, lb, lc layout) error {
	if lc.width() < 1 {
		return kindErrorf(ErrBand, op, "the intersection of bands A (%d, %d) and B (%d, %d) is empty: band (%d, %d) has width %d", la.lower, la.upper, lb.lower, lb.upper, lc.lower, lc.upper, lc.width())
	}
	return nil
}

// binOp is the Gorgonia Op of Mul, Plus or Times, as spec says.
type binOp struct {
	opBase
	spec *binSpec
	s    Semiring
	a, b layout // operands' layouts; batch and n are checked again in Do
}

// newBinOp returns the Op of spec for operands of layouts la and lb.
func newBinOp(spec *binSpec, s Semiring, la, lb layout) *binOp {
	return &binOp{spec: spec, s: s, a: la, b: lb}
}

func (op *binOp) result() layout { return op.spec.result(op.a, op.b, op.s) }

func (op *binOp) String() string {
	return fmt.Sprintf("bandop.%s{%v, A(%d,%d), B(%d,%d), %v}", op.spec.name, op.s, op.a.lower, op.a.upper, op.b.lower, op.b.upper, op.a.dt)
}
func (op *binOp) Arity() int                { return 2 }
func (op *binOp) Type() hm.Type             { return fnType(op.a.dt, 3, 3, 3) }
func (op *binOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *binOp) Hashcode() uint32          { return hashcode(op) }
func (op *binOp) DiffWRT(inputs int) []bool { return []bool{true, true} }

func (op *binOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.result().shape(), nil
}

// binInputs returns a two-operand Op's operands A, B and, for a backward Op
// (n = 4), C and dC with layout lc, each checked against its layout.
func binInputs(name string, vals []gorgonia.Value, n int, la, lb, lc layout) ([]*tensor.Dense, error) {
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

func (op *binOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	lc := op.result()
	in, err := binInputs(op.spec.name, vals, 2, op.a, op.b, lc)
	if err != nil {
		return nil, err
	}
	c := newDense(lc.dt, lc.shape(), 0)
	op.spec.forward(op.s, c, in[0], in[1], op.a, op.b, lc)
	return c, nil
}

func (op *binOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, kindErrorf(ErrShape, op.spec.name, "SymDiff got %d inputs, want 2", len(inputs))
	}
	var gs gorgonia.Nodes
	for wrt := 0; wrt < 2; wrt++ {
		g, err := gorgonia.ApplyOp(&binGradOp{binOp: *op, wrt: wrt}, inputs[0], inputs[1], output, grad)
		if err != nil {
			return nil, wrapGraph(op.spec.name, err)
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// binGradOp is the backward Op of a binOp: from (A, B, C, dC) it returns the
// gradient with respect to A (wrt = 0) or B (wrt = 1), in that operand's
// band storage with 0 in the padding.
type binGradOp struct {
	binOp
	wrt int
}

func (op *binGradOp) name() string { return op.spec.name + "Grad" }

func (op *binGradOp) String() string {
	return fmt.Sprintf("bandop.%s{wrt %d, %v, A(%d,%d), B(%d,%d), %v}", op.name(), op.wrt, op.s, op.a.lower, op.a.upper, op.b.lower, op.b.upper, op.a.dt)
}
func (op *binGradOp) Arity() int            { return 4 }
func (op *binGradOp) Type() hm.Type         { return fnType(op.a.dt, 3, 3, 3, 3, 3) }
func (op *binGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *binGradOp) Hashcode() uint32      { return hashcode(op) }

// operand is the layout of operand wrt, the gradient's layout.
func (op *binGradOp) operand() layout {
	if op.wrt == 0 {
		return op.a
	}
	return op.b
}

func (op *binGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.operand().shape(), nil
}

func (op *binGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	lc := op.result()
	in, err := binInputs(op.name(), vals, 4, op.a, op.b, lc)
	if err != nil {
		return nil, err
	}
	g := newDense(lc.dt, op.operand().shape(), 0)
	op.spec.backward(op.s, op.wrt, g, in[0], in[1], in[2], in[3], op.a, op.b, lc)
	return g, nil
}
