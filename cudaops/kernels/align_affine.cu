// The cells of package align's Linear strategy for the affine-gap model
// (Model.Affine; align/internal/lattice's Affine topology): α of every state
// of every cell of every item from the potentials θ (batch, N, M, 5) and the
// lengths, and the gradient of θ from α and the gradient of α. α and its
// gradient are float64 (batch, 3·N·M): item b, state k, cell (i, j) at
// b·3·N·M + k·N·M + base(i + j) + i, each state plane in the grid's skewed
// order (align.cuh). The states are M (0: entered diagonally, or a path's
// start), L (1: entered from the left, (i, j−1)) and A (2: entered from
// above, (i−1, j)); the channels of θ Match (0), OpenLeft (1), ExtendLeft
// (2), OpenAbove (3), ExtendAbove (4).
//
// Forward (affine_fwd): each state of a cell of the item's lattice is the ⊕
// (Terms::value, the linear cells' rule) of its options in the tie order of
// lattice.Affine (its places):
//
//   M = ⊕( M(i−1, j−1) ⊗ θ[Match], start: θ[Match], L(i−1, j−1) ⊗ θ[Match],
//          A(i−1, j−1) ⊗ θ[Match] )
//   L = ⊕( M(i, j−1) ⊗ θ[OpenLeft], L(i, j−1) ⊗ θ[ExtendLeft],
//          A(i, j−1) ⊗ θ[OpenLeft] )
//   A = ⊕( M(i−1, j) ⊗ θ[OpenAbove], A(i−1, j) ⊗ θ[ExtendAbove],
//          L(i−1, j) ⊗ θ[OpenAbove] )
//
// θ of cell (i, j). A move is an option where its source cell is in the
// lattice, the start where a path may start (align.cuh's Lattice); with
// noTurns the last option of L and of A (a turn from one gap into the other)
// is left out. Every state of a cell outside the lattice gets the semiring's
// zero. A potential of an option that is not open is never read. Some open
// options leave or enter a state no path visits (M at (0, j > 0) of a
// global item, a gap in the first row or column, …: lattice.Live): a NaN
// or +Inf (under Real also −Inf) in a potential that only such options
// read, one no path uses (lattice.Used), is read as the semiring's zero
// (aff_theta, as lattice.Clean does on the CPU), so that it changes
// nothing.
//
// Backward (affine_bwd, which computes the weights again from α and θ): the
// gradient γ of a state is dα of the state plus what the states of its
// successors pass back, γ(s)·w(s, option) for each option of s whose source
// it is, the successors in the order (i+1, j+1) (state M), (i+1, j) (A),
// (i, j+1) (L) and each successor's options in place order. The weights are
// the linear cells' (align.cuh: log_term_weight under Log, 1 for the first
// option equal to α(s) under Max, under Real ∂/∂α = θ and ∂/∂θ = α of the
// source or 1 for the start), and a successor state that is not live (live:
// γ 0, or α −Inf with γ not finite under Log and Max) passes nothing. dθ of
// a channel of a cell is the sum over the options of the cell's states that
// read it of γ(state) times the option's weight, 0 for a channel no open
// option reads.
//
// Every option of a state of (i, j) but the start comes from one source
// cell ((i−1, j−1) for M, (i, j−1) for L, (i−1, j) for A), so the source
// cell computes the successor state's terms, weights and dθ of its channels
// at once (affine_pass): each weight is computed once, and every element of
// dθ is written by exactly one thread. A cell writes its own channels that
// no source writes (its Match with the start's weight where it has no
// diagonal source, its Left and Above channels 0 where it has no source to
// the left or above), and a flat loop writes 0 into the cells outside the
// lattice.
//
// Each kernel runs whole items as align_cells does: a block per item
// (blocks loop over the items), the block's threads striding over the rows
// of an anti-diagonal, __syncthreads between anti-diagonals. The backward
// keeps γ of three anti-diagonals, three states each (9·min(N, M) doubles),
// rolling (anti-diagonal t in buffer t mod 3): in dynamic shared memory
// (cudaops.AlignAffineBackward; min(N, M) ≤ cudaops.AlignAffineMaxRows), or,
// when the scalar global is not 0, in the scratch memory the caller passes,
// 9·min(N, M) doubles for each block of the grid
// (cudaops.AlignAffineBackwardGlobal), with the same results bit for bit.
//
// Lengths out of range (the CPU fails the run with an error) give NaN: the
// item's whole α, or its whole dθ, is NaN.
#include "align.cuh"

