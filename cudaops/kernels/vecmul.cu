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
// CPU's order). The terms never use A's padding (MulVec's staging copies
// it along).
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
// consecutive threads are w slots apart): mulvec_rows stages the block's
// rows through shared memory instead.
template <typename T>
__device__ void mulvec_rows(T* r, const T* v, const T* a, long long batch, long long n, long long lower,
                            long long upper, long long s);

template <bool LEFT, typename T>
__device__ void vec_fwd(T* r, const T* v, const T* a, long long batch, long long n, long long lower, long long upper,
                        long long s) {
    if (!LEFT) { // the same in every thread: no barrier of mulvec_rows is skipped by some
        mulvec_rows(r, v, a, batch, n, lower, upper, s);
        return;
    }
    const long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (o >= batch * n) return;
    // Only VecMul (LEFT) comes here: MulVec returned above.
    const VecSpan sp = vec_span<LEFT>(o, n, lower, upper);
    SemiringAcc<T> acc(s);
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
}

// VEC_ROWS is the most threads of a vecmul.cu block (cudaops.Linear's
// 256): mulvec_rows stages one row of A a thread.
#define VEC_ROWS 256

// mulvec_terms adds the terms of slots [lo, hi) of a row staged at row
// (slot k at row[k − off]), v's element of slot kLo at vk, in ascending
// slots.
template <typename T>
__device__ __forceinline__ void mulvec_terms(long long s, SemiringAcc<T>& acc, T& sum, const T* vk, const T* row,
                                             long long lo, long long hi, long long kLo, long long off) {
    if (s == REAL) {
        for (long long k = lo; k < hi; k++) sum += vk[k - kLo] * row[k - off];
    } else {
        for (long long k = lo; k < hi; k++) acc.add(s, vk[k - kLo] + row[k - off]);
    }
}

// mulvec_rows is vec_fwd for MulVec: output o (row o of A, over the
// batches) is ⊕_t v[v0 + t] ⊗ A[o, kLo + t]. The block's rows of A lie
// together in memory, so the block copies them into shared memory with
// consecutive threads on consecutive elements (coalesced), and each thread
// then walks its own row there, at a stride of an odd number of words
// across a warp (no bank conflict for float; two wavefronts, the ideal,
// for double). The stage holds VEC_ROWS · (S + 1) elements (S = 128
// bytes of slots): whole rows, as many warps' rows as fit at a time (all
// 256 rows for bands up to 33 float or 17 double slots; the warps whose
// rows wait are idle meanwhile); for bands too wide for a warp's rows
// (over 264 float or 136 double slots) S slots of every row at a time, a
// 128-byte run of each row (a sector more than the ideal when not
// aligned). Each output's terms keep their order (ascending slots), so the
// sums are the same bit for bit as a thread's own walk. The copies also
// read the rows' padding slots (never used).
template <typename T>
__device__ void mulvec_rows(T* r, const T* v, const T* a, long long batch, long long n, long long lower,
                            long long upper, long long s) {
    const long long S = 128 / (long long)sizeof(T), P = S + 1, cap = VEC_ROWS * P;
    __shared__ T stage[VEC_ROWS * (128 / sizeof(T) + 1)];
    const long long w = lower + upper + 1, total = batch * n;
    const long long row0 = (long long)blockIdx.x * blockDim.x, o = row0 + threadIdx.x;
    const bool live = o < total;
    VecSpan sp;
    sp.v0 = sp.a0 = sp.step = sp.cnt = 0;
    if (live) sp = vec_span<false>(o, n, lower, upper);
    const long long kLo = live ? sp.a0 - o * w : 0, kHi = kLo + sp.cnt;
    const long long rows = total - row0 < (long long)blockDim.x ? total - row0 : (long long)blockDim.x;
    SemiringAcc<T> acc(s);
    T sum = T(0);
    const long long ws = w | 1;               // a staged row's stride: odd
    const long long group = cap / ws / 32 * 32; // whole rows a time, whole warps
    if (group > 0) {
        for (long long g0 = 0; g0 < rows; g0 += group) {
            const long long gr = rows - g0 < group ? rows - g0 : group;
            for (long long e = threadIdx.x; e < gr * w; e += blockDim.x) {
                const long long rr = e / w, k = e % w;
                stage[rr * ws + k] = a[(row0 + g0) * w + e];
            }
            __syncthreads();
            const long long t = (long long)threadIdx.x - g0;
            if (live && t >= 0 && t < gr) mulvec_terms(s, acc, sum, v + sp.v0, stage + t * ws, kLo, kHi, kLo, 0);
            __syncthreads(); // the stage is refilled
        }
    } else {
        for (long long s0 = 0; s0 < w; s0 += S) {
            const long long slots = w - s0 < S ? w - s0 : S;
            for (long long e = threadIdx.x; e < rows * slots; e += blockDim.x) {
                const long long rr = e / slots, k = e % slots;
                stage[rr * P + k] = a[(row0 + rr) * w + s0 + k];
            }
            __syncthreads();
            if (live) {
                const long long lo = kLo > s0 ? kLo : s0, hi = kHi < s0 + slots ? kHi : s0 + slots;
                mulvec_terms(s, acc, sum, v + sp.v0, stage + threadIdx.x * P, lo, hi, kLo, s0);
            }
            __syncthreads(); // the stage is refilled
        }
    }
    if (!live) return;
    if (s == REAL) acc.l.m = sum;
    r[o] = acc.value(s);
}

// vec_first reports whether term t of output o's walk is the first equal to
// rv (the Max gradient's rule), given that it is equal.
//
// Its cost is the rescan: every term equal to the maximum rereads the
// terms before it, so an output costs O(w²) where ties abound (in the
// emulation tests' tie-heavy Max inputs about half of each vec gradient's
// requests in the GPU model, at 1.6–2.6× the ideal sectors: the threads of
// a warp rescan different outputs). Without ties it runs once a term.
// Removing it needs each output's first maximal term found once, by the
// forward or a pass of its own, into a buffer the Op's glue would pass
// along: not done yet.
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
