package bandop

import (
	"math"
	"sync/atomic"

	"github.com/genband/genband/internal/fastexp"
)

// Mul returns the semiring product C = A ⊗ B of each pair of matrices,
// C[i,j] = ⊕_k A[i,k] ⊗ B[k,j], with band (A.Lower+B.Lower, A.Upper+B.Upper)
// and the semiring's zero as fill. Both fills must be that zero.
func (a *Banded) Mul(b *Banded, s Semiring) (*Banded, error) {
	return mulSpec.eager(a, b, s)
}

// Mul adds the semiring product a ⊗ b to the graph (see Banded.Mul). Its
// gradient with respect to both operands is defined.
func Mul(a, b *Node, s Semiring) (*Node, error) { return mulSpec.graph(a, b, s) }

func mulResult(la, lb layout, s Semiring) layout {
	return layout{batch: la.batch, n: la.n, lower: la.lower + lb.lower, upper: la.upper + lb.upper, fill: s.Zero(), dt: la.dt}
}

// mulCheck reports a product whose band is beyond the limit every band
// has, the one Reband and Filled enforce. Each operand's band is within it,
// so the sums in lc have not overflowed.
func mulCheck(op string, la, lb, lc layout) error {
	if lc.lower > bandLimit || lc.upper > bandLimit || lc.lower < -bandLimit || lc.upper < -bandLimit {
		return kindErrorf(ErrBand, op, "the product of bands A (%d, %d) and B (%d, %d) has band (%d, %d), out of range ±%d", la.lower, la.upper, lb.lower, lb.upper, lc.lower, lc.upper, bandLimit)
	}
	return nil
}

// mulForward computes c = a ⊗ b. In band coordinates the product of row i is
// a one-dimensional convolution: slot kc of C's row i gathers slot ka of A's
// row i times slot kc−ka of B's row k = i+ka−A.lower, so every inner loop
// below runs over contiguous slots of one B row and one C row. Each semiring
// has its own row kernel so that no inner loop tests the semiring.
func mulForward[T float](s Semiring, c, a, b []T, la, lb, lc layout) {
	rows := la.batch * la.n
	parallelFor(rows, rows*la.width()*lb.width(), func(lo, hi int) {
		switch s {
		case Real:
			mulRowsReal(c, a, b, la, lb, lc, lo, hi)
		case Max:
			mulRowsMax(c, a, b, la, lb, lc, lo, hi)
		default:
			mulRowsLog(c, a, b, la, lb, lc, lo, hi)
		}
	})
}

// mulSeg returns, for slot ka of A's row r (row i of its matrix), the slots
// [kbLo, kbHi) of B's row that meet valid slots of C's row, those of C being
// [ka+kbLo, ka+kbHi), and B's row; ok is false when there are none.
func mulSeg[T float](b []T, r, ka, clo, chi int, la layout, wb int) (brow []T, kbLo, kbHi int, ok bool) {
	kbLo, kbHi = max(0, clo-ka), min(wb, chi-ka)
	if kbLo >= kbHi {
		return nil, 0, 0, false
	}
	k := r + ka - la.lower // B's row in the same matrix as r
	return b[k*wb : (k+1)*wb], kbLo, kbHi, true
}

func mulRowsReal[T float](c, a, b []T, la, lb, lc layout, lo, hi int) {
	wa, wb, wc, n := la.width(), lb.width(), lc.width(), la.n
	for r := lo; r < hi; r++ {
		i := r % n
		arow, crow := a[r*wa:(r+1)*wa], c[r*wc:(r+1)*wc]
		clo, chi := validSlots(i, n, lc.lower, wc)
		kaLo, kaHi := validSlots(i, n, la.lower, wa)
		clear(crow) // the fill, 0, in the padding too
		for ka := kaLo; ka < kaHi; ka++ {
			brow, kbLo, kbHi, ok := mulSeg(b, r, ka, clo, chi, la, wb)
			if !ok {
				continue
			}
			av, src := arow[ka], brow[kbLo:kbHi]
			dst := crow[ka+kbLo : ka+kbHi]
			dst = dst[:len(src)]
			for x, bv := range src {
				dst[x] += av * bv
			}
		}
	}
}

