// The layout of package align's Linear strategy (align/layout.go: layoutOp,
// layoutGradOp): potentials θ (batch, N, M, 3) as the scan's step matrices,
// band storage (steps·batch, size, w) with item b of step t at matrix
// t·batch + b, and its adjoint.
//
// Forward (layoutForward): every slot of every step matrix gets what
// gbalign::Grid::source says, computed from (t, row, slot) rather than read
// from a map: a potential, the semiring's one, or its zero. A global model
// with a gap writes the zero instead of a potential whose cell, or the cell
// its move comes from, lies outside the item's gap (from the lengths:
// Grid::move_ok). The CPU writes only the rows of the
// scan's window and leaves the others alone (the scan never reads them);
// this kernel writes every row, and rows outside the window hold no entry,
// so they get the zero. A block per step matrix (blocks loop over them),
// threads walking its slots in storage order (coalesced writes, gbe::Flat:
// no division per slot).
//
// Backward (layoutBackward): dθ[b, i, j, c] gathers the one or two slots
// that hold θ[b, i, j, c] (local FromDiag sits in its α column and in its
// start slot's row): no atomics, the CPU's order of addition. A block per row
// (b, i) of θ (blocks loop over them), its threads striding over the
// columns j, each writing the cell's three channels.
#include "align.cuh"
#include "elementwise.cuh"

namespace gbalign {

template <typename T>
__device__ void layout_fwd(T* a, const T* theta, const long long* len, long long batch, long long n, long long m,
                           long long mode, long long gap, long long s) {
    Grid g;
    g.init(batch, n, m, mode, gap);
    const T zero = s == gb::REAL ? T(0) : gb::neg_inf<T>();
    const T one = s == gb::REAL ? T(1) : T(0);
    const long long per = g.size * g.w, cells = n * m * 3, mats = g.steps * batch;
    const bool gapped = g.mode == GLOBAL && gap >= 0;
    for (long long mi = blockIdx.x; mi < mats; mi += gridDim.x) {
        const long long t = mi / batch, b = mi - t * batch;
        long long lx = 0, ly = 0;
        if (gapped) g.lengths(len, b, &lx, &ly);
        const T* th = theta + b * cells;
        T* mat = a + mi * per;
        for (gbe::Flat f(threadIdx.x, blockDim.x, per, g.w, g.size); f.ok(); f.next()) {
            const long long src = g.source(t, f.r, f.k);
            T v = zero;
            if (src == SRC_ONE) {
                v = one;
            } else if (src >= 0) {
                if (!gapped) {
                    v = th[src];
                } else {
                    const long long cell = src / 3, i = cell / m;
                    if (g.move_ok(i, cell - i * m, src - cell * 3, lx, ly)) v = th[src];
                }
            }
            mat[f.e] = v;
        }
    }
}

template <typename T>
__device__ void layout_bwd(T* dtheta, const long long* len, const T* da, long long batch, long long n, long long m,
                           long long mode, long long gap) {
    Grid g;
    g.init(batch, n, m, mode, gap);
    const bool gapped = g.mode == GLOBAL && gap >= 0;
    const long long per = g.size * g.w;
    for (long long row = blockIdx.x; row < batch * n; row += gridDim.x) {
        const long long b = row / n, i = row - b * n;
        long long lx = 0, ly = 0;
        if (gapped) g.lengths(len, b, &lx, &ly);
        T* out = dtheta + row * m * 3;
        for (long long j = threadIdx.x; j < m; j += blockDim.x) {
            const long long t = i + j, o = j - i, col = g.slots * (o - g.omin);
            // Whether the forward wrote θ[b, i, j, c] into the step storage
            // (a global gap drops a potential whose cell or source lies
            // outside the item's gap: Grid::move_ok).
            const bool held = g.in_gap(o);
            // The slots that hold θ[b, i, j, c] (Grid::source read
            // backwards): row col + δ, slot lower − δ of matrix t·batch + b.
            const T* mat = da + (t * batch + b) * per;
            T mid = T(0), down = T(0), up = T(0);
            if (held && (!gapped || g.move_ok(i, j, 1, lx, ly))) {
                if ((i >= 1 && j >= 1) || g.border_start(i, j)) mid += mat[col * g.w + g.lower];
                if (g.local) mid += mat[(col + 1) * g.w + g.lower - 1]; // the start slot
            }
            if (held && j >= 1 && g.in_gap(o - 1) && (!gapped || g.move_ok(i, j, 0, lx, ly)))
                down += mat[(col - g.slots) * g.w + g.lower + g.slots];
            if (held && i >= 1 && g.in_gap(o + 1) && (!gapped || g.move_ok(i, j, 2, lx, ly)))
                up += mat[(col + g.slots) * g.w + g.lower - g.slots];
            out[j * 3 + 0] = down;
            out[j * 3 + 1] = mid;
            out[j * 3 + 2] = up;
        }
    }
}

} // namespace gbalign

// Entry points. Pointers: the output, then the Op's inputs in order
// (layoutOp: θ, the lengths; layoutGradOp: the lengths, dA). The lengths are
// (batch, 2) int64 (Go's int on 64-bit platforms, tensor.Int): lenX, lenY
// of item b at 2b, 2b + 1; only a global model with a gap reads them.
// Scalars: batch, N, M, mode (0 global, 1 local, 2 semi-global), gap
// (MaxGap, < 0 for no gap), and for the forward the semiring.
extern "C" __global__ void align_layout_fwd_f32(float* a, const float* theta, const long long* len, long long batch,
                                                long long n, long long m, long long mode, long long gap,
                                                long long s) {
    gbalign::layout_fwd<float>(a, theta, len, batch, n, m, mode, gap, s);
}
extern "C" __global__ void align_layout_fwd_f64(double* a, const double* theta, const long long* len, long long batch,
                                                long long n, long long m, long long mode, long long gap,
                                                long long s) {
    gbalign::layout_fwd<double>(a, theta, len, batch, n, m, mode, gap, s);
}
extern "C" __global__ void align_layout_bwd_f32(float* dtheta, const long long* len, const float* da, long long batch,
                                                long long n, long long m, long long mode, long long gap) {
    gbalign::layout_bwd<float>(dtheta, len, da, batch, n, m, mode, gap);
}
extern "C" __global__ void align_layout_bwd_f64(double* dtheta, const long long* len, const double* da,
                                                long long batch, long long n, long long m, long long mode,
                                                long long gap) {
    gbalign::layout_bwd<double>(dtheta, len, da, batch, n, m, mode, gap);
}
