package align

import "github.com/genband/genband/internal/fastexp"

// forwardLog is the Log forward, anti-diagonal by anti-diagonal within
// strips of stripRows rows, writing each cell's weights into w at the
// cell's place in θ's order. The cells of an anti-diagonal are
// independent, so the inner ones (cells.inner: all three sources, the
// bulk of the grid) go in passes over the anti-diagonal, each a loop
// without branches on the data or a slice function of fastexp that runs
// on vectors:
//
//  1. every term, less the cell's largest, into a plane per term (e), and
//     the largest (mx);
//  2. every e^term (fastexp.Shift64 over all the planes: the largest's is
//     exactly 1);
//  3. every sum, its weights e^term / sum, and the sum (sums);
//  4. every log of a sum (fastexp.LogSums);
//  5. every α, largest + log sum.
//
// Shifting by the largest term keeps every exp in [0, 1] and every sum in
// [1, 4], whatever the spread of the terms, so no cell needs another way,
// but one whose largest term is not finite (NaN, +Inf, or −Inf where no
// path reaches it): its sum is NaN, and logCell takes it after the
// passes. The few cells of an anti-diagonal outside inner (the first row
// and column, the starts, the edges of a gap) are done one by one by
// logCell.
func forwardLog[T float32 | float64](c *cells, a []float64, th []T, w []float64) {
	nt := c.terms
	diag := min(c.lenX, c.lenY, stripRows)
	buf := make([]float64, (nt+2)*diag)
	var f logDiag
	f.e, f.mx, f.sums = buf[:nt*diag], buf[nt*diag:(nt+1)*diag], buf[(nt+1)*diag:]
	// Strips of stripRows rows, each anti-diagonal by anti-diagonal: a
	// strip's row below the last is complete before it starts.
	for i0 := 0; i0 < c.lenX; i0 += stripRows {
		i1 := min(i0+stripRows, c.lenX) - 1
		for t := i0; t <= i1+c.lenY-1; t++ {
			forwardLogDiag(c, &f, a, th, w, t, i0, i1)
		}
	}
}

// stripRows is the height of forwardLog's strips. An anti-diagonal of a
// strip reads and writes a cell in each of its rows of θ and w, and the
// next anti-diagonal the neighbouring cell: a strip's rows stay in the
// first-level cache, and the prefetcher follows each as a stream, where
// anti-diagonals across the whole grid would touch a new line of θ and of
// w per cell. The strip's anti-diagonals are still long enough for the
// passes of forwardLog to run on vectors.
const stripRows = 64

// logDiag is forwardLog's scratch for the inner cells of an anti-diagonal:
// the planes of the terms (e: nt planes of the anti-diagonal's length,
// side by side, so that one Shift64 takes them all), the largest term of
// each cell (mx) and the sums then their logs (sums).
type logDiag struct {
	e, mx, sums []float64
}

// forwardLogDiag is forwardLog's work on the cells of anti-diagonal t in
// rows [i0, i1].
func forwardLogDiag[T float32 | float64](c *cells, f *logDiag, a []float64, th []T, w []float64, t, i0, i1 int) {
	nt := c.terms
	lo, hi := c.diag(t)
	lo, hi = max(lo, i0), min(hi, i1)
	if lo > hi {
		return
	}
	flo, fhi := c.inner(t)
	flo, fhi = max(flo, lo), min(fhi, hi)
	if flo > fhi {
		flo, fhi = hi+1, hi
	}
	for i := lo; i <= hi; i++ {
		if i == flo {
			i = fhi
			continue
		}
		cell := i*c.mm + t - i
		a[c.base[t]+i] = logCell(c, a, th, w[cell*nt:(cell+1)*nt], i, t)
	}
	n := fhi - flo + 1
	if n <= 0 {
		return
	}
	e, mx, sums := f.e[:nt*n], f.mx[:n], f.sums[:n]
	if nt == 3 {
		logTerms3(c, a, th, e, mx, t, flo)
	} else {
		logTerms4(c, a, th, e, mx, t, flo)
	}
	fastexp.Shift64(e, 0)
	var bad bool
	if nt == 3 {
		bad = logWeights3(c, w, e, sums, t, flo)
	} else {
		bad = logWeights4(c, w, e, sums, t, flo)
	}
	fastexp.LogSums(sums)
	out := a[c.base[t]+flo : c.base[t]+flo+n]
	for q, m := range mx {
		out[q] = m + sums[q]
	}
	if bad {
		for q, m := range mx {
			if m-m != 0 {
				i := flo + q
				cell := i*c.mm + t - i
				out[q] = logCell(c, a, th, w[cell*nt:(cell+1)*nt], i, t)
			}
		}
	}
}

