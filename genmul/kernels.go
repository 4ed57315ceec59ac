package genmul

import (
	"math"
	"runtime"
	"sync"

	"github.com/genband/genband/internal/fastexp"
)

// The CPU kernels. Every product and gradient is split into tasks, each a
// block of at most rowBlock output rows times a tile of columns, run on up
// to GOMAXPROCS goroutines. Inner loops run over a contiguous tile of one
// row of B (or of C and dC) and a row of per-task scratch; the tile's width
// keeps the panel of rows a task streams (k rows of B, or n rows of C and
// dC) within about panelBytes, so that a panel read by one task is still in
// the core's cache for the next, which shares its columns. Nothing of size
// batch·n·k·m is ever stored.

// float is the element type of the kernels.
type float = fastexp.Float

const (
	// rowBlock is the number of output rows a task computes together: each
	// element of the panel it streams serves rowBlock rows.
	rowBlock = 4
	// panelBytes bounds the panel a task streams, to stay in a core's L2.
	panelBytes = 256 << 10
	// minParallelWork is the number of inner terms below which a kernel
	// runs on the calling goroutine.
	minParallelWork = 1 << 15
)

// tileCols returns the width of a column tile of a matrix with cols columns
// when a task streams rows·arrays rows of elements of size bytes: as wide as
// fits panelBytes, a multiple of 16, at least 16, at most cols.
func tileCols(cols, rows, arrays, size int) int {
	w := panelBytes / max(1, rows*arrays*size)
	w &^= 15
	return min(cols, max(16, w))
}

func sizeOf[T float]() int {
	var x T
	if fastexp.IsF32(x) {
		return 4
	}
	return 8
}

// parallel calls f on disjoint ranges [lo, hi) covering [0, tasks), on up to
// GOMAXPROCS goroutines when the work (in inner terms) pays for them. The
// ranges are contiguous runs of tasks, so that neighbouring tasks, which
// share a panel, run on the same core.
func parallel(tasks, work int, f func(lo, hi int)) {
	p := min(runtime.GOMAXPROCS(0), tasks)
	if p <= 1 || work < minParallelWork {
		f(0, tasks)
		return
	}
	// More chunks than workers even out a core slowed by other work.
	chunks := min(4*p, tasks)
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
				f(c*tasks/chunks, (c+1)*tasks/chunks)
			}
		}()
	}
	wg.Wait()
}

// rowTiles describes tasks over (batch, column tile, row block), the row
// block varying fastest: rows rows of cols columns per matrix.
type rowTiles struct {
	rows, cols, width   int
	rowBlocks, colTiles int
}

func newRowTiles(rows, cols, width int) rowTiles {
	return rowTiles{rows: rows, cols: cols, width: width,
		rowBlocks: (rows + rowBlock - 1) / rowBlock, colTiles: (cols + width - 1) / width}
}

func (t rowTiles) tasks(batch int) int { return batch * t.colTiles * t.rowBlocks }

// task returns the matrix, rows [r0, r1) and columns [c0, c1) of task x.
func (t rowTiles) task(x int) (bat, r0, r1, c0, c1 int) {
	rb := x % t.rowBlocks
	x /= t.rowBlocks
	ct := x % t.colTiles
	bat = x / t.colTiles
	r0, c0 = rb*rowBlock, ct*t.width
	return bat, r0, min(r0+rowBlock, t.rows), c0, min(c0+t.width, t.cols)
}

