// Package gradtest checks the gradients that gorgonia.Grad builds from the
// Ops of package bandop against central finite differences in float64.
//
// The package holds the checker's parts; its tests hold the checks. A check
// needs three things: a scalar cost of an op's output that sees every
// in-band entry and none of the padding or fill (WeightedSum with BandSlots
// or DenseMask), the central-difference estimate of that cost's gradient
// (CentralDiff), and a comparison (Compare).
package gradtest

import (
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CentralDiff returns the central-difference estimate of the gradient of f
// at x: (f(x+h·eᵢ) − f(x−h·eᵢ)) / 2h for every i with perturb[i] (every i
// when perturb is nil), and 0 for the others. f may read x but must not keep
// it; x holds its original values again when CentralDiff returns.
func CentralDiff(f func(x []float64) (float64, error), x []float64, perturb []bool, h float64) ([]float64, error) {
	if perturb != nil && len(perturb) != len(x) {
		return nil, fmt.Errorf("gradtest: %d perturb flags for %d values", len(perturb), len(x))
	}
	if !(h > 0) {
		return nil, fmt.Errorf("gradtest: step %v, want > 0", h)
	}
	g := make([]float64, len(x))
	for i, xi := range x {
		if perturb != nil && !perturb[i] {
			continue
		}
		x[i] = xi + h
		up, err := f(x)
		if err != nil {
			x[i] = xi
			return nil, err
		}
		x[i] = xi - h
		down, err := f(x)
		x[i] = xi
		if err != nil {
			return nil, err
		}
		// The step actually taken is (xi+h) − (xi−h) after rounding.
		g[i] = (up - down) / ((xi + h) - (xi - h))
	}
	return g, nil
}

// RelErr returns |got − want| / max(1, |got|, |want|): a relative error for
// large values that turns into an absolute one near 0, where gradients that
// should vanish make a pure relative error meaningless.
func RelErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	d := math.Abs(got - want)
	if math.IsNaN(d) {
		return math.Inf(1)
	}
	return d / math.Max(1, math.Max(math.Abs(got), math.Abs(want)))
}

// Compare returns the index of the element of got with the largest RelErr
// against want, and that error; an error of +Inf means a NaN or a length
// mismatch (index −1 for the latter).
func Compare(got, want []float64) (worst int, err float64) {
	if len(got) != len(want) {
		return -1, math.Inf(1)
	}
	worst = -1
	for i := range got {
		if e := RelErr(got[i], want[i]); e > err || worst < 0 {
			worst, err = i, e
		}
	}
	return worst, err
}

// BandSlots reports, for each slot of band storage of shape
// (batch, n, lower+upper+1), whether it holds an entry of the matrix (its
// column i+k−lower lies in [0, n)) rather than padding.
func BandSlots(batch, n, lower, upper int) []bool {
	w := lower + upper + 1
	if batch < 1 || n < 1 || w < 1 {
		return nil
	}
	keep := make([]bool, batch*n*w)
	for r := 0; r < batch*n; r++ {
		i := r % n
		for k := 0; k < w; k++ {
			j := i + k - lower
			keep[r*w+k] = j >= 0 && j < n
		}
	}
	return keep
}

// DenseMask reports, for each entry of a batch of dense n×n matrices, whether
// it lies in the band (lower, upper): j−i in [−lower, upper].
func DenseMask(batch, n, lower, upper int) []bool {
	keep := make([]bool, batch*n*n)
	for r := 0; r < batch*n; r++ {
		i := r % n
		for j := 0; j < n; j++ {
			keep[r*n+j] = j-i >= -lower && j-i <= upper
		}
	}
	return keep
}

// WeightedSum adds to x's graph the scalar Σ w[i]·x[i] over the elements i
// of x (in row-major order) with keep[i] (every element when keep is nil)
// whose value is finite. Its gradient is w[i] on those elements and exactly
// 0 on the others, so it turns a banded output into a cost that never reads
// padding, and skipping non-finite values keeps a −Inf fill or an empty
// logsumexp out of the cost (it stays −Inf under small perturbations, so
// the finite difference agrees).
func WeightedSum(x *gorgonia.Node, w []float64, keep []bool) (*gorgonia.Node, error) {
	if x == nil {
		return nil, fmt.Errorf("gradtest: WeightedSum of a nil node")
	}
	dt := x.Dtype()
	if dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, fmt.Errorf("gradtest: WeightedSum of dtype %v, want float64 or float32", dt)
	}
	size := x.Shape().TotalSize()
	if len(w) != size || (keep != nil && len(keep) != size) {
		return nil, fmt.Errorf("gradtest: WeightedSum of %d elements with %d weights and %d keep flags", size, len(w), len(keep))
	}
	op := &weightedSumOp{w: w, keep: keep, shape: x.Shape().Clone(), dt: dt}
	return gorgonia.ApplyOp(op, x)
}

// weightedSumOp is the forward Op of WeightedSum.
type weightedSumOp struct {
	w     []float64
	keep  []bool
	shape tensor.Shape
	dt    tensor.Dtype
}

// digest identifies the weights and mask in String, so that two costs with
// different weights are never merged by Gorgonia's hashing.
func (op *weightedSumOp) digest() uint64 {
	h := fnv.New64a()
	var b [8]byte
	for i, v := range op.w {
		u := math.Float64bits(v)
		if op.keep != nil && !op.keep[i] {
			u = ^u
		}
		for k := range b {
			b[k] = byte(u >> (8 * k))
		}
		h.Write(b[:])
	}
	return h.Sum64()
}

