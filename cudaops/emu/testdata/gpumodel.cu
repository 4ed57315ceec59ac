// Test-only kernels of the GPU memory model (model_test.go): each has one
// global load and one global store (and the bank kernels one shared store
// and one shared load) whose warp requests the test knows exactly.
#include "../../kernels/common.cuh"

// emutest_model_copy: out[t] = in[t·stride + offset] for t < n: stride 1
// coalesced, 2 and 8 strided, 0 a broadcast; offset 1 misaligned; an n
// that ends inside a warp leaves its last threads inactive.
template <typename T>
__device__ void emutest_model_copy(T* out, const T* in, long long n, long long stride, long long offset) {
    const long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t < n) out[t] = in[t * stride + offset];
}

extern "C" __global__ void emutest_model_copy_f32(float* out, const float* in, long long n, long long stride,
                                                  long long offset) {
    emutest_model_copy(out, in, n, stride, offset);
}

extern "C" __global__ void emutest_model_copy_f64(double* out, const double* in, long long n, long long stride,
                                                  long long offset) {
    emutest_model_copy(out, in, n, stride, offset);
}

// emutest_model_banks: thread t stores t at word t·stride of the dynamic
// shared memory, then (after a barrier) out[t] = s[(t·stride) mod size]
// of the words, read back: stride 1 and 33 conflict-free, 2 two-way, 32
// 32-way, 0 a broadcast. One block; size = blockDim·max(stride, 1) words.
template <typename T> __device__ void emutest_model_banks(T* out, long long stride) {
    GB_DYNAMIC_SHARED(T, s);
    const long long t = threadIdx.x;
    s[t * stride] = (T)t;
    __syncthreads();
    out[t] = s[t * stride];
}

extern "C" __global__ void emutest_model_banks_f32(float* out, long long stride) { emutest_model_banks(out, stride); }

extern "C" __global__ void emutest_model_banks_f64(double* out, long long stride) {
    emutest_model_banks(out, stride);
}

// emutest_model_loop: out[t] = Σ in[k·32 + t] over the trips k < 4 with
// t + k even, a load inside a branch inside a loop: on a GPU each trip is
// one request of the half of the warp whose parity matches (16 threads,
// stride 2: 4 sectors where 2 would do, divergent), and the model must
// group it by trip, not by how often each thread has loaded.
extern "C" __global__ void emutest_model_loop(float* out, const float* in) {
    const long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    float acc = 0;
    for (int k = 0; k < 4; k++) {
        if ((t + k) % 2 == 0) acc += in[k * 32 + t];
    }
    out[t] = acc;
}

// emutest_model_twice: out[t] = in[t] + in[32 + t] through a function the
// compiler may not inline, so that both loads are one site (one address
// of code) reached twice by each thread in the same loop context: on a
// GPU two requests of the whole warp, coalesced.
__attribute__((noinline)) __device__ float emutest_model_at(const float* p, long long i) { return p[i]; }

extern "C" __global__ void emutest_model_twice(float* out, const float* in) {
    const long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    out[t] = emutest_model_at(in, t) + emutest_model_at(in, 32 + t);
}
