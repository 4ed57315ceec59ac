// genmul.cu: the dense batched semiring products of package genmul and
// their gradients. For A (batch, n, k), B (batch, k, m), C (batch, n, m),
// all row-major and contiguous:
//
//   logmatmul_fwd            C = log Σ_k exp(A + B)        (also SampleMatMul's forward)
//   maxmatmul_fwd            C = max_k (A + B)
//   prodmaxmatmul_fwd        C = max_k A·B
//   logmatmul_bwd            [dA dB] of LogMatMul            (genmul's logGradBothOp)
//   logmatmul_bwd_part       dA or dB out of [dA dB]         (partOp)
//   logmatmul_bwd_a, _b      dA or dB alone                  (logGradOp)
//   logmatmul_bwd2_a, _b     second-derivative terms         (logGrad2Op)
//   logmatmul_bwd2_expect_a, _b   E = Σ_k P·H                (logExpectOp)
//   maxmatmul_bwd_select, prodmaxmatmul_bwd_select   first maximal k (selectOp)
//   samplematmul_bwd_draw    k drawn from the softmax        (drawOp)
//   maxmatmul_bwd_a, _b      dC routed to the selected k     (routeOp of Max and Sample)
//   prodmaxmatmul_bwd_a, _b  the same times the other factor (routeOp of ProdMax)
//
// P[i,k,j] = exp(A[i,k] + B[k,j] − C[i,j]) are LogMatMul's softmax weights,
// taken as 0 where C is −Inf (an output of only −Inf terms: its gradient is
// 0 whatever dC is, never NaN). The semantics are genmul's CPU kernels'
// (genmul/kernels.go), which the emulation tests hold these to.
#include "common.cuh"

