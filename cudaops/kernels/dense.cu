// FromDense and ToDense (bandop/dense.go: fromDense, toDense): band storage
// from dense (batch, n, n) matrices and back. Each is the other's backward
// with fill 0, so the one kernel of each serves both directions. One thread
// per output element, in storage order: consecutive threads write
// consecutive slots and read consecutive columns.
#include "elementwise.cuh"

// fromdense_fwd writes band storage (batch, n, lower+upper+1): the dense
// entry of each valid slot, fill in the padding.
template <typename T>
__device__ __forceinline__ void fromdense_fwd(T* out, const T* d, long long batch, long long n,
                                                     long long lower, long long upper, double fill) {
    const long long w = lower + upper + 1, total = batch * n * w;
    for (gbe::Flat f = gbe::grid(total, w, n); f.ok(); f.next()) {
        const long long e = f.e, r = f.r, k = f.k, i = f.i;
        out[e] = gbe::valid(i, k, lower, n) ? d[r * n + i + k - lower] : (T)fill;
    }
}

// todense_fwd writes dense matrices (batch, n, n): the band's entry where
// column j is in row i's band, fill elsewhere.
template <typename T>
__device__ __forceinline__ void todense_fwd(T* out, const T* a, long long batch, long long n, long long lower,
                                                   long long upper, double fill) {
    const long long w = lower + upper + 1, total = batch * n * n;
    for (gbe::Flat f = gbe::grid(total, n, n); f.ok(); f.next()) {
        const long long e = f.e, r = f.r, j = f.k, i = f.i;
        const long long k = j - i + lower;
        out[e] = (k >= 0 && k < w) ? a[r * w + k] : (T)fill;
    }
}

extern "C" __global__ void fromdense_fwd_f32(float* out, const float* d, long long batch, long long n,
                                             long long lower, long long upper, double fill) {
    fromdense_fwd<float>(out, d, batch, n, lower, upper, fill);
}

extern "C" __global__ void fromdense_fwd_f64(double* out, const double* d, long long batch, long long n,
                                             long long lower, long long upper, double fill) {
    fromdense_fwd<double>(out, d, batch, n, lower, upper, fill);
}

extern "C" __global__ void todense_fwd_f32(float* out, const float* a, long long batch, long long n, long long lower,
                                           long long upper, double fill) {
    todense_fwd<float>(out, a, batch, n, lower, upper, fill);
}

extern "C" __global__ void todense_fwd_f64(double* out, const double* a, long long batch, long long n,
                                           long long lower, long long upper, double fill) {
    todense_fwd<double>(out, a, batch, n, lower, upper, fill);
}
