// emu.h: the CUDA emulation header. It lets g++ (C++17) compile the very
// kernel sources nvcc turns into PTX (cudaops/kernels/*.cu) and run them on
// the CPU with real block semantics:
//
//   - Each thread of a block is a pthread (created once per launch and
//     reused for every block); blocks run one after another, with a barrier
//     between blocks. threadIdx and blockIdx are thread_local; blockDim and
//     gridDim are the launch's.
//   - __syncthreads is a barrier across the block's threads (a pthread mutex
//     and condition variable). A thread that has returned from the kernel
//     counts as arrived, as on the GPU, so an early return of some threads
//     does not deadlock the others.
//   - __shared__ is `static`: a static local of the kernel function is one
//     object shared by all threads of the process, and since one block runs
//     at a time (and the Go side runs one launch at a time) it is exactly
//     the block's shared memory. Dynamic shared memory (GB_DYNAMIC_SHARED in
//     common.cuh) is a per-launch buffer, filled with NaN bytes (0xFF)
//     before each block so that reading a slot the block never wrote shows.
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
#include <pthread.h>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __align__(n) alignas(n)
#define __shared__ static
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

// Barrier is the block barrier: complete when every thread of the block has
// either arrived or exited the kernel.
struct Barrier {
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    unsigned total = 0, arrived = 0, exited = 0;
    unsigned long long generation = 0;

    void release_locked() {
        arrived = 0;
        generation++;
        pthread_cond_broadcast(&cv);
    }
    // wait blocks until the barrier completes.
    void wait() {
        pthread_mutex_lock(&mu);
        unsigned long long g = generation;
        if (++arrived + exited >= total) {
            release_locked();
        } else {
            while (g == generation) pthread_cond_wait(&cv, &mu);
        }
        pthread_mutex_unlock(&mu);
    }
    // exit marks the calling thread as gone until reset.
    void exit() {
        pthread_mutex_lock(&mu);
        exited++;
        if (arrived > 0 && arrived + exited >= total) release_locked();
        pthread_mutex_unlock(&mu);
    }
    // shrink lowers the number of threads the barrier waits for (threads
    // that were never started) without losing those already waiting.
    void shrink(unsigned threads) {
        pthread_mutex_lock(&mu);
        total = threads;
        if (arrived > 0 && arrived + exited >= total) release_locked();
        pthread_mutex_unlock(&mu);
    }
    // reset readies the barrier for a block of threads threads.
    void reset(unsigned threads) {
        pthread_mutex_lock(&mu);
        total = threads;
        arrived = exited = 0;
        pthread_mutex_unlock(&mu);
    }
};

inline Barrier block_barrier;
inline unsigned char* dynamic_buffer = nullptr;

inline void* dynamic_shared() { return dynamic_buffer; }

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

inline void __syncthreads() { gbemu::block_barrier.wait(); }

#endif
