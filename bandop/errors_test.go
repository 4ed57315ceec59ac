package bandop

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Every public function and every Op's Do is fed bad input here: each case
// must return an error (no nil, no panic) of type *Error whose message names
// the problem, and leave its inputs unmodified.

// errCase is one bad call. want is a case-insensitive regular expression
// the message must match: the word naming the problem.
type errCase struct {
	name  string
	want  string
	in    []*Banded       // values that must come out unmodified
	dense []*tensor.Dense // likewise
	call  func() error
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	if len(cases) < 10 {
		t.Errorf("only %d cases, want at least 10", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := make([]*Banded, len(c.in))
			for i, a := range c.in {
				in[i] = a.Clone()
			}
			dense := make([]*tensor.Dense, len(c.dense))
			for i, d := range c.dense {
				dense[i] = d.Clone().(*tensor.Dense)
			}
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("panic: %v", r)
						err = nil
					}
				}()
				return c.call()
			}()
			if t.Failed() {
				return
			}
			if err == nil {
				t.Fatalf("no error, want one matching %q", c.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Op == "" {
				t.Errorf("error %q (%T) is not a *bandop.Error naming its op", err, err)
			}
			if k, ok := wantKind[c.want]; ok && !errors.Is(err, k) {
				t.Errorf("error %q: errors.Is(err, %v) is false", err, k)
			}
			if !hasKind(err) {
				t.Errorf("error %q has no kind", err)
			}
			if !regexp.MustCompile("(?i)" + c.want).MatchString(err.Error()) {
				t.Errorf("error %q does not name the problem (want %q)", err, c.want)
			}
			for i := range c.in {
				if !sameBits(c.in[i], in[i]) || c.in[i].fill != in[i].fill && !(math.IsNaN(c.in[i].fill) && math.IsNaN(in[i].fill)) {
					t.Errorf("input %d was modified", i)
				}
			}
			for i := range c.dense {
				if !sameDenseBits(c.dense[i], dense[i]) {
					t.Errorf("dense input %d was modified", i)
				}
			}
		})
	}
}

// Regular expressions for the word naming each kind of problem.
const (
	wBatch    = `batch`
	wN        = `\bn\b|square`
	wBand     = `band|width|lower|upper|slots`
	wDtype    = `dtype|float`
	wSemiring = `semiring`
	wFill     = `fill`
	wShape    = `shape|rank`
	wArity    = `inputs|arity`
	wNil      = `nil`
	wShift    = `shift`
)

// wantKind is the kind of error each word of the messages stands for.
var wantKind = map[string]error{
	wBatch: ErrShape, wN: ErrShape, wShape: ErrShape, wArity: ErrShape,
	wBand: ErrBand, wShift: ErrBand,
	wDtype: ErrDtype, wSemiring: ErrSemiring, wFill: ErrFill, wNil: ErrNil,
}

// allKinds are the package's kinds of error.
var allKinds = []error{ErrNil, ErrShape, ErrBand, ErrDtype, ErrSemiring, ErrFill, ErrLength, ErrSize, ErrValue, ErrGraph, ErrPanic, ErrDevice}

