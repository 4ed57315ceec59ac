// Times: the elementwise semiring product C = A (x) B over the intersection
// of the two bands, and its gradient with respect to either operand
// (bandop/times.go: timesForward, timesBackward). One thread per output
// slot, in storage order.
#include "elementwise.cuh"

// times_fwd writes every slot of C (band (min(la,lb), min(ua,ub))): the
// product of the operands' entries in its valid slots, the zero in its
// padding. Every valid slot of C is a valid slot of both operands.
template <typename T>
__device__ __forceinline__ void times_fwd(T* c, const T* a, const T* b, long long batch, long long n,
                                                 long long la, long long ua, long long lb, long long ub, long long s) {
    const long long lc = la < lb ? la : lb, uc = ua < ub ? ua : ub;
    const long long wa = la + ua + 1, wb = lb + ub + 1, wc = lc + uc + 1;
    const long long da = la - lc, db = lb - lc; // slot offsets, >= 0
    const long long total = batch * n * wc;
    const T zero = gb::zero<T>(s);
    for (gbe::Flat f = gbe::grid(total, wc, n); f.ok(); f.next()) {
        const long long e = f.e, r = f.r, k = f.k, i = f.i;
        T out = zero;
        if (gbe::valid(i, k, lc, n)) {
            const T x = a[r * wa + k + da], y = b[r * wb + k + db];
            out = s == gb::REAL ? x * y : x + y;
        }
        c[e] = out;
    }
}

// times_bwd writes the gradient of sum(dC * C) with respect to operand WRT
// (0 = A, 1 = B) in that operand's storage: dC times the other factor for
// Real, dC itself for Log and Max, 0 outside the intersection and in the
// padding. A dC of 0 gives 0, so an infinite factor makes no NaN. C is an
// argument only because the backward Op has it as an input; it is not read.
template <typename T, int WRT>
__device__ __forceinline__ void times_bwd(T* g, const T* a, const T* b, const T* c, const T* dc,
                                                 long long batch, long long n, long long la, long long ua,
                                                 long long lb, long long ub, long long s) {
    (void)c;
    const long long lc = la < lb ? la : lb, uc = ua < ub ? ua : ub;
    const long long wc = lc + uc + 1;
    const long long lo = WRT == 0 ? la : lb, wo = WRT == 0 ? la + ua + 1 : lb + ub + 1;
    const long long lt = WRT == 0 ? lb : la, wt = WRT == 0 ? lb + ub + 1 : la + ua + 1;
    const T* other = WRT == 0 ? b : a;
    const long long total = batch * n * wo;
    for (gbe::Flat f = gbe::grid(total, wo, n); f.ok(); f.next()) {
        const long long e = f.e, r = f.r, k = f.k, i = f.i;
        const long long kc = k - lo + lc; // the same entry's slot in C
        T out = T(0);
        if (kc >= 0 && kc < wc && gbe::valid(i, k, lo, n)) {
            const T d = dc[r * wc + kc];
            if (d != T(0)) {
                out = s == gb::REAL ? d * other[r * wt + kc - lc + lt] : d;
            }
        }
        g[e] = out;
    }
}

extern "C" __global__ void times_fwd_f32(float* c, const float* a, const float* b, long long batch, long long n,
                                         long long la, long long ua, long long lb, long long ub, long long s) {
    times_fwd<float>(c, a, b, batch, n, la, ua, lb, ub, s);
}

extern "C" __global__ void times_fwd_f64(double* c, const double* a, const double* b, long long batch, long long n,
                                         long long la, long long ua, long long lb, long long ub, long long s) {
    times_fwd<double>(c, a, b, batch, n, la, ua, lb, ub, s);
}

extern "C" __global__ void times_bwd_a_f32(float* g, const float* a, const float* b, const float* c, const float* dc,
                                           long long batch, long long n, long long la, long long ua, long long lb,
                                           long long ub, long long s) {
    times_bwd<float, 0>(g, a, b, c, dc, batch, n, la, ua, lb, ub, s);
}

extern "C" __global__ void times_bwd_a_f64(double* g, const double* a, const double* b, const double* c,
                                           const double* dc, long long batch, long long n, long long la, long long ua,
                                           long long lb, long long ub, long long s) {
    times_bwd<double, 0>(g, a, b, c, dc, batch, n, la, ua, lb, ub, s);
}

extern "C" __global__ void times_bwd_b_f32(float* g, const float* a, const float* b, const float* c, const float* dc,
                                           long long batch, long long n, long long la, long long ua, long long lb,
                                           long long ub, long long s) {
    times_bwd<float, 1>(g, a, b, c, dc, batch, n, la, ua, lb, ub, s);
}

extern "C" __global__ void times_bwd_b_f64(double* g, const double* a, const double* b, const double* c,
                                           const double* dc, long long batch, long long n, long long la, long long ua,
                                           long long lb, long long ub, long long s) {
    times_bwd<double, 1>(g, a, b, c, dc, batch, n, la, ua, lb, ub, s);
}
