// Transpose (bandop/transpose.go): C = A^T, band (upper, lower), the same
// width w. In storage terms C.data[i, k] = A.data[i + k - upper, w - 1 - k];
// a slot whose source row is out of range is padding and gets the fill.
// Transpose is its own backward (fill 0), so this one kernel serves both.
// One thread per output slot, in storage order: writes are coalesced, reads
// walk an anti-diagonal of A's storage.
#include "elementwise.cuh"

template <typename T>
__device__ __forceinline__ void transpose_fwd(T* c, const T* a, long long batch, long long n, long long lower,
                                                     long long upper, double fill) {
    const long long w = lower + upper + 1, total = batch * n * w;
    for (long long e = gbe::first(); e < total; e += gbe::stride()) {
        const long long r = e / w, k = e - r * w, i = r % n;
        const long long src = i + k - upper; // A's row: C's column
        c[e] = (src >= 0 && src < n) ? a[(r - i + src) * w + (w - 1 - k)] : (T)fill;
    }
}

extern "C" __global__ void transpose_fwd_f32(float* c, const float* a, long long batch, long long n, long long lower,
                                             long long upper, double fill) {
    transpose_fwd<float>(c, a, batch, n, lower, upper, fill);
}

extern "C" __global__ void transpose_fwd_f64(double* c, const double* a, long long batch, long long n,
                                             long long lower, long long upper, double fill) {
    transpose_fwd<double>(c, a, batch, n, lower, upper, fill);
}
