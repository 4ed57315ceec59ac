// Helpers of the element-per-thread kernels (plus, times, sum, dense,
// transpose, shift). Those kernels walk their output in storage order with a
// grid-stride loop, so that consecutive threads write consecutive band slots
// (coalesced) and no grid dimension limits the batch.
#ifndef GENBAND_ELEMENTWISE_CUH
#define GENBAND_ELEMENTWISE_CUH

#include "common.cuh"

namespace gbe {

// first is the flat index of this thread's first output element, and
// stride the distance to its next one: the whole grid's size.
__device__ __forceinline__ long long first() {
    return (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x;
}

__device__ __forceinline__ long long stride() { return (long long)gridDim.x * (long long)blockDim.x; }

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
