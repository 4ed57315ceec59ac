// emu.h: the CUDA emulation header. It lets g++ (C++17) compile the very
// kernel sources nvcc turns into PTX (cudaops/kernels/*.cu) and run them on
// the CPU with real block semantics (the launch side is emu.cc):
//
//   - Each thread of a block is a fiber (a user-space context with its own
//     64 KiB stack) and all the fibers of a block run on one OS thread,
//     one at a time, in thread order: a fiber runs until it reaches
//     __syncthreads or returns from the kernel, and only then does the next
//     one run. threadIdx is set for the fiber that runs; blockIdx, the
//     block's shared memory and its barrier belong to the OS thread.
//   - __syncthreads switches back to the block's scheduler; once every
//     fiber of the block that has not returned waits at it, the barrier
//     completes and they all run on to the next. A barrier that completes
//     after some threads of the block have returned from the kernel fails
//     the launch (on the GPU that is undefined behaviour).
//   - Blocks are independent (they share only global memory, and the
//     kernels' outputs are disjoint per block), so the blocks of a launch
//     are spread over a small pool of OS threads (at most GOMAXPROCS, the
//     calling thread included), each running whole blocks.
//   - __shared__ is `static thread_local`: one object per OS thread, hence
//     per running block. Dynamic shared memory (GB_DYNAMIC_SHARED in
//     common.cuh) is a per-OS-thread buffer, filled with NaN bytes (0xFF)
//     before each block so that reading a slot the block never wrote shows.
//   - gridDim and blockDim are the launch's.
//   - Math functions are the C library's (__expf is expf, ...); atomicAdd
//     uses the __atomic builtins.
//
// Only what this header provides may be used by kernels (see
// /tmp/gb/cuda.md and cudaops/geometry.go for the conventions).
#ifndef GENBAND_EMU_H
#define GENBAND_EMU_H

#define GB_EMULATION 1

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __align__(n) alignas(n)
#define __shared__ static thread_local
#define __launch_bounds__(...)

struct dim3 {
    unsigned int x = 1, y = 1, z = 1;
};
typedef dim3 uint3;

inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;

using std::exp;
using std::fabs;
using std::fmax;
using std::fmin;
using std::isinf;
using std::isnan;
using std::log;
using std::log1p;
using std::sqrt;

// The C library has expf, logf, log1pf, fmaxf, fminf; the CUDA intrinsics
// map onto them.
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }

// atomicAdd adds v to *p atomically and returns the old value.
template <typename T> inline T atomicAdd(T* p, T v) {
    T old;
    __atomic_load(p, &old, __ATOMIC_RELAXED);
    T sum;
    do {
        sum = old + v;
    } while (!__atomic_compare_exchange(p, &old, &sum, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    return old;
}

namespace gbemu {

// dynamic_buffer is the running block's dynamic shared memory.
inline thread_local unsigned char* dynamic_buffer = nullptr;

inline void* dynamic_shared() { return dynamic_buffer; }

// sync is __syncthreads: it returns when the barrier completes (emu.cc).
void sync();

// Word converts one 8-byte kernel argument to the parameter type it is
// passed as: a pointer, an integer (long long) or a double.
struct Word {
    uint64_t w;
    template <typename T> operator T() const {
        if constexpr (std::is_pointer<T>::value) {
            return reinterpret_cast<T>(static_cast<uintptr_t>(w));
        } else if constexpr (std::is_floating_point<T>::value) {
            double d;
            std::memcpy(&d, &w, sizeof d);
            return static_cast<T>(d);
        } else {
            return static_cast<T>(static_cast<int64_t>(w));
        }
    }
};

// Kernel is an entry of the generated kernel table (zkernels.cc).
struct Kernel {
    const char* name;
    int nargs;
    void (*call)(const uint64_t* words);
    int test_only; // from cudaops/emu/testdata: not in the PTX
};

// The kernel table, generated into zkernels.cc.
extern const Kernel table[];
extern const int table_len;

} // namespace gbemu

inline void __syncthreads() { gbemu::sync(); }

#endif
