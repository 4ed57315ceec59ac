// CTC (ctc/steps.go): the step matrices of the CTC scan gathered from the
// frames' log probabilities, and the scatter that is their gradient. The
// host checks the run's targets and lengths and hands the kernels a table
// of int32 (cudaops.CTCTable): for each item b and state c, the class of
// the state (−1 past the item's states, or for every state of an item
// whose labels do not fit), then whether the state may be entered from two
// states before (1) or not (0), then each item's input length.
//
// ctc_steps: one thread per row r of step matrix m = t·batch + b, writing
// its three slots (r→r, r→r+1, r→r+2): the frame's log probability of the
// destination's class, −Inf where the move is not allowed; past the item's
// input length the row carries its state, (0, −Inf, −Inf). Writes are
// coalesced (a warp writes 32 consecutive rows); reads gather from the
// frame's row of log probabilities.
//
// ctc_steps_bwd: one thread per frame row m, which clears the row of the
// gradient and then adds, state by state in the CPU's order, the gradient
// of the (at most three) moves into each state to the state's class:
// private sums, no atomics, the CPU's bits.
#include "common.cuh"

namespace gbctc {

template <typename T>
__device__ __forceinline__ T emission(const T* lp, const int* cls, long long c, long long states) {
    if (c >= states || cls[c] < 0) {
        return gb::neg_inf<T>();
    }
    // The gather by class: 2.8× the ideal (float), an eighth of ctc_steps's
    // requests; see the comment in steps.
    return lp[cls[c]];
}

template <typename T>
__device__ __forceinline__ void steps(T* a, const T* lp, const int* tab, long long frames, long long batch,
                                      long long classes, long long states) {
    const long long i = (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x;
    if (i >= frames * batch * states) {
        return;
    }
    const long long m = i / states, r = i % states;
    const long long t = m / batch, b = m % batch;
    const int* cls = tab + b * states;
    const int* skip = tab + batch * states + b * states;
    T* row = a + i * 3;
    if (t >= tab[2 * batch * states + b]) {
        row[0] = T(0);
        row[1] = gb::neg_inf<T>();
        row[2] = gb::neg_inf<T>();
        return;
    }
    const T* f = lp + m * classes;
    // The three slots of a thread's row are written one store at a time,
    // so each store's lanes are 3 elements apart: 3× the ideal sectors
    // (11.9 a request where 4.0 would do, float, batch 4, T = 200, up to 50
    // labels, 100 classes; the GPU model in BENCHMARKS.md), a third of the
    // requests. The gather of the frame's log probabilities by class is
    // 2.8× the ideal (the states' classes are scattered over the frame's
    // row). Coalescing the stores needs a thread per slot, or the block's
    // 3 × blockDim slots staged through shared memory and copied out: not
    // done yet (the gather is the data's).
    row[0] = emission(f, cls, r, states);
    row[1] = emission(f, cls, r + 1, states);
    row[2] = r + 2 < states && skip[r + 2] ? emission(f, cls, r + 2, states) : gb::neg_inf<T>();
}

template <typename T>
__device__ __forceinline__ void steps_bwd(T* dlp, const T* da, const int* tab, long long frames, long long batch,
                                          long long classes, long long states) {
    const long long m = (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x;
    if (m >= frames * batch) {
        return;
    }
    const long long t = m / batch, b = m % batch;
    const int* cls = tab + b * states;
    const int* skip = tab + batch * states + b * states;
    T* row = dlp + m * classes;
    // A thread per frame row walks its own row of dlp and of da: the lanes
    // of a warp are classes (or 3 × states) elements apart, a sector each,
    // 32 and 20.8 sectors a request where 4.0 and 2.6 would do (float,
    // batch 4, T = 200, up to 50 labels, 100 classes; the GPU model in
    // BENCHMARKS.md), nearly all of the kernel's requests. Coalescing it
    // needs a warp per frame row: its lanes clear the row together, and
    // split the classes, each adding its class's states in the CPU's order
    // (a per-item table of each class's states, which the host would build
    // and cudaops.CTCTable would carry): not done yet.
    for (long long k = 0; k < classes; ++k) {
        row[k] = T(0);
    }
    if (t >= tab[2 * batch * states + b]) {
        return;
    }
    const T* mat = da + m * states * 3;
    for (long long c = 0; c < states && cls[c] >= 0; ++c) {
        T g = mat[c * 3];
        if (c >= 1) {
            g += mat[(c - 1) * 3 + 1];
        }
        if (skip[c]) {
            g += mat[(c - 2) * 3 + 2];
        }
        row[cls[c]] += g;
    }
}

} // namespace gbctc

extern "C" __global__ void ctc_steps_f32(float* a, const float* lp, const int* tab, long long frames, long long batch,
                                         long long classes, long long states) {
    gbctc::steps<float>(a, lp, tab, frames, batch, classes, states);
}

extern "C" __global__ void ctc_steps_f64(double* a, const double* lp, const int* tab, long long frames, long long batch,
                                         long long classes, long long states) {
    gbctc::steps<double>(a, lp, tab, frames, batch, classes, states);
}

extern "C" __global__ void ctc_steps_bwd_f32(float* dlp, const float* da, const int* tab, long long frames,
                                             long long batch, long long classes, long long states) {
    gbctc::steps_bwd<float>(dlp, da, tab, frames, batch, classes, states);
}

extern "C" __global__ void ctc_steps_bwd_f64(double* dlp, const double* da, const int* tab, long long frames,
                                             long long batch, long long classes, long long states) {
    gbctc::steps_bwd<double>(dlp, da, tab, frames, batch, classes, states);
}