namespace gm {

using gb::neg_inf;

// The products' tiles: a block of GM_TB × GM_TB threads computes a
// GM_TILE × GM_TILE tile of outputs, each thread GM_R × GM_R of them (rows
// ty·GM_R + p, columns tx·GM_R + q), staging GM_KC values of the inner index
// per step. cudaops/genmul.go holds the same numbers.
#define GM_TB 16
#define GM_R 4
#define GM_TILE (GM_TB * GM_R)
#define GM_KC 16
// The row stride of log_grad's os and ws tiles: GM_KC plus a bank.
#define GM_KP (GM_KC + 1)
// The gradients' tiles: GM_GT × GM_GT outputs, GM_GR × GM_GR a thread.
#define GM_GR 2
#define GM_GT (GM_TB * GM_GR)

enum { LOG = 1, MAX = 2, PRODMAX = 3 };

// exp2_fast is 2^x from the special-function unit (ex2.approx.ftz: within 2
// ulp, subnormal results flushed to 0); under emulation exp2f, flushed.
__device__ __forceinline__ float exp2_fast(float x) {
#ifdef GB_EMULATION
    float r = exp2f(x);
    return r < 1.17549435e-38f ? 0.0f : r;
#else
    float r;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
#endif
}

// Scale: the f32 Log kernels work in base 2, their operands scaled by
// log2(e) as they are staged, so that a term's weight is one ex2 of a sum
// (no multiply per term); f64 works in base e with exp.
template <typename T> struct Scale;
template <> struct Scale<float> {
    static __device__ __forceinline__ float in(float x) { return x * 1.44269504088896340736f; }
    static __device__ __forceinline__ float ex(float x) { return exp2_fast(x); }
    // out returns m + log(s) in base e for m and s in base 2.
    static __device__ __forceinline__ float out(float m, float s) { return (m + log2f(s)) * 0.693147180559945309417f; }
};
template <> struct Scale<double> {
    static __device__ __forceinline__ double in(double x) { return x; }
    static __device__ __forceinline__ double ex(double x) { return exp(x); }
    static __device__ __forceinline__ double out(double m, double s) { return m + log(s); }
};

// is_inf reports whether x is ±Inf.
template <typename T> __device__ __forceinline__ bool is_inf(T x) { return x == -neg_inf<T>() || x == neg_inf<T>(); }

// Tile is the matrix and the first row and column of a block's tile:
// blockIdx.x (after skip tiles) folds (batch, row tile, column tile).
struct Tile {
    long long bat, i0, j0;
};
__device__ __forceinline__ Tile tile_of(long long t, long long rows, long long cols, long long size) {
    const long long rt = gb::ceil_div(rows, size), ct = gb::ceil_div(cols, size);
    Tile r;
    r.j0 = (t % ct) * size;
    t /= ct;
    r.i0 = (t % rt) * size;
    r.bat = t / rt;
    return r;
}

// stage_ab loads the inner indices [k0, k0 + GM_KC) of A's rows
// [i0, i0 + GM_TILE) into as[kk·GM_TILE + r] and of B's columns
// [j0, j0 + GM_TILE) into bs[kk·GM_TILE + c], scaled by S::in when scale is
// set; elements outside the matrices are 0 (the loops stop at the last
// inner index, and rows or columns beyond the matrix are not written).
template <typename T, typename S>
__device__ __forceinline__ void stage_ab(T* as, T* bs, const T* A, const T* B, long long n, long long k, long long m,
                                         long long i0, long long j0, long long k0, bool scale) {
    const int tid = threadIdx.y * GM_TB + threadIdx.x;
    for (int e = tid; e < GM_TILE * GM_KC; e += GM_TB * GM_TB) {
        const int r = e / GM_KC, kk = e % GM_KC;
        const long long i = i0 + r, q = k0 + kk;
        T v = (i < n && q < k) ? A[i * k + q] : T(0);
        as[kk * GM_TILE + r] = scale ? S::in(v) : v;
        const int kb = e / GM_TILE, c = e % GM_TILE;
        const long long qb = k0 + kb, j = j0 + c;
        T w = (qb < k && j < m) ? B[qb * m + j] : T(0);
        bs[kb * GM_TILE + c] = scale ? S::in(w) : w;
    }
}

// matmul_fwd computes one tile of C for product P. Max and ProdMax take the
// maximum with gb::nan_max (a NaN term makes the output NaN, a later equal
// term never replaces an earlier one: the CPU's builtin max). Log takes the
// maximum term first (fmax: a NaN term reaches the output through the sums
// instead), then Σ exp(term − max), a maximum of ±Inf replaced by 0 as on
// the CPU: an output of only −Inf terms comes out −Inf, one with a +Inf
// term +Inf.
template <int P, typename T>
__device__ void matmul_fwd(T* c, const T* a, const T* b, long long batch, long long n, long long k, long long m) {
    typedef Scale<T> S;
    __shared__ T as[GM_KC * GM_TILE];
    __shared__ T bs[GM_KC * GM_TILE];
    const Tile tl = tile_of(blockIdx.x, n, m, GM_TILE);
    const T* A = a + tl.bat * n * k;
    const T* B = b + tl.bat * k * m;
    const int tx = threadIdx.x, ty = threadIdx.y;
    const bool scaled = P == LOG;
    T acc[GM_R][GM_R];
#pragma unroll
    for (int p = 0; p < GM_R; p++)
#pragma unroll
        for (int q = 0; q < GM_R; q++) acc[p][q] = neg_inf<T>();
    for (long long k0 = 0; k0 < k; k0 += GM_KC) {
        __syncthreads();
        stage_ab<T, S>(as, bs, A, B, n, k, m, tl.i0, tl.j0, k0, scaled);
        __syncthreads();
        const int steps = (int)(k - k0 < GM_KC ? k - k0 : GM_KC);
        for (int kk = 0; kk < steps; kk++) {
            T av[GM_R], bv[GM_R];
#pragma unroll
            for (int p = 0; p < GM_R; p++) av[p] = as[kk * GM_TILE + ty * GM_R + p];
#pragma unroll
            for (int q = 0; q < GM_R; q++) bv[q] = bs[kk * GM_TILE + tx * GM_R + q];
#pragma unroll
            for (int p = 0; p < GM_R; p++)
#pragma unroll
                for (int q = 0; q < GM_R; q++) {
                    if (P == LOG) acc[p][q] = fmax(acc[p][q], av[p] + bv[q]);
                    else if (P == MAX) acc[p][q] = gb::nan_max(acc[p][q], av[p] + bv[q]);
                    else acc[p][q] = gb::nan_max(acc[p][q], av[p] * bv[q]);
                }
        }
    }
    if (P == LOG) {
        T s[GM_R][GM_R];
#pragma unroll
        for (int p = 0; p < GM_R; p++)
#pragma unroll
            for (int q = 0; q < GM_R; q++) {
                s[p][q] = T(0);
                if (is_inf(acc[p][q])) acc[p][q] = T(0);
            }
        for (long long k0 = 0; k0 < k; k0 += GM_KC) {
            __syncthreads();
            stage_ab<T, S>(as, bs, A, B, n, k, m, tl.i0, tl.j0, k0, true);
            __syncthreads();
            const int steps = (int)(k - k0 < GM_KC ? k - k0 : GM_KC);
            for (int kk = 0; kk < steps; kk++) {
                T av[GM_R], bv[GM_R];
#pragma unroll
                for (int p = 0; p < GM_R; p++) av[p] = as[kk * GM_TILE + ty * GM_R + p];
#pragma unroll
                for (int q = 0; q < GM_R; q++) bv[q] = bs[kk * GM_TILE + tx * GM_R + q];
#pragma unroll
                for (int p = 0; p < GM_R; p++)
#pragma unroll
                    for (int q = 0; q < GM_R; q++) s[p][q] += S::ex(av[p] + bv[q] - acc[p][q]);
            }
        }
#pragma unroll
        for (int p = 0; p < GM_R; p++)
#pragma unroll
            for (int q = 0; q < GM_R; q++) acc[p][q] = S::out(acc[p][q], s[p][q]);
    }
    T* C = c + tl.bat * n * m;
#pragma unroll
    for (int p = 0; p < GM_R; p++) {
        const long long i = tl.i0 + ty * GM_R + p;
        if (i >= n) continue;
#pragma unroll
        for (int q = 0; q < GM_R; q++) {
            const long long j = tl.j0 + tx * GM_R + q;
            // A thread owns GM_R = 4 adjacent columns, so each store's lanes
            // are 4 elements apart: 4.0× the ideal (15.0 a request where 3.8
            // would do, float; the GPU model in BENCHMARKS.md), a fifth of
            // logmatmul_fwd's requests and a third of maxmatmul_fwd's and
            // prodmaxmatmul_fwd's. Coalescing it needs columns tx + q·GM_TB
            // per thread (the tile's shared-memory reads of B change with
            // them) or the tile staged through shared memory. Not done yet.
            if (j < m) C[i * m + j] = acc[p][q];
        }
    }
}

// select_max writes, for each output of a tile, the first k whose term
// (A + B for Max, A·B for ProdMax) equals C there, or the first NaN term
// where C is NaN; −1 where C is −Inf or no term matches (genmul's
// selectMax).
template <int P, typename T>
__device__ void select_max(int* sel, const T* a, const T* b, const T* c, long long batch, long long n, long long k,
                           long long m) {
    __shared__ T as[GM_KC * GM_TILE];
    __shared__ T bs[GM_KC * GM_TILE];
    const Tile tl = tile_of(blockIdx.x, n, m, GM_TILE);
    const T* A = a + tl.bat * n * k;
    const T* B = b + tl.bat * k * m;
    const T* C = c + tl.bat * n * m;
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int pending = -3;
    T cv[GM_R][GM_R];
    int sv[GM_R][GM_R];
#pragma unroll
    for (int p = 0; p < GM_R; p++)
#pragma unroll
        for (int q = 0; q < GM_R; q++) {
            const long long i = tl.i0 + ty * GM_R + p, j = tl.j0 + tx * GM_R + q;
            // GM_R = 4 adjacent columns a thread, as in matmul_fwd's store: lanes
            // 4 elements apart, 4.0× the ideal (15.0 a request where 3.8 would
            // do, float; the GPU model in BENCHMARKS.md), a quarter of
            // the requests; so is the store of Sel below. The fix is matmul_fwd's.
            cv[p][q] = (i < n && j < m) ? C[i * m + j] : neg_inf<T>();
            sv[p][q] = cv[p][q] == neg_inf<T>() ? -1 : pending;
        }
    for (long long k0 = 0; k0 < k; k0 += GM_KC) {
        __syncthreads();
        stage_ab<T, Scale<T>>(as, bs, A, B, n, k, m, tl.i0, tl.j0, k0, false);
        __syncthreads();
        const int steps = (int)(k - k0 < GM_KC ? k - k0 : GM_KC);
        for (int kk = 0; kk < steps; kk++) {
#pragma unroll
            for (int p = 0; p < GM_R; p++)
#pragma unroll
                for (int q = 0; q < GM_R; q++) {
                    const T av = as[kk * GM_TILE + ty * GM_R + p], bv = bs[kk * GM_TILE + tx * GM_R + q];
                    const T t = P == PRODMAX ? av * bv : av + bv;
                    const T cc = cv[p][q];
                    if (sv[p][q] == pending && (t == cc || (t != t && cc != cc))) sv[p][q] = (int)(k0 + kk);
                }
        }
    }
    int* Sel = sel + tl.bat * n * m;
#pragma unroll
    for (int p = 0; p < GM_R; p++) {
        const long long i = tl.i0 + ty * GM_R + p;
        if (i >= n) continue;
#pragma unroll
        for (int q = 0; q < GM_R; q++) {
            const long long j = tl.j0 + tx * GM_R + q;
            // 4.0× the ideal, a quarter of the requests: see C's load above.
            if (j < m) Sel[i * m + j] = sv[p][q] == pending ? -1 : sv[p][q];
        }
    }
}

// masked returns C for the weights: 0 where C is −Inf (the weights are
// then exp(−Inf) = 0).
template <typename T> __device__ __forceinline__ T masked(T c) { return c == neg_inf<T>() ? T(0) : c; }

// log_grad computes one tile of LogMatMul's gradient with respect to A
// (WRT 0: g[i,k] = Σ_j D[i,j]·(W[k,j])·P[i,k,j]) or B (WRT 1:
// g[k,j] = Σ_i D[i,j]·(W[i,k])·P[i,k,j]), with the weight W (of the other
// operand's shape) when W is set, D taken as 0 where C is −Inf. tile is the
// tile's index among this gradient's tiles; g points at the gradient's
// first matrix. The reduced index runs in steps of GM_KC staged in shared
// memory; each thread keeps GM_GR × GM_GR sums.
template <int WRT, bool W, typename T>
__device__ void log_grad(long long tile, T* g, const T* a, const T* b, const T* c, const T* dc, const T* w,
                         long long batch, long long n, long long k, long long m) {
    typedef Scale<T> S;
    // WRT 0: rows i (n), columns kq (k), reduced j (m); WRT 1: rows kq (k),
    // columns j (m), reduced i (n).
    const long long rows = WRT == 0 ? n : k, cols = WRT == 0 ? k : m, red = WRT == 0 ? m : n;
    const Tile tl = tile_of(tile, rows, cols, GM_GT);
    const T* A = a + tl.bat * n * k;
    const T* B = b + tl.bat * k * m;
    const T* C = c + tl.bat * n * m;
    const T* D = dc + tl.bat * n * m;
    const T* Wt = W ? w + tl.bat * (WRT == 0 ? k * m : n * k) : w;
    // WRT 0: xs[r][rr] = A-side… see below. Staged per step, GM_KC values of
    // the reduced index:
    //   WRT 0: cs, ds [GM_GT rows i][GM_KC j]; os [GM_GT cols kq][GM_KC j] = B[kq, j]; ws likewise W[kq, j]
    //   WRT 1: cs, ds [GM_KC i][GM_GT cols j]; os [GM_GT rows kq][GM_KC i] = A[i, kq]; ws likewise W[i, kq]
    __shared__ T cs[GM_GT * GM_KC];
    __shared__ T ds[GM_GT * GM_KC];
    // os and ws rows are GM_KP = GM_KC + 1 apart: WRT 0 reads
    // os[col][x] with the lanes of a warp GM_GR rows apart, which at a
    // stride of GM_KC all fell in one bank (16-way conflicts, 7.6 and 9.9
    // a request in logmatmul_bwd_a and bwd2_a, the GPU model in
    // BENCHMARKS.md); one element of padding spreads them over the banks.
    __shared__ T os[GM_GT * GM_KP];
    __shared__ T ws[GM_GT * GM_KP];
    const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * GM_TB + tx;
    // The fixed factor of each output: A[i, kq] (WRT 0) or B[kq, j] (WRT 1).
    T fv[GM_GR][GM_GR], acc[GM_GR][GM_GR];
#pragma unroll
    for (int p = 0; p < GM_GR; p++)
#pragma unroll
        for (int q = 0; q < GM_GR; q++) {
            const long long r = tl.i0 + ty * GM_GR + p, cc = tl.j0 + tx * GM_GR + q;
            T v = T(0);
            if (r < rows && cc < cols) v = WRT == 0 ? A[r * k + cc] : B[r * m + cc];
            fv[p][q] = S::in(v);
            acc[p][q] = T(0);
        }
    for (long long r0 = 0; r0 < red; r0 += GM_KC) {
        __syncthreads();
        for (int e = tid; e < GM_GT * GM_KC; e += GM_TB * GM_TB) {
            if (WRT == 0) {
                const int r = e / GM_KC, x = e % GM_KC;
                const long long i = tl.i0 + r, j = r0 + x, kq = tl.j0 + r;
                T cv = T(0), dv = T(0);
                if (i < n && j < m) {
                    cv = C[i * m + j];
                    dv = cv == neg_inf<T>() ? T(0) : D[i * m + j];
                    cv = masked(cv);
                }
                cs[e] = S::in(cv);
                ds[e] = dv;
                os[r * GM_KP + x] = (kq < k && j < m) ? S::in(B[kq * m + j]) : T(0);
                if (W) ws[r * GM_KP + x] = (kq < k && j < m) ? Wt[kq * m + j] : T(0);
            } else {
                const int x = e / GM_GT, col = e % GM_GT;
                const long long i = r0 + x, j = tl.j0 + col;
                T cv = T(0), dv = T(0);
                if (i < n && j < m) {
                    cv = C[i * m + j];
                    dv = cv == neg_inf<T>() ? T(0) : D[i * m + j];
                    cv = masked(cv);
                }
                cs[e] = S::in(cv);
                ds[e] = dv;
                // Consecutive threads take consecutive y, down a column of
                // A, k elements apart: 15.8 sectors a request where 3.9
                // would do in logmatmul_bwd (float; the GPU model in
                // BENCHMARKS.md). Coalescing it needs consecutive threads
                // on consecutive kq (r = e % GM_GT, y = e / GM_GT), whose
                // writes of os, GM_KP apart, the padding keeps free of
                // bank conflicts: not done yet.
                const int r = e / GM_KC, y = e % GM_KC;
                const long long kq = tl.i0 + r, ii = r0 + y;
                os[r * GM_KP + y] = (kq < k && ii < n) ? S::in(A[ii * k + kq]) : T(0);
                if (W) ws[r * GM_KP + y] = (kq < k && ii < n) ? Wt[ii * k + kq] : T(0);
            }
        }
        __syncthreads();
        const int steps = (int)(red - r0 < GM_KC ? red - r0 : GM_KC);
        for (int x = 0; x < steps; x++) {
#pragma unroll
            for (int p = 0; p < GM_GR; p++)
#pragma unroll
                for (int q = 0; q < GM_GR; q++) {
                    const int r = ty * GM_GR + p, col = tx * GM_GR + q;
                    T cv, dv, ov, wv = T(1);
                    if (WRT == 0) {
                        cv = cs[r * GM_KC + x];
                        dv = ds[r * GM_KC + x];
                        ov = os[col * GM_KP + x];
                        if (W) wv = ws[col * GM_KP + x];
                    } else {
                        cv = cs[x * GM_GT + col];
                        dv = ds[x * GM_GT + col];
                        ov = os[r * GM_KP + x];
                        if (W) wv = ws[r * GM_KP + x];
                    }
                    acc[p][q] += dv * wv * S::ex(fv[p][q] + ov - cv);
                }
        }
    }
    T* G = g + tl.bat * rows * cols;
#pragma unroll
    for (int p = 0; p < GM_GR; p++) {
        const long long r = tl.i0 + ty * GM_GR + p;
        if (r >= rows) continue;
#pragma unroll
        for (int q = 0; q < GM_GR; q++) {
            const long long cc = tl.j0 + tx * GM_GR + q;
            if (cc < cols) G[r * cols + cc] = acc[p][q];
        }
    }
}

// grad_tiles is the number of tiles of LogMatMul's gradient with respect to
// A (wrt 0) or B (wrt 1).
__device__ __forceinline__ long long grad_tiles(int wrt, long long batch, long long n, long long k, long long m) {
    return wrt == 0 ? batch * gb::ceil_div(n, GM_GT) * gb::ceil_div(k, GM_GT)
                    : batch * gb::ceil_div(k, GM_GT) * gb::ceil_div(m, GM_GT);
}

// log_grad_both runs the tiles of dA and then those of dB, into g = [dA dB].
template <typename T>
__device__ void log_grad_both(T* g, const T* a, const T* b, const T* c, const T* dc, long long batch, long long n,
                              long long k, long long m) {
    const long long ta = grad_tiles(0, batch, n, k, m);
    if ((long long)blockIdx.x < ta) log_grad<0, false, T>(blockIdx.x, g, a, b, c, dc, a, batch, n, k, m);
    else log_grad<1, false, T>(blockIdx.x - ta, g + batch * n * k, a, b, c, dc, a, batch, n, k, m);
}

// expect computes E[i,j] = Σ_k P[i,k,j]·H[i,k] (WRT 0, H of A's shape) or
// Σ_k P[i,k,j]·H[k,j] (WRT 1, H of B's shape), 0 where C is −Inf.
template <int WRT, typename T>
__device__ void expect(T* e, const T* a, const T* b, const T* c, const T* h, long long batch, long long n,
                       long long k, long long m) {
    typedef Scale<T> S;
    __shared__ T as[GM_KC * GM_GT];
    __shared__ T bs[GM_KC * GM_GT];
    __shared__ T hs[GM_KC * GM_GT];
    const Tile tl = tile_of(blockIdx.x, n, m, GM_GT);
    const T* A = a + tl.bat * n * k;
    const T* B = b + tl.bat * k * m;
    const T* C = c + tl.bat * n * m;
    const T* H = h + tl.bat * (WRT == 0 ? n * k : k * m);
    const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * GM_TB + tx;
    T cv[GM_GR][GM_GR], acc[GM_GR][GM_GR];
#pragma unroll
    for (int p = 0; p < GM_GR; p++)
#pragma unroll
        for (int q = 0; q < GM_GR; q++) {
            const long long i = tl.i0 + ty * GM_GR + p, j = tl.j0 + tx * GM_GR + q;
            // GM_GR = 2 adjacent columns a thread: lanes 2 elements apart,
            // 2.05× the ideal (7.8 a request where 3.8 would do, float; the
            // GPU model in BENCHMARKS.md), an eighth of the requests; so is
            // the store of E below. Columns tx + q·GM_TB per thread would
            // coalesce both (with the tile's reads of bs). Not done yet.
            cv[p][q] = S::in((i < n && j < m) ? masked(C[i * m + j]) : T(0));
            acc[p][q] = T(0);
        }
    for (long long k0 = 0; k0 < k; k0 += GM_KC) {
        __syncthreads();
        for (int x = tid; x < GM_GT * GM_KC; x += GM_TB * GM_TB) {
            // as[kk][r] = A[i0 + r, k0 + kk]; bs[kk][col] = B[k0 + kk, j0 + col].
            const int r = x / GM_KC, kk = x % GM_KC;
            const long long i = tl.i0 + r, q = k0 + kk;
            const bool okA = i < n && q < k;
            as[kk * GM_GT + r] = okA ? S::in(A[i * k + q]) : T(0);
            if (WRT == 0) hs[kk * GM_GT + r] = okA ? H[i * k + q] : T(0);
            const int kb = x / GM_GT, col = x % GM_GT;
            const long long qb = k0 + kb, j = tl.j0 + col;
            const bool okB = qb < k && j < m;
            bs[kb * GM_GT + col] = okB ? S::in(B[qb * m + j]) : T(0);
            if (WRT == 1) hs[kb * GM_GT + col] = okB ? H[qb * m + j] : T(0);
        }
        __syncthreads();
        const int steps = (int)(k - k0 < GM_KC ? k - k0 : GM_KC);
        for (int kk = 0; kk < steps; kk++) {
#pragma unroll
            for (int p = 0; p < GM_GR; p++)
#pragma unroll
                for (int q = 0; q < GM_GR; q++) {
                    const int r = ty * GM_GR + p, col = tx * GM_GR + q;
                    const T hv = WRT == 0 ? hs[kk * GM_GT + r] : hs[kk * GM_GT + col];
                    acc[p][q] += hv * S::ex(as[kk * GM_GT + r] + bs[kk * GM_GT + col] - cv[p][q]);
                }
        }
    }
    T* E = e + tl.bat * n * m;
#pragma unroll
    for (int p = 0; p < GM_GR; p++) {
        const long long i = tl.i0 + ty * GM_GR + p;
        if (i >= n) continue;
#pragma unroll
        for (int q = 0; q < GM_GR; q++) {
            const long long j = tl.j0 + tx * GM_GR + q;
            // 2.05× the ideal, an eighth of the requests: see C's load above.
            if (j < m) E[i * m + j] = acc[p][q];
        }
    }
}

// uniform is genmul's uniform(seed, idx): SplitMix64's output for the state
// seed + (idx+1)·γ, its top 53 bits as a double in [0, 1).
__device__ __forceinline__ double uniform(unsigned long long seed, unsigned long long idx) {
    unsigned long long z = seed + (idx + 1ULL) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

// exact_exp is e^x in T's precision from the library (not the
// special-function unit): draws should agree with the CPU's as often as
// the rounding allows.
__device__ __forceinline__ float exact_exp(float x) { return expf(x); }
__device__ __forceinline__ double exact_exp(double x) { return exp(x); }

// draw writes, for output (b, i, j) of thread (one per output), a k drawn
// from the softmax over k of A[i,k] + B[k,j] (genmul's drawSample): the
// first k whose cumulative weight exceeds uniform(seed, (b·n + i)·m + j)
// times the total, both summed alike in T; the last k of positive weight
// if rounding leaves none; −1 where C is −Inf or the total is not a
// positive number.
template <typename T>
__device__ void draw(int* sel, const T* a, const T* b, const T* c, long long batch, long long n, long long k,
                     long long m, unsigned long long seed) {
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= batch * n * m) return;
    const long long bat = idx / (n * m), i = idx / m % n, j = idx % m;
    const T* A = a + bat * n * k + i * k;
    const T* B = b + bat * k * m + j;
    const T cv = c[idx];
    if (cv == neg_inf<T>()) {
        sel[idx] = -1;
        return;
    }
    T tot = T(0);
    for (long long q = 0; q < k; q++) {
        const T av = A[q];
        if (av != neg_inf<T>()) tot += exact_exp(av + B[q * m] - cv);
    }
    const double tv = (double)tot;
    if (!(tv > 0) || isinf(tv)) {
        sel[idx] = -1;
        return;
    }
    const double target = uniform(seed, (unsigned long long)idx) * tv;
    T cum = T(0);
    int chosen = -1, last = -1;
    for (long long q = 0; q < k; q++) {
        const T av = A[q];
        if (av == neg_inf<T>()) continue;
        const T wv = exact_exp(av + B[q * m] - cv);
        cum += wv;
        if (wv > T(0)) last = (int)q;
        if (chosen < 0 && (double)cum > target) chosen = (int)q;
    }
    sel[idx] = chosen >= 0 ? chosen : last;
}

// route_a computes row (b, i) of the gradient with respect to A of a
// product whose outputs take one term each: g[i,k] = Σ_j [sel[i,j] = k]·
// dC[i,j]·(B[k,j] for ProdMax), j ascending (genmul's routeA). One thread
// per row.
template <bool PROD, typename T>
__device__ void route_a(T* g, const T* a, const T* b, const int* sel, const T* dc, long long batch, long long n,
                        long long k, long long m) {
    const long long r = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= batch * n) return;
    const long long bat = r / n;
    T* G = g + r * k;
    // A thread walks its own row of G, sel and dC: the rows of a warp are
    // k or m elements apart, a sector a thread, about 30 sectors a request
    // where 3.8 would do in maxmatmul_bwd_a (float; the GPU model in
    // BENCHMARKS.md). Coalescing it needs a warp per row (its lanes
    // splitting j, G's scatter then through shared memory or atomics,
    // which break the ascending-j order of the sums) or the rows staged
    // through shared memory in chunks of j: not done yet.
    for (long long q = 0; q < k; q++) G[q] = T(0);
    const int* S = sel + r * m;
    const T* D = dc + r * m;
    const T* B = b + bat * k * m;
    for (long long j = 0; j < m; j++) {
        const int q = S[j];
        const T d = D[j];
        if (q < 0 || q >= k || d == T(0)) continue;
        G[q] += PROD ? d * B[(long long)q * m + j] : d;
    }
}

