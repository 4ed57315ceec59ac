package attention

import (
	"math"

	"github.com/genband/genband/internal/fastexp"
	"github.com/genband/genband/internal/parallel"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// window returns the keys [lo, hi] of query row i of an item whose first
// nk positions are keys; lo > hi when there is none.
func (f form) window(i, nk int) (lo, hi int) {
	return max(0, i-f.lower), min(nk-1, i+f.upper)
}

// span is the most keys of a window.
func (f form) span() int { return max(1, min(f.n, f.lower+f.upper+1)) }

// forward computes, for every query row r = b·n + i, lse[r], the log of
// the sum over its window of e^(scale·q·k), and (when out is not nil) its
// output, the window's values weighted by the softmax. A row with no key
// gets lse −Inf and output 0. Each row reads its window of k and of v as
// two contiguous blocks (the keys of a window are consecutive rows), and
// its scores stay in a buffer of span() numbers.
func forward[T float32 | float64](f form, out, lse, q, k, v []T, lens []int) {
	n, d := f.n, f.d
	parallel.For(f.batch*n, f.batch*n*f.span()*d, func(r0, r1 int) {
		s := make([]T, f.span())
		for r := r0; r < r1; r++ {
			b, i := r/n, r%n
			lo, hi := f.window(i, lens[b])
			if lo > hi || i >= lens[b] {
				lse[r] = T(math.Inf(-1))
				if out != nil {
					clear(out[r*d : (r+1)*d])
				}
				continue
			}
			w, base := hi-lo+1, b*n*d
			sw := s[:w]
			gemv(false, w, d, T(f.scale), k[base+lo*d:base+(hi+1)*d], q[r*d:(r+1)*d], sw)
			m := sw[0]
			for _, x := range sw[1:] {
				m = max(m, x)
			}
			fastexp.Shift(sw, m)
			var l T
			for _, x := range sw {
				l += x
			}
			lse[r] = m + T(math.Log(float64(l)))
			if out != nil {
				gemv(true, w, d, 1/l, v[base+lo*d:base+(hi+1)*d], sw, out[r*d:(r+1)*d])
			}
		}
	})
}

// backward computes dq, dk and dv (zeroed by the caller) from the
// gradient dout of the output. For each query row, with P = e^(scale·q·k
// − lse) over its window, dP = dout·v, D = Σ P·dP and dS = P·(dP − D):
// dq = scale · Σ dS·k, and the row adds scale·dS·q to the dk of its keys
// and P·dout to their dv. Only P and dP of one window are held.
//
// Rows add into the dk and dv of their neighbours' keys, so the rows of an
// item are cut into blocks of at least lower + upper rows: the keys of
// block c and of block c + 2 are then disjoint, and the even blocks run in
// parallel, then the odd ones. Each key sums its terms in one order
// whatever the scheduling, so the result is the same bits on any number
// of cores.
//
// Rows past an item's length, and rows with no key, get dq = 0 and add
// nothing; keys past the length get dk = dv = 0.
func backward[T float32 | float64](f form, dq, dk, dv, q, k, v, dout, lse []T, lens []int) {
	n, d := f.n, f.d
	size := max(64, f.lower+f.upper)
	blocks := (n + size - 1) / size
	for phase := range 2 {
		half := (blocks - phase + 1) / 2 // blocks phase, phase + 2, …
		if half <= 0 {
			continue
		}
		parallel.For(f.batch*half, f.batch*n*f.span()*d/2, func(t0, t1 int) {
			p, dp := make([]T, f.span()), make([]T, f.span())
			for t := t0; t < t1; t++ {
				b, c := t/half, phase+2*(t%half)
				for i := c * size; i < min(n, (c+1)*size); i++ {
					lo, hi := f.window(i, lens[b])
					if lo > hi || i >= lens[b] {
						continue
					}
					r, w, base := b*n+i, hi-lo+1, b*n*d
					pw, dpw := p[:w], dp[:w]
					kw, vw := k[base+lo*d:base+(hi+1)*d], v[base+lo*d:base+(hi+1)*d]
					qi, gi := q[r*d:(r+1)*d], dout[r*d:(r+1)*d]
					gemv(false, w, d, T(f.scale), kw, qi, pw)
					fastexp.Shift(pw, lse[r])
					gemv(false, w, d, 1, vw, gi, dpw)
					var sum T
					for j, x := range pw {
						sum += x * dpw[j]
					}
					for j, x := range pw {
						dpw[j] = x * (dpw[j] - sum)
					}
					gemv(true, w, d, T(f.scale), kw, dpw, dq[r*d:(r+1)*d])
					ger(w, d, T(f.scale), dpw, qi, dk[base+lo*d:base+(hi+1)*d])
					ger(w, d, 1, pw, gi, dv[base+lo*d:base+(hi+1)*d])
				}
			}
		})
	}
}

// ger adds alpha·x·yᵀ to A, rows × cols in row-major order.
func ger[T float32 | float64](rows, cols int, alpha T, x, y, a []T) {
	switch a := any(a).(type) {
	case []float32:
		blas32.Ger(float32(alpha), blas32.Vector{N: rows, Inc: 1, Data: any(x).([]float32)},
			blas32.Vector{N: cols, Inc: 1, Data: any(y).([]float32)}, blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: a})
	case []float64:
		blas64.Ger(float64(alpha), blas64.Vector{N: rows, Inc: 1, Data: any(x).([]float64)},
			blas64.Vector{N: cols, Inc: 1, Data: any(y).([]float64)}, blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: a})
	}
}

// gemv sets y = alpha·A·x (trans false) or y = alpha·Aᵀ·x (trans true), A
// rows × cols in row-major order: gonum's BLAS, whose inner loops are
// vectorized.
func gemv[T float32 | float64](trans bool, rows, cols int, alpha T, a, x, y []T) {
	t, nx, ny := blas.NoTrans, cols, rows
	if trans {
		t, nx, ny = blas.Trans, rows, cols
	}
	switch a := any(a).(type) {
	case []float32:
		blas32.Gemv(t, float32(alpha), blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: a},
			blas32.Vector{N: nx, Inc: 1, Data: any(x).([]float32)}, 0, blas32.Vector{N: ny, Inc: 1, Data: any(y).([]float32)})
	case []float64:
		blas64.Gemv(t, float64(alpha), blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: a},
			blas64.Vector{N: nx, Inc: 1, Data: any(x).([]float64)}, 0, blas64.Vector{N: ny, Inc: 1, Data: any(y).([]float64)})
	}
}
