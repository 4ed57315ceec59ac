package align

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/genband/genband/bandop"
	"github.com/genband/genband/internal/fastexp"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// cellsOp is the forward pass of the Linear strategy: from the potentials
// θ (batch, N, M, 3) and the lengths (batch, 2) it computes α of every
// cell, the ⊕ over the paths from a start to the cell of their scores,
// into a float64 (batch, N, M) value. Cell (i, j) of an item is
//
//	α[i, j] = α[i, j−1] ⊗ θ[i, j, FromLeft]  ⊕  α[i−1, j−1] ⊗ θ[i, j, FromDiag]
//	        ⊕ 1 ⊗ θ[i, j, FromDiag] (where a path may start)  ⊕  α[i−1, j] ⊗ θ[i, j, FromAbove]
//
// over the terms whose source cell lies in the item's lattice (within its
// lengths and gap). A cell outside the lattice holds the semiring's zero
// and is never read, so a potential no path may use, NaN included, has no
// effect. α is float64 (batch, N·M), in the grid's skewed order.
//
// Why one Op rather than a layout of step matrices and a generic
// bandop.Scan: the step matrices hold each potential with the zeros and
// carries of the rotated band around it, four times θ in memory, and
// writing them, reading them back in the scan and adding their gradient
// back into θ cost more than the alignment's own arithmetic. Here θ is read
// where it lies, and the work is in proportion to the cells within the
// lengths.
//
// Log sums take one exp per term and one log per cell, anti-diagonal by
// anti-diagonal: the cells of an anti-diagonal are independent, so their
// exps and logs run in passes over the whole anti-diagonal, which the
// processor overlaps (cell after cell, each would wait on the last). Each
// term's weight in its sum, e^(term − α), is kept for the gradient (w),
// which then takes no exp at all.
type cellsOp struct {
	g  *grid
	dt tensor.Dtype
	// alpha is the output, reused from run to run: α feeds only this
	// package's Ops (endOp, cellsGradOp), which never keep it.
	alpha kept
	// w holds the Log and Max weights of the last run, (batch, N, M,
	// terms) in the skewed order, for the α whose first element is at wAt; cellsGradOp uses
	// them only for that same α.
	w   kept
	wAt *float64
}

func (op *cellsOp) String() string {
	return fmt.Sprintf("align.Cells{%v, θ%v, %v}", op.g.m, op.g.thetaShape(), op.dt)
}
func (op *cellsOp) Arity() int                { return 2 }
func (op *cellsOp) ReturnsPtr() bool          { return false }
func (op *cellsOp) CallsExtern() bool         { return callsExtern }
func (op *cellsOp) OverwritesInput() int      { return -1 }
func (op *cellsOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *cellsOp) Hashcode() uint32          { return hashOf(op) }
func (op *cellsOp) DiffWRT(inputs int) []bool { return []bool{true, false} }

func (op *cellsOp) Type() hm.Type {
	return hm.NewFnType(gorgonia.TensorType{Dims: 4, Of: op.dt}, gorgonia.TensorType{Dims: 2, Of: tensor.Int},
		gorgonia.TensorType{Dims: 2, Of: tensor.Float64})
}

func (op *cellsOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.g.cellsShape(), nil
}

func (op *cellsOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	th, lx, ly, err := op.g.inputs(op.g.op, op.dt, vals)
	if err != nil {
		return nil, err
	}
	out := op.alpha.get(tensor.Float64, op.g.cellsShape())
	alpha := out.Data().([]float64)
	var w []float64
	if op.g.m.Semiring != Real {
		w = op.w.get(tensor.Float64, op.g.weightsShape()).Data().([]float64)
		op.wAt = &alpha[0]
	}
	switch op.dt {
	case tensor.Float32:
		cellsForward(op.g, alpha, th.Data().([]float32), lx, ly, w)
	default:
		cellsForward(op.g, alpha, th.Data().([]float64), lx, ly, w)
	}
	return out, nil
}

