// align.cuh: the grid and the lattice of package align's Linear strategy
// (align/grid.go, align/lattice.go, align/cells.go), and the ⊕ of a cell's
// terms and the weights of its gradient, shared by the kernels of its cells
// (align_cells.cu for linear gaps, align_affine.cu for affine gaps) and of
// its ends (align_end.cu).
//
// Potentials θ are (batch, N, M, C), C channels a cell (3 for linear gaps,
// 5 for affine gaps), cell (i, j) of item b at ((b·N + i)·M + j)·C. α and
// its gradient are float64 (batch, S·N·M), S states a cell (1 for linear
// gaps, 3 for affine gaps), state k of item b in plane b·S + k of N·M, each
// plane's cells in skewed order: anti-diagonal t = i + j holds rows
// first(t) = max(0, t − (M − 1)) … min(N − 1, t), its cells lie side by side
// from cum(t), the number of cells of the N × M grid on anti-diagonals
// before t, and cell (i, j) is element base(i + j) + i of the plane,
// base(t) = cum(t) − first(t) (grid.base).
//
// Each item's lattice (align's lattice) is the set of cells its paths may
// visit: 0 ≤ i < lenX, 0 ≤ j < lenY and lo ≤ j − i ≤ hi. The mode arrives
// as align.Mode's value (0 global, 1 local, 2 semi-global), a model with
// MaxGap g as gap = g and a model without a gap as gap < 0: a local or
// semi-global gap allows |j − i| ≤ g, a global one min(0, d) − g ≤ j − i ≤
// max(0, d) + g around the end cell's offset d = lenY − lenX.
#ifndef GENBAND_ALIGN_CUH
#define GENBAND_ALIGN_CUH

#include "common.cuh"

namespace gbalign {

// The modes, align.Mode's values.
enum { GLOBAL = 0, LOCAL = 1, SEMI = 2 };

__device__ __forceinline__ long long lmin(long long a, long long b) { return a < b ? a : b; }
__device__ __forceinline__ long long lmax(long long a, long long b) { return a > b ? a : b; }

// floor_half returns ⌊x / 2⌋ for any sign of x (Go's x >> 1).
__device__ __forceinline__ long long floor_half(long long x) { return x >= 0 ? x / 2 : -((1 - x) / 2); }

// tri returns the number of cells (i, j ≥ 0) with i + j < x: x(x + 1)/2,
// 0 for x ≤ 0.
__device__ __forceinline__ long long tri(long long x) { return x > 0 ? x * (x + 1) / 2 : 0; }

struct Grid {
    long long n, m;  // θ is (batch, n, m, C)
    long long mode;  // GLOBAL, LOCAL or SEMI
    long long gap;   // MaxGap, < 0 for none

    __device__ __forceinline__ void init(long long n_, long long m_, long long mode_, long long gap_) {
        n = n_;
        m = m_;
        mode = mode_;
        gap = gap_;
    }

    // first is the first row of anti-diagonal t, last_row its last.
    __device__ __forceinline__ long long first(long long t) const { return lmax(0, t - (m - 1)); }
    __device__ __forceinline__ long long last_row(long long t) const { return lmin(n - 1, t); }

    // cum returns the number of cells of the n × m grid on the
    // anti-diagonals before t, by inclusion and exclusion: the cells of the
    // quadrant with i + j < t less those with i ≥ n or j ≥ m.
    __device__ __forceinline__ long long cum(long long t) const {
        return tri(t) - tri(t - n) - tri(t - m) + tri(t - n - m);
    }

    // base is grid.base[t]: cell (i, j) of anti-diagonal t = i + j is
    // element base(t) + i of an item's cells.
    __device__ __forceinline__ long long base(long long t) const { return cum(t) - first(t); }
    __device__ __forceinline__ long long at(long long i, long long j) const { return base(i + j) + i; }

    // lengths reads item b's lengths; false when they are out of range
    // (1 ≤ lx ≤ n, 1 ≤ ly ≤ m), which the CPU reports as an error and the
    // kernels answer with NaN.
    __device__ __forceinline__ bool lengths(const long long* len, long long b, long long* lx, long long* ly) const {
        *lx = len[2 * b];
        *ly = len[2 * b + 1];
        return *lx >= 1 && *lx <= n && *ly >= 1 && *ly <= m;
    }
};

// Lattice is one item's lattice (align's lattice and cells types).
struct Lattice {
    long long mode, lx, ly, lo, hi; // the allowed offsets j − i: [lo, hi]

    __device__ __forceinline__ void init(const Grid& g, long long lx_, long long ly_) {
        mode = g.mode;
        lx = lx_;
        ly = ly_;
        lo = -(lx - 1);
        hi = ly - 1;
        if (g.gap >= 0) {
            const long long d = mode == GLOBAL ? ly - lx : 0;
            lo = lmax(lo, lmin(0, d) - g.gap);
            hi = lmin(hi, lmax(0, d) + g.gap);
        }
    }

    // valid reports whether a path may visit cell (i, j).
    __device__ __forceinline__ bool valid(long long i, long long j) const {
        return i >= 0 && j >= 0 && i < lx && j < ly && j - i >= lo && j - i <= hi;
    }

    // starts reports whether a path may start at cell (i, j) of the lattice,
    // scoring θ[i, j, FromDiag]: (0, 0) (global), every cell (local), the
    // first row and column (semi-global).
    __device__ __forceinline__ bool starts(long long i, long long j) const {
        if (mode == GLOBAL) return i == 0 && j == 0;
        return mode == LOCAL || i == 0 || j == 0;
    }

