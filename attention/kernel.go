package attention

import (
	"math"
	"runtime"
	"sync"

	"github.com/genband/genband/internal/fastexp"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// window returns the keys [lo, hi] of query row i of an item whose first
// nk positions are keys; lo > hi when there is none.
func (f form) window(i, nk int) (lo, hi int) {
	return max(0, i-f.lower), min(nk-1, i+f.upper)
}

// queries returns the query rows [lo, hi] whose windows hold key j of an
// item of length nk (rows past nk have no window).
func (f form) queries(j, nk int) (lo, hi int) {
	return max(0, j-f.upper), min(nk-1, j+f.lower)
}

// span is the most keys of a window and the most queries of a key.
func (f form) span() int { return max(1, min(f.n, f.lower+f.upper+1)) }

// forward computes, for every query row r = b·n + i, lse[r], the log of
// the sum over its window of e^(scale·q·k), and (when out is not nil) its
// output, the window's values weighted by the softmax. A row with no key
// gets lse −Inf and output 0. Each row reads its window of k and of v as
// two contiguous blocks (the keys of a window are consecutive rows), and
// its scores stay in a buffer of span() numbers.
func forward[T float32 | float64](f form, out, lse, q, k, v []T, lens []int) {
	n, d := f.n, f.d
	parallelFor(f.batch*n, f.batch*n*f.span()*d, func(r0, r1 int) {
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
// gradient dout of the output, in two passes that each write their own
// rows, so both run in parallel without locks:
//
//   - by query row: P = e^(scale·q·k − lse) over the row's window, dP =
//     dout·v, D = Σ P·dP, dS = P·(dP − D), and dq = scale · Σ dS·k;
//   - by key row j: the same P and dS of the queries whose windows hold j
//     (a contiguous range of rows), dk = scale · Σ dS·q, dv = Σ P·dout.
//
// Rows past an item's length, and rows with no key, get dq = 0 and add
// nothing to dk and dv; keys past the length get dk = dv = 0.
func backward[T float32 | float64](f form, dq, dk, dv, q, k, v, dout, lse []T, lens []int) {
	n, d := f.n, f.d
	work := f.batch * n * f.span() * d
	dd := make([]T, f.batch*n) // D of each row
	parallelFor(f.batch*n, work, func(r0, r1 int) {
		p, dp := make([]T, f.span()), make([]T, f.span())
		for r := r0; r < r1; r++ {
			b, i := r/n, r%n
			lo, hi := f.window(i, lens[b])
			if lo > hi || i >= lens[b] {
				continue
			}
			w, base := hi-lo+1, b*n*d
			pw, dpw := p[:w], dp[:w]
			kw := k[base+lo*d : base+(hi+1)*d]
			gemv(false, w, d, T(f.scale), kw, q[r*d:(r+1)*d], pw)
			fastexp.Shift(pw, lse[r])
			gemv(false, w, d, 1, v[base+lo*d:base+(hi+1)*d], dout[r*d:(r+1)*d], dpw)
			var sum T
			for j, x := range pw {
				sum += x * dpw[j]
			}
			dd[r] = sum
			for j, x := range pw {
				dpw[j] = x * (dpw[j] - sum)
			}
			gemv(true, w, d, T(f.scale), kw, dpw, dq[r*d:(r+1)*d])
		}
	})
	parallelFor(f.batch*n, work, func(r0, r1 int) {
		p, dp := make([]T, f.span()), make([]T, f.span())
		for r := r0; r < r1; r++ {
			b, j := r/n, r%n
			if j >= lens[b] {
				continue
			}
			lo, hi := f.queries(j, lens[b])
			if lo > hi {
				continue
			}
			w, base := hi-lo+1, b*n*d
			pw, dpw := p[:w], dp[:w]
			qw, gw := q[base+lo*d:base+(hi+1)*d], dout[base+lo*d:base+(hi+1)*d]
			gemv(false, w, d, T(f.scale), qw, k[r*d:(r+1)*d], pw)
			ls := lse[b*n+lo : b*n+hi+1]
			for t := range pw {
				pw[t] -= ls[t]
			}
			fastexp.Shift(pw, 0)
			gemv(false, w, d, 1, gw, v[r*d:(r+1)*d], dpw)
			ds := dd[b*n+lo : b*n+hi+1]
			for t, x := range pw {
				dpw[t] = x * (dpw[t] - ds[t])
			}
			gemv(true, w, d, T(f.scale), qw, dpw, dk[r*d:(r+1)*d])
			gemv(true, w, d, 1, gw, pw, dv[r*d:(r+1)*d])
		}
	})
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

// minParallelWork is the number of multiply-adds below which a pass runs
// on the calling goroutine: under it, goroutines cost more than they save.
const minParallelWork = 1 << 15

// parallelFor calls f on disjoint ranges [lo, hi) covering [0, n), on up
// to GOMAXPROCS goroutines when work (multiply-adds in all) pays for them;
// more chunks than goroutines even out rows of unequal windows.
func parallelFor(n, work int, f func(lo, hi int)) {
	p := min(runtime.GOMAXPROCS(0), n)
	if p <= 1 || work < minParallelWork {
		f(0, n)
		return
	}
	chunks := min(4*p, n)
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for c := range chunks {
		next <- c
	}
	close(next)
	for range p {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				f(c*n/chunks, (c+1)*n/chunks)
			}
		}()
	}
	wg.Wait()
}
