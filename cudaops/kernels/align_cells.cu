// The cells of package align's Linear strategy (align/cells.go: cellsOp,
// cellsGradOp): α of every cell of every item from the potentials θ
// (batch, N, M, 3) and the lengths, float64 (batch, N·M) in the grid's
// skewed order (align.cuh), and the gradient of θ from α and the gradient
// of α.
//
// Forward (cellsForward): cell (i, j) of an item's lattice is the ⊕ of its
// terms, in the order FromLeft, FromDiag, start, FromAbove:
//
//   L = α(i, j−1) ⊗ θ[i, j, FromLeft]   where (i, j−1) is in the lattice,
//   D = α(i−1, j−1) ⊗ θ[i, j, FromDiag] where (i−1, j−1) is,
//   S = θ[i, j, FromDiag]               where a path may start at (i, j),
//   A = α(i−1, j) ⊗ θ[i, j, FromAbove]  where (i−1, j) is,
//
// and every cell outside the lattice gets the semiring's zero. Real sums
// the terms, Max takes their maximum (Go's max: NaN if any is NaN), Log
// their maximum m and then m + log Σ e^(x − m), or m itself when it is not
// finite. A potential of a missing term is never read, so NaN there (a
// potential no path may use) changes nothing. Everything is double, with
// the accurate exp and log: α of an alignment reaches 1e8, where float's
// exp would lose every digit of the gradient.
//
// Backward (cellsBackward, which recomputes the weights rather than keep
// them): the gradient γ of a cell is dα of the cell plus what its
// successors pass back, γ(s)·w(s, term) for the term of s that the cell is
// the source of, added in the CPU's order (its rows run from the last, each
// from its last column): (i+1, j+1) by D, (i+1, j) by A, (i, j+1) by L. The
// weights are Log e^(x − α(s)) (log_weight: 1 at 0, 0 from −745 down, NaN
// for NaN; all 0 when α(s) is −Inf), Max 1 for the first term of s equal
// to α(s) and 0 for the others (all 0 when α(s) is −Inf or NaN), Real the
// other factor of the term (∂/∂α = θ, ∂/∂θ = α of the source, 1 for the
// start). A successor whose γ is 0 passes nothing back, nor, under Log and
// Max, one no path reaches (α −Inf) whose γ is not finite: NaN or +Inf in
// an unused part of the item never reaches a used one. dθ[s, c] is γ(s)
// times the weight of term c (FromDiag: of D and S together), 0 for a
// missing term (a potential no path uses, even where γ(s) is NaN or
// infinite), and 0 where s passes nothing.
//
// Each weight is computed once: the source cell, which pulls γ(s)·w from
// its successor, also writes dθ of that term of its successor. A cell
// writes its own potentials whose term has no source (γ times 0, or for
// FromDiag γ times the start's weight), and a flat loop writes 0 into the
// cells outside the lattice: every element of dθ is written, by exactly one
// thread.
//
// Each kernel runs whole items: a block per item (blocks loop over the
// items), the block's threads striding over the rows of an anti-diagonal,
// __syncthreads between anti-diagonals (every cell depends only on the two
// before it, or after it in the backward). The forward reads α of the two
// anti-diagonals before from its own output (written before the barrier).
// The backward keeps γ of three anti-diagonals, min(N, M) doubles each,
// rolling (anti-diagonal t in buffer t mod 3): a cell of t pulls from t + 1
// and t + 2 and writes t, and the buffer it writes held t + 3, which no
// thread reads after the previous barrier. They lie in dynamic shared
// memory (cudaops.AlignCellsBackward sizes it; its limit,
// cudaops.MaxSharedBytes, allows min(N, M) ≤ cudaops.AlignCellsMaxRows),
// or, when the scalar global is not 0, in the scratch memory the caller
// passes, 3·min(N, M) doubles for each block of the grid
// (cudaops.AlignCellsBackwardGlobal): slower, but of any size. The
// barriers order the global memory of a block's threads as they do its
// shared memory, so both give the same results, bit for bit.
//
// Lengths out of range (the CPU fails the run with an error) give NaN: the
// item's whole α, or its whole dθ, is NaN.
#include "align.cuh"

// ALIGN_CELLS_THREADS is the largest block of the cells kernels
// (cudaops.AlignCells* launch at most this many threads). As a launch
// bound it caps the kernels' registers so that such a block always
// launches.
#define ALIGN_CELLS_THREADS 512