// hasKind reports whether err is of one of the package's kinds.
func hasKind(err error) bool {
	for _, k := range allKinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// errFixture holds well-formed operands to derive bad calls from.
type errFixture struct {
	rng *rand.Rand
}

func newErrFixture() *errFixture { return &errFixture{rng: rand.New(rand.NewPCG(9, 9))} }

// val returns a random banded value with the given semiring zero as fill and
// NaN padding.
func (f *errFixture) val(t *testing.T, s Semiring, dt tensor.Dtype, batch, n, l, u int) *Banded {
	return randomFor(t, f.rng, s, dt, batch, n, l, u)
}

// node adds a to a graph (g, or a new one when g is nil).
func (f *errFixture) node(t *testing.T, g *gorgonia.ExprGraph, a *Banded) *Node {
	t.Helper()
	if g == nil {
		g = gorgonia.NewGraph()
	}
	n, err := NewNode(g, a, "x")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// errFakeNode is a Node whose gorgonia node does not match its band: what a
// caller gets by building the struct by hand or by a buggy op.
func errFakeNode(g *gorgonia.ExprGraph, dt tensor.Dtype, shape tensor.Shape, lower, upper int, fill float64) *Node {
	if g == nil {
		g = gorgonia.NewGraph()
	}
	var n *gorgonia.Node
	if shape.Dims() == 0 {
		n = gorgonia.NewScalar(g, dt, gorgonia.WithName("fake"))
	} else {
		n = gorgonia.NewTensor(g, dt, shape.Dims(), gorgonia.WithShape(shape...), gorgonia.WithName("fake"))
	}
	return &Node{Node: n, lower: lower, upper: upper, fill: fill}
}

func errDense(dt tensor.Dtype, shape ...int) *tensor.Dense {
	return newDense(dt, tensor.Shape(shape), 0.5)
}

func TestErrorsProducts(t *testing.T) {
	f := newErrFixture()
	a := f.val(t, Real, tensor.Float64, 2, 5, 1, 1)
	aLog := f.val(t, Log, tensor.Float64, 2, 5, 1, 1)
	b := f.val(t, Real, tensor.Float64, 2, 5, 0, 2)
	b3 := f.val(t, Real, tensor.Float64, 3, 5, 0, 2)
	b6 := f.val(t, Real, tensor.Float64, 2, 6, 0, 2)
	b32 := f.val(t, Real, tensor.Float32, 2, 5, 0, 2)
	bLog := f.val(t, Log, tensor.Float64, 2, 5, 0, 2)
	nanFill := a.Clone()
	nanFill.fill = math.NaN()

	g := gorgonia.NewGraph()
	na, nb := f.node(t, g, a), f.node(t, g, b)
	nb3, nb6, nb32 := f.node(t, g, b3), f.node(t, g, b6), f.node(t, g, b32)
	naLog, nbLog := f.node(t, g, aLog), f.node(t, g, bLog)
	op := newBinOp(mulSpec, Real, a.layout(), b.layout())
	gop := &binGradOp{binOp: *op, wrt: 0}
	lc := mulResult(a.layout(), b.layout(), Real)
	ad, bd := a.data, b.data
	cd := newDense(tensor.Float64, lc.shape(), 1)

	cases := []errCase{
		// Eager.
		{"Mul/batch", wBatch, []*Banded{a, b3}, nil, func() error { _, err := a.Mul(b3, Real); return err }},
		{"Mul/n", wN, []*Banded{a, b6}, nil, func() error { _, err := a.Mul(b6, Real); return err }},
		{"Mul/dtype", wDtype, []*Banded{a, b32}, nil, func() error { _, err := a.Mul(b32, Real); return err }},
		{"Mul/semiring 3", wSemiring, []*Banded{a, b}, nil, func() error { _, err := a.Mul(b, Semiring(3)); return err }},
		{"Mul/semiring -1", wSemiring, []*Banded{a, b}, nil, func() error { _, err := a.Mul(b, Semiring(-1)); return err }},
		{"Mul/fill A Log", wFill, []*Banded{a, bLog}, nil, func() error { _, err := a.Mul(bLog, Log); return err }},
		{"Mul/fill B Real", wFill, []*Banded{a, bLog}, nil, func() error { _, err := a.Mul(bLog, Real); return err }},
		{"Mul/fill Max", wFill, []*Banded{a, b}, nil, func() error { _, err := a.Mul(b, Max); return err }},
		{"Mul/fill NaN", wFill, []*Banded{nanFill, b}, nil, func() error { _, err := nanFill.Mul(b, Real); return err }},
		{"Mul/nil A", wNil, []*Banded{b}, nil, func() error { _, err := (*Banded)(nil).Mul(b, Real); return err }},
		{"Mul/nil B", wNil, []*Banded{a}, nil, func() error { _, err := a.Mul(nil, Real); return err }},
		{"Mul/empty A", `A is a nil or zero Banded`, []*Banded{b}, nil, func() error { _, err := (&Banded{}).Mul(b, Real); return err }},
		// Graph.
		{"Mul graph/batch", wBatch, nil, nil, func() error { _, err := Mul(na, nb3, Real); return err }},
		{"Mul graph/n", wN, nil, nil, func() error { _, err := Mul(na, nb6, Real); return err }},
		{"Mul graph/dtype", wDtype, nil, nil, func() error { _, err := Mul(na, nb32, Real); return err }},
		{"Mul graph/semiring", wSemiring, nil, nil, func() error { _, err := Mul(na, nb, Semiring(5)); return err }},
		{"Mul graph/fill", wFill, nil, nil, func() error { _, err := Mul(naLog, nb, Log); return err }},
		{"Mul graph/fill B", wFill, nil, nil, func() error { _, err := Mul(naLog, nbLog, Real); return err }},
		{"Mul graph/nil A", wNil, nil, nil, func() error { _, err := Mul(nil, nb, Real); return err }},
		{"Mul graph/nil B", wNil, nil, nil, func() error { _, err := Mul(na, &Node{}, Real); return err }},
		{"Mul graph/rank", wShape, nil, nil, func() error {
			_, err := Mul(errFakeNode(g, tensor.Float64, tensor.Shape{2, 5}, 1, 1, 0), nb, Real)
			return err
		}},
		{"Mul graph/scalar", wShape, nil, nil, func() error {
			_, err := Mul(na, errFakeNode(g, tensor.Float64, tensor.ScalarShape(), 0, 0, 0), Real)
			return err
		}},
		{"Mul graph/band vs shape", wShape, nil, nil, func() error {
			_, err := Mul(errFakeNode(g, tensor.Float64, tensor.Shape{2, 5, 3}, 2, 2, 0), nb, Real)
			return err
		}},
		{"Mul graph/int dtype", wDtype, nil, nil, func() error {
			_, err := Mul(na, errFakeNode(g, tensor.Int, tensor.Shape{2, 5, 3}, 0, 2, 0), Real)
			return err
		}},
		{"Mul graph/two graphs", `graph`, nil, nil, func() error {
			_, err := Mul(na, f.node(t, nil, b), Real)
			return err
		}},
		// Do.
		{"Mul Do/arity 1", wArity, nil, []*tensor.Dense{ad}, func() error { _, err := op.Do(ad); return err }},
		{"Mul Do/arity 3", wArity, nil, []*tensor.Dense{ad, bd}, func() error { _, err := op.Do(ad, bd, bd); return err }},
		{"Mul Do/arity 0", wArity, nil, nil, func() error { _, err := op.Do(); return err }},
		{"Mul Do/dtype", wDtype, nil, []*tensor.Dense{ad, b32.data}, func() error { _, err := op.Do(ad, b32.data); return err }},
		{"Mul Do/shape", wShape, nil, []*tensor.Dense{ad, b6.data}, func() error { _, err := op.Do(ad, b6.data); return err }},
		{"Mul Do/batch", wShape, nil, []*tensor.Dense{b3.data, bd}, func() error { _, err := op.Do(b3.data, bd); return err }},
		{"Mul Do/scalar", `dense|shape`, nil, []*tensor.Dense{ad}, func() error { _, err := op.Do(ad, gorgonia.NewF64(1)); return err }},
		{"Mul Do/nil value", `dense|nil`, nil, []*tensor.Dense{ad}, func() error { _, err := op.Do(ad, nil); return err }},
		{"Mul Do/int", wDtype, nil, nil, func() error {
			_, err := op.Do(tensor.New(tensor.WithShape(2, 5, 3), tensor.Of(tensor.Int)), bd)
			return err
		}},
		{"MulGrad Do/arity", wArity, nil, []*tensor.Dense{ad, bd, cd}, func() error { _, err := gop.Do(ad, bd, cd); return err }},
		{"MulGrad Do/shape dC", wShape, nil, []*tensor.Dense{ad, bd, cd}, func() error { _, err := gop.Do(ad, bd, cd, ad); return err }},
		{"MulGrad Do/dtype dC", wDtype, nil, []*tensor.Dense{ad, bd, cd}, func() error {
			_, err := gop.Do(ad, bd, cd, newDense(tensor.Float32, lc.shape(), 0))
			return err
		}},
	}
	runErrCases(t, cases)
}

func TestErrorsConstructors(t *testing.T) {
	f := newErrFixture()
	a := f.val(t, Real, tensor.Float64, 2, 4, 1, 1)
	g := gorgonia.NewGraph()
	na := f.node(t, g, a)
	d := errDense(tensor.Float64, 2, 4, 4)
	d2 := errDense(tensor.Float64, 4, 4)
	d34 := errDense(tensor.Float64, 2, 3, 4)
	di := tensor.New(tensor.WithShape(2, 4, 4), tensor.Of(tensor.Int))
	nd := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(2, 4, 4), gorgonia.WithName("D"))
	nd2 := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(4, 4), gorgonia.WithName("D2"))
	nd34 := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(2, 3, 4), gorgonia.WithName("D34"))
	ndi := gorgonia.NewTensor(g, tensor.Int, 3, gorgonia.WithShape(2, 4, 4), gorgonia.WithName("Di"))
	l := a.layout()
	fop := &fromDenseOp{l: l}
	top := &toDenseOp{l: l}
	const huge = 1 << 25

	cases := []errCase{
		{"New/nil", wNil, nil, nil, func() error { _, err := New(nil, 0, 0, 0); return err }},
		{"New/rank", wShape, nil, []*tensor.Dense{d2}, func() error { _, err := New(d2, 1, 2, 0); return err }},
		{"New/slots", wBand, nil, []*tensor.Dense{d}, func() error { _, err := New(d, 1, 1, 0); return err }},
		{"New/width", wBand, nil, []*tensor.Dense{d}, func() error { _, err := New(d, -3, 1, 0); return err }},
		{"New/dtype", wDtype, nil, []*tensor.Dense{di}, func() error { _, err := New(di, 1, 2, 0); return err }},
		{"New/huge", wBand, nil, []*tensor.Dense{d}, func() error { _, err := New(d, huge, 3-huge, 0); return err }},
		{"Filled/batch", wBatch, nil, nil, func() error { _, err := Filled(tensor.Float64, 0, 3, 1, 1, 0); return err }},
		{"Filled/n", wN, nil, nil, func() error { _, err := Filled(tensor.Float64, 1, -2, 1, 1, 0); return err }},
		{"Filled/dtype", wDtype, nil, nil, func() error { _, err := Filled(tensor.Int, 1, 3, 1, 1, 0); return err }},
		{"Filled/width", wBand, nil, nil, func() error { _, err := Filled(tensor.Float32, 1, 3, -1, -1, 0); return err }},
		{"Filled/huge", wBand, nil, nil, func() error { _, err := Filled(tensor.Float32, 1, 3, huge, 0, 0); return err }},
		{"Zeros/n", wN, nil, nil, func() error { _, err := Zeros(tensor.Float64, 1, 0, 1, 1); return err }},
		{"Random/nil rng", wNil, nil, nil, func() error { _, err := Random(nil, tensor.Float64, 1, 3, 1, 1, 0); return err }},
		{"Random/batch", wBatch, nil, nil, func() error { _, err := Random(f.rng, tensor.Float64, -1, 3, 1, 1, 0); return err }},
		{"FromDense/nil", wNil, nil, nil, func() error { _, err := FromDense(nil, 0, 0, 0); return err }},
		{"FromDense/rank", wShape, nil, []*tensor.Dense{d2}, func() error { _, err := FromDense(d2, 1, 1, 0); return err }},
		{"FromDense/square", wShape, nil, []*tensor.Dense{d34}, func() error { _, err := FromDense(d34, 1, 1, 0); return err }},
		{"FromDense/dtype", wDtype, nil, []*tensor.Dense{di}, func() error { _, err := FromDense(di, 1, 1, 0); return err }},
		{"FromDense/width", wBand, nil, []*tensor.Dense{d}, func() error { _, err := FromDense(d, 2, -4, 0); return err }},
		{"FromDense/huge", wBand, nil, []*tensor.Dense{d}, func() error { _, err := FromDense(d, -huge, huge, 0); return err }},
		{"FromDenseNode/nil", wNil, nil, nil, func() error { _, err := FromDenseNode(nil, 0, 0, 0); return err }},
		{"FromDenseNode/rank", wShape, nil, nil, func() error { _, err := FromDenseNode(nd2, 1, 1, 0); return err }},
		{"FromDenseNode/square", wShape, nil, nil, func() error { _, err := FromDenseNode(nd34, 1, 1, 0); return err }},
		{"FromDenseNode/dtype", wDtype, nil, nil, func() error { _, err := FromDenseNode(ndi, 1, 1, 0); return err }},
		{"FromDenseNode/width", wBand, nil, nil, func() error { _, err := FromDenseNode(nd, -1, -1, 0); return err }},
		{"ToDense graph/nil", wNil, nil, nil, func() error { _, err := ToDense(nil); return err }},
		{"ToDense graph/rank", wShape, nil, nil, func() error {
			_, err := ToDense(errFakeNode(g, tensor.Float64, tensor.Shape{2, 4}, 0, 0, 0))
			return err
		}},
		{"ToDense graph/band vs shape", wShape, nil, nil, func() error {
			_, err := ToDense(errFakeNode(g, tensor.Float64, tensor.Shape{2, 4, 3}, 0, 0, 0))
			return err
		}},
		{"ToDense graph/dtype", wDtype, nil, nil, func() error {
			_, err := ToDense(errFakeNode(g, tensor.Int, tensor.Shape{2, 4, 1}, 0, 0, 0))
			return err
		}},
		{"Wrap/nil", wNil, nil, nil, func() error { _, err := Wrap(nil, 0, 0, 0); return err }},
		{"Wrap/rank", wShape, nil, nil, func() error { _, err := Wrap(nd2, 1, 2, 0); return err }},
		{"Wrap/slots", wBand, nil, nil, func() error { _, err := Wrap(na.Node, 0, 0, 0); return err }},
		{"Wrap/dtype", wDtype, nil, nil, func() error { _, err := Wrap(ndi, 1, 2, 0); return err }},
		{"Wrap/width", wBand, nil, nil, func() error { _, err := Wrap(na.Node, 4, -4, 0); return err }},
		{"NewNode/nil graph", wNil, []*Banded{a}, nil, func() error { _, err := NewNode(nil, a, "a"); return err }},
		{"NewNode/nil value", wNil, nil, nil, func() error { _, err := NewNode(g, nil, "a"); return err }},
		{"NewNode/zero value", `nil or zero Banded`, nil, nil, func() error { _, err := NewNode(g, &Banded{}, "a"); return err }},
		{"Node.Banded/no value", `value`, nil, nil, func() error {
			_, err := errFakeNode(g, tensor.Float64, tensor.Shape{2, 4, 3}, 1, 1, 0).Banded()
			return err
		}},
		{"FromDense Do/arity", wArity, nil, []*tensor.Dense{d}, func() error { _, err := fop.Do(d, d); return err }},
		{"FromDense Do/arity 0", wArity, nil, nil, func() error { _, err := fop.Do(); return err }},
		{"FromDense Do/shape", wShape, nil, []*tensor.Dense{d34}, func() error { _, err := fop.Do(d34); return err }},
		{"FromDense Do/dtype", wDtype, nil, nil, func() error { _, err := fop.Do(errDense(tensor.Float32, 2, 4, 4)); return err }},
		{"FromDense Do/scalar", `dense|shape`, nil, nil, func() error { _, err := fop.Do(gorgonia.NewF64(2)); return err }},
		{"ToDense Do/arity", wArity, nil, nil, func() error { _, err := top.Do(); return err }},
		{"ToDense Do/shape", wShape, nil, []*tensor.Dense{d}, func() error { _, err := top.Do(d); return err }},
		{"ToDense Do/dtype", wDtype, nil, nil, func() error { _, err := top.Do(errDense(tensor.Float32, 2, 4, 3)); return err }},
		{"ToDense Do/int", wDtype, nil, nil, func() error {
			_, err := top.Do(tensor.New(tensor.WithShape(2, 4, 3), tensor.Of(tensor.Int)))
			return err
		}},
	}
	runErrCases(t, cases)
}

