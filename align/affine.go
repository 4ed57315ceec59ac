package align

import (
	"math"
	"unsafe"

	"github.com/genband/genband/align/internal/lattice"
	"github.com/genband/genband/bandop"
	"github.com/genband/genband/internal/fastexp"
)

// The affine model's cells on the CPU (Model.Affine, the Linear strategy):
// the forward and backward kernels behind cellsOp and cellsGradOp for an
// affine grid. A cell has three states (lattice.Affine): M, entered
// diagonally or where a path starts; L, entered from the left; A, entered
// from above. Under Log
//
//	M(i, j) = θ[Match] + ⊕( M, L, A of (i−1, j−1), 0 where a path may start )
//	L(i, j) = ⊕( M(i, j−1) + θ[OpenLeft], L(i, j−1) + θ[ExtendLeft], A(i, j−1) + θ[OpenLeft] )
//	A(i, j) = ⊕( M(i−1, j) + θ[OpenAbove], A(i−1, j) + θ[ExtendAbove], L(i−1, j) + θ[OpenAbove] )
//
// (without turns, the last term of L and of A is absent), each over the
// options whose source lies in the item's lattice. α holds the three
// states in planes of the grid's skewed order (grid.atState).
//
// Log runs anti-diagonal by anti-diagonal, as the linear cells do: the
// cells of an anti-diagonal that have every source (cells.inner) go in
// passes over it (affineLogDiag), every term shifted by its state's
// largest, the exps and logs of the whole anti-diagonal at once
// (fastexp.ExpSlice64, LogSlice64); the other cells, and any whose largest
// term is not finite, go one by one (affineCell). What the gradient needs
// of each option is kept in weight planes (affinePlanes, in the skewed
// order, padded apart: affinePad; of θ's type, weightsAs): its weight in its state's sum, e^(term − α), under Log; 1 for
// the first maximal option in lattice.Affine's tie order under Max. The
// gradient then takes no exp. Real keeps no weights: its gradient reads α
// and θ.

// The weight planes of the M state's options from M and L of the
// diagonal source; from A, affCells.ma. A path's start shares wMM's plane
// but in local mode (a cell that may start a path has no diagonal source
// in the other modes), where it has a plane of its own (affCells.ms),
// before A's: the order of the linear passes' terms (left, diagonal,
// start, above), which affineLogDiag's kernels take.
const (
	wMM = 0
	wML = 1
)

// affineTerms is the size of an affine model's weights, in planes of N·M
// a cell: its planes (affinePlanes) and one more, the room for the pads
// between them (affinePad); one, not written, under Real, whose gradient
// needs none.
func affineTerms(m Model) int {
	if m.Semiring == Real {
		return 1
	}
	return affinePlanes(m) + 1
}

// affinePlanes is the number of weight planes of an affine model: M's
// three (four in local mode), L's and A's three (two without turns).
func affinePlanes(m Model) int {
	n := 9
	if m.NoTurns {
		n = 7
	}
	if m.Mode == Local {
		n++
	}
	return n
}

// affinePad is the gap, in elements, between consecutive weight planes of
// an item of per cells with nw planes. N·M is often a multiple of a page
// (512·512), and planes a multiple of a page apart map an anti-diagonal's
// runs of every plane to the same sets of the caches: the passes, which
// write nine such runs and read α's, then evict their own lines. Planes 5
// lines apart map to different sets. (The pads fit in affineTerms' extra
// plane.)
func affinePad(per, nw int) int {
	if pad := 40; pad*nw <= per {
		return pad
	}
	return 0
}

// affCells is one affine item as the kernels walk it: the geometry of
// cells, the semiring, N·M (the planes' length), and the weight planes of
// the options: ms and ma (M's start and from A), lm, ll, la (L's from M, L
// and A), am, aa, al (A's from M, A and L); la and al are −1 without
// turns. Each state's planes are consecutive, wper apart (N·M and a pad,
// affinePad).
type affCells struct {
	cells
	sr                             bandop.Semiring
	per, wper                      int
	turns                          bool
	ms, ma, lm, ll, la, am, aa, al int
	// nonFinite records that a state's α came out NaN or +Inf (affineCell
	// computes every such state).
	nonFinite bool
}

