//go:build cuda

package cudaops

import (
	"fmt"
	"math"
	"regexp"
	"unsafe"

	"gorgonia.org/cu"
)

// This file needs nothing but gorgonia.org/cu's root package, which links
// only libcuda.so.1: the kernel tests built from it run on a machine that has
// a driver and no CUDA toolkit. The registration with Gorgonia lives in
// bandop (extern_cuda.go), whose cuda build links cuBLAS 11 as well.

// ModuleName is the name under which bandop registers the PTX of Module
// with gorgonia.AddToStdLib; a kernel k is found in a Gorgonia CUDA engine
// as ModuleName + "." + k.
const ModuleName = "genband"

// maxSharedBytes is the dynamic shared memory a launch may ask for without
// cuFuncSetAttribute, which gorgonia.org/cu does not wrap.
const maxSharedBytes = 48 << 10

// Launcher launches a kernel: *cu.Ctx and *cu.BatchedContext (the contexts
// of Gorgonia's CUDA engines) both are Launchers.
type Launcher interface {
	LaunchKernel(fn cu.Function, gridDimX, gridDimY, gridDimZ int, blockDimX, blockDimY, blockDimZ int, sharedMemBytes int, stream cu.Stream, kernelParams []unsafe.Pointer)
}

var entryRE = regexp.MustCompile(`(?m)^\s*\.(?:visible\s+)?\.entry\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(`)

// Kernels returns the entry points of the PTX module Module, in the order
// the PTX declares them.
func Kernels() []string {
	var names []string
	for _, m := range entryRE.FindAllStringSubmatch(Module(), -1) {
		names = append(names, m[1])
	}
	return names
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
		words[len(ptrs)+i] = argBits(a)
	}
	params := make([]unsafe.Pointer, len(words))
	for i := range words {
		params[i] = unsafe.Pointer(&words[i])
	}
	return params
}

// argBits is the 8-byte image of a scalar kernel argument: long long for
// integers, double for floats.
func argBits(v any) uint64 {
	switch x := v.(type) {
	case int:
		return uint64(int64(x))
	case int64:
		return uint64(x)
	case uint64:
		return x
	case uint:
		return uint64(x)
	case int32:
		return uint64(int64(x))
	case float64:
		return math.Float64bits(x)
	case float32:
		return math.Float64bits(float64(x))
	}
	panic(fmt.Sprintf("cudaops: kernel argument of type %T", v))
}

// Check reports whether l can be launched as it is: a non-empty grid and
// block, at most 1024 threads a block, grid dimensions within the CUDA
// limits, and no more dynamic shared memory than a launch may ask for
// without raising the kernel's limit.
func (l Launch) Check() error {
	threads := uint64(1)
	for i := 0; i < 3; i++ {
		if l.Grid[i] == 0 || l.Block[i] == 0 {
			return fmt.Errorf("cudaops: %s: empty launch (grid %v, block %v)", l.Kernel, l.Grid, l.Block)
		}
		threads *= uint64(l.Block[i])
	}
	if threads > 1024 {
		return fmt.Errorf("cudaops: %s: %d threads in a block, at most 1024", l.Kernel, threads)
	}
	if uint64(l.Grid[0]) > math.MaxInt32 || l.Grid[1] > 65535 || l.Grid[2] > 65535 {
		return fmt.Errorf("cudaops: %s: grid %v out of the CUDA limits", l.Kernel, l.Grid)
	}
	if l.SharedBytes > maxSharedBytes {
		return fmt.Errorf("cudaops: %s: %d bytes of dynamic shared memory, at most %d", l.Kernel, l.SharedBytes, maxSharedBytes)
	}
	return nil
}

// Run checks l and enqueues its kernel fn on ctx with the device pointers
// ptrs followed by l.Args. It does not wait for the kernel.
func (l Launch) Run(ctx Launcher, fn cu.Function, ptrs ...cu.DevicePtr) error {
	if err := l.Check(); err != nil {
		return err
	}
	ctx.LaunchKernel(fn, int(l.Grid[0]), int(l.Grid[1]), int(l.Grid[2]), int(l.Block[0]), int(l.Block[1]), int(l.Block[2]), int(l.SharedBytes), cu.NoStream, l.Params(ptrs...))
	return nil
}
