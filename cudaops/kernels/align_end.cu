// The ends of package align's Linear strategy (align/end.go: endOp,
// endGradOp): log Z of every item read from α, float64 (batch, S·N·M): S
// state planes of an item's cells (1 for linear gaps, 3 for affine gaps),
// each in the grid's skewed order (align.cuh), at run time from the
// lengths, and its gradient with respect to α. An end is a state of an end
// cell: every state of the cell ends paths, and they are taken cell by cell
// in row-major order and by state within a cell (lattice.Lattice.Ends).
//
// Forward (endOp.Do, grid.total): global mode with one state takes α of
// the end cell (lenX − 1, lenY − 1), ⊕-ed into the semiring's zero as the
// CPU does (Real 0 + x, Max and Log x itself), one thread per item; with
// several states it reduces over the end cell's states as local mode
// reduces over its ends. Local mode
// takes the ⊕ of α over every cell of the item's lattice, semi-global mode
// over those of its last row or column (the ends), a block per item: Real
// sums, Max takes the largest value (Go's max: NaN if any end is NaN), Log
// takes the maximum m first (NaN if any end is NaN) and returns an
// infinite or NaN m itself, else m + log Σ exp(α − m). The block's threads walk the
// ends in row-major order, each keeping a partial result, and a
// shared-memory tree in a fixed order combines them: the result is the same
// on every run; Log and Real round differently from the CPU's sequential
// sum (within an ulp or so of the total).
//
// Backward (endGradOp.Do): dα is 0 everywhere except the ends of items
// whose dz is not 0: dz on the end cell (global, one state), on every end
// (Real), on the first end in the order above equal to the maximum (Max,
// none when it is −Inf or NaN), dz·exp(α − z) on every end (Log, none when
// z is −Inf). A block per item and part of its anti-diagonals (parts blocks
// an item, the anti-diagonals u ≡ part mod parts of its S·(N+M−1), state
// plane by state plane), threads striding over the anti-diagonal's cells,
// which lie side by side in α: every element of dα is written. Log and Max
// blocks that reduce (every mode but global with one state) first redo the
// forward's reduction for their item; their launches take one part an
// item.
//
// Lengths out of range (the CPU fails the run with an error) give NaN: z is
// NaN and the item's whole slice of dα is NaN. No memory outside the
// inputs is read for them.
#include "align.cuh"

// ALIGN_END_THREADS is the largest block of the ends' per-item reductions,
// which size their shared arrays by it (cudaops.AlignEnd* launch it).
#define ALIGN_END_THREADS 256

