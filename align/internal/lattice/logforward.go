package lattice

import (
	"math"

	"github.com/genband/genband/internal/fastexp"
)

// LogWork is the scratch of LogForward, kept from call to call so that a
// batch's items share it; its zero value is ready. One LogWork serves one
// goroutine at a time.
type LogWork struct {
	diag  []float64 // three anti-diagonals a state, each LenX long, by row
	x     []float64 // the options' terms of one state along an anti-diagonal, option-major; then their weights
	m     []float64 // the largest term of each cell
	sum   []float64 // the sum of each cell's weights, then its log
	tot   []float64 // the sum of each cell's weights
	th    []float64 // the potentials of one anti-diagonal, channel-major
	ends  []float64 // the end states' values
	clean any       // *[]T, Clean's copy of θ where it needs one
}

// CumWidth is the number of cumulative probabilities LogForward keeps for
// each state of each cell: MaxOptions − 1 (the last option's is implicit).
func (t *Topology) CumWidth() int { return t.maxOpts - 1 }

// CumIndex returns where the sampling table of state s of cell (i, j)
// starts in LogForward's cum: cell-major (row-major cells), then state,
// so that one cell's tables share a cache line or two. With one state it
// is l.Index(0, i, j)·CumWidth().
func (l *Lattice) CumIndex(s, i, j int) int {
	return ((i*l.LenY+j)*l.Top.States + s) * l.Top.CumWidth()
}

