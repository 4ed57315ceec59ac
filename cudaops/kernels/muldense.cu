// muldense.cu: MulDense, R = A ⊗ V for banded A (batch, n, n) and dense V
// (batch, n, d) in any semiring, and its gradients (bandop/muldense.go).
// Column t of R is MulVec of column t of V, and the rules are MulVec's
// (vecmul.cu): terms in ascending j, a Log or Max result of −Inf passing no
// gradient, Max's gradient to the first maximal term only, a term whose
// incoming gradient is 0 adding nothing. One thread per output element, in
// blocks of 256 along x (cudaops.Linear); consecutive threads take
// consecutive columns t, whose reads of V and R are neighbours.
#include "common.cuh"

namespace gb {

// md_first reports whether slot s of A's row `row` is the first of the
// row's valid slots [lo, s] whose term A[row,s2] ⊗ V[j2,t] equals rv, given
// that its own does.
template <typename T>
__device__ __forceinline__ bool md_first(const T* a, const T* v, long long row, long long lo, long long s,
                                         long long lower, long long w, long long d, long long t, T rv) {
    // Only the lanes whose term is maximal get here, scattered over the
    // warp's columns t: in muldense_bwd_v V's read touches up to the 4
    // sectors of the warp's 32 columns for a few lanes, 2.2× the ideal (2.5
    // a request where 1.1 would do, float; the GPU model in BENCHMARKS.md),
    // a quarter of the requests. The cost is the divergence, not the layout:
    // reading in every lane would be 1.0× but move more sectors. Left as is.
    for (long long s2 = lo; s2 < s; s2++)
        if (a[row * w + s2] + v[(row + s2 - lower) * d + t] == rv) return false;
    return true;
}

// md_term_grad returns dv times the derivative of output (row, t) with
// respect to the A factor (wrtV false) or the V factor (true) of its term
// in slot s, av ⊗ vv; 0 where the term adds nothing.
template <typename T>
__device__ __forceinline__ T md_term_grad(long long sr, bool wrtV, const T* a, const T* v, long long row, long long lo,
                                          long long s, long long lower, long long w, long long d, long long t, T av,
                                          T vv, T rv, T dv) {
    if (dv == T(0)) return T(0);
    if (sr == REAL) return wrtV ? dv * av : dv * vv;
    if (is_neg_inf(rv)) return T(0);
    if (sr == LOG) {
        const T p = exp(av + vv - rv);
        return p == T(0) ? T(0) : dv * p;
    }
    return (av + vv == rv && md_first(a, v, row, lo, s, lower, w, d, t, rv)) ? dv : T(0);
}

// muldense_fwd: R[b,i,t] = ⊕ over the valid slots s of row i of
// A[b,i,s] ⊗ V[b,i+s−lower,t]; the zero for a row with none.
template <typename T>
__device__ void muldense_fwd(T* r, const T* a, const T* v, long long batch, long long n, long long lower,
                             long long upper, long long d, long long sr) {
    const long long w = lower + upper + 1;
    const long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= batch * n * d) return;
    const long long t = e % d, row = e / d, i = row % n;
    const long long lo = valid_lo(i, n, lower, w), hi = valid_hi(i, n, lower, w);
    SemiringAcc<T> acc(sr);
    if (sr == REAL) {
        T sum = T(0);
        for (long long s = lo; s < hi; s++) sum += a[row * w + s] * v[(row + s - lower) * d + t];
        acc.l.m = sum;
    } else {
        for (long long s = lo; s < hi; s++) acc.add(sr, a[row * w + s] + v[(row + s - lower) * d + t]);
    }
    r[e] = acc.value(sr);
}

