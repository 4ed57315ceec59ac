//go:build cuda

package cudaops

import (
	"unsafe"

	"gorgonia.org/cu"
)

// This file needs nothing but gorgonia.org/cu's root package, which links
// only libcuda.so.1: the kernel tests built from it run on a machine that has
// a driver and no CUDA toolkit. The registration with Gorgonia lives in
// internal/cudado (cudado.go), whose cuda build links cuBLAS 11 as well.

// ModuleName is the name under which internal/cudado registers the PTX of
// Module with gorgonia.AddToStdLib; a kernel k is found in a Gorgonia CUDA
// engine as ModuleName + "." + k.
const ModuleName = "genband"

// Launcher launches a kernel: *cu.Ctx and *cu.BatchedContext (the contexts
// of Gorgonia's CUDA engines) both are Launchers.
type Launcher interface {
	LaunchKernel(fn cu.Function, gridDimX, gridDimY, gridDimZ int, blockDimX, blockDimY, blockDimZ int, sharedMemBytes int, stream cu.Stream, kernelParams []unsafe.Pointer)
}

// Params returns the kernel parameter list of l's kernel: the device
// pointers ptrs in order, then l.Args, each as the 8 bytes the kernel reads.
// The result's elements point into memory the caller keeps alive until the
// launch has been enqueued (gorgonia.org/cu copies them at enqueue time).
func (l Launch) Params(ptrs ...cu.DevicePtr) []unsafe.Pointer {
	words := make([]uint64, len(ptrs)+len(l.Args))
	for i, p := range ptrs {
		words[i] = uint64(p)
	}
	for i, a := range l.Args {
		words[len(ptrs)+i], _ = argBits(a) // Check rejects other types
	}
	params := make([]unsafe.Pointer, len(words))
	for i := range words {
		params[i] = unsafe.Pointer(&words[i])
	}
	return params
}

// Run checks l and enqueues its kernel fn on ctx with the device pointers
// ptrs followed by l.Args. It does not wait for the kernel.
func (l Launch) Run(ctx Launcher, fn cu.Function, ptrs ...cu.DevicePtr) error {
	if err := l.check("Launch.Run"); err != nil {
		return err
	}
	ctx.LaunchKernel(fn, int(l.Grid[0]), int(l.Grid[1]), int(l.Grid[2]), int(l.Block[0]), int(l.Block[1]), int(l.Block[2]), int(l.SharedBytes), cu.NoStream, l.Params(ptrs...))
	return nil
}
