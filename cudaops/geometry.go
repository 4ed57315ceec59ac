package cudaops

import (
	"fmt"
	"math"
)

// The launch convention shared by the GPU glue (launch_cuda.go, the
// cuda-tagged bandop files) and the CPU emulation (package emu):
//
//   - A kernel's parameters are its pointers first, then its scalars. The
//     pointers are the output first, then the Op's inputs in the Op's input
//     order, exactly as bandop's cudaDo passes them. A Launch holds only the
//     scalars (Args); the pointers are given where it is run (Device.Run,
//     Launch.Run, emu.Run).
//   - Every parameter is 8 bytes, because gorgonia.org/cu copies each kernel
//     argument as 8 bytes: pointers, long long (Go int, int64) and double
//     (Go float64). A kernel has no int, float or struct parameter.
//   - The semiring is passed as a long long: 0 Log, 1 Real, 2 Max.
//   - A kernel writes every element of its output, padding included, so the
//     output need not be zeroed or filled before the launch.
//
// Constructors (MulForward, …) never fail: a geometry that cannot be
// launched, or a kernel name that does not exist (an unknown dtype or
// gradient index), is reported when the launch is run, by Check on the GPU
// and by the emulator on the CPU.

// Launch is one kernel launch: the PTX entry point, the grid and block
// dimensions, the dynamic shared memory and the scalar arguments.
type Launch struct {
	Kernel      string  // PTX entry name, e.g. "mul_fwd_f32"
	Grid, Block [3]uint // gridDim and blockDim (x, y, z)
	SharedBytes uint    // dynamic shared memory per block
	Args        []any   // scalars after the pointers: int64 (long long) or float64 (double)
}

// Dtype is the element type a kernel is instantiated for. The zero value is
// no dtype, so that a forgotten dtype names no kernel rather than a wrong
// one.
type Dtype int

// The element types of banded storage.
const (
	Float32 Dtype = 1 + iota // float
	Float64                  // double
)

// Size returns the size of one element in bytes, 0 for an unknown dtype.
func (d Dtype) Size() int {
	switch d {
	case Float32:
		return 4
	case Float64:
		return 8
	}
	return 0
}

// String returns the suffix of the kernels instantiated for d: "f32" or
// "f64".
func (d Dtype) String() string {
	switch d {
	case Float32:
		return "f32"
	case Float64:
		return "f64"
	}
	return fmt.Sprintf("dtype%d", int(d))
}

// KernelName returns the entry point base_f32 or base_f64 for dtype d (a
// name no kernel has for an unknown dtype).
func KernelName(base string, d Dtype) string { return base + "_" + d.String() }

// Semiring is the semiring of a product kernel, with the values of
// bandop.Semiring; kernels receive it as a long long.
type Semiring int

// The semirings (see bandop.Semiring).
const (
	Log  Semiring = 0 // (logsumexp, +), zero −Inf
	Real Semiring = 1 // (+, ×), zero 0
	Max  Semiring = 2 // (max, +), zero −Inf
)

// Linear returns a launch of kernel over total independent items, one
// thread each, in blocks of 256 threads along x; the kernel finds its item
// as blockIdx.x·blockDim.x + threadIdx.x and must skip items ≥ total. At
// least one block is launched, so that total = 0 is still a valid launch.
func Linear(kernel string, total int, args ...any) Launch {
	const threads = 256
	blocks := (total + threads - 1) / threads
	if blocks < 1 {
		blocks = 1
	}
	return Launch{Kernel: kernel, Grid: [3]uint{uint(blocks), 1, 1}, Block: [3]uint{threads, 1, 1}, Args: args}
}

// MaxSharedBytes is the dynamic shared memory a launch may ask for without
// cuFuncSetAttribute, which gorgonia.org/cu does not wrap.
const MaxSharedBytes = 48 << 10

