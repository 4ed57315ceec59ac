// Scan (bandop/scan.go): v_T = v0 ⊗ A_0 ⊗ … ⊗ A_{T−1}, row vectors times
// banded matrices, for each of `items` vectors, keeping every state, and its
// gradient by one reverse scan. Item b of step t is matrix t·items + b of A
// (band storage (steps·items, n, w), w = lower + upper + 1). Only rows
// [lo[t], hi[t]) of step t's matrices are read (the window, an int64 array
// of 2·steps entries: lo[0..steps), then hi[0..steps)).
//
// Forward (bandop's scanForward / scanStep / scanLogSum): the states S,
// (steps+1, items, n), are double whatever T is, and so is every sum:
//
//   S[0][b] = v0[b];  S[t+1][b][c] = ⊕ over rows r of step t's window with
//   c − upper ≤ r ≤ c + lower of S[t][b][r] ⊗ A_{t·items+b}[r][c−r+lower],
//
// the semiring's zero for a column no row reaches. Backward (scanBackward /
// scanStepGrad): G_T = dS[T], G_t[r] = dS[t][r] + Σ_c G_{t+1}[c]·∂S[t+1][c]
// /∂S[t][r] for r in the window (dS[t][r] alone outside it), dv0 = G_0, and
// dA[r][k] = G_{t+1}[c]·∂S[t+1][c]/∂A[r][k]; a term whose G_{t+1}[c] is 0
// adds nothing (nor writes anything but 0), so NaN or Inf in a part of the
// scan that does not reach the result does not reach the gradient either.
//
// Each kernel runs the whole scan in one launch: a block per item (blocks
// loop over the items), __syncthreads between steps. The forward's threads
// stride over the columns of a state, reading the previous state from S
// itself (written by the block before the barrier). The backward's threads
// stride over rows, each gathering over the columns its row reaches (no
// atomics: the sums run in the CPU's order, so results are deterministic);
// the rolling adjoints G_{t+1} and G_t of each item live in global scratch
// memory, 2·n doubles an item, because a state of thousands of columns does
// not fit shared memory. Every thread reaches every barrier: no thread
// returns early.
//
// All arithmetic is double, with the accurate exp and log (≤ 1 ulp), never
// __expf: the states of an alignment reach 2e8, where float's exp would
// lose every digit of the marginals, and Max's gradient compares sums for
// ties exactly as the CPU does.
#include "common.cuh"