// opCall is an Op of this package found in a graph that has run, with the
// values its node was computed from.
type opCall struct {
	name string
	op   gorgonia.Op
	in   []gorgonia.Value
}

// opCalls adds the gradient of cost with respect to wrt, runs the graph and
// returns every node whose Op belongs to this package (forward and
// backward), with its inputs' values.
func opCalls(t *testing.T, cost *gorgonia.Node, wrt ...*gorgonia.Node) []opCall {
	t.Helper()
	if _, err := gorgonia.Grad(cost, wrt...); err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(cost.Graph())
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	var calls []opCall
	for _, n := range cost.Graph().AllNodes() {
		op := n.Op()
		if op == nil || !regexp.MustCompile(`^\*?bandop\.`).MatchString(fmt.Sprintf("%T", op)) {
			continue
		}
		c := opCall{name: op.String(), op: op}
		// ExprGraph.From lists a node's children in argument order.
		for it := cost.Graph().From(n.ID()); it.Next(); {
			c.in = append(c.in, it.Node().(*gorgonia.Node).Value())
		}
		calls = append(calls, c)
	}
	return calls
}

// doCases returns bad calls of c.op.Do derived from its good inputs: wrong
// arity, and for each input a flipped dtype, an int dtype, a wrong shape, a
// scalar and nil. The good inputs must work: that is checked first.
func doCases(t *testing.T, c opCall) []errCase {
	t.Helper()
	if _, err := c.op.Do(c.in...); err != nil {
		t.Fatalf("%s: Do on its own inputs: %v", c.name, err)
	}
	var dense []*tensor.Dense
	for _, v := range c.in {
		if d, ok := v.(*tensor.Dense); ok {
			dense = append(dense, d)
		}
	}
	with := func(i int, v gorgonia.Value) []gorgonia.Value {
		in := append([]gorgonia.Value(nil), c.in...)
		in[i] = v
		return in
	}
	do := func(in []gorgonia.Value) func() error {
		return func() error { _, err := c.op.Do(in...); return err }
	}
	cases := []errCase{
		{c.name + "/arity 0", wArity, nil, dense, do(nil)},
		{c.name + "/arity +1", wArity, nil, dense, do(append(append([]gorgonia.Value(nil), c.in...), c.in[0]))},
	}
	if len(c.in) > 1 {
		cases = append(cases, errCase{c.name + "/arity -1", wArity, nil, dense, do(c.in[:len(c.in)-1])})
	}
	for i, v := range c.in {
		d, ok := v.(*tensor.Dense)
		if !ok {
			continue
		}
		other := tensor.Float32
		if d.Dtype() == tensor.Float32 {
			other = tensor.Float64
		}
		shape := d.Shape().Clone()
		bigger := append(shape.Clone(), 1)
		if shape.Dims() > 0 {
			bigger = shape.Clone()
			bigger[len(bigger)-1]++
		}
		p := fmt.Sprintf("%s/input %d ", c.name, i)
		cases = append(cases,
			errCase{p + "dtype", wDtype, nil, dense, do(with(i, newDense(other, shape, 0.5)))},
			errCase{p + "int", wDtype, nil, dense, do(with(i, tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Int))))},
			errCase{p + "shape", wShape, nil, dense, do(with(i, newDense(d.Dtype(), bigger, 0.5)))},
			errCase{p + "scalar", `dense|shape|scalar`, nil, dense, do(with(i, gorgonia.NewF64(1)))},
			errCase{p + "nil", `dense|nil`, nil, dense, do(with(i, nil))},
		)
	}
	return cases
}

