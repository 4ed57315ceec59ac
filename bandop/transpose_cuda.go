//go:build cuda

package bandop

import (
	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
)

// transposeOp is its own backward Op (on a layout with fill 0).
var _ gorgonia.CUDADoer = (*transposeOp)(nil)

// CUDADo runs Transpose on the GPU (kernel transpose_fwd): input band
// storage of layout op.in; the output has the band swapped and op.in's
// fill.
func (op *transposeOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	out := transposed(op.in, op.in.fill)
	l := cudaops.TransposeForward(cudaDtype(op.in.dt), op.in.batch, op.in.n, op.in.lower, op.in.upper, op.in.fill)
	return cudaDo("Transpose", extern, dev, prealloc, out.dt, out.shape(), l, []deviceArg{bandArg(op.in)}, inputs)
}