// weightsFor returns the weights the last run kept when alpha is the α it
// wrote, else nil.
func (op *cellsOp) weightsFor(alpha []float64) []float64 {
	if op.wAt == nil || op.wAt != &alpha[0] || op.w.t == nil {
		return nil
	}
	return op.w.t.Data().([]float64)
}

func (op *cellsOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	d, err := gorgonia.ApplyOp(&cellsGradOp{fwd: op}, inputs[0], inputs[1], output, grad)
	if err != nil {
		return nil, wrap(op.g.op, err)
	}
	return gorgonia.Nodes{d, nil}, nil
}

// cellsGradOp is the gradient of cellsOp with respect to θ: inputs θ, the
// lengths, α and the gradient of α; output the gradient of θ, a fresh
// value of each run (for a loss Σ log Z it is the caller's marginals). It
// runs the cells in reverse, each passing its gradient back to the cells
// its terms come from in proportion to their weights (Log: e^(term − α),
// Max: 1 for the first maximal term in the order FromLeft, FromDiag, start,
// FromAbove, Real: the other factor of the term).
type cellsGradOp struct{ fwd *cellsOp }

func (op *cellsGradOp) String() string {
	g := op.fwd.g
	return fmt.Sprintf("align.CellsGrad{%v, θ%v, %v}", g.m, g.thetaShape(), op.fwd.dt)
}
func (op *cellsGradOp) Arity() int                { return 4 }
func (op *cellsGradOp) ReturnsPtr() bool          { return false }
func (op *cellsGradOp) CallsExtern() bool         { return callsExtern }
func (op *cellsGradOp) OverwritesInput() int      { return -1 }
func (op *cellsGradOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *cellsGradOp) Hashcode() uint32          { return hashOf(op) }
func (op *cellsGradOp) DiffWRT(inputs int) []bool { return []bool{false, false, false, false} }

func (op *cellsGradOp) Type() hm.Type {
	dt := op.fwd.dt
	return hm.NewFnType(gorgonia.TensorType{Dims: 4, Of: dt}, gorgonia.TensorType{Dims: 2, Of: tensor.Int},
		gorgonia.TensorType{Dims: 2, Of: tensor.Float64}, gorgonia.TensorType{Dims: 2, Of: tensor.Float64},
		gorgonia.TensorType{Dims: 4, Of: dt})
}

func (op *cellsGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.fwd.g.thetaShape(), nil
}

func (op *cellsGradOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, errorf(ErrGraph, op.fwd.g.op, "the gradient of the marginals (a second derivative) is not implemented")
}

func (op *cellsGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	g := op.fwd.g
	if len(vals) != 4 {
		return nil, errorf(ErrValue, g.op, "got %d inputs, want θ, the lengths, α and its gradient", len(vals))
	}
	th, lx, ly, err := g.inputs(g.op, op.fwd.dt, vals)
	if err != nil {
		return nil, err
	}
	alpha, err := g.cellValues(g.op, "α", vals[2])
	if err != nil {
		return nil, err
	}
	dalpha, err := g.cellValues(g.op, "the gradient of α", vals[3])
	if err != nil {
		return nil, err
	}
	w := op.fwd.weightsFor(alpha)
	out := tensor.New(tensor.Of(op.fwd.dt), tensor.WithShape(g.thetaShape()...))
	switch op.fwd.dt {
	case tensor.Float32:
		cellsBackward(g, out.Data().([]float32), th.Data().([]float32), alpha, dalpha, lx, ly, w)
	default:
		cellsBackward(g, out.Data().([]float64), th.Data().([]float64), alpha, dalpha, lx, ly, w)
	}
	return out, nil
}

// cellValues returns the float64 (batch, N·M) data of an Op's input.
func (g *grid) cellValues(op, what string, v gorgonia.Value) ([]float64, error) {
	d, ok := v.(*tensor.Dense)
	if !ok || d.Dtype() != tensor.Float64 || !d.Shape().Eq(g.cellsShape()) {
		return nil, errorf(ErrValue, op, "%s is %v, want float64 of shape %v", what, describe(v), g.cellsShape())
	}
	return contiguous(d).Data().([]float64), nil
}

