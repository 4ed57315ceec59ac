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
//
// ctc_final (ctc/loss.go, finalOp): one thread per item b, its log p from
// the last state of the scan's float64 states S (frames+1, batch, states)
// and its target length l (int64, on the device as the Op's input): the
// two final states 2l−1 and 2l summed in the Log semiring (state 0 for an
// empty target), −Inf for an item whose labels do not fit (l > lmax; the
// host has refused a negative l before the scan ran, and one reads as not
// fitting here). ctc_final_bwd (finalGradOp): one thread per element of
// the states' gradient, 0 but at those two states, the gradient of log p
// times each one's weight in the sum, e^(x − log p). Both follow itemLogP
// step for step; exp and log are the device's (within an ulp or two of
// Go's).
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

// item_logp is ctc/loss.go's itemLogP on the last state of item b, last
// (its states): log p, the weights of the two final states, and their
// indices (w = 0: the state adds nothing).
__device__ __forceinline__ void item_logp(const double* last, long long l, long long lmax, double* lp, double* w1,
                                          double* w2, long long* i1, long long* i2) {
    const double ninf = gb::neg_inf<double>();
    *w1 = 0.0;
    *w2 = 0.0;
    *i1 = 0;
    *i2 = 0;
    if (l < 0 || l > lmax) {
        *lp = ninf;
        return;
    }
    if (l == 0) {
        const double x = last[0];
        *lp = x;
        if (x != ninf) {
            *w1 = 1.0;
        }
        return;
    }
    *i1 = 2 * l - 1;
    *i2 = 2 * l;
    const double x = last[*i1], y = last[*i2];
    // Go's max: NaN if either is.
    const double m = (x != x || y != y) ? x + y : (x > y ? x : y);
    if (m == ninf) {
        *lp = m;
        return;
    }
    const double sum = exp(x - m) + exp(y - m);
    const double r = m + log(sum);
    *lp = r;
    *w1 = exp(x - r);
    *w2 = exp(y - r);
}

__device__ __forceinline__ void final_fwd(double* lp, const double* S, const long long* tl, long long frames,
                                          long long batch, long long states, long long lmax) {
    const long long b = (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x;
    if (b >= batch) {
        return;
    }
    double w1, w2;
    long long i1, i2;
    // A thread's two final states are a row of states doubles from the
    // next thread's, so each lane reads sectors of its own: 30 sectors a
    // request where 8 would do (3.75×) at batch 32, T = 200, labels up to
    // 50 (the GPU model, make gpumodel), two of the kernel's seven
    // requests a warp of items. Coalescing needs the last frame's states
    // state-major (a layout the scan does not keep); the kernel moves a
    // few KiB: left as is.
    item_logp(S + (frames * batch + b) * states, tl[b], lmax, lp + b, &w1, &w2, &i1, &i2);
}

__device__ __forceinline__ void final_bwd(double* dS, const double* S, const long long* tl, const double* dlp,
                                          long long frames, long long batch, long long states, long long lmax) {
    const long long base = frames * batch * states, total = base + batch * states;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += (long long)gridDim.x * blockDim.x) {
        double g = 0.0;
        if (e >= base) {
            const long long b = (e - base) / states, c = (e - base) % states;
            double lp, w1, w2;
            long long i1, i2;
            item_logp(S + base + b * states, tl[b], lmax, &lp, &w1, &w2, &i1, &i2);
            // As the host adds them into a cleared state: 0 + x, then + y
            // where both name one state.
            if (w1 != 0.0 && c == i1) {
                g += dlp[b] * w1;
            }
            if (w2 != 0.0 && c == i2) {
                g += dlp[b] * w2;
            }
        }
        dS[e] = g;
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

extern "C" __global__ void ctc_final_f64(double* lp, const double* S, const long long* tl, long long frames,
                                         long long batch, long long states, long long lmax) {
    gbctc::final_fwd(lp, S, tl, frames, batch, states, lmax);
}

extern "C" __global__ void ctc_final_bwd_f64(double* dS, const double* S, const long long* tl, const double* dlp,
                                             long long frames, long long batch, long long states, long long lmax) {
    gbctc::final_bwd(dS, S, tl, dlp, frames, batch, states, lmax);
}