func fill[T float](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

func negInf[T float]() T { return T(math.Inf(-1)) }

// forward computes c = A ⊗ B for product p (Sample's forward is Log's).
func forward[T float](p product, c, a, b []T, d dims) {
	t := newRowTiles(d.n, d.m, tileCols(d.m, d.k, 1, sizeOf[T]()))
	var rm, cm []T
	if p == logProd || p == sampleProd {
		rm, cm = make([]T, d.batch*d.n), make([]T, d.batch*d.m)
		logBounds(rm, cm, a, b, d)
	}
	parallel(t.tasks(d.batch), d.terms(), func(lo, hi int) {
		var mx, acc []T
		var lg []float64
		if p == logProd || p == sampleProd {
			mx, acc, lg = make([]T, t.width), make([]T, rowBlock*t.width), make([]float64, t.width)
		}
		for x := lo; x < hi; x++ {
			bat, i0, i1, j0, j1 := t.task(x)
			A, B, C := a[bat*d.n*d.k:], b[bat*d.k*d.m:], c[bat*d.n*d.m:]
			switch p {
			case maxProd:
				forwardMax(C, A, B, d, i0, i1, j0, j1)
			case prodMaxProd:
				forwardProdMax(C, A, B, d, i0, i1, j0, j1)
			default:
				forwardLog(C, A, B, rm[bat*d.n:], cm[bat*d.m:], d, i0, i1, j0, j1, mx, acc, lg)
			}
		}
	})
}

// forwardMax computes rows [i0, i1), columns [j0, j1) of one matrix of
// MaxMatMul. The builtin max compiles without a branch and makes a NaN
// term's result NaN.
func forwardMax[T float](C, A, B []T, d dims, i0, i1, j0, j1 int) {
	for i := i0; i < i1; i++ {
		fill(C[i*d.m+j0:i*d.m+j1], negInf[T]())
	}
	for kk := 0; kk < d.k; kk++ {
		brow := B[kk*d.m+j0 : kk*d.m+j1]
		for i := i0; i < i1; i++ {
			av, cs := A[i*d.k+kk], C[i*d.m+j0:i*d.m+j1]
			cs = cs[:len(brow)]
			for x, bv := range brow {
				cs[x] = max(cs[x], av+bv)
			}
		}
	}
}

// forwardProdMax is forwardMax with products av·bv.
func forwardProdMax[T float](C, A, B []T, d dims, i0, i1, j0, j1 int) {
	for i := i0; i < i1; i++ {
		fill(C[i*d.m+j0:i*d.m+j1], negInf[T]())
	}
	for kk := 0; kk < d.k; kk++ {
		brow := B[kk*d.m+j0 : kk*d.m+j1]
		for i := i0; i < i1; i++ {
			av, cs := A[i*d.k+kk], C[i*d.m+j0:i*d.m+j1]
			cs = cs[:len(brow)]
			for x, bv := range brow {
				cs[x] = max(cs[x], av*bv)
			}
		}
	}
}

// logBounds sets rm[b,i] to the largest entry of row i of A and cm[b,j]
// to the largest of column j of B (NaN where one is NaN): rm[b,i] + cm[b,j]
// bounds every term A[b,i,k] + B[b,k,j] of output (i, j) from above.
func logBounds[T float](rm, cm, a, b []T, d dims) {
	parallel(d.batch, d.batch*(d.n+d.m)*d.k, func(lo, hi int) {
		for bat := lo; bat < hi; bat++ {
			A, B := a[bat*d.n*d.k:(bat+1)*d.n*d.k], b[bat*d.k*d.m:(bat+1)*d.k*d.m]
			for i := range d.n {
				// Four chains of max, not one: each waits on the last.
				row := A[i*d.k : (i+1)*d.k]
				v0, v1, v2, v3 := negInf[T](), negInf[T](), negInf[T](), negInf[T]()
				x := 0
				for ; x+4 <= len(row); x += 4 {
					v0, v1, v2, v3 = max(v0, row[x]), max(v1, row[x+1]), max(v2, row[x+2]), max(v3, row[x+3])
				}
				for ; x < len(row); x++ {
					v0 = max(v0, row[x])
				}
				rm[bat*d.n+i] = max(v0, v1, v2, v3)
			}
			cs := cm[bat*d.m : (bat+1)*d.m]
			fill(cs, negInf[T]())
			for kk := range d.k {
				for x, v := range B[kk*d.m : (kk+1)*d.m] {
					cs[x] = max(cs[x], v)
				}
			}
		}
	})
}

// sumFloor is the least shifted sum forwardLog takes as it is: the sum's
// largest term, e^−(gap between the bound and the output's largest term),
// is then at least sumFloor/k, a normal number for any k up to 2^31, so
// that it and the terms near it keep full precision (the subnormal ones add
// under k·2^−63 of the sum). Outputs whose sum is smaller (or not a number)
// are computed again, shifted by their own largest term.
func sumFloor[T float]() T {
	var x T
	if fastexp.IsF32(x) {
		return 0x1p-86
	}
	return 0x1p-982
}

// forwardLog computes a tile of LogMatMul, rows [i0, i1) and columns [j0,
// j1) of one matrix, in one pass over k: each output's sum Σ_k exp(A + B −
// rm[i] − cm[j]) is shifted by the bound rm[i] + cm[j] (logBounds) instead
// of by its largest term, so that no pass over the terms looks for that
// term, and every exp is a vector one (fastexp.Acc over a row of B, with
// the shift cm as its m, the vector layout of the C anchor). No term is
// above the bound, so no exp overflows; an output whose largest term is so
// far below it that its sum falls under sumFloor, or is not a number (a
// NaN or an infinite entry in its row of A or column of B, an output of
// only −Inf terms), is computed again by logExact or, when more than an
// eighth of a row's outputs need it, the row by forwardLogExact, the
// two-pass form with the same results as before the bound. A row of A's
// −Inf entries adds nothing to the sums and is skipped there. rm and cm are
// the matrix's bounds, mx, acc and lg scratch.
func forwardLog[T float](C, A, B, rm, cm []T, d dims, i0, i1, j0, j1 int, mx, acc []T, lg []float64) {
	w := j1 - j0
	acc, lg, cms := acc[:(i1-i0)*w], lg[:w], cm[j0:j1]
	clear(acc)
	ninf := negInf[T]()
	// The rows whose bound is not finite sum nothing here (their sums stay
	// 0, and the exact path computes them).
	var arows [rowBlock][]T
	var shift [rowBlock]T
	for i := i0; i < i1; i++ {
		if r := rm[i]; r-r == 0 {
			arows[i-i0], shift[i-i0] = A[i*d.k:(i+1)*d.k], r
		}
	}
	for kk := 0; kk < d.k; kk++ {
		brow := B[kk*d.m+j0 : kk*d.m+j1]
		for q, arow := range arows[:i1-i0] {
			if arow == nil {
				continue
			}
			if av := arow[kk]; av != ninf {
				fastexp.Acc(acc[q*w:(q+1)*w], brow, cms, av-shift[q])
			}
		}
	}
	floor := sumFloor[T]()
	for i := i0; i < i1; i++ {
		sums := acc[(i-i0)*w : (i-i0+1)*w]
		bad := 0
		for x, v := range sums {
			lg[x] = float64(v)
			if !(v >= floor) || math.IsInf(float64(v), 0) {
				bad++
			}
		}
		if bad > w/8 {
			forwardLogExact(C, A, B, d, i, i+1, j0, j1, mx, sums)
			continue
		}
		fastexp.LogSlice64(lg, lg)
		cs, r := C[i*d.m+j0:i*d.m+j1], float64(rm[i])
		cs = cs[:len(sums)]
		for x, v := range sums {
			if bad > 0 && (!(v >= floor) || math.IsInf(float64(v), 0)) {
				cs[x] = logExact(A, B, d, i, j0+x)
				continue
			}
			cs[x] = T(r + float64(cms[x]) + lg[x])
		}
	}
}

// logExact is output (i, j) of one matrix of LogMatMul shifted by its
// largest term, as forwardLogExact computes it, one exp at a time.
func logExact[T float](A, B []T, d dims, i, j int) T {
	mx, ninf := negInf[T](), negInf[T]()
	for kk := range d.k {
		mx = max(mx, A[i*d.k+kk]+B[kk*d.m+j])
	}
	if math.IsInf(float64(mx), 0) {
		mx = 0
	}
	var s T
	for kk := range d.k {
		if av := A[i*d.k+kk]; av != ninf {
			s += fastexp.Exp(av + B[kk*d.m+j] - mx)
		}
	}
	return mx + T(math.Log(float64(s)))
}

// forwardLogExact computes a tile of LogMatMul in two passes over k: the
// maximum term of each output, then Σ exp(term − max) (fastexp.Acc), so
// that no exp overflows and none underflows wholesale. A maximum of ±Inf
// is replaced by 0 before the sums: an output of only −Inf terms then sums
// exp(−Inf) = 0 and comes out −Inf, one with a +Inf term +Inf, never
// Inf − Inf. A NaN term makes the maximum, and the result, NaN. A row of
// A's −Inf entries adds nothing to the sums and is skipped there.
func forwardLogExact[T float](C, A, B []T, d dims, i0, i1, j0, j1 int, mx, acc []T) {
	w := j1 - j0
	mx, acc = mx[:(i1-i0)*w], acc[:(i1-i0)*w]
	fill(mx, negInf[T]())
	for kk := 0; kk < d.k; kk++ {
		brow := B[kk*d.m+j0 : kk*d.m+j1]
		for i := i0; i < i1; i++ {
			av, ms := A[i*d.k+kk], mx[(i-i0)*w:(i-i0+1)*w]
			ms = ms[:len(brow)]
			for x, bv := range brow {
				ms[x] = max(ms[x], av+bv)
			}
		}
	}
	for x, v := range mx {
		if math.IsInf(float64(v), 0) {
			mx[x] = 0
		}
	}
	clear(acc)
	ninf := negInf[T]()
	for kk := 0; kk < d.k; kk++ {
		brow := B[kk*d.m+j0 : kk*d.m+j1]
		for i := i0; i < i1; i++ {
			if av := A[i*d.k+kk]; av != ninf {
				r := (i - i0) * w
				fastexp.Acc(acc[r:r+w], brow, mx[r:r+w], av)
			}
		}
	}
	for i := i0; i < i1; i++ {
		r := (i - i0) * w
		cs := C[i*d.m+j0 : i*d.m+j1]
		for x := range cs {
			cs[x] = mx[r+x] + T(math.Log(float64(acc[r+x])))
		}
	}
}

// logMasked returns the copies of C and dC the Log gradients read: where C
// is −Inf (an output of only −Inf terms, whose gradient is 0 whatever dC
// is), C becomes 0 and dC 0, so that every weight exp(A + B − C) there is
// exp(−Inf) = 0 and no Inf − Inf or 0·Inf arises. dc may be nil (cm only).
func logMasked[T float](c, dc []T) (cm, dm []T) {
	cm = make([]T, len(c))
	if dc != nil {
		dm = make([]T, len(c))
	}
	parallel(len(c), len(c), func(lo, hi int) {
		for x := lo; x < hi; x++ {
			if v := c[x]; v != negInf[T]() {
				cm[x] = v
				if dc != nil {
					dm[x] = dc[x]
				}
			}
		}
	})
	return cm, dm
}

// logGradA computes g[b,i,k] = Σ_j dm[b,i,j]·(w[b,k,j])·exp(A[b,i,k] +
// B[b,k,j] − cm[b,i,j]): LogMatMul's gradient with respect to A, cm and dm
// from logMasked; w, of B's shape, is nil for the gradient itself and the
// weight of the second-order term otherwise. Each task owns a block of rows
// of g and runs over every column tile.
func logGradA[T float](g, a, b, cm, dm, w []T, d dims) {
	width := tileCols(d.m, d.k, 1, sizeOf[T]())
	blocks := (d.n + rowBlock - 1) / rowBlock
	parallel(d.batch*blocks, d.terms(), func(lo, hi int) {
		var buf []T
		if w != nil {
			buf = make([]T, width)
		}
		ninf := negInf[T]()
		for x := lo; x < hi; x++ {
			bat, i0 := x/blocks, (x%blocks)*rowBlock
			i1 := min(i0+rowBlock, d.n)
			A, B, G := a[bat*d.n*d.k:], b[bat*d.k*d.m:], g[bat*d.n*d.k:]
			CM, DM := cm[bat*d.n*d.m:], dm[bat*d.n*d.m:]
			var W []T
			if w != nil {
				W = w[bat*d.k*d.m:]
			}
			clear(G[i0*d.k : i1*d.k])
			for j0 := 0; j0 < d.m; j0 += width {
				j1 := min(j0+width, d.m)
				for kk := 0; kk < d.k; kk++ {
					brow := B[kk*d.m+j0 : kk*d.m+j1]
					for i := i0; i < i1; i++ {
						av := A[i*d.k+kk]
						if av == ninf {
							continue
						}
						ds := DM[i*d.m+j0 : i*d.m+j1]
						if W != nil {
							ws := W[kk*d.m+j0 : kk*d.m+j1]
							bs := buf[:len(ds)]
							for x, dv := range ds {
								bs[x] = dv * ws[x]
							}
							ds = bs
						}
						G[i*d.k+kk] += fastexp.Dot(ds, brow, CM[i*d.m+j0:i*d.m+j1], av)
					}
				}
			}
		}
	})
}

// stripesFor is the number of stripes of rows logGradBoth splits a matrix
// into, so that a batch of one still has parallel tasks: one per 16 rows, at
// most maxStripes. It depends on n only, which keeps the sums (and the
// result's bits) independent of GOMAXPROCS.
func stripesFor(n int) (stripes, rowsPer int) {
	const maxStripes = 8
	stripes = min(maxStripes, max(1, n/16))
	rowsPer = (n + stripes - 1) / stripes
	rowsPer = (rowsPer + rowBlock - 1) / rowBlock * rowBlock
	return (n + rowsPer - 1) / rowsPer, rowsPer
}

// partialBytes bounds the partial sums of dB that logGradBoth keeps at once
// (a variable for the tests).
var partialBytes = 32 << 20

// logGradBoth computes both of LogMatMul's gradients, ga (A's shape) and gb
// (B's shape), from one exp per inner term (logGradA and logGradB take one
// each): each term's weight dm·exp(A + B − cm) is added to gb[k,j] and, by
// fastexp.AccWSum's returned sum, to ga[i,k]. A task owns a stripe of rows
// of one matrix, its rows of ga, and a partial dB of its own, which the
// stripes' reduction adds up in stripe order, so the result does not depend
// on the scheduling. When there are fewer (matrix, stripe) tasks than twice
// the cores, logGradA and logGradB run instead, as they split finer.
func logGradBoth[T float](ga, gb, a, b, cm, dm []T, d dims) {
	stripes, rowsPer := stripesFor(d.n)
	if d.batch*stripes < 2*runtime.GOMAXPROCS(0) && d.terms() >= minParallelWork {
		logGradA(ga, a, b, cm, dm, nil, d)
		logGradB(gb, a, b, cm, dm, nil, d)
		return
	}
	size := sizeOf[T]()
	km := d.k * d.m
	width := tileCols(d.m, d.k, 2, size)
	group := d.batch
	var part []T
	if stripes > 1 {
		group = max(1, min(d.batch, partialBytes/((stripes-1)*km*size)))
		part = make([]T, group*(stripes-1)*km)
	}
	for g0 := 0; g0 < d.batch; g0 += group {
		g1 := min(g0+group, d.batch)
		parallel((g1-g0)*stripes, (g1-g0)*d.n*km, func(lo, hi int) {
			ninf := negInf[T]()
			for t := lo; t < hi; t++ {
				bat, s := g0+t/stripes, t%stripes
				r0, r1 := s*rowsPer, min((s+1)*rowsPer, d.n)
				A, B, GA := a[bat*d.n*d.k:], b[bat*km:], ga[bat*d.n*d.k:]
				CM, DM := cm[bat*d.n*d.m:], dm[bat*d.n*d.m:]
				GB := gb[bat*km : (bat+1)*km]
				if s > 0 {
					GB = part[((bat-g0)*(stripes-1)+s-1)*km:][:km]
				}
				clear(GB)
				clear(GA[r0*d.k : r1*d.k])
				for i0 := r0; i0 < r1; i0 += rowBlock {
					i1 := min(i0+rowBlock, r1)
					for j0 := 0; j0 < d.m; j0 += width {
						j1 := min(j0+width, d.m)
						for kk := 0; kk < d.k; kk++ {
							brow, gbrow := B[kk*d.m+j0:kk*d.m+j1], GB[kk*d.m+j0:kk*d.m+j1]
							for i := i0; i < i1; i++ {
								if av := A[i*d.k+kk]; av != ninf {
									GA[i*d.k+kk] += fastexp.AccWSum(gbrow, DM[i*d.m+j0:i*d.m+j1], brow, CM[i*d.m+j0:i*d.m+j1], av)
								}
							}
						}
					}
				}
			}
		})
		if stripes == 1 {
			continue
		}
		// gb += the partials of stripes 1, 2, … in order, element by
		// element, in chunks of 4096 elements.
		chunks := (km + 4095) / 4096
		parallel((g1-g0)*chunks, (g1-g0)*(stripes-1)*km, func(lo, hi int) {
			for t := lo; t < hi; t++ {
				bat, c := g0+t/chunks, t%chunks
				x0, x1 := c*4096, min((c+1)*4096, km)
				dst := gb[bat*km+x0 : bat*km+x1]
				for s := 1; s < stripes; s++ {
					src := part[((bat-g0)*(stripes-1)+s-1)*km+x0:]
					src = src[:len(dst)]
					for x, v := range src {
						dst[x] += v
					}
				}
			}
		})
	}
}

// logGradB computes g[b,k,j] = Σ_i dm[b,i,j]·(w[b,i,k])·exp(A[b,i,k] +
// B[b,k,j] − cm[b,i,j]): LogMatMul's gradient with respect to B (w nil), or
// with w of A's shape the second-order term. Each task owns a block of rows
// k and a column tile of g and streams that tile of cm and dm.
func logGradB[T float](g, a, b, cm, dm, w []T, d dims) {
	t := newRowTiles(d.k, d.m, tileCols(d.m, d.n, 2, sizeOf[T]()))
	parallel(t.tasks(d.batch), d.terms(), func(lo, hi int) {
		var buf []T
		if w != nil {
			buf = make([]T, t.width)
		}
		ninf := negInf[T]()
		for x := lo; x < hi; x++ {
			bat, k0, k1, j0, j1 := t.task(x)
			A, B, G := a[bat*d.n*d.k:], b[bat*d.k*d.m:], g[bat*d.k*d.m:]
			CM, DM := cm[bat*d.n*d.m:], dm[bat*d.n*d.m:]
			var W []T
			if w != nil {
				W = w[bat*d.n*d.k:]
			}
			for kk := k0; kk < k1; kk++ {
				clear(G[kk*d.m+j0 : kk*d.m+j1])
			}
			for i := 0; i < d.n; i++ {
				cs, ds := CM[i*d.m+j0:i*d.m+j1], DM[i*d.m+j0:i*d.m+j1]
				for kk := k0; kk < k1; kk++ {
					av := A[i*d.k+kk]
					if av == ninf {
						continue
					}
					ws := ds
					if W != nil {
						wv := W[i*d.k+kk]
						if wv == 0 {
							continue
						}
						ws = buf[:len(ds)]
						for x, dv := range ds {
							ws[x] = dv * wv
						}
					}
					fastexp.AccW(G[kk*d.m+j0:kk*d.m+j1], ws, B[kk*d.m+j0:kk*d.m+j1], cs, av)
				}
			}
		}
	})
}

// logExpect computes e[b,i,j] = Σ_k P[b,i,k,j]·(x[b,i,k] + y[b,k,j]) with
// the softmax weights P = exp(A + B − cm), cm from logMasked; x (A's shape)
// or y (B's shape) may be nil. It is the part of LogMatMul's second
// derivatives that reaches C and dC.
func logExpect[T float](e, a, b, cm, x, y []T, d dims) {
	t := newRowTiles(d.n, d.m, tileCols(d.m, d.k, 2, sizeOf[T]()))
	parallel(t.tasks(d.batch), d.terms(), func(lo, hi int) {
		buf := make([]T, t.width)
		ninf := negInf[T]()
		for task := lo; task < hi; task++ {
			bat, i0, i1, j0, j1 := t.task(task)
			A, B, E, CM := a[bat*d.n*d.k:], b[bat*d.k*d.m:], e[bat*d.n*d.m:], cm[bat*d.n*d.m:]
			for i := i0; i < i1; i++ {
				clear(E[i*d.m+j0 : i*d.m+j1])
			}
			for kk := 0; kk < d.k; kk++ {
				brow := B[kk*d.m+j0 : kk*d.m+j1]
				for i := i0; i < i1; i++ {
					av := A[i*d.k+kk]
					if av == ninf {
						continue
					}
					ws := buf[:len(brow)]
					var xv T
					if x != nil {
						xv = x[bat*d.n*d.k+i*d.k+kk]
					}
					if y != nil {
						copy(ws, y[bat*d.k*d.m+kk*d.m+j0:bat*d.k*d.m+kk*d.m+j1])
						if xv != 0 {
							for q := range ws {
								ws[q] += xv
							}
						}
					} else {
						if xv == 0 {
							continue
						}
						fill(ws, xv)
					}
					fastexp.AccW(E[i*d.m+j0:i*d.m+j1], ws, brow, CM[i*d.m+j0:i*d.m+j1], av)
				}
			}
		}
	})
}

// Selections: for Max, ProdMax and Sample the gradient of each output goes
// to one k, recorded in a (batch, n, m) int32 array; noK where there is
// none (an output of only −Inf terms, or one whose sum is not a number).
const noK = -1

// selectMax sets sel[b,i,j] to the first k whose term A[b,i,k] + B[b,k,j]
// (A·B for ProdMax) equals c[b,i,j], the maximum the forward took of the
// very same terms; where c is NaN, to the first NaN term; noK where c is
// −Inf. Testing for equality rather than taking the maximum again keeps the
// inner branch predictable.
func selectMax[T float](p product, sel []int32, a, b, c []T, d dims) {
	const pending = -3
	t := newRowTiles(d.n, d.m, tileCols(d.m, d.k, 1, sizeOf[T]()))
	parallel(t.tasks(d.batch), d.terms(), func(lo, hi int) {
		for task := lo; task < hi; task++ {
			bat, i0, i1, j0, j1 := t.task(task)
			A, B, C, S := a[bat*d.n*d.k:], b[bat*d.k*d.m:], c[bat*d.n*d.m:], sel[bat*d.n*d.m:]
			for i := i0; i < i1; i++ {
				for j := j0; j < j1; j++ {
					S[i*d.m+j] = pending
					if C[i*d.m+j] == negInf[T]() {
						S[i*d.m+j] = noK
					}
				}
			}
			for kk := 0; kk < d.k; kk++ {
				brow := B[kk*d.m+j0 : kk*d.m+j1]
				for i := i0; i < i1; i++ {
					av := A[i*d.k+kk]
					cs, ss := C[i*d.m+j0:i*d.m+j1], S[i*d.m+j0:i*d.m+j1]
					cs, ss = cs[:len(brow)], ss[:len(brow)]
					if p == prodMaxProd {
						for x, bv := range brow {
							if t := av * bv; (t == cs[x] || t != t && cs[x] != cs[x]) && ss[x] == pending {
								ss[x] = int32(kk)
							}
						}
						continue
					}
					for x, bv := range brow {
						if t := av + bv; (t == cs[x] || t != t && cs[x] != cs[x]) && ss[x] == pending {
							ss[x] = int32(kk)
						}
					}
				}
			}
			for i := i0; i < i1; i++ {
				for j := j0; j < j1; j++ {
					if S[i*d.m+j] == pending {
						S[i*d.m+j] = noK
					}
				}
			}
		}
	})
}

// uniform returns a number in [0, 1) for draw idx of seed: SplitMix64's
// output for the state seed + (idx+1)·γ, top 53 bits. The CUDA kernel
// samplematmul_bwd_draw computes the same numbers.
func uniform(seed, idx uint64) float64 {
	z := seed + (idx+1)*0x9E3779B97F4A7C15
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	z ^= z >> 31
	return float64(z>>11) * (1.0 / (1 << 53))
}

// drawSample sets sel[b,i,j] to a k drawn from the softmax over k of
// A[b,i,k] + B[b,k,j], by inverting its cumulative sum at uniform(seed,
// (b·n + i)·m + j) times the total, both sums computed alike (two passes of
// fastexp.Acc); noK where c is −Inf or the weights are not numbers. cm is
// from logMasked. The second pass keeps the cumulative sums of the last
// drawBlock values of k, and looks for the k where an output's sum passes
// its target only at the end of each block, for the outputs that passed it
// in the block: one comparison per output and block, not per term.
func drawSample[T float](sel []int32, a, b, cm, c []T, seed uint64, d dims) {
	const pending = -3
	t := newRowTiles(d.n, d.m, tileCols(d.m, d.k, 1, sizeOf[T]()))
	parallel(t.tasks(d.batch), 2*d.terms(), func(lo, hi int) {
		tot, cum := make([]T, rowBlock*t.width), make([]T, rowBlock*t.width)
		tgt := make([]float64, rowBlock*t.width)
		hist := make([]T, drawBlock*rowBlock*t.width)
		ninf := negInf[T]()
		for task := lo; task < hi; task++ {
			bat, i0, i1, j0, j1 := t.task(task)
			w := j1 - j0
			A, B, S := a[bat*d.n*d.k:], b[bat*d.k*d.m:], sel[bat*d.n*d.m:]
			CM, C := cm[bat*d.n*d.m:], c[bat*d.n*d.m:]
			clear(tot)
			clear(cum)
			for kk := 0; kk < d.k; kk++ {
				brow := B[kk*d.m+j0 : kk*d.m+j1]
				for i := i0; i < i1; i++ {
					if av := A[i*d.k+kk]; av != ninf {
						r := (i - i0) * w
						fastexp.Acc(tot[r:r+w], brow, CM[i*d.m+j0:i*d.m+j1], av)
					}
				}
			}
			for i := i0; i < i1; i++ {
				for j := j0; j < j1; j++ {
					r := (i-i0)*w + j - j0
					S[i*d.m+j] = pending
					tv := float64(tot[r])
					if C[i*d.m+j] == ninf || !(tv > 0) || math.IsInf(tv, 1) {
						S[i*d.m+j] = noK
						continue
					}
					tgt[r] = uniform(seed, uint64((bat*d.n+i)*d.m+j)) * tv
				}
			}
			// hist[(i−i0)·drawBlock + s] holds row i's cum after k0 + s.
			for k0 := 0; k0 < d.k; k0 += drawBlock {
				k1 := min(k0+drawBlock, d.k)
				for kk := k0; kk < k1; kk++ {
					brow := B[kk*d.m+j0 : kk*d.m+j1]
					for i := i0; i < i1; i++ {
						r := (i - i0) * w
						cs := cum[r : r+w]
						if av := A[i*d.k+kk]; av != ninf {
							fastexp.Acc(cs, brow, CM[i*d.m+j0:i*d.m+j1], av)
						}
						h := ((i-i0)*drawBlock + kk - k0) * w
						copy(hist[h:h+w], cs)
					}
				}
				for i := i0; i < i1; i++ {
					r := (i - i0) * w
					cs, ss, ts := cum[r:r+w], S[i*d.m+j0:i*d.m+j1], tgt[r:r+w]
					ss, ts = ss[:len(cs)], ts[:len(cs)]
					for x, v := range cs {
						if float64(v) <= ts[x] || ss[x] != pending {
							continue
						}
						// The first k of the block whose sum passes: the
						// last one does.
						for kk := k0; kk < k1; kk++ {
							if float64(hist[((i-i0)*drawBlock+kk-k0)*w+x]) > ts[x] {
								ss[x] = int32(kk)
								break
							}
						}
					}
				}
			}
			// The target is below the total, but may round to it: the last
			// k of positive weight then.
			for i := i0; i < i1; i++ {
				for j := j0; j < j1; j++ {
					if S[i*d.m+j] != pending {
						continue
					}
					S[i*d.m+j] = noK
					for kk := d.k - 1; kk >= 0; kk-- {
						if fastexp.Exp(A[i*d.k+kk]+B[kk*d.m+j]-CM[i*d.m+j]) > 0 {
							S[i*d.m+j] = int32(kk)
							break
						}
					}
				}
			}
		}
	})
}

// drawBlock is the number of values of k after which drawSample looks for
// the outputs whose cumulative sum passed its target.
const drawBlock = 8

// routeA computes g[b,i,k] = Σ_j [sel[b,i,j] = k]·dc[b,i,j]·(B[b,k,j] for
// ProdMax, else 1): the gradient with respect to A of a product whose
// outputs each take one term. A dc of 0 adds nothing whatever the factor.
func routeA[T float](p product, g, a, b []T, sel []int32, dc []T, d dims) {
	rows := d.batch * d.n
	parallel(rows, rows*d.m, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			bat := r / d.n
			grow := g[r*d.k : (r+1)*d.k]
			clear(grow)
			B := b[bat*d.k*d.m:]
			ss, ds := sel[r*d.m:(r+1)*d.m], dc[r*d.m:(r+1)*d.m]
			for j, kk := range ss {
				if kk < 0 || int(kk) >= d.k || ds[j] == 0 {
					continue
				}
				if p == prodMaxProd {
					grow[kk] += ds[j] * B[int(kk)*d.m+j]
				} else {
					grow[kk] += ds[j]
				}
			}
		}
	})
}