// mulRowsMax takes the maximum with the builtin max, which compiles without
// a branch: on random data a compare and branch mispredicts often enough to
// make the loop three times slower. A NaN term makes the result NaN.
func mulRowsMax[T float](c, a, b []T, la, lb, lc layout, lo, hi int) {
	wa, wb, wc, n := la.width(), lb.width(), lc.width(), la.n
	for r := lo; r < hi; r++ {
		i := r % n
		arow, crow := a[r*wa:(r+1)*wa], c[r*wc:(r+1)*wc]
		clo, chi := validSlots(i, n, lc.lower, wc)
		kaLo, kaHi := validSlots(i, n, la.lower, wa)
		fillSlice(crow, T(math.Inf(-1))) // the fill, in the padding too
		for ka := kaLo; ka < kaHi; ka++ {
			brow, kbLo, kbHi, ok := mulSeg(b, r, ka, clo, chi, la, wb)
			if !ok {
				continue
			}
			av, src := arow[ka], brow[kbLo:kbHi]
			dst := crow[ka+kbLo : ka+kbHi]
			dst = dst[:len(src)]
			for x, bv := range src {
				dst[x] = max(dst[x], av+bv)
			}
		}
	}
}

// mulRowsLog computes logsumexp with one shift per row, not per slot: M,
// the largest a[ka] + max(B's row k) over the row's slots ka, bounds every
// term of the row from above, so no exp overflows, and the row's sums are
// one vector exp per term (expAcc over contiguous slots) with no pass to
// find each slot's maximum. A slot whose own maximum lies far below M (its
// sum under logFloor: its largest terms would lose bits to underflow) is
// summed again with its own maximum (mulSlotLog), and a row whose M is not
// finite (a NaN, an infinite term, or only −Inf) takes the two-pass kernel
// (mulRowLogExact), whose shift of ±Inf by 0 the special values need.
func mulRowsLog[T float](c, a, b []T, la, lb, lc layout, lo, hi int) {
	wa, wb, wc, n := la.width(), lb.width(), lc.width(), la.n
	m := make([]T, wc)
	lg := make([]float64, wc)
	redo := make([]int, 0, wc)
	// bmax[g-g0] is the largest valid slot of B's row g, for the rows
	// g0 ≤ g < g1 that rows [lo, hi) of A reach. The segments read B's
	// valid slots only (they are those that land on valid slots of C), and
	// the padding may hold anything.
	rows := la.batch * n
	g0, g1 := max(0, lo-la.lower), min(rows, hi-la.lower+wa)
	bmax := make([]T, max(0, g1-g0))
	for g := g0; g < g1; g++ {
		kbLo, kbHi := validSlots(g%n, n, lb.lower, wb)
		bmax[g-g0] = maxSum(b[g*wb+kbLo:g*wb+kbHi], nil)
	}
	for r := lo; r < hi; r++ {
		i := r % n
		arow, crow := a[r*wa:(r+1)*wa], c[r*wc:(r+1)*wc]
		clo, chi := validSlots(i, n, lc.lower, wc)
		kaLo, kaHi := validSlots(i, n, la.lower, wa)
		bound := T(math.Inf(-1))
		if kaLo < kaHi {
			// A's slot ka meets B's row r+ka−A.lower.
			g := r + kaLo - la.lower - g0
			bound = maxSum(arow[kaLo:kaHi], bmax[g:g+kaHi-kaLo])
		}
		if math.IsInf(float64(bound), 0) || math.IsNaN(float64(bound)) {
			mulRowLogExact(crow, arow, b, m, r, la, lb, lc)
			continue
		}
		fillSlice(crow[:clo], T(math.Inf(-1))) // the fill, in the padding
		fillSlice(crow[chi:], T(math.Inf(-1)))
		clear(crow[clo:chi])
		fillSlice(m[clo:chi], bound)
		for ka := kaLo; ka < kaHi; ka++ {
			brow, kbLo, kbHi, ok := mulSeg(b, r, ka, clo, chi, la, wb)
			if !ok {
				continue
			}
			expAcc(crow[ka+kbLo:ka+kbHi], brow[kbLo:kbHi], m[ka+kbLo:ka+kbHi], arow[ka])
		}
		redo = logRowFinish(crow[clo:chi], bound, lg, redo)
		for _, x := range redo {
			crow[clo+x] = mulSlotLog(arow, b, r, clo+x, kaLo, kaHi, la, wb)
		}
	}
}

