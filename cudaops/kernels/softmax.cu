// softmax.cu: Softmax and LogSoftmax over each row's in-band entries, and
// their gradients (bandop/softmax.go). Entries outside the band are absent
// and padding is never read; a row whose entries are all −Inf has no
// distribution: 0 (−Inf for the log-softmax) and a gradient of 0. One
// thread per row, in blocks of 256 along x (cudaops.Linear); every slot of
// the output is written, padding included (0 or −Inf, the result's fill;
// 0 for the gradient).
#include "common.cuh"

namespace gb {

template <typename T>
__device__ void softmax_fwd(T* y, const T* a, long long batch, long long n, long long lower, long long upper,
                            long long lg) {
    const long long w = lower + upper + 1;
    const long long row = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (row >= batch * n) return;
    const long long i = row % n, lo = valid_lo(i, n, lower, w), hi = valid_hi(i, n, lower, w);
    const T fill = lg ? neg_inf<T>() : T(0);
    const T* x = a + row * w;
    T* yr = y + row * w;
    T m = neg_inf<T>();
    // A thread walks its row's w slots, the rows of a warp w elements
    // apart: about 30 sectors a request where 3.8 would do, in every loop
    // of the forward and of softmax_bwd (float, n = 256, a band of 33; the
    // GPU model in BENCHMARKS.md). Coalescing them needs a warp (or a
    // group of lanes) per row, with shuffle reductions for the maximum and
    // the sums, or the block's rows staged through shared memory as
    // mulvec_fwd stages A's: not done yet.
    for (long long k = lo; k < hi; k++) m = nan_max(m, x[k]);
    if (is_neg_inf(m)) {
        for (long long k = 0; k < w; k++) yr[k] = fill;
        return;
    }
    T sum = T(0);
    for (long long k = lo; k < hi; k++) sum += fast_exp(x[k] - m);
    const T ls = precise_log(sum), inv = T(1) / sum;
    for (long long k = 0; k < w; k++) {
        T out = fill;
        if (k >= lo && k < hi) out = lg ? x[k] - m - ls : fast_exp(x[k] - m) * inv;
        yr[k] = out;
    }
}

// softmax_bwd: dA = Y∘(dY − Σ Y·dY) (an entry of probability 0 gets 0), or
// for the log-softmax dA = dY − e^Y·Σ dY; a term whose dY is 0 adds
// nothing to a row's sum.
template <typename T>
__device__ void softmax_bwd(T* g, const T* y, const T* dy, long long batch, long long n, long long lower,
                            long long upper, long long lg) {
    const long long w = lower + upper + 1;
    const long long row = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (row >= batch * n) return;
    const long long i = row % n, lo = valid_lo(i, n, lower, w), hi = valid_hi(i, n, lower, w);
    const T* yr = y + row * w;
    const T* d = dy + row * w;
    T* gr = g + row * w;
    T sum = T(0), live = T(0);
    // A row a thread, as the forward: about 30 sectors a request where 3.8
    // would do (the comment in softmax_fwd).
    for (long long k = lo; k < hi; k++) {
        if (lg) {
            live = nan_max(live, exp(yr[k]));
            if (d[k] != T(0)) sum += d[k];
        } else {
            live = nan_max(live, yr[k]);
            if (d[k] != T(0) && yr[k] != T(0)) sum += d[k] * yr[k];
        }
    }
    for (long long k = 0; k < w; k++) {
        T out = T(0);
        if (k >= lo && k < hi && live != T(0)) {
            if (lg) {
                const T p = exp(yr[k]);
                out = p == T(0) ? d[k] : d[k] - p * sum;
            } else if (yr[k] != T(0)) {
                out = yr[k] * (d[k] - sum);
            }
        }
        gr[k] = out;
    }
}

} // namespace gb

// Entry points. Pointers: the output, then A (the forward) or Y, dY (the
// gradient). Scalars: batch, n, lower, upper, log (1 for LogSoftmax).
extern "C" __global__ void softmax_fwd_f32(float* y, const float* a, long long batch, long long n, long long lower,
                                           long long upper, long long lg) {
    gb::softmax_fwd<float>(y, a, batch, n, lower, upper, lg);
}
extern "C" __global__ void softmax_fwd_f64(double* y, const double* a, long long batch, long long n, long long lower,
                                           long long upper, long long lg) {
    gb::softmax_fwd<double>(y, a, batch, n, lower, upper, lg);
}
extern "C" __global__ void softmax_bwd_f32(float* g, const float* y, const float* dy, long long batch, long long n,
                                           long long lower, long long upper, long long lg) {
    gb::softmax_bwd<float>(g, y, dy, batch, n, lower, upper, lg);
}
extern "C" __global__ void softmax_bwd_f64(double* g, const double* y, const double* dy, long long batch, long long n,
                                           long long lower, long long upper, long long lg) {
    gb::softmax_bwd<double>(g, y, dy, batch, n, lower, upper, lg);
}
