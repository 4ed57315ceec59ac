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
// Every launch is checked as compute-sanitizer would check it on a GPU (see
// Run): each buffer is a copy of exactly the caller's slice between guard
// bytes, the kernel's loads and stores are instrumented (emu_check.cc), the
// inputs must come back unchanged, and barriers must be reached by every
// thread of a block at the same __syncthreads. The arithmetic is the GPU's
// where it differs from the C library's: multiply-adds contracted into
// FMA, __expf as ex2.approx (emu.h). Coverage (coverage.go) counts the
// trips of every loop and the passes of every barrier of the kernel
// sources, per launch. With GBEMU_GPUMODEL set, a warp-level model of the
// GPU's memory accesses (model.go) also measures every launch: sectors
// per request, bank conflicts and divergence per load and store site.
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
typedef struct {
	uint64_t data, bytes, guard;
	int output, elem;
} gbemu_buf;
int gbemu_count(void);
const char* gbemu_name(int i);
int gbemu_nargs(int i);
int gbemu_test_only(int i);
const char* gbemu_params(int i);
int gbemu_checks(void);
unsigned long long gbemu_guard(unsigned long long bytes);
void* gbemu_alloc(unsigned long long bytes, unsigned long long guard);
void gbemu_free(void* data, unsigned long long guard);
long long gbemu_bad_guard(const void* data, unsigned long long bytes, unsigned long long guard);
int gbemu_launch(int i, const uint64_t* words, const gbemu_buf* bufs, int nbufs, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned shared, unsigned workers, char* msg, int msglen, uintptr_t* pc);
*/
import "C"

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/genband/genband/cudaops"
)

//go:generate go run ./gen

// kernel is an entry of the generated table.
type kernel struct {
	index, nargs int
	testOnly     bool
	params       string // kgen.Kernel.Params
}

