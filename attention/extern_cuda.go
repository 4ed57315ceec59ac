//go:build cuda

package attention

import (
	"unsafe"

	"github.com/genband/genband/internal/errkind"

	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/internal/cudado"
	"gorgonia.org/cu"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// callsExtern is true under the cuda build tag: the Ops are
// gorgonia.CUDADoers, so Gorgonia places them on device 0 and the forward
// and backward run on the GPU (kernels attention_fwd, attention_bwd_rows
// and attention_bwd_keys), with no copy between the Ops. The GPU path
// keeps no statistics from the forward: the backward's first launch
// computes them again.
const callsExtern = true

// The kernels read the lengths, tensor.Int, as int64.
var _ [unsafe.Sizeof(int(0)) - 8]struct{}

var (
	_ gorgonia.CUDADoer = (*fwdOp)(nil)
	_ gorgonia.CUDADoer = (*gradOp)(nil)
)

// CUDADo runs the forward on the GPU: inputs q, k, v (and the lengths);
// lengths out of [0, n] are clamped there rather than refused.
func (op *fwdOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	f := op.form
	if len(inputs) != f.arity() {
		return nil, errorf(ErrValue, "Banded", "got %d inputs, want %d", len(inputs), f.arity())
	}
	l := cudaops.AttentionForward(cudaDtype(f.dt), f.batch, f.n, f.d, f.lower, f.upper, f.scale, f.lengths)
	return cudaDo(extern, dev, prealloc, f.dt, f.shape(), l, f.deviceArgs(3), inputs[:3], f.lengthsPtr(inputs))
}

// CUDADo runs the gradient on the GPU, in two launches on one output:
// attention_bwd_rows writes dq and each row's log-sum-exp and D into
// scratch device memory taken from the machine for the call, then
// attention_bwd_keys writes dk and dv. Inputs q, k, v, (the lengths,) the
// forward's output (not read) and its gradient.
func (op *gradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "Banded"
	f := op.fwd.form
	ar := f.arity()
	if len(inputs) != ar+2 {
		return nil, errorf(ErrValue, name, "gradient: got %d inputs, want %d", len(inputs), ar+2)
	}
	machine, ok := extern.(gorgonia.CUDAMachine)
	if !ok {
		return nil, errorf(ErrDevice, name, "CUDADo needs a gorgonia.CUDAMachine, got %T", extern)
	}
	size := int64(cudaops.AttentionStatsElements(f.batch, f.n)) * int64(f.dt.Size())
	stats, err := machine.Get(dev, size)
	if err != nil {
		return nil, errorf(ErrDevice, name, "allocating %d bytes of scratch for the gradient on %v: %w", size, dev, err)
	}
	// cudaDo waits for each kernel, so the scratch is free to go back.
	defer machine.Put(dev, stats, size)
	in := []gorgonia.Value{inputs[0], inputs[1], inputs[2], inputs[ar+1]}
	out := tensor.Shape{3, f.batch, f.n, f.d}
	extra := []cu.DevicePtr{f.lengthsPtr(inputs), cu.DevicePtr(stats.Uintptr())}
	dt := cudaDtype(f.dt)
	res, err := cudaDo(extern, dev, prealloc, f.dt, out, cudaops.AttentionBackwardRows(dt, f.batch, f.n, f.d, f.lower, f.upper, f.scale, f.lengths), f.deviceArgs(4), in, extra...)
	if err != nil {
		return nil, err
	}
	return cudaDo(extern, dev, res, f.dt, out, cudaops.AttentionBackwardKeys(dt, f.batch, f.n, f.d, f.lower, f.upper, f.scale, f.lengths), f.deviceArgs(4), in, extra...)
}

// deviceArgs are count inputs of dtype f.dt and shape (batch, n, d).
func (f form) deviceArgs(count int) []cudado.Arg {
	args := make([]cudado.Arg, count)
	for i := range args {
		args[i] = cudado.Arg{Dtype: f.dt, Shape: f.shape()}
	}
	return args
}

// lengthsPtr is the device pointer of the lengths input (the fourth), null
// without lengths (the kernels then do not read it).
func (f form) lengthsPtr(inputs []gorgonia.Value) cu.DevicePtr {
	if !f.lengths || len(inputs) < 4 || inputs[3] == nil {
		return 0
	}
	return cu.DevicePtr(inputs[3].Uintptr())
}

// cudaDo launches l through cudado.Do, the launch path of every genband
// Op, its errors of kind ErrDevice naming Banded.
func cudaDo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, dt tensor.Dtype, out tensor.Shape, l cudaops.Launch, want []cudado.Arg, inputs []gorgonia.Value, extra ...cu.DevicePtr) (gorgonia.Value, error) {
	v, err := cudado.Do(extern, dev, prealloc, dt, out, l, want, inputs, extra...)
	if err != nil {
		return nil, errkind.Wrap(pkgName, "Banded", err, ErrDevice)
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