// Check reports whether l can be launched as it is: a non-empty grid and
// block, at most 1024 threads a block, grid dimensions within the CUDA
// limits, no more dynamic shared memory than a launch may ask for without
// raising the kernel's limit, and scalar arguments that are 8-byte
// integers or floats. Its error is an *Error of kind ErrLaunch.
func (l Launch) Check() error { return l.check("Launch.Check") }

// check is Check for op, the function the caller called.
func (l Launch) check(op string) error {
	threads := uint64(1)
	for i := 0; i < 3; i++ {
		if l.Grid[i] == 0 || l.Block[i] == 0 {
			return errorf(ErrLaunch, op, l.Kernel, "empty launch (grid %v, block %v)", l.Grid, l.Block)
		}
		threads *= uint64(l.Block[i])
	}
	if threads > 1024 {
		return errorf(ErrLaunch, op, l.Kernel, "%d threads in a block, at most 1024", threads)
	}
	if l.Block[2] > 64 {
		return errorf(ErrLaunch, op, l.Kernel, "block %v: blockDim.z is at most 64", l.Block)
	}
	if uint64(l.Grid[0]) > math.MaxInt32 || l.Grid[1] > 65535 || l.Grid[2] > 65535 {
		return errorf(ErrLaunch, op, l.Kernel, "grid %v out of the CUDA limits", l.Grid)
	}
	if l.SharedBytes > MaxSharedBytes {
		return errorf(ErrLaunch, op, l.Kernel, "%d bytes of dynamic shared memory, at most %d", l.SharedBytes, MaxSharedBytes)
	}
	for i, a := range l.Args {
		if _, ok := argBits(a); !ok {
			return errorf(ErrLaunch, op, l.Kernel, "scalar argument %d has type %T, want an integer or a float", i, a)
		}
	}
	return nil
}

// ArgWords returns the 8-byte images of l.Args, as the kernel reads them:
// long long for integers, double for floats.
func (l Launch) ArgWords() ([]uint64, error) {
	words := make([]uint64, len(l.Args))
	for i, a := range l.Args {
		w, ok := argBits(a)
		if !ok {
			return nil, errorf(ErrLaunch, "Launch.ArgWords", l.Kernel, "scalar argument %d has type %T, want an integer or a float", i, a)
		}
		words[i] = w
	}
	return words, nil
}

// argBits is the 8-byte image of a scalar kernel argument: long long for
// integers, double for floats; ok is false for any other type.
func argBits(v any) (w uint64, ok bool) {
	switch x := v.(type) {
	case int:
		return uint64(int64(x)), true
	case int64:
		return uint64(x), true
	case uint64:
		return x, true
	case uint:
		return uint64(x), true
	case int32:
		return uint64(int64(x)), true
	case float64:
		return math.Float64bits(x), true
	case float32:
		return math.Float64bits(float64(x)), true
	}
	return 0, false
}

// bandArgs are the scalars of the two-operand kernels (mul, plus, times),
// in the kernels' parameter order.
func bandArgs(batch, n, la, ua, lb, ub int, s Semiring) []any {
	return []any{int64(batch), int64(n), int64(la), int64(ua), int64(lb), int64(ub), int64(s)}
}

// gradKernel is the base name of the backward kernel of a two-operand op
// with respect to operand wrt: op_bwd_a, op_bwd_b, or for another wrt a
// name no kernel has, so that the launch fails rather than runs the wrong
// gradient.
func gradKernel(op string, wrt int) string {
	switch wrt {
	case 0:
		return op + "_bwd_a"
	case 1:
		return op + "_bwd_b"
	}
	return fmt.Sprintf("%s_bwd_wrt%d", op, wrt)
}

// operandWidth is the band width of operand wrt (0 = A, 1 = B); B's for any
// other wrt, whose launch fails anyway.
func operandWidth(wrt, la, ua, lb, ub int) int {
	if wrt == 0 {
		return la + ua + 1
	}
	return lb + ub + 1
}