// ALIGN_AFFINE_THREADS is the largest block of the affine cells kernels
// (cudaops.AlignAffine* launch at most this many threads), their launch
// bound.
#define ALIGN_AFFINE_THREADS 512

namespace gbalign {

// The states of an affine cell (α's planes) and the channels of θ.
enum { ST_M = 0, ST_L = 1, ST_A = 2, AFF_STATES = 3 };
enum { CH_MATCH = 0, CH_OPEN_LEFT = 1, CH_EXTEND_LEFT = 2, CH_OPEN_ABOVE = 3, CH_EXTEND_ABOVE = 4, AFF_CHANNELS = 5 };

// aff_src is the state that place u of state k moves from, −1 for the
// start (place 1 of M): M's places are M, the start, L, A; L's M, L, A;
// A's M, A, L (lattice.Affine's In lists).
__device__ __forceinline__ int aff_src(int k, int u) {
    if (k == ST_M) return u == 0 ? ST_M : (u == 1 ? -1 : (u == 2 ? ST_L : ST_A));
    if (k == ST_L) return u;
    return u == 0 ? ST_M : (u == 1 ? ST_A : ST_L);
}

// aff_channel is the channel of θ that place u of state k reads: Match for
// every place of M, Extend for place 1 of L and A (the move that stays in
// the gap), Open for the others.
__device__ __forceinline__ int aff_channel(int k, int u) {
    if (k == ST_M) return CH_MATCH;
    if (k == ST_L) return u == 1 ? CH_EXTEND_LEFT : CH_OPEN_LEFT;
    return u == 1 ? CH_EXTEND_ABOVE : CH_OPEN_ABOVE;
}

// aff_places is the number of places of state k.
__device__ __forceinline__ int aff_places(int k, long long no_turns) { return k == ST_M ? 4 : (no_turns ? 2 : 3); }

// aff_moves reports whether the moves into state k of cell (i, j) of
// lattice l are open: whether their source cell, (i−1, j−1), (i, j−1) or
// (i−1, j), is in the lattice (the cell itself is).
__device__ __forceinline__ bool aff_moves(const Lattice& l, int k, long long i, long long j) {
    if (k == ST_M) return i > 0 && j > 0;
    if (k == ST_L) return j > 0 && j - 1 - i >= l.lo;
    return i > 0 && j - i + 1 <= l.hi;
}

// aff_live reports whether some path visits state k of cell (i, j)
// (lattice.Lattice.Live), from the geometry alone: a prefix reaches it
// (every valid cell is reached in some state; M where a path starts or from
// any state diagonally; a gap from any state of its source cell with
// turns, without them from a match or the same gap, which a chain along
// the row or column has unless it starts at column or row 1 of a cell no
// path starts at and that has no diagonal source) and a suffix leaves it
// (with turns, and in local and semi-global mode, every state; in a global
// item without turns a gap from the left in the last column, but for the
// last row, is a dead end, and one from above in the last row likewise).
__device__ __forceinline__ bool aff_live(const Lattice& l, long long no_turns, int k, long long i, long long j) {
    if (!l.valid(i, j)) return false;
    if (k == ST_M) return l.starts(i, j) || (i > 0 && j > 0);
    const bool dead_end = no_turns && l.mode == GLOBAL &&
                          (k == ST_L ? i < l.lx - 1 && j == l.ly - 1 : j < l.ly - 1 && i == l.lx - 1);
    if (k == ST_L) return l.valid(i, j - 1) && (!no_turns || j >= 2 || i == 0 || l.starts(i, 0)) && !dead_end;
    return l.valid(i - 1, j) && (!no_turns || i >= 2 || j == 0 || l.starts(0, j)) && !dead_end;
}

// aff_used reports whether some path reads channel c of cell (i, j)
// (lattice.Lattice.Used): an option of a live state scoring c, out of a
// live state or a start. A match is read wherever M is live (some state of
// the diagonal source is live, and a start opens it elsewhere).
__device__ __forceinline__ bool aff_used(const Lattice& l, long long no_turns, long long i, long long j, int c) {
    switch (c) {
    case CH_MATCH:
        return aff_live(l, no_turns, ST_M, i, j);
    case CH_OPEN_LEFT:
        return aff_live(l, no_turns, ST_L, i, j) &&
               (aff_live(l, no_turns, ST_M, i, j - 1) || (!no_turns && aff_live(l, no_turns, ST_A, i, j - 1)));
    case CH_EXTEND_LEFT:
        return aff_live(l, no_turns, ST_L, i, j) && aff_live(l, no_turns, ST_L, i, j - 1);
    case CH_OPEN_ABOVE:
        return aff_live(l, no_turns, ST_A, i, j) &&
               (aff_live(l, no_turns, ST_M, i - 1, j) || (!no_turns && aff_live(l, no_turns, ST_L, i - 1, j)));
    }
    return aff_live(l, no_turns, ST_A, i, j) && aff_live(l, no_turns, ST_A, i - 1, j);
}

// aff_theta returns channel c of the potentials p of cell (i, j) as the
// passes read it (lattice.Clean): a NaN or +Inf (under Real also −Inf) that
// no path reads is the semiring's zero, so that the options the passes
// open out of dead states, or into them, ignore it. aff_used runs only for
// such a value.
template <typename T>
__device__ __forceinline__ double aff_theta(const Lattice& l, long long s, long long no_turns, const T* p, long long i,
                                            long long j, int c) {
    // Every read of θ is this load, along the anti-diagonal: 6.8× the
    // ideal sectors (float; see the note in aff_terms).
    const double v = (double)p[c];
    const bool bad = v != v || (v - v != 0 && (v > 0 || s == gb::REAL));
    if (bad && !aff_used(l, no_turns, i, j, c)) return s == gb::REAL ? 0.0 : gb::neg_inf<double>();
    return v;
}

// aff_terms sets c to the terms of state k of cell (i, j) of lattice l from
// the item's α and the cell's potentials p = θ[i, j, ·]: a1 and a2 are α
// of anti-diagonals i + j − 1 and i + j − 2 of plane 0, indexed by row
// (state f's plane is f·nm further on).
template <typename T>
__device__ __forceinline__ void aff_terms(Terms* c, const Lattice& l, long long s, long long no_turns, const double* a1,
                                          const double* a2, long long nm, const T* p, long long i, long long j,
                                          int k) {
    c->clear(s);
    if (aff_moves(l, k, i, j)) {
        // α of the source cell in plane 0: (i−1, j−1), (i, j−1), (i−1, j).
        const double* src = k == ST_M ? a2 + i - 1 : (k == ST_L ? a1 + i : a1 + i - 1);
        const int places = aff_places(k, no_turns);
        // θ is read along the anti-diagonal, as in align_cells (see the
        // note in cells_fwd): the cells (i, t − i) of neighbouring threads
        // are 5(m − 1) elements of θ apart, so every active lane takes a
        // sector of its own: 17.3 sectors a request where 2.6 would do
        // (6.8×, float; 3.7× in float64), 36 % of the forward's global
        // requests and 24 % of the backward's (float, 96 × 96 items, every
        // semiring; the GPU model, make gpumodel). Fewer than 32 sectors
        // because three requests in four have idle lanes (rows outside the
        // lattice, anti-diagonals shorter than the block's warps). The
        // model counts a load for each place that reads a channel (M's
        // Match up to four times, L's and A's Open twice), which nvcc may
        // keep in a register; reading a cell's five channels once would
        // cut the requests, not the ratio. Coalescing needs θ in the
        // anti-diagonal order: a re-layout pass into a scratch copy (a
        // buffer of the launch, so align's glue too) or θ staged through
        // shared memory a few anti-diagonals at a time. Not done yet.
        // Unrolled, so that the terms' places are constants and stay in
        // registers.
#pragma unroll
        for (int u = 0; u < 4; u++) {
            const int f = aff_src(k, u);
            if (u < places && f >= 0)
                c->put(u, times(s, src[f * nm], aff_theta(l, s, no_turns, p, i, j, aff_channel(k, u))));
        }
    }
    if (k == ST_M && l.starts(i, j)) c->put(1, aff_theta(l, s, no_turns, p, i, j, CH_MATCH));
}

template <typename T>
__device__ void affine_fwd(double* alpha, const T* theta, const long long* len, long long batch, long long n,
                           long long m, long long mode, long long gap, long long s, long long no_turns) {
    Grid g;
    g.init(n, m, mode, gap);
    const long long tid = threadIdx.x, bd = blockDim.x, nm = n * m;
    const double zero = s == gb::REAL ? 0.0 : gb::neg_inf<double>();
    for (long long b = blockIdx.x; b < batch; b += gridDim.x) {
        double* a = alpha + b * AFF_STATES * nm;
        const T* th = theta + b * nm * AFF_CHANNELS;
        long long lx, ly;
        if (!g.lengths(len, b, &lx, &ly)) {
            for (long long k = tid; k < AFF_STATES * nm; k += bd) a[k] = (double)NAN;
            continue; // the same in every thread of the block: no barrier is skipped by some
        }
        Lattice l;
        l.init(g, lx, ly);
        const long long last = l.last();
        for (long long t = 0; t <= last; t++) {
            long long lo, hi;
            l.rows(t, &lo, &hi);
            double* a0 = a + g.base(t);
            // Not read for t < 1 or t < 2: the moves that read them need j > 0 or i > 0.
            const double* a1 = a + (t >= 1 ? g.base(t - 1) : 0);
            const double* a2 = a + (t >= 2 ? g.base(t - 2) : 0);
            for (long long i = g.first(t) + tid; i <= g.last_row(t); i += bd) {
                const long long j = t - i;
                const bool in = i >= lo && i <= hi;
                // The states of a cell read only earlier anti-diagonals: any order.
#pragma unroll
                for (int k = 0; k < AFF_STATES; k++) {
                    double v = zero;
                    if (in) {
                        Terms c;
                        aff_terms(&c, l, s, no_turns, a1, a2, nm, th + (i * m + j) * AFF_CHANNELS, i, j, k);
                        v = c.value(s);
                    }
                    a0[k * nm + i] = v;
                }
            }
            __syncthreads();
        }
        // The anti-diagonals past the item's end cell lie outside its lengths.
        const long long past = g.cum(last + 1);
        for (long long e = tid; e < AFF_STATES * (nm - past); e += bd) {
            const long long k = e / (nm - past);
            a[k * nm + past + e - k * (nm - past)] = zero;
        }
    }
}

// affine_pass handles state k of successor cell (si, sj) of the lattice, of
// gradient gs, for its source cell, whose α of the three states is as: it
// adds to gk (the source's γ, by state) what the successor state passes
// back, and writes dθ of the successor's channels that state k reads (its
// weights summed over its places, times gs; 0 when the state is not live).
// a0, a1 and a2 are α of plane 0 on the successor's anti-diagonal and the
// two before it, indexed by row.
template <typename T>
__device__ __forceinline__ void affine_pass(const Grid& g, const Lattice& l, long long s, long long no_turns,
                                            const double* a0, const double* a1, const double* a2, long long nm,
                                            const T* th, T* out, int k, long long si, long long sj, double gs,
                                            const double* as, double* gk) {
    const long long cell = (si * g.m + sj) * AFF_CHANNELS;
    const double av = a0[k * nm + si];
    // dθ of the state's channels: Match (M), Open and Extend (L, A).
    const int open = k == ST_M ? CH_MATCH : (k == ST_L ? CH_OPEN_LEFT : CH_OPEN_ABOVE);
    double dopen = 0, dext = 0;
    if (live(s, gs, av)) {
        Terms c;
        aff_terms(&c, l, s, no_turns, a1, a2, nm, th + cell, si, sj, k);
        const int f = s == gb::MAX ? c.first(av) : -1;
        // Every place but those past places: c.has says which are open.
#pragma unroll
        for (int u = 0; u < 4; u++) {
            if (!(c.has & (1u << u))) continue;
            const int src = aff_src(k, u);
            // w is ∂α(s)/∂θ of the place's channel; back ∂α(s)/∂α(src).
            double w, back;
            if (s == gb::REAL) {
                w = src < 0 ? 1.0 : as[src];
                back = aff_theta(l, s, no_turns, th + cell, si, sj, aff_channel(k, u));
            } else {
                w = s == gb::LOG ? log_term_weight(c.x[u], av) : (f == u ? 1.0 : 0.0);
                back = w;
            }
            if (src >= 0) gk[src] += gs * back;
            if (aff_channel(k, u) == open) dopen += w;
            else dext += w;
        }
        dopen *= gs;
        dext *= gs;
    }
    // dθ is written along the anti-diagonal as θ is read (see aff_terms),
    // a sector a lane: 14.8 and 18.8 sectors a request where 2.3 and 2.7
    // would do (6.3× and 6.9×, float; 3.6× and 3.7× in float64), 8 % and
    // 4 % of the backward's global requests (float, 96 × 96 items; the GPU
    // model). Coalescing needs dθ in the anti-diagonal order (a scratch
    // copy and a pass scattering it into dθ's layout), or the block's
    // writes of a few anti-diagonals staged in shared memory and copied
    // out by rows. Not done yet.
    out[cell + open] = T(dopen);
    if (k != ST_M) out[cell + open + 1] = T(dext);
}

template <typename T>
__device__ void affine_bwd(T* dtheta, const T* theta, const long long* len, const double* alpha, const double* dalpha,
                           double* scratch, long long batch, long long n, long long m, long long mode, long long gap,
                           long long s, long long no_turns, long long global) {
    Grid g;
    g.init(n, m, mode, gap);
    GB_DYNAMIC_SHARED(double, shared);
    const long long tid = threadIdx.x, bd = blockDim.x, nm = n * m, R = lmin(n, m);
    // Anti-diagonal t's γ in buffer t mod 3 of the block's three: state k
    // of row i at ((t mod 3)·3 + k)·R + i − first(t).
    double* G = global != 0 ? scratch + (long long)blockIdx.x * 3 * AFF_STATES * R : shared;
    for (long long b = blockIdx.x; b < batch; b += gridDim.x) {
        T* out = dtheta + b * nm * AFF_CHANNELS;
        const T* th = theta + b * nm * AFF_CHANNELS;
        const double* a = alpha + b * AFF_STATES * nm;
        const double* da = dalpha + b * AFF_STATES * nm;
        long long lx, ly;
        if (!g.lengths(len, b, &lx, &ly)) {
            for (long long e = tid; e < nm * AFF_CHANNELS; e += bd) out[e] = T(NAN);
            continue; // the same in every thread of the block
        }
        Lattice l;
        l.init(g, lx, ly);
        for (long long e = tid; e < nm * AFF_CHANNELS; e += bd) {
            const long long c = e / AFF_CHANNELS, i = c / m, j = c - i * m;
            if (!l.valid(i, j)) out[e] = T(0);
        }
        for (long long t = l.last(); t >= 0; t--) {
            long long lo, hi;
            l.rows(t, &lo, &hi);
            double* g0 = G + (t % 3) * AFF_STATES * R;
            const double* g1 = G + ((t + 1) % 3) * AFF_STATES * R;
            const double* g2 = G + ((t + 2) % 3) * AFF_STATES * R;
            const long long f0 = g.first(t), f1 = g.first(t + 1), f2 = g.first(t + 2), at = g.base(t);
            // α (plane 0) of anti-diagonals t − 1 … t + 2; those past the
            // item's or before its first are never read (no cell there).
            const double* am1 = a + (t >= 1 ? g.base(t - 1) : 0);
            const double* am2 = a + (t >= 2 ? g.base(t - 2) : 0);
            const double* a0 = a + at;
            const double* ap1 = a + g.base(t + 1);
            const double* ap2 = a + g.base(t + 2);
            for (long long i = lo + tid; i <= hi; i += bd) {
                const long long j = t - i, cell = (i * m + j) * AFF_CHANNELS;
                double ak[AFF_STATES], gk[AFF_STATES];
#pragma unroll
                for (int k = 0; k < AFF_STATES; k++) {
                    ak[k] = a[k * nm + at + i];
                    gk[k] = da[k * nm + at + i];
                }
                // The successors: (i+1, j+1) by M, (i+1, j) by A, (i, j+1) by L.
                if (l.valid(i + 1, j + 1))
                    affine_pass(g, l, s, no_turns, ap2, ap1, a0, nm, th, out, ST_M, i + 1, j + 1,
                                g2[ST_M * R + i + 1 - f2], ak, gk);
                if (l.valid(i + 1, j))
                    affine_pass(g, l, s, no_turns, ap1, a0, am1, nm, th, out, ST_A, i + 1, j, g1[ST_A * R + i + 1 - f1],
                                ak, gk);
                if (l.valid(i, j + 1))
                    affine_pass(g, l, s, no_turns, ap1, a0, am1, nm, th, out, ST_L, i, j + 1, g1[ST_L * R + i - f1], ak,
                                gk);
#pragma unroll
                for (int k = 0; k < AFF_STATES; k++) g0[k * R + i - f0] = gk[k];
                // The cell's own channels that no source writes: Match with
                // the start's weight where it has no diagonal source, the
                // Left and Above channels 0 where it has no source there.
                if (!aff_moves(l, ST_M, i, j)) {
                    double d = 0;
                    if (live(s, gk[ST_M], ak[ST_M]) && l.starts(i, j)) {
                        double ws;
                        if (s == gb::REAL) {
                            ws = 1;
                        } else if (s == gb::LOG) {
                            ws = log_term_weight(aff_theta(l, s, no_turns, th + cell, i, j, CH_MATCH), ak[ST_M]);
                        } else {
                            Terms c;
                            aff_terms(&c, l, s, no_turns, am1, am2, nm, th + cell, i, j, ST_M);
                            ws = c.first(ak[ST_M]) == 1 ? 1.0 : 0.0;
                        }
                        d = gk[ST_M] * ws;
                    }
                    out[cell + CH_MATCH] = T(d);
                }
                if (!aff_moves(l, ST_L, i, j)) out[cell + CH_OPEN_LEFT] = out[cell + CH_EXTEND_LEFT] = T(0);
                if (!aff_moves(l, ST_A, i, j)) out[cell + CH_OPEN_ABOVE] = out[cell + CH_EXTEND_ABOVE] = T(0);
            }
            __syncthreads();
        }
        // The barrier after anti-diagonal 0 also parts this item's last
        // reads of G from the next item's first writes.
    }
}

} // namespace gbalign