// maxSum returns the largest x[i] + y[i] (the largest x[i] for y nil),
// −Inf for none, NaN if one is NaN (the builtin max's rule), in four
// independent chains: one chain of maxes would wait on each max's latency.
func maxSum[T float](x, y []T) T {
	inf := T(math.Inf(-1))
	m0, m1, m2, m3 := inf, inf, inf, inf
	i := 0
	if y == nil {
		for ; i+4 <= len(x); i += 4 {
			m0, m1, m2, m3 = max(m0, x[i]), max(m1, x[i+1]), max(m2, x[i+2]), max(m3, x[i+3])
		}
		for ; i < len(x); i++ {
			m0 = max(m0, x[i])
		}
		return max(m0, m1, m2, m3)
	}
	y = y[:len(x)]
	for ; i+4 <= len(x); i += 4 {
		m0, m1 = max(m0, x[i]+y[i]), max(m1, x[i+1]+y[i+1])
		m2, m3 = max(m2, x[i+2]+y[i+2]), max(m3, x[i+3]+y[i+3])
	}
	for ; i < len(x); i++ {
		m0 = max(m0, x[i]+y[i])
	}
	return max(m0, m1, m2, m3)
}

// logRowFinish sets each sum of sums, a Log sum's terms shifted by bound,
// to bound + ln(sum), one vector log for the row (lg is scratch at least as
// long as sums), and returns in redo (appended to redo[:0]) the indices of
// the sums below the floor, which the caller must sum again with their own
// maximum.
func logRowFinish[T float](sums []T, bound T, lg []float64, redo []int) []int {
	ls := lg[:len(sums)]
	for x, v := range sums {
		ls[x] = float64(v)
	}
	fastexp.LogSlice64(ls, ls)
	floor := T(logFloor32)
	if !isF32(floor) {
		floor = T(logFloor64)
	}
	bf, redo := float64(bound), redo[:0]
	for x, v := range sums {
		if v >= floor {
			sums[x] = T(bf + ls[x]) // one rounding: the sum of M and ln s may cancel
			continue
		}
		redo = append(redo, x)
	}
	return redo
}

// The floors of mulRowsLog's sums: a slot whose sum shifted by its row's
// bound is below it is summed again with its own maximum. At the floor the
// largest term is at least floor/width, so terms lost to underflow (below
// 2^−149 in float32, 2^−1074 in float64, a few dozen at most) change the sum
// by less than 2^−80 of itself; and the slot's maximum lies at most
// ln(width/floor) (about 48 in float32 for a width of 65) below the bound,
// which costs the shifted terms the rounding of an exponent of that size, a
// few ulps of the operands' magnitude.
const (
	logFloor32 = 0x1p-64
	logFloor64 = 0x1p-900
)

// mulSlotLog returns the Log sum of slot x of row r of C, shifted by its own
// maximum: the terms a[ka] + B[k, x−ka] over A's valid slots ka, read down
// the slot's diagonal of B.
func mulSlotLog[T float](arow, b []T, r, x, kaLo, kaHi int, la layout, wb int) T {
	mx := T(math.Inf(-1))
	for ka := max(kaLo, x-wb+1); ka < min(kaHi, x+1); ka++ {
		mx = max(mx, arow[ka]+b[(r+ka-la.lower)*wb+x-ka])
	}
	if math.IsInf(float64(mx), -1) {
		return mx
	}
	var sum T
	for ka := max(kaLo, x-wb+1); ka < min(kaHi, x+1); ka++ {
		sum += expT(arow[ka] + b[(r+ka-la.lower)*wb+x-ka] - mx)
	}
	return mx + T(math.Log(float64(sum)))
}