namespace gbalign {

// The places of a cell's terms, in the order of its sum.
enum { TERM_L = 0, TERM_D = 1, TERM_S = 2, TERM_A = 3 };

// Cell holds the terms of one cell of an item's lattice (Terms, in the
// places TERM_L … TERM_A).
struct Cell : Terms {
    // terms computes the terms of cell (i, j) of lattice l from the item's
    // α and its potentials p = θ[i, j, ·] (align's sources): a1 and a2 are
    // α of anti-diagonals i + j − 1 and i + j − 2, indexed by row.
    template <typename T>
    __device__ __forceinline__ void terms(const Lattice& l, long long s, const double* a1, const double* a2,
                                          const T* p, long long i, long long j) {
        const double zero = s == gb::REAL ? 0.0 : gb::neg_inf<double>();
        x[0] = x[1] = x[2] = x[3] = zero;
        has = 0;
        // The θ reads p[0..2] (cell (i, j) of consecutive threads are m − 1
        // cells of θ apart, see cells_fwd) take a sector per thread: 5.8× the
        // ideal (11.6 a request where 2.0 would do, float, 96 × 96 items; the
        // GPU model in BENCHMARKS.md), each a tenth of the forward's requests.
        // In float64 the model files each θ read with the α read beside it
        // (one column): 2.3× together, a fifth of the requests each, the α
        // reads alone being about the ideal (rows of α are contiguous).
        // The fix, a θ laid out along the anti-diagonals, is cells_fwd's.
        if (j > 0 && j - 1 - i >= l.lo) {
            x[TERM_L] = times(s, a1[i], (double)p[0]);
            has |= 1u << TERM_L;
        }
        // θ read 5.8× the ideal (float), as above.
        if (i > 0 && j > 0) {
            x[TERM_D] = times(s, a2[i - 1], (double)p[1]);
            has |= 1u << TERM_D;
        }
        if (l.starts(i, j)) {
            x[TERM_S] = (double)p[1];
            has |= 1u << TERM_S;
        }
        // θ read 6.0× the ideal (float); with α, 2.3× in float64: as above.
        if (i > 0 && j - i + 1 <= l.hi) {
            x[TERM_A] = times(s, a1[i - 1], (double)p[2]);
            has |= 1u << TERM_A;
        }
    }

