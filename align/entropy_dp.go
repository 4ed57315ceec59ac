package align

import (
	"math"

	"github.com/genband/genband/align/internal/lattice"
	"github.com/genband/genband/internal/fastexp"
)

// This file is the expectation semiring's forward and backward pass over
// one item's lattice (see entropy.go for the quantities and the
// formulas). Both are written once against the engine's description, a
// state and an option at a time, so they hold for every model, mode, gap
// and length: a prefix of a path ends in a state of a cell, and it
// entered that state by exactly one option (a start, or a move from a
// state of a neighbouring cell), so the per-cell formulas of entropy.go
// hold per state with "move" read as "option".
//
// The forward pass runs by anti-diagonals (every option steps one row or
// column forward, so the states of one anti-diagonal depend only on
// earlier ones): it gathers the log-sum-exp terms of every option of every
// state of the anti-diagonal, p's and q's, and takes all their exps in one
// fastexp.ExpSlice64 call and all the logs of their sums in one
// fastexp.LogSlice64 call, rather than an exp per term. The backward pass
// takes no exp or log but one exp per end state.

// expLayout says where a cell's forward states keep each state's fields,
// for one topology. A cell's block of p holds, for every state s from
// off[s]: α, the entropy A of the prefixes, and the probability of each
// option into s (in the topology's In order); q's block, with a q, follows
// p's and is laid out alike, with K in place of A.
type expLayout struct {
	top  *lattice.Topology
	off  []int         // off[s]: the first field of state s within a cell's block of p
	pf   int           // the fields of p per cell
	toff []int         // toff[s]: the first option of state s among a cell's options
	nt   int           // the options into a cell's states
	in   [][]expOption // in[s]: the options into s, in the topology's order
	out  [][]expOption // out[s]: the options that leave s
}

// An expOption is an option of the topology in the terms the passes use:
// the neighbour it joins (nb: 0 for a start, else expNeighbour of its
// step), the channel it scores, the offset of the state it leaves (from)
// or enters (to) and the field of its probability in the entered state's
// cell.
type expOption struct {
	nb, ch   int
	from, to int
	w        int
	state    int // the state it enters
}

// expNeighbour numbers a step (di, dj) of 0 or 1 each: 0 is the cell
// itself (a start), 1 the left neighbour, 2 the one above, 3 the diagonal.
func expNeighbour(di, dj int) int { return 2*di + dj }

// The fields of a state, from its offset.
const (
	fAlpha = 0 // α, the log-sum of the scores of the prefixes
	fEnt   = 1 // A (p) or K (q)
	fW     = 2 // fW+o: the probability of option o
)

// maxExpChannels bounds the channels of a cell (the backward pass sums a
// cell's gradient in an array).
const maxExpChannels = 8

func newExpLayout(t *lattice.Topology) *expLayout {
	if t.Channels > maxExpChannels {
		panic("align: the " + t.Name + " model has more channels than the expectation passes keep")
	}
	lay := &expLayout{top: t, off: make([]int, t.States), toff: make([]int, t.States),
		in: make([][]expOption, t.States), out: make([][]expOption, t.States)}
	for s, in := range t.In {
		lay.off[s], lay.toff[s] = lay.pf, lay.nt
		lay.pf += fW + len(in)
		lay.nt += len(in)
	}
	for s, in := range t.In {
		for o, op := range in {
			if op.DI < 0 || op.DI > 1 || op.DJ < 0 || op.DJ > 1 || (!op.Start && op.DI+op.DJ == 0) {
				panic("align: the " + t.Name + " model has a step the expectation passes do not take")
			}
			x := expOption{nb: expNeighbour(op.DI, op.DJ), ch: op.Channel, from: -1, to: lay.off[s], w: lay.off[s] + fW + o, state: s}
			if !op.Start {
				x.from = lay.off[op.From]
				lay.out[op.From] = append(lay.out[op.From], x)
			}
			lay.in[s] = append(lay.in[s], x)
		}
	}
	return lay
}

