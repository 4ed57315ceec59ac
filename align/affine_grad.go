package align

import (
	"math"
)

// The affine model's gradient on the CPU (see affine.go). Each state's
// gradient γ is its α's gradient plus what its successors pass back:
//
//	γM(i, j) = dαM + γM(i+1, j+1)·wMM(i+1, j+1) + γL(i, j+1)·wLM(i, j+1) + γA(i+1, j)·wAM(i+1, j)
//	γL(i, j) = dαL + γM(i+1, j+1)·wML(i+1, j+1) + γL(i, j+1)·wLL(i, j+1) + γA(i+1, j)·wAL(i+1, j)
//	γA(i, j) = dαA + γM(i+1, j+1)·wMA(i+1, j+1) + γL(i, j+1)·wLA(i, j+1) + γA(i+1, j)·wAA(i+1, j)
//
// over the successors in the lattice (without turns, wAL and wLA are
// absent), with the weights of the forward (Log, Max) or, under Real, the
// successor's potential in place of the weight. The gradient of a
// potential is the γ of the state that reads it times the weights of its
// options: Match's γM·(wMM + wML + wMA + the start's), OpenLeft's
// γL·(wLM + wLA), ExtendLeft's γL·wLL, and likewise above; under Real γ
// times the sum of the options' sources' α (1 for a start).
//
// The cells run anti-diagonal by anti-diagonal in reverse, keeping γ of
// three anti-diagonals. The cells whose three successors lie in the
// lattice take a loop without tests; the others, and every cell once a γ
// is not finite, go one by one (affineGradCell) with the linear cells'
// rules of the special values: a successor whose γ is 0 passes nothing
// back, nor does a state no path reaches (α = −Inf), whatever its γ; the
// gradient of a potential no option of the cell reads is 0.

// affineBackward is cellsBackward for an affine grid: the gradient of θ
// into dth (written whole, whatever it holds on entry) from the gradient
// da of α and the forward's α and weights w. Items run in parallel.
func affineBackward[T float32 | float64](g *grid, dth, th []T, alpha, da []float64, lx, ly []int, w64 []float64) {
	w := weightsAs[T](w64)
	per, nw := g.n*g.mm, g.terms()
	if g.m.Semiring == Real {
		nw = 0
	}
	forItems(g.batch, per*24, func(b int) {
		c := g.affCells(lx[b], ly[b])
		d := dth[b*5*per : (b+1)*5*per]
		// Every potential outside the item's lattice has gradient 0.
		clear(d[5*c.LenX*c.mm:])
		for i := range c.LenX {
			row := d[5*i*c.mm : 5*(i+1)*c.mm]
			if jlo, jhi := c.Cols(i); jlo > jhi {
				clear(row)
			} else {
				clear(row[:5*jlo])
				clear(row[5*(jhi+1):])
			}
		}
		p := th[b*5*per : (b+1)*5*per]
		if c.sr == Real {
			// Real's gradient reads θ (Log's and Max's, the weights).
			p = affineTheta(g, b, lx[b], ly[b], th)
		}
		affineGrad(&c, d, p, alpha[b*3*per:(b+1)*3*per], da[b*3*per:(b+1)*3*per],
			w[b*nw*per:(b+1)*nw*per])
	})
}

// affGammas holds γ of the three states for three anti-diagonals: state s
// of row i of anti-diagonal t at r[t%3][s][i].
type affGammas struct {
	r    [3][3][]float64
	zero []float64 // a plane of zeros, an anti-diagonal long
}

func (gs *affGammas) at(t, s, i int) float64 { return gs.r[t%3][s][i] }

// affOut is where affineGrad writes the gradient of an item's
// potentials: into d (row-major, θ's layout) cell by cell, or, on an item
// past the caches, into blk, the cells of a block of affBlock
// anti-diagonals in the grid's skewed order less off, 5 a cell, which
// flush writes into d row by row. (Writing each anti-diagonal's cells
// straight into d touches a line and a page of every row each time.)
type affOut[T float32 | float64] struct {
	d, blk []T
	off    int
}