// routeB computes g[b,k,j] = Σ_i [sel[b,i,j] = k]·dc[b,i,j]·(A[b,i,k] for
// ProdMax, else 1), i ascending. Each task owns a tile of columns of one
// matrix of g.
func routeB[T float](p product, g, a, b []T, sel []int32, dc []T, d dims) {
	width := min(d.m, 256)
	tiles := (d.m + width - 1) / width
	parallel(d.batch*tiles, d.batch*d.n*d.m, func(lo, hi int) {
		for x := lo; x < hi; x++ {
			bat, j0 := x/tiles, (x%tiles)*width
			j1 := min(j0+width, d.m)
			G, A := g[bat*d.k*d.m:], a[bat*d.n*d.k:]
			S, D := sel[bat*d.n*d.m:], dc[bat*d.n*d.m:]
			for kk := 0; kk < d.k; kk++ {
				clear(G[kk*d.m+j0 : kk*d.m+j1])
			}
			for i := 0; i < d.n; i++ {
				for j := j0; j < j1; j++ {
					kk, dv := S[i*d.m+j], D[i*d.m+j]
					if kk < 0 || int(kk) >= d.k || dv == 0 {
						continue
					}
					if p == prodMaxProd {
						G[int(kk)*d.m+j] += dv * A[i*d.k+int(kk)]
					} else {
						G[int(kk)*d.m+j] += dv
					}
				}
			}
		}
	})
}