func (g *grid) affCells(lx, ly int) affCells {
	c := affCells{cells: g.cells(lx, ly), sr: g.m.Semiring, per: g.n * g.mm, turns: !g.m.NoTurns, ms: wMM, ma: 2, la: -1, al: -1}
	c.terms = affinePlanes(g.m)
	c.wper = c.per + affinePad(c.per, c.terms)
	k := 3
	if g.m.Mode == Local {
		c.ms, c.ma, k = 2, 3, 4
	}
	c.lm, c.ll = k, k+1
	k += 2
	if c.turns {
		c.la = k
		k++
	}
	c.am, c.aa = k, k+1
	k += 2
	if c.turns {
		c.al = k
	}
	return c
}

// affineForward is cellsForward for an affine grid: α of every state of
// every cell (three planes an item) and the weights (affineTerms planes
// of N·M an item of w64, as T: weightsAs). Items run in parallel.
func affineForward[T float32 | float64](g *grid, alpha []float64, th []T, lx, ly []int, w64 []float64) {
	w := weightsAs[T](w64)
	per, nw := g.n*g.mm, g.terms()
	if g.m.Semiring == Real {
		nw = 0
	}
	forItems(g.batch, per*48, func(b int) {
		c := g.affCells(lx[b], ly[b])
		a := alpha[b*3*per : (b+1)*3*per]
		p := th[b*5*per : (b+1)*5*per]
		wb := w[b*nw*per : (b+1)*nw*per]
		for s := range 3 {
			g.fillOutside(&c.cells, a[s*per:(s+1)*per])
		}
		affineForwardItem(&c, a, p, wb)
		if c.nonFinite {
			// A NaN or infinity: the potentials again through
			// lattice.Clean, and again if that changed them. (Cleaning
			// every item first would cost a scan of θ for the rare item
			// that has a bad value, which the passes find anyway.)
			if q := affineTheta(g, b, lx[b], ly[b], th); &q[0] != &p[0] {
				affineForwardItem(&c, a, q, wb)
			}
		}
	})
}

// affineForwardItem is affineForward's work on one item.
func affineForwardItem[T float32 | float64](c *affCells, a []float64, p, w []T) {
	if c.sr == Log {
		affineForwardLog(c, a, p, w)
		return
	}
	for t := range c.LenX + c.LenY - 1 {
		lo, hi := c.diag(t)
		for i := lo; i <= hi; i++ {
			affineCell(c, a, p, w, i, t)
		}
	}
}

// affineTheta returns item b's potentials (lengths lx, ly) as the kernels
// read them: th's own, or, where a potential no path uses holds NaN or
// +Inf (Real: or −Inf), a copy with the semiring's zero there
// (lattice.Clean). The kernels open every option whose source cell is
// valid, some of which no path takes (out of a state no prefix reaches,
// or into one no suffix leaves): such a potential must not reach α.
func affineTheta[T float32 | float64](g *grid, b, lx, ly int, th []T) []T {
	per := g.n * g.mm * 5
	var buf []T
	return lattice.Clean(g.m.lat(lx, ly), g.m.Semiring == Real, lattice.Theta[T]{D: th[b*per : (b+1)*per], Width: g.mm, Channels: 5}, &buf).D
}

// affSum is one state's sum in a cell: its options' terms in tie order,
// their weight planes, and which exist (a bit each).
type affSum struct {
	x   [4]float64
	pl  [4]int
	has uint8
	n   int
}

func (s *affSum) add(ok bool, x float64, plane int) {
	if ok {
		s.x[s.n], s.pl[s.n], s.has = x, plane, s.has|1<<s.n
	}
	s.n++
}

