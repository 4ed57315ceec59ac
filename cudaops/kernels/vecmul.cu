// vecmul.cu: the vector-matrix products of bandop: VecMul r = v ⊗ A
// (r[b,j] = ⊕_i v[b,i] ⊗ A[b,i,j]) and MulVec r = A ⊗ v
// (r[b,i] = ⊕_j A[b,i,j] ⊗ v[b,j]), and their gradients (bandop's
// vecGradOp). Both reduce to one form, as in bandop's vecSpanCol and
// vecSpanRow: output o gathers cnt terms v[v0+t] ⊗ A[a0+t·step], walking
// down column j of A (VecMul, a step of w − 1 slots) or along row i
// (MulVec, a step of 1).
//
// One thread per output element, in blocks of 256 along x; blockIdx.x
// counts (batch, tile) together, so batch has no limit of its own. Threads
// of a warp take consecutive outputs, whose walks read neighbouring slots.
#include "common.cuh"

namespace gb {

// VecSpan is the walk of one output: cnt terms v[v0+t] ⊗ A[a0+t·step].
struct VecSpan {
    long long v0, a0, step, cnt;
};

// vec_span returns the terms of output o = b·n + x (bandop's vecSpanCol and
// vecSpanRow).
template <bool LEFT> __device__ __forceinline__ VecSpan vec_span(long long o, long long n, long long lower, long long upper) {
    const long long w = lower + upper + 1, b = o / n, x = o % n;
    VecSpan s;
    if (LEFT) {
        long long iLo = x - upper > 0 ? x - upper : 0;
        long long iHi = x + lower < n - 1 ? x + lower : n - 1;
        if (iHi < iLo) {
            s.v0 = s.a0 = s.step = s.cnt = 0;
            return s;
        }
        s.v0 = b * n + iLo;
        s.a0 = (b * n + iLo) * w + x - iLo + lower;
        s.step = w - 1;
        s.cnt = iHi - iLo + 1;
        return s;
    }
    const long long kLo = valid_lo(x, n, lower, w), kHi = valid_hi(x, n, lower, w);
    s.v0 = b * n + x + kLo - lower;
    s.a0 = o * w + kLo;
    s.step = 1;
    s.cnt = kHi - kLo;
    return s;
}

// vec_fwd computes r: one online ⊕ per output, terms in ascending t (the
// CPU's order). Padding of A is never read.
//
// VecMul walks a column of A: output o's terms are the rows i of its
// column, so a thread-by-thread walk would have the 32 threads of a warp
// (consecutive columns) read 32 different rows at each step, a stride of
// w slots (a sector a thread: 8× the ideal for float). Instead the threads
// of a warp walk the same global rows g = b·n + i in step, from the first
// any of them uses to the last (g0 … g1, w + 31 rows), each adding the
// term of row g when g is one of its own; at each step the warp then reads
// consecutive slots of one row of A (coalesced) and one element of v (a
// broadcast). The terms of each output keep their order, so the sums are
// the same bit for bit. The cost: w + 31 steps a warp instead of w, of
// which each thread uses its w (narrow bands spend most steps idle).
// MulVec's walk along a row has the same stride across a warp (rows of
// consecutive threads are w slots apart); a coalesced walk needs the
// warp's rows staged in shared memory, not done: its figures are in
// BENCHMARKS.md ("GPU memory model").
template <bool LEFT, typename T>
__device__ void vec_fwd(T* r, const T* v, const T* a, long long batch, long long n, long long lower, long long upper,
                        long long s) {
    const long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (o >= batch * n) return;
    const VecSpan sp = vec_span<LEFT>(o, n, lower, upper);
    SemiringAcc<T> acc(s);
    if (LEFT) {
        const long long lane = threadIdx.x % 32, g0 = o - lane - upper, g1 = o - lane + 31 + lower;
        const long long gLo = sp.v0, gHi = sp.v0 + sp.cnt - 1; // this output's rows (v0 = b·n + iLo)
        if (s == REAL) {
            T sum = T(0);
            for (long long g = g0; g <= g1; g++)
                if (g >= gLo && g <= gHi) sum += v[g] * a[sp.a0 + (g - gLo) * sp.step];
            acc.l.m = sum;
        } else {
            for (long long g = g0; g <= g1; g++)
                if (g >= gLo && g <= gHi) acc.add(s, v[g] + a[sp.a0 + (g - gLo) * sp.step]);
        }
        r[o] = acc.value(s);
        return;
    }
    if (s == REAL) {
        T sum = T(0);
        for (long long t = 0; t < sp.cnt; t++) sum += v[sp.v0 + t] * a[sp.a0 + t * sp.step];
        acc.l.m = sum;
    } else {
        for (long long t = 0; t < sp.cnt; t++) acc.add(s, v[sp.v0 + t] + a[sp.a0 + t * sp.step]);
    }
    r[o] = acc.value(s);
}

// vec_first reports whether term t of output o's walk is the first equal to
// rv (the Max gradient's rule), given that it is equal.
template <typename T>
__device__ __forceinline__ bool vec_first(const T* v, const T* a, const VecSpan& sp, long long t, T rv) {
    for (long long t2 = 0; t2 < t; t2++)
        if (v[sp.v0 + t2] + a[sp.a0 + t2 * sp.step] == rv) return false;
    return true;
}

// vec_weight returns the gradient weight of term t of output o: ∂r/∂v or
// ∂r/∂A of that term times dr, or 0 (and *use false) when the term adds
// nothing (dr = 0, a Log or Max output of −Inf, a Max term that is not the
// first maximal one). wrtV picks the factor of Real's product.
template <typename T>
__device__ __forceinline__ T vec_term_grad(long long s, bool wrtV, const T* v, const T* a, const VecSpan& sp, long long t,
                                           T rv, T d) {
    if (d == T(0)) return T(0);
    const T vv = v[sp.v0 + t], av = a[sp.a0 + t * sp.step];
    if (s == REAL) return wrtV ? d * av : d * vv;
    if (is_neg_inf(rv)) return T(0);
    if (s == LOG) return d * exp(vv + av - rv);
    return (vv + av == rv && vec_first(v, a, sp, t, rv)) ? d : T(0);
}

// vec_bwd_a: the gradient with respect to A, one thread per slot of A. Each
// valid slot is a term of exactly one output: (i, k) is term i − iLo of
// output j = i + k − lower for VecMul, term k − kLo of output i for MulVec.
// Padding gets 0.
template <bool LEFT, typename T>
__device__ void vec_bwd_a(T* g, const T* v, const T* a, const T* r, const T* dr, long long batch, long long n,
                          long long lower, long long upper, long long s) {
    const long long w = lower + upper + 1;
    const long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= batch * n * w) return;
    const long long k = e % w, row = e / w, i = row % n, b = row / n;
    T out = T(0);
    if (k >= valid_lo(i, n, lower, w) && k < valid_hi(i, n, lower, w)) {
        const long long o = LEFT ? b * n + i + k - lower : row;
        const VecSpan sp = vec_span<LEFT>(o, n, lower, upper);
        const long long t = LEFT ? b * n + i - sp.v0 : k - valid_lo(i, n, lower, w);
        out = vec_term_grad(s, false, v, a, sp, t, r[o], dr[o]);
    }
    g[e] = out;
}