// muldense_bwd_a: the gradient with respect to A, one thread per slot:
// Σ_t over the columns of its row. Padding gets 0.
template <typename T>
__device__ void muldense_bwd_a(T* g, const T* a, const T* v, const T* r, const T* dr, long long batch, long long n,
                               long long lower, long long upper, long long d, long long sr) {
    const long long w = lower + upper + 1;
    const long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= batch * n * w) return;
    const long long s = e % w, row = e / w, i = row % n;
    const long long lo = valid_lo(i, n, lower, w), hi = valid_hi(i, n, lower, w);
    T acc = T(0);
    if (s >= lo && s < hi) {
        const T av = a[e];
        const long long j = row + s - lower;
        // Consecutive threads are consecutive slots s, whose V rows j are d
        // elements apart: each lane's V[j, t] takes a sector of its own,
        // while r and dr are the row's, shared by its slots. The GPU model
        // (BENCHMARKS.md) files the three reads at one column: 2.95× the
        // ideal together (11.6 a request where 3.9 would do, float, d = 64;
        // 1.5× in float64), a third of the requests, V's about 32 sectors a
        // request and r's and dr's about one. Coalescing
        // it needs the block's band of V rows staged through shared memory a
        // chunk of columns t at a time (rows 256/w + w − 1, one per slot of
        // the block, × the chunk), or a thread per (slot, t) with the sum
        // over t reordered (not the CPU's bits). Not done yet.
        for (long long t = 0; t < d; t++)
            acc += md_term_grad(sr, false, a, v, row, lo, s, lower, w, d, t, av, v[j * d + t], r[row * d + t],
                                dr[row * d + t]);
    }
    g[e] = acc;
}

// muldense_bwd_v: the gradient with respect to V, one thread per element
// (j, t): Σ over the rows i whose band holds column j, ascending.
template <typename T>
__device__ void muldense_bwd_v(T* g, const T* a, const T* v, const T* r, const T* dr, long long batch, long long n,
                               long long lower, long long upper, long long d, long long sr) {
    const long long w = lower + upper + 1;
    const long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= batch * n * d) return;
    const long long t = e % d, rowj = e / d, j = rowj % n, b = rowj / n;
    const long long iLo = j - upper > 0 ? j - upper : 0;
    const long long iHi = j + lower < n - 1 ? j + lower : n - 1;
    const T vv = v[e];
    T acc = T(0);
    for (long long i = iLo; i <= iHi; i++) {
        const long long row = b * n + i, s = j - i + lower;
        acc += md_term_grad(sr, true, a, v, row, valid_lo(i, n, lower, w), s, lower, w, d, t, a[row * w + s], vv,
                            r[row * d + t], dr[row * d + t]);
    }
    g[e] = acc;
}

} // namespace gb

// Entry points. Pointers: the output, then A, V (and R, dR for the
// gradients). Scalars: batch, n, lower, upper (A's band), d, semiring.
extern "C" __global__ void muldense_fwd_f32(float* r, const float* a, const float* v, long long batch, long long n,
                                            long long lower, long long upper, long long d, long long s) {
    gb::muldense_fwd<float>(r, a, v, batch, n, lower, upper, d, s);
}
extern "C" __global__ void muldense_fwd_f64(double* r, const double* a, const double* v, long long batch, long long n,
                                            long long lower, long long upper, long long d, long long s) {
    gb::muldense_fwd<double>(r, a, v, batch, n, lower, upper, d, s);
}
extern "C" __global__ void muldense_bwd_a_f32(float* g, const float* a, const float* v, const float* r,
                                              const float* dr, long long batch, long long n, long long lower,
                                              long long upper, long long d, long long s) {
    gb::muldense_bwd_a<float>(g, a, v, r, dr, batch, n, lower, upper, d, s);
}
extern "C" __global__ void muldense_bwd_a_f64(double* g, const double* a, const double* v, const double* r,
                                              const double* dr, long long batch, long long n, long long lower,
                                              long long upper, long long d, long long s) {
    gb::muldense_bwd_a<double>(g, a, v, r, dr, batch, n, lower, upper, d, s);
}
extern "C" __global__ void muldense_bwd_v_f32(float* g, const float* a, const float* v, const float* r,
                                              const float* dr, long long batch, long long n, long long lower,
                                              long long upper, long long d, long long s) {
    gb::muldense_bwd_v<float>(g, a, v, r, dr, batch, n, lower, upper, d, s);
}
extern "C" __global__ void muldense_bwd_v_f64(double* g, const double* a, const double* v, const double* r,
                                              const double* dr, long long batch, long long n, long long lower,
                                              long long upper, long long d, long long s) {
    gb::muldense_bwd_v<double>(g, a, v, r, dr, batch, n, lower, upper, d, s);
}