// route_b computes column (b, j) of the gradient with respect to B:
// g[k,j] = Σ_i [sel[i,j] = k]·dC[i,j]·(A[i,k] for ProdMax), i ascending
// (genmul's routeB). One thread per column: consecutive threads touch
// consecutive columns.
template <bool PROD, typename T>
__device__ void route_b(T* g, const T* a, const T* b, const int* sel, const T* dc, long long batch, long long n,
                        long long k, long long m) {
    const long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= batch * m) return;
    const long long bat = t / m, j = t % m;
    T* G = g + bat * k * m + j;
    for (long long q = 0; q < k; q++) G[q * m] = T(0);
    const int* S = sel + bat * n * m + j;
    const T* D = dc + bat * n * m + j;
    const T* A = a + bat * n * k;
    for (long long i = 0; i < n; i++) {
        const int q = S[i * m];
        const T d = D[i * m];
        if (q < 0 || q >= k || d == T(0)) continue;
        G[(long long)q * m] += PROD ? d * A[i * k + q] : d;
    }
}

// part copies size elements of src from off on into dst.
template <typename T> __device__ void part(T* dst, const T* src, long long off, long long size) {
    const long long x = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (x < size) dst[x] = src[off + x];
}

} // namespace gm

// Entry points. Pointers: the output, then the Op's inputs in order;
// scalars: batch, n, k, m (and the draw's seed, the part's offset and
// size). Products and selections: blocks of 16 × 16 threads, a 64 × 64
// tile of outputs each, blockIdx.x folding (batch, row tile, column tile).
// Log gradients and expectations: 16 × 16 threads, 32 × 32 tiles. Draws,
// routes and parts: one thread per output, row, column or element, in
// blocks of 256 (cudaops.Linear).

