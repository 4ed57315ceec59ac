// bandmul.cu: BandMul, the band (lower, upper) of Q·Kᵀ for dense Q, K of
// shape (batch, n, d), and its gradients (bandop/bandmul.go). One thread per
// output element, in blocks of 256 along x (cudaops.Linear); every output
// element is written, padding included, and the padding of the incoming
// gradient is never read.
#include "common.cuh"

namespace gb {

// bandmul_fwd: c[b,i,k] = Σ_t Q[b,i,t]·K[b,j,t], j = i + k − lower, for the
// valid slots, 0 in the padding. One thread per slot of C.
template <typename T>
__device__ void bandmul_fwd(T* c, const T* q, const T* k, long long batch, long long n, long long lower,
                            long long upper, long long d) {
    const long long w = lower + upper + 1;
    const long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= batch * n * w) return;
    const long long s = e % w, row = e / w, i = row % n;
    T acc = T(0);
    if (s >= valid_lo(i, n, lower, w) && s < valid_hi(i, n, lower, w)) {
        const T* qr = q + row * d;
        const T* kr = k + (row + s - lower) * d;
        // Each thread walks its own rows of Q and K: the threads of a warp
        // read d elements apart, a sector each, 30.8 sectors a request
        // where 3.9 would do (float, n = 256, d = 64, a band of 33; the
        // GPU model in BENCHMARKS.md), nearly all of the forward's
        // requests. Coalescing it needs a warp per output row (its lanes
        // splitting t, then a shuffle reduction) or Q's row and K's band
        // of rows staged through shared memory, as mulvec_fwd stages A's:
        // not done yet.
        for (long long t = 0; t < d; t++) acc += qr[t] * kr[t];
    }
    c[e] = acc;
}

// bandmul_bwd_q: dQ[b,i,t] = Σ_k G[b,i,k]·K[b,j,t] over the valid slots k
// of row i (ascending), a slot whose G is 0 adding nothing.
template <typename T>
__device__ void bandmul_bwd_q(T* g, const T* q, const T* k, const T* dc, long long batch, long long n,
                              long long lower, long long upper, long long d) {
    const long long w = lower + upper + 1;
    const long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= batch * n * d) return;
    const long long t = e % d, row = e / d, i = row % n;
    const long long lo = valid_lo(i, n, lower, w), hi = valid_hi(i, n, lower, w);
    T acc = T(0);
    for (long long s = lo; s < hi; s++) {
        const T gv = dc[row * w + s];
        if (gv != T(0)) acc += gv * k[(row + s - lower) * d + t];
    }
    g[e] = acc;
}

// bandmul_bwd_k: dK[b,j,t] = Σ_i G[b,i,j−i+lower]·Q[b,i,t] over the rows i
// whose band holds column j (ascending), a slot whose G is 0 adding
// nothing.
template <typename T>
__device__ void bandmul_bwd_k(T* g, const T* q, const T* k, const T* dc, long long batch, long long n,
                              long long lower, long long upper, long long d) {
    const long long w = lower + upper + 1;
    const long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= batch * n * d) return;
    const long long t = e % d, row = e / d, j = row % n, b = row / n;
    const long long iLo = j - upper > 0 ? j - upper : 0;
    const long long iHi = j + lower < n - 1 ? j + lower : n - 1;
    T acc = T(0);
    for (long long i = iLo; i <= iHi; i++) {
        const T gv = dc[(b * n + i) * w + j - i + lower];
        if (gv != T(0)) acc += gv * q[(b * n + i) * d + t];
    }
    g[e] = acc;
}

} // namespace gb

// Entry points. Pointers: the output, then Q, K (and dC for the
// gradients). Scalars: batch, n, lower, upper (the result's band), d.
extern "C" __global__ void bandmul_fwd_f32(float* c, const float* q, const float* k, long long batch, long long n,
                                           long long lower, long long upper, long long d) {
    gb::bandmul_fwd<float>(c, q, k, batch, n, lower, upper, d);
}
extern "C" __global__ void bandmul_fwd_f64(double* c, const double* q, const double* k, long long batch, long long n,
                                           long long lower, long long upper, long long d) {
    gb::bandmul_fwd<double>(c, q, k, batch, n, lower, upper, d);
}
extern "C" __global__ void bandmul_bwd_q_f32(float* g, const float* q, const float* k, const float* dc, long long batch,
                                             long long n, long long lower, long long upper, long long d) {
    gb::bandmul_bwd_q<float>(g, q, k, dc, batch, n, lower, upper, d);
}
extern "C" __global__ void bandmul_bwd_q_f64(double* g, const double* q, const double* k, const double* dc,
                                             long long batch, long long n, long long lower, long long upper,
                                             long long d) {
    gb::bandmul_bwd_q<double>(g, q, k, dc, batch, n, lower, upper, d);
}
extern "C" __global__ void bandmul_bwd_k_f32(float* g, const float* q, const float* k, const float* dc, long long batch,
                                             long long n, long long lower, long long upper, long long d) {
    gb::bandmul_bwd_k<float>(g, q, k, dc, batch, n, lower, upper, d);
}
extern "C" __global__ void bandmul_bwd_k_f64(double* g, const double* q, const double* k, const double* dc,
                                             long long batch, long long n, long long lower, long long upper,
                                             long long d) {
    gb::bandmul_bwd_k<double>(g, q, k, dc, batch, n, lower, upper, d);
}
