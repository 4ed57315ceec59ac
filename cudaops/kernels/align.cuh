// align.cuh: the rotated grid of package align's Linear strategy
// (align/layout.go, type grid), shared by the kernels of its layout
// (align_layout.cu) and of its ends (align_end.cu).
//
// Potentials θ are (batch, N, M, 3). Step t of the scan enters the cells of
// anti-diagonal i+j = t; the state keeps `slots` slots per offset o = j−i
// (q = o + N − 1): α at slots·q, and in local mode a start slot at
// slots·q + 1. Global mode has one slot per offset and tridiagonal steps
// (band (1, 1)); local mode two slots and band (2, 2). α of cell (i, j) is
// state i+j+1 of the scan. Semi-global mode has global's slots and band,
// and carries a one outwards in the slots of offsets ±t, from which step t
// enters the first-row and first-column cells (0, t) and (t, 0) by FromDiag.
// The mode arrives as align.Mode's value (0 global, 1 local, 2
// semi-global). A model with MaxGap g arrives as gap = g; a model without a
// gap as gap < 0. A local or semi-global model's gap removes whole offsets
// (|o| > g); a global model's depends on each item's lengths (gap_ok).
#ifndef GENBAND_ALIGN_CUH
#define GENBAND_ALIGN_CUH

#include "common.cuh"

namespace gbalign {

// What a step-matrix slot holds besides a potential (Grid::source).
enum { SRC_ZERO = -2, SRC_ONE = -1 };

// The modes, align.Mode's values.
enum { GLOBAL = 0, LOCAL = 1, SEMI = 2 };

struct Grid {
    long long batch, n, m; // θ is (batch, n, m, 3)
    long long mode; // GLOBAL, LOCAL or SEMI
    bool local;     // mode == LOCAL: a start slot per offset
    long long gap;  // MaxGap, < 0 for none
    long long slots, lower, w, offs, omin, size, steps;

    __device__ __forceinline__ void init(long long batch_, long long n_, long long m_, long long mode_,
                                         long long gap_) {
        batch = batch_;
        n = n_;
        m = m_;
        mode = mode_;
        local = mode == LOCAL;
        gap = gap_;
        slots = local ? 2 : 1;
        lower = local ? 2 : 1;
        w = 2 * lower + 1;
        offs = n + m - 1;
        omin = -(n - 1);
        size = slots * offs;
        steps = n + m - 1;
    }

    // in_gap reports whether offset o is allowed by a local or semi-global
    // model's gap (grid.inGap): always in global mode, whose gap is per item.
    __device__ __forceinline__ bool in_gap(long long o) const {
        return mode == GLOBAL || gap < 0 || (o >= -gap && o <= gap);
    }

    // gap_ok reports whether cell (i, j) of an item of lengths lx, ly is
    // within a global model's gap around its end diagonal (grid.gapOK).
    __device__ __forceinline__ bool gap_ok(long long i, long long j, long long lx, long long ly) const {
        if (mode != GLOBAL || gap < 0) return true;
        const long long d = ly - lx, o = j - i;
        const long long lo = (d < 0 ? d : 0) - gap, hi = (d > 0 ? d : 0) + gap;
        return o >= lo && o <= hi;
    }

    // move_ok reports whether a path of an item of lengths lx, ly may score
    // θ[i, j, c] under a global model's gap (grid.srcInGap): the cell and
    // the cell its move comes from, (i, j − 1), (i − 1, j − 1) or
    // (i − 1, j) for c = 0, 1, 2, both within the gap. A cell outside it
    // holds the semiring's zero, and the zero ⊗ NaN is NaN.
    __device__ __forceinline__ bool move_ok(long long i, long long j, long long c, long long lx, long long ly) const {
        const long long di = c >= 1 ? 1 : 0, dj = c <= 1 ? 1 : 0;
        return gap_ok(i, j, lx, ly) && gap_ok(i - di, j - dj, lx, ly);
    }

    // cell reports whether anti-diagonal t has a cell at offset o, and
    // which (grid.inGrid).
    __device__ __forceinline__ bool cell(long long t, long long o, long long* i, long long* j) const {
        if (((t - o) & 1) != 0) return false;
        *i = (t - o) / 2;
        *j = (t + o) / 2;
        return *i >= 0 && *j >= 0 && *i < n && *j < m;
    }

    // border_start reports whether a path starts at cell (i, j) by a FromDiag
    // move from a one in its own α slot (grid.borderStart): (0, 0) in global
    // mode, every cell of the first row or column in semi-global mode.
    __device__ __forceinline__ bool border_start(long long i, long long j) const {
        if (mode == GLOBAL) return i == 0 && j == 0;
        return mode == SEMI && (i == 0 || j == 0);
    }

