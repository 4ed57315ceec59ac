// Test-only kernel of the emulator's GPU arithmetic (emu_test.go,
// TestArith). Compiled into the emulator's table, never into the PTX.
#include "../../kernels/common.cuh"

// emutest_arith: out[t] = __expf(a[t]) for t < n, and out[n + t] = a[t]·b[t]
// + c[t] (which nvcc contracts into one fma), for the emulated arithmetic.
extern "C" __global__ void emutest_arith(float* out, const float* a, const float* b, const float* c, long long n) {
    const long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t < n) {
        out[t] = __expf(a[t]);
        out[n + t] = a[t] * b[t] + c[t];
    }
}

// emutest_arith64: out[t] = a[t]·b[t] + c[t] in double (contracted too).
extern "C" __global__ void emutest_arith64(double* out, const double* a, const double* b, const double* c,
                                           long long n) {
    const long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t < n) out[t] = a[t] * b[t] + c[t];
}
