package genmul

import (
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// product is one of the four products.
type product int

const (
	logProd product = 1 + iota
	maxProd
	sampleProd
	prodMaxProd
)

func (p product) String() string {
	switch p {
	case logProd:
		return "LogMatMul"
	case maxProd:
		return "MaxMatMul"
	case sampleProd:
		return "SampleMatMul"
	case prodMaxProd:
		return "ProdMaxMatMul"
	}
	return fmt.Sprintf("product(%d)", int(p))
}

// The Ops of this package:
//
//	fwdOp         (A, B) → C                     the four products
//	logGradBothOp (A, B, C, dC) → [dA dB]        LogMatMul's gradients from one exp per term
//	partOp        [dA dB] → dA or dB             one of them
//	logGradOp     (A, B, C, dC) → dA or dB       LogMatMul's gradient, itself differentiable
//	logGrad2Op    (A, B, C, dC, H) → dB or dA    a term of LogMatMul's second derivatives
//	logExpectOp   (A, B, C, H) → (batch, n, m)   another such term
//	selectOp      (A, B, C) → k (int32)          the first maximal k of Max and ProdMax
//	drawOp        (A, B, C) → k (int32)          Sample's k, drawn from the softmax
//	routeOp       (A, B, k, dC) → dA or dB       the gradient of Max, ProdMax and Sample
//
// Each names itself with every parameter in String (product, dtype, shapes,
// which operand, the sample source), and WriteHash hashes that name, so
// Gorgonia merges two nodes only when they compute the same thing. The
// selection of Max, ProdMax and Sample is an Op of its own so that the
// gradients with respect to A and B read one selection (one draw).

// opBase holds what every Op of this package answers the same way.
type opBase struct{}

func (opBase) ReturnsPtr() bool     { return false }
func (opBase) OverwritesInput() int { return -1 }
func (opBase) CallsExtern() bool    { return callsExtern }

func writeHash(h hash.Hash, op fmt.Stringer) { io.WriteString(h, op.String()) }

func hashcode(op fmt.Stringer) uint32 {
	h := fnv.New32a()
	writeHash(h, op)
	return h.Sum32()
}

// tt returns a fresh rank-3 tensor type: Gorgonia mutates types during
// inference, so no Op hands out a shared one.
func tt(dt tensor.Dtype) hm.Type { return gorgonia.TensorType{Dims: 3, Of: dt} }

// fnType returns a fresh function type of rank-3 tensors, the last the
// output.
func fnType(dts ...tensor.Dtype) hm.Type {
	ts := make([]hm.Type, len(dts))
	for i, dt := range dts {
		ts[i] = tt(dt)
	}
	return hm.NewFnType(ts...)
}

// wrtName is the operand a gradient Op differentiates with respect to.
func wrtName(wrt int) string {
	if wrt == 0 {
		return "A"
	}
	return "B"
}

// sampler is the random source of one SampleMatMul node. Each run of its
// gradient takes one 64-bit seed from src, under mu (the source need not be
// safe for concurrent use), and derives every draw of the run from it.
type sampler struct {
	mu  sync.Mutex
	src rand.Source
	id  uint64 // unique per SampleMatMulNode call
}

var samplerIDs atomic.Uint64

func newSampler(src rand.Source) *sampler {
	return &sampler{src: src, id: samplerIDs.Add(1)}
}

func (s *sampler) seed() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.src.Uint64()
}

// String identifies the source (its type, and its address when it is a
// pointer) and the node: two SampleMatMul nodes never share draws.
func (s *sampler) String() string {
	id := fmt.Sprintf("%T", s.src)
	if v := reflect.ValueOf(s.src); v.Kind() == reflect.Pointer {
		id += fmt.Sprintf("@%#x", v.Pointer())
	}
	return fmt.Sprintf("source %s, node %d", id, s.id)
}

// inputs returns the values of an Op's Do as contiguous tensors after
// checking their number, dtypes and shapes.
func inputs(op string, vals []gorgonia.Value, dts []tensor.Dtype, shapes []tensor.Shape) ([]*tensor.Dense, error) {
	if len(vals) != len(dts) {
		return nil, errorf(ErrShape, op, "got %d inputs, want %d", len(vals), len(dts))
	}
	out := make([]*tensor.Dense, len(vals))
	for i, v := range vals {
		t, ok := v.(*tensor.Dense)
		if !ok || t == nil {
			return nil, errorf(ErrValue, op, "input %d is a %T, want a *tensor.Dense", i, v)
		}
		if t.Dtype() != dts[i] {
			return nil, errorf(ErrDtype, op, "input %d has dtype %v, want %v", i, t.Dtype(), dts[i])
		}
		if !t.Shape().Eq(shapes[i]) {
			return nil, errorf(ErrShape, op, "input %d has shape %v, want %v", i, t.Shape(), shapes[i])
		}
		out[i] = contiguous(t)
	}
	return out, nil
}

