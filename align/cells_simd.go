package align

import (
	"math"
	"sync"
	"unsafe"

	"github.com/genband/genband/internal/fastexp"
)

// The Log cells run anti-diagonal by anti-diagonal, whose cells are
// independent, as passes over slices that run on vectors: the kernels
// below (logTerms, logNorm, addTo, pull), in assembly where the
// processor has the instructions (AVX-512 or AVX2, cellsISA) and in Go
// elsewhere, and the exps and logs of fastexp.
//
// Their weights are kept as planes in the grid's skewed order: for an
// item of N·M cells, nt planes of N·M (FromLeft, FromDiag, in local mode
// the start, FromAbove), the weight of term u of cell (i, j) at u·N·M +
// base[i+j] + i. An anti-diagonal's weights then lie side by side in each
// plane, where the forward writes them and the backward reads them.

// forwardLog is the Log forward, anti-diagonal by anti-diagonal within
// strips of rows (rows.height), writing each cell's weights into the
// planes w. The inner cells of an anti-diagonal (cells.inner: all three sources,
// the bulk of the grid) go in passes over it:
//
//  1. every term, from θ gathered along the anti-diagonal, less the
//     cell's largest, into a plane per term (e), and the largest (mx)
//     (logTerms);
//  2. every e^term (fastexp.Shift64 over all the planes: the largest's is
//     exactly 1);
//  3. every sum, and the weights e^term / sum (logNorm);
//  4. every log of a sum (fastexp.LogSums), and α = largest + log sum
//     (addTo).
//
// Shifting by the largest term keeps every exp in [0, 1] and every sum in
// [1, 4], whatever the spread of the terms, so no cell needs another way
// but one whose largest term is not finite (NaN, +Inf, or −Inf where no
// path reaches it): logTerms reports it, logNorm gives it a sum of 1 (in
// LogSums' domain), and logCell takes it after the passes. The few cells
// of an anti-diagonal outside inner (the first row and column, the
// starts, the edges of a gap) are done one by one by logCell.
func forwardLog[T float32 | float64](c *cells, a []float64, th []T, w []float64) {
	nt := c.terms
	rs := newRows(c, th)
	defer rs.release()
	f := logDiag{buf: getScratch((2*nt + 2) * min(c.LenY, rs.height))}
	defer putScratch(f.buf)
	for i0 := 0; i0 < c.LenX; i0 += rs.height {
		i1 := min(i0+rs.height, c.LenX) - 1
		// The gathers read the strip's rows of θ, or a copy of them.
		v := rs.strip(i0, i1)
		if rs.copied {
			for i := i0; i <= i1; i++ {
				copy(v.row(i), th[3*i*c.mm:3*(i+1)*c.mm])
			}
		}
		for t := i0; t <= i1+c.LenY-1; t++ {
			if rs.copied && t+2 < len(c.base) {
				// The runs of α and of the weights two anti-diagonals on.
				lo, hi := c.diag(t + 2)
				lo, hi = max(lo, i0), min(hi, i1)
				k, n := c.base[t+2]+lo, hi-lo+1
				prefetch(a, k, n, true)
				for u := range nt {
					prefetch(w, u*len(a)+k, n, true)
				}
			}
			forwardLogDiag(c, &f, a, th, v, w, t, i0, i1)
		}
	}
}

// rows is θ or its gradient, for the passes of an item: itself, or a
// copy of each strip's rows (copyStrips) with rows stride elements apart.
type rows[T float32 | float64] struct {
	d      []T // the item's θ or gradient
	copied bool
	buf    []T // the copy
	stride int // of the copy's rows (3·M without a copy)
	width  int // 3·M
	height int // of the strips: stripRows with a copy, else every row
}

// newRows returns the rows of d, an item's θ or gradient, for c.
func newRows[T float32 | float64](c *cells, d []T) rows[T] {
	rs := rows[T]{d: d, stride: 3 * c.mm, width: 3 * c.mm, height: max(c.LenX, 1)}
	if copyStrips[T](c) {
		rs.copied = true
		rs.stride = stripStride[T](c.mm)
		rs.height = stripRows
		rs.buf = getStrip[T](min(stripRows, c.LenX) * rs.stride)
	}
	return rs
}

// fence orders the item's stores past the caches (copyStream's, with a
// copy) before the stores that follow, such as those that hand the item's
// results to another goroutine.
func (rs *rows[T]) fence() {
	if rs.copied && cellsISA != isaGo {
		sfence()
	}
}