extern "C" __global__ void logmatmul_fwd_f32(float* c, const float* a, const float* b, long long batch, long long n,
                                             long long k, long long m) {
    gm::matmul_fwd<gm::LOG, float>(c, a, b, batch, n, k, m);
}
extern "C" __global__ void logmatmul_fwd_f64(double* c, const double* a, const double* b, long long batch,
                                             long long n, long long k, long long m) {
    gm::matmul_fwd<gm::LOG, double>(c, a, b, batch, n, k, m);
}
extern "C" __global__ void maxmatmul_fwd_f32(float* c, const float* a, const float* b, long long batch, long long n,
                                             long long k, long long m) {
    gm::matmul_fwd<gm::MAX, float>(c, a, b, batch, n, k, m);
}
extern "C" __global__ void maxmatmul_fwd_f64(double* c, const double* a, const double* b, long long batch,
                                             long long n, long long k, long long m) {
    gm::matmul_fwd<gm::MAX, double>(c, a, b, batch, n, k, m);
}
extern "C" __global__ void prodmaxmatmul_fwd_f32(float* c, const float* a, const float* b, long long batch,
                                                 long long n, long long k, long long m) {
    gm::matmul_fwd<gm::PRODMAX, float>(c, a, b, batch, n, k, m);
}
extern "C" __global__ void prodmaxmatmul_fwd_f64(double* c, const double* a, const double* b, long long batch,
                                                 long long n, long long k, long long m) {
    gm::matmul_fwd<gm::PRODMAX, double>(c, a, b, batch, n, k, m);
}

