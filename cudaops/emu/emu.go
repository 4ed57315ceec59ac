// Package emu runs genband's CUDA kernels on the CPU: the very .cu sources
// nvcc turns into PTX, compiled by g++ (C++17) under an emulation header
// (emu.h) with each thread of a block a fiber (the fibers of a block take
// turns on one OS thread, switching only at __syncthreads, a real barrier),
// the blocks of a launch spread over up to GOMAXPROCS OS threads, and
// __shared__ as per-block storage. It exists to test kernel logic on
// machines without a GPU, against the CPU ops of bandop, launched with
// exactly the geometry the cuda glue uses; it is not a CPU backend (it is
// slow).
//
// The kernel table is generated: after adding or changing a kernel in
// cudaops/kernels, run `go generate ./cudaops/emu` and commit the
// regenerated zkernels.cc and cudaops/kernels/genband.cu. Kernels used only
// to test the emulator live in testdata/*.cu: they are compiled in here but
// never into the PTX.
package emu

/*
#cgo CXXFLAGS: -std=c++17 -O2
#cgo LDFLAGS: -lpthread
#include <stdint.h>
#include <stdlib.h>
int gbemu_count(void);
const char* gbemu_name(int i);
int gbemu_nargs(int i);
int gbemu_test_only(int i);
int gbemu_launch(int i, const uint64_t* words, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned shared, unsigned workers, char* msg, int msglen);
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/genband/genband/cudaops"
)

//go:generate go run ./gen

// kernel is an entry of the generated table.
type kernel struct {
	index, nargs int
	testOnly     bool
}

var table = func() map[string]kernel {
	m := map[string]kernel{}
	for i := 0; i < int(C.gbemu_count()); i++ {
		m[C.GoString(C.gbemu_name(C.int(i)))] = kernel{i, int(C.gbemu_nargs(C.int(i))), C.gbemu_test_only(C.int(i)) != 0}
	}
	return m
}()

// Kernels returns the names of the kernels the emulator has, in the order
// of its table, without the emulator's own test kernels: the PTX module
// must have exactly these.
func Kernels() []string {
	names := make([]string, len(table))
	n := 0
	for name, k := range table {
		if !k.testOnly {
			names[k.index] = name
			n++
		}
	}
	out := names[:0]
	for _, name := range names {
		if name != "" {
			out = append(out, name)
		}
	}
	return out[:n]
}

// launchMu serializes launches: a launch uses process-wide state (the
// launch's dimensions, the pool of OS threads and the calling thread's
// fibers).
var launchMu sync.Mutex

// Run runs the launch l on the CPU with the host pointers ptrs (the first
// element of each buffer: output first, then the inputs, in the order the
// GPU launch passes device pointers) followed by l.Args. It returns an error
// for a launch the GPU would refuse (empty, more than 1024 threads a block,
// too much shared memory), an unknown kernel, a wrong number of arguments,
// or a nil pointer, and for a launch that went wrong: a __syncthreads that
// completed after some threads of the block had returned from the kernel
// (undefined behaviour on a GPU). The buffers must stay valid during the call (Run pins
// Go memory). The kernel's memory accesses are not checked: a kernel that
// reads or writes out of bounds can crash the process.
func Run(l cudaops.Launch, ptrs ...unsafe.Pointer) error {
	if err := l.Check(); err != nil {
		return err
	}
	k, ok := table[l.Kernel]
	if !ok {
		return fmt.Errorf("emu: no kernel %q (run go generate ./cudaops/emu after adding one)", l.Kernel)
	}
	if got := len(ptrs) + len(l.Args); got != k.nargs {
		return fmt.Errorf("emu: %s takes %d arguments, got %d pointers and %d scalars", l.Kernel, k.nargs, len(ptrs), len(l.Args))
	}
	args, err := l.ArgWords()
	if err != nil {
		return err
	}
	// The words live in C memory: they hold Go pointers as integers, which
	// cgo's rules allow only for pinned memory, and C must not see Go
	// memory holding them as pointers.
	nw := len(ptrs) + len(args)
	cw := (*[1 << 20]C.uint64_t)(C.calloc(C.size_t(max(nw, 1)), 8))[:max(nw, 1):max(nw, 1)]
	defer C.free(unsafe.Pointer(&cw[0]))
	var pin runtime.Pinner
	defer pin.Unpin()
	for i, p := range ptrs {
		if p == nil {
			return fmt.Errorf("emu: %s: pointer argument %d is nil", l.Kernel, i)
		}
		pin.Pin(p)
		cw[i] = C.uint64_t(uintptr(p))
	}
	for i, w := range args {
		cw[len(ptrs)+i] = C.uint64_t(w)
	}
	const msgLen = 512
	msg := (*C.char)(C.calloc(msgLen, 1))
	defer C.free(unsafe.Pointer(msg))
	launchMu.Lock()
	defer launchMu.Unlock()
	rc := C.gbemu_launch(C.int(k.index), &cw[0],
		C.uint(l.Grid[0]), C.uint(l.Grid[1]), C.uint(l.Grid[2]),
		C.uint(l.Block[0]), C.uint(l.Block[1]), C.uint(l.Block[2]), C.uint(l.SharedBytes),
		C.uint(runtime.GOMAXPROCS(0)), msg, msgLen)
	if rc != 0 {
		return fmt.Errorf("emu: %s: %s", l.Kernel, C.GoString(msg))
	}
	return nil
}