// release gives the copy back.
func (rs *rows[T]) release() {
	if rs.copied {
		putStrip(rs.buf)
	}
}

// strip returns the view of rows [i0, i1]: the copy's or d's own.
func (rs *rows[T]) strip(i0, i1 int) rowView[T] {
	if rs.copied {
		return rowView[T]{d: rs.buf, r0: i0, stride: rs.stride, width: rs.width}
	}
	return rowView[T]{d: rs.d, stride: rs.stride, width: rs.width}
}

// A rowView holds row i of θ or of its gradient, width = 3·M elements,
// at (i−r0)·stride of d: cell (i, j)'s elements at at(i, j).
type rowView[T float32 | float64] struct {
	d                 []T
	r0, stride, width int
}

func (v rowView[T]) at(i, j int) int { return (i-v.r0)*v.stride + 3*j }

// row returns the 3·M elements of row i.
func (v rowView[T]) row(i int) []T {
	k := (i - v.r0) * v.stride
	return v.d[k : k+v.width]
}

// copyStrips reports whether the passes of an item go through a copy of
// each strip's rows of θ (forward) and of their gradient (backward). The
// gathers and scatters of an anti-diagonal touch a cache line in each of
// the strip's rows: where the item is larger than the second-level cache,
// each would come from memory, a stream per row, too many for the
// prefetcher. A copy reads and writes the strip's rows in one stream, and
// the gathers and scatters work in the cache.
func copyStrips[T float32 | float64](c *cells) bool {
	var z T
	return 3*c.LenX*c.mm*int(unsafe.Sizeof(z)) > stripCopyBytes
}

// stripCopyBytes is the size of θ past which an item's strips are copied
// (copyStrips): about the second-level cache. Tests lower it.
var stripCopyBytes = 1 << 20

// stripStride returns the row stride of a strip copy for rows of M cells
// of T: 3·M elements, and padding where the rows would otherwise share
// the sets of the first-level cache. An anti-diagonal touches a line in
// each row of the strip, and rows whose starts are a multiple of 4 KiB
// (or half of it) apart fall in the same few sets, as many as the cache
// has ways: M = 512 in float32 is such a width.
func stripStride[T float32 | float64](mm int) int {
	var z T
	size := int(unsafe.Sizeof(z))
	const line, sets, ways = 64, 64, 8
	best, bestWorst := 3*mm, stripRows+1
	for s := 3 * mm; s < 3*mm+line; s++ {
		var count [sets]int
		worst := 0
		for r := range min(stripRows, sets) {
			set := r * s * size / line % sets
			count[set]++
			worst = max(worst, count[set])
		}
		if worst < bestWorst {
			best, bestWorst = s, worst
		}
		if worst <= ways/4 {
			break
		}
	}
	return best
}

// scratchPool holds the passes' small scratch (an anti-diagonal's planes,
// the gammas), so that a run allocates next to nothing of its own.
var scratchPool sync.Pool

// getScratch returns n float64 of scratch, whatever they hold.
func getScratch(n int) []float64 {
	if v, ok := scratchPool.Get().(*[]float64); ok && cap(*v) >= n {
		return (*v)[:n]
	}
	return make([]float64, n)
}

func putScratch(s []float64) { scratchPool.Put(&s) }

// stripPools hold the strip copies, by element size: an item's strips
// take up to stripRows rows of a stride each.
var stripPools [2]sync.Pool

func getStrip[T float32 | float64](n int) []T {
	var z T
	p := &stripPools[unsafe.Sizeof(z)/8]
	if v, ok := p.Get().(*[]T); ok && cap(*v) >= n {
		return (*v)[:n]
	}
	return make([]T, n)
}

func putStrip[T float32 | float64](s []T) {
	var z T
	stripPools[unsafe.Sizeof(z)/8].Put(&s)
}

// stripRows is the height of the strips of forwardLog and backwardLog on
// an item larger than the caches (copyStrips; a smaller item is one
// strip, whose longer anti-diagonals pay less for each pass). An
// anti-diagonal of a strip reads (forward) or writes (backward) a cell in
// each of its rows of θ or of its gradient, and the next anti-diagonal the
// neighbouring cell: the strip's rows stay in the first-level cache, where
// anti-diagonals across the whole grid would touch a new line a cell. The
// strip's anti-diagonals are still long enough for vectors.
const stripRows = 64