// expLayouts holds the layout of every model's topology.
var expLayouts = map[*lattice.Topology]*expLayout{
	lattice.Linear:        newExpLayout(lattice.Linear),
	lattice.Affine(false): newExpLayout(lattice.Affine(false)),
	lattice.Affine(true):  newExpLayout(lattice.Affine(true)),
}

// expScratch is the forward pass's buffers for one anti-diagonal: per
// option of every cell, p's then q's, the term less its state's largest
// (d), its exp (ex), and the source's block (pred: the offset of the
// source state in the item's states, −1 for a start, −2 for an option
// that is not open; an int32, as checkSize keeps an item's states within
// MaxElements = 2³¹); per state, p's then q's, the largest term (mx), the sum of
// the exps (sum) and its log (lsum); per row of the item, its columns
// (l.Cols) and its starts (l.StartCols), looked up for every cell.
type expScratch struct {
	d, ex         []float64
	pred          []int32
	mx, sum, lsum []float64
	rows          [][4]int
}

// newExpScratch returns the scratch of an item with the given rows and
// longest anti-diagonal.
func newExpScratch(lay *expLayout, rows, cells int) *expScratch {
	nt, ns := cells*lay.nt, cells*lay.top.States
	return &expScratch{
		d: make([]float64, 2*nt), ex: make([]float64, 2*nt), pred: make([]int32, nt),
		mx: make([]float64, 2*ns), sum: make([]float64, 2*ns), lsum: make([]float64, 2*ns),
		rows: make([][4]int, rows),
	}
}

// diagonalRows returns the rows ilo … ihi of the cells (i, d−i) of
// anti-diagonal d within l's lengths and band (empty when ilo > ihi).
func diagonalRows(l *lattice.Lattice, d int) (ilo, ihi int) {
	ilo, ihi = max(0, d-(l.LenY-1)), min(l.LenX-1, d)
	// Lo ≤ j − i = d − 2i ≤ Hi.
	ilo = max(ilo, ceilHalf(d-l.Hi))
	ihi = min(ihi, floorHalf(d-l.Lo))
	return ilo, ihi
}

// rowCols is l.Cols(i), and an empty range (lo > hi) for a row outside
// the item: a neighbour (i', j) of a valid cell is valid just when j lies
// within rowCols(i').
func rowCols(l *lattice.Lattice, i int) (lo, hi int) {
	if i < 0 || i >= l.LenX {
		return 1, 0
	}
	return l.Cols(i)
}

func floorHalf(x int) int { return x >> 1 }
func ceilHalf(x int) int  { return -(-x >> 1) }

