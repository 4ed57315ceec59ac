// attention.cu: the kernels of package attention's fused sliding-window
// attention (attention.Banded), forward and backward, flash-style: no
// score is kept between launches, only two numbers per query row (the log
// of its softmax's normalizer and D = Σ_j P·dP) between the two backward
// launches.
//
// q, k, v and dout are (batch, n, d); row r = b·n + i. The window of query
// row i of item b is the keys [max(0, i − lower), min(len − 1, i + upper)],
// len the item's length (n without lengths; a length outside [0, n] is
// clamped to it, the CPU Op refuses it); a row past len, or whose window is
// empty, outputs 0 and gets gradient 0.
//
// One block of ATTN_THREADS threads per row (a query row, or for
// attention_bwd_keys a key row). The block walks the row's window in tiles
// of ATTN_TILE: its threads compute the tile's scores, one whole dot
// product each, into shared memory; then every thread sums the tile in the
// same order (so all hold the same softmax statistics without a
// reduction), each for its own elements x ≡ threadIdx.x (mod
// ATTN_THREADS) of the d-long accumulators, which live in shared memory
// because d is known only at run time.
#include "common.cuh"

#define ATTN_TILE 64
#define ATTN_THREADS 32

namespace gb {

// attn_len returns item b's length: lens[b] clamped to [0, n], or n when
// has_lens is 0 (lens is then not read).
__device__ __forceinline__ long long attn_len(const long long* lens, long long has_lens, long long b, long long n) {
    if (!has_lens) return n;
    long long l = lens[b];
    return l < 0 ? 0 : (l > n ? n : l);
}

// attn_dot returns Σ_x a[x]·b[x] over d elements.
//
// Its callers give each thread a key row (or, in attention_bwd_keys, a
// query row) of global memory of its own, the other operand in shared
// memory, so the lanes of a warp read d elements apart: 18.2 sectors a
// request where 2.7 would do (float, n = 256, d = 64, a band of 33; the
// GPU model in BENCHMARKS.md), the bulk of the attention kernels' global
// requests. Coalescing it needs the tile's ATTN_TILE rows of K (V, Q, dO)
// staged through shared memory first, coalesced, which costs 2 ×
// ATTN_TILE × d elements of shared memory (32 KiB at d = 64, double) and
// so a cap on d or tiles of d: not done yet.
template <typename T> __device__ __forceinline__ T attn_dot(const T* a, const T* b, long long d) {
    T s = T(0);
    for (long long x = 0; x < d; x++) s += a[x] * b[x];
    return s;
}

// attn_window sets [lo, hi] to the keys of query row i of an item of
// length len; hi < lo when there are none.
__device__ __forceinline__ void attn_window(long long i, long long len, long long lower, long long upper, long long* lo,
                                            long long* hi) {
    *lo = i - lower > 0 ? i - lower : 0;
    *hi = i + upper < len - 1 ? i + upper : len - 1;
    if (i >= len) *hi = *lo - 1;
}

// attn_lse returns the log-sum-exp of the scores scale·qi·k[j] of the keys
// [lo, hi] of item b (−Inf for none), the running maximum rescaled tile by
// tile. s is ATTN_TILE of shared memory.
template <typename T>
__device__ T attn_lse(T* s, const T* qi, const T* k, long long b, long long n, long long d, long long lo, long long hi,
                      T scale) {
    T m = neg_inf<T>(), l = T(0);
    for (long long t0 = lo; t0 <= hi; t0 += ATTN_TILE) {
        const long long cnt = hi - t0 + 1 < ATTN_TILE ? hi - t0 + 1 : ATTN_TILE;
        for (long long j = threadIdx.x; j < cnt; j += blockDim.x) s[j] = scale * attn_dot(qi, k + (b * n + t0 + j) * d, d);
        __syncthreads();
        T mt = m;
        for (long long j = 0; j < cnt; j++) mt = nan_max(mt, s[j]);
        l = is_neg_inf(m) ? T(0) : l * fast_exp(m - mt);
        for (long long j = 0; j < cnt; j++) l += fast_exp(s[j] - mt);
        m = mt;
        __syncthreads(); // s is the next tile's
    }
    return hi < lo ? neg_inf<T>() : m + precise_log(l);
}

// attn_fwd: out[r] = Σ_j softmax_j(scale·q[r]·k[j])·v[j] over the window,
// one block per query row. Shared: s (ATTN_TILE), qi (d), acc (d).
template <typename T>
__device__ void attn_fwd(T* out, const T* q, const T* k, const T* v, const long long* lens, long long batch,
                         long long n, long long d, long long lower, long long upper, double scale_, long long has_lens) {
    GB_DYNAMIC_SHARED(T, sh);
    T *s = sh, *qi = sh + ATTN_TILE, *acc = qi + d;
    const T scale = T(scale_);
    const long long r = blockIdx.x, b = r / n, i = r % n;
    long long lo, hi;
    attn_window(i, attn_len(lens, has_lens, b, n), lower, upper, &lo, &hi);
    for (long long x = threadIdx.x; x < d; x += blockDim.x) {
        qi[x] = q[r * d + x];
        acc[x] = T(0);
    }
    __syncthreads();
    T m = neg_inf<T>(), l = T(0);
    for (long long t0 = lo; t0 <= hi; t0 += ATTN_TILE) {
        const long long cnt = hi - t0 + 1 < ATTN_TILE ? hi - t0 + 1 : ATTN_TILE;
        for (long long j = threadIdx.x; j < cnt; j += blockDim.x) s[j] = scale * attn_dot(qi, k + (b * n + t0 + j) * d, d);
        __syncthreads();
        T mt = m;
        for (long long j = 0; j < cnt; j++) mt = nan_max(mt, s[j]);
        const T c = is_neg_inf(m) ? T(0) : fast_exp(m - mt);
        l *= c;
        for (long long x = threadIdx.x; x < d; x += blockDim.x) acc[x] *= c;
        for (long long j = 0; j < cnt; j++) {
            const T p = fast_exp(s[j] - mt);
            const T* vj = v + (b * n + t0 + j) * d;
            l += p;
            for (long long x = threadIdx.x; x < d; x += blockDim.x) acc[x] += p * vj[x];
        }
        m = mt;
        __syncthreads(); // s is the next tile's
    }
    for (long long x = threadIdx.x; x < d; x += blockDim.x) out[r * d + x] = hi < lo ? T(0) : acc[x] / l;
}

// attn_bwd_rows: for query row r, with P = e^(scale·q·k − lse) and dP =
// dout·v over its window, D = Σ P·dP: dq[r] = scale · Σ P·(dP − D)·k, into
// the first (batch, n, d) of g; stats[r] = lse and stats[batch·n + r] = D
// for attn_bwd_keys. Shared: p, dp (ATTN_TILE each), qi, gi, acc (d each).
template <typename T>
__device__ void attn_bwd_rows(T* g, const T* q, const T* k, const T* v, const T* dout, const long long* lens,
                              T* stats, long long batch, long long n, long long d, long long lower, long long upper,
                              double scale_, long long has_lens) {
    GB_DYNAMIC_SHARED(T, sh);
    T *p = sh, *dp = sh + ATTN_TILE, *qi = dp + ATTN_TILE, *gi = qi + d, *acc = gi + d;
    const T scale = T(scale_);
    const long long r = blockIdx.x, b = r / n, i = r % n;
    long long lo, hi;
    attn_window(i, attn_len(lens, has_lens, b, n), lower, upper, &lo, &hi);
    for (long long x = threadIdx.x; x < d; x += blockDim.x) {
        qi[x] = q[r * d + x];
        gi[x] = dout[r * d + x];
        acc[x] = T(0);
    }
    __syncthreads();
    const T lse = attn_lse(p, qi, k, b, n, d, lo, hi, scale);
    // D, then dq: each pass computes P and dP of a tile again.
    T dsum = T(0);
    for (int pass = 0; pass < 2; pass++) {
        for (long long t0 = lo; t0 <= hi; t0 += ATTN_TILE) {
            const long long cnt = hi - t0 + 1 < ATTN_TILE ? hi - t0 + 1 : ATTN_TILE;
            for (long long j = threadIdx.x; j < cnt; j += blockDim.x) {
                const long long kr = (b * n + t0 + j) * d;
                const T pj = fast_exp(scale * attn_dot(qi, k + kr, d) - lse);
                const T dpj = attn_dot(gi, v + kr, d);
                p[j] = pj;
                dp[j] = pass == 0 ? dpj : pj * (dpj - dsum);
            }
            __syncthreads();
            if (pass == 0) {
                for (long long j = 0; j < cnt; j++) dsum += p[j] * dp[j];
            } else {
                for (long long j = 0; j < cnt; j++) {
                    const T* kj = k + (b * n + t0 + j) * d;
                    for (long long x = threadIdx.x; x < d; x += blockDim.x) acc[x] += dp[j] * kj[x];
                }
            }
            __syncthreads(); // p and dp are the next tile's
        }
    }
    for (long long x = threadIdx.x; x < d; x += blockDim.x) g[r * d + x] = hi < lo ? T(0) : scale * acc[x];
    if (threadIdx.x == 0) {
        stats[r] = lse;
        stats[batch * n + r] = dsum;
    }
}

// attn_bwd_keys: for key row r = b·n + j, over the query rows whose windows
// hold it (a range of rows), dk[r] = scale · Σ P·(dP − D)·q and dv[r] =
// Σ P·dout, into the second and third (batch, n, d) of g, with lse and D
// of each query row from stats. Shared: p, ds (ATTN_TILE each), kj, vj,
// ak, av (d each).
template <typename T>
__device__ void attn_bwd_keys(T* g, const T* q, const T* k, const T* v, const T* dout, const long long* lens,
                              const T* stats, long long batch, long long n, long long d, long long lower,
                              long long upper, double scale_, long long has_lens) {
    GB_DYNAMIC_SHARED(T, sh);
    T *p = sh, *ds = sh + ATTN_TILE, *kj = ds + ATTN_TILE, *vj = kj + d, *ak = vj + d, *av = ak + d;
    const T scale = T(scale_);
    const long long r = blockIdx.x, b = r / n, j = r % n, len = attn_len(lens, has_lens, b, n);
    long long lo = j - upper > 0 ? j - upper : 0;
    long long hi = j + lower < len - 1 ? j + lower : len - 1;
    if (j >= len) hi = lo - 1;
    for (long long x = threadIdx.x; x < d; x += blockDim.x) {
        kj[x] = k[r * d + x];
        vj[x] = v[r * d + x];
        ak[x] = T(0);
        av[x] = T(0);
    }
    __syncthreads();
    for (long long t0 = lo; t0 <= hi; t0 += ATTN_TILE) {
        const long long cnt = hi - t0 + 1 < ATTN_TILE ? hi - t0 + 1 : ATTN_TILE;
        for (long long t = threadIdx.x; t < cnt; t += blockDim.x) {
            const long long qr = b * n + t0 + t;
            const T pt = fast_exp(scale * attn_dot(q + qr * d, kj, d) - stats[qr]);
            p[t] = pt;
            ds[t] = pt * (attn_dot(dout + qr * d, vj, d) - stats[batch * n + qr]);
        }
        __syncthreads();
        for (long long t = 0; t < cnt; t++) {
            const long long qr = (b * n + t0 + t) * d;
            for (long long x = threadIdx.x; x < d; x += blockDim.x) {
                ak[x] += ds[t] * q[qr + x];
                av[x] += p[t] * dout[qr + x];
            }
        }
        __syncthreads(); // p and ds are the next tile's
    }
    const long long m = batch * n * d;
    for (long long x = threadIdx.x; x < d; x += blockDim.x) {
        g[m + r * d + x] = scale * ak[x];
        g[2 * m + r * d + x] = av[x];
    }
}

} // namespace gb