// affineCell sets α of the three states of cell (i, t−i) and their
// weights one option at a time, in any semiring, with every rule of the
// special values: an option whose source lies outside the lattice is
// absent (its potential is not read); a state with no option, or whose
// options are all the semiring's zero, is the zero with weights 0.
func affineCell[T float32 | float64](c *affCells, a []float64, th, w []T, i, t int) {
	j, per := t-i, c.per
	p := th[5*(i*c.mm+j) : 5*(i*c.mm+j)+5]
	tm, tol, tel, toa, tea := float64(p[Match]), float64(p[OpenLeft]), float64(p[ExtendLeft]), float64(p[OpenAbove]), float64(p[ExtendAbove])
	real := c.sr == Real
	times := func(src, v float64) float64 {
		if real {
			return src * v
		}
		return src + v
	}
	hd, hl, ha := i > 0 && j > 0, j > 0 && j-1-i >= c.Lo, i > 0 && j-i+1 <= c.Hi
	var kd, kl, ka int
	if hd {
		kd = c.base[t-2] + i - 1
	}
	if hl {
		kl = c.base[t-1] + i
	}
	if ha {
		ka = c.base[t-1] + i - 1
	}
	aM, aL, aA := a[:per], a[per:2*per], a[2*per:3*per]
	k := c.base[t] + i
	if !real {
		// The weights of the absent options are 0, so that the gradient
		// may read every plane of a cell.
		for u := range c.terms {
			w[u*c.wper+k] = 0
		}
	}
	var m, l, u affSum
	m.add(hd, times(aM[kd], tm), wMM)
	m.add(c.StartsIn(i, j), tm, c.ms)
	m.add(hd, times(aL[kd], tm), wML)
	m.add(hd, times(aA[kd], tm), c.ma)
	l.add(hl, times(aM[kl], tol), c.lm)
	l.add(hl, times(aL[kl], tel), c.ll)
	l.add(hl && c.turns, times(aA[kl], tol), c.la)
	u.add(ha, times(aM[ka], toa), c.am)
	u.add(ha, times(aA[ka], tea), c.aa)
	u.add(ha && c.turns, times(aL[ka], toa), c.al)
	vm := affinePlus(c.sr, &m, w, c.wper, k)
	vl := affinePlus(c.sr, &l, w, c.wper, k)
	va := affinePlus(c.sr, &u, w, c.wper, k)
	a[lattice.AffMatch*per+k], a[lattice.AffLeft*per+k], a[lattice.AffAbove*per+k] = vm, vl, va
	if !(max(vm, vl, va) <= math.MaxFloat64) && !math.IsInf(max(vm, vl, va), -1) {
		c.nonFinite = true
	}
}

// affinePlus returns the ⊕ of the terms of s and writes their weights at
// k of their planes of w (not under Real, which keeps none): under Log
// e^(x − the sum), 0 for every term of a sum that is −Inf and, where the
// sum is not finite, LogWeight(x − the sum) (NaN for NaN); under Max 1
// for the first term equal to the maximum (none where it is −Inf or NaN).
// The planes hold 0 on entry.
func affinePlus[W float32 | float64](sr bandop.Semiring, s *affSum, w []W, per, k int) float64 {
	if sr == Real {
		var z float64
		for u := range s.n {
			if s.has&(1<<u) != 0 {
				z += s.x[u]
			}
		}
		return z
	}
	m := math.Inf(-1)
	for u := range s.n {
		if s.has&(1<<u) != 0 {
			m = max(m, s.x[u])
		}
	}
	if sr == Max {
		if m == m && !math.IsInf(m, -1) {
			for u := range s.n {
				if s.has&(1<<u) != 0 && s.x[u] == m {
					w[s.pl[u]*per+k] = 1
					break
				}
			}
		}
		return m
	}
	if m-m != 0 {
		if !math.IsInf(m, -1) {
			for u := range s.n {
				if s.has&(1<<u) != 0 {
					w[s.pl[u]*per+k] = W(fastexp.LogWeight(s.x[u] - m))
				}
			}
		}
		return m
	}
	var e [4]float64
	var sum float64
	for u := range s.n {
		if s.has&(1<<u) != 0 {
			e[u] = fastexp.LogWeight(s.x[u] - m)
			sum += e[u]
		}
	}
	inv := 1 / sum
	for u := range s.n {
		if s.has&(1<<u) != 0 {
			w[s.pl[u]*per+k] = W(e[u] * inv)
		}
	}
	return m + fastexp.LogSum(sum)
}