// logDiag is forwardLog's scratch for the inner cells of an anti-diagonal,
// carved per anti-diagonal from buf: θ in a plane per move (3 or, in local
// mode, the start's shared with FromDiag), the terms then their exps (nt
// planes side by side, so that one Shift64 takes them all), the largest
// term of each cell, and the sums then their logs.
type logDiag struct {
	buf []float64
}

// forwardLogDiag is forwardLog's work on the cells of anti-diagonal t in
// rows [i0, i1], which read θ in v.
func forwardLogDiag[T float32 | float64](c *cells, f *logDiag, a []float64, th []T, v rowView[T], w []float64, t, i0, i1 int) {
	nt, per := c.terms, len(a)
	lo, hi := c.diag(t)
	lo, hi = max(lo, i0), min(hi, i1)
	if lo > hi {
		return
	}
	flo, fhi := c.innerRun(t, lo, hi)
	for i := lo; i <= hi; i++ {
		if i == flo {
			i = fhi
			continue
		}
		logCellPlanes(c, a, th, w, i, t)
	}
	n := fhi - flo + 1
	if n <= 0 {
		return
	}
	b := f.buf
	tp := b[:3*n]
	e := b[3*n : (3+nt)*n]
	mx, sums := b[(3+nt)*n:(4+nt)*n], b[(4+nt)*n:(5+nt)*n]
	k0, k1, k2 := c.base[t]+flo, c.base[t-1]+flo, c.base[t-2]+flo-1
	left, above, dg := a[k1:k1+n], a[k1-1:k1-1+n], a[k2:k2+n]
	bad := logTerms(nt, left, above, dg, v.d, v.at(flo, t-flo), v.stride-3, tp, e, mx)
	fastexp.Shift64(e, 0)
	logNorm(nt, e, w[k0:], per, sums)
	fastexp.LogSums(sums)
	out := a[k0 : k0+n]
	addTo(out, mx, sums)
	if bad {
		for q, m := range mx {
			if m-m != 0 {
				logCellPlanes(c, a, th, w, flo+q, t)
			}
		}
	}
}

// logCellPlanes sets α of the Log cell (i, t−i) and its weights in the
// planes w by logCell.
func logCellPlanes[T float32 | float64](c *cells, a []float64, th []T, w []float64, i, t int) {
	var wk [4]float64
	k, per := c.base[t]+i, len(a)
	a[k] = logCell(c, a, th, wk[:c.terms], i, t)
	for u := range c.terms {
		w[u*per+k] = wk[u]
	}
}

// gatherTheta copies the potentials of consecutive cells of an
// anti-diagonal, the first at th[k:k+3] and the next step further each,
// into a plane per move.
func gatherTheta[T float32 | float64](th []T, k, step int, tl, td, ta []float64) {
	td, ta = td[:len(tl)], ta[:len(tl)]
	for q := range tl {
		p := th[k : k+3 : k+3]
		tl[q], td[q], ta[q] = float64(p[FromLeft]), float64(p[FromDiag]), float64(p[FromAbove])
		k += step
	}
}

// The kernels of the passes over an anti-diagonal: in the instruction
// set cellsISA, AVX-512 (cells_simd_amd64.s), AVX2 and FMA
// (cells_simd_avx2_amd64.s) or Go (the *Go functions); all give the same
// bits. The wrappers check that the slices hold every element the
// kernels read and write, which index without checks.

// The instruction sets of the kernels, best last.
const (
	isaGo = iota
	isaAVX2
	isaAVX512
)

