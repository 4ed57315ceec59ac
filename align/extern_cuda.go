//go:build cuda

package align

import (
	"unsafe"

	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/internal/cudado"
	"gorgonia.org/cu"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// callsExtern is true under the cuda build tag: the Ops of the Linear
// strategy are gorgonia.CUDADoers (cells_cuda.go, end_cuda.go), so
// Gorgonia places them on device 0 and preallocates their outputs there;
// an alignment's forward and backward then run on the GPU from θ and the
// lengths to log Z and the marginals, with no copy between the Ops.
const callsExtern = true

// The kernels read the lengths, a (batch, 2) tensor.Int, as int64: Go's int
// is 8 bytes on every platform CUDA runs on (amd64, arm64, ppc64le). This
// fails to compile where it is not.
var _ [unsafe.Sizeof(int(0)) - 8]struct{}

// cudaDo launches l through cudado.Do, the launch path of every genband Op
// (bandop's included), with its errors naming op; extra is device memory
// of the Op's own, passed after the inputs.
func cudaDo(op string, extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, dt tensor.Dtype, out tensor.Shape, l cudaops.Launch, want []cudado.Arg, inputs []gorgonia.Value, extra ...cu.DevicePtr) (gorgonia.Value, error) {
	v, err := cudado.Do(extern, dev, prealloc, dt, out, l, want, inputs, extra...)
	if err != nil {
		return nil, wrapAs(op, err, ErrDevice)
	}
	return v, nil
}

// cudaDtype is the cudaops dtype of dt (the zero Dtype, which names no
// kernel, for any other).
func cudaDtype(dt tensor.Dtype) cudaops.Dtype {
	switch dt {
	case tensor.Float32:
		return cudaops.Float32
	case tensor.Float64:
		return cudaops.Float64
	}
	return 0
}

// lengthsArg is the lengths input: (batch, 2) of tensor.Int.
func (g *grid) lengthsArg() cudado.Arg {
	return cudado.Arg{Dtype: tensor.Int, Shape: tensor.Shape{g.batch, 2}}
}
