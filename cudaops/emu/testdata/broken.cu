// Deliberately broken kernels, for the emulator's own tests of its checks
// (emu_test.go, TestChecks*): each does one thing a GPU would not forgive,
// chosen by `what`, and is correct otherwise (every thread writes its
// element of out, the output of n elements, from in, an input of n).
// Compiled into the emulator's table, never into the PTX.
#include "../../kernels/common.cuh"

#include <cstring>

enum {
    BROKEN_NONE = 0,
    BROKEN_WRITE_BEFORE = 1,     // out[-1] = ...
    BROKEN_READ_PAST = 2,        // ... = in[n]
    BROKEN_WRITE_INPUT = 3,      // in[t] = ... through a cast
    BROKEN_READ_UNWRITTEN = 4,   // ... = out[t + 1] before thread t+1 wrote it
    BROKEN_SHARED_UNWRITTEN = 5, // reads a slot of dynamic shared memory no thread wrote (launched with one more)
    BROKEN_SHARED_PAST = 6,      // writes one element past the dynamic shared memory
    BROKEN_STATIC_UNWRITTEN = 7, // reads a static __shared__ slot no thread wrote
    BROKEN_MEMSET_PAST = 8,      // memset (not instrumented) past the end of out
    BROKEN_MEMCPY_INPUT = 9,     // memcpy (not instrumented) into an input
    BROKEN_DIVERGENT = 10,       // odd and even threads wait at different barriers
    BROKEN_NO_BARRIER = 11,      // reads the previous thread's shared slot with no barrier between
    BROKEN_WRITE_PAST_FAR = 12,  // out[n + 3]
    BROKEN_STATIC_PAST = 13,     // writes past a static __shared__ array (only under -asan: UBSan's bounds check)
};

// emutest_broken: out[t] = 2·in[t] (+ a neighbour's value through shared
// memory), t the global thread index, for t < n; blocks of blockDim.x
// threads with blockDim.x · sizeof(float) bytes of dynamic shared memory.
extern "C" __global__ void emutest_broken(float* out, const float* in, long long n, long long what) {
    GB_DYNAMIC_SHARED(float, sh);
    __shared__ float st[64];
    const long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const int x = threadIdx.x;
    const float v = t < n ? in[t] : 0.0f;
    sh[x] = v;
    if (x < 64) st[x] = v;
    if (what == BROKEN_NO_BARRIER) {
        // The previous thread's slot, read before the barrier: on a GPU
        // thread x-1 may not have written it yet. The emulator runs thread
        // x-1 before x, so the slot is written when x reads it: only the
        // ThreadSanitizer replay (make sanitize) sees the race.
        const float w = x > 0 ? sh[x - 1] : 0.0f;
        __syncthreads();
        if (t < n) out[t] = 2 * v + 0 * w;
        return;
    }
    __syncthreads();
    float extra = 0.0f;
    if (what == BROKEN_SHARED_UNWRITTEN && x == 0) extra = sh[blockDim.x];
    if (what == BROKEN_SHARED_PAST && x == 0) sh[blockDim.x] = 1.0f;
    if (what == BROKEN_STATIC_UNWRITTEN && x == 0) extra = st[63];
    if (what == BROKEN_STATIC_PAST && x == 0) st[x + 64] = 1.0f;
    if (what == BROKEN_DIVERGENT) {
        if (x % 2 == 0) {
            __syncthreads();
        } else {
            __syncthreads();
        }
    }
    if (t < n) {
        out[t] = 2 * v + 0 * extra;
        if (what == BROKEN_WRITE_BEFORE && t == 0) out[-1] = 1.0f;
        if (what == BROKEN_WRITE_PAST_FAR && t == 0) out[n + 3] = 1.0f;
        if (what == BROKEN_READ_PAST && t == 0) out[t] += 0 * in[n];
        if (what == BROKEN_WRITE_INPUT && t == 0) const_cast<float*>(in)[t] = 5.0f;
        if (what == BROKEN_READ_UNWRITTEN && t + 1 < n) out[t] += 0 * out[t + 1];
        // Through volatile pointers, so that the compiler calls the C
        // library's (uninstrumented) functions rather than storing inline.
        void* (*volatile set)(void*, int, size_t) = std::memset;
        void* (*volatile cpy)(void*, const void*, size_t) = std::memcpy;
        const float five = 5.0f;
        if (what == BROKEN_MEMSET_PAST && t == n - 1) set(out + n, 0, 8);
        if (what == BROKEN_MEMCPY_INPUT && t == 0) cpy(const_cast<float*>(in), &five, 4);
    }
}

// emutest_count: loops and barriers with trips and passes set by the
// arguments, for the coverage counts: each thread runs the outer loop
// `outer` times (with a barrier inside it) and, in each trip, the inner
// loop `inner` times; a barrier outside every loop passes once.
extern "C" __global__ void emutest_count(long long* out, long long outer, long long inner) {
    long long s = 0;
    __syncthreads();
    for (long long i = 0; i < outer; i++) {
        for (long long k = 0; k < inner; k++) s += k;
        __syncthreads();
    }
    out[(long long)blockIdx.x * blockDim.x + threadIdx.x] = s;
}
