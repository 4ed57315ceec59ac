package bandop

import (
	"encoding/binary"
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A GatherMap rearranges the elements of a tensor of shape In into a tensor
// of shape Out in one step: element x of the result (in row-major order) is
// element Index[x] of the input when Index[x] ≥ 0, and the constant
// Consts[−Index[x]−1] otherwise. An input element may be read any number of
// times (the gradient adds up every read) or never (its gradient is 0).
//
// It builds the band storage of a whole computation from a dense tensor at
// once, e.g. the per-step matrices of package align from alignment
// potentials, where hundreds of Gorgonia slices would cost more than the
// arithmetic.
//
// A map must not be changed once it has been used: its consistency is
// checked on first use only.
type GatherMap struct {
	In, Out tensor.Shape
	Index   []int32
	Consts  []float64

	checked bool // check passed once; the O(len(Index)) scan is not repeated
}

// check returns an error naming op when m is inconsistent.
func (m *GatherMap) check(op string) error {
	if m == nil {
		return kindErrorf(ErrNil, op, "nil map")
	}
	if m.checked {
		return nil
	}
	// The sizes are checked before TotalSize is trusted: a product of
	// shapes that overflows an int would pass for a small one.
	if err := checkSize(op, "the map's input", m.In...); err != nil {
		return err
	}
	if err := checkSize(op, "the map's output", m.Out...); err != nil {
		return err
	}
	if m.In.TotalSize() < 1 || m.Out.TotalSize() < 1 {
		return kindErrorf(ErrShape, op, "shapes %v → %v, want both non-empty", m.In, m.Out)
	}
	if len(m.Index) != m.Out.TotalSize() {
		return kindErrorf(ErrShape, op, "%d indices for output shape %v (%d elements)", len(m.Index), m.Out, m.Out.TotalSize())
	}
	in := m.In.TotalSize()
	for x, ix := range m.Index {
		if int(ix) >= in || (ix < 0 && int(-ix-1) >= len(m.Consts)) {
			return kindErrorf(ErrLength, op, "index %d of element %d is out of range (input has %d elements, %d constants)", ix, x, in, len(m.Consts))
		}
	}
	m.checked = true
	return nil
}

// digest is a short hash of the map, for the Ops' names and hashes.
func (m *GatherMap) digest() uint64 {
	h := fnv.New64a()
	var buf [8]byte
	for _, ix := range m.Index {
		binary.LittleEndian.PutUint32(buf[:4], uint32(ix))
		h.Write(buf[:4])
	}
	for _, c := range m.Consts {
		fmt.Fprint(h, c, ";")
	}
	return h.Sum64()
}

// Gather returns the rearrangement of x described by m, a new tensor of shape
// m.Out and x's dtype. x must have shape m.In.
func (m *GatherMap) Gather(x *tensor.Dense) (*tensor.Dense, error) {
	return m.gather("Gather", x)
}

// gather is Gather for op, the function or Op the caller called.
func (m *GatherMap) gather(op string, x *tensor.Dense) (*tensor.Dense, error) {
	if err := m.check(op); err != nil {
		return nil, err
	}
	if x == nil {
		return nil, kindErrorf(ErrNil, op, "nil input")
	}
	if err := checkDtype(op, "input", x.Dtype()); err != nil {
		return nil, err
	}
	if !x.Shape().Eq(m.In) {
		return nil, kindErrorf(ErrShape, op, "input has shape %v, want %v", x.Shape(), m.In)
	}
	x = contiguous(x)
	out := newDense(x.Dtype(), m.Out, 0)
	switch x.Dtype() {
	case tensor.Float32:
		gatherKernel(out.Data().([]float32), x.Data().([]float32), m.Index, m.Consts)
	default:
		gatherKernel(out.Data().([]float64), x.Data().([]float64), m.Index, m.Consts)
	}
	return out, nil
}

// Scatter returns the adjoint of Gather applied to g (shape m.Out): a tensor
// of shape m.In whose element i is the sum of g over the elements that read
// input element i. This is the gradient of Gather.
func (m *GatherMap) Scatter(g *tensor.Dense) (*tensor.Dense, error) {
	return m.scatter("Scatter", g)
}

// scatter is Scatter for op, the function or Op the caller called.
func (m *GatherMap) scatter(op string, g *tensor.Dense) (*tensor.Dense, error) {
	if err := m.check(op); err != nil {
		return nil, err
	}
	if g == nil {
		return nil, kindErrorf(ErrNil, op, "nil gradient")
	}
	if err := checkDtype(op, "gradient", g.Dtype()); err != nil {
		return nil, err
	}
	if !g.Shape().Eq(m.Out) {
		return nil, kindErrorf(ErrShape, op, "gradient has shape %v, want %v", g.Shape(), m.Out)
	}
	g = contiguous(g)
	out := newDense(g.Dtype(), m.In, 0)
	switch g.Dtype() {
	case tensor.Float32:
		scatterKernel(out.Data().([]float32), g.Data().([]float32), m.Index)
	default:
		scatterKernel(out.Data().([]float64), g.Data().([]float64), m.Index)
	}
	return out, nil
}

func gatherKernel[T float](out, in []T, index []int32, consts []float64) {
	c := make([]T, len(consts))
	for i, v := range consts {
		c[i] = T(v)
	}
	for x, ix := range index {
		if ix >= 0 {
			out[x] = in[ix]
		} else {
			out[x] = c[-ix-1]
		}
	}
}

// scatterKernel adds g into out; out must hold zeros. Constants get nothing.
func scatterKernel[T float](out, g []T, index []int32) {
	for x, ix := range index {
		if ix >= 0 {
			out[ix] += g[x]
		}
	}
}

// Gather adds the rearrangement of x described by m to the graph (see
// GatherMap.Gather). Its gradient with respect to x is defined. m must not be
// changed afterwards.
func Gather(x *gorgonia.Node, m *GatherMap) (*gorgonia.Node, error) {
	const op = "Gather"
	if err := m.check(op); err != nil {
		return nil, err
	}
	if x == nil {
		return nil, kindErrorf(ErrNil, op, "nil input")
	}
	if err := checkDtype(op, "input "+x.Name(), x.Dtype()); err != nil {
		return nil, err
	}
	if !x.Shape().Eq(m.In) {
		return nil, kindErrorf(ErrShape, op, "input %s has shape %v, want %v", x.Name(), x.Shape(), m.In)
	}
	out, err := gorgonia.ApplyOp(&gatherOp{m: m, dt: x.Dtype(), digest: m.digest()}, x)
	if err != nil {
		return nil, wrapGraph(op, err)
	}
	return out, nil
}

// gatherOp is the Gorgonia Op of Gather; with adjoint set it is the Op of its
// gradient, Scatter, instead.
type gatherOp struct {
	opBase
	m       *GatherMap
	dt      tensor.Dtype
	digest  uint64
	adjoint bool
}

func (op *gatherOp) name() string {
	if op.adjoint {
		return "GatherGrad"
	}
	return "Gather"
}

func (op *gatherOp) String() string {
	return fmt.Sprintf("bandop.%s{%v → %v, %d consts, map %016x, %v}", op.name(), op.m.In, op.m.Out, len(op.m.Consts), op.digest, op.dt)
}
func (op *gatherOp) Arity() int                { return 1 }
func (op *gatherOp) Type() hm.Type             { return fnType(op.dt, op.inShape().Dims(), op.outShape().Dims()) }
func (op *gatherOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *gatherOp) Hashcode() uint32          { return hashcode(op) }
func (op *gatherOp) DiffWRT(inputs int) []bool { return []bool{true} }

func (op *gatherOp) inShape() tensor.Shape {
	if op.adjoint {
		return op.m.Out
	}
	return op.m.In
}

func (op *gatherOp) outShape() tensor.Shape {
	if op.adjoint {
		return op.m.In
	}
	return op.m.Out
}

func (op *gatherOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.outShape().Clone(), nil
}

func (op *gatherOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op.name(), vals, 1); err != nil {
		return nil, err
	}
	x, err := input(op.name(), vals, 0, op.dt, op.inShape())
	if err != nil {
		return nil, err
	}
	if op.adjoint {
		return op.m.scatter(op.name(), x)
	}
	return op.m.gather(op.name(), x)
}

// SymDiff: Gather and Scatter are linear and each other's adjoint, except
// that the adjoint of a constant read is nothing: the gradient of Scatter is
// a Gather whose constants are 0.
func (op *gatherOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 1 {
		return nil, kindErrorf(ErrShape, op.name(), "SymDiff got %d inputs, want 1", len(inputs))
	}
	m := op.m
	if op.adjoint {
		m = &GatherMap{In: op.m.In, Out: op.m.Out, Index: op.m.Index, Consts: make([]float64, len(op.m.Consts))}
	}
	g, err := gorgonia.ApplyOp(&gatherOp{m: m, dt: op.dt, digest: m.digest(), adjoint: !op.adjoint}, grad)
	if err != nil {
		return nil, wrapGraph(op.name(), err)
	}
	return gorgonia.Nodes{g}, nil
}