// logTerms3 is forwardLogDiag's first pass over the inner cells from row
// flo of anti-diagonal t, three terms a cell: FromLeft, FromDiag and
// FromAbove less their largest, into the planes of e, and the largest
// into mx.
func logTerms3[T float32 | float64](c *cells, a []float64, th []T, e, mx []float64, t, flo int) {
	n := len(mx)
	el, ed, ea := e[:n], e[n:2*n], e[2*n:3*n]
	mm := c.mm
	// The cells' sources on anti-diagonals t−1 (left: row i, above: row
	// i−1) and t−2 (row i−1), from row flo on.
	left := a[c.base[t-1]+flo : c.base[t-1]+flo+n]
	above := a[c.base[t-1]+flo-1 : c.base[t-1]+flo-1+n]
	dg := a[c.base[t-2]+flo-1 : c.base[t-2]+flo-1+n]
	// Cell (i, t−i)'s potentials, stepping a row down and a column left.
	k := 3 * (flo*mm + t - flo)
	for q := range n {
		p := th[k : k+3 : k+3]
		l := left[q] + float64(p[FromLeft])
		d := dg[q] + float64(p[FromDiag])
		u := above[q] + float64(p[FromAbove])
		m := max(l, d, u)
		mx[q], el[q], ed[q], ea[q] = m, l-m, d-m, u-m
		k += 3 * (mm - 1)
	}
}

// logTerms4 is logTerms3 in local mode: the start, θ[i, j, FromDiag]
// itself, is a fourth term, between FromDiag and FromAbove.
func logTerms4[T float32 | float64](c *cells, a []float64, th []T, e, mx []float64, t, flo int) {
	n := len(mx)
	el, ed, es, ea := e[:n], e[n:2*n], e[2*n:3*n], e[3*n:4*n]
	mm := c.mm
	left := a[c.base[t-1]+flo : c.base[t-1]+flo+n]
	above := a[c.base[t-1]+flo-1 : c.base[t-1]+flo-1+n]
	dg := a[c.base[t-2]+flo-1 : c.base[t-2]+flo-1+n]
	k := 3 * (flo*mm + t - flo)
	for q := range n {
		p := th[k : k+3 : k+3]
		s := float64(p[FromDiag])
		l := left[q] + float64(p[FromLeft])
		d := dg[q] + s
		u := above[q] + float64(p[FromAbove])
		m := max(l, d, s, u)
		mx[q], el[q], ed[q], es[q], ea[q] = m, l-m, d-m, s-m, u-m
		k += 3 * (mm - 1)
	}
}

// logWeights3 is forwardLogDiag's third pass over three terms a cell: from
// the exps e, each cell's sum into sums and its weights into w. A sum that
// is NaN (the largest term was not finite) is set to 1, for LogSums, and
// reported: logCell does that cell again.
func logWeights3(c *cells, w, e, sums []float64, t, flo int) (bad bool) {
	n := len(sums)
	el, ed, ea := e[:n], e[n:2*n], e[2*n:3*n]
	k := 3 * (flo*c.mm + t - flo)
	for q := range n {
		s := el[q] + ed[q] + ea[q]
		if !(s >= 1) {
			s, bad = 1, true
		}
		inv := 1 / s
		wk := w[k : k+3 : k+3]
		wk[termLeft], wk[termDiag], wk[2] = el[q]*inv, ed[q]*inv, ea[q]*inv
		sums[q] = s
		k += 3 * (c.mm - 1)
	}
	return bad
}

// logWeights4 is logWeights3 for four terms a cell (local mode).
func logWeights4(c *cells, w, e, sums []float64, t, flo int) (bad bool) {
	n := len(sums)
	el, ed, es, ea := e[:n], e[n:2*n], e[2*n:3*n], e[3*n:4*n]
	k := 4 * (flo*c.mm + t - flo)
	for q := range n {
		s := el[q] + ed[q] + es[q] + ea[q]
		if !(s >= 1) {
			s, bad = 1, true
		}
		inv := 1 / s
		wk := w[k : k+4 : k+4]
		wk[termLeft], wk[termDiag], wk[termStart], wk[3] = el[q]*inv, ed[q]*inv, es[q]*inv, ea[q]*inv
		sums[q] = s
		k += 4 * (c.mm - 1)
	}
	return bad
}