    // cell is terms for cell (i, j) of α a, an item's.
    template <typename T>
    __device__ __forceinline__ void cell(const Grid& g, const Lattice& l, long long s, const double* a, const T* p,
                                         long long i, long long j) {
        const long long t = i + j;
        // base(t − 1) and base(t − 2) are never used for t < 1 or t < 2:
        // the terms that read them need j > 0 or i > 0.
        terms(l, s, a + (t >= 1 ? g.base(t - 1) : 0), a + (t >= 2 ? g.base(t - 2) : 0), p, i, j);
    }
};

template <typename T>
__device__ void cells_fwd(double* alpha, const T* theta, const long long* len, long long batch, long long n,
                          long long m, long long mode, long long gap, long long s) {
    Grid g;
    g.init(n, m, mode, gap);
    const long long tid = threadIdx.x, bd = blockDim.x, nm = n * m;
    const double zero = s == gb::REAL ? 0.0 : gb::neg_inf<double>();
    for (long long b = blockIdx.x; b < batch; b += gridDim.x) {
        double* a = alpha + b * nm;
        const T* th = theta + b * nm * 3;
        long long lx, ly;
        if (!g.lengths(len, b, &lx, &ly)) {
            for (long long k = tid; k < nm; k += bd) a[k] = (double)NAN;
            continue; // the same in every thread of the block: no barrier is skipped by some
        }
        Lattice l;
        l.init(g, lx, ly);
        const long long last = l.last();
        for (long long t = 0; t <= last; t++) {
            long long lo, hi;
            l.rows(t, &lo, &hi);
            double* a0 = a + g.base(t);
            const double* a1 = a + (t >= 1 ? g.base(t - 1) : 0);
            const double* a2 = a + (t >= 2 ? g.base(t - 2) : 0);
            for (long long i = g.first(t) + tid; i <= g.last_row(t); i += bd) {
                double v = zero;
                if (i >= lo && i <= hi) {
                    // θ is read along the anti-diagonal: the cells (i, t − i)
                    // of consecutive threads are m − 1 cells of θ apart, so
                    // each thread's potentials take sectors of their own:
                    // about 6× the ideal sectors (11.6 a request where 2
                    // would do, float, 96 × 96 items; the GPU model in
                    // BENCHMARKS.md), a third of the forward's requests.
                    // Coalescing it needs θ in the anti-diagonal order: a
                    // re-layout pass into a scratch copy (a new buffer of
                    // the launch, so align's glue too), or θ staged through
                    // shared memory a few anti-diagonals at a time (a row's
                    // run of 3K elements for K anti-diagonals, rows × 3K
                    // over 48 KiB for long items, so in chunks of rows as
                    // well). Not done yet. The gradient's reads and writes
                    // of θ and dθ along its anti-diagonals (pass) cost the
                    // same, 5.8× the ideal.
                    Cell c;
                    c.terms(l, s, a1, a2, th + (i * m + t - i) * 3, i, t - i);
                    v = c.value(s);
                }
                a0[i] = v;
            }
            __syncthreads();
        }
        // The anti-diagonals past the item's end cell lie outside its lengths.
        for (long long k = g.cum(last + 1) + tid; k < nm; k += bd) a[k] = zero;
    }
}

// pass returns what successor cell (si, sj) of the lattice, of gradient gs,
// passes back by its term u (L, D or A) to its source, whose α is as, and
// writes the gradient of the potential of that term, dθ[si, sj, u's
// channel]: gs times the term's weight (FromDiag: D's and the start's
// together), 0 when the cell is not live. *ok is false when it passes
// nothing (the cell is not live).
template <typename T>
__device__ __forceinline__ double pass(const Grid& g, const Lattice& l, long long s, const double* a, const T* th,
                                       T* out, long long si, long long sj, int u, double gs, double as, bool* ok) {
    const long long cell = (si * g.m + sj) * 3;
    const int c = u == TERM_L ? 0 : (u == TERM_D ? 1 : 2);
    const double av = a[g.at(si, sj)];
    *ok = live(s, gs, av);
    if (!*ok) {
        out[cell + c] = T(0);
        return 0;
    }
    const double p = (double)th[cell + c];
    const bool start = u == TERM_D && l.starts(si, sj);
    if (s == gb::REAL) {
        // The weight of a potential is its source's α, the start's 1.
        out[cell + c] = T(gs * (start ? as + 1.0 : as));
        return gs * p;
    }
    double w, ws = 0;
    if (s == gb::LOG) {
        w = log_term_weight(as + p, av);
        if (start) ws = log_term_weight(p, av);
    } else {
        Cell x;
        x.cell(g, l, s, a, th + cell, si, sj);
        const int f = x.first(av);
        w = f == u ? 1.0 : 0.0;
        ws = f == TERM_S ? 1.0 : 0.0;
    }
    out[cell + c] = T(gs * (start ? w + ws : w));
    return gs * w;
}

template <typename T>
__device__ void cells_bwd(T* dtheta, const T* theta, const long long* len, const double* alpha, const double* dalpha,
                          double* scratch, long long batch, long long n, long long m, long long mode, long long gap,
                          long long s, long long global) {
    Grid g;
    g.init(n, m, mode, gap);
    GB_DYNAMIC_SHARED(double, shared);
    const long long tid = threadIdx.x, bd = blockDim.x, nm = n * m, R = lmin(n, m);
    // The block's own three anti-diagonals of the scratch: blocks run
    // items at once, each rolling through its buffers.
    double* G = global != 0 ? scratch + (long long)blockIdx.x * 3 * R : shared;
    for (long long b = blockIdx.x; b < batch; b += gridDim.x) {
        T* out = dtheta + b * nm * 3;
        const T* th = theta + b * nm * 3;
        const double* a = alpha + b * nm;
        const double* da = dalpha + b * nm;
        long long lx, ly;
        if (!g.lengths(len, b, &lx, &ly)) {
            for (long long e = tid; e < nm * 3; e += bd) out[e] = T(NAN);
            continue; // the same in every thread of the block
        }
        Lattice l;
        l.init(g, lx, ly);
        for (long long e = tid; e < nm; e += bd) {
            const long long i = e / m, j = e - i * m;
            if (!l.valid(i, j)) out[e * 3] = out[e * 3 + 1] = out[e * 3 + 2] = T(0);
        }
        for (long long t = l.last(); t >= 0; t--) {
            long long lo, hi;
            l.rows(t, &lo, &hi);
            double* g0 = G + (t % 3) * R;
            const double* g1 = G + ((t + 1) % 3) * R;
            const double* g2 = G + ((t + 2) % 3) * R;
            const long long f0 = g.first(t), f1 = g.first(t + 1), f2 = g.first(t + 2), at = g.base(t);
            for (long long i = lo + tid; i <= hi; i += bd) {
                const long long j = t - i, cell = (i * m + j) * 3;
                const double ak = a[at + i];
                // dα, then the successors in the CPU's order of addition
                // (its rows run from the last, each from its last column):
                // (i+1, j+1), (i+1, j), (i, j+1).
                double gk = da[at + i];
                bool ok;
                double x;
                if (l.valid(i + 1, j + 1)) {
                    x = pass(g, l, s, a, th, out, i + 1, j + 1, TERM_D, g2[i + 1 - f2], ak, &ok);
                    if (ok) gk += x;
                }
                if (l.valid(i + 1, j)) {
                    x = pass(g, l, s, a, th, out, i + 1, j, TERM_A, g1[i + 1 - f1], ak, &ok);
                    if (ok) gk += x;
                }
                if (l.valid(i, j + 1)) {
                    x = pass(g, l, s, a, th, out, i, j + 1, TERM_L, g1[i - f1], ak, &ok);
                    if (ok) gk += x;
                }
                g0[i - f0] = gk;
                // The cell's own potentials whose term has no source: 0
                // (a potential no path uses, even where γ is NaN or
                // infinite), FromDiag's the start's weight where a path may
                // start and the cell is live.
                const bool on = live(s, gk, ak);
                if (!(j > 0 && j - 1 - i >= l.lo)) out[cell] = T(0);
                if (!(i > 0 && j - i + 1 <= l.hi)) out[cell + 2] = T(0);
                if (!(i > 0 && j > 0)) {
                    double d = 0;
                    if (on && l.starts(i, j)) {
                        double ws;
                        if (s == gb::REAL) {
                            ws = 1;
                        } else if (s == gb::LOG) {
                            ws = log_term_weight((double)th[cell + 1], ak);
                        } else {
                            Cell c;
                            c.cell(g, l, s, a, th + cell, i, j);
                            ws = c.first(ak) == TERM_S ? 1.0 : 0.0;
                        }
                        d = gk * ws;
                    }
                    out[cell + 1] = T(d);
                }
            }
            __syncthreads();
        }
        // The barrier after anti-diagonal 0 also parts this item's last
        // reads of G from the next item's first writes (in scratch memory
        // as in shared: only the block's own threads touch its part).
    }
}

} // namespace gbalign