// vec_bwd_v: the gradient with respect to v, one thread per element of v,
// gathering over the outputs that use it in ascending order (the CPU's):
// VecMul's v[i] is a term of outputs j along row i of A, MulVec's v[j] of
// outputs i down column j.
template <bool LEFT, typename T>
__device__ void vec_bwd_v(T* g, const T* v, const T* a, const T* r, const T* dr, long long batch, long long n,
                          long long lower, long long upper, long long s) {
    const long long w = lower + upper + 1;
    const long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= batch * n) return;
    const long long x = e % n, b = e / n;
    T acc = T(0);
    if (LEFT) {
        // v[i] with i = x meets output j = i + k − lower for each valid k.
        const long long lo = valid_lo(x, n, lower, w), hi = valid_hi(x, n, lower, w);
        for (long long k = lo; k < hi; k++) {
            const long long o = b * n + x + k - lower;
            const VecSpan sp = vec_span<true>(o, n, lower, upper);
            acc += vec_term_grad(s, true, v, a, sp, e - sp.v0, r[o], dr[o]);
        }
    } else {
        // v[j] with j = x meets output i for i in [j − upper, j + lower].
        long long iLo = x - upper > 0 ? x - upper : 0;
        long long iHi = x + lower < n - 1 ? x + lower : n - 1;
        for (long long i = iLo; i <= iHi; i++) {
            const long long o = b * n + i;
            const VecSpan sp = vec_span<false>(o, n, lower, upper);
            acc += vec_term_grad(s, true, v, a, sp, e - sp.v0, r[o], dr[o]);
        }
    }
    g[e] = acc;
}

} // namespace gb