// logTerms sets, for the n = len(mx) inner cells of an anti-diagonal
// with the α of their sources left (FromLeft), above (FromAbove) and dg
// (FromDiag) and their potentials at th[k+q·step:][:3], the largest of
// their nt terms (the start, θ[FromDiag] itself, third in local mode) in
// mx[q] and each term less it in plane u of e (nt planes of n side by
// side). Where the terms' sum is not finite (a term is NaN or infinite)
// mx[q] is NaN, and logTerms reports whether there is one. tp is scratch
// of 3n (the Go version gathers θ into it).
func logTerms[T float32 | float64](nt int, left, above, dg []float64, th []T, k, step int, tp, e, mx []float64) bool {
	n := len(mx)
	if n == 0 {
		return false
	}
	_, _, _, _, _ = left[n-1], above[n-1], dg[n-1], e[nt*n-1], th[k+(n-1)*step+2]
	switch th := any(th).(type) {
	case []float64:
		switch cellsISA {
		case isaAVX512:
			return logTermsF64AVX512(nt, n, &left[0], &above[0], &dg[0], &th[k], step, &e[0], &mx[0])
		case isaAVX2:
			return logTermsF64AVX2(nt, n, &left[0], &above[0], &dg[0], &th[k], step, &e[0], &mx[0])
		}
	case []float32:
		switch cellsISA {
		case isaAVX512:
			return logTermsF32AVX512(nt, n, &left[0], &above[0], &dg[0], &th[k], step, &e[0], &mx[0])
		case isaAVX2:
			return logTermsF32AVX2(nt, n, &left[0], &above[0], &dg[0], &th[k], step, &e[0], &mx[0])
		}
	}
	tl, td, ta := tp[:n], tp[n:2*n], tp[2*n:3*n]
	gatherTheta(th, k, step, tl, td, ta)
	return logTermsGo(nt, left, above, dg, tl, td, ta, e, mx)
}

// logNorm sets, from the exps e (logTerms' planes, after Shift64), each
// cell's sum in sums[q] (1 where it is NaN or below 1, which only a cell
// logTerms marked has) and its weights e/sum in w[u·per+q].
func logNorm(nt int, e, w []float64, per int, sums []float64) {
	n := len(sums)
	if n == 0 {
		return
	}
	_, _ = e[nt*n-1], w[(nt-1)*per+n-1]
	switch cellsISA {
	case isaAVX512:
		logNormAVX512(nt, n, &e[0], &w[0], per, &sums[0])
	case isaAVX2:
		logNormAVX2(nt, n, &e[0], &w[0], per, &sums[0])
	default:
		logNormGo(nt, e, w, per, sums)
	}
}

// prefetch asks for x[k:k+n] in the caches, to be written or read
// (with the vector kernels only; elsewhere it does nothing), with k and n
// clamped to x. On an item past the caches each anti-diagonal's runs of α, dα and
// the weights lie a few KiB from the last one's, a pattern the hardware
// prefetcher does not follow: the passes ask for the runs of an
// anti-diagonal two ahead.
func prefetch(x []float64, k, n int, write bool) {
	k, e := max(k, 0), min(k+n, len(x))
	if cellsISA == isaGo || k >= e {
		return
	}
	prefetchAMD64((*byte)(unsafe.Pointer(&x[k])), (e-k)*8, write)
}

// copyStream copies src into dst, past the caches where it can (AVX2):
// a strip's gradient goes to memory that is not read again. The caller
// fences (rows.fence).
func copyStream[T float32 | float64](dst, src []T) {
	var z T
	size := int(unsafe.Sizeof(z))
	n := min(len(dst), len(src))
	if cellsISA == isaGo || n*size < 256 {
		copy(dst, src)
		return
	}
	// Elements are aligned to their size, which divides 64.
	h := min(n, int((64-uintptr(unsafe.Pointer(&dst[0]))%64)%64)/size)
	copy(dst[:h], src[:h])
	nb := (n - h) * size / 64 * 64 / size
	if nb > 0 {
		d, s := (*byte)(unsafe.Pointer(&dst[h])), (*byte)(unsafe.Pointer(&src[h]))
		if cellsISA == isaAVX512 {
			copyNTAVX512(d, s, nb*size)
		} else {
			copyNTAVX2(d, s, nb*size)
		}
	}
	copy(dst[h+nb:n], src[h+nb:n])
}

// addTo sets dst[q] = x[q] + y[q].
func addTo(dst, x, y []float64) {
	n := len(dst)
	if n == 0 {
		return
	}
	_, _ = x[n-1], y[n-1]
	switch cellsISA {
	case isaAVX512:
		addToAVX512(n, &dst[0], &x[0], &y[0])
	case isaAVX2:
		addToAVX2(n, &dst[0], &x[0], &y[0])
	default:
		addToGo(dst, x, y)
	}
}