// LogForward is Forward in the Log semiring, walked anti-diagonal by
// anti-diagonal so that the exps and logs of a state's whole anti-diagonal
// run in the vector loops of fastexp (ExpSlice64 and LogSlice64, or LSE3
// for a state of three options or fewer when no tables are asked for),
// each anti-diagonal's θ read once, a cell's channels together. It sets
// a[l.Index(s, i, j)] (a has l.Size() elements) to Forward's value within
// a few ulps, with Forward's IEEE rules: a state is NaN when one of its
// open options is, +Inf when one is +Inf and none NaN, −Inf when every
// option is −Inf or none is open; a potential no open option reads is not
// read. It returns Total(l, bandop.Log, a), log Z, within a few ulps. a
// may be nil when only log Z and the tables are wanted.
//
// With cum not nil (l.Size()·Top.CumWidth() elements), it also keeps what
// sampling needs: for state s of a valid cell (i, j), with e[o] the weight
// of option o (exp of its term less the state's value) and
// c = cum[l.CumIndex(s, i, j):][:CumWidth()], c[o] is the
// probability that a prefix ending in s of (i, j) was last extended by an
// option ≤ o, (e[0] + … + e[o]) / (e[0] + … + e[k−1]) summed in option
// order, except that it is 2 where that partial sum is already the whole
// (every later option's weight is 0, or too small to change the sum), so
// that for a uniform u in [0, 1) the number of entries ≤ u is an option of
// positive weight, drawn with its probability. A state whose value is not
// finite gets 2 everywhere. Entries of cells outside the band are not
// written.
//
// Every move of the topology must leave its cell (DI + DJ ≥ 1), as every
// move of Linear and Affine does. w may be nil (LogForward then allocates).
func LogForward[T Float](w *LogWork, l *Lattice, th Theta[T], a, cum []float64) float64 {
	if w == nil {
		w = new(LogWork)
	}
	buf, _ := w.clean.(*[]T)
	if buf == nil {
		buf = new([]T)
		w.clean = buf
	}
	th = Clean(l, false, th, buf)
	top := l.Top
	ns, nx := top.States, l.LenX
	width := top.CumWidth()
	ninf := math.Inf(-1)
	if a != nil {
		a = a[:l.Size()]
		for k := range a {
			a[k] = ninf
		}
	}
	w.diag = grow(w.diag, 3*ns*nx)
	n := min(l.LenX, l.LenY)
	w.x = grow(w.x, top.maxOpts*n)
	w.m = grow(w.m, n)
	w.sum = grow(w.sum, n)
	w.th = grow(w.th, th.Channels*n)
	if cum != nil {
		w.tot = grow(w.tot, n)
	}
	w.ends = w.ends[:0]
	// lo[d%3], hi[d%3]: the rows of anti-diagonal d's valid cells.
	var lo, hi [3]int
	stride := (th.Width - 1) * th.Channels // θ's step from (i, j) to (i+1, j−1)
	for d := 0; d <= l.LenX+l.LenY-2; d++ {
		// Cell (i, d−i) is valid when i and d−i are within the lengths
		// and d − 2i within [Lo, Hi].
		ilo := max(0, d-(l.LenY-1), ceilHalf(d-l.Hi))
		ihi := min(l.LenX-1, d, floorHalf(d-l.Lo))
		r := d % 3
		lo[r], hi[r] = ilo, ihi
		if ilo > ihi {
			continue
		}
		n := ihi - ilo + 1
		// θ of the anti-diagonal's cells, read once a cell (its channels
		// share a cache line) into contiguous planes, one a channel.
		thd := w.th[:th.Channels*n]
		at := (ilo*th.Width + d - ilo) * th.Channels
		for k := range n {
			for c, v := range th.D[at : at+th.Channels] {
				thd[c*n+k] = float64(v)
			}
			at += stride
		}
		for s, in := range top.In {
			x := w.x[:len(in)*n]
			for o, op := range in {
				t := x[o*n : (o+1)*n]
				if op.Start {
					startTerms(l.Mode, thd[op.Channel*n:][:n], t, d, ilo)
					continue
				}
				// The option is open where its source, row i − DI of
				// anti-diagonal d − DI − DJ, is a valid cell.
				pd := d - op.DI - op.DJ
				klo, khi := n, -1
				if pd >= 0 {
					pr := pd % 3
					klo = max(0, lo[pr]+op.DI-ilo)
					khi = min(n-1, hi[pr]+op.DI-ilo)
				}
				if klo > khi {
					klo, khi = n, n-1
				}
				for k := range klo {
					t[k] = ninf
				}
				if klo <= khi {
					// src[k] is the source of cell klo + k's option.
					src := w.diag[(op.From*3+pd%3)*nx:][ilo+klo-op.DI : ilo+khi+1-op.DI]
					tc := thd[op.Channel*n:][klo : khi+1]
					for k, v := range tc {
						t[klo+k] = src[k] + v
					}
				}
				for k := khi + 1; k < n; k++ {
					t[k] = ninf
				}
			}
			dst := w.diag[(s*3+r)*nx:][:nx]
			if cum == nil && len(in) <= 3 {
				// Three options or fewer and no tables: one LSE3 pass.
				t2 := w.m[:n]
				if len(in) == 3 {
					t2 = x[2*n : 3*n]
				} else {
					for k := range t2 {
						t2[k] = ninf
					}
				}
				t1 := t2
				if len(in) >= 2 {
					t1 = x[n : 2*n]
				}
				fastexp.LSE3(dst[ilo:ihi+1], x[:n], t1, t2)
			} else {
				logSumOptions(w, x, n, len(in), cum != nil)
				m, sum := w.m[:n], w.sum[:n]
				for k, v := range m {
					if v > ninf && v < math.Inf(1) {
						v += sum[k]
					}
					dst[ilo+k] = v
				}
			}
			if a != nil {
				at, step := l.Index(s, ilo, d-ilo), l.LenY-1
				for _, v := range dst[ilo : ihi+1] {
					a[at] = v
					at += step
				}
			}
			if cum != nil {
				cumTables(cum, l, s, d, ilo, w, x, n, len(in), width)
			}
			// The end states of the anti-diagonal: every cell (Local),
			// or those of the last row or column, at its two ends.
			switch {
			case l.Mode == Local:
				w.ends = append(w.ends, dst[ilo:ihi+1]...)
			case l.End(ihi, d-ihi):
				w.ends = append(w.ends, dst[ihi])
				if ilo < ihi && l.End(ilo, d-ilo) {
					w.ends = append(w.ends, dst[ilo])
				}
			case l.End(ilo, d-ilo):
				w.ends = append(w.ends, dst[ilo])
			}
		}
	}
	return logSum(w.ends)
}