// doGraphs are small graphs, one per group of ops, whose forward and
// backward Ops TestErrorsDoGenerated feeds bad values; want lists the Ops
// (by the name String starts with) each graph must contain.
var doGraphs = []struct {
	name  string
	want  []string
	build func(t *testing.T, f *errFixture, dt tensor.Dtype) (cost *gorgonia.Node, wrt []*gorgonia.Node)
}{
	{"Mul+dense", []string{"bandop.Mul", "bandop.MulGrad", "bandop.ToDense", "bandop.FromDense"},
		func(t *testing.T, f *errFixture, dt tensor.Dtype) (*gorgonia.Node, []*gorgonia.Node) {
			g := gorgonia.NewGraph()
			a, b := f.node(t, g, f.val(t, Real, dt, 2, 4, 1, 0)), f.node(t, g, f.val(t, Real, dt, 2, 4, 0, 2))
			c := must(Mul(a, b, Real))
			e := must(FromDenseNode(must(ToDense(c)), 1, 1, 0))
			return gorgonia.Must(gorgonia.Sum(must(ToDense(e)))), []*gorgonia.Node{a.Node, b.Node}
		}},
	{"VecMul+MulVec", []string{"bandop.VecMul", "bandop.VecMulGrad", "bandop.MulVec", "bandop.MulVecGrad"},
		func(t *testing.T, f *errFixture, dt tensor.Dtype) (*gorgonia.Node, []*gorgonia.Node) {
			g := gorgonia.NewGraph()
			a := f.node(t, g, f.val(t, Log, dt, 2, 4, 1, 2))
			v := gorgonia.NewMatrix(g, dt, gorgonia.WithShape(2, 4), gorgonia.WithName("v"),
				gorgonia.WithValue(newDense(dt, tensor.Shape{2, 4}, 0.25)))
			u := must(VecMul(v, a, Log))
			return gorgonia.Must(gorgonia.Sum(must(MulVec(a, u, Log)))), []*gorgonia.Node{a.Node, v}
		}},
	{"Plus+Times", []string{"bandop.Plus", "bandop.PlusGrad", "bandop.Times", "bandop.TimesGrad"},
		func(t *testing.T, f *errFixture, dt tensor.Dtype) (*gorgonia.Node, []*gorgonia.Node) {
			g := gorgonia.NewGraph()
			a, b := f.node(t, g, f.val(t, Real, dt, 2, 4, 1, 0)), f.node(t, g, f.val(t, Real, dt, 2, 4, 0, 2))
			p := must(Times(must(Plus(a, b, Real)), b, Real))
			return gorgonia.Must(gorgonia.Sum(must(ToDense(p)))), []*gorgonia.Node{a.Node, b.Node}
		}},
	{"Sum", []string{"bandop.Sum", "bandop.SumGrad"},
		func(t *testing.T, f *errFixture, dt tensor.Dtype) (*gorgonia.Node, []*gorgonia.Node) {
			g := gorgonia.NewGraph()
			a := f.node(t, g, f.val(t, Max, dt, 2, 4, 1, 2))
			return gorgonia.Must(gorgonia.Sum(must(Sum(a, Max)))), []*gorgonia.Node{a.Node}
		}},
	{"shape ops", []string{"bandop.Transpose", "bandop.RowShift", "bandop.RowShiftGrad", "bandop.ColShift", "bandop.ColShiftGrad", "bandop.Reband", "bandop.RebandGrad"},
		func(t *testing.T, f *errFixture, dt tensor.Dtype) (*gorgonia.Node, []*gorgonia.Node) {
			g := gorgonia.NewGraph()
			a := f.node(t, g, f.val(t, Real, dt, 2, 5, 1, 2))
			c := must(Reband(must(ColShift(must(RowShift(must(Transpose(a)), 1)), -1)), 2, 2))
			return gorgonia.Must(gorgonia.Sum(must(ToDense(c)))), []*gorgonia.Node{a.Node}
		}},
	{"Gather", []string{"bandop.Gather", "bandop.GatherGrad"},
		func(t *testing.T, f *errFixture, dt tensor.Dtype) (*gorgonia.Node, []*gorgonia.Node) {
			g := gorgonia.NewGraph()
			x := gorgonia.NewTensor(g, dt, 2, gorgonia.WithShape(2, 3), gorgonia.WithName("x"),
				gorgonia.WithValue(newDense(dt, tensor.Shape{2, 3}, 0.25)))
			m := &GatherMap{In: tensor.Shape{2, 3}, Out: tensor.Shape{4}, Index: []int32{0, 5, -1, 5}, Consts: []float64{1}}
			return gorgonia.Must(gorgonia.Sum(must(Gather(x, m)))), []*gorgonia.Node{x}
		}},
}

