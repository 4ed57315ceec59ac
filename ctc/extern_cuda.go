//go:build cuda

package ctc

import (
	"runtime"
	"unsafe"

	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/internal/cudado"
	"github.com/genband/genband/internal/errkind"
	"gorgonia.org/cu"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// callsExtern is true under the cuda build tag: the step matrices are
// gathered (kernel ctc_steps) and their gradient scattered (ctc_steps_bwd)
// on the GPU, beside the scan's own kernels, so that the frames never
// leave the device; each item's log p is taken out of the last state
// (ctc_final) and the states' gradient made of theirs (ctc_final_bwd) there
// too, so that of the states only batch values reach the host, where
// lossOp sums them. The alignment's Ops still read the states on the CPU.
const callsExtern = true

// The table reads tensor.Int values as int64 on the host.
var _ [unsafe.Sizeof(int(0)) - 8]struct{}

// finalGradOp embeds finalOp, so without its own CUDADo it would run the
// forward kernel.
var (
	_ gorgonia.CUDADoer = (*stepsOp)(nil)
	_ gorgonia.CUDADoer = (*stepsGradOp)(nil)
	_ gorgonia.CUDADoer = (*finalOp)(nil)
	_ gorgonia.CUDADoer = (*finalGradOp)(nil)
)

// CUDADo takes each item's log p out of the last state on the GPU (kernel
// ctc_final): inputs the states and targetLengths, both read on the
// device. The host has checked the target lengths in this run already
// (stepsOp's CUDADo, which the states need), so a negative one does not
// reach here; the kernel reads one as an item that does not fit.
func (op *finalOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "Loss"
	l := cudaops.CTCFinalForward(op.t, op.batch, op.states(), op.lmax)
	want := []cudado.Arg{{Dtype: tensor.Float64, Shape: op.statesShape()}, {Dtype: tensor.Int, Shape: tensor.Shape{op.batch}}}
	v, err := cudado.Do(extern, dev, prealloc, tensor.Float64, tensor.Shape{op.batch}, l, want, inputs)
	if err != nil {
		return nil, errkind.Wrap(pkgName, name, err, errkind.Device)
	}
	return v, nil
}

// CUDADo writes the states' gradient on the GPU (kernel ctc_final_bwd,
// every element): inputs the states, targetLengths and the gradient of
// each item's log p, all read on the device.
func (op *finalGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "LossGrad"
	l := cudaops.CTCFinalBackward(op.t, op.batch, op.states(), op.lmax)
	want := []cudado.Arg{{Dtype: tensor.Float64, Shape: op.statesShape()}, {Dtype: tensor.Int, Shape: tensor.Shape{op.batch}}, {Dtype: tensor.Float64, Shape: tensor.Shape{op.batch}}}
	v, err := cudado.Do(extern, dev, prealloc, tensor.Float64, op.statesShape(), l, want, inputs)
	if err != nil {
		return nil, errkind.Wrap(pkgName, name, err, errkind.Device)
	}
	return v, nil
}

// CUDADo gathers the step matrices on the GPU: inputs logProbs, targets,
// inputLengths and targetLengths. The three Int inputs, a few kilobytes,
// are copied to the host and checked there as Do checks them (the same
// errors), and the kernel reads the table made of them (cudaops.CTCTable).
func (op *stepsOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.name
	if len(inputs) != 4 {
		return nil, errorf(ErrValue, name, "got %d inputs, want 4", len(inputs))
	}
	l := cudaops.CTCStepsForward(cudaDtype(op.dt), op.t, op.batch, op.cls, op.states())
	return op.form.cudaDo(name, extern, dev, prealloc, op.stepShape(), l, inputs[0], op.lpShape(), inputs[1:])
}

// CUDADo scatters the steps' gradient into the gradient of logProbs on the
// GPU: inputs targets, inputLengths, targetLengths and the steps'
// gradient.
func (op *stepsGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.name
	if len(inputs) != 4 {
		return nil, errorf(ErrValue, name, "got %d inputs, want 4", len(inputs))
	}
	l := cudaops.CTCStepsBackward(cudaDtype(op.dt), op.t, op.batch, op.cls, op.states())
	return op.form.cudaDo(name, extern, dev, prealloc, op.lpShape(), l, inputs[3], op.stepShape(), inputs[:3])
}

// cudaDo copies the Int inputs ints (targets, inputLengths, targetLengths)
// to the host, checks them, copies their table to the device and launches
// l on the float input x of shape xs, writing an output of shape out.
func (f form) cudaDo(name string, extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, out tensor.Shape, l cudaops.Launch, x gorgonia.Value, xs tensor.Shape, ints []gorgonia.Value) (gorgonia.Value, error) {
	machine, ok := extern.(gorgonia.CUDAMachine)
	if !ok {
		return nil, errorf(ErrValue, name, "CUDADo needs a gorgonia.CUDAMachine, got %T", extern)
	}
	d := int(dev)
	if d < 0 || d >= len(machine.Contexts()) {
		return nil, errorf(ErrValue, name, "no CUDA context for device %v", dev)
	}
	ctx := machine.Contexts()[d]
	shapes := []tensor.Shape{f.targets, {f.batch}, {f.batch}}
	host := make([]gorgonia.Value, 3)
	for i, v := range ints {
		if v == nil || v.Dtype() != tensor.Int || !v.Shape().Eq(shapes[i]) {
			return nil, errorf(ErrValue, name, "%s are %s, want Int of shape %v", argNames[i+1], describe(v), shapes[i])
		}
		h := tensor.New(tensor.Of(tensor.Int), tensor.WithShape(shapes[i]...))
		ctx.MemcpyDtoH(unsafe.Pointer(&h.Data().([]int)[0]), cu.DevicePtr(v.Uintptr()), int64(shapes[i].TotalSize())*8)
		host[i] = h
	}
	ctx.Synchronize()
	extern.Signal()
	if err := ctx.Errors(); err != nil {
		return nil, errorf(errkind.Device, name, "copying the targets and lengths to the host: %w", err)
	}
	bt, err := parse(name, f, host[0], host[1], host[2])
	if err != nil {
		return nil, err
	}
	tab := bt.table(f)
	// AllocAndCopy is a blocking call: the copy is done when it returns.
	p, err := ctx.AllocAndCopy(unsafe.Pointer(&tab[0]), int64(len(tab))*4)
	runtime.KeepAlive(tab)
	if err != nil {
		return nil, errorf(errkind.Device, name, "copying the table to %v: %w", dev, err)
	}
	defer ctx.MemFree(p)
	want := []cudado.Arg{{Dtype: f.dt, Shape: xs}}
	v, err := cudado.Do(extern, dev, prealloc, f.dt, out, l, want, []gorgonia.Value{x}, p)
	if err != nil {
		return nil, errkind.Wrap(pkgName, name, err, errkind.Device)
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
