// Helpers of the element-per-thread kernels (plus, times, sum, dense,
// transpose, shift). Those kernels walk their output in storage order with a
// grid-stride loop, so that consecutive threads write consecutive band slots
// (coalesced) and no grid dimension limits the batch.
#ifndef GENBAND_ELEMENTWISE_CUH
#define GENBAND_ELEMENTWISE_CUH

#include "common.cuh"

namespace gbe {

// Flat walks the elements e = start, start+stride, ... below total of an
// array of rows of w elements (band storage, or dense rows with w = n), and
// keeps e's row r = e / w, slot k = e % w and row within its matrix
// i = r % n up to date by additions: a 64-bit division costs dozens of
// instructions, more than a memory-bound kernel can spend per element, so
// it is done only when the walk starts.
struct Flat {
    long long e, r, k, i;
    long long total, w, n, stride, dr, dk, di;
    __device__ __forceinline__ Flat(long long start, long long stride_, long long total_, long long w_, long long n_)
        : e(start), total(total_), w(w_), n(n_), stride(stride_) {
        if (w < 1 || n < 1) { // no elements (bandop never launches this)
            e = total;
            r = k = i = dr = dk = di = 0;
            return;
        }
        r = e / w;
        k = e - r * w;
        i = r % n;
        dr = stride / w;
        dk = stride - dr * w;
        di = dr % n;
    }
    __device__ __forceinline__ bool ok() const { return e < total; }
    __device__ __forceinline__ void next() {
        e += stride;
        r += dr;
        k += dk;
        i += di;
        if (k >= w) {
            k -= w;
            r++;
            i++;
        }
        if (i >= n) {
            i -= n; // i < 2n here: i, di < n and one carry
        }
    }
};

// grid is the Flat walk of this thread over a whole launch: its first
// element is its global index, its stride the grid's size. The launches
// (cudaops' flat) cap the grid, so that each thread walks several elements
// and its divisions are spread over them.
__device__ __forceinline__ Flat grid(long long total, long long w, long long n) {
    return Flat((long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x,
                (long long)gridDim.x * (long long)blockDim.x, total, w, n);
}

// valid reports whether slot k of row i (band lower `lower`) holds a matrix
// entry: its column i+k-lower lies in [0, n). Other slots are padding.
__device__ __forceinline__ bool valid(long long i, long long k, long long lower, long long n) {
    const long long j = i + k - lower;
    return j >= 0 && j < n;
}

// logaddexp is log(exp(x)+exp(y)) in double, exactly as bandop's logAddExp
// computes it: -Inf (+) -Inf = -Inf, no overflow.
__device__ __forceinline__ double logaddexp(double x, double y) {
    if (x < y) {
        const double t = x;
        x = y;
        y = t;
    }
    if (gb::is_neg_inf(x)) {
        return x;
    }
    return x + log1p(exp(y - x));
}

} // namespace gbe

#endif // GENBAND_ELEMENTWISE_CUH