// terms is the number of terms of a cell's sum that the weights hold:
// FromLeft, FromDiag, the start and FromAbove in local mode; in the other
// modes a cell that may start a path has no FromDiag source, so the start
// shares FromDiag's place.
func (g *grid) terms() int {
	if g.m.Mode == Local {
		return 4
	}
	return 3
}

// The places of the terms in a cell's weights (cells.start is termDiag or
// termStart).
const (
	termLeft  = 0
	termDiag  = 1
	termStart = 2 // local mode only
)

// cells is one item's lattice as the cell loops walk it, anti-diagonal by
// anti-diagonal: base is the grid's skew, mm θ's row length, terms the
// weights a cell, start and abov the places of the start and FromAbove
// terms.
type cells struct {
	lattice
	base                   []int
	mm, terms, start, abov int
}

func (g *grid) cells(lx, ly int) cells {
	c := cells{lattice: g.m.lattice(lx, ly), base: g.base, mm: g.mm, terms: g.terms(), start: termDiag, abov: 2}
	if c.terms == 4 {
		c.start, c.abov = termStart, 3
	}
	return c
}

// diag returns the rows [lo, hi] of the cells of anti-diagonal i+j = t
// (none when lo > hi).
func (c *cells) diag(t int) (lo, hi int) {
	// 0 ≤ i < lenX, 0 ≤ t−i < lenY, c.lo ≤ t−2i ≤ c.hi.
	lo = max(0, t-(c.lenY-1), (t-c.hi+1)>>1)
	hi = min(c.lenX-1, t, (t-c.lo)>>1)
	return lo, hi
}

// inner returns the rows [lo, hi] of anti-diagonal t whose cells have all
// three sources (FromLeft, FromDiag, FromAbove) and, but in local mode, no
// start: the cells the fast loops take.
func (c *cells) inner(t int) (lo, hi int) {
	dlo, dhi := c.diag(t)
	// i ≥ 1, j ≥ 1, t−2i−1 ≥ c.lo, t−2i+1 ≤ c.hi.
	lo = max(dlo, 1, (t-c.hi+2)>>1)
	hi = min(dhi, t-1, (t-1-c.lo)>>1)
	return lo, hi
}

// sources returns the terms of cell (i, j), t = i+j, as ⊗ of the source's
// α and the potential (the semiring's zero for a term the lattice does not
// have), and which terms exist, a bit per place. The start's source is the
// one.
func sources[T float32 | float64](c *cells, s bandop.Semiring, a []float64, th []T, i, t int) (x [4]float64, has uint8) {
	j := t - i
	p := th[3*(i*c.mm+j) : 3*(i*c.mm+j)+3]
	zero := s.Zero()
	x = [4]float64{zero, zero, zero, zero}
	if j > 0 && j-1-i >= c.lo {
		x[termLeft], has = s.Times(a[c.base[t-1]+i], float64(p[FromLeft])), 1<<termLeft
	}
	if i > 0 && j > 0 {
		x[termDiag], has = s.Times(a[c.base[t-2]+i-1], float64(p[FromDiag])), has|1<<termDiag
	}
	if c.startsAt(i, j) {
		x[c.start], has = float64(p[FromDiag]), has|1<<c.start
	}
	if i > 0 && j-i+1 <= c.hi {
		x[c.abov], has = s.Times(a[c.base[t-1]+i-1], float64(p[FromAbove])), has|1<<c.abov
	}
	return x, has
}

// startsAt is lattice.start for a cell known to be in the lattice.
func (c *cells) startsAt(i, j int) bool {
	switch c.mode {
	case Global:
		return i == 0 && j == 0
	case Local:
		return true
	}
	return i == 0 || j == 0
}