// at returns the place of cell (i, t−i)'s five gradients and the step to
// the next cell of the anti-diagonal, (i+1, t−i−1).
func (o *affOut[T]) at(c *cells, i, t int) (int, int) {
	if o.blk == nil {
		return 5 * (i*c.mm + t - i), 5 * (c.mm - 1)
	}
	return 5 * (c.base[t] + i - o.off), 5
}

// buf returns the slice at's places are in.
func (o *affOut[T]) buf() []T {
	if o.blk == nil {
		return o.d
	}
	return o.blk
}

// flush writes the block of anti-diagonals [t0, t0+affBlock) into d.
func (o *affOut[T]) flush(c *cells, t0 int) {
	t1 := min(t0+affBlock, len(c.base))
	for i := range c.LenX {
		jlo, jhi := c.Cols(i)
		jlo, jhi = max(jlo, t0-i), min(jhi, t1-1-i)
		for j := jlo; j <= jhi; j++ {
			// Five assignments: copy would call memmove for each cell.
			k := 5 * (c.base[i+j] + i - o.off)
			s, d := o.blk[k:k+5:k+5], o.d[5*(i*c.mm+j):5*(i*c.mm+j)+5:5*(i*c.mm+j)+5]
			d[0], d[1], d[2], d[3], d[4] = s[0], s[1], s[2], s[3], s[4]
		}
	}
}

// first returns the place of the first cell of the grid's anti-diagonal t
// in the skewed order.
func (c *cells) first(t int) int { return c.base[t] + max(0, t-(c.mm-1)) }

// affineGrad is affineBackward for one item.
func affineGrad[T float32 | float64](c *affCells, dth, th []T, a, da []float64, w []T) {
	n := c.LenX
	buf := getScratch(10 * n)
	defer putScratch(buf)
	var gs affGammas
	for k := range 9 {
		gs.r[k/3][k%3] = buf[k*n : (k+1)*n]
	}
	gs.zero = buf[9*n:]
	clear(gs.zero)
	real := c.sr == Real
	careful := false
	big := affineBig[T](c)
	out := affOut[T]{d: dth}
	if big {
		out.blk = getStrip[T](5 * affBlock * min(c.per/c.mm, c.mm))
		defer putStrip(out.blk)
	}
	tmax := c.LenX + c.LenY - 2
	for t := tmax; t >= 0; t-- {
		if big && !real {
			affinePrefetch(c, da, w, t-2, 0, c.LenX-1, false)
		}
		if big && (t == tmax || t%affBlock == affBlock-1) {
			out.off = c.first(t - t%affBlock)
		}
		if big {
			// The rows of θ's gradient that this block's flush writes.
			affinePrefetchRows(c, dth, t-t%affBlock, 0, c.LenX-1, affBlock-1-t%affBlock, true)
		}
		careful = affineGradStep(c, &gs, &out, th, a, da, w, t, careful)
		if big && t%affBlock == 0 {
			out.flush(&c.cells, t)
		}
	}
}

// affineGradStep is affineGrad's work on anti-diagonal t; it returns
// whether the cells from here on go one by one (careful: a γ is not
// finite).
func affineGradStep[T float32 | float64](c *affCells, gs *affGammas, out *affOut[T], th []T, a, da []float64, w []T, t int, careful bool) bool {
	lo, hi := c.diag(t)
	if lo > hi {
		return careful
	}
	s, e := c.pullRows(t, lo, hi)
	if careful || c.sr == Real {
		s, e = hi+1, hi
	}
	fin := true
	for i := lo; i <= hi; i++ {
		if i == s {
			i = e
			continue
		}
		fin = affineGradCell(c, gs, out, th, a, da, w, i, t) && fin
	}
	if s <= e {
		fin = affineGradDiag(c, gs, out, a, da, w, t, s, e) && fin
		if !fin {
			// A γ that is not finite: the potentials of this
			// anti-diagonal again, with every rule, and every cell from
			// here on one by one.
			for i := s; i <= e; i++ {
				affineGradMu(c, gs, out, a, w, i, t)
			}
		}
	}
	return careful || !fin
}