// startTerms sets t, the start option's terms along anti-diagonal d from
// row ilo, to θ (tc, the option's channel along the anti-diagonal) where a
// path may start and −Inf elsewhere.
func startTerms(mode Mode, tc, t []float64, d, ilo int) {
	if mode == Local {
		copy(t, tc)
		return
	}
	ninf := math.Inf(-1)
	for k := range t {
		t[k] = ninf
	}
	switch {
	case mode == Global:
		if d == 0 {
			t[0] = tc[0]
		}
	default:
		// SemiGlobal: row 0 and column 0 are an anti-diagonal's two ends.
		if ilo == 0 {
			t[0] = tc[0]
		}
		if ilo+len(t)-1 == d {
			t[len(t)-1] = tc[len(t)-1]
		}
	}
}

// logSum is Plus(bandop.Log, x) with the exps in a vector loop; x is
// overwritten.
func logSum(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		// Branches that the long runs of a Local item's ends predict,
		// where the builtin max chains its NaN checks from one to the next.
		if v > m {
			m = v
		} else if v != v {
			return v // NaN wins, as in Plus
		}
	}
	if math.IsInf(m, 0) {
		return m
	}
	for k := range x {
		x[k] -= m
	}
	fastexp.ExpSlice64(x, x)
	var s float64
	for _, e := range x {
		s += e
	}
	return m + fastexp.Log64(s)
}

// logSumOptions takes the k options' terms of n cells, x[o·n + c], and
// leaves in w.m[c] the largest term of cell c (NaN if one is NaN) and in
// w.sum[c] the log of the sum of the weights e^(term − largest), summed in
// option order by fastexp.Acc64 (the shift, exp and sum in one vector
// pass an option). With tables it leaves in x[o·n + c], for o < k − 1, the
// partial sums of the weights of options 0 … o, and in w.tot[c] the whole
// sum. Where the largest term is not finite the sums are NaN (LogForward
// and cumTables take the largest itself there).
func logSumOptions(w *LogWork, x []float64, n, k int, tables bool) {
	m, sum := w.m[:n], w.sum[:n]
	copy(m, x[:n])
	for o := 1; o < k; o++ {
		for c, v := range x[o*n : (o+1)*n] {
			m[c] = max(m[c], v) // NaN wins, as in Plus
		}
	}
	clear(sum)
	for o := range k {
		t := x[o*n : (o+1)*n]
		fastexp.Acc64(sum, t, m, 0)
		if tables && o < k-1 {
			copy(t, sum)
		}
	}
	if tables {
		copy(w.tot[:n], sum)
	}
	fastexp.LogSlice64(sum, sum)
}

// cumTables writes the cumulative option probabilities of state s along
// anti-diagonal d (see LogForward) from the partial sums x of the weights
// of its k options and their whole sums w.tot (logSumOptions), a cell at a
// time (its table is one store stream).
func cumTables(cum []float64, l *Lattice, s, d, ilo int, w *LogWork, x []float64, n, k, width int) {
	// Cell c's table starts at at + c·step.
	at, step := l.CumIndex(s, ilo, d-ilo), (l.LenY-1)*l.Top.States*width
	for c, t := range w.tot[:n] {
		tab := cum[at : at+width]
		inv := 1 / t
		for o := range tab {
			v := 2.0
			// NaN sums (a state whose value is not finite) fail the
			// test and get 2.
			if p := x[min(o, k-1)*n+c]; o < k-1 && p < t {
				v = p * inv
			}
			tab[o] = v
		}
		at += step
	}
}

// grow returns s with at least n elements, reusing its array when it is
// long enough.
func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// ceilHalf and floorHalf are ⌈v/2⌉ and ⌊v/2⌋ for any sign of v.
func ceilHalf(v int) int  { return -floorHalf(-v) }
func floorHalf(v int) int { return v >> 1 }