namespace gbalign {

__device__ __forceinline__ double nan_value() { return (double)NAN; }

// end_global is log Z of item b of a global model: α of its end cell as
// grid.total gives it.
__device__ __forceinline__ double end_global(const Grid& g, const double* A, const long long* len, long long b,
                                             long long s) {
    long long lx, ly;
    if (!g.lengths(len, b, &lx, &ly)) return nan_value();
    const double x = A[b * g.n * g.m + g.at(lx - 1, ly - 1)]; // one state: S·N·M = N·M
    if (s == gb::REAL) return 0.0 + x;
    return x; // Max: max(−Inf, x); Log: max(−Inf, x) + log(exp(0)) for finite x, else x itself
}

// block_sum returns the sum of every thread's x, added in a fixed tree
// order; every thread of the block gets it. blockDim.x ≤ ALIGN_END_THREADS.
__device__ double block_sum(double x) {
    __shared__ double sv[ALIGN_END_THREADS];
    const long long tid = threadIdx.x, bd = blockDim.x;
    sv[tid] = x;
    __syncthreads();
    for (long long h = 1; h < bd; h <<= 1) {
        if ((tid & (2 * h - 1)) == 0 && tid + h < bd) sv[tid] += sv[tid + h];
        __syncthreads();
    }
    const double r = sv[0];
    __syncthreads(); // sv is reused by the next call
    return r;
}

// block_nan_max returns the largest x of the block's threads, NaN if any is
// NaN (Go's max, as grid.total's Log maximum).
__device__ double block_nan_max(double x) {
    __shared__ double sv[ALIGN_END_THREADS];
    const long long tid = threadIdx.x, bd = blockDim.x;
    sv[tid] = x;
    __syncthreads();
    for (long long h = 1; h < bd; h <<= 1) {
        if ((tid & (2 * h - 1)) == 0 && tid + h < bd) sv[tid] = gb::nan_max(sv[tid], sv[tid + h]);
        __syncthreads();
    }
    const double r = sv[0];
    __syncthreads();
    return r;
}

// arg_merge merges the largest value v2 of some ends, first at row-major
// index i2, into (v, i): Go's max of the values (NaN if either is NaN,
// max(−0, 0) = 0), the least index on ties.
__device__ __forceinline__ void arg_merge(double* v, long long* i, double v2, long long i2) {
    if (*v != *v) return;
    if (v2 != v2 || v2 > *v) {
        *v = v2;
        *i = i2;
    } else if (v2 == *v) {
        if (v2 == 0) *v = *v + v2; // −0 only if both are
        if (i2 < *i) *i = i2;
    }
}

// block_argmax combines each thread's largest value v and the least
// row-major index i where it has it (arg_merge). Every thread gets both.
__device__ double block_argmax(double v, long long* i) {
    __shared__ double sv[ALIGN_END_THREADS];
    __shared__ long long si[ALIGN_END_THREADS];
    const long long tid = threadIdx.x, bd = blockDim.x;
    sv[tid] = v;
    si[tid] = *i;
    __syncthreads();
    for (long long h = 1; h < bd; h <<= 1) {
        if ((tid & (2 * h - 1)) == 0 && tid + h < bd) {
            double v1 = sv[tid];
            long long i1 = si[tid];
            arg_merge(&v1, &i1, sv[tid + h], si[tid + h]);
            sv[tid] = v1;
            si[tid] = i1;
        }
        __syncthreads();
    }
    const double r = sv[0];
    *i = si[0];
    __syncthreads();
    return r;
}

// ends_total returns the ⊕ of α (a, item b's S state planes of nm cells)
// over the ends of an item of lattice l (its lengths in range): every state
// of the end cell (global), of every cell of the lattice (local), of those
// of them on row lx − 1 or column ly − 1 (semi-global). For Max, *first is
// the index (i·ly + j)·S + k of the first end (state k of cell (i, j))
// equal to the result in the order of the ends, −1 when the result is −Inf
// or NaN. Every thread of the block calls it and gets the result.
__device__ double ends_total(const Grid& g, const Lattice& l, const double* a, long long S, long long nm, long long s,
                             long long* first) {
    const long long ends = l.end_count() * S, tid = threadIdx.x, bd = blockDim.x;
    const double ninf = gb::neg_inf<double>();
    // end returns α of end e (state e mod S of end cell e / S), false for a
    // cell outside the lattice; *at is its index in the order of the ends.
    auto end = [&](long long e, double* v, long long* at) {
        long long i, j;
        const long long c = e / S, k = e - c * S;
        l.end_cell(c, &i, &j);
        if (!l.valid(i, j)) return false;
        *v = a[k * nm + g.at(i, j)];
        *at = (i * l.ly + j) * S + k;
        return true;
    };
    double v;
    long long at;
    if (s == gb::MAX) {
        double bv = ninf;
        long long bi = l.lx * l.ly * S; // past every end
        for (long long e = tid; e < ends; e += bd)
            if (end(e, &v, &at)) arg_merge(&bv, &bi, v, at);
        bv = block_argmax(bv, &bi);
        *first = bv == ninf || bv != bv ? -1 : bi;
        return bv;
    }
    if (s == gb::REAL) {
        double acc = 0;
        for (long long e = tid; e < ends; e += bd)
            if (end(e, &v, &at)) acc += v;
        return 0.0 + block_sum(acc);
    }
    double m = ninf;
    for (long long e = tid; e < ends; e += bd)
        if (end(e, &v, &at)) m = gb::nan_max(m, v);
    m = block_nan_max(m);
    if (m != m || isinf(m)) return m; // the same in every thread: no barrier is skipped by some
    double sum = 0;
    for (long long e = tid; e < ends; e += bd)
        if (end(e, &v, &at)) sum += exp(v - m);
    return m + log(block_sum(sum));
}

template <typename T>
__device__ void end_fwd(T* z, const double* A, const long long* len, long long batch, long long n, long long m,
                        long long mode, long long gap, long long s, long long S) {
    Grid g;
    g.init(n, m, mode, gap);
    if (g.mode == GLOBAL && S == 1) {
        // A thread per item (the launch is cudaops' flat walk).
        for (long long b = (long long)blockIdx.x * blockDim.x + threadIdx.x; b < batch;
             b += (long long)gridDim.x * blockDim.x)
            z[b] = T(end_global(g, A, len, b, s));
        return;
    }
    // A block per item.
    const long long nm = n * m;
    for (long long b = blockIdx.x; b < batch; b += gridDim.x) {
        long long lx, ly, first;
        double r = nan_value();
        if (g.lengths(len, b, &lx, &ly)) {
            Lattice l;
            l.init(g, lx, ly);
            r = ends_total(g, l, A + b * S * nm, S, nm, s, &first);
        }
        if (threadIdx.x == 0) z[b] = T(r);
    }
}

template <typename T>
__device__ void end_bwd(double* dA, const double* A, const long long* len, const T* dz, long long batch, long long n,
                        long long m, long long mode, long long gap, long long s, long long parts, long long S) {
    Grid g;
    g.init(n, m, mode, gap);
    const long long tid = threadIdx.x, bd = blockDim.x, nm = n * m, diags = n + m - 1;
    // One state at the global end cell takes dz as it is; every other end
    // has its weight in a reduction.
    const bool single = g.mode == GLOBAL && S == 1;
    if (parts < 1) parts = 1;
    for (long long blk = blockIdx.x; blk < batch * parts; blk += gridDim.x) {
        const long long b = blk % batch, part = blk / batch;
        const double* a = A + b * S * nm;
        long long lx = 1, ly = 1;
        const bool valid = g.lengths(len, b, &lx, &ly);
        Lattice l;
        l.init(g, lx, ly);
        const double d = (double)dz[b];
        bool live = valid && d != 0;
        double z = 0;
        long long first = -1;
        if (live && !single && s != gb::REAL) {
            z = ends_total(g, l, a, S, nm, s, &first);
            live = z != gb::neg_inf<double>();
        }
        const double idle = valid ? 0.0 : nan_value();
        // Anti-diagonal t of state plane k is u = k·diags + t.
        for (long long u = part; u < S * diags; u += parts) {
            const long long k = u / diags, t = u - k * diags;
            const double* arow = a + k * nm + g.base(t);
            double* row = dA + b * S * nm + k * nm + g.base(t);
            for (long long i = g.first(t) + tid; i <= g.last_row(t); i += bd) {
                const long long j = t - i;
                double v = idle;
                if (live) {
                    if (single) {
                        if (i == lx - 1 && j == ly - 1) v = 0.0 + d;
                    } else if (l.valid(i, j) && l.is_end(i, j)) {
                        if (s == gb::REAL) v = 0.0 + d;
                        else if (s == gb::MAX) v = (i * ly + j) * S + k == first ? 0.0 + d : 0.0;
                        else v = 0.0 + d * exp(arow[i] - z);
                    }
                }
                row[i] = v;
            }
        }
    }
}

} // namespace gbalign

