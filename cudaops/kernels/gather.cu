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
        out[e] = ix >= 0 ? x[ix] : (T)consts[-ix - 1];
    }
}

template <typename T>
__device__ __forceinline__ void bwd(T* gx, const T* g, const int* start, const int* readers, long long nin) {
    for (long long i = first(); i < nin; i += stride()) {
        T acc = T(0);
        for (long long k = start[i]; k < start[i + 1]; ++k) {
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
