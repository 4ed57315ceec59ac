//go:build cuda

package bandop

import (
	"runtime"
	"unsafe"

	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
)

// gatherOp serves Gather and, with adjoint set, its gradient (the scatter).
var _ gorgonia.CUDADoer = (*gatherOp)(nil)

// CUDADo runs Gather (kernel gather_fwd) or its gradient (gather_bwd) on
// the GPU. The map lives in host memory: each run copies what the kernel
// reads of it (Gather: the index and the constants; the scatter: the
// map's transpose from cudaops.ScatterPlan) to device memory once, before
// the launch, and frees it after. The copy costs about what reading the
// input does; align's maps are built once per graph, so a cache per CUDA
// context would save it, at the price of device memory whose owner is the
// Op rather than the machine.
func (op *gatherOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.name()
	if err := op.m.check(name); err != nil {
		return nil, err
	}
	machine, ok := extern.(gorgonia.CUDAMachine)
	if !ok {
		return nil, kindErrorf(ErrDevice, name, "CUDADo needs a gorgonia.CUDAMachine, got %T", extern)
	}
	d := int(dev)
	if d < 0 || d >= len(machine.Contexts()) {
		return nil, kindErrorf(ErrDevice, name, "no CUDA context for device %v", dev)
	}
	ctx := machine.Contexts()[d]

	var l cudaops.Launch
	var a, b unsafe.Pointer // the two map arrays, host side
	var sa, sb int64        // their sizes in bytes
	if op.adjoint {
		start, readers := cudaops.ScatterPlan(op.m.Index, op.m.In.TotalSize())
		l = cudaops.GatherBackward(cudaDtype(op.dt), op.m.In.TotalSize())
		a, sa = unsafe.Pointer(&start[0]), int64(len(start))*4
		b, sb = unsafe.Pointer(&readers[0]), int64(len(readers))*4
		defer runtime.KeepAlive(start)
		defer runtime.KeepAlive(readers)
	} else {
		consts := make([]float64, max(len(op.m.Consts), 1)) // never empty
		copy(consts, op.m.Consts)
		l = cudaops.GatherForward(cudaDtype(op.dt), op.m.Out.TotalSize())
		a, sa = unsafe.Pointer(&op.m.Index[0]), int64(len(op.m.Index))*4
		b, sb = unsafe.Pointer(&consts[0]), int64(len(consts))*8
		defer runtime.KeepAlive(consts)
	}
	// AllocAndCopy is a blocking call: the copy is done when it returns.
	pa, err := ctx.AllocAndCopy(a, sa)
	if err != nil {
		return nil, kindErrorf(ErrDevice, name, "copying the map to %v: %w", dev, err)
	}
	// The frees are queued behind the launch on the context's stream, so
	// the kernel has run when they take effect.
	defer ctx.MemFree(pa)
	pb, err := ctx.AllocAndCopy(b, sb)
	if err != nil {
		return nil, kindErrorf(ErrDevice, name, "copying the map to %v: %w", dev, err)
	}
	defer ctx.MemFree(pb)
	in := deviceArg{op.dt, op.inShape()}
	return cudaDo(name, extern, dev, prealloc, op.dt, op.outShape(), l, []deviceArg{in}, inputs, pa, pb)
}