// pull sets each γ of the n = len(g) cells of an anti-diagonal from
// their gradient da and their successors' γ and weights, FromDiag (gd,
// wd), FromAbove (ga, wa) and FromLeft (gl, wl): g[q] = da[q] +
// gd[q]·wd[q] + ga[q]·wa[q] + gl[q]·wl[q], in that order, each term added
// with one rounding and left out where its γ is 0 and the product NaN (a
// weight that is not finite). It reports whether every g[q] is finite. (A
// γ of 0 is common, where exps underflow, and comes at random: the test is
// on the product, which is rarely NaN.)
func pull(g, da, gd, wd, ga, wa, gl, wl []float64) bool {
	n := len(g)
	if n == 0 {
		return true
	}
	_, _, _, _, _, _, _ = da[n-1], gd[n-1], wd[n-1], ga[n-1], wa[n-1], gl[n-1], wl[n-1]
	switch cellsISA {
	case isaAVX512:
		return pullAVX512(n, &g[0], &da[0], &gd[0], &wd[0], &ga[0], &wa[0], &gl[0], &wl[0])
	case isaAVX2:
		return pullAVX2(n, &g[0], &da[0], &gd[0], &wd[0], &ga[0], &wa[0], &gl[0], &wl[0])
	}
	return pullGo(g, da, gd, wd, ga, wa, gl, wl)
}

// scatterMu writes the gradients of the potentials of the n = len(g)
// consecutive cells of an anti-diagonal, of gradients g, the first at
// dth[k:k+3] and the next step further each: g times each term's weight
// (planes from the first cell's place; ws, the start's, from its place s0,
// nil but in local mode), 0 where g is 0 and the product NaN.
func scatterMu[T float32 | float64](dth []T, k, step int, g, wl, wd, ws []float64, s0 int, wa []float64) {
	n := len(g)
	if n == 0 {
		return
	}
	_, _, _, _ = wl[n-1], wd[n-1], wa[n-1], dth[k+(n-1)*step+2]
	if cellsISA != isaGo {
		var wsp *float64
		if ws != nil {
			wsp = &ws[s0 : s0+n][0]
		}
		avx512 := cellsISA == isaAVX512
		switch dth := any(dth).(type) {
		case []float64:
			if avx512 {
				muF64AVX512(n, &g[0], &wl[0], &wd[0], wsp, &wa[0], &dth[k], step)
			} else {
				muF64AVX2(n, &g[0], &wl[0], &wd[0], wsp, &wa[0], &dth[k], step)
			}
			return
		case []float32:
			if avx512 {
				muF32AVX512(n, &g[0], &wl[0], &wd[0], wsp, &wa[0], &dth[k], step)
			} else {
				muF32AVX2(n, &g[0], &wl[0], &wd[0], wsp, &wa[0], &dth[k], step)
			}
			return
		}
	}
	scatterMuGo(dth, k, step, g, wl, wd, ws, s0, wa)
}

// logTermsGo is logTerms in Go, from θ gathered into planes.
func logTermsGo(nt int, left, above, dg, tl, td, ta, e, mx []float64) (bad bool) {
	n := len(mx)
	left, above, dg, tl, td, ta = left[:n], above[:n], dg[:n], tl[:n], td[:n], ta[:n]
	if nt == 3 {
		el, ed, ea := e[:n], e[n:2*n], e[2*n:3*n]
		for q := range n {
			l, d, u := left[q]+tl[q], dg[q]+td[q], above[q]+ta[q]
			m := max(l, d, u)
			if z := l + d + u; z-z != 0 {
				m, bad = math.NaN(), true
			}
			mx[q], el[q], ed[q], ea[q] = m, l-m, d-m, u-m
		}
		return bad
	}
	el, ed, es, ea := e[:n], e[n:2*n], e[2*n:3*n], e[3*n:4*n]
	for q := range n {
		s := td[q]
		l, d, u := left[q]+tl[q], dg[q]+s, above[q]+ta[q]
		m := max(l, d, s, u)
		if z := l + d + s + u; z-z != 0 {
			m, bad = math.NaN(), true
		}
		mx[q], el[q], ed[q], es[q], ea[q] = m, l-m, d-m, s-m, u-m
	}
	return bad
}