    // end_count is the number of end cells of an item of lengths lx, ly in
    // local or semi-global mode, gap aside; end_cell returns the e-th in
    // row-major order: every cell (local), or the last column of rows
    // 0 … lx−2 and then the last row (semi-global; grid.ends).
    __device__ __forceinline__ long long end_count(long long lx, long long ly) const {
        return local ? lx * ly : lx + ly - 1;
    }
    __device__ __forceinline__ void end_cell(long long e, long long lx, long long ly, long long* i,
                                             long long* j) const {
        if (local) {
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

    // is_end reports whether cell (i, j), within the lengths lx, ly, ends
    // paths in local or semi-global mode.
    __device__ __forceinline__ bool is_end(long long i, long long j, long long lx, long long ly) const {
        return local || i == lx - 1 || j == ly - 1;
    }

    // last_diag is the last anti-diagonal with a cell on offset o.
    __device__ __forceinline__ long long last_diag(long long o) const {
        const long long a = n - 1, b = m - 1 - o;
        return 2 * (a < b ? a : b) + o;
    }

    // source returns what slot k of row r of step t holds, the arithmetic
    // form of grid.entries: SRC_ZERO, SRC_ONE, or the element (i·M + j)·3 + c
    // of an item's θ. The slot feeds state column c = r + k − lower, which
    // belongs to offset q = c / slots; its row is c + δ with δ = lower − k:
    //
    //   α column, δ = 0:      FromDiag into the cell of (t, o) when it has one
    //                         (global: also the start (0, 0); semi-global:
    //                         also the first row and column, the starts;
    //                         local: not on the first row or column), else
    //                         one when (t − 1, o) has a cell (the carry for
    //                         FromDiag);
    //   α column, semi-global only, |o| = t + 1 (no cell yet): one from the
    //                         offset inwards, δ = −1 (o > 0) or +1 (o < 0);
    //   α column, δ = −slots: FromLeft from offset o − 1 (j ≥ 1, o − 1 in the gap);
    //   α column, δ = +slots: FromAbove from offset o + 1 (i ≥ 1, o + 1 in the gap);
    //   α column, δ = +1:     local only: FromDiag from o's start slot;
    //   start column (local), one: δ = 0 keeps it (|o| ≤ t < last_diag(o)),
    //                         δ = −2 (o > 0) or +2 (o < 0) gives it birth
    //                         from the next offset inwards when |o| = t + 1.
    //
    // Every other slot, padding included, and every slot of an offset
    // outside a local gap, holds the semiring's zero.
    __device__ __forceinline__ long long source(long long t, long long r, long long k) const {
        const long long c = r + k - lower;
        if (c < 0 || c >= size) return SRC_ZERO;
        const long long q = local ? c >> 1 : c, o = omin + q, delta = r - c; // c ≥ 0
        if (!in_gap(o)) return SRC_ZERO;
        if (local && (c & 1) != 0) {
            const long long ao = o < 0 ? -o : o;
            if (delta == 0) return (ao <= t && last_diag(o) > t) ? SRC_ONE : SRC_ZERO;
            if (ao != t + 1) return SRC_ZERO;
            if (delta == -2 && o > 0) return SRC_ONE;
            if (delta == 2 && o < 0) return SRC_ONE;
            return SRC_ZERO;
        }
        long long i, j;
        const bool has = cell(t, o, &i, &j);
        const long long at = (i * m + j) * 3;
        if (delta == 0) {
            if (has) return ((i >= 1 && j >= 1) || border_start(i, j)) ? at + 1 : SRC_ZERO;
            long long i1, j1;
            return cell(t - 1, o, &i1, &j1) ? SRC_ONE : SRC_ZERO;
        }
        if (!has) {
            if (mode == SEMI && ((o == t + 1 && delta == -1) || (o == -(t + 1) && delta == 1))) return SRC_ONE;
            return SRC_ZERO;
        }
        if (delta == -slots) return (j >= 1 && in_gap(o - 1)) ? at + 0 : SRC_ZERO;
        if (delta == slots) return (i >= 1 && in_gap(o + 1)) ? at + 2 : SRC_ZERO;
        if (local && delta == 1) return at + 1;
        return SRC_ZERO;
    }

    // state returns the index of α of cell (i, j) of item b in the states
    // (steps + 1, batch, size).
    __device__ __forceinline__ long long state(long long b, long long i, long long j) const {
        return ((i + j + 1) * batch + b) * size + slots * (j - i - omin);
    }

    // lengths reads item b's lengths; false when they are out of range
    // (1 ≤ lx ≤ n, 1 ≤ ly ≤ m), which the CPU reports as an error and the
    // kernels answer with NaN.
    __device__ __forceinline__ bool lengths(const long long* len, long long b, long long* lx, long long* ly) const {
        *lx = len[2 * b];
        *ly = len[2 * b + 1];
        return *lx >= 1 && *lx <= n && *ly >= 1 && *ly <= m;
    }
};

} // namespace gbalign

#endif