// Entry points. Pointers: the output, then the Op's inputs in order
// (cellsOp: θ, the lengths; cellsGradOp: θ, the lengths, α, dα), then for
// the backward the scratch of γ (3·min(N, M) doubles a block of the grid,
// read only when global is not 0; null or empty otherwise). The lengths
// are (batch, 2) int64 (Go's int on 64-bit platforms, tensor.Int): lenX,
// lenY of item b at 2b, 2b + 1. T is θ's dtype; α and dα are double.
// Scalars: batch, N, M, mode (0 global, 1 local, 2 semi-global), gap
// (MaxGap, < 0 for no gap), the semiring, and for the backward global (not
// 0: γ in the scratch; 0: in dynamic shared memory).
extern "C" __global__ void __launch_bounds__(ALIGN_CELLS_THREADS)
    align_cells_fwd_f32(double* alpha, const float* theta, const long long* len, long long batch, long long n,
                        long long m, long long mode, long long gap, long long s) {
    gbalign::cells_fwd<float>(alpha, theta, len, batch, n, m, mode, gap, s);
}
extern "C" __global__ void __launch_bounds__(ALIGN_CELLS_THREADS)
    align_cells_fwd_f64(double* alpha, const double* theta, const long long* len, long long batch, long long n,
                        long long m, long long mode, long long gap, long long s) {
    gbalign::cells_fwd<double>(alpha, theta, len, batch, n, m, mode, gap, s);
}
extern "C" __global__ void __launch_bounds__(ALIGN_CELLS_THREADS)
    align_cells_bwd_f32(float* dtheta, const float* theta, const long long* len, const double* alpha,
                        const double* dalpha, double* scratch, long long batch, long long n, long long m,
                        long long mode, long long gap, long long s, long long global) {
    gbalign::cells_bwd<float>(dtheta, theta, len, alpha, dalpha, scratch, batch, n, m, mode, gap, s, global);
}
extern "C" __global__ void __launch_bounds__(ALIGN_CELLS_THREADS)
    align_cells_bwd_f64(double* dtheta, const double* theta, const long long* len, const double* alpha,
                        const double* dalpha, double* scratch, long long batch, long long n, long long m,
                        long long mode, long long gap, long long s, long long global) {
    gbalign::cells_bwd<double>(dtheta, theta, len, alpha, dalpha, scratch, batch, n, m, mode, gap, s, global);
}
