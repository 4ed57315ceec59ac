// mul.cu: the semiring product C = A ⊗ B of banded matrices (bandop.Mul)
// and its gradients (bandop's binGradOp for Mul).
//
// Band coordinates: C[i, kc] = ⊕_ka A[i, ka] ⊗ B[k, kb] with k = i + ka − la
// and kb = kc − ka (la = A's lower band; C's lower band is la + lb). For a
// valid slot kc of C's row i the terms are the ka valid in A's row i with
// 0 ≤ kc − ka < wb; B's slot kb is then valid too.
#include "common.cuh"

namespace gb {

// Tile sizes of the forward kernel, and of its launch (cudaops/mul.go holds
// the same numbers). A block is MUL_TX × MUL_TY threads and computes a tile
// of MUL_TR rows × MUL_KC output slots of one matrix: thread (x, y) owns
// rows y + MUL_TY·p (p < MUL_P) and slots x + MUL_TX·q (q < MUL_Q).
#define MUL_TX 32
#define MUL_TY 8
#define MUL_P 2
#define MUL_Q 2
#define MUL_TR (MUL_TY * MUL_P)
#define MUL_KC (MUL_TX * MUL_Q)

// mul_ka is the number of A slots (ka) staged per step: the step's
// MUL_TR + ka − 1 rows of B, MUL_KC + ka − 1 slots each, and MUL_TR × ka of
// A fit in 20 KiB of shared memory for either type.
template <typename T> struct mul_ka;
template <> struct mul_ka<float> { static const int value = 32; };
template <> struct mul_ka<double> { static const int value = 16; };

// Acc is the accumulator of one output slot for semiring S.
template <int S, typename T> struct Acc;
template <typename T> struct Acc<REAL, T> {
    T v = T(0);
    __device__ __forceinline__ void add(T a, T b) { v += a * b; }
    __device__ __forceinline__ T value() const { return v; }
};
template <typename T> struct Acc<MAX, T> {
    T v = neg_inf<T>();
    __device__ __forceinline__ void add(T a, T b) { v = nan_max(v, a + b); }
    __device__ __forceinline__ T value() const { return v; }
};
template <typename T> struct Acc<LOG, T> {
    LogSumExp<T> l;
    __device__ __forceinline__ void add(T a, T b) { l.add(a + b); }
    __device__ __forceinline__ T value() const { return l.value(); }
};

// mul_fwd computes one tile of C. The block's tile index folds (batch, row
// tile, slot tile) into blockIdx.x, so batch has no limit of its own. For
// each step of KA slots of A, the block stages the rows of B those slots
// reach (consecutive threads load consecutive slots of a row: coalesced)
// and the A slots of its rows, replacing every padding slot and every slot
// outside the operands by the semiring's zero, so that padding (NaN
// included) never reaches a result. Each thread then runs its outputs'
// terms in ascending ka order, the CPU's order (so Max keeps the first of
// equal maxima and Real sums in the same order), and Log keeps one online
// logsumexp per output.
template <int S, typename T>
__device__ void mul_fwd(T* __restrict__ c, const T* __restrict__ a, const T* __restrict__ b, long long batch,
                        long long n, long long la, long long ua, long long lb, long long ub) {
    const int KA = mul_ka<T>::value;
    const int BW = MUL_KC + KA - 1; // staged slots per B row
    const long long wa = la + ua + 1, wb = lb + ub + 1, wc = wa + wb - 1, lc = la + lb;
    const long long rowTiles = ceil_div(n, MUL_TR), kcTiles = ceil_div(wc, MUL_KC);
    long long tile = blockIdx.x;
    const long long kcTile = tile % kcTiles;
    tile /= kcTiles;
    const long long rowTile = tile % rowTiles;
    const long long bat = tile / rowTiles;
    const long long i0 = rowTile * MUL_TR, kc0 = kcTile * MUL_KC;
    const long long iLast = (i0 + MUL_TR < n ? i0 + MUL_TR : n) - 1;
    const T z = S == REAL ? T(0) : neg_inf<T>();

    GB_DYNAMIC_SHARED(T, smem);
    T* bs = smem;                        // (MUL_TR + KA − 1) × BW
    T* as = smem + (MUL_TR + KA - 1) * BW; // MUL_TR × KA

    Acc<S, T> acc[MUL_P][MUL_Q];

    // The A slots any output of the tile needs: valid for some row of the
    // tile, and within wb of some slot of the tile.
    long long kaLo = kc0 - wb + 1, kaHi = kc0 + MUL_KC;
    kaLo = kaLo > valid_lo(iLast, n, la, wa) ? kaLo : valid_lo(iLast, n, la, wa);
    kaHi = kaHi < valid_hi(i0, n, la, wa) ? kaHi : valid_hi(i0, n, la, wa);

    const int tid = threadIdx.y * MUL_TX + threadIdx.x;
    const int nthreads = MUL_TX * MUL_TY;
    const T* abase = a + bat * n * wa;
    const T* bbase = b + bat * n * wb;
    for (long long ka0 = kaLo; ka0 < kaHi; ka0 += KA) {
        __syncthreads(); // the previous step is done with the buffers
        const long long kbBase = kc0 - ka0 - (KA - 1);
        const long long kBase = i0 + ka0 - la;
        for (int e = tid; e < (MUL_TR + KA - 1) * BW; e += nthreads) {
            const int r = e / BW, x = e % BW;
            const long long k = kBase + r, kb = kbBase + x;
            const long long col = k + kb - lb;
            bool ok = k >= 0 && k < n && kb >= 0 && kb < wb && col >= 0 && col < n;
            bs[e] = ok ? bbase[k * wb + kb] : z;
        }
        for (int e = tid; e < MUL_TR * KA; e += nthreads) {
            const int r = e / KA, t = e % KA;
            const long long i = i0 + r, ka = ka0 + t;
            const long long col = i + ka - la;
            bool ok = i < n && ka < kaHi && col >= 0 && col < n;
            as[e] = ok ? abase[i * wa + ka] : z;
        }
        __syncthreads();
        const int steps = (int)(kaHi - ka0 < KA ? kaHi - ka0 : KA);
#pragma unroll
        for (int p = 0; p < MUL_P; p++) {
            const int ti = threadIdx.y + MUL_TY * p;
#pragma unroll
            for (int q = 0; q < MUL_Q; q++) {
                const int kcl = threadIdx.x + MUL_TX * q;
                // Terms with 0 ≤ kb < wb: kb = kc0 + kcl − ka0 − t.
                const long long kb0 = kc0 + kcl - ka0;
                int tLo = (int)(kb0 - wb + 1 > 0 ? kb0 - wb + 1 : 0);
                int tHi = (int)(kb0 + 1 < steps ? kb0 + 1 : steps);
                for (int t = tLo; t < tHi; t++) {
                    acc[p][q].add(as[ti * KA + t], bs[(ti + t) * BW + kcl + KA - 1 - t]);
                }
            }
        }
    }

    T* cbase = c + bat * n * wc;
#pragma unroll
    for (int p = 0; p < MUL_P; p++) {
        const long long i = i0 + threadIdx.y + MUL_TY * p;
        if (i >= n) continue;
        const long long lo = valid_lo(i, n, lc, wc), hi = valid_hi(i, n, lc, wc);
#pragma unroll
        for (int q = 0; q < MUL_Q; q++) {
            const long long kc = kc0 + threadIdx.x + MUL_TX * q;
            if (kc >= wc) continue;
            cbase[i * wc + kc] = (kc >= lo && kc < hi) ? acc[p][q].value() : z;
        }
    }
}

template <typename T>
__device__ void mul_fwd_any(long long s, T* c, const T* a, const T* b, long long batch, long long n, long long la,
                            long long ua, long long lb, long long ub) {
    if (s == LOG) mul_fwd<LOG, T>(c, a, b, batch, n, la, ua, lb, ub);
    else if (s == MAX) mul_fwd<MAX, T>(c, a, b, batch, n, la, ua, lb, ub);
    else mul_fwd<REAL, T>(c, a, b, batch, n, la, ua, lb, ub);
}

// mul_first reports whether A[i, ka] ⊗ B[k, kc − ka] is the first term (in
// ascending ka) of output slot kc of row i equal to cv, the forward's value
// there, given that it is equal: no earlier valid term is. This is the Max
// gradient's rule, the CPU's mulFirstMax.
//
// Its cost is the rescan: every term equal to the maximum rereads the
// terms before it, up to wa of them, so a slot of G costs O(wa · wb) where
// ties abound (the emulation tests' Max inputs are small integers: there
// the rescan makes about half of mul_bwd_a's and a third of mul_bwd_b's
// requests in the GPU model, BENCHMARKS.md, at 1.3–1.8× the ideal
// sectors, its A reads a broadcast and its B reads sliding along kc − k2).
// Without ties it runs once a slot. Removing it needs each output slot's
// first maximal ka computed once, by the forward or a pass of its own, in
// a buffer the Op's glue would pass along: not done yet.
template <typename T>
__device__ __forceinline__ bool mul_first(const T* arow, const T* bbase, long long i, long long ka, long long kc,
                                          T cv, long long n, long long la, long long wa, long long wb) {
    long long lo = valid_lo(i, n, la, wa);
    if (kc - wb + 1 > lo) lo = kc - wb + 1;
    for (long long k2 = lo; k2 < ka; k2++) {
        const long long k = i + k2 - la;
        if (arow[k2] + bbase[k * wb + kc - k2] == cv) return false;
    }
    return true;
}

// MUL_BROWS is the rows of B a mul_bwd_a block reads: row k = i + ka − la
// for its 8 rows i and 32 slots ka, 8 + 32 − 1 rows one after another.
// MUL_BSLOTS is the most slots of each it stages at a time.
#define MUL_BROWS (8 + 32 - 1)
#define MUL_BSLOTS 64

// mul_bwd_a: G[i, ka] = Σ_kc dC[i, kc] · w(i, ka, kc), with w = B[k, kb] for
// Real, e^(A + B − C) for Log (0 where C is −Inf) and the first-maximum
// indicator for Max. One thread per slot of G (a gather, so no atomics and
// a fixed order: ascending kc, the CPU's order); consecutive threads take
// consecutive slots of a row. A block is 32 slots × 8 rows of one matrix;
// blockIdx.x folds (batch, row tile, slot tile).
//
// Consecutive threads (ka) use consecutive rows of B, wb slots apart: read
// from global memory, a warp's B[k, kb] would take a sector a thread
// (about 6× the ideal). The block's rows of B lie together in memory, so
// the block copies them into shared memory, up to MUL_BSLOTS slots of each
// at a time (whole rows, one contiguous run, when wb ≤ MUL_BSLOTS; else
// runs of 256 bytes (float) or 512 (double) a row), and each thread reads
// its row there, at an odd stride across a warp (no bank conflict). The
// terms keep their order (ascending kb), so G is the same bit for bit. The
// copy also reads the padding slots of those rows (never used).
template <typename T>
__device__ void mul_bwd_a(T* g, const T* a, const T* b, const T* c, const T* dc, long long batch, long long n,
                          long long la, long long ua, long long lb, long long ub, long long s) {
    __shared__ T stage[MUL_BROWS * (MUL_BSLOTS + 1)];
    const long long wa = la + ua + 1, wb = lb + ub + 1, wc = wa + wb - 1;
    const long long rowTiles = ceil_div(n, blockDim.y), kaTiles = ceil_div(wa, blockDim.x);
    long long tile = blockIdx.x;
    const long long ka0 = (tile % kaTiles) * blockDim.x, ka = ka0 + threadIdx.x;
    tile /= kaTiles;
    const long long i0 = (tile % rowTiles) * blockDim.y, i = i0 + threadIdx.y;
    const long long bat = tile / rowTiles;
    const bool in = ka < wa && i < n && bat < batch;
    const bool use = in && ka >= valid_lo(i, n, la, wa) && ka < valid_hi(i, n, la, wa);
    const T* arow = a + (bat * n + i) * wa;
    const T* bbase = b + bat * n * wb;
    const T* crow = c + (bat * n + i) * wc;
    const T* drow = dc + (bat * n + i) * wc;
    // The block's rows of B: k0 … k0 + MUL_BROWS − 1, those of the matrix
    // [kLo, kHi); this thread's row k.
    const long long k0 = i0 + ka0 - la, k = i + ka - la;
    const long long kLo = k0 > 0 ? k0 : 0, kHi = k0 + MUL_BROWS < n ? k0 + MUL_BROWS : n;
    const long long rows = kHi > kLo ? kHi - kLo : 0;
    const long long tid = threadIdx.y * blockDim.x + threadIdx.x, bd = blockDim.x * blockDim.y;
    long long lo = 0, hi = 0;
    T av = T(0);
    if (use) {
        av = arow[ka];
        lo = valid_lo(k, n, lb, wb);
        hi = valid_hi(k, n, lb, wb);
    }
    T acc = T(0);
    for (long long s0 = 0; s0 < wb; s0 += MUL_BSLOTS) {
        const long long slots = wb - s0 < MUL_BSLOTS ? wb - s0 : MUL_BSLOTS, ws = slots | 1;
        for (long long e = tid; e < rows * slots; e += bd) {
            const long long rr = e / slots, x = e % slots;
            stage[(kLo - k0 + rr) * ws + x] = bbase[(kLo + rr) * wb + s0 + x];
        }
        __syncthreads();
        if (use) {
            const T* brow = stage + (k - k0) * ws;
            const long long l2 = lo > s0 ? lo : s0, h2 = hi < s0 + slots ? hi : s0 + slots;
            for (long long kb = l2; kb < h2; kb++) {
                const long long kc = ka + kb;
                const T d = drow[kc], bv = brow[kb - s0];
                if (s == REAL) {
                    if (d != T(0)) acc += d * bv;
                } else if (s == LOG) {
                    const T cv = crow[kc];
                    if (d != T(0) && !is_neg_inf(cv)) acc += d * exp(av + bv - cv);
                } else {
                    const T cv = crow[kc];
                    if (!is_neg_inf(cv) && av + bv == cv && mul_first(arow, bbase, i, ka, kc, cv, n, la, wa, wb))
                        acc += d;
                }
            }
        }
        __syncthreads(); // the stage is refilled
    }
    if (in) g[(bat * n + i) * wa + ka] = acc;
}

// mul_bwd_b: G[k, kb] = Σ_ka dC[i, kc] · w(i, ka, kc) over the rows
// i = k + la − ka that use B's row k, in ascending ka (the CPU's order),
// with w = A[i, ka] for Real and as mul_bwd_a for Log and Max. Geometry as
// mul_bwd_a, over B's slots.
template <typename T>
__device__ void mul_bwd_b(T* g, const T* a, const T* b, const T* c, const T* dc, long long batch, long long n,
                          long long la, long long ua, long long lb, long long ub, long long s) {
    const long long wa = la + ua + 1, wb = lb + ub + 1, wc = wa + wb - 1;
    const long long rowTiles = ceil_div(n, blockDim.y), kbTiles = ceil_div(wb, blockDim.x);
    long long tile = blockIdx.x;
    const long long kb = (tile % kbTiles) * blockDim.x + threadIdx.x;
    tile /= kbTiles;
    const long long k = (tile % rowTiles) * blockDim.y + threadIdx.y;
    const long long bat = tile / rowTiles;
    if (kb >= wb || k >= n || bat >= batch) return;
    const T* abase = a + bat * n * wa;
    const T* bbase = b + bat * n * wb;
    const T* cbase = c + bat * n * wc;
    const T* dbase = dc + bat * n * wc;
    T acc = T(0);
    if (kb >= valid_lo(k, n, lb, wb) && kb < valid_hi(k, n, lb, wb)) {
        const T bv = bbase[k * wb + kb];
        long long lo = k + la - n + 1, hi = k + la + 1;
        lo = lo > 0 ? lo : 0;
        hi = hi < wa ? hi : wa;
        for (long long ka = lo; ka < hi; ka++) {
            const long long i = k + la - ka, kc = ka + kb;
            const T d = dbase[i * wc + kc];
            const T av = abase[i * wa + ka];
            if (s == REAL) {
                if (d != T(0)) acc += d * av;
            } else if (s == LOG) {
                const T cv = cbase[i * wc + kc];
                if (d != T(0) && !is_neg_inf(cv)) acc += d * exp(av + bv - cv);
            } else {
                const T cv = cbase[i * wc + kc];
                if (!is_neg_inf(cv) && av + bv == cv && mul_first(abase + i * wa, bbase, i, ka, kc, cv, n, la, wa, wb))
                    acc += d;
            }
        }
    }
    g[(bat * n + k) * wb + kb] = acc;
}

} // namespace gb