// Entry points, written out so that cudaops/emu/internal/kgen finds them.
// Pointers follow the Ops' input order: VecMul's inputs are (v, A),
// MulVec's (A, v); a backward Op's are the forward's inputs, r, dr.
// Scalars: batch, n, lower, upper (A's band), semiring.
extern "C" __global__ void vecmul_fwd_f32(float* r, const float* v, const float* a, long long batch, long long n,
                                          long long lower, long long upper, long long s) {
    gb::vec_fwd<true, float>(r, v, a, batch, n, lower, upper, s);
}
extern "C" __global__ void vecmul_fwd_f64(double* r, const double* v, const double* a, long long batch, long long n,
                                          long long lower, long long upper, long long s) {
    gb::vec_fwd<true, double>(r, v, a, batch, n, lower, upper, s);
}
extern "C" __global__ void mulvec_fwd_f32(float* r, const float* a, const float* v, long long batch, long long n,
                                          long long lower, long long upper, long long s) {
    gb::vec_fwd<false, float>(r, v, a, batch, n, lower, upper, s);
}
extern "C" __global__ void mulvec_fwd_f64(double* r, const double* a, const double* v, long long batch, long long n,
                                          long long lower, long long upper, long long s) {
    gb::vec_fwd<false, double>(r, v, a, batch, n, lower, upper, s);
}
extern "C" __global__ void vecmul_bwd_v_f32(float* g, const float* v, const float* a, const float* r, const float* dr,
                                            long long batch, long long n, long long lower, long long upper,
                                            long long s) {
    gb::vec_bwd_v<true, float>(g, v, a, r, dr, batch, n, lower, upper, s);
}
extern "C" __global__ void vecmul_bwd_v_f64(double* g, const double* v, const double* a, const double* r,
                                            const double* dr, long long batch, long long n, long long lower,
                                            long long upper, long long s) {
    gb::vec_bwd_v<true, double>(g, v, a, r, dr, batch, n, lower, upper, s);
}
extern "C" __global__ void vecmul_bwd_a_f32(float* g, const float* v, const float* a, const float* r, const float* dr,
                                            long long batch, long long n, long long lower, long long upper,
                                            long long s) {
    gb::vec_bwd_a<true, float>(g, v, a, r, dr, batch, n, lower, upper, s);
}
extern "C" __global__ void vecmul_bwd_a_f64(double* g, const double* v, const double* a, const double* r,
                                            const double* dr, long long batch, long long n, long long lower,
                                            long long upper, long long s) {
    gb::vec_bwd_a<true, double>(g, v, a, r, dr, batch, n, lower, upper, s);
}
extern "C" __global__ void mulvec_bwd_v_f32(float* g, const float* a, const float* v, const float* r, const float* dr,
                                            long long batch, long long n, long long lower, long long upper,
                                            long long s) {
    gb::vec_bwd_v<false, float>(g, v, a, r, dr, batch, n, lower, upper, s);
}
extern "C" __global__ void mulvec_bwd_v_f64(double* g, const double* a, const double* v, const double* r,
                                            const double* dr, long long batch, long long n, long long lower,
                                            long long upper, long long s) {
    gb::vec_bwd_v<false, double>(g, v, a, r, dr, batch, n, lower, upper, s);
}
extern "C" __global__ void mulvec_bwd_a_f32(float* g, const float* a, const float* v, const float* r, const float* dr,
                                            long long batch, long long n, long long lower, long long upper,
                                            long long s) {
    gb::vec_bwd_a<false, float>(g, v, a, r, dr, batch, n, lower, upper, s);
}
extern "C" __global__ void mulvec_bwd_a_f64(double* g, const double* a, const double* v, const double* r,
                                            const double* dr, long long batch, long long n, long long lower,
                                            long long upper, long long s) {
    gb::vec_bwd_a<false, double>(g, v, a, r, dr, batch, n, lower, upper, s);
}