func newDense(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	return tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
}

// fwdOp is the Op of the four products.
type fwdOp struct {
	opBase
	p      product
	d      dims
	sample *sampler // Sample only
}

func (op *fwdOp) String() string {
	s := fmt.Sprintf("genmul.%v{%v, A%v, B%v", op.p, op.d.dt, op.d.aShape(), op.d.bShape())
	if op.sample != nil {
		s += ", " + op.sample.String()
	}
	return s + "}"
}
func (op *fwdOp) Arity() int                { return 2 }
func (op *fwdOp) Type() hm.Type             { return fnType(op.d.dt, op.d.dt, op.d.dt) }
func (op *fwdOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *fwdOp) Hashcode() uint32          { return hashcode(op) }
func (op *fwdOp) DiffWRT(inputs int) []bool { return []bool{true, true} }

func (op *fwdOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) { return op.d.cShape(), nil }

func (op *fwdOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	in, err := inputs(op.p.String(), vals, []tensor.Dtype{d.dt, d.dt}, []tensor.Shape{d.aShape(), d.bShape()})
	if err != nil {
		return nil, err
	}
	c := newDense(d.dt, d.cShape())
	switch d.dt {
	case tensor.Float32:
		forward(op.p, c.Data().([]float32), in[0].Data().([]float32), in[1].Data().([]float32), d)
	default:
		forward(op.p, c.Data().([]float64), in[0].Data().([]float64), in[1].Data().([]float64), d)
	}
	return c, nil
}