// affineForwardLog is the Log forward of one item, anti-diagonal by
// anti-diagonal: the inner cells by affineLogDiag's passes, the others
// by affineCell.
func affineForwardLog[T float32 | float64](c *affCells, a []float64, th, w []T) {
	nw := c.terms
	buf := getScratch((nw + 9) * max(1, min(c.LenX, c.LenY)))
	defer putScratch(buf)
	// An item past the caches asks for the runs of the planes two
	// anti-diagonals ahead (affinePrefetch) and, with turns, for the next
	// block's potentials. It goes by whole anti-diagonals, not by strips
	// of rows as the linear cells do: a strip's runs lie a page apart on
	// each anti-diagonal in each of twelve planes, while an anti-diagonal's
	// run follows the last one's, and the whole was measured faster
	// (16×512×512 float32: about an eighth less processor time).
	big := affineBig[T](c)
	var tr affTriplets[T]
	var tbuf []T
	if c.turns {
		tbuf = getStrip[T](7 * affBlock * min(c.per/c.mm, c.mm)) // the grid's anti-diagonals
		defer putStrip(tbuf)
	}
	i1 := c.LenX - 1
	for t := range c.LenX + c.LenY - 1 {
		if big {
			affinePrefetch(c, a, w, t+2, 0, i1, true)
		}
		if c.turns && t%affBlock == 0 {
			tr = affineTriplets(c, th, tbuf, t, 0, i1)
		}
		if c.turns && big {
			// The next block's potentials, a part of the rows on each
			// anti-diagonal of this one.
			r := t % affBlock
			affinePrefetchRows(c, th, t-r+affBlock, 0, i1, r, false)
		}
		lo, hi := c.diag(t)
		if lo > hi {
			continue
		}
		flo, fhi := c.innerRun(t, lo, hi)
		for i := lo; i <= hi; i++ {
			if i == flo {
				i = fhi
				continue
			}
			affineCell(c, a, th, w, i, t)
		}
		if flo <= fhi && c.turns {
			affineLogDiagTurns(c, buf, a, th, &tr, w, t, flo, fhi)
		} else if flo <= fhi {
			affineLogDiag(c, buf, a, th, w, t, flo, fhi)
		}
	}
}

