// emu.h: the CUDA emulation header. It lets g++ (C++17) compile the very
// kernel sources nvcc turns into PTX (cudaops/kernels/*.cu) and run them on
// the CPU with real block semantics (the launch side is emu.cc, the checks
// of memory accesses emu_check.cc):
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
//     the launch (on the GPU that is undefined behaviour), and so does one
//     whose threads wait at different __syncthreads of the source (a
//     divergent barrier).
//   - Blocks are independent (they share only global memory, and the
//     kernels' outputs are disjoint per block), so the blocks of a launch
//     are spread over a small pool of OS threads (at most GOMAXPROCS, the
//     calling thread included), each running whole blocks.
//   - __shared__ is `static thread_local`: one object per OS thread, hence
//     per running block. Dynamic shared memory (GB_DYNAMIC_SHARED in
//     common.cuh) is a per-OS-thread buffer of exactly the launch's size
//     between guard bytes, filled with NaN bytes (0xFF) before each block.
//   - gridDim and blockDim are the launch's.
//
// The kernel unit (zkernels.cc, which defines GBEMU_KERNEL_UNIT before it
// includes this header) also gets the GPU's arithmetic and the checks:
//
//   - Multiply-adds are contracted into fused multiply-adds wherever the
//     compiler can (fp-contract=fast with the FMA instructions), as nvcc
//     does by default (--fmad=true). __expf is the GPU's: ex2.approx of
//     x·log2(e) rounded to float, with subnormal results flushed to zero
//     (gbemu::gpu_expf). expf, exp, logf, log, log1p are the C library's:
//     nvcc's are within an ulp or two of them too.
//   - Every load and store of the kernels is instrumented (g++'s
//     -fsanitize=thread instrumentation, with the emulator's own runtime in
//     emu_check.cc in place of ThreadSanitizer's): an access to a launch
//     buffer's guard bytes, a store into an input (a const pointer
//     parameter), a load of an output or scratch byte no thread has stored
//     in this launch, and a load of shared memory (dynamic or static) no
//     thread of the block has stored fails the launch and says where. The
//     build tag asan (go test -asan) turns the instrumentation off, since
//     AddressSanitizer instruments instead; so does GBEMU_TSAN, the
//     ThreadSanitizer replay (cudaops/emu/tsan).
//   - Each `for` loop of a kernel source counts its trips (the most one
//     thread made in one entry of the loop) and each __syncthreads its
//     passes (the most of one block), per launch, for the coverage check
//     (coverage.go).
//
// Only what this header provides may be used by kernels (see
// cudaops/geometry.go for the conventions).
#ifndef GENBAND_EMU_H
#define GENBAND_EMU_H

#define GB_EMULATION 1

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#if defined(GBEMU_KERNEL_UNIT) && !defined(GBEMU_NATIVE_ARITH)
// nvcc contracts a·b + c into one rounding (fma.rn) wherever it can; so does
// g++ with fp-contract=fast when the target has FMA (emu.cc refuses to
// launch on an x86-64 without it).
#pragma GCC optimize("fp-contract=fast")
#if defined(__x86_64__)
#pragma GCC target("fma")
#endif
#endif

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

namespace gbemu {

// gpu_expf is __expf as a GPU computes it: nvcc emits mul.f32 by log2(e)
// (0x3FB8AA3B) and ex2.approx.f32, so the argument is rounded to float
// first (the source of __expf's documented error of 2 + ⌊1.173·|x|⌋ ulp);
// 2^t is then taken to within an ulp (ex2.approx's own error is at most 2
// ulp), and a subnormal result is flushed to zero.
inline float gpu_expf(float x) {
    float t = x * 1.44269504088896340736f; // 0x3FB8AA3B
    float r = exp2f(t);
    if (std::fabs(r) < std::numeric_limits<float>::min()) r = 0.0f;
    return r;
}

} // namespace gbemu