// affineGradDiag is affineGrad's loop over the rows [s, e] of
// anti-diagonal t, whose successors all lie in the lattice (Log and Max).
// It reports whether every γ is finite.
func affineGradDiag[T float32 | float64](c *affCells, gs *affGammas, out *affOut[T], a, da []float64, w []T, t, s, e int) bool {
	per, turns := c.per, c.turns
	n := e - s + 1
	k0 := c.base[t] + s
	kd := c.base[t+2] + s + 1 // row i+1 of t+2
	kl := c.base[t+1] + s     // row i of t+1
	ka := kl + 1              // row i+1 of t+1
	pl := func(p, k int) []T { return w[p*c.wper+k:][:n] }
	dMM, dML, dMA := pl(wMM, kd), pl(wML, kd), pl(c.ma, kd)
	lM, lL := pl(c.lm, kl), pl(c.ll, kl)
	uM, uA := pl(c.am, ka), pl(c.aa, ka)
	var lA, uL []T
	if turns {
		lA, uL = pl(c.la, kl), pl(c.al, ka)
	}
	daM, daL, daA := da[k0:][:n], da[per+k0:][:n], da[2*per+k0:][:n]
	g2, g1, g0 := gs.r[(t+2)%3], gs.r[(t+1)%3], gs.r[t%3]
	xM := g2[0][s+1 : s+1+n]
	xL := g1[1][s : s+n]
	xA := g1[2][s+1 : s+1+n]
	oM, oL, oA := g0[0][s:s+n], g0[1][s:s+n], g0[2][s:s+n]
	var z float64
	if w64, ok := any(w).([]float64); ok && turns {
		// Each state's γ as a linear cell's: three successors, each γ
		// times a weight (pull, on vectors where the processor has them).
		pl := func(p, k int) []float64 { return w64[p*c.wper+k:][:n] }
		fin := pull(oM, daM, xM, pl(wMM, kd), xA, pl(c.am, ka), xL, pl(c.lm, kl))
		fin = pull(oL, daL, xM, pl(wML, kd), xA, pl(c.al, ka), xL, pl(c.ll, kl)) && fin
		fin = pull(oA, daA, xM, pl(c.ma, kd), xA, pl(c.aa, ka), xL, pl(c.la, kl)) && fin
		if !fin {
			z = math.NaN()
		}
	} else if w32, ok := any(w).([]float32); ok && turns && cellsISA == isaAVX512 {
		pl := func(p, k int) []float32 { return w32[p*c.wper+k:][:n] }
		fin := affPull32(oM, daM, xM, pl(wMM, kd), xA, pl(c.am, ka), xL, pl(c.lm, kl))
		fin = affPull32(oL, daL, xM, pl(wML, kd), xA, pl(c.al, ka), xL, pl(c.ll, kl)) && fin
		fin = affPull32(oA, daA, xM, pl(c.ma, kd), xA, pl(c.aa, ka), xL, pl(c.la, kl)) && fin
		if !fin {
			z = math.NaN()
		}
	} else if turns && c.ms == wMM {
		// Float32 weights (Go's scalar loop): γ and the potentials'
		// gradient in one pass, which the loops below take again
		// where a γ or a product is not finite.
		wMMp, wMLp, wMAp := pl(wMM, k0), pl(wML, k0), pl(c.ma, k0)
		wLM, wLL, wLA := pl(c.lm, k0), pl(c.ll, k0), pl(c.la, k0)
		wAM, wAA, wAL := pl(c.am, k0), pl(c.aa, k0), pl(c.al, k0)
		pk, step := out.at(&c.cells, s, t)
		dth := out.buf()
		var chk float64
		for q := range n {
			xm, xl, xa := xM[q], xL[q], xA[q]
			gm := daM[q] + xm*float64(dMM[q]) + xl*float64(lM[q]) + xa*float64(uM[q])
			gl := daL[q] + xm*float64(dML[q]) + xl*float64(lL[q]) + xa*float64(uL[q])
			ga := daA[q] + xm*float64(dMA[q]) + xl*float64(lA[q]) + xa*float64(uA[q])
			oM[q], oL[q], oA[q] = gm, gl, ga
			z += gm + gl + ga
			p := dth[pk : pk+5 : pk+5]
			pk += step
			sm := float64(wMMp[q]) + float64(wMLp[q]) + float64(wMAp[q])
			ol, oa := float64(wLM[q])+float64(wLA[q]), float64(wAM[q])+float64(wAL[q])
			vm, vol, vel, voa, vea := gm*sm, gl*ol, gl*float64(wLL[q]), ga*oa, ga*float64(wAA[q])
			chk += vm + vol + vel + voa + vea
			p[Match], p[OpenLeft], p[ExtendLeft], p[OpenAbove], p[ExtendAbove] = T(vm), T(vol), T(vel), T(voa), T(vea)
		}
		if z-z == 0 && chk == chk {
			return true
		}
	} else if turns {
		for q := range n {
			xm, xl, xa := xM[q], xL[q], xA[q]
			gm := daM[q] + xm*float64(dMM[q]) + xl*float64(lM[q]) + xa*float64(uM[q])
			gl := daL[q] + xm*float64(dML[q]) + xl*float64(lL[q]) + xa*float64(uL[q])
			ga := daA[q] + xm*float64(dMA[q]) + xl*float64(lA[q]) + xa*float64(uA[q])
			oM[q], oL[q], oA[q] = gm, gl, ga
			z += gm + gl + ga
		}
	} else {
		for q := range n {
			xm, xl, xa := xM[q], xL[q], xA[q]
			gm := daM[q] + xm*float64(dMM[q]) + xl*float64(lM[q]) + xa*float64(uM[q])
			gl := daL[q] + xm*float64(dML[q]) + xl*float64(lL[q])
			ga := daA[q] + xm*float64(dMA[q]) + xa*float64(uA[q])
			oM[q], oL[q], oA[q] = gm, gl, ga
			z += gm + gl + ga
		}
	}
	if z-z != 0 {
		// A NaN product of a γ of 0 and a weight that is not finite
		// (NaN or +Inf potentials) is left out: those cells again.
		z = 0
		for q := range n {
			if y := oM[q] + oL[q] + oA[q]; y-y != 0 {
				affineGradPull(c, gs, a, da, w, s+q, t)
				y = oM[q] + oL[q] + oA[q]
				z += y - y
			}
		}
		if z != 0 {
			return false
		}
	}
	// The gradients of the potentials, the cells' own weights (an absent
	// option's, in local mode the start's and without turns the turns',
	// from a plane of zeros).
	wMMp, wMLp, wMAp := pl(wMM, k0), pl(wML, k0), pl(c.ma, k0)
	wLM, wLL, wAM, wAA := pl(c.lm, k0), pl(c.ll, k0), pl(c.am, k0), pl(c.aa, k0)
	zero := weightsAs[T](gs.zero)[:n]
	wMS, wLA, wAL := zero, zero, zero
	if c.ms != wMM {
		wMS = pl(c.ms, k0)
	}
	if turns {
		wLA, wAL = pl(c.la, k0), pl(c.al, k0)
	}
	pk0, step := out.at(&c.cells, s, t)
	dth := out.buf()
	for careful := false; ; careful = true {
		var chk float64
		pk := pk0
		for q := range n {
			p := dth[pk : pk+5 : pk+5]
			pk += step
			gm, gl, ga := oM[q], oL[q], oA[q]
			sm := float64(wMMp[q]) + float64(wMLp[q]) + float64(wMAp[q]) + float64(wMS[q])
			ol, oa := float64(wLM[q])+float64(wLA[q]), float64(wAM[q])+float64(wAL[q])
			vm, vol, vel, voa, vea := gm*sm, gl*ol, gl*float64(wLL[q]), ga*oa, ga*float64(wAA[q])
			if careful {
				// 0 times a weight that is not finite: nothing.
				vm, vol, vel = zeroIf(vm, gm), zeroIf(vol, gl), zeroIf(vel, gl)
				voa, vea = zeroIf(voa, ga), zeroIf(vea, ga)
			}
			chk += vm + vol + vel + voa + vea
			p[Match], p[OpenLeft], p[ExtendLeft], p[OpenAbove], p[ExtendAbove] = T(vm), T(vol), T(vel), T(voa), T(vea)
		}
		// Every γ is finite here, so a product that is not is one of a
		// weight that is not (NaN or +Inf potentials), rare enough to
		// take the loop again with the rule.
		if chk == chk || careful {
			return true
		}
	}
}