// mulRowLogExact computes row r of C in two passes over its terms: their
// maximum per slot, then Σ exp(term − max). m is scratch of C's width.
func mulRowLogExact[T float](crow, arow, b, m []T, r int, la, lb, lc layout) {
	wb, wc, n := lb.width(), lc.width(), la.n
	i := r % n
	clo, chi := validSlots(i, n, lc.lower, wc)
	kaLo, kaHi := validSlots(i, n, la.lower, la.width())
	fillSlice(crow, T(math.Inf(-1))) // the fill, in the padding too
	fillSlice(m, T(math.Inf(-1)))
	for ka := kaLo; ka < kaHi; ka++ {
		brow, kbLo, kbHi, ok := mulSeg(b, r, ka, clo, chi, la, wb)
		if !ok {
			continue
		}
		av, src := arow[ka], brow[kbLo:kbHi]
		mm := m[ka+kbLo : ka+kbHi]
		mm = mm[:len(src)]
		for x, bv := range src {
			mm[x] = max(mm[x], av+bv)
		}
	}
	// A max of ±Inf is shifted by 0 instead, which makes an all −Inf
	// sum come out as exp(−Inf) = 0 (so log 0 = −Inf) and a +Inf term as
	// +Inf, never Inf − Inf.
	for x := clo; x < chi; x++ {
		if math.IsInf(float64(m[x]), 0) {
			m[x] = 0
		}
		crow[x] = 0
	}
	for ka := kaLo; ka < kaHi; ka++ {
		brow, kbLo, kbHi, ok := mulSeg(b, r, ka, clo, chi, la, wb)
		if !ok {
			continue
		}
		expAcc(crow[ka+kbLo:ka+kbHi], brow[kbLo:kbHi], m[ka+kbLo:ka+kbHi], arow[ka])
	}
	for x := clo; x < chi; x++ {
		crow[x] = m[x] + T(math.Log(float64(crow[x])))
	}
}

// mulBackward computes the gradient g of Σ dc·c with respect to a (wrt = 0)
// or b (wrt = 1). Each gradient row gathers its terms, so rows are
// independent and run in parallel: for A, row i reads C's row i; for B, row
// k reads the rows i = k+A.lower−ka of C that used it. Either way the inner
// loop runs over contiguous slots kb of one B row and one C row. A term whose
// dc is 0 adds nothing, whatever its weight, and so does one whose weight is
// 0 by definition (a Log sum of only −Inf, a Max term not the first maximal
// one), whatever its dc, so that an infinite dc makes no NaN elsewhere. c
// must be the forward's output bit for bit: Max finds its terms equal to c.
func mulBackward[T float](s Semiring, wrt int, g, a, b, c, dc []T, la, lb, lc layout) {
	rows := la.batch * la.n
	work := rows * la.width() * lb.width()
	if s == Max {
		first := make([]int32, rows*lc.width())
		parallelFor(rows, work, func(lo, hi int) { mulFirstMax(first, a, b, c, la, lb, lc, lo, hi) })
		mulGradMax(wrt, g, dc, first, la, lb, lc)
		return
	}
	if s == Log {
		// Sums of +Inf or NaN take mulGradRows with dcs (logGradInputs).
		dcs, cs, ok := logGradInputs(dc, c, rows, lc.width())
		dc = dcs
		if ok {
			parallelFor(rows, work, func(lo, hi int) {
				mulGradRowsLog(wrt, g, a, b, cs, dc, la, lb, lc, lo, hi)
			})
			return
		}
	}
	parallelFor(rows, work, func(lo, hi int) {
		mulGradRows(s, wrt, g, a, b, c, dc, la, lb, lc, lo, hi)
	})
}

// logGradInputs returns the dc and c that the weighted sums of a Log
// gradient take, rows of width w: dc with 0 where c is −Inf (a logsumexp of
// only −Inf has gradient 0 whatever dc is: zeroing dc there once takes that
// test out of the inner loops), and c with 0 there, so that those terms'
// weights are e^−Inf = 0 rather than NaN and fastexp's Dot and AccW need no
// test for a dc of 0 either. ok is false where some c is +Inf or NaN, whose
// terms' weights are NaN: then a kernel that skips every term of a 0 dc
// must run instead, with c itself and dcs.
func logGradInputs[T float](dc, c []T, rows, w int) (dcs, cs []T, ok bool) {
	dcs, cs = make([]T, len(dc)), make([]T, len(c))
	var special atomic.Bool
	parallelFor(rows, rows*w, func(lo, hi int) {
		sp := false
		for x := lo * w; x < hi*w; x++ {
			switch cv := c[x]; {
			case math.IsInf(float64(cv), -1):
			case math.IsInf(float64(cv), 1) || math.IsNaN(float64(cv)):
				sp = true
				dcs[x], cs[x] = dc[x], cv
			default:
				dcs[x], cs[x] = dc[x], cv
			}
		}
		if sp {
			special.Store(true)
		}
	})
	return dcs, cs, !special.Load()
}