// logNormGo is logNorm in Go.
func logNormGo(nt int, e, w []float64, per int, sums []float64) {
	n := len(sums)
	if nt == 3 {
		el, ed, ea := e[:n], e[n:2*n], e[2*n:3*n]
		wl, wd, wa := w[:n], w[per:per+n], w[2*per:2*per+n]
		for q := range n {
			s := el[q] + ed[q] + ea[q]
			if !(s >= 1) {
				s = 1
			}
			inv := 1 / s
			wl[q], wd[q], wa[q] = el[q]*inv, ed[q]*inv, ea[q]*inv
			sums[q] = s
		}
		return
	}
	el, ed, es, ea := e[:n], e[n:2*n], e[2*n:3*n], e[3*n:4*n]
	wl, wd, ws, wa := w[:n], w[per:per+n], w[2*per:2*per+n], w[3*per:3*per+n]
	for q := range n {
		s := el[q] + ed[q] + es[q] + ea[q]
		if !(s >= 1) {
			s = 1
		}
		inv := 1 / s
		wl[q], wd[q], ws[q], wa[q] = el[q]*inv, ed[q]*inv, es[q]*inv, ea[q]*inv
		sums[q] = s
	}
}

// addToGo is addTo in Go.
func addToGo(dst, x, y []float64) {
	x, y = x[:len(dst)], y[:len(dst)]
	for q := range dst {
		dst[q] = x[q] + y[q]
	}
}

// pullGo is pull in Go.
func pullGo(g, da, gd, wd, ga, wa, gl, wl []float64) (fin bool) {
	n := len(g)
	da, gd, wd, ga, wa, gl, wl = da[:n], gd[:n], wd[:n], ga[:n], wa[:n], gl[:n], wl[:n]
	var z float64
	for q := range g {
		x := da[q]
		x = pullTerm(x, gd[q], wd[q])
		x = pullTerm(x, ga[q], wa[q])
		x = pullTerm(x, gl[q], wl[q])
		g[q] = x
		z += x - x
	}
	return z == 0
}

// pullTerm returns x + g·w (one rounding), or x where g is 0 and w is
// not finite.
func pullTerm(x, g, w float64) float64 {
	y := math.FMA(g, w, x)
	if y != y && g == 0 {
		y = x
	}
	return y
}

// backwardLog is cellsBackward for one Log item, from the weights planes
// w: the cells in reverse, by strips (rows.height) from the last and
// anti-diagonals from the last within each, each cell's gradient γ pulled
// from its successors, which are complete before it,
//
//	γ(i, j) = dα(i, j) + γ(i+1, j+1)·w_FromDiag(i+1, j+1)
//	        + γ(i+1, j)·w_FromAbove(i+1, j) + γ(i, j+1)·w_FromLeft(i, j+1),
//
// over the successors in the lattice, in that order: a pass over the cells
// that have all three (pull), the others one by one. Then the gradient of
// each of its potentials, γ times the term's weight (FromDiag's with the
// start's), goes into dth (scatterMu), which backwardLog writes whole (0
// outside the lattice). γ lives only as long as the pulls need it
// (gammas). A successor whose γ is 0 adds nothing, whatever its weight;
// so does a cell no path reaches (α = −Inf, weights 0), even where its γ
// is not finite, and such a γ also sets to 0 the gradient of the
// potentials the lattice does not use (unusedZero): from the first
// anti-diagonal with a γ that is not finite on, the cells are taken one by
// one (backwardLogCell), which keeps these rules.
func backwardLog[T float32 | float64](c *cells, dth []T, a, da, w []float64) {
	per, nt, mm := len(a), c.terms, c.mm
	wl, wd, wa := w[:per], w[per:2*per], w[(nt-1)*per:nt*per]
	var ws []float64
	if nt == 4 {
		ws = w[2*per : 3*per]
	}
	clear(dth[3*c.LenX*mm:])
	rs := newRows(c, dth)
	defer rs.release()
	gbuf := getScratch(gammasLen(c, rs.height))
	defer putScratch(gbuf)
	gs := newGammas(c, rs.height, gbuf)
	careful := false
	last := (c.LenX - 1) / rs.height * rs.height
	for i0 := last; i0 >= 0; i0 -= rs.height {
		i1 := min(i0+rs.height, c.LenX) - 1
		// The scatters write the strip's rows of dth, or a copy of them;
		// the cells outside the lattice are 0.
		v := rs.strip(i0, i1)
		for i := i0; i <= i1; i++ {
			row := v.row(i)
			if jlo, jhi := c.Cols(i); jlo > jhi {
				clear(row)
			} else {
				clear(row[:3*jlo])
				clear(row[3*(jhi+1):])
			}
		}
		tmax := i1 + c.LenY - 1
		gs.start(i0, i1, tmax)
		for t := tmax; t >= i0; t-- {
			if rs.copied && t-2 >= 0 {
				lo, hi := c.diag(t - 2)
				lo, hi = max(lo, i0), min(hi, i1)
				k, n := c.base[t-2]+lo, hi-lo+1
				prefetch(da, k, n, false)
				for u := range nt {
					prefetch(w, u*per+k, n, false)
				}
			}
			g := gs.begin(t)
			lo, hi := c.diag(t)
			lo, hi = max(lo, i0), min(hi, i1)
			if lo > hi {
				continue
			}
			if careful {
				for i := lo; i <= hi; i++ {
					backwardLogCell(c, v, a, da, &gs, wl, wd, ws, wa, i, t)
				}
				gs.done(t, lo)
				continue
			}
			s, e := c.pullRows(t, lo, hi)
			fin := true
			for i := lo; i <= hi; i++ {
				if i == s {
					i = e
					continue
				}
				x := pullCell(c, da, &gs, wl, wd, wa, i, t)
				fin = fin && x-x == 0
			}
			k0 := c.base[t]
			if s <= e {
				k1, k2 := c.base[t+1], c.base[t+2]+1
				g1, g2 := gs.row(t+1), gs.row(t+2)
				fin = pull(g[s-i0:e+1-i0], da[k0+s:], g2[s+1-i0:], wd[k2+s:], g1[s+1-i0:], wa[k1+1+s:],
					g1[s-i0:], wl[k1+s:]) && fin
			}
			gs.done(t, lo)
			if !fin {
				careful = true
				for i := lo; i <= hi; i++ {
					muCell(c, v, a, g[i-i0], wl, wd, ws, wa, i, t)
				}
				continue
			}
			scatterMu(v.d, v.at(lo, t-lo), v.stride-3, g[lo-i0:hi+1-i0], wl[k0+lo:], wd[k0+lo:], ws, k0+lo, wa[k0+lo:])
		}
		gs.next()
		if rs.copied {
			for i := i0; i <= i1; i++ {
				copyStream(dth[3*i*mm:3*(i+1)*mm], v.row(i))
			}
		}
	}
	rs.fence()
}

