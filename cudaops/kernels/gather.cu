// Gather (bandop/gather.go): a fixed rearrangement of a tensor, used by
// package align to lay out its step matrices. out[e] = x[index[e]] when
// index[e] >= 0, else the constant consts[-index[e]-1] (converted to T as
// the CPU converts it). Its backward, the scatter, adds each element of the
// output gradient into the input element it read; it runs from the map's
// transpose in CSR form (cudaops.ScatterPlan): input element i sums
// g[readers[k]] for k in [start[i], start[i+1]), readers ascending, so each
// sum is a private loop in the CPU's order (no atomics, bit-identical
// results). Both walk their output with a grid-stride loop, one element
// per thread: writes are coalesced, reads follow the map.
#include "common.cuh"

namespace gbgather {

__device__ __forceinline__ long long first() {
    return (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x;
}

__device__ __forceinline__ long long stride() { return (long long)gridDim.x * (long long)blockDim.x; }

template <typename T>
__device__ __forceinline__ void fwd(T* out, const T* x, const int* index, const double* consts, long long total) {
    for (long long e = first(); e < total; e += stride()) {
        const long long ix = index[e];
        // x[ix] follows the map: consecutive outputs read elements of x far
        // apart, so each lane takes a sector of its own: 5.45× the ideal
        // (18.0 a request where 3.3 would do, float; 2.8× in float64; the GPU
        // model in BENCHMARKS.md), over a quarter of the requests. Coalescing
        // it needs the reads in x's order, which the map (align's layout of
        // its step matrices) does not give: a map sorted by source with the
        // writes scattered instead, or x staged in shared memory where a
        // block's sources fall in a window. Not done yet.
        out[e] = ix >= 0 ? x[ix] : (T)consts[-ix - 1];
    }
}

template <typename T>
__device__ __forceinline__ void bwd(T* gx, const T* g, const int* start, const int* readers, long long nin) {
    for (long long i = first(); i < nin; i += stride()) {
        T acc = T(0);
        for (long long k = start[i]; k < start[i + 1]; ++k) {
            // Each lane walks its own run of readers: readers[k] of
            // consecutive inputs are their runs' lengths apart (2.5× the
            // ideal, 3.9 a request where 1.5 would do) and g[readers[k]]
            // follows the map (4.6×, 7.1 where 1.5 would do, float; the GPU
            // model in BENCHMARKS.md), a third of the requests each; runs of
            // unequal length leave lanes idle (diverg 0.99). The readers
            // could be stored interleaved (the k-th reader of consecutive
            // inputs adjacent, runs padded to the block's longest); g's
            // reads stay the map's. A warp per input would coalesce both
            // but change the order of the sum (the CPU's bits). Not done yet.
            acc += g[readers[k]];
        }
        gx[i] = acc;
    }
}

} // namespace gbgather

extern "C" __global__ void gather_fwd_f32(float* out, const float* x, const int* index, const double* consts,
                                          long long total) {
    gbgather::fwd<float>(out, x, index, consts, total);
}

extern "C" __global__ void gather_fwd_f64(double* out, const double* x, const int* index, const double* consts,
                                          long long total) {
    gbgather::fwd<double>(out, x, index, consts, total);
}

extern "C" __global__ void gather_bwd_f32(float* gx, const float* g, const int* start, const int* readers,
                                          long long nin) {
    gbgather::bwd<float>(gx, g, start, readers, nin);
}

extern "C" __global__ void gather_bwd_f64(double* gx, const double* g, const int* start, const int* readers,
                                          long long nin) {
    gbgather::bwd<double>(gx, g, start, readers, nin);
}
