package align

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/genband/genband/align/internal/lattice"
	"github.com/genband/genband/bandop"
	"github.com/genband/genband/internal/fastexp"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// cellsOp is the forward pass of the Linear strategy: from the potentials
// θ (batch, N, M, C) and the lengths (batch, 2) it computes α of every
// state of every cell, the ⊕ over the paths from a start to the state of
// their scores, into a float64 (batch, S·N·M) value in the grid's skewed
// order (see grid). An affine grid's cells are affine.go's; below, the
// linear model's (C = 3, S = 1). Cell (i, j) of an item is
//
//	α[i, j] = α[i, j−1] ⊗ θ[i, j, FromLeft]  ⊕  α[i−1, j−1] ⊗ θ[i, j, FromDiag]
//	        ⊕ 1 ⊗ θ[i, j, FromDiag] (where a path may start)  ⊕  α[i−1, j] ⊗ θ[i, j, FromAbove]
//
// over the terms whose source cell lies in the item's lattice (within its
// lengths and gap). A cell outside the lattice holds the semiring's zero
// and is never read, so a potential no path may use, NaN included, has no
// effect.
//
// Why one Op rather than a layout of step matrices and a generic
// bandop.Scan: the step matrices hold each potential with the zeros and
// carries of the rotated band around it, four times θ in memory, and
// writing them, reading them back in the scan and adding their gradient
// back into θ cost more than the alignment's own arithmetic. Here θ is read
// where it lies, and the work is in proportion to the cells within the
// lengths.
//
// Log sums take one exp per term but one and one log per cell,
// anti-diagonal by anti-diagonal within strips of rows (forwardLog): the
// cells of an anti-diagonal are independent, so their work runs in passes
// over it, on vectors (cells_simd.go). What the gradient needs of each
// term is kept (w): its weight in its sum, e^(term − α), under Log, 1 for
// the first maximal term under Max, the source's α under Real. The
// gradient then takes no exp: under Log it runs anti-diagonal by
// anti-diagonal too (backwardLog), under Max and Real row by row
// (backwardRows).
type cellsOp struct {
	g  *grid
	dt tensor.Dtype
	// ws keeps α and the weights from run to run and hands the weights to
	// the gradient (see cellsWork). A cellsOp without one takes fresh
	// memory each run and keeps nothing for the gradient.
	ws *cellsWork
}

// newCellsOp returns the forward Op of the grid g for θ of dtype dt, with
// its workspace.
func newCellsOp(g *grid, dt tensor.Dtype) *cellsOp {
	return &cellsOp{g: g, dt: dt, ws: new(cellsWork)}
}

// gradOp returns the gradient Op of op, which shares op's workspace.
func (op *cellsOp) gradOp() *cellsGradOp { return &cellsGradOp{fwd: op, ws: op.ws} }

// A cellsWork is the workspace of a cellsOp and of its gradient Op, which
// share it explicitly (gradOp): made with the forward Op, it belongs to
// the graph that holds the two. It keeps α (which feeds only this
// package's Ops, endOp and cellsGradOp, and none of them keeps it), the
// weights of its terms and the gradient's scratch from run to run, since
// fresh memory costs more than the cells' arithmetic at these sizes.
//
// The weights go from the forward to the gradient of the same run: each
// forward returns an α value of its own over the kept memory and records
// it (out), and the gradient uses the weights only when the α it is given
// is that value. Any other α (a copy, a view, the value of an earlier run,
// one a GPU forward wrote) makes the gradient run the forward again into
// memory of its own.
//
// Every Do of either Op holds the workspace while it runs (inUse): a Do
// that finds it held, by a run of the same graph on another machine,
// returns an error of kind ErrBusy rather than write over memory that run
// is using.
type cellsWork struct {
	inUse
	alpha kept          // α, (batch, N·M) in the grid's skewed order
	w     kept          // the weights, terms·N·M an item (see cellsForward)
	gam   kept          // the gradient's scratch, (batch, N·M) (Max, Real; see cellsBackward)
	out   *tensor.Dense // the α the last forward returned, whose weights w holds; nil when none
	// into is where the next gradient goes, a tensor of θ's shape and
	// dtype that a Program hands over for one run (MarginalsInto); nil:
	// fresh memory.
	into *tensor.Dense
}