var table = func() map[string]kernel {
	m := map[string]kernel{}
	for i := 0; i < int(C.gbemu_count()); i++ {
		m[C.GoString(C.gbemu_name(C.int(i)))] = kernel{i, int(C.gbemu_nargs(C.int(i))), C.gbemu_test_only(C.int(i)) != 0, C.GoString(C.gbemu_params(C.int(i)))}
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

// Checked reports whether the kernels' loads and stores are checked (see
// Run). They are not under go test -asan (AddressSanitizer instruments the
// kernels instead) nor -race.
func Checked() bool { return C.gbemu_checks() != 0 }

// launchMu serializes launches: a launch uses process-wide state (the
// launch's dimensions, the pool of OS threads and the calling thread's
// fibers).
var launchMu sync.Mutex

// ptrType describes a pointer parameter's letter in kgen.Kernel.Params.
func ptrType(c byte) (elem string, size int, output bool) {
	switch c {
	case 'f', 'F':
		elem, size = "float", 4
	case 'd', 'D':
		elem, size = "double", 8
	case 'l', 'L':
		elem, size = "long long", 8
	case 'i', 'I':
		elem, size = "int", 4
	}
	output = c >= 'a' && c <= 'z'
	if !output {
		elem = "const " + elem
	}
	return elem, size, output
}

// sliceOf returns the address and byte length of a buffer the caller
// passes, and the C element type it may be passed as.
func sliceOf(b any) (p unsafe.Pointer, bytes int, elem string, ok bool) {
	switch s := b.(type) {
	case []float32:
		return unsafe.Pointer(unsafe.SliceData(s)), 4 * len(s), "float", true
	case []float64:
		return unsafe.Pointer(unsafe.SliceData(s)), 8 * len(s), "double", true
	case []int64:
		return unsafe.Pointer(unsafe.SliceData(s)), 8 * len(s), "long long", true
	case []int32:
		return unsafe.Pointer(unsafe.SliceData(s)), 4 * len(s), "int", true
	case []int: // Go's int is long long on the 64-bit platforms CUDA runs on
		if unsafe.Sizeof(int(0)) == 8 {
			return unsafe.Pointer(unsafe.SliceData(s)), 8 * len(s), "long long", true
		}
	}
	return nil, 0, "", false
}

// Run runs the launch l on the CPU with the buffers bufs (one per pointer
// parameter of the kernel, in order: the output first, then the inputs, as
// the GPU launch passes device pointers), each a []float32, []float64,
// []int64 (or []int) or []int32 whose element type matches the
// parameter's, and the scalars l.Args.
//
// Each buffer is copied into memory of exactly its length, between guard
// bytes, for the launch, and the kernel's pointer parameters point there;
// the buffers of non-const parameters (outputs, scratch) are copied back
// afterwards. Run returns an error for a launch the GPU would refuse
// (empty, more than 1024 threads a block, too much shared memory), an
// unknown kernel, wrong buffers or scalars, and for a launch that went
// wrong, naming the kernel:
//
//   - a load or store of a buffer's guard bytes (an overrun, with the
//     buffer's index and the side), a store into an input (a const pointer
//     parameter), or a load of an output or scratch element no thread has
//     stored in this launch; the same for the block's dynamic shared
//     memory (exactly l.SharedBytes between guards) and the bytes of its
//     static __shared__ variables;
//   - a guard byte or an input that differs after the launch (caught even
//     where the access itself was not seen);
//   - a __syncthreads that completed after some threads of the block had
//     returned from the kernel, or whose threads waited at different
//     __syncthreads of the source (undefined behaviour on a GPU).
//
// The access checks are off under go test -asan and -race (Checked); the
// rest is always on.
func Run(l cudaops.Launch, bufs ...any) error {
	if err := l.Check(); err != nil {
		return err
	}
	k, ok := table[l.Kernel]
	if !ok {
		return fmt.Errorf("emu: no kernel %q (run go generate ./cudaops/emu after adding one)", l.Kernel)
	}
	nptr := len(k.params) - strings.Count(k.params, "j") - strings.Count(k.params, "x")
	if len(bufs) != nptr || len(l.Args) != len(k.params)-nptr {
		return fmt.Errorf("emu: %s takes %d arguments (%d pointers, %d scalars), got %d buffers and %d scalars", l.Kernel, k.nargs, nptr, len(k.params)-nptr, len(bufs), len(l.Args))
	}
	args, err := l.ArgWords()
	if err != nil {
		return err
	}

	// The buffers in C memory, between guards.
	type buffer struct {
		goPtr  unsafe.Pointer
		bytes  int
		data   unsafe.Pointer
		guard  C.ulonglong
		output bool
		elem   int
		typ    string
	}
	bs := make([]buffer, 0, nptr)
	defer func() {
		for _, b := range bs {
			C.gbemu_free(b.data, b.guard)
		}
	}()
	nw := len(k.params)
	cw := (*[1 << 20]C.uint64_t)(C.calloc(C.size_t(max(nw, 1)), 8))[:max(nw, 1):max(nw, 1)]
	defer C.free(unsafe.Pointer(&cw[0]))
	cb := (*[1 << 16]C.gbemu_buf)(C.calloc(C.size_t(max(nptr, 1)), C.size_t(unsafe.Sizeof(C.gbemu_buf{}))))[:max(nptr, 1):max(nptr, 1)]
	defer C.free(unsafe.Pointer(&cb[0]))
	bi, si := 0, 0
	for i := 0; i < len(k.params); i++ {
		c := k.params[i]
		if c == 'j' || c == 'x' {
			cw[i] = C.uint64_t(args[si])
			si++
			continue
		}
		want, size, output := ptrType(c)
		p, n, elem, ok := sliceOf(bufs[bi])
		if !ok {
			return fmt.Errorf("emu: %s: buffer %d is a %T: pass a []float32, []float64, []int64, []int or []int32, so that the emulator knows its length", l.Kernel, bi, bufs[bi])
		}
		if elem != strings.TrimPrefix(want, "const ") {
			return fmt.Errorf("emu: %s: buffer %d holds %s, the parameter is %s*", l.Kernel, bi, elem, want)
		}
		g := C.gbemu_guard(C.ulonglong(n))
		data := C.gbemu_alloc(C.ulonglong(n), g)
		if data == nil {
			return fmt.Errorf("emu: %s: cannot allocate buffer %d (%d bytes)", l.Kernel, bi, n)
		}
		bs = append(bs, buffer{p, n, data, g, output, size, want + "*"})
		if n > 0 {
			copy(unsafe.Slice((*byte)(data), n), unsafe.Slice((*byte)(p), n))
		}
		cw[i] = C.uint64_t(uintptr(data))
		cb[bi] = C.gbemu_buf{data: C.uint64_t(uintptr(data)), bytes: C.uint64_t(n), guard: C.uint64_t(g), elem: C.int(size)}
		if output {
			cb[bi].output = 1
		}
		bi++
	}

	const msgLen = 1024
	msg := (*C.char)(C.calloc(msgLen, 1))
	defer C.free(unsafe.Pointer(msg))
	pc := (*C.uintptr_t)(C.calloc(1, 8))
	defer C.free(unsafe.Pointer(pc))
	if recording() {
		recs := make([]recBuf, len(bs))
		for i, b := range bs {
			recs[i] = recBuf{unsafe.Slice((*byte)(b.data), b.bytes), b.elem, b.output}
		}
		record(l, args, recs)
	}
	launchMu.Lock()
	measure := modelEnable(modelOn()) && modelOn()
	rc := C.gbemu_launch(C.int(k.index), &cw[0], &cb[0], C.int(nptr),
		C.uint(l.Grid[0]), C.uint(l.Grid[1]), C.uint(l.Grid[2]),
		C.uint(l.Block[0]), C.uint(l.Block[1]), C.uint(l.Block[2]), C.uint(l.SharedBytes),
		C.uint(runtime.GOMAXPROCS(0)), msg, msgLen, pc)
	if rc == 0 {
		coverLaunch(l)
	}
	if measure {
		modelLaunch(l, rc == 0)
	}
	launchMu.Unlock()

	var errs []string
	if rc != 0 {
		errs = append(errs, C.GoString(msg)+where(uintptr(*pc)))
	}
	for i, b := range bs {
		if bad := int64(C.gbemu_bad_guard(b.data, C.ulonglong(b.bytes), b.guard)); bad != 0 {
			side := fmt.Sprintf("after its end (%d bytes past it)", bad-int64(b.bytes)+1)
			if bad < 0 {
				side = fmt.Sprintf("before its start (%d bytes before it)", -bad)
			}
			errs = append(errs, fmt.Sprintf("buffer %d (%s, %d elements): a guard byte %s was overwritten", i, b.typ, b.bytes/b.elem, side))
		}
		got := unsafe.Slice((*byte)(b.data), b.bytes)
		orig := unsafe.Slice((*byte)(b.goPtr), b.bytes)
		if b.output {
			copy(orig, got)
			continue
		}
		for e := 0; e < b.bytes; e += b.elem {
			if string(got[e:e+b.elem]) != string(orig[e:e+b.elem]) {
				errs = append(errs, fmt.Sprintf("buffer %d (%s), an input, changed: element %d differs after the launch", i, b.typ, e/b.elem))
				break
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("emu: %s: %s", l.Kernel, strings.Join(errs, "; "))
	}
	return nil
}