// affineLogDiag computes the inner cells [flo, fhi] of anti-diagonal t
// (every source in the lattice, and no start but in local mode) in
// passes over them:
//
//  1. every term less its state's largest, into a plane per option (e,
//     the weights' planes), and the largest (mx; M's with θ[Match]
//     added, which every option of M shares);
//  2. every exp (ExpSlice64 over all the planes: the largest's is 1);
//  3. every state's sum, and the weights e / sum;
//  4. the logs of the sums (LogSlice64), and α = largest + log sum.
//
// A cell whose largest term in some state is not finite (NaN, +Inf, or
// −Inf where no path reaches that state) is done again by affineCell.
func affineLogDiag[T float32 | float64](c *affCells, buf, a []float64, th, w []T, t, flo, fhi int) {
	n, nw, per := fhi-flo+1, c.terms, c.per
	e := buf[:nw*n]
	mx := buf[nw*n : (nw+3)*n]
	sums := buf[(nw+3)*n : (nw+6)*n]
	aM, aL, aA := a[:per], a[per:2*per], a[2*per:3*per]
	kd := c.base[t-2] + flo - 1
	kl := c.base[t-1] + flo
	ka := kl - 1
	k0 := c.base[t] + flo
	pk, step := 5*(flo*c.mm+t-flo), 5*(c.mm-1)
	local, turns := c.ms != wMM, c.turns
	eMM, eML, eMA := e[wMM*n:wMM*n+n], e[wML*n:wML*n+n], e[c.ma*n:c.ma*n+n]
	eLM, eLL := e[c.lm*n:c.lm*n+n], e[c.ll*n:c.ll*n+n]
	eAM, eAA := e[c.am*n:c.am*n+n], e[c.aa*n:c.aa*n+n]
	var eMS, eLA, eAL []float64
	if local {
		eMS = e[c.ms*n : c.ms*n+n]
	}
	if turns {
		eLA, eAL = e[c.la*n:c.la*n+n], e[c.al*n:c.al*n+n]
	}
	mxM, mxL, mxA := mx[:n], mx[n:2*n], mx[2*n:3*n]
	dM, dL, dA := aM[kd:kd+n], aL[kd:kd+n], aA[kd:kd+n]
	lM, lL, lA := aM[kl:kl+n], aL[kl:kl+n], aA[kl:kl+n]
	uM, uL, uA := aM[ka:ka+n], aL[ka:ka+n], aA[ka:ka+n]
	bad := false
	for q := range n {
		p := th[pk : pk+5 : pk+5]
		pk += step
		tm, tol, tel, toa, tea := float64(p[Match]), float64(p[OpenLeft]), float64(p[ExtendLeft]), float64(p[OpenAbove]), float64(p[ExtendAbove])
		xm, xl, xa := dM[q], dL[q], dA[q]
		m := max(xm, xl, xa)
		if local {
			m = max(m, 0)
			eMS[q] = -m
		}
		eMM[q], eML[q], eMA[q] = xm-m, xl-m, xa-m
		vm := m + tm
		ym, yl := lM[q]+tol, lL[q]+tel
		var vl float64
		if turns {
			ya := lA[q] + tol
			vl = max(ym, yl, ya)
			eLA[q] = ya - vl
		} else {
			vl = max(ym, yl)
		}
		eLM[q], eLL[q] = ym-vl, yl-vl
		zm, za := uM[q]+toa, uA[q]+tea
		var va float64
		if turns {
			zl := uL[q] + toa
			va = max(zm, za, zl)
			eAL[q] = zl - va
		} else {
			va = max(zm, za)
		}
		eAM[q], eAA[q] = zm-va, za-va
		mxM[q], mxL[q], mxA[q] = vm, vl, va
		if z := vm + vl + va; z-z != 0 {
			bad = true
		}
	}
	fastexp.ExpSlice64(e, e)
	sM, sL, sA := sums[:n], sums[n:2*n], sums[2*n:3*n]
	wper := c.wper
	wMMp, wMLp, wMAp := w[wMM*wper+k0:][:n], w[wML*wper+k0:][:n], w[c.ma*wper+k0:][:n]
	if local {
		wMSp := w[c.ms*wper+k0:][:n]
		for q := range n {
			s := eMM[q] + eML[q] + eMA[q] + eMS[q]
			if !(s >= 1) {
				s = 1
			}
			inv := 1 / s
			wMMp[q], wMLp[q], wMAp[q], wMSp[q] = T(eMM[q]*inv), T(eML[q]*inv), T(eMA[q]*inv), T(eMS[q]*inv)
			sM[q] = s
		}
	} else {
		for q := range n {
			s := eMM[q] + eML[q] + eMA[q]
			if !(s >= 1) {
				s = 1
			}
			inv := 1 / s
			wMMp[q], wMLp[q], wMAp[q] = T(eMM[q]*inv), T(eML[q]*inv), T(eMA[q]*inv)
			sM[q] = s
		}
	}
	affineNorm(eLM, eLL, eLA, w, wper, k0, c.lm, c.ll, c.la, sL)
	affineNorm(eAM, eAA, eAL, w, wper, k0, c.am, c.aa, c.al, sA)
	fastexp.LogSlice64(sums, sums)
	oM, oL, oA := aM[k0:k0+n], aL[k0:k0+n], aA[k0:k0+n]
	for q := range n {
		oM[q], oL[q], oA[q] = mxM[q]+sM[q], mxL[q]+sL[q], mxA[q]+sA[q]
	}
	if bad {
		for q := range n {
			if z := mxM[q] + mxL[q] + mxA[q]; z-z != 0 {
				affineCell(c, a, th, w, flo+q, t)
			}
		}
	}
}

// affineNorm is pass 3 of affineLogDiag for a gap state of two or three
// options (x3 nil: two): each sum into s (1 where it is NaN or below 1,
// which only a cell done again has), the weights x / sum into their
// planes p1, p2, p3 of w at k0.
func affineNorm[W float32 | float64](x1, x2, x3 []float64, w []W, per, k0, p1, p2, p3 int, s []float64) {
	n := len(s)
	w1, w2 := w[p1*per+k0:][:n], w[p2*per+k0:][:n]
	x1, x2 = x1[:n], x2[:n]
	if x3 == nil {
		for q := range n {
			z := x1[q] + x2[q]
			if !(z >= 1) {
				z = 1
			}
			inv := 1 / z
			w1[q], w2[q] = W(x1[q]*inv), W(x2[q]*inv)
			s[q] = z
		}
		return
	}
	w3 := w[p3*per+k0:][:n]
	x3 = x3[:n]
	for q := range n {
		z := x1[q] + x2[q] + x3[q]
		if !(z >= 1) {
			z = 1
		}
		inv := 1 / z
		w1[q], w2[q], w3[q] = W(x1[q]*inv), W(x2[q]*inv), W(x3[q]*inv)
		s[q] = z
	}
}