// gradOut returns the output of a gradient run: into, taken, when it is
// of dtype dt and the shape, else fresh memory.
func (ws *cellsWork) gradOut(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	if d := ws.into; d != nil {
		ws.into = nil
		if d.Dtype() == dt && d.Shape().Eq(shape) {
			return d
		}
	}
	return tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
}

// weightsFor returns the weights of the forward that returned alpha, when
// alpha is the α value of the last forward, else nil.
func (ws *cellsWork) weightsFor(alpha gorgonia.Value) []float64 {
	if a, ok := alpha.(*tensor.Dense); !ok || ws.out == nil || a != ws.out {
		return nil
	}
	return ws.w.t.Data().([]float64)
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
	ws := op.ws
	if ws == nil {
		ws = new(cellsWork)
	}
	if err := ws.claim(op.g.op); err != nil {
		return nil, err
	}
	defer ws.release()
	ws.out = nil
	shape := op.g.cellsShape()
	alpha := ws.alpha.get(tensor.Float64, shape).Data().([]float64)
	w := ws.w.get(tensor.Float64, op.g.weightsShape()).Data().([]float64)
	forward(op.g, op.dt, alpha, th, lx, ly, w)
	// A value of this run's own over the kept memory, by which the
	// gradient knows this run's α.
	ws.out = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(alpha))
	return ws.out, nil
}

func (op *cellsOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	d, err := gorgonia.ApplyOp(op.gradOp(), inputs[0], inputs[1], output, grad)
	if err != nil {
		return nil, wrap(op.g.op, err)
	}
	return gorgonia.Nodes{d, nil}, nil
}

// cellsGradOp is the gradient of cellsOp with respect to θ: inputs θ, the
// lengths, α and the gradient of α; output the gradient of θ, a fresh
// value of each run (for a loss Σ log Z it is the caller's marginals), or
// the tensor a Program handed over for the run (cellsWork.into). It
// runs the cells in reverse, each passing its gradient back to the cells
// its terms come from in proportion to their weights (Log: e^(term − α),
// Max: 1 for the first maximal term in the order FromLeft, FromDiag, start,
// FromAbove, Real: the other factor of the term).
type cellsGradOp struct {
	fwd *cellsOp   // its grid and dtype
	ws  *cellsWork // fwd's workspace; nil: fresh memory, no kept weights
}

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
	ws := op.ws
	if ws == nil {
		ws = new(cellsWork)
	}
	if err := ws.claim(g.op); err != nil {
		return nil, err
	}
	defer ws.release()
	w := ws.weightsFor(vals[2])
	if w == nil {
		// Not the α of the forward's last run: run it again.
		alpha = make([]float64, g.cellsShape().TotalSize())
		w = make([]float64, g.weightsShape().TotalSize())
		forward(g, op.fwd.dt, alpha, th, lx, ly, w)
	}
	out := ws.gradOut(op.fwd.dt, g.thetaShape())
	if g.m.Affine {
		switch op.fwd.dt {
		case tensor.Float32:
			affineBackward(g, out.Data().([]float32), th.Data().([]float32), alpha, dalpha, lx, ly, w)
		default:
			affineBackward(g, out.Data().([]float64), th.Data().([]float64), alpha, dalpha, lx, ly, w)
		}
		return out, nil
	}
	var gam []float64 // Max and Real only: the Log gradient keeps three anti-diagonals of its own
	if g.m.Semiring != Log {
		gam = ws.gam.get(tensor.Float64, g.cellsShape()).Data().([]float64)
	}
	switch op.fwd.dt {
	case tensor.Float32:
		cellsBackward(g, out.Data().([]float32), th.Data().([]float32), alpha, dalpha, lx, ly, w, gam)
	default:
		cellsBackward(g, out.Data().([]float64), th.Data().([]float64), alpha, dalpha, lx, ly, w, gam)
	}
	return out, nil
}