    // rows returns the rows [*rlo, *rhi] of the lattice's cells on
    // anti-diagonal t (cells.diag; none when *rlo > *rhi).
    __device__ __forceinline__ void rows(long long t, long long* rlo, long long* rhi) const {
        // 0 ≤ i < lx, 0 ≤ t − i < ly, lo ≤ t − 2i ≤ hi.
        *rlo = lmax(lmax(0, t - (ly - 1)), floor_half(t - hi + 1));
        *rhi = lmin(lmin(lx - 1, t), floor_half(t - lo));
    }

    // last is the last anti-diagonal with a cell, that of (lx − 1, ly − 1).
    __device__ __forceinline__ long long last() const { return lx + ly - 2; }

    // end_count is the number of end candidates of an item, the lattice
    // aside; end_cell returns the e-th in row-major order: the end cell
    // (global), every cell within the lengths (local), or the last column
    // of rows 0 … lx−2 and then the last row (semi-global; grid.ends).
    __device__ __forceinline__ long long end_count() const {
        return mode == GLOBAL ? 1 : (mode == LOCAL ? lx * ly : lx + ly - 1);
    }
    __device__ __forceinline__ void end_cell(long long e, long long* i, long long* j) const {
        if (mode == GLOBAL) {
            *i = lx - 1;
            *j = ly - 1;
        } else if (mode == LOCAL) {
            *i = e / ly;
            *j = e - *i * ly;
        } else if (e < lx - 1) {
            *i = e;
            *j = ly - 1;
        } else {
            *i = lx - 1;
            *j = e - (lx - 1);
        }
    }

    // is_end reports whether cell (i, j) of the lattice ends paths.
    __device__ __forceinline__ bool is_end(long long i, long long j) const {
        if (mode == GLOBAL) return i == lx - 1 && j == ly - 1;
        return mode == LOCAL || i == lx - 1 || j == ly - 1;
    }
};

// go_max returns Go's max(m, x): NaN if either is NaN, else the larger,
// with max(−0, 0) = 0.
__device__ __forceinline__ double go_max(double m, double x) {
    if (x != x) return x;
    if (m != m) return m;
    if (x == 0 && m == 0) return x + m; // −0 only if both are
    return x > m ? x : m;
}

// log_weight returns e^d for d ≤ 0, a term's weight in a Log sum that it is
// d below (align's logWeight): exactly 1 for the maximal term, 0 where exp
// underflows (−745 and below, −Inf included), NaN for NaN.
__device__ __forceinline__ double log_weight(double d) {
    if (d == 0) return 1;
    if (d != d) return d;
    return d > -745 ? exp(d) : 0;
}

// times returns x ⊗ p.
__device__ __forceinline__ double times(long long s, double x, double p) { return s == gb::REAL ? x * p : x + p; }

// Terms holds the terms of one state of a cell, up to four, in the order of
// its ⊕ (its places: the order of the model's options, which decides Max's
// ties): x[u] for the terms of has (bit u), the semiring's zero for the
// others.
struct Terms {
    double x[4];
    unsigned has;

    // clear leaves no terms: every place the zero of semiring s.
    __device__ __forceinline__ void clear(long long s) {
        x[0] = x[1] = x[2] = x[3] = s == gb::REAL ? 0.0 : gb::neg_inf<double>();
        has = 0;
    }

    // put sets the term of place u.
    __device__ __forceinline__ void put(int u, double v) {
        x[u] = v;
        has |= 1u << u;
    }

    // max_term returns the maximum of the terms (Go's max over all four
    // places, the missing ones −Inf).
    __device__ __forceinline__ double max_term() const { return go_max(go_max(go_max(x[0], x[1]), x[2]), x[3]); }

    // value returns the cell's α: the ⊕ of its terms.
    __device__ __forceinline__ double value(long long s) const {
        if (s == gb::REAL) {
            double sum = 0;
            for (int u = 0; u < 4; u++)
                if (has & (1u << u)) sum += x[u];
            return sum;
        }
        const double m = max_term();
        if (s == gb::MAX || m - m != 0) return m; // −Inf: no path; +Inf or NaN: itself
        double sum = 0;
        for (int u = 0; u < 4; u++)
            if (has & (1u << u)) sum += exp(x[u] - m);
        return m + log(sum);
    }

    // first returns the place of the first term equal to v, a Max cell's α,
    // or −1 (v −Inf or NaN, or no such term): the one term of weight 1.
    __device__ __forceinline__ int first(double v) const {
        if (gb::is_neg_inf(v)) return -1;
        for (int u = 0; u < 4; u++)
            if ((has & (1u << u)) && x[u] == v) return u;
        return -1;
    }
};

// live reports whether a cell of gradient gk and α ak passes its gradient
// back (align's backwardRows): not when gk is 0, nor under Log and Max when
// no path reaches the cell (α −Inf, every weight 0) and gk is not finite
// (its product with a weight of 0 would be NaN).
__device__ __forceinline__ bool live(long long s, double gk, double ak) {
    return gk != 0 && (s == gb::REAL || gk - gk == 0 || !gb::is_neg_inf(ak));
}

// log_term_weight is the weight of a term x of a Log cell of α av: 0 when
// av is −Inf (no path reaches the cell), else log_weight(x − av).
__device__ __forceinline__ double log_term_weight(double x, double av) {
    return gb::is_neg_inf(av) ? 0.0 : log_weight(x - av);
}

} // namespace gbalign

#endif
