// Sum: the semiring sum of every entry of each matrix, a (batch) vector, and
// its gradient (bandop/sum.go: sumForward, sumBackward). A block per matrix
// (blocks loop over the batch, so the batch has no limit): its threads walk
// the matrix's slots in storage order (coalesced), each keeps a partial sum,
// and a shared-memory tree combines the partial sums.
#include "elementwise.cuh"

// SUM_THREADS is the largest block size of the Sum kernels, which size
// their shared arrays by it; the reductions run over blockDim.x, a power of
// two at most SUM_THREADS (cudaops.SumForward / SumBackward launch 256
// threads, 512 for large matrices: with sum_bwd's 66 registers a thread on
// sm_70, 1024 threads would not fit a multiprocessor's 65536 registers).
#define SUM_THREADS 512

// sum_merge merges the partial sum (m2, s2) into (m, s), both in
// gb::SemiringAcc's representation: Real adds, Max keeps the larger (NaN if
// either is NaN), Log merges two online logsumexps. A -Inf maximum is an
// empty sum, and an infinite or NaN maximum is the result by itself (no
// Inf - Inf).
template <typename T>
__device__ __forceinline__ void sum_merge(long long sr, T& m, T& s, T m2, T s2) {
    if (sr == gb::REAL) {
        m += m2;
        return;
    }
    if (sr == gb::MAX) {
        m = gb::nan_max(m, m2);
        return;
    }
    if (gb::is_neg_inf(m2)) {
        return;
    }
    if (gb::is_neg_inf(m) || m2 > m || m2 != m2) {
        const T tm = m, ts = s;
        m = m2;
        s = s2;
        m2 = tm;
        s2 = ts;
        if (gb::is_neg_inf(m2)) {
            return;
        }
    }
    if (m != m || m == T(INFINITY)) {
        return;
    }
    s += s2 * gb::fast_exp(m2 - m);
}

// sum_fwd writes r[b] = (+) of the valid slots of matrix b: Real adds, Max
// takes the largest (NaN if any is NaN, as the CPU's max), Log is an online
// logsumexp whose infinite maximum is the result itself. A matrix with no
// valid slot sums to the zero.
template <typename T>
__device__ __forceinline__ void sum_fwd(T* r, const T* a, long long batch, long long n, long long lower,
                                        long long upper, long long sr) {
    __shared__ T sm[SUM_THREADS];
    __shared__ T ss[SUM_THREADS];
    const long long w = lower + upper + 1, size = n * w;
    const int t = threadIdx.x;
    for (long long b = blockIdx.x; b < batch; b += gridDim.x) {
        const T* a0 = a + b * size;
        gb::SemiringAcc<T> acc(sr);
        for (gbe::Flat f(t, blockDim.x, size, w, n); f.ok(); f.next()) {
            const long long e = f.e, i = f.r, k = f.k;
            if (gbe::valid(i, k, lower, n)) {
                acc.add(sr, a0[e]);
            }
        }
        sm[t] = acc.l.m;
        ss[t] = acc.l.s;
        __syncthreads();
        for (int h = blockDim.x / 2; h > 0; h >>= 1) {
            if (t < h) {
                sum_merge(sr, sm[t], ss[t], sm[t + h], ss[t + h]);
            }
            __syncthreads();
        }
        if (t == 0) {
            acc.l.m = sm[0];
            acc.l.s = ss[0];
            r[b] = acc.value(sr);
        }
        __syncthreads(); // sm and ss are reused by the next matrix
    }
}

// sum_bwd writes the gradient of sum(dr * r) with respect to A: dr in every
// valid slot for Real, dr * exp(x - r) for Log (0 where r is -Inf), and for
// Max dr on the first valid slot in storage order (the dense row-major
// order, as the CPU's) that equals r. The padding gets 0, and the whole
// matrix 0 for a dr of 0. Max first finds that slot with a min-reduction.
template <typename T>
__device__ __forceinline__ void sum_bwd(T* g, const T* a, const T* r, const T* dr, long long batch,
                                               long long n, long long lower, long long upper, long long s) {
    __shared__ long long sfirst[SUM_THREADS];
    const long long w = lower + upper + 1, size = n * w;
    const int t = threadIdx.x;
    for (long long b = blockIdx.x; b < batch; b += gridDim.x) {
        const T* a0 = a + b * size;
        T* g0 = g + b * size;
        const T d = dr[b], rv = r[b];
        const bool live = d != T(0) && (s == gb::REAL || !gb::is_neg_inf(rv));
        long long first = size;
        if (s == gb::MAX) {
            if (live) {
                for (gbe::Flat f(t, blockDim.x, size, w, n); f.ok(); f.next()) {
                    const long long e = f.e, i = f.r, k = f.k;
                    if (gbe::valid(i, k, lower, n) && a0[e] == rv) {
                        first = e;
                        break;
                    }
                }
            }
            sfirst[t] = first;
            __syncthreads();
            for (int h = blockDim.x / 2; h > 0; h >>= 1) {
                if (t < h && sfirst[t + h] < sfirst[t]) {
                    sfirst[t] = sfirst[t + h];
                }
                __syncthreads();
            }
            first = sfirst[0];
            __syncthreads(); // sfirst is reused by the next matrix
        }
        for (gbe::Flat f(t, blockDim.x, size, w, n); f.ok(); f.next()) {
            const long long e = f.e, i = f.r, k = f.k;
            T out = T(0);
            if (live && gbe::valid(i, k, lower, n)) {
                if (s == gb::REAL) {
                    out = d;
                } else if (s == gb::LOG) {
                    out = d * (T)exp((double)a0[e] - (double)rv);
                } else if (e == first) {
                    out = d;
                }
            }
            g0[e] = out;
        }
    }
}

// The launches use up to 512 threads a block (sumLargeThreads in
// cudaops/sum.go); the bound keeps the driver's JIT for any newer GPU from
// giving a thread more registers than 512 of them can have.
extern "C" __global__ void __launch_bounds__(512)
sum_fwd_f32(float* r, const float* a, long long batch, long long n, long long lower, long long upper, long long s) {
    sum_fwd<float>(r, a, batch, n, lower, upper, s);
}

extern "C" __global__ void __launch_bounds__(512)
sum_fwd_f64(double* r, const double* a, long long batch, long long n, long long lower, long long upper, long long s) {
    sum_fwd<double>(r, a, batch, n, lower, upper, s);
}

extern "C" __global__ void __launch_bounds__(512)
sum_bwd_f32(float* g, const float* a, const float* r, const float* dr, long long batch, long long n, long long lower,
            long long upper, long long s) {
    sum_bwd<float>(g, a, r, dr, batch, n, lower, upper, s);
}

extern "C" __global__ void __launch_bounds__(512)
sum_bwd_f64(double* g, const double* a, const double* r, const double* dr, long long batch, long long n,
            long long lower, long long upper, long long s) {
    sum_bwd<double>(g, a, r, dr, batch, n, lower, upper, s);
}