// expForward runs the forward pass of one item over the lattice l: st is
// the item's states (cells of width mm, then the totals), tp and tq the
// item's potentials (tq nil for the entropy), sc scratch for the item's
// rows and longest anti-diagonal. States of cells outside the lattice are neither read nor
// written. NaN and +Inf potentials take their IEEE course (the eager
// functions refuse them first, with checkFinite).
func expForward[T float32 | float64](lay *expLayout, l *lattice.Lattice, mm int, tp, tq []T, st []float64, sc *expScratch) {
	top := lay.top
	withQ := tq != nil
	S, C, nt, pf := top.States, top.Channels, lay.nt, lay.pf
	F := pf
	if withQ {
		F = 2 * pf
	}
	ninf := math.Inf(-1)
	rows := sc.rows[:l.LenX]
	for i := range rows {
		r := &rows[i]
		r[0], r[1] = l.Cols(i)
		r[2], r[3] = l.StartCols(i)
	}
	for d := 0; d <= l.LenX+l.LenY-2; d++ {
		ilo, ihi := diagonalRows(l, d)
		if ilo > ihi {
			continue
		}
		nc := ihi - ilo + 1
		// q's terms and states follow p's in the buffers.
		qt, qs := nc*nt, nc*S
		dd, ex, pred := sc.d[:2*qt], sc.ex[:2*qt], sc.pred[:qt]
		mx, sum, lsum := sc.mx[:2*qs], sc.sum[:2*qs], sc.lsum[:2*qs]
		for k := range nc {
			i := ilo + k
			j := d - i
			cell := i*mm + j
			thp := tp[cell*C : cell*C+C]
			var thq []T
			if withQ {
				thq = tq[cell*C : cell*C+C]
			}
			// Which options are open here (a start, or a move from a
			// neighbour within the lattice), and where the neighbours'
			// states are.
			var open [4]bool
			var at [4]int
			r := &rows[i]
			alo, ahi := 1, 0 // the row above, empty above row 0
			if i > 0 {
				alo, ahi = rows[i-1][0], rows[i-1][1]
			}
			open[0] = r[2] <= j && j <= r[3]
			open[1], at[1] = j > r[0], (cell-1)*F
			open[2], at[2] = alo <= j && j <= ahi, (cell-mm)*F
			open[3], at[3] = alo < j && j <= ahi+1, (cell-mm-1)*F
			for s, in := range lay.in {
				tb := k*nt + lay.toff[s]
				mp, mq := ninf, ninf
				for o := range in {
					op := &in[o]
					x := tb + o
					pr, tP, tQ := int32(-2), ninf, ninf
					if open[op.nb] {
						pr, tP = -1, float64(thp[op.ch])
						if withQ {
							tQ = float64(thq[op.ch])
						}
						if op.from >= 0 {
							b := at[op.nb] + op.from
							pr = int32(b)
							tP += st[b+fAlpha]
							if withQ {
								tQ += st[b+pf+fAlpha]
							}
						}
					}
					pred[x], dd[x], dd[qt+x] = pr, tP, tQ
					mp, mq = max(mp, tP), max(mq, tQ)
				}
				mx[k*S+s], mx[qs+k*S+s] = mp, mq
				// A largest term that is not finite leaves the terms as
				// they are (the finish below takes them one by one).
				if !math.IsInf(mp, 0) && mp == mp {
					for x := tb; x < tb+len(in); x++ {
						dd[x] -= mp
					}
				}
				if withQ && !math.IsInf(mq, 0) && mq == mq {
					for x := qt + tb; x < qt+tb+len(in); x++ {
						dd[x] -= mq
					}
				}
			}
		}
		nq := 1
		if withQ {
			nq = 2
		}
		fastexp.ExpSlice64(ex[:nq*qt], dd[:nq*qt])
		for k := range nc {
			for s, in := range lay.in {
				tb := k*nt + lay.toff[s]
				for h := range nq {
					var z float64
					for _, e := range ex[h*qt+tb : h*qt+tb+len(in)] {
						z += e
					}
					sum[h*qs+k*S+s] = z
				}
			}
		}
		fastexp.LogSlice64(lsum[:nq*qs], sum[:nq*qs])
		for k := range nc {
			i := ilo + k
			cs := st[(i*mm+d-i)*F:]
			for s, in := range lay.in {
				tb := k*nt + lay.toff[s]
				n := len(in)
				ps := cs[lay.off[s]:]
				// The probabilities w of the options and α; log w is the
				// term less the shift.
				w := ps[fW : fW+n]
				shift := expWeights(dd[tb:tb+n], ex[tb:tb+n], mx[k*S+s], sum[k*S+s], lsum[k*S+s], w, &ps[fAlpha])
				// A = Σ w (A(source) − log w); an option of weight 0 adds
				// nothing (its log is −Inf).
				var ent float64
				for o, wo := range w {
					if wo > 0 {
						a := 0.0
						if b := pred[tb+o]; b >= 0 {
							a = st[int(b)+fEnt]
						}
						ent += wo * (a - (dd[tb+o] - shift))
					}
				}
				ps[fEnt] = ent
				if !withQ {
					continue
				}
				qv := ps[pf:]
				mq := mx[qs+k*S+s]
				shiftQ := expWeights(dd[qt+tb:qt+tb+n], ex[qt+tb:qt+tb+n], mq, sum[qs+k*S+s], lsum[qs+k*S+s], qv[fW:fW+n], &qv[fAlpha])
				// K = Σ w (K(source) + log w − log v). An option that q
				// forbids (its term −Inf) and p takes makes K +Inf, also
				// where q reaches the state by no option at all.
				var kl float64
				for o, wo := range w {
					if wo > 0 {
						if mq == ninf || dd[qt+tb+o] == ninf {
							kl = math.Inf(1)
							break
						}
						kk := 0.0
						if b := pred[tb+o]; b >= 0 {
							kk = st[int(b)+pf+fEnt]
						}
						kl += wo * (kk + (dd[tb+o] - shift) - (dd[qt+tb+o] - shiftQ))
					}
				}
				qv[fEnt] = kl
			}
		}
	}
	tot := st[len(st)-totals:]
	expTotals(lay, l, mm, st, F, withQ, tot)
}