// LogMatMul's gradients: [dA dB] (batch·n·k then batch·k·m elements), dA
// or dB alone, and the second-derivative terms (weight H last).
extern "C" __global__ void logmatmul_bwd_f32(float* g, const float* a, const float* b, const float* c,
                                             const float* dc, long long batch, long long n, long long k,
                                             long long m) {
    gm::log_grad_both<float>(g, a, b, c, dc, batch, n, k, m);
}
extern "C" __global__ void logmatmul_bwd_f64(double* g, const double* a, const double* b, const double* c,
                                             const double* dc, long long batch, long long n, long long k,
                                             long long m) {
    gm::log_grad_both<double>(g, a, b, c, dc, batch, n, k, m);
}
extern "C" __global__ void logmatmul_bwd_part_f32(float* dst, const float* src, long long off, long long size) {
    gm::part<float>(dst, src, off, size);
}
extern "C" __global__ void logmatmul_bwd_part_f64(double* dst, const double* src, long long off, long long size) {
    gm::part<double>(dst, src, off, size);
}
extern "C" __global__ void logmatmul_bwd_a_f32(float* g, const float* a, const float* b, const float* c,
                                               const float* dc, long long batch, long long n, long long k,
                                               long long m) {
    gm::log_grad<0, false, float>(blockIdx.x, g, a, b, c, dc, a, batch, n, k, m);
}
extern "C" __global__ void logmatmul_bwd_a_f64(double* g, const double* a, const double* b, const double* c,
                                               const double* dc, long long batch, long long n, long long k,
                                               long long m) {
    gm::log_grad<0, false, double>(blockIdx.x, g, a, b, c, dc, a, batch, n, k, m);
}
extern "C" __global__ void logmatmul_bwd_b_f32(float* g, const float* a, const float* b, const float* c,
                                               const float* dc, long long batch, long long n, long long k,
                                               long long m) {
    gm::log_grad<1, false, float>(blockIdx.x, g, a, b, c, dc, a, batch, n, k, m);
}
extern "C" __global__ void logmatmul_bwd_b_f64(double* g, const double* a, const double* b, const double* c,
                                               const double* dc, long long batch, long long n, long long k,
                                               long long m) {
    gm::log_grad<1, false, double>(blockIdx.x, g, a, b, c, dc, a, batch, n, k, m);
}
extern "C" __global__ void logmatmul_bwd2_a_f32(float* g, const float* a, const float* b, const float* c,
                                                const float* dc, const float* h, long long batch, long long n,
                                                long long k, long long m) {
    gm::log_grad<0, true, float>(blockIdx.x, g, a, b, c, dc, h, batch, n, k, m);
}
extern "C" __global__ void logmatmul_bwd2_a_f64(double* g, const double* a, const double* b, const double* c,
                                                const double* dc, const double* h, long long batch, long long n,
                                                long long k, long long m) {
    gm::log_grad<0, true, double>(blockIdx.x, g, a, b, c, dc, h, batch, n, k, m);
}
extern "C" __global__ void logmatmul_bwd2_b_f32(float* g, const float* a, const float* b, const float* c,
                                                const float* dc, const float* h, long long batch, long long n,
                                                long long k, long long m) {
    gm::log_grad<1, true, float>(blockIdx.x, g, a, b, c, dc, h, batch, n, k, m);
}
extern "C" __global__ void logmatmul_bwd2_b_f64(double* g, const double* a, const double* b, const double* c,
                                                const double* dc, const double* h, long long batch, long long n,
                                                long long k, long long m) {
    gm::log_grad<1, true, double>(blockIdx.x, g, a, b, c, dc, h, batch, n, k, m);
}
extern "C" __global__ void logmatmul_bwd2_expect_a_f32(float* e, const float* a, const float* b, const float* c,
                                                       const float* h, long long batch, long long n, long long k,
                                                       long long m) {
    gm::expect<0, float>(e, a, b, c, h, batch, n, k, m);
}
extern "C" __global__ void logmatmul_bwd2_expect_a_f64(double* e, const double* a, const double* b,
                                                       const double* c, const double* h, long long batch,
                                                       long long n, long long k, long long m) {
    gm::expect<0, double>(e, a, b, c, h, batch, n, k, m);
}
extern "C" __global__ void logmatmul_bwd2_expect_b_f32(float* e, const float* a, const float* b, const float* c,
                                                       const float* h, long long batch, long long n, long long k,
                                                       long long m) {
    gm::expect<1, float>(e, a, b, c, h, batch, n, k, m);
}
extern "C" __global__ void logmatmul_bwd2_expect_b_f64(double* e, const double* a, const double* b,
                                                       const double* c, const double* h, long long batch,
                                                       long long n, long long k, long long m) {
    gm::expect<1, double>(e, a, b, c, h, batch, n, k, m);
}