// affTriplets is the potentials of a block of affBlock anti-diagonals, of
// θ's type, as affineLogDiagTurns reads them (logTerms reads either), in
// the grid's skewed order less off (the block's first cell), so that an
// anti-diagonal's lie side by side:
// θ[Match] of cell k at m[k−off], and the potentials of L's and A's three
// options as triplets, (OpenLeft, ExtendLeft, OpenLeft) at l[3(k−off):]
// and (OpenAbove, ExtendAbove, OpenAbove) at u[3(k−off):].
type affTriplets[T float32 | float64] struct {
	m, l, u []T
	off     int
}

// affBlock is the number of anti-diagonals of a block of affTriplets: a
// block reads that many consecutive cells of each row of θ, where
// gathering the cells of one anti-diagonal at a time would touch a line
// and a page of every row each time, which costs more than the passes on
// an item past the caches; and the block's triplets stay in the caches.
const affBlock = 16

// affineTriplets lays the potentials of rows [i0, i1] of anti-diagonals
// [t0, t0+affBlock) of an item out as affTriplets in buf
// (7·affBlock·min(N, M)).
func affineTriplets[T float32 | float64](c *affCells, th, buf []T, t0, i0, i1 int) affTriplets[T] {
	first := c.first
	t1 := min(t0+affBlock, len(c.base))
	end := c.per
	if t1 < len(c.base) {
		end = first(t1)
	}
	off := first(t0)
	cnt := end - off
	tr := affTriplets[T]{m: buf[:cnt], l: buf[cnt : 4*cnt], u: buf[4*cnt : 7*cnt], off: off}
	// A group of affGroup rows at a time, anti-diagonal by anti-diagonal
	// in it: the group's rows of the block stay in the first-level cache
	// and the triplets are written in runs (row by row, each cell's would
	// lie an anti-diagonal from the last one's).
	for g0 := i0; g0 <= i1; g0 += affGroup {
		g1 := min(g0+affGroup-1, i1)
		for t := t0; t < t1; t++ {
			lo, hi := c.diag(t)
			lo, hi = max(lo, g0), min(hi, g1)
			k := c.base[t] + lo - tr.off
			for i := lo; i <= hi; i++ {
				p := th[5*(i*c.mm+t-i) : 5*(i*c.mm+t-i)+5 : 5*(i*c.mm+t-i)+5]
				ol, oa := p[OpenLeft], p[OpenAbove]
				tr.m[k] = p[Match]
				x := tr.l[3*k : 3*k+3 : 3*k+3]
				x[0], x[1], x[2] = ol, p[ExtendLeft], ol
				x = tr.u[3*k : 3*k+3 : 3*k+3]
				x[0], x[1], x[2] = oa, p[ExtendAbove], oa
				k++
			}
		}
	}
	return tr
}

// affGroup is the number of rows affineTriplets lays out at a time.
const affGroup = 16

// affZeros is M's potentials for logTerms: M's options all read
// θ[Match], which is added after (see affineLogDiagTurns).
var affZeros [3]float64

