//go:build cuda

package bandop

import (
	"time"

	"github.com/genband/genband/cudaops"
	"gorgonia.org/cu"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// callsExtern is true under the cuda build tag: every Op is a
// gorgonia.CUDADoer, so Gorgonia places it on device 0 and preallocates its
// output there.
const callsExtern = true

// The PTX module goes into Gorgonia's CUDA "standard library", which every
// TapeMachine with a CUDA Op loads into each of its engines.
func init() {
	gorgonia.AddToStdLib(cudaops.ModuleName, cudaops.Module(), cudaops.Kernels())
}

// deviceArg is what CUDADo knows of an input: its dtype and shape (device
// memory cannot be read here, so values are never checked).
type deviceArg struct {
	dt    tensor.Dtype
	shape tensor.Shape
}

// cudaDo is the body of every CUDADo: it checks the inputs' number, dtype
// and shape against want, takes the output (dtype dt, shape out) from
// prealloc or the engine's allocator, and launches l with the output's
// device pointer first, then the inputs' in order, then extra (device
// memory of the Op's own, such as a gather map). l's kernel writes every
// element of the output, padding included.
func cudaDo(op string, extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, dt tensor.Dtype, out tensor.Shape, l cudaops.Launch, want []deviceArg, inputs []gorgonia.Value, extra ...cu.DevicePtr) (gorgonia.Value, error) {
	if err := checkArity(op, inputs, len(want)); err != nil {
		return nil, err
	}
	for i, w := range want {
		if inputs[i] == nil {
			return nil, errorf(op, "input %d is nil", i)
		}
		if inputs[i].Dtype() != w.dt {
			return nil, errorf(op, "input %d has dtype %v, want %v", i, inputs[i].Dtype(), w.dt)
		}
		if !inputs[i].Shape().Eq(w.shape) {
			return nil, errorf(op, "input %d has shape %v, want %v", i, inputs[i].Shape(), w.shape)
		}
	}
	machine, ok := extern.(gorgonia.CUDAMachine)
	if !ok {
		return nil, errorf(op, "CUDADo needs a gorgonia.CUDAMachine, got %T", extern)
	}
	d := int(dev)
	if d < 0 || d >= len(machine.Engines()) {
		return nil, errorf(op, "no CUDA engine for device %v", dev)
	}
	eng := &machine.Engines()[d]
	name := cudaops.ModuleName + "." + l.Kernel
	fn, ok := eng.Functions()[name]
	if !ok {
		return nil, errorf(op, "kernel %s is not loaded in the CUDA engine", name)
	}

	size := int64(out.TotalSize()) * int64(dt.Size())
	var res gorgonia.Value
	if prealloc != nil && prealloc.Dtype() == dt && prealloc.Shape().Eq(out) && prealloc.Uintptr() != 0 {
		res = prealloc
	} else {
		mem, err := machine.Get(dev, size)
		if err != nil {
			return nil, errorf(op, "allocating %d bytes on %v: %v", size, dev, err)
		}
		res = tensor.New(tensor.WithShape(out...), tensor.Of(dt), tensor.FromMemory(mem.Uintptr(), uintptr(size)))
	}
	ptrs := make([]cu.DevicePtr, 0, 1+len(inputs)+len(extra))
	ptrs = append(ptrs, cu.DevicePtr(res.Uintptr()))
	for _, v := range inputs {
		ptrs = append(ptrs, cu.DevicePtr(v.Uintptr()))
	}
	ptrs = append(ptrs, extra...)
	ctx := machine.Contexts()[d]
	var start time.Time
	if cudaLaunched != nil {
		// Finish the work queued before this launch (copies of the inputs),
		// so that the time reported is the kernel's.
		ctx.Synchronize()
		extern.Signal()
		start = time.Now()
	}
	if err := l.Run(ctx, fn, ptrs...); err != nil {
		return nil, errorf(op, "%v", err)
	}
	ctx.Synchronize()
	// Flush the batched context now, so a failed launch is reported by this
	// Op rather than by whatever runs next.
	extern.Signal()
	if cudaLaunched != nil {
		cudaLaunched(l.Kernel, time.Since(start))
	}
	if err := ctx.Errors(); err != nil {
		return nil, errorf(op, "kernel %s: %v", l.Kernel, err)
	}
	return res, nil
}

// cudaLaunched, when not nil, is called after every launch of cudaDo with
// the kernel's name and the wall time from the launch to the end of its
// synchronisation (benchmarks set it; nil otherwise, at no cost).
var cudaLaunched func(kernel string, d time.Duration)

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