// Selections of Max, ProdMax and Sample (int32 k, −1 for none).
extern "C" __global__ void maxmatmul_bwd_select_f32(int* sel, const float* a, const float* b, const float* c,
                                                    long long batch, long long n, long long k, long long m) {
    gm::select_max<gm::MAX, float>(sel, a, b, c, batch, n, k, m);
}
extern "C" __global__ void maxmatmul_bwd_select_f64(int* sel, const double* a, const double* b, const double* c,
                                                    long long batch, long long n, long long k, long long m) {
    gm::select_max<gm::MAX, double>(sel, a, b, c, batch, n, k, m);
}
extern "C" __global__ void prodmaxmatmul_bwd_select_f32(int* sel, const float* a, const float* b, const float* c,
                                                        long long batch, long long n, long long k, long long m) {
    gm::select_max<gm::PRODMAX, float>(sel, a, b, c, batch, n, k, m);
}
extern "C" __global__ void prodmaxmatmul_bwd_select_f64(int* sel, const double* a, const double* b,
                                                        const double* c, long long batch, long long n,
                                                        long long k, long long m) {
    gm::select_max<gm::PRODMAX, double>(sel, a, b, c, batch, n, k, m);
}
extern "C" __global__ void samplematmul_bwd_draw_f32(int* sel, const float* a, const float* b, const float* c,
                                                     long long batch, long long n, long long k, long long m,
                                                     long long seed) {
    gm::draw<float>(sel, a, b, c, batch, n, k, m, (unsigned long long)seed);
}
extern "C" __global__ void samplematmul_bwd_draw_f64(int* sel, const double* a, const double* b, const double* c,
                                                     long long batch, long long n, long long k, long long m,
                                                     long long seed) {
    gm::draw<double>(sel, a, b, c, batch, n, k, m, (unsigned long long)seed);
}