// SymDiff: LogMatMul's gradients come from one logGradBothOp (one exp per
// inner term for both; LogMatMulGradNode builds the differentiable
// logGradOps instead: Gorgonia does not differentiate a graph twice); those
// of Max, ProdMax and Sample route dC through one selection of k per
// output.
func (op *fwdOp) SymDiff(in gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(in) != 2 {
		return nil, errorf(ErrShape, op.p.String(), "SymDiff got %d inputs, want 2", len(in))
	}
	if op.p == logProd {
		both, err := gorgonia.ApplyOp(&logGradBothOp{d: op.d}, in[0], in[1], output, grad)
		if err != nil {
			return nil, err
		}
		ga, err := gorgonia.ApplyOp(&partOp{d: op.d, wrt: 0}, both)
		if err != nil {
			return nil, err
		}
		gb, err := gorgonia.ApplyOp(&partOp{d: op.d, wrt: 1}, both)
		if err != nil {
			return nil, err
		}
		return gorgonia.Nodes{ga, gb}, nil
	}
	var sel gorgonia.Op = &selectOp{p: op.p, d: op.d}
	if op.p == sampleProd {
		sel = &drawOp{d: op.d, sample: op.sample}
	}
	k, err := gorgonia.ApplyOp(sel, in[0], in[1], output)
	if err != nil {
		return nil, err
	}
	ga, err := gorgonia.ApplyOp(&routeOp{p: op.p, d: op.d, wrt: 0}, in[0], in[1], k, grad)
	if err != nil {
		return nil, err
	}
	gb, err := gorgonia.ApplyOp(&routeOp{p: op.p, d: op.d, wrt: 1}, in[0], in[1], k, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{ga, gb}, nil
}

// logGrads adds LogMatMul's gradients with respect to A and B, for C =
// LogMatMul(A, B) and the upstream gradient dc.
func logGrads(d dims, a, b, c, dc *gorgonia.Node) (gorgonia.Nodes, error) {
	ga, err := gorgonia.ApplyOp(&logGradOp{d: d, wrt: 0}, a, b, c, dc)
	if err != nil {
		return nil, err
	}
	gb, err := gorgonia.ApplyOp(&logGradOp{d: d, wrt: 1}, a, b, c, dc)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{ga, gb}, nil
}

// logGradBothOp is LogMatMul's backward as gorgonia.Grad builds it: from
// (A, B, C, dC) both gradients (see logGradOp) in one rank-1 tensor, dA's
// batch·n·k elements then dB's batch·k·m, computed together from one exp
// per inner term (logGradBoth). Not differentiable.
type logGradBothOp struct {
	opBase
	d dims
}

func (op *logGradBothOp) String() string {
	return fmt.Sprintf("genmul.LogMatMulGradBoth{%v, A%v, B%v}", op.d.dt, op.d.aShape(), op.d.bShape())
}
func (op *logGradBothOp) Arity() int { return 4 }
func (op *logGradBothOp) Type() hm.Type {
	dt := op.d.dt
	return hm.NewFnType(tt(dt), tt(dt), tt(dt), tt(dt), gorgonia.TensorType{Dims: 1, Of: dt})
}
func (op *logGradBothOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *logGradBothOp) Hashcode() uint32      { return hashcode(op) }

func (op *logGradBothOp) size() (na, nb int) {
	return op.d.aShape().TotalSize(), op.d.bShape().TotalSize()
}

func (op *logGradBothOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	na, nb := op.size()
	return tensor.Shape{na + nb}, nil
}

func (op *logGradBothOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	in, err := inputs("LogMatMulGradBoth", vals, []tensor.Dtype{d.dt, d.dt, d.dt, d.dt}, []tensor.Shape{d.aShape(), d.bShape(), d.cShape(), d.cShape()})
	if err != nil {
		return nil, err
	}
	na, nb := op.size()
	g := tensor.New(tensor.Of(d.dt), tensor.WithShape(na+nb))
	switch d.dt {
	case tensor.Float32:
		gradBoth(g.Data().([]float32), na, in[0].Data().([]float32), in[1].Data().([]float32), in[2].Data().([]float32), in[3].Data().([]float32), d)
	default:
		gradBoth(g.Data().([]float64), na, in[0].Data().([]float64), in[1].Data().([]float64), in[2].Data().([]float64), in[3].Data().([]float64), d)
	}
	return g, nil
}

func gradBoth[T float](g []T, na int, a, b, c, dc []T, d dims) {
	cm, dm := logMasked(c, dc)
	logGradBoth(g[:na], g[na:], a, b, cm, dm, d)
}

// partOp returns dA (wrt 0) or dB (wrt 1) out of logGradBothOp's output.
type partOp struct {
	opBase
	d   dims
	wrt int
}

func (op *partOp) String() string {
	return fmt.Sprintf("genmul.LogMatMulGradPart{d%s, %v, A%v, B%v}", wrtName(op.wrt), op.d.dt, op.d.aShape(), op.d.bShape())
}
func (op *partOp) Arity() int { return 1 }
func (op *partOp) Type() hm.Type {
	return hm.NewFnType(gorgonia.TensorType{Dims: 1, Of: op.d.dt}, tt(op.d.dt))
}
func (op *partOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *partOp) Hashcode() uint32      { return hashcode(op) }

func (op *partOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	if op.wrt == 0 {
		return op.d.aShape(), nil
	}
	return op.d.bShape(), nil
}

func (op *partOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	both := &logGradBothOp{d: op.d}
	whole, _ := both.InferShape()
	in, err := inputs("LogMatMulGradPart", vals, []tensor.Dtype{op.d.dt}, []tensor.Shape{whole})
	if err != nil {
		return nil, err
	}
	na, _ := both.size()
	shape, _ := op.InferShape()
	g := newDense(op.d.dt, shape)
	switch src := in[0].Data().(type) {
	case []float32:
		copy(g.Data().([]float32), part(src, na, op.wrt))
	case []float64:
		copy(g.Data().([]float64), part(src, na, op.wrt))
	}
	return g, nil
}

func part[T float](s []T, na, wrt int) []T {
	if wrt == 0 {
		return s[:na]
	}
	return s[na:]
}

// logGradOp is LogMatMul's backward: from (A, B, C, dC) the gradient with
// respect to A (wrt 0), dA[i,k] = Σ_j dC[i,j]·P[i,k,j], or B (wrt 1),
// dB[k,j] = Σ_i dC[i,j]·P[i,k,j], with the softmax weights
// P[i,k,j] = exp(A[i,k] + B[k,j] − C[i,j]) (0 where C is −Inf). It is
// differentiable with respect to all four inputs.
type logGradOp struct {
	opBase
	d   dims
	wrt int
}

func (op *logGradOp) String() string {
	return fmt.Sprintf("genmul.LogMatMulGrad{d%s, %v, A%v, B%v}", wrtName(op.wrt), op.d.dt, op.d.aShape(), op.d.bShape())
}
func (op *logGradOp) Arity() int { return 4 }
func (op *logGradOp) Type() hm.Type {
	dt := op.d.dt
	return fnType(dt, dt, dt, dt, dt)
}
func (op *logGradOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *logGradOp) Hashcode() uint32          { return hashcode(op) }
func (op *logGradOp) DiffWRT(inputs int) []bool { return []bool{true, true, true, true} }

func (op *logGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	if op.wrt == 0 {
		return op.d.aShape(), nil
	}
	return op.d.bShape(), nil
}

func (op *logGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	in, err := inputs("LogMatMulGrad", vals, []tensor.Dtype{d.dt, d.dt, d.dt, d.dt}, []tensor.Shape{d.aShape(), d.bShape(), d.cShape(), d.cShape()})
	if err != nil {
		return nil, err
	}
	shape, _ := op.InferShape()
	g := newDense(d.dt, shape)
	switch d.dt {
	case tensor.Float32:
		logGrad(op.wrt, g.Data().([]float32), in[0].Data().([]float32), in[1].Data().([]float32), in[2].Data().([]float32), in[3].Data().([]float32), nil, d)
	default:
		logGrad(op.wrt, g.Data().([]float64), in[0].Data().([]float64), in[1].Data().([]float64), in[2].Data().([]float64), in[3].Data().([]float64), nil, d)
	}
	return g, nil
}

// logGrad runs the kernel of logGradOp (w nil) or logGrad2Op.
func logGrad[T float](wrt int, g, a, b, c, dc, w []T, d dims) {
	cm, dm := logMasked(c, dc)
	if wrt == 0 {
		logGradA(g, a, b, cm, dm, w, d)
	} else {
		logGradB(g, a, b, cm, dm, w, d)
	}
}

// SymDiff of G = dA (wrt 0) with upstream H of A's shape, where
// G[i,k] = Σ_j D[i,j]·P[i,k,j] and ∂P[i,k,j] = P[i,k,j]·(∂A[i,k] + ∂B[k,j] − ∂C[i,j]):
//
//	∂/∂D[i,j] = Σ_k H[i,k]·P[i,k,j] =: E[i,j]    (logExpectOp)
//	∂/∂C[i,j] = −D[i,j]·E[i,j]
//	∂/∂A[i,k] = H[i,k]·G[i,k]
//	∂/∂B[k,j] = Σ_i H[i,k]·D[i,j]·P[i,k,j]       (logGrad2Op, wrt B)
//
// and symmetrically for G = dB.
func (op *logGradOp) SymDiff(in gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(in) != 4 {
		return nil, errorf(ErrShape, "LogMatMulGrad", "SymDiff got %d inputs, want 4", len(in))
	}
	a, b, c, dc := in[0], in[1], in[2], in[3]
	e, err := gorgonia.ApplyOp(&logExpectOp{d: op.d, wrt: op.wrt}, a, b, c, grad)
	if err != nil {
		return nil, err
	}
	de, err := gorgonia.HadamardProd(dc, e)
	if err != nil {
		return nil, err
	}
	gc, err := gorgonia.Neg(de)
	if err != nil {
		return nil, err
	}
	same, err := gorgonia.HadamardProd(grad, output)
	if err != nil {
		return nil, err
	}
	other, err := gorgonia.ApplyOp(&logGrad2Op{d: op.d, wrt: 1 - op.wrt}, a, b, c, dc, grad)
	if err != nil {
		return nil, err
	}
	if op.wrt == 0 {
		return gorgonia.Nodes{same, other, gc, e}, nil
	}
	return gorgonia.Nodes{other, same, gc, e}, nil
}

// logGrad2Op computes, from (A, B, C, D, H), the term of LogMatMul's second
// derivatives that crosses operands: with respect to B (wrt 1) for H of A's
// shape, Σ_i H[i,k]·D[i,j]·P[i,k,j]; with respect to A (wrt 0) for H of B's
// shape, Σ_j H[k,j]·D[i,j]·P[i,k,j]. It is not differentiable (genmul has
// no third derivatives).
type logGrad2Op struct {
	opBase
	d   dims
	wrt int
}

func (op *logGrad2Op) String() string {
	return fmt.Sprintf("genmul.LogMatMulGrad2{d%s, %v, A%v, B%v}", wrtName(op.wrt), op.d.dt, op.d.aShape(), op.d.bShape())
}
func (op *logGrad2Op) Arity() int { return 5 }
func (op *logGrad2Op) Type() hm.Type {
	dt := op.d.dt
	return fnType(dt, dt, dt, dt, dt, dt)
}
func (op *logGrad2Op) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *logGrad2Op) Hashcode() uint32      { return hashcode(op) }