func (op *weightedSumOp) String() string {
	return fmt.Sprintf("gradtest.WeightedSum{%v, %v, %x}", op.shape, op.dt, op.digest())
}
func (op *weightedSumOp) Arity() int { return 1 }
func (op *weightedSumOp) Type() hm.Type {
	return hm.NewFnType(gorgonia.TensorType{Dims: op.shape.Dims(), Of: op.dt}, op.dt)
}
func (op *weightedSumOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}
func (op *weightedSumOp) ReturnsPtr() bool          { return false }
func (op *weightedSumOp) CallsExtern() bool         { return false }
func (op *weightedSumOp) OverwritesInput() int      { return -1 }
func (op *weightedSumOp) WriteHash(h hash.Hash)     { io.WriteString(h, op.String()) }
func (op *weightedSumOp) Hashcode() uint32          { return hashOf(op) }
func (op *weightedSumOp) DiffWRT(inputs int) []bool { return []bool{true} }

func (op *weightedSumOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	if len(vals) != 1 {
		return nil, fmt.Errorf("gradtest: WeightedSum got %d inputs, want 1", len(vals))
	}
	x, err := floats(vals[0], op.dt, op.shape)
	if err != nil {
		return nil, err
	}
	var s float64
	for i, v := range x {
		if op.counts(i, v) {
			s += op.w[i] * v
		}
	}
	if op.dt == tensor.Float32 {
		return gorgonia.NewF32(float32(s)), nil
	}
	return gorgonia.NewF64(s), nil
}

func (op *weightedSumOp) counts(i int, v float64) bool {
	return (op.keep == nil || op.keep[i]) && !math.IsInf(v, 0) && !math.IsNaN(v)
}

func (op *weightedSumOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	g, err := gorgonia.ApplyOp(&weightedSumGradOp{op}, inputs[0], grad)
	return gorgonia.Nodes{g}, err
}

// weightedSumGradOp maps (x, dcost) to the gradient of WeightedSum: w[i]·dcost
// on the elements that count, 0 elsewhere.
type weightedSumGradOp struct{ f *weightedSumOp }

func (op *weightedSumGradOp) String() string {
	return fmt.Sprintf("gradtest.WeightedSumGrad{%v, %v, %x}", op.f.shape, op.f.dt, op.f.digest())
}
func (op *weightedSumGradOp) Arity() int { return 2 }
func (op *weightedSumGradOp) Type() hm.Type {
	d := op.f.shape.Dims()
	return hm.NewFnType(gorgonia.TensorType{Dims: d, Of: op.f.dt}, op.f.dt, gorgonia.TensorType{Dims: d, Of: op.f.dt})
}
func (op *weightedSumGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.f.shape.Clone(), nil
}
func (op *weightedSumGradOp) ReturnsPtr() bool      { return false }
func (op *weightedSumGradOp) CallsExtern() bool     { return false }
func (op *weightedSumGradOp) OverwritesInput() int  { return -1 }
func (op *weightedSumGradOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op *weightedSumGradOp) Hashcode() uint32      { return hashOf(op) }

func (op *weightedSumGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	if len(vals) != 2 {
		return nil, fmt.Errorf("gradtest: WeightedSumGrad got %d inputs, want 2", len(vals))
	}
	x, err := floats(vals[0], op.f.dt, op.f.shape)
	if err != nil {
		return nil, err
	}
	var d float64
	switch v := vals[1].Data().(type) {
	case float64:
		d = v
	case float32:
		d = float64(v)
	case []float64:
		if len(v) != 1 {
			return nil, fmt.Errorf("gradtest: WeightedSumGrad got a gradient of %d elements, want 1", len(v))
		}
		d = v[0]
	case []float32:
		if len(v) != 1 {
			return nil, fmt.Errorf("gradtest: WeightedSumGrad got a gradient of %d elements, want 1", len(v))
		}
		d = float64(v[0])
	default:
		return nil, fmt.Errorf("gradtest: WeightedSumGrad got a gradient of type %T", v)
	}
	g := make([]float64, len(x))
	for i, v := range x {
		if op.f.counts(i, v) {
			g[i] = op.f.w[i] * d
		}
	}
	if op.f.dt == tensor.Float32 {
		g32 := make([]float32, len(g))
		for i, v := range g {
			g32[i] = float32(v)
		}
		return tensor.New(tensor.WithShape(op.f.shape.Clone()...), tensor.WithBacking(g32)), nil
	}
	return tensor.New(tensor.WithShape(op.f.shape.Clone()...), tensor.WithBacking(g)), nil
}

func hashOf(op fmt.Stringer) uint32 {
	h := fnv.New32a()
	io.WriteString(h, op.String())
	return h.Sum32()
}

// floats returns the elements of v, a tensor of dtype dt and the given
// shape, as float64s in row-major order.
func floats(v gorgonia.Value, dt tensor.Dtype, shape tensor.Shape) ([]float64, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("gradtest: got a %T, want a *tensor.Dense", v)
	}
	if d.Dtype() != dt || !d.Shape().Eq(shape) {
		return nil, fmt.Errorf("gradtest: got %v %v, want %v %v", d.Dtype(), d.Shape(), dt, shape)
	}
	return Float64s(d)
}

// Float64s returns the elements of t, of dtype Float64 or Float32, as a new
// []float64 in row-major order, materializing views.
func Float64s(t *tensor.Dense) ([]float64, error) {
	if t.IsView() {
		t = t.Materialize().(*tensor.Dense)
	}
	switch d := t.Data().(type) {
	case []float64:
		return append([]float64(nil), d...), nil
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out, nil
	case float64:
		return []float64{d}, nil
	case float32:
		return []float64{float64(d)}, nil
	}
	return nil, fmt.Errorf("gradtest: tensor of dtype %v, want float64 or float32", t.Dtype())
}