// zeroIf returns 0 where g is 0, else v.
func zeroIf(v, g float64) float64 {
	if g == 0 {
		return 0
	}
	return v
}

// affineGradPull sets γ of the three states of cell (i, t−i) from its
// gradient da and its successors in the lattice, with the rules of the
// special values (Log and Max: the weights w; Real: th, see
// affineGradCell). It reports whether every γ is finite.
func affineGradPull[W float32 | float64](c *affCells, gs *affGammas, a, da []float64, w []W, i, t int) bool {
	per := c.per
	k := c.base[t] + i
	g := [3]float64{da[k], da[per+k], da[2*per+k]}
	// pull adds γ of state s of the successor (i2, t2) times its
	// option's weight in plane p, for the sources M, L, A of the cell
	// (p < 0: no such option).
	pull := func(t2, i2, s int, p [3]int) {
		if !c.Valid(i2, t2-i2) {
			return
		}
		k2 := c.base[t2] + i2
		x := gs.at(t2, s, i2)
		if x == 0 || (x-x != 0 && math.IsInf(a[s*per+k2], -1)) {
			return
		}
		for src, pp := range p {
			if pp >= 0 {
				g[src] += x * float64(w[pp*c.wper+k2])
			}
		}
	}
	pull(t+2, i+1, 0, [3]int{wMM, wML, c.ma})
	pull(t+1, i, 1, [3]int{c.lm, c.ll, c.la})
	pull(t+1, i+1, 2, [3]int{c.am, c.al, c.aa})
	r := gs.r[t%3]
	r[0][i], r[1][i], r[2][i] = g[0], g[1], g[2]
	z := g[0] + g[1] + g[2]
	return z-z == 0
}