// shapes returns the output's shape and that of the weight H: the other
// operand's.
func (op *logGrad2Op) shapes() (out, h tensor.Shape) {
	if op.wrt == 0 {
		return op.d.aShape(), op.d.bShape()
	}
	return op.d.bShape(), op.d.aShape()
}

func (op *logGrad2Op) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	out, _ := op.shapes()
	return out, nil
}

func (op *logGrad2Op) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	out, hs := op.shapes()
	in, err := inputs("LogMatMulGrad2", vals, []tensor.Dtype{d.dt, d.dt, d.dt, d.dt, d.dt}, []tensor.Shape{d.aShape(), d.bShape(), d.cShape(), d.cShape(), hs})
	if err != nil {
		return nil, err
	}
	g := newDense(d.dt, out)
	switch d.dt {
	case tensor.Float32:
		logGrad(op.wrt, g.Data().([]float32), in[0].Data().([]float32), in[1].Data().([]float32), in[2].Data().([]float32), in[3].Data().([]float32), in[4].Data().([]float32), d)
	default:
		logGrad(op.wrt, g.Data().([]float64), in[0].Data().([]float64), in[1].Data().([]float64), in[2].Data().([]float64), in[3].Data().([]float64), in[4].Data().([]float64), d)
	}
	return g, nil
}

