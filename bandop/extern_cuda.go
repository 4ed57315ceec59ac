//go:build cuda

package bandop

import (
	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/internal/cudado"
	"gorgonia.org/cu"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// callsExtern is true under the cuda build tag: every Op is a
// gorgonia.CUDADoer, so Gorgonia places it on device 0 and preallocates its
// output there.
const callsExtern = true

// deviceArg is what CUDADo knows of an input: its dtype and shape (device
// memory cannot be read here, so values are never checked).
type deviceArg struct {
	dt    tensor.Dtype
	shape tensor.Shape
}

// cudaDo is the body of every CUDADo: cudado.Do (the launch path package
// align's Ops share; importing it registers the PTX module with Gorgonia),
// with its errors naming op, of kind ErrDevice, the cause wrapped.
func cudaDo(op string, extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, dt tensor.Dtype, out tensor.Shape, l cudaops.Launch, want []deviceArg, inputs []gorgonia.Value, extra ...cu.DevicePtr) (gorgonia.Value, error) {
	args := make([]cudado.Arg, len(want))
	for i, w := range want {
		args[i] = cudado.Arg{Dtype: w.dt, Shape: w.shape}
	}
	v, err := cudado.Do(extern, dev, prealloc, dt, out, l, args, inputs, extra...)
	if err != nil {
		return nil, kindErrorf(ErrDevice, op, "%w", err)
	}
	return v, nil
}

// bandArg is the deviceArg of a banded operand of layout l.
func bandArg(l layout) deviceArg { return deviceArg{l.dt, l.shape()} }

// cudaDtype is the cudaops dtype of dt; an unknown dtype gives cudaops'
// zero Dtype, whose kernel names match no kernel, so cudaDo reports it.
func cudaDtype(dt tensor.Dtype) cudaops.Dtype {
	switch dt {
	case tensor.Float32:
		return cudaops.Float32
	case tensor.Float64:
		return cudaops.Float64
	}
	return 0
}

// cudaSemiring is s as the kernels take it (the same values).
func cudaSemiring(s Semiring) cudaops.Semiring { return cudaops.Semiring(s) }