// mulGradRowsLog is mulGradRows for Log where every sum c is finite or
// −Inf (shifted to 0, with dc 0): each segment's terms are one vector exp
// each, weighted by dc and summed (Dot, for A) or added to B's gradient
// (AccW). The padding of c and dc, which no segment reads, may hold
// anything.
func mulGradRowsLog[T float](wrt int, g, a, b, c, dc []T, la, lb, lc layout, lo, hi int) {
	wa, wb, wc, n := la.width(), lb.width(), lc.width(), la.n
	for rg := lo; rg < hi; rg++ {
		bat, i := rg/n, rg%n
		if wrt == 0 {
			grow := g[rg*wa : (rg+1)*wa]
			clear(grow)
			clo, chi := validSlots(i, n, lc.lower, wc)
			kaLo, kaHi := validSlots(i, n, la.lower, wa)
			for ka := kaLo; ka < kaHi; ka++ {
				if brow, kbLo, kbHi, ok := mulSeg(b, rg, ka, clo, chi, la, wb); ok {
					x0, x1 := rg*wc+ka+kbLo, rg*wc+ka+kbHi
					grow[ka] = fastexp.Dot(dc[x0:x1], brow[kbLo:kbHi], c[x0:x1], a[rg*wa+ka])
				}
			}
			continue
		}
		// As in mulGradRows: row k = i of B is used by row i' =
		// k+A.lower−ka of C through A's slot ka.
		k := i
		grow := g[rg*wb : (rg+1)*wb]
		clear(grow)
		kbLo, kbHi := validSlots(k, n, lb.lower, wb)
		if kbLo >= kbHi {
			continue
		}
		brow := b[rg*wb : (rg+1)*wb]
		for ka := max(0, k+la.lower-n+1); ka < min(wa, k+la.lower+1); ka++ {
			r := bat*n + k + la.lower - ka
			x0, x1 := r*wc+ka+kbLo, r*wc+ka+kbHi
			fastexp.AccW(grow[kbLo:kbHi], dc[x0:x1], brow[kbLo:kbHi], c[x0:x1], a[r*wa+ka])
		}
	}
}

// mulGradMax computes the Max gradient from first: each slot of C passes
// its dc to the one term that made it, so the pass is over C's slots, not
// over the terms. The rows of A's gradient take their own row of C; B's
// rows take several rows of C, so each matrix runs on one goroutine, its
// rows of C in descending order: each slot of B's gradient then adds its
// terms in ascending ka, the order of mulGradRows (and of the device
// kernel, which the emulation tests compare bit for bit).
func mulGradMax[T float](wrt int, g, dc []T, first []int32, la, lb, lc layout) {
	wa, wb, wc, n := la.width(), lb.width(), lc.width(), la.n
	rows := la.batch * n
	if wrt == 0 {
		parallelFor(rows, rows*wc, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				grow := g[r*wa : (r+1)*wa]
				clear(grow)
				fr, dr := first[r*wc:(r+1)*wc], dc[r*wc:(r+1)*wc]
				dr = dr[:len(fr)]
				for x, f := range fr {
					if f >= 0 {
						grow[f] += dr[x]
					}
				}
			}
		})
		return
	}
	parallelFor(la.batch, rows*wc, func(lo, hi int) {
		clear(g[lo*n*wb : hi*n*wb])
		for r := hi*n - 1; r >= lo*n; r-- {
			fr, dr := first[r*wc:(r+1)*wc], dc[r*wc:(r+1)*wc]
			dr = dr[:len(fr)]
			for x, f := range fr {
				if f >= 0 {
					// B's row k = r+f−A.lower, slot x−f.
					g[(r+int(f)-la.lower)*wb+x-int(f)] += dr[x]
				}
			}
		}
	})
}