// Entry points. Pointers: the output, then the Op's inputs in order
// (cellsOp: θ, the lengths; cellsGradOp: θ, the lengths, α, dα), then for
// the backward the scratch of γ (9·min(N, M) doubles a block of the grid,
// read only when global is not 0; null or empty otherwise). The lengths
// are (batch, 2) int64, lenX, lenY of item b at 2b, 2b + 1. T is θ's dtype;
// α and dα are double. Scalars: batch, N, M, mode (0 global, 1 local, 2
// semi-global), gap (MaxGap, < 0 for no gap), the semiring, noTurns (not 0:
// Model.NoTurns), and for the backward global (not 0: γ in the scratch; 0:
// in dynamic shared memory).
extern "C" __global__ void __launch_bounds__(ALIGN_AFFINE_THREADS)
    align_affine_fwd_f32(double* alpha, const float* theta, const long long* len, long long batch, long long n,
                         long long m, long long mode, long long gap, long long s, long long no_turns) {
    gbalign::affine_fwd<float>(alpha, theta, len, batch, n, m, mode, gap, s, no_turns);
}
extern "C" __global__ void __launch_bounds__(ALIGN_AFFINE_THREADS)
    align_affine_fwd_f64(double* alpha, const double* theta, const long long* len, long long batch, long long n,
                         long long m, long long mode, long long gap, long long s, long long no_turns) {
    gbalign::affine_fwd<double>(alpha, theta, len, batch, n, m, mode, gap, s, no_turns);
}
extern "C" __global__ void __launch_bounds__(ALIGN_AFFINE_THREADS)
    align_affine_bwd_f32(float* dtheta, const float* theta, const long long* len, const double* alpha,
                         const double* dalpha, double* scratch, long long batch, long long n, long long m,
                         long long mode, long long gap, long long s, long long no_turns, long long global) {
    gbalign::affine_bwd<float>(dtheta, theta, len, alpha, dalpha, scratch, batch, n, m, mode, gap, s, no_turns,
                               global);
}
extern "C" __global__ void __launch_bounds__(ALIGN_AFFINE_THREADS)
    align_affine_bwd_f64(double* dtheta, const double* theta, const long long* len, const double* alpha,
                         const double* dalpha, double* scratch, long long batch, long long n, long long m,
                         long long mode, long long gap, long long s, long long no_turns, long long global) {
    gbalign::affine_bwd<double>(dtheta, theta, len, alpha, dalpha, scratch, batch, n, m, mode, gap, s, no_turns,
                                global);
}
