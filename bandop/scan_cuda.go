//go:build cuda

package bandop

import (
	"runtime"
	"unsafe"

	"github.com/genband/genband/cudaops"
	"gorgonia.org/cu"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// scanGradOp embeds scanOp, so without its own CUDADo it would run the
// forward kernel.
var (
	_ gorgonia.CUDADoer = (*scanOp)(nil)
	_ gorgonia.CUDADoer = (*scanGradOp)(nil)
	_ gorgonia.CUDADoer = (*scanLastOp)(nil)
	_ gorgonia.CUDADoer = (*scanLastGradOp)(nil)
)

// deviceWindow copies the scan's window (cudaops.ScanWindow: lo then hi,
// int64; every row for a nil window) to device memory of dev. The caller
// frees it with the returned function once the launch has completed (cudaDo
// waits for it). The copy is 16 bytes a step, far less than one state; align
// builds its windows once per graph, so a cache per CUDA context could save
// it, at the price of device memory owned by the Op rather than the machine.
func (l scanLayout) deviceWindow(name string, extern gorgonia.External, dev gorgonia.Device) (cu.DevicePtr, func(), error) {
	machine, ok := extern.(gorgonia.CUDAMachine)
	if !ok {
		return 0, nil, kindErrorf(ErrDevice, name, "CUDADo needs a gorgonia.CUDAMachine, got %T", extern)
	}
	d := int(dev)
	if d < 0 || d >= len(machine.Contexts()) {
		return 0, nil, kindErrorf(ErrDevice, name, "no CUDA context for device %v", dev)
	}
	ctx := machine.Contexts()[d]
	var lo, hi []int
	if l.win != nil {
		lo, hi = l.win.Lo, l.win.Hi
	}
	win := cudaops.ScanWindow(l.steps, l.a.n, lo, hi)
	// AllocAndCopy is a blocking call: the copy is done when it returns.
	p, err := ctx.AllocAndCopy(unsafe.Pointer(&win[0]), int64(len(win))*8)
	runtime.KeepAlive(win)
	if err != nil {
		return 0, nil, kindErrorf(ErrDevice, name, "copying the window to %v: %w", dev, err)
	}
	return p, func() { ctx.MemFree(p) }, nil
}

// statesArg is the deviceArg of the float64 states (and of their gradient).
func (l scanLayout) statesArg() deviceArg { return deviceArg{tensor.Float64, l.statesShape()} }

// CUDADo runs ScanStates on the GPU (kernel scan_fwd): the whole forward
// scan in one launch, a block per item; inputs v0 and A, output the float64
// states (steps+1, items, n).
func (op *scanOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "ScanStates"
	l := op.l
	win, free, err := l.deviceWindow(name, extern, dev)
	if err != nil {
		return nil, err
	}
	defer free()
	launch := cudaops.ScanForward(cudaDtype(l.a.dt), cudaSemiring(l.s), l.items, l.steps, l.a.n, l.a.lower, l.a.upper)
	want := []deviceArg{{l.a.dt, l.vShape()}, bandArg(l.a)}
	return cudaDo(name, extern, dev, prealloc, tensor.Float64, l.statesShape(), launch, want, inputs, win)
}

// CUDADo runs the gradient of ScanStates with respect to input wrt on the
// GPU (kernel scan_bwd, one for both wrt): the whole reverse scan in one
// launch; inputs v0, A, the states and their gradient. The rolling adjoints
// of the reverse scan (2·n float64 an item) live in scratch memory taken
// from the machine's allocator for the launch and given back after it
// (cudaDo waits for the kernel).
func (op *scanGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "ScanStatesGrad"
	l := op.l
	machine, ok := extern.(gorgonia.CUDAMachine)
	if !ok {
		return nil, kindErrorf(ErrDevice, name, "CUDADo needs a gorgonia.CUDAMachine, got %T", extern)
	}
	win, free, err := l.deviceWindow(name, extern, dev)
	if err != nil {
		return nil, err
	}
	defer free()
	size := cudaops.ScanScratchBytes(l.items, l.a.n)
	scratch, err := machine.Get(dev, size)
	if err != nil {
		return nil, kindErrorf(ErrDevice, name, "allocating %d bytes of scratch on %v: %w", size, dev, err)
	}
	defer machine.Put(dev, scratch, size)
	launch := cudaops.ScanBackward(cudaDtype(l.a.dt), cudaSemiring(l.s), op.wrt, l.items, l.steps, l.a.n, l.a.lower, l.a.upper)
	want := []deviceArg{{l.a.dt, l.vShape()}, bandArg(l.a), l.statesArg(), l.statesArg()}
	shape, _ := op.InferShape()
	return cudaDo(name, extern, dev, prealloc, l.a.dt, shape, launch, want, inputs, win, cu.DevicePtr(scratch.Uintptr()))
}

// CUDADo runs ScanLast on the GPU (kernel scan_last_fwd): the last state
// in A's dtype.
func (op *scanLastOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	l := op.l
	launch := cudaops.ScanLastForward(cudaDtype(l.a.dt), l.items, l.steps, l.a.n)
	return cudaDo("ScanLast", extern, dev, prealloc, l.a.dt, l.vShape(), launch, []deviceArg{l.statesArg()}, inputs)
}

// CUDADo runs ScanLast's gradient on the GPU (kernel scan_last_bwd): the
// float64 gradient of the states, dv in the last state and 0 elsewhere.
func (op *scanLastGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	l := op.l
	launch := cudaops.ScanLastBackward(cudaDtype(l.a.dt), l.items, l.steps, l.a.n)
	return cudaDo("ScanLastGrad", extern, dev, prealloc, tensor.Float64, l.statesShape(), launch, []deviceArg{{l.a.dt, l.vShape()}}, inputs)
}
