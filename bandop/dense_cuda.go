//go:build cuda

package bandop

import (
	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// FromDense and ToDense are each other's backward Op (with fill 0), so
// these two Ops cover both directions.
var (
	_ gorgonia.CUDADoer = (*fromDenseOp)(nil)
	_ gorgonia.CUDADoer = (*toDenseOp)(nil)
)

// CUDADo runs FromDense on the GPU (kernel fromdense_fwd): input the dense
// (batch, n, n) matrices; the output is band storage of layout op.l.
func (op *fromDenseOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	l := cudaops.FromDenseForward(cudaDtype(op.l.dt), op.l.batch, op.l.n, op.l.lower, op.l.upper, op.l.fill)
	in := deviceArg{op.l.dt, tensor.Shape{op.l.batch, op.l.n, op.l.n}}
	return cudaDo("FromDense", extern, dev, prealloc, op.l.dt, op.l.shape(), l, []deviceArg{in}, inputs)
}

// CUDADo runs ToDense on the GPU (kernel todense_fwd): input band storage
// of layout op.l; the output is (batch, n, n) with op.l.fill outside the
// band.
func (op *toDenseOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	l := cudaops.ToDenseForward(cudaDtype(op.l.dt), op.l.batch, op.l.n, op.l.lower, op.l.upper, op.l.fill)
	out := tensor.Shape{op.l.batch, op.l.n, op.l.n}
	return cudaDo("ToDense", extern, dev, prealloc, op.l.dt, out, l, []deviceArg{bandArg(op.l)}, inputs)
}