// affineGradCell is γ and the potentials' gradient of cell (i, t−i) one
// by one, in any semiring, with every rule of the special values. It
// reports whether every γ is finite.
func affineGradCell[T float32 | float64](c *affCells, gs *affGammas, out *affOut[T], th []T, a, da []float64, w []T, i, t int) bool {
	var fin bool
	if c.sr == Real {
		fin = affineGradPullReal(c, gs, th, da, i, t)
		affineGradMuReal(c, gs, out, a, i, t)
		return fin
	}
	fin = affineGradPull(c, gs, a, da, w, i, t)
	affineGradMu(c, gs, out, a, w, i, t)
	return fin
}

// affineGradMu writes the gradient of the potentials of cell (i, t−i)
// from γ of its states (Log and Max): 0 from a state whose γ is 0 or,
// where γ is not finite, that no path reaches; else γ times the weights of
// the options the lattice has.
func affineGradMu[T float32 | float64](c *affCells, gs *affGammas, out *affOut[T], a []float64, w []T, i, t int) {
	per, j := c.per, t-i
	k := c.base[t] + i
	pk, _ := out.at(&c.cells, i, t)
	p := out.buf()[pk : pk+5]
	var v [5]float64
	hd, hl, ha := i > 0 && j > 0, j > 0 && j-1-i >= c.Lo, i > 0 && j-i+1 <= c.Hi
	st := c.StartsIn(i, j)
	live := func(s int) (float64, bool) {
		x := gs.at(t, s, i)
		if x == 0 || (x-x != 0 && math.IsInf(a[s*per+k], -1)) {
			return 0, false
		}
		return x, true
	}
	wt := func(pl int) float64 { return float64(w[pl*c.wper+k]) }
	if x, ok := live(0); ok && (hd || st) {
		var sm float64
		if hd {
			sm = wt(wMM) + wt(wML) + wt(c.ma)
			if c.ms != wMM {
				sm += wt(c.ms)
			}
		} else {
			sm = wt(c.ms)
		}
		v[Match] = x * sm
	}
	if x, ok := live(1); ok && hl {
		ol := wt(c.lm)
		if c.turns {
			ol += wt(c.la)
		}
		v[OpenLeft], v[ExtendLeft] = x*ol, x*wt(c.ll)
	}
	if x, ok := live(2); ok && ha {
		oa := wt(c.am)
		if c.turns {
			oa += wt(c.al)
		}
		v[OpenAbove], v[ExtendAbove] = x*oa, x*wt(c.aa)
	}
	for ch := range p {
		p[ch] = T(v[ch])
	}
}

