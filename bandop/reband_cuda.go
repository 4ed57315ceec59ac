//go:build cuda

package bandop

import (
	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
)

// shiftOp serves Reband, RowShift, ColShift and their gradients; one
// kernel, shift_fwd, does every shift.
var _ gorgonia.CUDADoer = (*shiftOp)(nil)

// CUDADo runs the shift op.s on the GPU (kernel shift_fwd): input band
// storage of layout op.s.in; the output has layout op.s.out.
func (op *shiftOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	s := op.s
	l := cudaops.ShiftForward(cudaDtype(s.in.dt), s.in.batch, s.in.n, s.in.lower, s.in.upper, s.out.lower, s.out.upper, s.dr, s.dc, s.out.fill)
	return cudaDo(op.name, extern, dev, prealloc, s.out.dt, s.out.shape(), l, []deviceArg{bandArg(s.in)}, inputs)
}