// TestErrorsDoGenerated feeds bad values to the Do of every forward and
// backward Op in doGraphs.
func TestErrorsDoGenerated(t *testing.T) {
	f := newErrFixture()
	for _, dg := range doGraphs {
		for _, dt := range dtypes {
			t.Run(dg.name+"/"+dt.String(), func(t *testing.T) {
				cost, wrt := dg.build(t, f, dt)
				seen := map[string]bool{}
				var cases []errCase
				for _, c := range opCalls(t, cost, wrt...) {
					seen[regexp.MustCompile(`\{.*`).ReplaceAllString(c.name, "")] = true
					cases = append(cases, doCases(t, c)...)
				}
				for _, want := range dg.want {
					if !seen[want] {
						t.Errorf("graph has no %s node (found %v)", want, seen)
					}
				}
				runErrCases(t, cases)
			})
		}
	}
}

func TestErrorsVectors(t *testing.T) {
	f := newErrFixture()
	a := f.val(t, Real, tensor.Float64, 2, 5, 1, 1)
	aLog := f.val(t, Log, tensor.Float64, 2, 5, 1, 1)
	v := errDense(tensor.Float64, 2, 5)
	v1 := errDense(tensor.Float64, 5)
	v3 := errDense(tensor.Float64, 3, 5)
	v6 := errDense(tensor.Float64, 2, 6)
	v32 := errDense(tensor.Float32, 2, 5)
	vi := tensor.New(tensor.WithShape(2, 5), tensor.Of(tensor.Int))
	g := gorgonia.NewGraph()
	na, naLog := f.node(t, g, a), f.node(t, g, aLog)
	gv := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 5), gorgonia.WithName("v"))
	gv1 := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(5), gorgonia.WithName("v1"))
	gv3 := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(3, 5), gorgonia.WithName("v3"))
	gv6 := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 6), gorgonia.WithName("v6"))
	gv32 := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(2, 5), gorgonia.WithName("v32"))
	rank2 := errFakeNode(g, tensor.Float64, tensor.Shape{2, 5}, 1, 1, 0)
	var nilB *Banded
	type vecE func(v *tensor.Dense, s Semiring) (*tensor.Dense, error)
	var cases []errCase
	for _, o := range []struct {
		name string
		e    func(a *Banded) vecE
		g    func(a *Node, v *gorgonia.Node, s Semiring) (*gorgonia.Node, error)
	}{
		{"VecMul", func(a *Banded) vecE { return a.VecMul }, func(a *Node, v *gorgonia.Node, s Semiring) (*gorgonia.Node, error) { return VecMul(v, a, s) }},
		{"MulVec", func(a *Banded) vecE { return a.MulVec }, MulVec},
	} {
		e, gf := o.e, o.g
		cases = append(cases,
			errCase{o.name + "/batch", wBatch, []*Banded{a}, []*tensor.Dense{v3}, func() error { _, err := e(a)(v3, Real); return err }},
			errCase{o.name + "/n", wN, []*Banded{a}, []*tensor.Dense{v6}, func() error { _, err := e(a)(v6, Real); return err }},
			errCase{o.name + "/rank", wShape, []*Banded{a}, []*tensor.Dense{v1}, func() error { _, err := e(a)(v1, Real); return err }},
			errCase{o.name + "/dtype", wDtype, []*Banded{a}, []*tensor.Dense{v32}, func() error { _, err := e(a)(v32, Real); return err }},
			errCase{o.name + "/int", wDtype, []*Banded{a}, []*tensor.Dense{vi}, func() error { _, err := e(a)(vi, Real); return err }},
			errCase{o.name + "/semiring", wSemiring, []*Banded{a}, []*tensor.Dense{v}, func() error { _, err := e(a)(v, Semiring(4)); return err }},
			errCase{o.name + "/fill", wFill, []*Banded{a}, []*tensor.Dense{v}, func() error { _, err := e(a)(v, Log); return err }},
			errCase{o.name + "/fill Real", wFill, []*Banded{aLog}, []*tensor.Dense{v}, func() error { _, err := e(aLog)(v, Real); return err }},
			errCase{o.name + "/nil v", wNil, []*Banded{a}, nil, func() error { _, err := e(a)(nil, Real); return err }},
			errCase{o.name + "/nil A", wNil, nil, []*tensor.Dense{v}, func() error { _, err := e(nilB)(v, Real); return err }},
			errCase{o.name + " graph/batch", wBatch, nil, nil, func() error { _, err := gf(na, gv3, Real); return err }},
			errCase{o.name + " graph/n", wN, nil, nil, func() error { _, err := gf(na, gv6, Real); return err }},
			errCase{o.name + " graph/rank", wShape, nil, nil, func() error { _, err := gf(na, gv1, Real); return err }},
			errCase{o.name + " graph/dtype", wDtype, nil, nil, func() error { _, err := gf(na, gv32, Real); return err }},
			errCase{o.name + " graph/semiring", wSemiring, nil, nil, func() error { _, err := gf(na, gv, Semiring(3)); return err }},
			errCase{o.name + " graph/fill", wFill, nil, nil, func() error { _, err := gf(naLog, gv, Real); return err }},
			errCase{o.name + " graph/nil v", wNil, nil, nil, func() error { _, err := gf(na, nil, Real); return err }},
			errCase{o.name + " graph/nil A", wNil, nil, nil, func() error { _, err := gf(nil, gv, Real); return err }},
			errCase{o.name + " graph/A rank", wShape, nil, nil, func() error { _, err := gf(rank2, gv, Real); return err }},
		)
	}
	cases = append(cases,
		errCase{"Sum/semiring", wSemiring, []*Banded{a}, nil, func() error { _, err := a.Sum(Semiring(7)); return err }},
		errCase{"Sum/fill", wFill, []*Banded{a}, nil, func() error { _, err := a.Sum(Max); return err }},
		errCase{"Sum/fill Real", wFill, []*Banded{aLog}, nil, func() error { _, err := aLog.Sum(Real); return err }},
		errCase{"Sum/nil", wNil, nil, nil, func() error { _, err := nilB.Sum(Real); return err }},
		errCase{"Sum graph/semiring", wSemiring, nil, nil, func() error { _, err := Sum(na, Semiring(7)); return err }},
		errCase{"Sum graph/fill", wFill, nil, nil, func() error { _, err := Sum(na, Log); return err }},
		errCase{"Sum graph/nil", wNil, nil, nil, func() error { _, err := Sum(nil, Real); return err }},
		errCase{"Sum graph/rank", wShape, nil, nil, func() error { _, err := Sum(rank2, Real); return err }},
		errCase{"Sum graph/band vs shape", wShape, nil, nil, func() error {
			_, err := Sum(errFakeNode(g, tensor.Float64, tensor.Shape{2, 5, 2}, 1, 1, 0), Real)
			return err
		}},
		errCase{"Sum graph/dtype", wDtype, nil, nil, func() error {
			_, err := Sum(errFakeNode(g, tensor.Int, tensor.Shape{2, 5, 3}, 1, 1, 0), Real)
			return err
		}},
	)
	runErrCases(t, cases)
}