// logExpectOp computes, from (A, B, C, H), E[i,j] = Σ_k P[i,k,j]·H[i,k] for
// H of A's shape (wrt 0) or Σ_k P[i,k,j]·H[k,j] for H of B's shape (wrt 1):
// the expectation of H under the softmax over k. Not differentiable.
type logExpectOp struct {
	opBase
	d   dims
	wrt int
}

func (op *logExpectOp) String() string {
	return fmt.Sprintf("genmul.LogMatMulExpect{H like %s, %v, A%v, B%v}", wrtName(op.wrt), op.d.dt, op.d.aShape(), op.d.bShape())
}
func (op *logExpectOp) Arity() int { return 4 }
func (op *logExpectOp) Type() hm.Type {
	dt := op.d.dt
	return fnType(dt, dt, dt, dt, dt)
}
func (op *logExpectOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *logExpectOp) Hashcode() uint32      { return hashcode(op) }

func (op *logExpectOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.d.cShape(), nil
}

func (op *logExpectOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	hs := d.aShape()
	if op.wrt == 1 {
		hs = d.bShape()
	}
	in, err := inputs("LogMatMulExpect", vals, []tensor.Dtype{d.dt, d.dt, d.dt, d.dt}, []tensor.Shape{d.aShape(), d.bShape(), d.cShape(), hs})
	if err != nil {
		return nil, err
	}
	e := newDense(d.dt, d.cShape())
	switch d.dt {
	case tensor.Float32:
		expect(op.wrt, e.Data().([]float32), in[0].Data().([]float32), in[1].Data().([]float32), in[2].Data().([]float32), in[3].Data().([]float32), d)
	default:
		expect(op.wrt, e.Data().([]float64), in[0].Data().([]float64), in[1].Data().([]float64), in[2].Data().([]float64), in[3].Data().([]float64), d)
	}
	return e, nil
}

func expect[T float](wrt int, e, a, b, c, h []T, d dims) {
	cm, _ := logMasked(c, nil)
	if wrt == 0 {
		logExpect(e, a, b, cm, h, nil, d)
	} else {
		logExpect(e, a, b, cm, nil, h, d)
	}
}

// selectOp finds, for MaxMatMul and ProdMaxMatMul, the first maximal k of
// each output (see selectMax): an int32 tensor of C's shape, −1 where none.
type selectOp struct {
	opBase
	p product
	d dims
}

func (op *selectOp) String() string {
	return fmt.Sprintf("genmul.%vSelect{%v, A%v, B%v}", op.p, op.d.dt, op.d.aShape(), op.d.bShape())
}
func (op *selectOp) Arity() int { return 3 }
func (op *selectOp) Type() hm.Type {
	dt := op.d.dt
	return fnType(dt, dt, dt, tensor.Int32)
}
func (op *selectOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *selectOp) Hashcode() uint32      { return hashcode(op) }

func (op *selectOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.d.cShape(), nil
}