// Entry points, written out so that cudaops/emu/internal/kgen finds them.
// Forward pointers: C, A, B. Scalars: batch, n, la, ua, lb, ub, semiring.
extern "C" __global__ void mul_fwd_f32(float* c, const float* a, const float* b, long long batch, long long n,
                                       long long la, long long ua, long long lb, long long ub, long long s) {
    gb::mul_fwd_any<float>(s, c, a, b, batch, n, la, ua, lb, ub);
}
extern "C" __global__ void mul_fwd_f64(double* c, const double* a, const double* b, long long batch, long long n,
                                       long long la, long long ua, long long lb, long long ub, long long s) {
    gb::mul_fwd_any<double>(s, c, a, b, batch, n, la, ua, lb, ub);
}

// Backward pointers: the gradient, then A, B, C, dC (binGradOp's inputs).
// Scalars: batch, n, la, ua, lb, ub, semiring.
extern "C" __global__ void mul_bwd_a_f32(float* g, const float* a, const float* b, const float* c, const float* dc,
                                         long long batch, long long n, long long la, long long ua, long long lb,
                                         long long ub, long long s) {
    gb::mul_bwd_a<float>(g, a, b, c, dc, batch, n, la, ua, lb, ub, s);
}
extern "C" __global__ void mul_bwd_a_f64(double* g, const double* a, const double* b, const double* c,
                                         const double* dc, long long batch, long long n, long long la, long long ua,
                                         long long lb, long long ub, long long s) {
    gb::mul_bwd_a<double>(g, a, b, c, dc, batch, n, la, ua, lb, ub, s);
}
extern "C" __global__ void mul_bwd_b_f32(float* g, const float* a, const float* b, const float* c, const float* dc,
                                         long long batch, long long n, long long la, long long ua, long long lb,
                                         long long ub, long long s) {
    gb::mul_bwd_b<float>(g, a, b, c, dc, batch, n, la, ua, lb, ub, s);
}
extern "C" __global__ void mul_bwd_b_f64(double* g, const double* a, const double* b, const double* c,
                                         const double* dc, long long batch, long long n, long long la, long long ua,
                                         long long lb, long long ub, long long s) {
    gb::mul_bwd_b<double>(g, a, b, c, dc, batch, n, la, ua, lb, ub, s);
}