// Entry points, written out so that cudaops/emu/internal/kgen finds them.
// Pointers: the output, then q, k, v (and dout), the lengths (int64,
// (batch); read only when has_lens is 1), then the backward's statistics
// (2·batch·n). Scalars: batch, n, d, lower, upper (each clamped to
// [−n, n]), scale, has_lens.
extern "C" __global__ void attention_fwd_f32(float* out, const float* q, const float* k, const float* v,
                                             const long long* lens, long long batch, long long n, long long d,
                                             long long lower, long long upper, double scale, long long has_lens) {
    gb::attn_fwd<float>(out, q, k, v, lens, batch, n, d, lower, upper, scale, has_lens);
}
extern "C" __global__ void attention_fwd_f64(double* out, const double* q, const double* k, const double* v,
                                             const long long* lens, long long batch, long long n, long long d,
                                             long long lower, long long upper, double scale, long long has_lens) {
    gb::attn_fwd<double>(out, q, k, v, lens, batch, n, d, lower, upper, scale, has_lens);
}
extern "C" __global__ void attention_bwd_rows_f32(float* g, const float* q, const float* k, const float* v,
                                                  const float* dout, const long long* lens, float* stats,
                                                  long long batch, long long n, long long d, long long lower,
                                                  long long upper, double scale, long long has_lens) {
    gb::attn_bwd_rows<float>(g, q, k, v, dout, lens, stats, batch, n, d, lower, upper, scale, has_lens);
}
extern "C" __global__ void attention_bwd_rows_f64(double* g, const double* q, const double* k, const double* v,
                                                  const double* dout, const long long* lens, double* stats,
                                                  long long batch, long long n, long long d, long long lower,
                                                  long long upper, double scale, long long has_lens) {
    gb::attn_bwd_rows<double>(g, q, k, v, dout, lens, stats, batch, n, d, lower, upper, scale, has_lens);
}
extern "C" __global__ void attention_bwd_keys_f32(float* g, const float* q, const float* k, const float* v,
                                                  const float* dout, const long long* lens, const float* stats,
                                                  long long batch, long long n, long long d, long long lower,
                                                  long long upper, double scale, long long has_lens) {
    gb::attn_bwd_keys<float>(g, q, k, v, dout, lens, stats, batch, n, d, lower, upper, scale, has_lens);
}
extern "C" __global__ void attention_bwd_keys_f64(double* g, const double* q, const double* k, const double* v,
                                                  const double* dout, const long long* lens, const double* stats,
                                                  long long batch, long long n, long long d, long long lower,
                                                  long long upper, double scale, long long has_lens) {
    gb::attn_bwd_keys<double>(g, q, k, v, dout, lens, stats, batch, n, d, lower, upper, scale, has_lens);
}