func (op *selectOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	in, err := inputs(op.p.String()+"Select", vals, []tensor.Dtype{d.dt, d.dt, d.dt}, []tensor.Shape{d.aShape(), d.bShape(), d.cShape()})
	if err != nil {
		return nil, err
	}
	k := newDense(tensor.Int32, d.cShape())
	switch d.dt {
	case tensor.Float32:
		selectMax(op.p, k.Data().([]int32), in[0].Data().([]float32), in[1].Data().([]float32), in[2].Data().([]float32), d)
	default:
		selectMax(op.p, k.Data().([]int32), in[0].Data().([]float64), in[1].Data().([]float64), in[2].Data().([]float64), d)
	}
	return k, nil
}

// drawOp draws, for SampleMatMul, one k per output from the softmax over k
// (see drawSample), with a fresh seed from the node's source at every run:
// an int32 tensor of C's shape, −1 where there is nothing to draw.
type drawOp struct {
	opBase
	d      dims
	sample *sampler
}

func (op *drawOp) String() string {
	return fmt.Sprintf("genmul.SampleMatMulDraw{%v, A%v, B%v, %v}", op.d.dt, op.d.aShape(), op.d.bShape(), op.sample)
}
func (op *drawOp) Arity() int { return 3 }
func (op *drawOp) Type() hm.Type {
	dt := op.d.dt
	return fnType(dt, dt, dt, tensor.Int32)
}
func (op *drawOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *drawOp) Hashcode() uint32      { return hashcode(op) }

func (op *drawOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.d.cShape(), nil
}

func (op *drawOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	in, err := inputs("SampleMatMulDraw", vals, []tensor.Dtype{d.dt, d.dt, d.dt}, []tensor.Shape{d.aShape(), d.bShape(), d.cShape()})
	if err != nil {
		return nil, err
	}
	seed := op.sample.seed()
	k := newDense(tensor.Int32, d.cShape())
	switch d.dt {
	case tensor.Float32:
		draw(k.Data().([]int32), in[0].Data().([]float32), in[1].Data().([]float32), in[2].Data().([]float32), seed, d)
	default:
		draw(k.Data().([]int32), in[0].Data().([]float64), in[1].Data().([]float64), in[2].Data().([]float64), seed, d)
	}
	return k, nil
}

func draw[T float](sel []int32, a, b, c []T, seed uint64, d dims) {
	cm, _ := logMasked(c, nil)
	drawSample(sel, a, b, cm, c, seed, d)
}

// routeOp is the backward of MaxMatMul, ProdMaxMatMul and SampleMatMul: from
// (A, B, k, dC) the gradient with respect to A (wrt 0) or B (wrt 1), each
// output's dC going to its selected k only (times the other factor for
// ProdMax).
type routeOp struct {
	opBase
	p   product
	d   dims
	wrt int
}

func (op *routeOp) String() string {
	return fmt.Sprintf("genmul.%vGrad{d%s, %v, A%v, B%v}", op.p, wrtName(op.wrt), op.d.dt, op.d.aShape(), op.d.bShape())
}
func (op *routeOp) Arity() int { return 4 }
func (op *routeOp) Type() hm.Type {
	dt := op.d.dt
	return fnType(dt, dt, tensor.Int32, dt, dt)
}
func (op *routeOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *routeOp) Hashcode() uint32      { return hashcode(op) }

func (op *routeOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	if op.wrt == 0 {
		return op.d.aShape(), nil
	}
	return op.d.bShape(), nil
}

func (op *routeOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	in, err := inputs(op.p.String()+"Grad", vals, []tensor.Dtype{d.dt, d.dt, tensor.Int32, d.dt}, []tensor.Shape{d.aShape(), d.bShape(), d.cShape(), d.cShape()})
	if err != nil {
		return nil, err
	}
	shape, _ := op.InferShape()
	g := newDense(d.dt, shape)
	sel := in[2].Data().([]int32)
	switch d.dt {
	case tensor.Float32:
		route(op.p, op.wrt, g.Data().([]float32), in[0].Data().([]float32), in[1].Data().([]float32), sel, in[3].Data().([]float32), d)
	default:
		route(op.p, op.wrt, g.Data().([]float64), in[0].Data().([]float64), in[1].Data().([]float64), sel, in[3].Data().([]float64), d)
	}
	return g, nil
}

func route[T float](p product, wrt int, g, a, b []T, sel []int32, dc []T, d dims) {
	if wrt == 0 {
		routeA(p, g, a, b, sel, dc, d)
	} else {
		routeB(p, g, a, b, sel, dc, d)
	}
}