// gammas holds γ for backwardLog while the pulls need it: by row less i0,
// the anti-diagonals t, t+1 and t+2 of the strip [i0, i1] (r[t%3]), with
// one more place, i1+1−i0, for the row below the strip; and by
// anti-diagonal, below[t], γ of the cell of anti-diagonal t in the row
// below the strip (from the strip below), and up[t], in the strip's first
// row (for the strip above).
type gammas struct {
	r         [3][]float64
	below, up []float64
	i0, slot  int
}

// gammasLen is the scratch newGammas takes for c and the strip height.
func gammasLen(c *cells, height int) int {
	return 3*(min(height, c.LenX)+1) + 2*(c.LenX+c.LenY+1)
}

// newGammas returns the gammas of c and the strip height over buf, of
// gammasLen elements (whatever they hold: the places are written before
// they are read).
func newGammas(c *cells, height int, buf []float64) gammas {
	n, nd := min(height, c.LenX)+1, c.LenX+c.LenY+1
	return gammas{
		r:     [3][]float64{buf[:n], buf[n : 2*n], buf[2*n : 3*n]},
		below: buf[3*n : 3*n+nd],
		up:    buf[3*n+nd:],
	}
}

// start begins the strip [i0, i1], whose last anti-diagonal is tmax: the
// two after it hold, of its rows, only the row below the strip.
func (gs *gammas) start(i0, i1, tmax int) {
	gs.i0, gs.slot = i0, i1+1-i0
	clear(gs.up)
	for t := tmax + 1; t <= tmax+2; t++ {
		gs.r[t%3][gs.slot] = gs.below[t]
	}
}

// begin starts anti-diagonal t, whose place holds t+3 until then: it
// sets its row below the strip and returns its γ by row less i0.
func (gs *gammas) begin(t int) []float64 {
	g := gs.r[t%3]
	g[gs.slot] = gs.below[t]
	return g
}

// row returns anti-diagonal t's γ by row less i0, t begun.
func (gs *gammas) row(t int) []float64 { return gs.r[t%3] }

