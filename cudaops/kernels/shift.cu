// Shift: the one kernel of bandop's shiftOp (bandop/reband.go), which serves
// Reband, RowShift and ColShift and all of their gradients. In dense terms
// C[i, j] = A[i+dr, j+dc] for (i, j) in C's band (lout, uout) and
// (i+dr, j+dc) a valid entry of A's band (lin, uin); every other slot of C,
// padding included, gets the fill. Reband is (dr, dc) = (0, 0) with a new
// band, RowShift(t) is (t, 0) with band (l-t, u+t), ColShift(t) is (0, t)
// with band (l+t, u-t); each gradient is the shift by (-dr, -dc) back to the
// input's band with fill 0.
//
// One thread per output slot, in storage order. Slot k of C copies slot
// k + lin - lout + dc - dr of A's row i+dr, the same offset for every row,
// so consecutive threads read consecutive slots too (coalesced).
#include "elementwise.cuh"

template <typename T>
__device__ __forceinline__ void shift_fwd(T* c, const T* a, long long batch, long long n, long long lin,
                                          long long uin, long long lout, long long uout, long long dr, long long dc,
                                          double fill) {
    const long long win = lin + uin + 1, wout = lout + uout + 1, total = batch * n * wout;
    const long long dk = lin - lout + dc - dr;
    for (gbe::Flat f = gbe::grid(total, wout, n); f.ok(); f.next()) {
        const long long e = f.e, r = f.r, k = f.k, i = f.i;
        const long long si = i + dr, sj = i + k - lout + dc, ka = k + dk;
        const bool ok = gbe::valid(i, k, lout, n) && si >= 0 && si < n && sj >= 0 && sj < n && ka >= 0 && ka < win;
        c[e] = ok ? a[(r + dr) * win + ka] : (T)fill;
    }
}

extern "C" __global__ void shift_fwd_f32(float* c, const float* a, long long batch, long long n, long long lin,
                                         long long uin, long long lout, long long uout, long long dr, long long dc,
                                         double fill) {
    shift_fwd<float>(c, a, batch, n, lin, uin, lout, uout, dr, dc, fill);
}

extern "C" __global__ void shift_fwd_f64(double* c, const double* a, long long batch, long long n, long long lin,
                                         long long uin, long long lout, long long uout, long long dr, long long dc,
                                         double fill) {
    shift_fwd<double>(c, a, batch, n, lin, uin, lout, uout, dr, dc, fill);
}