// Entry points. Pointers: the output, then the Op's inputs in order (endOp:
// α, the lengths; endGradOp: α, the lengths, dz). The lengths are (batch, 2)
// int64 (Go's int on 64-bit platforms, tensor.Int). T is the dtype of z.
// Scalars: batch, N, M, mode (0 global, 1 local, 2 semi-global), gap
// (MaxGap, < 0 for no gap), the semiring, for the backward the parts
// (blocks) per item, and last the states S of a cell (α's planes).
extern "C" __global__ void __launch_bounds__(ALIGN_END_THREADS)
    align_end_fwd_f32(float* z, const double* A, const long long* len, long long batch, long long n, long long m,
                      long long mode, long long gap, long long s, long long S) {
    gbalign::end_fwd<float>(z, A, len, batch, n, m, mode, gap, s, S);
}
extern "C" __global__ void __launch_bounds__(ALIGN_END_THREADS)
    align_end_fwd_f64(double* z, const double* A, const long long* len, long long batch, long long n, long long m,
                      long long mode, long long gap, long long s, long long S) {
    gbalign::end_fwd<double>(z, A, len, batch, n, m, mode, gap, s, S);
}
extern "C" __global__ void __launch_bounds__(ALIGN_END_THREADS)
    align_end_bwd_f32(double* dA, const double* A, const long long* len, const float* dz, long long batch,
                      long long n, long long m, long long mode, long long gap, long long s, long long parts,
                      long long S) {
    gbalign::end_bwd<float>(dA, A, len, dz, batch, n, m, mode, gap, s, parts, S);
}
extern "C" __global__ void __launch_bounds__(ALIGN_END_THREADS)
    align_end_bwd_f64(double* dA, const double* A, const long long* len, const double* dz, long long batch,
                      long long n, long long m, long long mode, long long gap, long long s, long long parts,
                      long long S) {
    gbalign::end_bwd<double>(dA, A, len, dz, batch, n, m, mode, gap, s, parts, S);
}