// done records γ of anti-diagonal t's cell in the strip's first row when
// lo, the first row computed, is that row.
func (gs *gammas) done(t, lo int) {
	if lo == gs.i0 {
		gs.up[t] = gs.r[t%3][0]
	}
}

// next hands the strip's first row to the strip above.
func (gs *gammas) next() { gs.below, gs.up = gs.up, gs.below }

// at returns γ of cell (i, t−i), i ≤ i1+1.
func (gs *gammas) at(t, i int) float64 { return gs.r[t%3][i-gs.i0] }

// scatterMuGo is scatterMu in Go.
func scatterMuGo[T float32 | float64](dth []T, k, step int, g, wl, wd, ws []float64, s0 int, wa []float64) {
	n := len(g)
	wl, wd, wa = wl[:n], wd[:n], wa[:n]
	var wsn []float64
	if ws != nil {
		wsn = ws[s0 : s0+n]
	}
	for q, x := range g {
		p := dth[k : k+3 : k+3]
		k += step
		dd := wd[q]
		if wsn != nil {
			dd += wsn[q]
		}
		ml, md, ma := x*wl[q], x*dd, x*wa[q]
		// As in pull, the rare NaN is tested rather than the common 0.
		if (ml != ml || md != md || ma != ma) && x == 0 {
			ml, md, ma = 0, 0, 0
		}
		p[FromLeft], p[FromDiag], p[FromAbove] = T(ml), T(md), T(ma)
	}
}

// pullCell sets and returns γ of cell (i, t−i) from its gradient da and
// its successors in the lattice, as pull does for the cells that have all
// three, and as backwardLogCell does where every γ is finite.
func pullCell(c *cells, da []float64, gs *gammas, wl, wd, wa []float64, i, t int) float64 {
	g := da[c.base[t]+i]
	if l, h := c.diag(t + 2); i+1 >= l && i+1 <= h {
		g = pullTerm(g, gs.at(t+2, i+1), wd[c.base[t+2]+i+1])
	}
	if l, h := c.diag(t + 1); l <= h {
		if i+1 >= l && i+1 <= h {
			g = pullTerm(g, gs.at(t+1, i+1), wa[c.base[t+1]+i+1])
		}
		if i >= l && i <= h {
			g = pullTerm(g, gs.at(t+1, i), wl[c.base[t+1]+i])
		}
	}
	gs.r[t%3][i-gs.i0] = g
	return g
}

// backwardLogCell is backwardLog's γ and potentials' gradient of cell (i,
// t−i) one by one, with every rule of the special values, writing the
// gradient of its potentials in v.
func backwardLogCell[T float32 | float64](c *cells, v rowView[T], a, da []float64, gs *gammas, wl, wd, ws, wa []float64, i, t int) {
	g := da[c.base[t]+i]
	pull := func(t2, i2 int, w []float64) {
		if l, h := c.diag(t2); i2 < l || i2 > h {
			return
		}
		s := c.base[t2] + i2
		x := gs.at(t2, i2)
		if x == 0 || (x-x != 0 && math.IsInf(a[s], -1)) {
			return
		}
		g = math.FMA(x, w[s], g)
	}
	pull(t+2, i+1, wd)
	pull(t+1, i+1, wa)
	pull(t+1, i, wl)
	gs.r[t%3][i-gs.i0] = g
	muCell(c, v, a, g, wl, wd, ws, wa, i, t)
}

// muCell writes the gradient of the potentials of cell (i, t−i), of γ g,
// in v, with the rules of the special values: 0 where γ is 0 or, if it is
// not finite, where no path reaches the cell; else γ times the weights,
// less those of the potentials the lattice does not use if γ is not
// finite.
func muCell[T float32 | float64](c *cells, v rowView[T], a []float64, g float64, wl, wd, ws, wa []float64, i, t int) {
	k, j := c.base[t]+i, t-i
	p := v.d[v.at(i, j) : v.at(i, j)+3]
	if g == 0 || (g-g != 0 && math.IsInf(a[k], -1)) {
		p[FromLeft], p[FromDiag], p[FromAbove] = 0, 0, 0
		return
	}
	dd := wd[k]
	if ws != nil {
		dd += ws[k]
	}
	p[FromLeft], p[FromDiag], p[FromAbove] = T(g*wl[k]), T(g*dd), T(g*wa[k])
	if g-g != 0 {
		jlo, _ := c.Cols(i)
		unusedZero(c, p, i, j, jlo)
	}
}