// cellsForward fills alpha, (batch, N·M) in the grid's skewed order, for
// θ of dtype T and writes the weights of Log and Max terms into w (when
// not nil). Items run in parallel.
func cellsForward[T float32 | float64](g *grid, alpha []float64, th []T, lx, ly []int, w []float64) {
	per, nt := g.n*g.mm, g.terms()
	forItems(g.batch, per*16, func(b int) {
		c := g.cells(lx[b], ly[b])
		a := alpha[b*per : (b+1)*per]
		p := th[b*3*per : (b+1)*3*per]
		var wb []float64
		if w != nil {
			wb = w[b*nt*per : (b+1)*nt*per]
		}
		g.fillOutside(&c, a)
		if g.m.Semiring == Log {
			forwardLog(&c, a, p, wb)
			return
		}
		forwardPlain(&c, g.m.Semiring, a, p, wb)
	})
}

// fillOutside sets α of every cell outside the item's lattice to the
// semiring's zero, so that every element of α is defined.
func (g *grid) fillOutside(c *cells, a []float64) {
	zero := g.m.Semiring.Zero()
	for t := range g.n + g.mm - 1 {
		lo, hi := max(0, t-(g.mm-1)), min(g.n-1, t)
		dlo, dhi := c.diag(t)
		if dlo > dhi {
			dlo, dhi = hi+1, hi
		}
		for i := lo; i < dlo; i++ {
			a[g.base[t]+i] = zero
		}
		for i := dhi + 1; i <= hi; i++ {
			a[g.base[t]+i] = zero
		}
	}
}

// forwardPlain is the Real and Max forward: their sums take no exp or
// log, so one pass a cell serves.
func forwardPlain[T float32 | float64](c *cells, s bandop.Semiring, a []float64, th []T, w []float64) {
	nt := c.terms
	for t := range c.lenX + c.lenY - 1 {
		lo, hi := c.diag(t)
		for i := lo; i <= hi; i++ {
			x, has := sources(c, s, a, th, i, t)
			k := c.base[t] + i
			if s == Real {
				var sum float64
				for u := range x {
					if has&(1<<u) != 0 {
						sum += x[u]
					}
				}
				a[k] = sum
				continue
			}
			m := max(x[0], x[1], x[2], x[3])
			a[k] = m
			maxWeights(w[k*nt:(k+1)*nt], x, has, m)
		}
	}
}

// maxWeights writes the weights of a Max cell of value m: 1 for the first
// term that equals it, 0 for the others (all 0 when m is −Inf or NaN).
func maxWeights(w []float64, x [4]float64, has uint8, m float64) {
	done := math.IsInf(m, -1)
	for u := range w {
		w[u] = 0
		if !done && has&(1<<u) != 0 && x[u] == m {
			w[u], done = 1, true
		}
	}
}

// logWeight returns e^d for d ≤ 0, a term's weight in a Log sum that it is
// d below: exactly 1 for the maximal term, 0 where exp underflows, NaN for
// NaN (so that a NaN that reaches a result reaches its gradient).
func logWeight(d float64) float64 {
	switch {
	case d == 0:
		return 1
	case d > -745:
		return fastexp.Exp64(d)
	case d != d:
		return d
	}
	return 0
}

// logWeights writes the weights of the terms x (has: which exist) of a Log
// cell of value a: e^(x − a), 0 for a missing term and for every term of
// a cell no path reaches (a = −Inf).
func logWeights(w []float64, x [4]float64, has uint8, a float64) {
	for u := range w {
		w[u] = 0
		if has&(1<<u) != 0 && !math.IsInf(a, -1) {
			w[u] = logWeight(x[u] - a)
		}
	}
}

