// Package cudaops holds genband's CUDA kernels and what launches them.
//
// The kernels are CUDA C in kernels/*.cu, one file per bandop Op (shift.cu
// serves Reband, RowShift and ColShift, which share one Op), each with
// extern "C" entry points named <op>_<fwd|bwd_…>_<f32|f64>. nvcc 11.8 turns
// them into one PTX module for compute_70 (make ptx), which is committed in
// ptx/genband.ptx and embedded: Module returns it and Kernels lists its
// entry points. The driver JIT-compiles it for whatever GPU it finds.
//
// For each kernel a constructor (MulForward, MulBackward, TransposeForward,
// …) returns its Launch: the entry name, grid, block, dynamic shared memory
// and scalar arguments for given shapes. The same constructor serves two
// callers, so that what is tested is what runs:
//
//   - under the cuda build tag, each bandop Op's CUDADo (bandop/*_cuda.go)
//     launches it through Gorgonia's CUDA engine (Launch.Run), and Device
//     runs kernels without Gorgonia for tests and benchmarks;
//   - without the tag, package emu compiles the very same .cu files with g++
//     and runs the launch on the CPU (a thread per CUDA thread, blocks in
//     sequence, __syncthreads as a barrier); bandop's *_emu_test.go compare
//     every kernel with bandop's CPU code.
//
// cudaops imports nothing of bandop: bandop imports cudaops, and only in its
// cuda-tagged files.
package cudaops