// affineLogDiagTurns is affineLogDiag for a model with turns, whose three
// states each sum three options (four for M in local mode) as a linear
// cell sums its moves: each state's terms go through the linear passes'
// kernels (logTerms, logNorm, addTo of cells_simd.go, on vectors where the
// processor has them), with the potentials of tr: M's terms are its
// sources alone (the diagonal sources M, L, A in the places of left,
// diagonal, above; in local mode the start, 0, third), θ[Match] added to
// the sum; L's the sources on the left M, L, A with OpenLeft, ExtendLeft,
// OpenLeft, and A's the sources above M, A, L with OpenAbove, ExtendAbove,
// OpenAbove.
func affineLogDiagTurns[T float32 | float64](c *affCells, buf, a []float64, th []T, tr *affTriplets[T], w []T, t, flo, fhi int) {
	n, per := fhi-flo+1, c.per
	ntM := c.ma + 1
	nw := ntM + 6
	e := buf[:nw*n]
	eM, eL, eA := e[:ntM*n], e[ntM*n:(ntM+3)*n], e[(ntM+3)*n:]
	mx := buf[nw*n : (nw+3)*n]
	sums := buf[(nw+3)*n : (nw+6)*n]
	tp := buf[(nw+6)*n : (nw+9)*n]
	aM, aL, aA := a[:per], a[per:2*per], a[2*per:3*per]
	kd := c.base[t-2] + flo - 1
	kl := c.base[t-1] + flo
	ka := kl - 1
	k0 := c.base[t] + flo
	mxM, mxL, mxA := mx[:n], mx[n:2*n], mx[2*n:3*n]
	bad := logTerms(ntM, aM[kd:kd+n], aA[kd:kd+n], aL[kd:kd+n], affZeros[:], 0, 0, tp, eM, mxM)
	kt := k0 - tr.off
	bad = logTerms(3, aM[kl:kl+n], aA[kl:kl+n], aL[kl:kl+n], tr.l, 3*kt, 3, tp, eL, mxL) || bad
	bad = logTerms(3, aM[ka:ka+n], aL[ka:ka+n], aA[ka:ka+n], tr.u, 3*kt, 3, tp, eA, mxA) || bad
	fastexp.Shift64(e, 0)
	if _, ok := any(w).([]float64); ok || ntM != 3 || cellsISA == isaAVX512 {
		affLogNorm(ntM, eM, w[wMM*c.wper+k0:], c.wper, sums[:n])
		affLogNorm(3, eL, w[c.lm*c.wper+k0:], c.wper, sums[n:2*n])
		affLogNorm(3, eA, w[c.am*c.wper+k0:], c.wper, sums[2*n:])
	} else {
		affNorm9(e, w[k0:], c.wper, sums)
	}
	fastexp.LogSums(sums)
	oM, sM, tm := aM[k0:k0+n], sums[:n], tr.m[kt:kt+n]
	var z float64
	for q := range oM {
		v := mxM[q] + sM[q] + float64(tm[q])
		oM[q] = v
		z += v
	}
	addTo(aL[k0:k0+n], mxL, sums[n:2*n])
	addTo(aA[k0:k0+n], mxA, sums[2*n:])
	if bad || z-z != 0 {
		// A state whose largest term is not finite, or M's θ[Match]
		// (NaN, ±Inf): those cells one by one.
		for q := range n {
			if z := oM[q] + mxL[q] + mxA[q]; z-z != 0 {
				affineCell(c, a, th, w, flo+q, t)
			}
		}
	}
}

// affineBig reports whether an item is larger than the caches
// (copyStrips' measure): then the passes ask for the runs of α, its
// gradient and the weights of an anti-diagonal two ahead
// (affinePrefetch), twelve streams at once, more than the hardware
// prefetcher keeps up with (measured: without, the forward of 16×512×512
// float32 took about a tenth more processor time), and for the rows of θ
// and its gradient that the blocks read and write (affinePrefetchRows).
func affineBig[T float32 | float64](c *affCells) bool {
	var z T
	return 3*c.LenX*c.mm*int(unsafe.Sizeof(z)) > stripCopyBytes
}

// affinePrefetch asks for the runs of rows [i0, i1] of anti-diagonal t
// in the three planes of a (α or its gradient) and the planes of w (nil:
// none), to be written or read.
func affinePrefetch[W float32 | float64](c *affCells, a []float64, w []W, t, i0, i1 int, write bool) {
	if t < 0 || t >= len(c.base) {
		return
	}
	lo, hi := c.diag(t)
	lo, hi = max(lo, i0), min(hi, i1)
	if lo > hi {
		return
	}
	k, n := c.base[t]+lo, hi-lo+1
	for s := range 3 {
		prefetch(a, s*c.per+k, n, write)
	}
	if w != nil {
		for u := range c.terms {
			prefetchOf(w, u*c.wper+k, n, write)
		}
	}
}

// weightsAs returns the weights buffer w as elements of T: the weights of
// float32 potentials are kept in float32, half the memory the passes
// write and read (the gradient is rounded to float32 anyway), in the
// first half of w.
func weightsAs[T float32 | float64](w []float64) []T {
	var z T
	if len(w) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&w[0])), len(w)*8/int(unsafe.Sizeof(z)))
}

