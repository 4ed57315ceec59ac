// Plus: the elementwise semiring sum C = A (+) B over the union of the two
// bands, and its gradient with respect to either operand (bandop/plus.go:
// plusForward, plusBackward). One thread per output slot, in storage order.
#include "elementwise.cuh"

// plus_fwd writes every slot of C (band (max(la,lb), max(ua,ub))): the sum
// of the operands' entries in its valid slots, the zero in its padding. An
// entry outside one operand's band is that operand's zero; padding slots of
// A and B are never read. Log adds in double, as the CPU does.
template <typename T>
__device__ __forceinline__ void plus_fwd(T* c, const T* a, const T* b, long long batch, long long n,
                                                long long la, long long ua, long long lb, long long ub, long long s) {
    const long long lc = la > lb ? la : lb, uc = ua > ub ? ua : ub;
    const long long wa = la + ua + 1, wb = lb + ub + 1, wc = lc + uc + 1;
    const long long total = batch * n * wc;
    const T zero = gb::zero<T>(s);
    for (gbe::Flat f = gbe::grid(total, wc, n); f.ok(); f.next()) {
        const long long e = f.e, r = f.r, k = f.k, i = f.i;
        T out = zero;
        if (gbe::valid(i, k, lc, n)) {
            T x = zero, y = zero;
            const long long ka = k - lc + la, kb = k - lc + lb;
            if (ka >= 0 && ka < wa) {
                x = a[r * wa + ka];
            }
            if (kb >= 0 && kb < wb) {
                y = b[r * wb + kb];
            }
            if (s == gb::REAL) {
                out = x + y;
            } else if (s == gb::MAX) {
                out = gb::nan_max(x, y);
            } else {
                out = (T)gbe::logaddexp((double)x, (double)y);
            }
        }
        c[e] = out;
    }
}

// plus_bwd writes the gradient of sum(dC * C) with respect to operand WRT
// (0 = A, 1 = B) in that operand's storage: dC for Real, dC * exp(x - c) for
// Log (0 where c is -Inf), and for Max dC where the operand equals c, A
// first on a tie. A dC of 0 gives 0, so infinite operands make no NaN; the
// padding gets 0.
template <typename T, int WRT>
__device__ __forceinline__ void plus_bwd(T* g, const T* a, const T* b, const T* c, const T* dc,
                                                long long batch, long long n, long long la, long long ua,
                                                long long lb, long long ub, long long s) {
    const long long lc = la > lb ? la : lb, uc = ua > ub ? ua : ub;
    const long long wa = la + ua + 1, wc = lc + uc + 1;
    const long long lo = WRT == 0 ? la : lb, wo = WRT == 0 ? wa : lb + ub + 1;
    const T* x = WRT == 0 ? a : b;
    const long long total = batch * n * wo;
    for (gbe::Flat f = gbe::grid(total, wo, n); f.ok(); f.next()) {
        const long long e = f.e, r = f.r, k = f.k, i = f.i;
        T out = T(0);
        if (gbe::valid(i, k, lo, n)) {
            const long long kc = k - lo + lc; // inside C's band, the union
            const T d = dc[r * wc + kc], cv = c[r * wc + kc], xv = x[e];
            if (d != T(0) && (s == gb::REAL || !gb::is_neg_inf(cv))) {
                if (s == gb::REAL) {
                    out = d;
                } else if (s == gb::LOG) {
                    out = d * (T)exp((double)xv - (double)cv);
                } else if (xv == cv) {
                    out = d;
                    if (WRT == 1) {
                        const long long ka = kc - lc + la;
                        if (ka >= 0 && ka < wa && a[r * wa + ka] == cv) {
                            out = T(0); // A is first on a tie
                        }
                    }
                }
            }
        }
        g[e] = out;
    }
}

extern "C" __global__ void plus_fwd_f32(float* c, const float* a, const float* b, long long batch, long long n,
                                        long long la, long long ua, long long lb, long long ub, long long s) {
    plus_fwd<float>(c, a, b, batch, n, la, ua, lb, ub, s);
}

extern "C" __global__ void plus_fwd_f64(double* c, const double* a, const double* b, long long batch, long long n,
                                        long long la, long long ua, long long lb, long long ub, long long s) {
    plus_fwd<double>(c, a, b, batch, n, la, ua, lb, ub, s);
}

extern "C" __global__ void plus_bwd_a_f32(float* g, const float* a, const float* b, const float* c, const float* dc,
                                          long long batch, long long n, long long la, long long ua, long long lb,
                                          long long ub, long long s) {
    plus_bwd<float, 0>(g, a, b, c, dc, batch, n, la, ua, lb, ub, s);
}

extern "C" __global__ void plus_bwd_a_f64(double* g, const double* a, const double* b, const double* c,
                                          const double* dc, long long batch, long long n, long long la, long long ua,
                                          long long lb, long long ub, long long s) {
    plus_bwd<double, 0>(g, a, b, c, dc, batch, n, la, ua, lb, ub, s);
}

extern "C" __global__ void plus_bwd_b_f32(float* g, const float* a, const float* b, const float* c, const float* dc,
                                          long long batch, long long n, long long la, long long ua, long long lb,
                                          long long ub, long long s) {
    plus_bwd<float, 1>(g, a, b, c, dc, batch, n, la, ua, lb, ub, s);
}

extern "C" __global__ void plus_bwd_b_f64(double* g, const double* a, const double* b, const double* c,
                                          const double* dc, long long batch, long long n, long long la, long long ua,
                                          long long lb, long long ub, long long s) {
    plus_bwd<double, 1>(g, a, b, c, dc, batch, n, la, ua, lb, ub, s);
}