// forwardLog is the Log forward, anti-diagonal by anti-diagonal, each in
// three passes over its cells: every cell's terms less their maximum, then
// every exp (fastexp.Shift64), then every sum, its weights and its log
// (fastexp.LogSums). The cells of inner take their terms in a loop without
// the lattice's tests; the others from sources. A cell whose maximal term
// is not finite, or has a NaN term, is done in the first pass: it keeps
// that maximum (−Inf where no path reaches it), with the weights logWeights
// gives.
func forwardLog[T float32 | float64](c *cells, a []float64, th []T, w []float64) {
	nt := c.terms
	diag := min(c.lenX, c.lenY)
	d := make([]float64, nt*diag) // the terms less their maximum, then their exps
	ms := make([]float64, diag)   // the maxima
	sums := make([]float64, diag) // the sums, then their logs
	var wc [4]float64
	// edge takes cell i of anti-diagonal t from sources.
	edge := func(t, lo, i int) {
		q := i - lo
		x, has := sources(c, Log, a, th, i, t)
		m := max(x[0], x[1], x[2], x[3])
		ms[q] = m
		if m-m == 0 {
			for u := range nt {
				d[q*nt+u] = x[u] - m
			}
			return
		}
		if w != nil {
			k := c.base[t] + i
			logWeights(w[k*nt:(k+1)*nt], x, has, m)
		} else {
			logWeights(wc[:nt], x, has, m)
		}
	}
	for t := range c.lenX + c.lenY - 1 {
		lo, hi := c.diag(t)
		if lo > hi {
			continue
		}
		n := hi - lo + 1
		flo, fhi := c.inner(t)
		if flo > fhi {
			flo, fhi = hi+1, hi
		}
		for i := lo; i < flo; i++ {
			edge(t, lo, i)
		}
		switch {
		case flo > fhi:
		case nt == 3:
			forwardInner3(c, a, th, d, ms, t, lo, flo, fhi, edge)
		default:
			forwardInner4(c, a, th, d, ms, t, lo, flo, fhi, edge)
		}
		for i := fhi + 1; i <= hi; i++ {
			edge(t, lo, i)
		}
		fastexp.Shift64(d[:nt*n], 0)
		pos := c.base[t] + lo
		for q, m := range ms[:n] {
			if m-m != 0 {
				sums[q] = 1 // its α is m, its weights are written
				continue
			}
			e := d[q*nt : (q+1)*nt]
			var sum float64
			for _, x := range e {
				sum += x
			}
			sums[q] = sum
			if w != nil {
				inv := 1 / sum
				wk := w[(pos+q)*nt : (pos+q+1)*nt]
				for u, x := range e {
					wk[u] = x * inv
				}
			}
		}
		fastexp.LogSums(sums[:n])
		for q, m := range ms[:n] {
			a[pos+q] = m + sums[q]
		}
	}
}

// forwardInner3 is forwardLog's first pass over the inner cells [flo, fhi]
// of anti-diagonal t (rows from lo) with three terms: FromLeft, FromDiag,
// FromAbove. A cell with a term that is NaN, or a maximum that is not
// finite, goes to edge.
func forwardInner3[T float32 | float64](c *cells, a []float64, th []T, d, ms []float64, t, lo, flo, fhi int, edge func(t, lo, i int)) {
	pl, pd, mm := c.base[t-1], c.base[t-2]-1, c.mm
	for i := flo; i <= fhi; i++ {
		k := 3 * (i*mm + t - i)
		p := th[k : k+3]
		x0 := a[pl+i] + float64(p[FromLeft])
		x1 := a[pd+i] + float64(p[FromDiag])
		x2 := a[pl+i-1] + float64(p[FromAbove])
		m := x0
		if x1 > m {
			m = x1
		}
		if x2 > m {
			m = x2
		}
		if m-m != 0 || x0 != x0 || x1 != x1 || x2 != x2 {
			edge(t, lo, i)
			continue
		}
		q := i - lo
		ms[q] = m
		dq := d[3*q : 3*q+3]
		dq[0], dq[1], dq[2] = x0-m, x1-m, x2-m
	}
}