func TestErrorsElementwise(t *testing.T) {
	f := newErrFixture()
	a := f.val(t, Real, tensor.Float64, 2, 5, 1, 1)
	aLog := f.val(t, Log, tensor.Float64, 2, 5, 1, 1)
	b := f.val(t, Real, tensor.Float64, 2, 5, 0, 2)
	b3 := f.val(t, Real, tensor.Float64, 3, 5, 0, 2)
	b6 := f.val(t, Real, tensor.Float64, 2, 6, 0, 2)
	b32 := f.val(t, Real, tensor.Float32, 2, 5, 0, 2)
	g := gorgonia.NewGraph()
	na, nb := f.node(t, g, a), f.node(t, g, b)
	nb3, nb6, nb32 := f.node(t, g, b3), f.node(t, g, b6), f.node(t, g, b32)
	far := f.val(t, Real, tensor.Float64, 2, 5, -2, 4) // no diagonal in common with a
	naLog, nfar := f.node(t, g, aLog), f.node(t, g, far)
	add := func(x, y float64) float64 { return x + y }
	rank2 := errFakeNode(g, tensor.Float64, tensor.Shape{2, 5}, 1, 1, 0)
	mism := errFakeNode(g, tensor.Float64, tensor.Shape{2, 5, 4}, 1, 1, 0)
	var nilB *Banded
	type bin func(x, y *Banded, s Semiring) (*Banded, error)
	type gbin func(x, y *Node, s Semiring) (*Node, error)
	var cases []errCase
	for _, o := range []struct {
		name string
		e    bin
		g    gbin
	}{
		{"Plus", (*Banded).Plus, Plus},
		{"Times", (*Banded).Times, Times},
	} {
		e, gf := o.e, o.g
		cases = append(cases,
			errCase{o.name + "/batch", wBatch, []*Banded{a, b3}, nil, func() error { _, err := e(a, b3, Real); return err }},
			errCase{o.name + "/n", wN, []*Banded{a, b6}, nil, func() error { _, err := e(a, b6, Real); return err }},
			errCase{o.name + "/dtype", wDtype, []*Banded{a, b32}, nil, func() error { _, err := e(a, b32, Real); return err }},
			errCase{o.name + "/semiring", wSemiring, []*Banded{a, b}, nil, func() error { _, err := e(a, b, Semiring(9)); return err }},
			errCase{o.name + "/fill", wFill, []*Banded{a, aLog}, nil, func() error { _, err := e(aLog, a, Log); return err }},
			errCase{o.name + "/fill Max", wFill, []*Banded{a, b}, nil, func() error { _, err := e(a, b, Max); return err }},
			errCase{o.name + "/nil A", wNil, []*Banded{b}, nil, func() error { _, err := e(nilB, b, Real); return err }},
			errCase{o.name + "/nil B", wNil, []*Banded{a}, nil, func() error { _, err := e(a, nil, Real); return err }},
			errCase{o.name + " graph/batch", wBatch, nil, nil, func() error { _, err := gf(na, nb3, Real); return err }},
			errCase{o.name + " graph/n", wN, nil, nil, func() error { _, err := gf(na, nb6, Real); return err }},
			errCase{o.name + " graph/dtype", wDtype, nil, nil, func() error { _, err := gf(na, nb32, Real); return err }},
			errCase{o.name + " graph/semiring", wSemiring, nil, nil, func() error { _, err := gf(na, nb, Semiring(-2)); return err }},
			errCase{o.name + " graph/fill", wFill, nil, nil, func() error { _, err := gf(naLog, nb, Real); return err }},
			errCase{o.name + " graph/nil", wNil, nil, nil, func() error { _, err := gf(na, nil, Real); return err }},
			errCase{o.name + " graph/rank", wShape, nil, nil, func() error { _, err := gf(rank2, nb, Real); return err }},
			errCase{o.name + " graph/band vs shape", wShape, nil, nil, func() error { _, err := gf(na, mism, Real); return err }},
		)
	}
	cases = append(cases,
		errCase{"Times/disjoint bands", `intersect|band|width|empty`, []*Banded{a, far}, nil, func() error { _, err := a.Times(far, Real); return err }},
		errCase{"Times graph/disjoint bands", `intersect|band|width|empty`, nil, nil, func() error { _, err := Times(na, nfar, Real); return err }},
	)
	cases = append(cases,
		errCase{"Zip/batch", wBatch, []*Banded{a, b3}, nil, func() error { _, err := Zip(a, b3, add); return err }},
		errCase{"Zip/n", wN, []*Banded{a, b6}, nil, func() error { _, err := Zip(a, b6, add); return err }},
		errCase{"Zip/dtype", wDtype, []*Banded{a, b32}, nil, func() error { _, err := Zip(a, b32, add); return err }},
		errCase{"Zip/nil f", `nil|func`, []*Banded{a, b}, nil, func() error { _, err := Zip(a, b, nil); return err }},
		errCase{"Zip/nil A", wNil, []*Banded{b}, nil, func() error { _, err := Zip(nil, b, add); return err }},
		errCase{"Zip/nil B", wNil, []*Banded{a}, nil, func() error { _, err := Zip(a, nil, add); return err }},
		errCase{"Zip/empty A", wNil, []*Banded{b}, nil, func() error { _, err := Zip(&Banded{}, b, add); return err }},
		errCase{"Zip/f panics", `panic`, []*Banded{a, b}, nil, func() error {
			_, err := Zip(a, b, func(x, y float64) float64 { panic("boom") })
			return err
		}},
	)
	runErrCases(t, cases)
}
