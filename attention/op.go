package attention

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync"

	"github.com/chewxy/hm"
	"github.com/genband/genband/internal/dense"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// form is what an Op of this package is built for: dtype, sizes, the band
// (each side clamped to [−n, n]), the scale, and whether the lengths are
// an input.
type form struct {
	dt           tensor.Dtype
	batch, n, d  int
	lower, upper int
	scale        float64
	lengths      bool
}

func (f form) String() string {
	return fmt.Sprintf("(%d, %d, %d), band [%d, %d], scale %v, %v, lengths %v",
		f.batch, f.n, f.d, f.lower, f.upper, f.scale, f.dt, f.lengths)
}

func (f form) shape() tensor.Shape { return tensor.Shape{f.batch, f.n, f.d} }

// arity is the number of inputs of the forward Op: q, k, v and perhaps the
// lengths.
func (f form) arity() int {
	if f.lengths {
		return 4
	}
	return 3
}

// inTypes returns the types of the forward Op's inputs.
func (f form) inTypes() []hm.Type {
	ts := []hm.Type{}
	for range 3 {
		ts = append(ts, gorgonia.TensorType{Dims: 3, Of: f.dt})
	}
	if f.lengths {
		ts = append(ts, gorgonia.TensorType{Dims: 1, Of: tensor.Int})
	}
	return ts
}

func hashOf(s fmt.Stringer) uint32 {
	h := fnv.New32a()
	fmt.Fprint(h, s.String())
	return h.Sum32()
}

// fwdOp is the forward pass of Banded: inputs q, k, v (and the lengths),
// output the attention (batch, n, d), a fresh value of each run. It keeps
// the log-sum-exp of each row of its last run (lse) for gradOp, with the
// address of that run's output: gradOp uses them only with that output,
// the forward of its own run, and otherwise computes them again.
type fwdOp struct {
	form
	mu  sync.Mutex
	at  any // &out[0] of the last run, a *float32 or *float64
	lse any // []float32 or []float64, (batch·n)
}

func (op *fwdOp) String() string            { return "attention.Banded{" + op.form.String() + "}" }
func (op *fwdOp) Arity() int                { return op.arity() }
func (op *fwdOp) ReturnsPtr() bool          { return false }
func (op *fwdOp) CallsExtern() bool         { return callsExtern }
func (op *fwdOp) OverwritesInput() int      { return -1 }
func (op *fwdOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *fwdOp) Hashcode() uint32          { return hashOf(op) }
func (op *fwdOp) DiffWRT(inputs int) []bool { return []bool{true, true, true, false}[:inputs] }

func (op *fwdOp) Type() hm.Type {
	return hm.NewFnType(append(op.inTypes(), gorgonia.TensorType{Dims: 3, Of: op.dt})...)
}

func (op *fwdOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) { return op.shape(), nil }

func (op *fwdOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	in, lens, err := op.inputs(vals, op.arity())
	if err != nil {
		return nil, err
	}
	out := tensor.New(tensor.Of(op.dt), tensor.WithShape(op.shape()...))
	var at, lse any
	switch o := out.Data().(type) {
	case []float32:
		l := make([]float32, op.batch*op.n)
		forward(op.form, o, l, f32(in[0]), f32(in[1]), f32(in[2]), lens)
		at, lse = &o[0], l
	case []float64:
		l := make([]float64, op.batch*op.n)
		forward(op.form, o, l, f64(in[0]), f64(in[1]), f64(in[2]), lens)
		at, lse = &o[0], l
	}
	op.mu.Lock()
	op.at, op.lse = at, lse
	op.mu.Unlock()
	return out, nil
}

// lseFor returns the log-sum-exps of the run whose output is out, nil when
// they are not the last run's.
func (op *fwdOp) lseFor(out *tensor.Dense) any {
	op.mu.Lock()
	defer op.mu.Unlock()
	var at any
	switch o := out.Data().(type) {
	case []float32:
		at = &o[0]
	case []float64:
		at = &o[0]
	}
	if op.at == nil || op.at != at {
		return nil
	}
	return op.lse
}

func (op *fwdOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	const name = "Banded"
	args := append(append(gorgonia.Nodes{}, inputs...), output, grad)
	g, err := gorgonia.ApplyOp(&gradOp{fwd: op}, args...)
	if err != nil {
		return nil, wrap(name, err)
	}
	ds := make(gorgonia.Nodes, len(inputs))
	for i := range 3 {
		if ds[i], err = gorgonia.Slice(g, gorgonia.S(i)); err != nil {
			return nil, wrap(name, err)
		}
	}
	return ds, nil
}

