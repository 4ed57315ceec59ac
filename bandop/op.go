package bandop

import (
	"fmt"
	"hash"
	"hash/fnv"
	"io"

	"github.com/chewxy/hm"
	"github.com/genband/genband/internal/parallel"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// opBase holds what every Op of this package answers the same way. Each Op
// names itself, with all of its parameters, in String; WriteHash hashes that
// name, so two nodes are merged by Gorgonia only when every parameter agrees.
type opBase struct{}

func (opBase) ReturnsPtr() bool     { return false }
func (opBase) OverwritesInput() int { return -1 }
func (opBase) CallsExtern() bool    { return callsExtern }

// writeHash and hashcode serve every Op: the hash of its String.
func writeHash(h hash.Hash, op fmt.Stringer) { io.WriteString(h, op.String()) }

func hashcode(op fmt.Stringer) uint32 {
	h := fnv.New32a()
	writeHash(h, op)
	return h.Sum32()
}

// tensorType returns a fresh hm type for a tensor of the given rank: Gorgonia
// mutates types during inference, so no Op may hand out a shared one.
func tensorType(dt tensor.Dtype, dims int) hm.Type {
	return gorgonia.TensorType{Dims: dims, Of: dt}
}

// fnType returns a fresh function type from the ranks of the inputs to the
// rank of the output, all of dtype dt.
func fnType(dt tensor.Dtype, ranks ...int) hm.Type {
	ts := make([]hm.Type, len(ranks))
	for i, r := range ranks {
		ts[i] = tensorType(dt, r)
	}
	return hm.NewFnType(ts...)
}

// input returns argument i of an Op's Do as a contiguous *tensor.Dense of the
// expected dtype and shape, or an error naming the Op and the argument.
func input(op string, vals []gorgonia.Value, i int, dt tensor.Dtype, want tensor.Shape) (*tensor.Dense, error) {
	if i >= len(vals) {
		return nil, kindErrorf(ErrShape, op, "got %d inputs, want at least %d", len(vals), i+1)
	}
	d, ok := vals[i].(*tensor.Dense)
	if !ok {
		return nil, kindErrorf(ErrValue, op, "input %d is a %T, want a *tensor.Dense", i, vals[i])
	}
	if d.Dtype() != dt {
		return nil, kindErrorf(ErrDtype, op, "input %d has dtype %v, want %v", i, d.Dtype(), dt)
	}
	if !d.Shape().Eq(want) {
		return nil, kindErrorf(ErrShape, op, "input %d has shape %v, want %v", i, d.Shape(), want)
	}
	return contiguous(d), nil
}

func checkArity(op string, vals []gorgonia.Value, n int) error {
	if len(vals) != n {
		return kindErrorf(ErrShape, op, "got %d inputs, want %d", len(vals), n)
	}
	return nil
}

// newDense returns a contiguous tensor of the given dtype and shape with
// every element set to fill. It is the one allocation of the package
// (newBanded wraps it): the caller has checked the size (checkSize).
func newDense(dt tensor.Dtype, shape tensor.Shape, fill float64) *tensor.Dense {
	size := shape.TotalSize()
	if dt == tensor.Float32 {
		s := make([]float32, size)
		if fill != 0 {
			for i := range s {
				s[i] = float32(fill)
			}
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(s))
	}
	s := make([]float64, size)
	if fill != 0 {
		for i := range s {
			s[i] = fill
		}
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(s))
}

// minParallelWork is parallel.MinWork, the inner terms below which a
// kernel runs on the calling goroutine: kernels compare with it to skip
// building their closure.
const minParallelWork = parallel.MinWork

// parallelFor is parallel.For: f on disjoint ranges [lo, hi) covering [0,
// n), on up to GOMAXPROCS goroutines when the work (in inner terms) pays
// for them.
func parallelFor(n, work int, f func(lo, hi int)) { parallel.For(n, work, f) }