// expWeights sets w to the probabilities of a state's terms and *alpha
// to their log-sum-exp, and returns the shift that the logs of the
// probabilities are the terms less: log w_o = d_o − shift. d holds the
// terms less their largest m, ex their exps, z the exps' sum and lz its
// log — or, where m is not finite, the terms themselves (see
// expWeightsIEEE).
func expWeights(d, ex []float64, m, z, lz float64, w []float64, alpha *float64) float64 {
	if !(m > math.Inf(-1) && m < math.Inf(1)) {
		*alpha = expWeightsIEEE(d, m, w)
		return *alpha
	}
	inv := 1 / z
	for o := range w {
		w[o] = ex[o] * inv
	}
	*alpha = m + lz
	return lz
}

// expWeightsIEEE is expWeights where the largest term m is not finite:
// then all are −Inf (α −Inf, every w 0) or some is +Inf or NaN, and the
// weights follow IEEE arithmetic term by term (a NaN makes α NaN; a +Inf
// term gets weight 1 and α +Inf, so that the entropy comes out NaN). It
// returns α.
func expWeightsIEEE(t []float64, m float64, w []float64) float64 {
	if m == math.Inf(-1) {
		clear(w)
		return m
	}
	var z float64
	for o, x := range t {
		w[o] = 0
		switch {
		case x == m:
			w[o] = 1
		case x > math.Inf(-1):
			w[o] = fastexp.Exp64(x - m)
		}
		z += w[o]
	}
	inv := 1 / z
	for o := range w {
		w[o] *= inv
	}
	return m + math.Log(z)
}

// expTotals sets the totals of an item from the states of its end
// states: log Z_p and H, and with q log Z_q and KL.
func expTotals(lay *expLayout, l *lattice.Lattice, mm int, st []float64, F int, withQ bool, tot []float64) {
	ninf := math.Inf(-1)
	at := func(s, i, j int) []float64 { c := (i*mm + j) * F; return st[c+lay.off[s] : c+F] }
	pf := lay.pf
	lse := func(off int) float64 {
		m := ninf
		l.Ends(func(s, i, j int) { m = max(m, at(s, i, j)[off]) })
		if math.IsInf(m, 0) || m != m {
			return m
		}
		var sum float64
		l.Ends(func(s, i, j int) { sum += fastexp.Exp64(at(s, i, j)[off] - m) })
		return m + math.Log(sum)
	}
	z := lse(fAlpha)
	zq := ninf
	if withQ {
		zq = lse(pf + fAlpha)
	}
	tot[tZp], tot[tZq] = z, zq
	if !(z > ninf && z < math.Inf(1)) {
		// No path has a finite score (the distribution is not defined),
		// or a NaN or +Inf potential that a path reads made log Z NaN or
		// +Inf: the item is NaN. (The weights below would be NaN, which
		// the test om > 0 skips, and leave H at 0.)
		tot[tH], tot[tKL] = math.NaN(), math.NaN()
		return
	}
	var h, kl float64
	l.Ends(func(s, i, j int) {
		v := at(s, i, j)
		lw := v[fAlpha] - z
		if om := fastexp.Exp64(lw); om > 0 {
			h += om * (v[fEnt] - lw)
			if withQ {
				if v[pf+fAlpha] == ninf {
					// q gives no weight to the paths that end here (and,
					// with zq −Inf, q is not a distribution: NaN below).
					kl = math.Inf(1)
				} else {
					kl += om * (v[pf+fEnt] + lw - (v[pf+fAlpha] - zq))
				}
			}
		}
	})
	if withQ && !(zq > ninf && zq < math.Inf(1)) {
		kl = math.NaN() // q has no path, so no distribution, or a NaN or +Inf potential
	}
	tot[tH], tot[tKL] = h, kl
}

