// Transpose (bandop/transpose.go): C = A^T, band (upper, lower), the same
// width w. In storage terms C.data[i, k] = A.data[i + k - upper, w - 1 - k];
// a slot whose source row is out of range is padding and gets the fill.
// Transpose is its own backward (fill 0), so this one kernel serves both.
//
// Read naively, consecutive slots k of a row of C come from consecutive
// rows of A (an anti-diagonal of A's storage): one memory transaction per
// thread. So a block takes a tile of TR_ROWS rows by TR_SLOTS slots of C,
// whose sources are TR_ROWS + TR_SLOTS - 1 consecutive rows of A and
// TR_SLOTS consecutive slots of each: it reads those rows slot by slot
// (consecutive threads, consecutive slots) into shared memory, then writes
// C's rows slot by slot from there. Tiles are folded into gridDim.x, so the
// batch has no limit.
//
// A band of at most TR_NARROW slots would leave most of a tile's threads
// idle; there one thread per slot of C reads A directly (the Flat walk of
// elementwise.cuh): its anti-diagonal spans few rows, so a warp's reads
// stay within a few neighbouring rows of A anyway. The choice depends on w
// alone, so a block takes one path as a whole, and cudaops.TransposeForward
// launches the geometry of that path.
#include "elementwise.cuh"

// The tile and block shape; cudaops.TransposeForward launches blocks of
// TR_SLOTS x TR_THREADS_Y threads.
#define TR_ROWS 32
#define TR_SLOTS 32
#define TR_THREADS_Y 8
#define TR_NARROW 8

template <typename T>
__device__ __forceinline__ void transpose_fwd(T* c, const T* a, long long batch, long long n, long long lower,
                                              long long upper, double fill) {
    // tile[sr * TR_SLOTS + kk] is A's slot w-1-(k0+kk) of row s0+sr. A row
    // stride of TR_SLOTS makes the reads below, tile[(ii+kk)*TR_SLOTS + kk],
    // step TR_SLOTS+1 words between threads: no bank conflicts.
    __shared__ T tile[(TR_ROWS + TR_SLOTS - 1) * TR_SLOTS];
    const long long w = lower + upper + 1;
    if (w <= TR_NARROW) {
        for (gbe::Flat f = gbe::grid(batch * n * w, w, n); f.ok(); f.next()) {
            const long long s = f.i + f.k - upper; // A's row: C's column
            c[f.e] = (s >= 0 && s < n) ? a[(f.r - f.i + s) * w + (w - 1 - f.k)] : (T)fill;
        }
        return;
    }
    const long long rowTiles = (n + TR_ROWS - 1) / TR_ROWS, slotTiles = (w + TR_SLOTS - 1) / TR_SLOTS;
    const long long tiles = batch * rowTiles * slotTiles;
    const int kk = threadIdx.x, y = threadIdx.y;
    for (long long tl = blockIdx.x; tl < tiles; tl += gridDim.x) {
        const long long b = tl / (rowTiles * slotTiles), rest = tl - b * rowTiles * slotTiles;
        const long long i0 = rest / slotTiles * TR_ROWS, k0 = rest % slotTiles * TR_SLOTS;
        const long long s0 = i0 + k0 - upper; // A's first source row
        const T* ab = a + b * n * w;
        const long long q = w - 1 - k0 - kk; // A's slot for column kk
        for (int sr = y; sr < TR_ROWS + TR_SLOTS - 1; sr += TR_THREADS_Y) {
            const long long s = s0 + sr;
            tile[sr * TR_SLOTS + kk] = (s >= 0 && s < n && q >= 0) ? ab[s * w + q] : T(0);
        }
        __syncthreads();
        for (int ii = y; ii < TR_ROWS; ii += TR_THREADS_Y) {
            const long long i = i0 + ii, k = k0 + kk, s = s0 + ii + kk;
            if (i < n && k < w) {
                c[(b * n + i) * w + k] = (s >= 0 && s < n) ? tile[(ii + kk) * TR_SLOTS + kk] : (T)fill;
            }
        }
        __syncthreads(); // the tile is reused by the next one
    }
}

extern "C" __global__ void transpose_fwd_f32(float* c, const float* a, long long batch, long long n, long long lower,
                                             long long upper, double fill) {
    transpose_fwd<float>(c, a, batch, n, lower, upper, fill);
}

extern "C" __global__ void transpose_fwd_f64(double* c, const double* a, long long batch, long long n,
                                             long long lower, long long upper, double fill) {
    transpose_fwd<double>(c, a, batch, n, lower, upper, fill);
}