// affLogNorm is logNorm (cells_simd.go) into weights of either type: the
// vector kernels for float64; for float32 the AVX-512 kernel of three
// terms (affNorm3F32AVX512) where the processor has it, else a loop of
// the same arithmetic.
func affLogNorm[W float32 | float64](nt int, e []float64, w []W, per int, sums []float64) {
	if w64, ok := any(w).([]float64); ok {
		logNorm(nt, e, w64, per, sums)
		return
	}
	n := len(sums)
	if n == 0 {
		return
	}
	if nt == 3 {
		q := 0
		if w32, ok := any(w).([]float32); ok && cellsISA == isaAVX512 {
			// 16 cells a step on vectors, the rest in Go.
			q = n &^ 15
			_, _ = e[3*n-1], w32[2*per+n-1]
			if q > 0 {
				affNorm3F32AVX512(q, n, &e[0], &w32[0], per, &sums[0])
			}
		}
		affineNorm(e[q:n], e[n+q:2*n], e[2*n+q:3*n], w[q:], per, 0, 0, 1, 2, sums[q:])
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
		wl[q], wd[q], ws[q], wa[q] = W(el[q]*inv), W(ed[q]*inv), W(es[q]*inv), W(ea[q]*inv)
		sums[q] = s
	}
}

// prefetchOf is prefetch (cells_simd.go) for a slice of either type.
func prefetchOf[W float32 | float64](x []W, k, n int, write bool) {
	k, e := max(k, 0), min(k+n, len(x))
	if cellsISA == isaGo || k >= e {
		return
	}
	var z W
	prefetchAMD64((*byte)(unsafe.Pointer(&x[k])), (e-k)*int(unsafe.Sizeof(z)), write)
}

// affinePrefetchRows asks for part (of affBlock) of rows [i0, i1] of x
// (θ or its gradient, 5 a cell, row-major) in the cells of the block of
// anti-diagonals [t0, t0+affBlock): a block reads or writes a few lines of
// every row, a page apart, which the hardware prefetcher does not follow.
func affinePrefetchRows[T float32 | float64](c *affCells, x []T, t0, i0, i1, part int, write bool) {
	h := (i1 - i0 + affBlock) / affBlock
	for i := i0 + part*h; i <= min(i0+(part+1)*h-1, i1); i++ {
		jlo, jhi := c.Cols(i)
		jlo, jhi = max(jlo, t0-i), min(jhi, t0+affBlock-1-i)
		if jlo <= jhi {
			prefetchOf(x, 5*(i*c.mm+jlo), 5*(jhi-jlo+1), write)
		}
	}
}

// affNorm9 is affLogNorm of M's, L's and A's three terms each (e: nine
// planes of n = len(sums)/3, in the order of the nine weight planes, which
// it writes from w[0], per apart) in one loop, for float32 weights where
// the processor has no AVX-512, and Go's scalar divisions would take
// most of three loops' time: one division a cell, each sum's reciprocal
// the product of the other two over it (the sums, each clamped to
// [1, 3], cannot overflow).
func affNorm9[W float32 | float64](e []float64, w []W, per int, sums []float64) {
	n := len(sums) / 3
	if n == 0 {
		return
	}
	e = e[:9*n]
	w = w[:8*per+n]
	sM, sL, sA := sums[:n], sums[n:2*n], sums[2*n:3*n]
	for q := range n {
		m0, m1, m2 := e[q], e[n+q], e[2*n+q]
		l0, l1, l2 := e[3*n+q], e[4*n+q], e[5*n+q]
		a0, a1, a2 := e[6*n+q], e[7*n+q], e[8*n+q]
		zm, zl, za := m0+m1+m2, l0+l1+l2, a0+a1+a2
		if !(zm >= 1) {
			zm = 1
		}
		if !(zl >= 1) {
			zl = 1
		}
		if !(za >= 1) {
			za = 1
		}
		r := 1 / (zm * zl * za)
		im, il, ia := zl*za*r, zm*za*r, zm*zl*r
		w[q], w[per+q], w[2*per+q] = W(m0*im), W(m1*im), W(m2*im)
		w[3*per+q], w[4*per+q], w[5*per+q] = W(l0*il), W(l1*il), W(l2*il)
		w[6*per+q], w[7*per+q], w[8*per+q] = W(a0*ia), W(a1*ia), W(a2*ia)
		sM[q], sL[q], sA[q] = zm, zl, za
	}
}