// The values the backward pass keeps per state, in rows of cells.
const (
	bGammaP = iota // γ_p, the probability that a path of p visits the state
	bT             // T = γ_p (B − log γ_p), B the entropy of the suffixes
	bU             // U, the like quantity for KL
	bGammaQ        // γ_q
	bFields
)

// expBackward adds the gradient of one item's quantity with respect to θp
// (wrtQ false) or θq, times d, to g (the item's gradient, zero where the
// lattice has no cell). st holds the item's forward states; rows is
// scratch of 2·bFields·States·mm float64.
func expBackward[T float32 | float64](e *expectation, l *lattice.Lattice, tp, tq []T, st []float64, d float64, wrtQ bool, rows []float64, g []T) {
	lay := e.lay
	S, C, pf, mm := lay.top.States, lay.top.Channels, lay.pf, e.mm
	withQ := tq != nil
	F := e.fields()
	tot := st[len(st)-totals:]
	zp, h, zq, kl := tot[tZp], tot[tH], tot[tZq], tot[tKL]
	if math.IsInf(zp, -1) || (withQ && math.IsInf(zq, -1)) {
		return // no path under p or q: the value is NaN, the gradient 0
	}
	// Coefficients of ∂H and ∂KL in the quantity.
	ch, ck := 1.0, 0.0
	switch e.div {
	case divKL:
		ch, ck = 0, 1
	case divCrossEntropy:
		ch, ck = 1, 1
	}
	if ck != 0 && !wrtQ && math.IsInf(kl, 1) {
		// q gives no weight to paths that p does, and keeps giving none
		// as θp moves: the value is +Inf all around, and its gradient
		// with respect to θp is NaN wherever a path may read θp.
		nan := T(math.NaN())
		for i := range l.LenX {
			jlo, jhi := l.Cols(i)
			for j := jlo; j <= jhi; j++ {
				for c := range C {
					if l.Used(i, j, c) {
						g[(i*mm+j)*C+c] += nan
					}
				}
			}
		}
		return
	}
	rowLen := bFields * S * mm
	for i := l.LenX - 1; i >= 0; i-- {
		// rows holds row i's states and row i+1's, by the parity of i.
		cur, next := (i&1)*rowLen, ((i+1)&1)*rowLen
		jlo, jhi := l.Cols(i)
		alo, ahi := rowCols(l, i-1)
		blo, bhi := rowCols(l, i+1)
		slo, shi := l.StartCols(i)
		elo, ehi := l.EndCols(i)
		for j := jhi; j >= jlo; j-- {
			cell := i*mm + j
			cs := st[cell*F : cell*F+F]
			end := elo <= j && j <= ehi
			// The neighbours an option leaves (sources: a start, the
			// left, above, the diagonal) or enters (successors: the
			// right, below, the diagonal below), and where their states
			// and their backward rows are.
			var src, succ [4]bool
			var srcAt, succCell, succRow [4]int
			src[0] = slo <= j && j <= shi
			src[1], srcAt[1] = j > jlo, (cell-1)*F
			src[2], srcAt[2] = alo <= j && j <= ahi, (cell-mm)*F
			src[3], srcAt[3] = alo < j && j <= ahi+1, (cell-mm-1)*F
			succ[1], succCell[1], succRow[1] = j < jhi, cell+1, cur+(j+1)*S*bFields
			succ[2], succCell[2], succRow[2] = blo <= j && j <= bhi, cell+mm, next+j*S*bFields
			succ[3], succCell[3], succRow[3] = blo <= j+1 && j < bhi, cell+mm+1, next+(j+1)*S*bFields
			var acc [maxExpChannels]float64
			for s, in := range lay.in {
				o := lay.off[s]
				alpha := cs[o+fAlpha]
				var gp, tt, uu, gq float64
				if end && alpha > math.Inf(-1) {
					lw := alpha - zp
					om := fastexp.Exp64(lw)
					gp = om
					if om > 0 {
						tt = -om * lw
						if withQ {
							uu = om * (lw - (cs[pf+o+fAlpha] - zq))
						}
					}
				}
				// q's paths may end where p's cannot, and the reverse.
				if wrtQ && end {
					gq = fastexp.Exp64(cs[pf+o+fAlpha] - zq)
				}
				// The options that leave s for a later cell.
				outs := lay.out[s]
				for k := range outs {
					op := &outs[k]
					nb := op.nb & 3
					if !succ[nb] {
						continue
					}
					scell := succCell[nb]
					ss := st[scell*F : scell*F+F]
					sr := rows[succRow[nb]+op.state*bFields:]
					sr = sr[:bFields]
					w := ss[op.w]
					if wrtQ {
						gq += sr[bGammaQ] * ss[pf+op.w]
					}
					gs := sr[bGammaP]
					// A successor that no path of p visits adds nothing,
					// and its K may be +Inf (q forbids prefixes that p's
					// paths never complete) even where KL is finite.
					if w == 0 || gs == 0 {
						continue
					}
					gp += gs * w
					if wrtQ {
						continue
					}
					x := alpha + float64(tp[scell*C+op.ch]) - ss[op.to+fAlpha]
					tt += w * (sr[bT] - gs*x)
					if withQ {
						y := cs[pf+o+fAlpha] + float64(tq[scell*C+op.ch]) - ss[pf+op.to+fAlpha]
						uu += w * (sr[bU] + gs*(x-y))
					}
				}
				r := rows[cur+(j*S+s)*bFields : cur+(j*S+s+1)*bFields]
				r[bGammaP], r[bT], r[bU], r[bGammaQ] = gp, tt, uu, gq
				// The gradient of the potentials the options into s read.
				for k := range in {
					op := &in[k]
					nb := op.nb & 3
					if !src[nb] {
						continue
					}
					var pa, pk, pAlpha, pAlphaQ float64 // of the source state
					if op.from >= 0 {
						ps := st[srcAt[nb]+op.from:]
						pAlpha, pa = ps[fAlpha], ps[fEnt]
						if withQ {
							pAlphaQ, pk = ps[pf+fAlpha], ps[pf+fEnt]
						}
					}
					w := cs[op.w]
					if wrtQ {
						// A state that no path of p or q visits adds
						// nothing, also where its weights are NaN (an
						// open option no path takes may read a NaN).
						if gq != 0 || gp != 0 {
							acc[op.ch] += d * (gq*cs[pf+op.w] - gp*w)
						}
						continue
					}
					if w == 0 || gp == 0 {
						continue // no path of p takes this option
					}
					x := pAlpha + float64(tp[cell*C+op.ch]) - alpha
					var v float64
					if ch != 0 {
						v += ch * w * (tt - gp*(x-pa+h))
					}
					if ck != 0 {
						y := pAlphaQ + float64(tq[cell*C+op.ch]) - cs[pf+o+fAlpha]
						v += ck * w * (uu + gp*(pk+x-y-kl))
					}
					acc[op.ch] += d * v
				}
			}
			gc := g[cell*C : cell*C+C]
			for c := range gc {
				gc[c] += T(acc[c])
			}
		}
	}
}