namespace gbscan {

// first_row returns the first row of the window [rlo, rhi) that column c of
// a band (lower, upper) reaches; end_row the end of that range. The range
// is empty (first ≥ end) when no row of the window reaches c.
__device__ __forceinline__ long long first_row(long long c, long long rlo, long long upper) {
    return c - upper > rlo ? c - upper : rlo;
}
__device__ __forceinline__ long long end_row(long long c, long long rhi, long long lower) {
    return c + lower + 1 < rhi ? c + lower + 1 : rhi;
}

// window returns the rows [*rlo, *rhi) of step t, clamped to [0, n).
__device__ __forceinline__ void window(const long long* win, long long steps, long long t, long long n, long long* rlo,
                                       long long* rhi) {
    long long lo = win[t], hi = win[steps + t];
    lo = lo < 0 ? 0 : lo;
    hi = hi > n ? n : hi;
    *rlo = lo;
    *rhi = hi;
}

// log_weight returns e^d for d ≤ 0, a term's weight in a Log sum whose
// maximum it is d below, as bandop's scanLogSum and scanStepGrad take it:
// exactly 1 for the maximum itself (a carry: no exp), 0 from −745 down (exp
// underflows there; a −Inf term, a zero of the semiring, among them), and
// NaN for NaN (a NaN that reaches a differentiated result reaches its
// gradient).
__device__ __forceinline__ double log_weight(double d) {
    if (d == 0) return 1;
    if (d != d) return d;
    return d > -745 ? exp(d) : 0;
}

// column returns S[t+1][c] = ⊕_{r ∈ [r0, r1)} prev[r] ⊗ a[r·(w−1) + c + lower]
// (row r's slot of column c), the semiring's zero when the range is empty.
// Log takes the maximum first (no exp overflows) and returns an infinite or
// NaN maximum itself, as bandop's scanLogSum; Max propagates NaN as Go's
// max does (not fmax).
//
// The rows are walked over [g0, g1), the rows of every column of the
// thread's warp, each thread adding only its own [r0, r1): the threads of
// a warp (consecutive columns) then read consecutive slots of one row of a
// at each step (coalesced) and one element of prev (a broadcast), where a
// walk of each thread's own rows would read 32 rows w − 1 slots apart (a
// sector a thread: about 8× the ideal, the GPU model). The terms keep
// their order, so the sums are the same bit for bit; the cost is w + 31
// steps a warp instead of w.
template <typename T>
__device__ __forceinline__ double column(long long s, const double* prev, const T* a, long long c, long long r0,
                                         long long r1, long long g0, long long g1, long long w, long long lower) {
    const long long step = w - 1;
    if (s == gb::REAL) {
        double acc = 0;
        for (long long r = g0; r < g1; r++)
            if (r >= r0 && r < r1) acc += prev[r] * (double)a[r * step + c + lower];
        return acc;
    }
    double m = gb::neg_inf<double>();
    for (long long r = g0; r < g1; r++)
        if (r >= r0 && r < r1) m = gb::nan_max(m, prev[r] + (double)a[r * step + c + lower]);
    if (s == gb::MAX || m != m || isinf(m)) return m;
    double sum = 0;
    for (long long r = g0; r < g1; r++)
        if (r >= r0 && r < r1) sum += log_weight(prev[r] + (double)a[r * step + c + lower] - m);
    return m + log(sum);
}

// fwd writes the states S of every item.
template <typename T>
__device__ void fwd(double* S, const T* v0, const T* a, const long long* win, long long items, long long steps,
                    long long n, long long lower, long long upper, long long s) {
    const long long w = lower + upper + 1;
    const double zero = s == gb::REAL ? 0.0 : gb::neg_inf<double>();
    for (long long b = blockIdx.x; b < items; b += gridDim.x) {
        for (long long c = threadIdx.x; c < n; c += blockDim.x) S[b * n + c] = (double)v0[b * n + c];
        __syncthreads();
        for (long long t = 0; t < steps; t++) {
            long long rlo, rhi;
            window(win, steps, t, n, &rlo, &rhi);
            const double* prev = S + (t * items + b) * n;
            double* next = S + ((t + 1) * items + b) * n;
            const T* mat = a + (t * items + b) * n * w;
            for (long long c = threadIdx.x; c < n; c += blockDim.x) {
                const long long r0 = first_row(c, rlo, upper), r1 = end_row(c, rhi, lower);
                const long long c0 = c - threadIdx.x % 32; // the warp's first column
                const long long g0 = first_row(c0, rlo, upper), g1 = end_row(c0 + 31, rhi, lower);
                next[c] = r0 < r1 ? column(s, prev, mat, c, r0, r1, g0, g1, w, lower) : zero;
            }
            __syncthreads();
        }
    }
}

// bwd runs the reverse scan of every item. With wrt 1 it writes dA (g has
// A's shape: every slot, 0 outside the window's rows, in the padding and
// for terms that add nothing); with wrt 0 it writes dv0 = G_0 (g has v0's
// shape). scratch holds 2·n doubles per item.
template <typename T>
__device__ void bwd(T* g, const T* a, const double* S, const double* dS, const long long* win, double* scratch,
                    long long items, long long steps, long long n, long long lower, long long upper, long long s,
                    long long wrt) {
    const long long w = lower + upper + 1;
    for (long long b = blockIdx.x; b < items; b += gridDim.x) {
        double* gnext = scratch + b * 2 * n; // G_{t+1}
        double* gcur = gnext + n;            // G_t
        for (long long r = threadIdx.x; r < n; r += blockDim.x) gnext[r] = dS[(steps * items + b) * n + r];
        __syncthreads();
        for (long long t = steps - 1; t >= 0; t--) {
            long long rlo, rhi;
            window(win, steps, t, n, &rlo, &rhi);
            const double* prev = S + (t * items + b) * n;
            const double* next = S + ((t + 1) * items + b) * n;
            const double* ds = dS + (t * items + b) * n;
            const long long m = t * items + b;
            const T* mat = a + m * n * w;
            T* dmat = wrt == 1 ? g + m * n * w : nullptr;
            for (long long r = threadIdx.x; r < n; r += blockDim.x) {
                double acc = ds[r];
                T* drow = dmat ? dmat + r * w : nullptr;
                if (drow)
                    for (long long k = 0; k < w; k++) drow[k] = T(0);
                if (r >= rlo && r < rhi) {
                    const long long klo = gb::valid_lo(r, n, lower, w), khi = gb::valid_hi(r, n, lower, w);
                    const double x = prev[r];
                    const T* row = mat + r * w;
                    // Each thread walks its own row of A (and of dA): the
                    // rows of a warp's threads are w slots apart, about 7×
                    // the ideal sectors (GPU model, BENCHMARKS.md). Staging
                    // the block's rows through shared memory, as vecmul.cu's
                    // mulvec_rows does, would need the dA rows staged and
                    // written back too: not done yet. Max's rescan of the
                    // rows before r (first) costs O(w) per tie, most of
                    // scan_bwd's requests in the tests' tie-heavy inputs.
                    for (long long k = klo; k < khi; k++) {
                        const long long c = r + k - lower;
                        const double gc = gnext[c];
                        if (gc == 0) continue;
                        const double av = (double)row[k];
                        double wv, wa; // ∂S[t+1][c]/∂S[t][r] and ∂S[t+1][c]/∂A[r][k]
                        if (s == gb::REAL) {
                            wv = av;
                            wa = x;
                        } else if (s == gb::MAX) {
                            // Only the first maximal row of the column gets
                            // the gradient (a −Inf or NaN column none).
                            const double sc = next[c];
                            if (gb::is_neg_inf(sc) || x + av != sc) continue;
                            bool first = true;
                            const long long step = w - 1;
                            long long r2 = first_row(c, rlo, upper);
                            for (long long ai = r2 * step + c + lower; r2 < r; r2++, ai += step) {
                                if (prev[r2] + (double)mat[ai] == sc) {
                                    first = false;
                                    break;
                                }
                            }
                            if (!first) continue;
                            wv = wa = 1;
                        } else {
                            const double sc = next[c];
                            if (gb::is_neg_inf(sc)) continue;
                            wv = wa = log_weight(x + av - sc);
                        }
                        acc += gc * wv;
                        if (drow) drow[k] = T(gc * wa);
                    }
                }
                gcur[r] = acc;
            }
            __syncthreads();
            double* tmp = gnext;
            gnext = gcur;
            gcur = tmp;
        }
        if (wrt == 0)
            for (long long r = threadIdx.x; r < n; r += blockDim.x) g[b * n + r] = T(gnext[r]);
        // The next item of this block (when the grid is smaller than items)
        // has scratch of its own: no barrier is needed before it starts.
    }
}

// last_fwd writes v[e] = T(S[steps][e]) for the items·n elements of the
// last state; last_bwd writes dS: 0 except the last state, dv.
template <typename T>
__device__ void last_fwd(T* v, const double* S, long long items, long long steps, long long n) {
    const long long size = items * n, base = steps * size;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < size; e += (long long)gridDim.x * blockDim.x)
        v[e] = T(S[base + e]);
}
template <typename T>
__device__ void last_bwd(double* dS, const T* dv, long long items, long long steps, long long n) {
    const long long size = items * n, base = steps * size, total = base + size;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (long long)gridDim.x * blockDim.x)
        dS[e] = e < base ? 0.0 : (double)dv[e - base];
}

} // namespace gbscan

