// Test-only kernels of the emulator itself (cudaops/emu/emu_test.go). They
// are compiled into the emulator (its kernel table marks them test-only) but
// not into the PTX: kgen leaves testdata out of kernels/genband.cu.
#include "../../kernels/common.cuh"

// emutest_reduce: out[b] = Σ in[b·n .. b·n+n), one block per b, a tree
// reduction in dynamic shared memory with __syncthreads. blockDim.x must be
// a power of two; each thread first sums a strided slice.
template <typename T> __device__ void emutest_reduce(T* out, const T* in, long long n) {
    GB_DYNAMIC_SHARED(T, part);
    const T* row = in + (long long)blockIdx.x * n;
    T acc = 0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) acc += row[i];
    part[threadIdx.x] = acc;
    __syncthreads();
    for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) part[threadIdx.x] += part[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = part[0];
}

extern "C" __global__ void emutest_reduce_f64(double* out, const double* in, long long n) {
    emutest_reduce(out, in, n);
}

// emutest_early: threads at or past `live` return at once; the others meet
// at __syncthreads (which must not wait for the returned ones) and then
// write their block-wide static shared value. Also checks the indices and
// dimensions: out[t] = blockIdx.x·1000 + (scale + the block's thread count).
extern "C" __global__ void emutest_early(long long* out, long long live, double scale) {
    __shared__ long long total;
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if ((long long)threadIdx.x >= live) return;
    if (threadIdx.x == 0) total = (long long)scale + blockDim.x * blockDim.y * blockDim.z;
    __syncthreads();
    out[t] = blockIdx.x * 1000 + total;
}