// inputs checks q, k, v (materialized where they are views) and the
// lengths among an Op's first vals, of which there must be want; without
// a lengths input every length is n.
func (f form) inputs(vals []gorgonia.Value, want int) ([3]*tensor.Dense, []int, error) {
	const op = "Banded"
	var in [3]*tensor.Dense
	if len(vals) != want {
		return in, nil, errorf(ErrValue, op, "got %d inputs, want %d", len(vals), want)
	}
	for i, name := range []string{"q", "k", "v"} {
		d, err := f.dense(name, vals[i])
		if err != nil {
			return in, nil, err
		}
		in[i] = d
	}
	lens := make([]int, f.batch)
	if !f.lengths {
		for b := range lens {
			lens[b] = f.n
		}
		return in, lens, nil
	}
	l, ok := vals[3].(*tensor.Dense)
	if !ok || l.Dtype() != tensor.Int || !l.Shape().Eq(tensor.Shape{f.batch}) {
		return in, nil, errorf(ErrValue, op, "lengths are %v, want int of shape (%d)", describe(vals[3]), f.batch)
	}
	src := contiguous(l).Data().([]int)
	for b, x := range src {
		if x < 0 || x > f.n {
			return in, nil, errorf(ErrLength, op, "item %d has length %d, want 0 ≤ length ≤ n = %d", b, x, f.n)
		}
	}
	copy(lens, src)
	return in, lens, nil
}

// dense checks one value of dtype f.dt and shape (batch, n, d) and returns
// it contiguous.
func (f form) dense(name string, v gorgonia.Value) (*tensor.Dense, error) {
	d, ok := v.(*tensor.Dense)
	if !ok || d.Dtype() != f.dt || !d.Shape().Eq(f.shape()) {
		return nil, errorf(ErrValue, "Banded", "%s is %v, want %v of shape %v", name, describe(v), f.dt, f.shape())
	}
	return contiguous(d), nil
}

// contiguous is the module's one rule for reading a tensor as a row-major
// slice (a view, a pending transpose: see dense.Contiguous).
var contiguous = dense.Contiguous

func describe(v gorgonia.Value) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%v of shape %v", v.Dtype(), v.Shape())
}

func f32(t *tensor.Dense) []float32 { return t.Data().([]float32) }
func f64(t *tensor.Dense) []float64 { return t.Data().([]float64) }

// gradOp is the gradient of fwdOp: inputs q, k, v (the lengths), the
// forward's output and its gradient; output dq, dk and dv stacked, (3,
// batch, n, d), a fresh value of each run, which fwdOp.SymDiff slices. It
// recomputes each window's scores from q and k and the row's log-sum-exp
// (see backward).
type gradOp struct{ fwd *fwdOp }

func (op *gradOp) String() string            { return "attention.BandedGrad{" + op.fwd.form.String() + "}" }
func (op *gradOp) Arity() int                { return op.fwd.arity() + 2 }
func (op *gradOp) ReturnsPtr() bool          { return false }
func (op *gradOp) CallsExtern() bool         { return callsExtern }
func (op *gradOp) OverwritesInput() int      { return -1 }
func (op *gradOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *gradOp) Hashcode() uint32          { return hashOf(op) }
func (op *gradOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }

func (op *gradOp) Type() hm.Type {
	f := op.fwd.form
	t := gorgonia.TensorType{Dims: 3, Of: f.dt}
	return hm.NewFnType(append(f.inTypes(), t, t, gorgonia.TensorType{Dims: 4, Of: f.dt})...)
}

func (op *gradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	f := op.fwd.form
	return tensor.Shape{3, f.batch, f.n, f.d}, nil
}

func (op *gradOp) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, errorf(ErrGraph, "Banded", "the gradient of the gradient (a second derivative) is not implemented")
}

func (op *gradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	f := op.fwd.form
	ar := f.arity()
	if len(vals) != ar+2 {
		return nil, errorf(ErrValue, "Banded", "gradient: got %d inputs, want %d", len(vals), ar+2)
	}
	in, lens, err := f.inputs(vals[:ar], ar)
	if err != nil {
		return nil, err
	}
	out, err := f.dense("the output", vals[ar])
	if err != nil {
		return nil, err
	}
	dout, err := f.dense("the output's gradient", vals[ar+1])
	if err != nil {
		return nil, err
	}
	lse := op.fwd.lseFor(out)
	res := tensor.New(tensor.Of(f.dt), tensor.WithShape(3, f.batch, f.n, f.d))
	m := f.batch * f.n * f.d
	switch r := res.Data().(type) {
	case []float32:
		l, _ := lse.([]float32)
		if l == nil {
			l = make([]float32, f.batch*f.n)
			forward(f, nil, l, f32(in[0]), f32(in[1]), nil, lens)
		}
		backward(f, r[:m], r[m:2*m], r[2*m:], f32(in[0]), f32(in[1]), f32(in[2]), f32(dout), l, lens)
	case []float64:
		l, _ := lse.([]float64)
		if l == nil {
			l = make([]float64, f.batch*f.n)
			forward(f, nil, l, f64(in[0]), f64(in[1]), nil, lens)
		}
		backward(f, r[:m], r[m:2*m], r[2*m:], f64(in[0]), f64(in[1]), f64(in[2]), f64(dout), l, lens)
	}
	return res, nil
}