// forwardInner4 is forwardInner3 in local mode: the start is a fourth
// term, θ[i, j, FromDiag] itself.
func forwardInner4[T float32 | float64](c *cells, a []float64, th []T, d, ms []float64, t, lo, flo, fhi int, edge func(t, lo, i int)) {
	pl, pd, mm := c.base[t-1], c.base[t-2]-1, c.mm
	for i := flo; i <= fhi; i++ {
		k := 3 * (i*mm + t - i)
		p := th[k : k+3]
		x0 := a[pl+i] + float64(p[FromLeft])
		x2 := float64(p[FromDiag])
		x1 := a[pd+i] + x2
		x3 := a[pl+i-1] + float64(p[FromAbove])
		m := x0
		if x1 > m {
			m = x1
		}
		if x2 > m {
			m = x2
		}
		if x3 > m {
			m = x3
		}
		if m-m != 0 || x0 != x0 || x1 != x1 || x2 != x2 || x3 != x3 {
			edge(t, lo, i)
			continue
		}
		q := i - lo
		ms[q] = m
		dq := d[4*q : 4*q+4]
		dq[0], dq[1], dq[2], dq[3] = x0-m, x1-m, x2-m, x3-m
	}
}

// cellsBackward writes the gradient of θ into dth (zero on entry) from α
// and its gradient da, with the forward's weights w, or without them
// (nil) computing each cell's weights again from α and θ. Items run in
// parallel.
func cellsBackward[T float32 | float64](g *grid, dth, th []T, alpha, da []float64, lx, ly []int, w []float64) {
	per, nt := g.n*g.mm, g.terms()
	s := g.m.Semiring
	forItems(g.batch, per*8, func(b int) {
		c := g.cells(lx[b], ly[b])
		var wb []float64
		if w != nil {
			wb = w[b*nt*per : (b+1)*nt*per]
		}
		backwardItem(&c, s, dth[b*3*per:(b+1)*3*per], th[b*3*per:(b+1)*3*per], alpha[b*per:(b+1)*per], da[b*per:(b+1)*per], wb)
	})
}

// backwardItem is cellsBackward for one item: the anti-diagonals in
// reverse, each cell's gradient complete once its successors (on the next
// two anti-diagonals) are done, which it passes back to its sources. The
// gradients of three anti-diagonals roll: the current one (g0) and the two
// before it, which its terms add to. A cell whose gradient is 0 passes
// nothing back, nor does a Log or Max cell of α = −Inf, whatever their
// weights.
func backwardItem[T float32 | float64](c *cells, s bandop.Semiring, dth, th []T, a, da, w []float64) {
	diag := min(c.lenX, c.lenY) + 1
	g0, g1, g2 := make([]float64, diag), make([]float64, diag), make([]float64, diag)
	// The rows of anti-diagonal t go from its first row lo(t) up; a
	// buffer holds row i at i − first[t], first[t] = max(0, t − (lenY−1)).
	first := func(t int) int { return max(0, t-(c.lenY-1)) }
	load := func(buf []float64, t int) {
		if t < 0 {
			return
		}
		lo, hi := c.diag(t)
		if lo <= hi {
			f := first(t)
			copy(buf[lo-f:hi-f+1], da[c.base[t]+lo:c.base[t]+hi+1])
		}
	}
	last := c.lenX + c.lenY - 2
	load(g0, last)
	load(g1, last-1)
	nt := c.terms
	var wc [4]float64
	for t := last; t >= 0; t-- {
		load(g2, t-2)
		lo, hi := c.diag(t)
		f0, f1, f2 := first(t), first(t-1), first(t-2)
		// cur, left, up and diag index the buffers by row: cur[i] is
		// g0's row i, left[i] g1's (the FromLeft source, (i, j−1)), up[i]
		// g1's row i−1 (FromAbove), diag[i] g2's row i−1 (FromDiag).
		flo, fhi := c.inner(t)
		if w != nil && s != Real && flo <= fhi {
			backwardInner(c, dth, a, w, g0[flo-f0:fhi-f0+1], g1[flo-f1:fhi-f1+1], g1[flo-1-f1:fhi-f1], g2[flo-1-f2:fhi-f2], t, flo)
		} else {
			flo, fhi = hi+1, hi
		}
		for i := lo; i <= hi; i++ {
			if i == flo {
				i = fhi
				continue
			}
			gk := g0[i-f0]
			k := c.base[t] + i
			if gk == 0 || (s != Real && math.IsInf(a[k], -1)) {
				continue
			}
			j := t - i
			cell := 3 * (i*c.mm + j)
			p := dth[cell : cell+3]
			if s == Real {
				realGrad(c, p, th[cell:cell+3], a, g1, g2, gk, i, t, f1, f2)
				continue
			}
			var wk []float64
			if w != nil {
				wk = w[k*nt : (k+1)*nt]
			} else {
				x, has := sources(c, s, a, th, i, t)
				wk = wc[:nt]
				if s == Max {
					maxWeights(wk, x, has, a[k])
				} else {
					logWeights(wk, x, has, a[k])
				}
			}
			wd := wk[termDiag]
			if nt == 4 {
				wd += wk[termStart]
			}
			p[FromLeft], p[FromDiag], p[FromAbove] = T(gk*wk[termLeft]), T(gk*wd), T(gk*wk[c.abov])
			if j > 0 && j-1-i >= c.lo {
				g1[i-f1] += gk * wk[termLeft]
			}
			if i > 0 && j > 0 {
				g2[i-1-f2] += gk * wk[termDiag]
			}
			if i > 0 && j-i+1 <= c.hi {
				g1[i-1-f1] += gk * wk[c.abov]
			}
		}
		g0, g1, g2 = g1, g2, g0
	}
}

