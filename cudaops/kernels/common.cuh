// common.cuh: device helpers shared by every genband kernel, and the few
// portability macros that let the same source build with nvcc (PTX) and
// with g++ under the CPU emulation header (cudaops/emu/emu.h, which defines
// GB_EMULATION).
//
// Conventions (see cudaops/geometry.go): pointers first (output, then the
// Op's inputs in order), then 64-bit scalars (long long, double); the
// semiring is a long long (0 Real, 1 Log, 2 Max); every output element is
// written, padding included; padding of inputs may hold NaN and must never
// reach a result.
#ifndef GENBAND_COMMON_CUH
#define GENBAND_COMMON_CUH

#ifndef GB_EMULATION
#include <math_constants.h>
#endif

// GB_DYNAMIC_SHARED(T, name) declares `T* name` pointing at the block's
// dynamic shared memory (Launch.SharedBytes bytes, 16-byte aligned): an
// extern __shared__ array under nvcc, the launch's per-block buffer under
// the emulator.
#ifdef GB_EMULATION
#define GB_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(gbemu::dynamic_shared())
#else
#define GB_DYNAMIC_SHARED(T, name)                                   \
    extern __shared__ __align__(16) unsigned char gb_dynamic_smem_[]; \
    T* name = reinterpret_cast<T*>(gb_dynamic_smem_)
#endif

namespace gb {

// The semirings, as kernels receive them: bandop.Semiring's values (Log is
// its zero value).
enum { LOG = 0, REAL = 1, MAX = 2 };

// neg_inf returns −Inf of T, the zero of the Log and Max semirings.
template <typename T> __device__ __forceinline__ T neg_inf() { return -T(INFINITY); }

// is_neg_inf reports whether x is −Inf.
template <typename T> __device__ __forceinline__ bool is_neg_inf(T x) { return x == neg_inf<T>(); }

// fast_exp is e^x: __expf (the special-function unit) for float, exp for
// double. Under emulation __expf is expf.
__device__ __forceinline__ float fast_exp(float x) { return __expf(x); }
__device__ __forceinline__ double fast_exp(double x) { return exp(x); }

// precise_log is log in T's precision.
__device__ __forceinline__ float precise_log(float x) { return logf(x); }
__device__ __forceinline__ double precise_log(double x) { return log(x); }

// zero returns the semiring's zero (the fill of a product): 0 for Real,
// −Inf for Log and Max.
template <typename T> __device__ __forceinline__ T zero(long long s) {
    return s == REAL ? T(0) : neg_inf<T>();
}

// times returns x ⊗ y: x·y for Real, x + y for Log and Max.
template <typename T> __device__ __forceinline__ T times(long long s, T x, T y) {
    return s == REAL ? x * y : x + y;
}

// nan_max returns the larger of m and x, NaN if either is NaN (as Go's
// builtin max, which the CPU path uses), and m on ties: a later equal term
// never replaces an earlier one.
template <typename T> __device__ __forceinline__ T nan_max(T m, T x) {
    return (x > m || x != x) ? x : m;
}

// LogSumExp is a one-pass (online) logsumexp accumulator. The state (m, s)
// stands for m + log(s): m is the largest term so far and s = Σ e^(t−m).
// Adding −Inf is a no-op (it never forms −Inf − (−Inf)), and a sum of only
// −Inf terms (or of none) stays (−Inf, 0), whose value is −Inf. Each add
// costs one exp: of the new term less the maximum, or of the old maximum
// less the new term when the maximum moves.
template <typename T> struct LogSumExp {
    T m, s;
    __device__ __forceinline__ LogSumExp() : m(neg_inf<T>()), s(T(0)) {}
    __device__ __forceinline__ void add(T x) {
        bool up = x > m;
        T e = fast_exp(up ? m - x : x - m);
        // x = −Inf with m = −Inf gives e = NaN: nothing to add. With m
        // finite, e is 0 anyway.
        e = is_neg_inf(x) ? T(0) : e;
        s = up ? s * e + T(1) : s + e;
        m = up ? x : m;
        // A NaN term poisons the sum (x > m is false for it).
        if (x != x) m = x;
    }
    // value returns m + log(s): −Inf for no terms or only −Inf terms.
    __device__ __forceinline__ T value() const {
        return is_neg_inf(m) ? m : m + precise_log(s);
    }
};

// SemiringAcc accumulates ⊕ of terms for any semiring chosen at run time:
// Real sums, Max takes the first maximum, Log uses LogSumExp. Kernels whose
// inner loop is hot branch on the semiring outside it instead.
template <typename T> struct SemiringAcc {
    LogSumExp<T> l; // Log: (m, s); Real: s is the sum; Max: m is the max
    __device__ __forceinline__ SemiringAcc(long long sr) {
        if (sr == REAL) l.m = T(0);
    }
    __device__ __forceinline__ void add(long long sr, T x) {
        if (sr == LOG) l.add(x);
        else if (sr == MAX) l.m = nan_max(l.m, x);
        else l.m += x;
    }
    __device__ __forceinline__ T value(long long sr) const { return sr == LOG ? l.value() : l.m; }
};

// valid_lo and valid_hi bound the band slots [lo, hi) of row i whose
// column i + k − lower lies in [0, n) (bandop's validSlots); lo ≥ hi when
// there are none.
__device__ __forceinline__ long long valid_lo(long long i, long long n, long long lower, long long w) {
    long long lo = lower - i;
    return lo < 0 ? 0 : (lo > w ? w : lo);
}
__device__ __forceinline__ long long valid_hi(long long i, long long n, long long lower, long long w) {
    long long lo = valid_lo(i, n, lower, w);
    long long hi = lower - i + n;
    hi = hi > w ? w : hi;
    return hi < lo ? lo : hi;
}

// ceil_div returns ⌈a / b⌉ for a ≥ 0, b > 0.
__device__ __forceinline__ long long ceil_div(long long a, long long b) { return (a + b - 1) / b; }

} // namespace gb

#endif