// forward runs the forward kernel of g's model on θ of dtype dt into
// alpha and the weights w.
func forward(g *grid, dt tensor.Dtype, alpha []float64, th *tensor.Dense, lx, ly []int, w []float64) {
	switch {
	case g.m.Affine && dt == tensor.Float32:
		affineForward(g, alpha, th.Data().([]float32), lx, ly, w)
	case g.m.Affine:
		affineForward(g, alpha, th.Data().([]float64), lx, ly, w)
	case dt == tensor.Float32:
		cellsForward(g, alpha, th.Data().([]float32), lx, ly, w)
	default:
		cellsForward(g, alpha, th.Data().([]float64), lx, ly, w)
	}
}

// cellValues returns the float64 (batch, S·N·M) data of an Op's input.
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
//
// An affine grid's weights are affine.go's planes (affineTerms).
func (g *grid) terms() int {
	if g.m.Affine {
		return affineTerms(g.m)
	}
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

// cells is one item's geometry as the cell loops walk it, anti-diagonal
// by anti-diagonal (the engine's lattice.Item: its mode, lengths and
// allowed offsets lo ≤ j−i ≤ hi): base is the grid's skew, mm θ's row
// length (in cells), terms the weights a cell, start and abov the places
// of the linear model's start and FromAbove terms.
type cells struct {
	lattice.Item           // the item's geometry: lengths, band, starts and ends
	base                   []int
	mm, terms, start, abov int
}

func (g *grid) cells(lx, ly int) cells {
	c := cells{Item: g.m.lat(lx, ly).Item, base: g.base, mm: g.mm, terms: g.terms(), start: termDiag, abov: 2}
	if c.terms == 4 && !g.m.Affine {
		c.start, c.abov = termStart, 3
	}
	return c
}

// diag returns the rows [lo, hi] of the cells of anti-diagonal i+j = t
// (none when lo > hi).
func (c *cells) diag(t int) (lo, hi int) {
	// 0 ≤ i < LenX, 0 ≤ t−i < LenY, Lo ≤ t−2i ≤ Hi.
	lo = max(0, t-(c.LenY-1), (t-c.Hi+1)>>1)
	hi = min(c.LenX-1, t, (t-c.Lo)>>1)
	return lo, hi
}

// inner returns the rows [lo, hi] of anti-diagonal t whose cells have all
// three sources (FromLeft, FromDiag, FromAbove) and, but in local mode, no
// start: the cells the fast loops take.
func (c *cells) inner(t int) (lo, hi int) {
	dlo, dhi := c.diag(t)
	// i ≥ 1, j ≥ 1, t−2i−1 ≥ Lo, t−2i+1 ≤ Hi.
	lo = max(dlo, 1, (t-c.Hi+2)>>1)
	hi = min(dhi, t-1, (t-1-c.Lo)>>1)
	return lo, hi
}

// innerRun returns the rows [flo, fhi] of inner(t) within [lo, hi], the
// rows of anti-diagonal t the vector passes take, as the empty run
// [hi+1, hi] when there are none, so that a loop over [lo, hi] that jumps
// from flo to fhi visits the others one by one.
func (c *cells) innerRun(t, lo, hi int) (flo, fhi int) {
	flo, fhi = c.inner(t)
	flo, fhi = max(flo, lo), min(fhi, hi)
	if flo > fhi {
		flo, fhi = hi+1, hi
	}
	return flo, fhi
}

// pullRows returns the rows [s, e] of anti-diagonal t within [lo, hi]
// whose three successors (the diagonal, i+1 on t+2; above, i+1 on t+1;
// left, i on t+1) all lie in the lattice: the rows the backward's vector
// passes take. An empty run is [hi+1, hi], as in innerRun.
func (c *cells) pullRows(t, lo, hi int) (s, e int) {
	l1, h1 := c.diag(t + 1)
	l2, h2 := c.diag(t + 2)
	s, e = max(lo, l2-1, l1-1, l1), min(hi, h2-1, h1-1, h1)
	if s > e {
		s, e = hi+1, hi
	}
	return s, e
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
	if j > 0 && j-1-i >= c.Lo {
		x[termLeft], has = s.Times(a[c.base[t-1]+i], float64(p[FromLeft])), 1<<termLeft
	}
	if i > 0 && j > 0 {
		x[termDiag], has = s.Times(a[c.base[t-2]+i-1], float64(p[FromDiag])), has|1<<termDiag
	}
	if c.StartsIn(i, j) {
		x[c.start], has = float64(p[FromDiag]), has|1<<c.start
	}
	if i > 0 && j-i+1 <= c.Hi {
		x[c.abov], has = s.Times(a[c.base[t-1]+i-1], float64(p[FromAbove])), has|1<<c.abov
	}
	return x, has
}

// cellsForward fills alpha, (batch, N·M) in the grid's skewed order, for
// θ of dtype T, and w, terms·N·M an item, with what the gradient needs of
// each term (see cellsOp): Log as planes in the skewed order (see
// forwardLog), Max and Real cell by cell in θ's order. Items run in
// parallel.
func cellsForward[T float32 | float64](g *grid, alpha []float64, th []T, lx, ly []int, w []float64) {
	per, nt := g.n*g.mm, g.terms()
	forItems(g.batch, per*16, func(b int) {
		c := g.cells(lx[b], ly[b])
		a := alpha[b*per : (b+1)*per]
		p := th[b*3*per : (b+1)*3*per]
		wb := w[b*nt*per : (b+1)*nt*per]
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
// log, so one pass a cell serves. Real keeps each term's source α (1 for
// the start, 0 for a missing term) in w, the factor of the potential's
// gradient.
func forwardPlain[T float32 | float64](c *cells, s bandop.Semiring, a []float64, th []T, w []float64) {
	nt := c.terms
	for t := range c.LenX + c.LenY - 1 {
		lo, hi := c.diag(t)
		for i := lo; i <= hi; i++ {
			x, has := sources(c, s, a, th, i, t)
			k := c.base[t] + i
			cell := i*c.mm + t - i
			wk := w[cell*nt : (cell+1)*nt]
			if s == Max {
				m := max(x[0], x[1], x[2], x[3])
				a[k] = m
				maxWeights(wk, x, has, m)
				continue
			}
			var sum float64
			for u := range x {
				if has&(1<<u) != 0 {
					sum += x[u]
				}
			}
			a[k] = sum
			for u := range wk {
				wk[u] = 0
			}
			j := t - i
			if has&(1<<termLeft) != 0 {
				wk[termLeft] = a[c.base[t-1]+i]
			}
			if i > 0 && j > 0 {
				wk[termDiag] = a[c.base[t-2]+i-1]
			}
			if c.StartsIn(i, j) {
				wk[c.start] = 1 // shares FromDiag's place but in local mode
			}
			if has&(1<<c.abov) != 0 {
				wk[c.abov] = a[c.base[t-1]+i-1]
			}
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

// logWeight is fastexp.LogWeight: e^d for d ≤ 0, a Log term's weight.
func logWeight(d float64) float64 { return fastexp.LogWeight(d) }

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

// logCell returns α of the Log cell (i, t−i) from sources, and writes its
// weights into w: the maximal term m, then m + log Σ
// e^(x−m), or m itself when it is not finite (−Inf where no path reaches
// the cell, weights 0; NaN or +Inf, weights as logWeights gives them).
func logCell[T float32 | float64](c *cells, a []float64, th []T, w []float64, i, t int) float64 {
	x, has := sources(c, Log, a, th, i, t)
	m := max(x[0], x[1], x[2], x[3])
	if m-m != 0 {
		logWeights(w, x, has, m)
		return m
	}
	if has&(has-1) == 0 {
		// One term (the first row or column of a global alignment): its
		// weight is 1 and α the term, as the sum below would give them.
		for u := range w {
			w[u] = float64(has >> u & 1)
		}
		return m
	}
	var e [4]float64
	var sum float64
	for u := range c.terms {
		if has&(1<<u) != 0 {
			e[u] = logWeight(x[u] - m)
			sum += e[u]
		}
	}
	inv := 1 / sum
	for u := range w {
		w[u] = e[u] * inv
	}
	return m + fastexp.LogSum(sum)
}

// cellsBackward writes the gradient of θ into dth (whatever it holds on
// entry) from the gradient da of α (skewed order) and the forward's α and
// w: Log items by backwardLog (which keeps γ of a few anti-diagonals),
// Max and Real items by backwardRows, with gam (batch, N·M) as scratch (γ
// in θ's order). Items run in parallel.
func cellsBackward[T float32 | float64](g *grid, dth, th []T, alpha, da []float64, lx, ly []int, w, gam []float64) {
	per, nt := g.n*g.mm, g.terms()
	forItems(g.batch, per*8, func(b int) {
		c := g.cells(lx[b], ly[b])
		if g.m.Semiring == Log {
			backwardLog(&c, dth[b*3*per:(b+1)*3*per], alpha[b*per:(b+1)*per], da[b*per:(b+1)*per],
				w[b*nt*per:(b+1)*nt*per])
			return
		}
		gb := gam[b*per : (b+1)*per]
		clear(dth[b*3*per : (b+1)*3*per])
		clear(gb)
		// da in θ's order: read in its own order, so that the usual
		// gradient of log Z, 0 but at the ends, costs one pass.
		db := da[b*per : (b+1)*per]
		for t := range c.LenX + c.LenY - 1 {
			lo, hi := c.diag(t)
			for i := lo; i <= hi; i++ {
				if x := db[c.base[t]+i]; x != 0 {
					gb[i*c.mm+t-i] = x
				}
			}
		}
		backwardRows(&c, g.m.Semiring, dth[b*3*per:(b+1)*3*per], th[b*3*per:(b+1)*3*per],
			alpha[b*per:(b+1)*per], gb, w[b*nt*per:(b+1)*nt*per])
	})
}

// backwardRows is cellsBackward for one item: the cells in reverse, row by
// row, each with its gradient gk in gam (θ's order) complete once its
// successors (later in θ's order) are done. gk·w of each term is the
// gradient of its potential (FromDiag's: with the start's), and goes back
// to the term's source, times w under Log and Max, times the potential
// under Real. A term the lattice does not have has w = 0 and a source
// outside the lattice, whose gradient is never read, so the loop needs no
// test of the lattice but at the first row and column. A cell whose
// gradient is 0 passes nothing back, nor does a Log or Max cell no path
// reaches (α = −Inf, w = 0), whatever its gradient.
func backwardRows[T float32 | float64](c *cells, s bandop.Semiring, dth, th []T, a, gam, w []float64) {
	mm, nt, ab := c.mm, c.terms, c.abov
	real := s == Real
	for i := c.LenX - 1; i >= 0; i-- {
		cur, up := gam[i*mm:(i+1)*mm], gam[max(i-1, 0)*mm:max(i, 1)*mm]
		jlo, jhi := c.Cols(i)
		for j := jhi; j >= jlo; j-- {
			gk := cur[j]
			if gk == 0 {
				continue
			}
			k := i*mm + j
			wk := w[k*nt : (k+1)*nt]
			wl, wd, wa := wk[termLeft], wk[termDiag], wk[ab]
			dd := wd
			if nt == 4 {
				dd += wk[termStart]
			}
			p := dth[3*k : 3*k+3]
			p[FromLeft], p[FromDiag], p[FromAbove] = T(gk*wl), T(gk*dd), T(gk*wa)
			if gk-gk != 0 {
				// NaN or ±Inf times a weight of 0 is NaN: keep it off the
				// potentials the lattice does not use, and off everything
				// of a cell no path reaches.
				if !real && math.IsInf(a[c.base[i+j]+i], -1) {
					p[FromLeft], p[FromDiag], p[FromAbove] = 0, 0, 0
					continue
				}
				unusedZero(c, p, i, j, jlo)
			}
			if real {
				q := th[3*k : 3*k+3]
				wl, wd, wa = float64(q[FromLeft]), float64(q[FromDiag]), float64(q[FromAbove])
			}
			if j > 0 {
				cur[j-1] += gk * wl
				if i > 0 {
					up[j-1] += gk * wd
				}
			}
			if i > 0 {
				up[j] += gk * wa
			}
		}
	}
}

// unusedZero sets to 0 the gradient p of cell (i, j)'s potentials that the
// lattice does not use (jlo is the first column of row i).
func unusedZero[T float32 | float64](c *cells, p []T, i, j, jlo int) {
	if j == jlo {
		p[FromLeft] = 0
	}
	if !(i > 0 && j > 0) && !c.StartsIn(i, j) {
		p[FromDiag] = 0
	}
	if !(i > 0 && j-i+1 <= c.Hi) {
		p[FromAbove] = 0
	}
}