// Routes: pointers g, A, B, the selection, dC.
extern "C" __global__ void maxmatmul_bwd_a_f32(float* g, const float* a, const float* b, const int* sel,
                                               const float* dc, long long batch, long long n, long long k,
                                               long long m) {
    gm::route_a<false, float>(g, a, b, sel, dc, batch, n, k, m);
}
extern "C" __global__ void maxmatmul_bwd_a_f64(double* g, const double* a, const double* b, const int* sel,
                                               const double* dc, long long batch, long long n, long long k,
                                               long long m) {
    gm::route_a<false, double>(g, a, b, sel, dc, batch, n, k, m);
}
extern "C" __global__ void maxmatmul_bwd_b_f32(float* g, const float* a, const float* b, const int* sel,
                                               const float* dc, long long batch, long long n, long long k,
                                               long long m) {
    gm::route_b<false, float>(g, a, b, sel, dc, batch, n, k, m);
}
extern "C" __global__ void maxmatmul_bwd_b_f64(double* g, const double* a, const double* b, const int* sel,
                                               const double* dc, long long batch, long long n, long long k,
                                               long long m) {
    gm::route_b<false, double>(g, a, b, sel, dc, batch, n, k, m);
}
extern "C" __global__ void prodmaxmatmul_bwd_a_f32(float* g, const float* a, const float* b, const int* sel,
                                                   const float* dc, long long batch, long long n, long long k,
                                                   long long m) {
    gm::route_a<true, float>(g, a, b, sel, dc, batch, n, k, m);
}
extern "C" __global__ void prodmaxmatmul_bwd_a_f64(double* g, const double* a, const double* b, const int* sel,
                                                   const double* dc, long long batch, long long n, long long k,
                                                   long long m) {
    gm::route_a<true, double>(g, a, b, sel, dc, batch, n, k, m);
}
extern "C" __global__ void prodmaxmatmul_bwd_b_f32(float* g, const float* a, const float* b, const int* sel,
                                                   const float* dc, long long batch, long long n, long long k,
                                                   long long m) {
    gm::route_b<true, float>(g, a, b, sel, dc, batch, n, k, m);
}
extern "C" __global__ void prodmaxmatmul_bwd_b_f64(double* g, const double* a, const double* b, const int* sel,
                                                   const double* dc, long long batch, long long n, long long k,
                                                   long long m) {
    gm::route_b<true, double>(g, a, b, sel, dc, batch, n, k, m);
}
