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
// storage of layout op.s.in; the output has layout op.s.out. Reband, row
// and column shifts (forward, and backward as the opposite shift) take the
// launch constructor that their emulation tests use; any other shift the
// general one, which those three call.
func (op *shiftOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	s := op.s
	dt := cudaDtype(s.in.dt)
	var l cudaops.Launch
	switch {
	case s.dr == 0 && s.dc == 0:
		l = cudaops.RebandForward(dt, s.in.batch, s.in.n, s.in.lower, s.in.upper, s.out.lower, s.out.upper, s.out.fill)
	case s.dc == 0 && s.out.lower == s.in.lower-s.dr && s.out.upper == s.in.upper+s.dr:
		l = cudaops.RowShiftForward(dt, s.in.batch, s.in.n, s.in.lower, s.in.upper, s.dr, s.out.fill)
	case s.dr == 0 && s.out.lower == s.in.lower+s.dc && s.out.upper == s.in.upper-s.dc:
		l = cudaops.ColShiftForward(dt, s.in.batch, s.in.n, s.in.lower, s.in.upper, s.dc, s.out.fill)
	default:
		l = cudaops.ShiftForward(dt, s.in.batch, s.in.n, s.in.lower, s.in.upper, s.out.lower, s.out.upper, s.dr, s.dc, s.out.fill)
	}
	return cudaDo(op.name, extern, dev, prealloc, s.out.dt, s.out.shape(), l, []deviceArg{bandArg(s.in)}, inputs)
}