// affineGradPullReal is affineGradPull under Real: a successor's option
// passes back γ times its potential.
func affineGradPullReal[T float32 | float64](c *affCells, gs *affGammas, th []T, da []float64, i, t int) bool {
	per := c.per
	k := c.base[t] + i
	g := [3]float64{da[k], da[per+k], da[2*per+k]}
	pull := func(t2, i2, s int, ch [3]int) {
		j2 := t2 - i2
		if !c.Valid(i2, j2) {
			return
		}
		x := gs.at(t2, s, i2)
		if x == 0 {
			return
		}
		p := th[5*(i2*c.mm+j2) : 5*(i2*c.mm+j2)+5]
		for src, cc := range ch {
			if cc >= 0 {
				g[src] += x * float64(p[cc])
			}
		}
	}
	turnL, turnA := -1, -1
	if c.turns {
		turnL, turnA = OpenLeft, OpenAbove
	}
	pull(t+2, i+1, 0, [3]int{Match, Match, Match})
	pull(t+1, i, 1, [3]int{OpenLeft, ExtendLeft, turnL})
	pull(t+1, i+1, 2, [3]int{OpenAbove, turnA, ExtendAbove})
	r := gs.r[t%3]
	r[0][i], r[1][i], r[2][i] = g[0], g[1], g[2]
	z := g[0] + g[1] + g[2]
	return z-z == 0
}

// affineGradMuReal writes the gradient of the potentials of cell (i, t−i)
// under Real: γ of the state that reads each times the α of its options'
// sources (1 for a start), 0 from a state whose γ is 0.
func affineGradMuReal[T float32 | float64](c *affCells, gs *affGammas, out *affOut[T], a []float64, i, t int) {
	per, j := c.per, t-i
	pk, _ := out.at(&c.cells, i, t)
	p := out.buf()[pk : pk+5]
	var v [5]float64
	if x := gs.at(t, 0, i); x != 0 {
		var src float64
		if i > 0 && j > 0 {
			kd := c.base[t-2] + i - 1
			src = a[kd] + a[per+kd] + a[2*per+kd]
		}
		if c.StartsIn(i, j) {
			src++
		}
		if i > 0 && j > 0 || c.StartsIn(i, j) {
			v[Match] = x * src
		}
	}
	if x := gs.at(t, 1, i); x != 0 && j > 0 && j-1-i >= c.Lo {
		kl := c.base[t-1] + i
		ol := a[kl]
		if c.turns {
			ol += a[2*per+kl]
		}
		v[OpenLeft], v[ExtendLeft] = x*ol, x*a[per+kl]
	}
	if x := gs.at(t, 2, i); x != 0 && i > 0 && j-i+1 <= c.Hi {
		ka := c.base[t-1] + i - 1
		oa := a[ka]
		if c.turns {
			oa += a[per+ka]
		}
		v[OpenAbove], v[ExtendAbove] = x*oa, x*a[2*per+ka]
	}
	for ch := range p {
		p[ch] = T(v[ch])
	}
}

// affPull32 sets g = da + gd·wd + ga·wa + gl·wl for float32 weights, on
// AVX-512 vectors 8 cells a step (pullF32AVX512) where the processor has
// them, in Go the rest; it
// reports whether every γ is finite (where one is not, the caller takes
// those cells again with the rules of the special values).
func affPull32(g, da, gd []float64, wd []float32, ga []float64, wa []float32, gl []float64, wl []float32) bool {
	n := len(g)
	da, gd, wd, ga, wa, gl, wl = da[:n], gd[:n], wd[:n], ga[:n], wa[:n], gl[:n], wl[:n]
	q := 0
	if cellsISA == isaAVX512 {
		q = n &^ 7
	}
	fin := true
	if q > 0 {
		fin = pullF32AVX512(q, &g[0], &da[0], &gd[0], &wd[0], &ga[0], &wa[0], &gl[0], &wl[0])
	}
	var z float64
	for ; q < n; q++ {
		x := da[q] + gd[q]*float64(wd[q]) + ga[q]*float64(wa[q]) + gl[q]*float64(wl[q])
		g[q] = x
		z += x - x
	}
	return fin && z == 0
}