#if defined(GBEMU_NATIVE_ARITH)
inline float __expf(float x) { return expf(x); }
#else
inline float __expf(float x) { return gbemu::gpu_expf(x); }
#endif
inline float __logf(float x) { return logf(x); }

// atomicAdd adds v to *p atomically and returns the old value. (The
// access checks count it as a store: an accumulation into a zeroed output
// is not a read of an unwritten byte.)
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

// Sites are the loops and __syncthreads of the kernel sources, numbered
// as they first run (emu.cc). site returns the number of the site at file:line
// of the given kind.
enum SiteKind { kLoop = 0, kBarrier = 1 };
int site(const char* file, int line, int kind);

// FiberCount is what a running CUDA thread counts for the coverage check:
// how many loops it is inside (a barrier inside a loop must pass twice) and
// where each site's counts go (the worker's per-site maxima).
struct Loop;
struct FiberCount {
    int depth = 0;
    unsigned* trips = nullptr; // indexed by site; the OS thread's maxima
    int sites = 0;             // length of trips
    // The innermost loop running (the GPU model's context, model.cc).
    // Volatile, as Loop::n: the model reads them from the access checks,
    // calls the compiler inserts after its loop optimizations, which would
    // otherwise keep them in registers or drop the stores as dead.
    Loop* volatile top = nullptr;
};
// fiber_count is the running fiber's (null outside a launch, and in the
// ThreadSanitizer replay, which counts nothing).
inline thread_local FiberCount* fiber_count = nullptr;

// record_trips raises site id's maximum to n (emu.cc; called when the
// worker's array is too short).
void record_trips(int id, unsigned n);

// Loop counts the trips of one entry of a loop.
// The loops a thread is inside are chained (innermost first): their sites
// and trip numbers say which dynamic execution of an access this is.
struct Loop {
    int id;
    volatile unsigned n = 0;
    bool first = true;
    Loop* up = nullptr;
    explicit Loop(int id_) : id(id_) {
        if (FiberCount* c = fiber_count) {
            c->depth++;
            up = c->top;
            c->top = this;
        }
    }
    ~Loop() {
        if (FiberCount* c = fiber_count) {
            c->depth--;
            c->top = up;
            if (id < c->sites) {
                if (n + 1 > c->trips[id]) c->trips[id] = n + 1; // 0: never entered
            } else {
                record_trips(id, n + 1);
            }
        }
    }
    bool once() { return first ? (first = false, true) : false; }
    void trip() { n = n + 1; }
};

// sync is __syncthreads at site id: it returns when the barrier completes
// (emu.cc).
void sync(int id);

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
    int test_only;      // from cudaops/emu/testdata: not in the PTX
    const char* params; // a letter a parameter (kgen.Kernel.Params)
};

// The kernel table, generated into zkernels.cc.
extern const Kernel table[];
extern const int table_len;

} // namespace gbemu

// GBEMU_SITE(kind) is the number of the site where it is written.
#define GBEMU_SITE(kind)                                                  \
    ([]() {                                                               \
        static const int gbemu_site_ = ::gbemu::site(__FILE__, __LINE__, kind); \
        return gbemu_site_;                                               \
    }())

#define __syncthreads() ::gbemu::sync(GBEMU_SITE(::gbemu::kBarrier))

#if defined(GBEMU_KERNEL_UNIT) && !defined(GBEMU_TSAN)
// Every `for` of the kernel sources counts its trips: an outer loop that
// runs once holds the entry's counter, and the body is reached through an
// if whose condition counts a trip. break, continue and return behave as
// before (the counter's destructor records the entry's trips).
#define for(...)                                                                  \
    for (::gbemu::Loop gbemu_loop_(GBEMU_SITE(::gbemu::kLoop)); gbemu_loop_.once();) \
        for (__VA_ARGS__)                                                         \
            if ((gbemu_loop_.trip(), false)) {                                    \
            } else
#endif

#endif