// backwardInner is backwardItem's loop over the inner cells of
// anti-diagonal t, rows from flo, with the forward's weights: cur holds
// their gradients, left, up and diag those of their sources, row by row.
func backwardInner[T float32 | float64](c *cells, dth []T, a, w, cur, left, up, diag []float64, t, flo int) {
	nt, ab, mm := c.terms, c.abov, c.mm
	pos := c.base[t] + flo
	for q, gk := range cur {
		if gk == 0 || math.IsInf(a[pos+q], -1) {
			continue
		}
		wk := w[(pos+q)*nt : (pos+q+1)*nt]
		wl, wd, wa := wk[termLeft], wk[termDiag], wk[ab]
		i := flo + q
		cell := 3 * (i*mm + t - i)
		p := dth[cell : cell+3]
		if nt == 4 {
			p[FromDiag] = T(gk * (wd + wk[termStart]))
		} else {
			p[FromDiag] = T(gk * wd)
		}
		p[FromLeft], p[FromAbove] = T(gk*wl), T(gk*wa)
		left[q] += gk * wl
		diag[q] += gk * wd
		up[q] += gk * wa
	}
}

// realGrad is backwardItem's step for a Real cell (i, t−i) of gradient gk,
// potentials p and their gradient q: each term is the product of its
// source's α (1 for the start) and its potential, so the gradient of
// either is gk times the other. g1 and g2 hold the gradients of
// anti-diagonals t−1 and t−2 from rows f1 and f2.
func realGrad[T float32 | float64](c *cells, q, p []T, a, g1, g2 []float64, gk float64, i, t, f1, f2 int) {
	j := t - i
	var dd float64
	if j > 0 && j-1-i >= c.lo {
		q[FromLeft] = T(gk * a[c.base[t-1]+i])
		g1[i-f1] += gk * float64(p[FromLeft])
	}
	if i > 0 && j > 0 {
		dd = gk * a[c.base[t-2]+i-1]
		g2[i-1-f2] += gk * float64(p[FromDiag])
	}
	if c.startsAt(i, j) {
		dd += gk
	}
	q[FromDiag] = T(dd)
	if i > 0 && j-i+1 <= c.hi {
		q[FromAbove] = T(gk * a[c.base[t-1]+i-1])
		g1[i-1-f1] += gk * float64(p[FromAbove])
	}
}
