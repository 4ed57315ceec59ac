//go:build cuda

package cudado

import (
	"fmt"
	"time"

	"github.com/genband/genband/cudaops"
	"gorgonia.org/cu"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The PTX module goes into Gorgonia's CUDA "standard library", which every
// TapeMachine with a CUDA Op loads into each of its engines. Every package
// whose Ops launch genband kernels imports this one.
func init() {
	gorgonia.AddToStdLib(cudaops.ModuleName, cudaops.Module(), cudaops.Kernels())
}

// Arg is what Do knows of an input: its dtype and shape (device memory
// cannot be read here, so values are never checked).
type Arg struct {
	Dtype tensor.Dtype
	Shape tensor.Shape
}

// Do is the body of every CUDADo: it checks the inputs' number, dtype and
// shape against want, takes the output (dtype dt, shape out) from prealloc
// or the machine's allocator, and launches l with the output's device
// pointer first, then the inputs' in order, then extra (device memory of
// the Op's own, such as a gather map or scratch). l's kernel writes every
// element of the output, padding included. Do waits for the kernel, so that
// a failed launch is reported by the Op that made it, and so that the
// caller may free extra when Do returns. Its errors do not name the Op:
// the caller wraps them.
func Do(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, dt tensor.Dtype, out tensor.Shape, l cudaops.Launch, want []Arg, inputs []gorgonia.Value, extra ...cu.DevicePtr) (gorgonia.Value, error) {
	if len(inputs) != len(want) {
		return nil, fmt.Errorf("got %d inputs, want %d", len(inputs), len(want))
	}
	for i, w := range want {
		if inputs[i] == nil {
			return nil, fmt.Errorf("input %d is nil", i)
		}
		if inputs[i].Dtype() != w.Dtype {
			return nil, fmt.Errorf("input %d has dtype %v, want %v", i, inputs[i].Dtype(), w.Dtype)
		}
		if !inputs[i].Shape().Eq(w.Shape) {
			return nil, fmt.Errorf("input %d has shape %v, want %v", i, inputs[i].Shape(), w.Shape)
		}
	}
	machine, ok := extern.(gorgonia.CUDAMachine)
	if !ok {
		return nil, fmt.Errorf("CUDADo needs a gorgonia.CUDAMachine, got %T", extern)
	}
	d := int(dev)
	if d < 0 || d >= len(machine.Engines()) {
		return nil, fmt.Errorf("no CUDA engine for device %v", dev)
	}
	eng := &machine.Engines()[d]
	name := cudaops.ModuleName + "." + l.Kernel
	fn, ok := eng.Functions()[name]
	if !ok {
		return nil, fmt.Errorf("kernel %s is not loaded in the CUDA engine", name)
	}

	size := int64(out.TotalSize()) * int64(dt.Size())
	var res gorgonia.Value
	if prealloc != nil && prealloc.Dtype() == dt && prealloc.Shape().Eq(out) && prealloc.Uintptr() != 0 {
		res = prealloc
	} else {
		mem, err := machine.Get(dev, size)
		if err != nil {
			return nil, fmt.Errorf("allocating %d bytes on %v: %v", size, dev, err)
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
	hook := Launched
	var start time.Time
	if hook != nil {
		// Finish the work queued before this launch (copies of the inputs),
		// so that the time reported is the kernel's.
		ctx.Synchronize()
		extern.Signal()
		start = time.Now()
	}
	if err := l.Run(ctx, fn, ptrs...); err != nil {
		return nil, err
	}
	ctx.Synchronize()
	// Flush the batched context now, so a failed launch is reported by this
	// Op rather than by whatever runs next.
	extern.Signal()
	if hook != nil {
		hook(l.Kernel, time.Since(start))
	}
	if err := ctx.Errors(); err != nil {
		return nil, fmt.Errorf("kernel %s: %v", l.Kernel, err)
	}
	return res, nil
}

// Launched, when not nil, is called after every launch of Do with the
// kernel's name and the wall time from the launch to the end of its
// synchronisation. Benchmarks set it (and reset it to nil) while no graph
// runs; nil otherwise, at no cost.
var Launched func(kernel string, d time.Duration)