// Entry points, written out so that cudaops/emu/internal/kgen finds them.
// Pointers: the output, the Op's inputs in order (scanOp: v0, A; scanGradOp:
// v0, A, S, dS), then the window (2·steps int64s) and, for the backward,
// the scratch (2·n·items doubles). Scalars: items, steps, n, lower, upper,
// semiring, and for the backward wrt (0: dv0, 1: dA). The backward does not
// read v0 (S[0] is v0); it is there because the Op passes its inputs in
// order.
extern "C" __global__ void scan_fwd_f32(double* S, const float* v0, const float* a, const long long* win,
                                        long long items, long long steps, long long n, long long lower,
                                        long long upper, long long s) {
    gbscan::fwd<float>(S, v0, a, win, items, steps, n, lower, upper, s);
}
extern "C" __global__ void scan_fwd_f64(double* S, const double* v0, const double* a, const long long* win,
                                        long long items, long long steps, long long n, long long lower,
                                        long long upper, long long s) {
    gbscan::fwd<double>(S, v0, a, win, items, steps, n, lower, upper, s);
}
extern "C" __global__ void scan_bwd_f32(float* g, const float* v0, const float* a, const double* S, const double* dS,
                                        const long long* win, double* scratch, long long items, long long steps,
                                        long long n, long long lower, long long upper, long long s, long long wrt) {
    gbscan::bwd<float>(g, a, S, dS, win, scratch, items, steps, n, lower, upper, s, wrt);
}
extern "C" __global__ void scan_bwd_f64(double* g, const double* v0, const double* a, const double* S,
                                        const double* dS, const long long* win, double* scratch, long long items,
                                        long long steps, long long n, long long lower, long long upper, long long s,
                                        long long wrt) {
    gbscan::bwd<double>(g, a, S, dS, win, scratch, items, steps, n, lower, upper, s, wrt);
}
// Pointers: the output, then the input (scanLastOp: S; scanLastGradOp: dv).
// Scalars: items, steps, n.
extern "C" __global__ void scan_last_fwd_f32(float* v, const double* S, long long items, long long steps, long long n) {
    gbscan::last_fwd<float>(v, S, items, steps, n);
}
extern "C" __global__ void scan_last_fwd_f64(double* v, const double* S, long long items, long long steps,
                                             long long n) {
    gbscan::last_fwd<double>(v, S, items, steps, n);
}
extern "C" __global__ void scan_last_bwd_f32(double* dS, const float* dv, long long items, long long steps,
                                             long long n) {
    gbscan::last_bwd<float>(dS, dv, items, steps, n);
}
extern "C" __global__ void scan_last_bwd_f64(double* dS, const double* dv, long long items, long long steps,
                                             long long n) {
    gbscan::last_bwd<double>(dS, dv, items, steps, n);
}