// mulFirstMax sets first[r*wc+kc] to the ka of the first term of output
// slot kc of row r equal to c there, which is the maximum the forward took
// of the very same sums; −2 where there is none (c is −Inf: all terms are).
// Looking for equality rather than taking the maximum again keeps the inner
// branch predictable: it is almost never taken.
func mulFirstMax[T float](first []int32, a, b, c []T, la, lb, lc layout, lo, hi int) {
	wa, wb, wc, n := la.width(), lb.width(), lc.width(), la.n
	for r := lo; r < hi; r++ {
		i := r % n
		fr, crow := first[r*wc:(r+1)*wc], c[r*wc:(r+1)*wc]
		for x, cv := range crow {
			fr[x] = -1 // not found yet
			if math.IsInf(float64(cv), -1) {
				fr[x] = -2
			}
		}
		clo, chi := validSlots(i, n, lc.lower, wc)
		kaLo, kaHi := validSlots(i, n, la.lower, wa)
		for ka := kaLo; ka < kaHi; ka++ {
			brow, kbLo, kbHi, ok := mulSeg(b, r, ka, clo, chi, la, wb)
			if !ok {
				continue
			}
			av, src := a[r*wa+ka], brow[kbLo:kbHi]
			cs, fs := crow[ka+kbLo:ka+kbHi], fr[ka+kbLo:ka+kbHi]
			cs, fs = cs[:len(src)], fs[:len(src)]
			for x, bv := range src {
				if av+bv == cs[x] && fs[x] == -1 {
					fs[x] = int32(ka)
				}
			}
		}
	}
}

// mulGradRows computes rows [lo, hi) of the Real gradient, or of the Log
// one where some sum is +Inf or NaN (logGradInputs), with respect to A
// (wrt = 0, rows of A) or B (wrt = 1, rows of B).
func mulGradRows[T float](s Semiring, wrt int, g, a, b, c, dc []T, la, lb, lc layout, lo, hi int) {
	wa, wb, wc, n := la.width(), lb.width(), lc.width(), la.n
	w := make([]T, wb) // the weights of one segment's terms
	// seg adds the terms of A's slot ka in row r and B's slots [kbLo, kbHi)
	// of brow: to *acc for A, to gb[kb] for B (gb nil for A).
	seg := func(r, ka, kbLo, kbHi int, brow []T, acc *T, gb []T) {
		av, src := a[r*wa+ka], brow[kbLo:kbHi]
		d := dc[r*wc+ka+kbLo : r*wc+ka+kbHi]
		d = d[:len(src)]
		ws := w[:len(src)]
		switch s {
		case Real:
			if gb == nil {
				copy(ws, src) // ∂(av·bv)/∂av = bv
			} else {
				fillSlice(ws, av)
			}
		default: // Log
			cs := c[r*wc+ka+kbLo : r*wc+ka+kbHi]
			cs = cs[:len(src)]
			clear(ws)
			expAcc(ws, src, cs, av) // NaN where c is −Inf, but dc is 0 there
		}
		if gb == nil {
			sum := *acc
			for x, dv := range d {
				if dv != 0 {
					sum += dv * ws[x]
				}
			}
			*acc = sum
			return
		}
		gb = gb[kbLo:kbHi]
		gb = gb[:len(d)]
		for x, dv := range d {
			if dv != 0 {
				gb[x] += dv * ws[x]
			}
		}
	}
	for rg := lo; rg < hi; rg++ {
		bat, i := rg/n, rg%n
		if wrt == 0 {
			grow := g[rg*wa : (rg+1)*wa]
			clear(grow)
			clo, chi := validSlots(i, n, lc.lower, wc)
			kaLo, kaHi := validSlots(i, n, la.lower, wa)
			for ka := kaLo; ka < kaHi; ka++ {
				if brow, kbLo, kbHi, ok := mulSeg(b, rg, ka, clo, chi, la, wb); ok {
					seg(rg, ka, kbLo, kbHi, brow, &grow[ka], nil)
				}
			}
			continue
		}
		// Row k = i of B is used by row i' = k+A.lower−ka through A's slot
		// ka, for B's valid slots, all of which land on valid slots of C.
		k := i
		grow := g[rg*wb : (rg+1)*wb]
		clear(grow)
		kbLo, kbHi := validSlots(k, n, lb.lower, wb)
		if kbLo >= kbHi {
			continue
		}
		brow := b[rg*wb : (rg+1)*wb]
		for ka := max(0, k+la.lower-n+1); ka < min(wa, k+la.lower+1); ka++ {
			seg(bat*n+k+la.lower-ka, ka, kbLo, kbHi, brow, nil, grow)
		}
	}
}

func fillSlice[T float](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}
