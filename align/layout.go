package align

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// grid is the rotated layout of the Linear strategy for potentials of shape
// (batch, N, M, 3). It depends on the padded shape and the model, never on
// the items' lengths, so one graph serves every batch of that shape.
//
// Step t of the scan enters the cells of anti-diagonal i+j = t. The state
// keeps, per offset o = j−i (q = o+N−1), α of the cell of anti-diagonal t
// on the offsets of t's parity and α of anti-diagonal t−1 on the others;
// FromLeft and FromAbove come from the neighbouring offsets, FromDiag from
// the same offset two steps back, where α was carried with weight one.
// Global mode has one slot per offset (band (1, 1)); the start (0, 0)
// enters by FromDiag from the one v₀ holds at offset 0. Local mode adds a
// start slot per offset, a constant one that a path may start from (band
// (2, 2)). Start slots are born one from the next, outwards from offset 0,
// one step before their first cell, so that a window of rows around the
// current anti-diagonal covers every slot the step reads. Semi-global mode
// starts only on the first row and column, the cells (0, t) and (t, 0) at
// the extreme offsets ±t of anti-diagonal t: it keeps global's one slot per
// offset and band (1, 1), and carries the one outwards in the slots of
// offsets ±t, which hold nothing else until their first cell: step t−1
// moves it there from ±(t−1), and step t enters (0, t) and (t, 0) by
// FromDiag from it, as global mode enters (0, 0).
//
// α of cell (i, j) is state i+j+1 of the scan. The end of an item is read
// there at run time (endOp): the cell (lenX−1, lenY−1) in global mode, the
// ⊕ of every cell within the lengths in local mode, of every cell of the
// last row or column in semi-global mode. A cell past a length never feeds
// a cell within them, so whatever it holds (NaN included) has no effect,
// and its gradient is 0. A global model's gap depends on the lengths too:
// the layout leaves out, item by item, every potential whose cell or whose
// move's source cell lies outside the item's gap (srcInGap), since a
// source outside holds the semiring's zero and the zero ⊗ NaN is NaN.
type grid struct {
	op           string // the function that built it, which its Ops' errors name
	m            Model
	batch, n, mm int
	omin, offs   int // offsets −(N−1) … M−1
	slots        int // 1 (global, semi-global) or 2 (local)
	size         int // slots·offs, the state's length
	lower, upper int
	steps        int // N+M−1 anti-diagonals
	win          *bandop.Window
	// ent[t] lists the entries of step t (see entries) as slots of one
	// item's step matrix, r·width+k, and what they hold: θ's element
	// (i·M+j)·3+c within the item, or srcOne.
	ent [][]entry
	// The entries that hold potentials again, with their step, ordered by
	// tiles of 16×16 cells, so that copying potentials in and gradients
	// out walks both θ and the step storage a few cache lines at a time
	// (a step's cells are a row of θ apart). tileRows[k] is where the
	// cells of rows 16k… begin.
	tiled    []tentry
	tileRows []int
}

type entry struct{ at, src int32 }

type tentry struct{ t, at, src int32 }

const tile = 16

func newGrid(op string, m Model, shape tensor.Shape) (*grid, error) {
	batch, n, mm, err := m.checkShape(op, shape)
	if err != nil {
		return nil, err
	}
	g := &grid{op: op, m: m, batch: batch, n: n, mm: mm, omin: -(n - 1), offs: n + mm - 1, slots: 1, lower: 1, upper: 1, steps: n + mm - 1}
	if m.Mode == Local {
		g.slots, g.lower, g.upper = 2, 2, 2
	}
	g.size = g.slots * g.offs
	// thetaShape bounds n·mm·3, so these products do not overflow. The
	// step storage and the states are single values of the graph, bounded
	// as bandop bounds its results; entries index one item's step matrix
	// and potentials in int32, which these bounds keep within range.
	if err := checkSize(op, "the step matrices of these potentials", g.steps, g.batch, g.size, g.width()); err != nil {
		return nil, err
	}
	if err := checkSize(op, "the scan states of these potentials", g.steps+1, g.batch, g.size); err != nil {
		return nil, err
	}
	g.win = g.window()
	g.ent = make([][]entry, g.steps)
	w := g.width()
	for t := range g.steps {
		g.entries(t, func(r, k, i, j, c int) {
			src := int32(srcOne)
			if c != srcOne {
				src = int32((i*g.mm+j)*3 + c)
			}
			g.ent[t] = append(g.ent[t], entry{int32(r*w + k), src})
		})
	}
	g.tileEntries()
	return g, nil
}

func (g *grid) width() int { return g.lower + g.upper + 1 }

// tileEntries sorts the entries that hold potentials by tile (a counting
// sort on the tile of their cell).
func (g *grid) tileEntries() {
	across := (g.mm + tile - 1) / tile
	rows := (g.n + tile - 1) / tile
	key := func(src int32) int {
		cell := int(src) / 3
		return cell/g.mm/tile*across + cell%g.mm/tile
	}
	count := make([]int, rows*across+1)
	for _, ent := range g.ent {
		for _, e := range ent {
			if e.src != srcOne {
				count[key(e.src)+1]++
			}
		}
	}
	for k := 1; k < len(count); k++ {
		count[k] += count[k-1]
	}
	g.tileRows = make([]int, rows+1)
	for r := range rows + 1 {
		g.tileRows[r] = count[r*across]
	}
	g.tiled = make([]tentry, count[len(count)-1])
	for t, ent := range g.ent {
		for _, e := range ent {
			if e.src != srcOne {
				k := key(e.src)
				g.tiled[count[k]] = tentry{int32(t), e.at, e.src}
				count[k]++
			}
		}
	}
}

// stepShape is the shape of the scan's step storage.
func (g *grid) stepShape() tensor.Shape {
	return tensor.Shape{g.steps * g.batch, g.size, g.width()}
}

func (g *grid) thetaShape() tensor.Shape { return tensor.Shape{g.batch, g.n, g.mm, 3} }

// inGrid reports whether anti-diagonal t has a cell at offset o, and which.
func (g *grid) inGrid(t, o int) (i, j int, ok bool) {
	if (t-o)&1 != 0 {
		return 0, 0, false
	}
	i, j = (t-o)/2, (t+o)/2
	return i, j, i >= 0 && j >= 0 && i < g.n && j < g.mm
}

// inGap reports whether offset o is allowed by a local or semi-global
// model's gap (around offset 0); a global model's gap depends on the
// lengths and is applied per item.
func (g *grid) inGap(o int) bool {
	return !g.m.Gapped || g.m.Mode == Global || (o >= -g.m.MaxGap && o <= g.m.MaxGap)
}

// lastDiag is the last anti-diagonal with a cell on offset o.
func (g *grid) lastDiag(o int) int { return 2*min(g.n-1, g.mm-1-o) + o }

// srcOne marks an entry that holds the semiring's one rather than a
// potential.
const srcOne = -1

// entries calls emit for every entry of step t that may differ from the
// semiring's zero: row r, slot k of the band storage, and the potential
// θ[i, j, c] it holds (c = srcOne for the one).
func (g *grid) entries(t int, emit func(r, k, i, j, c int)) {
	sl, lo := g.slots, g.lower
	for q := range g.offs {
		o := g.omin + q
		if !g.inGap(o) {
			continue
		}
		a := sl * q // the α slot of offset o
		if i, j, ok := g.inGrid(t, o); ok {
			// Column a gathers the moves into cell (i, j): row r sits in
			// slot a−r+lower.
			if (i >= 1 && j >= 1) || g.borderStart(i, j) {
				emit(a, lo, i, j, FromDiag)
			}
			if j >= 1 && g.inGap(o-1) {
				emit(a-sl, lo+sl, i, j, FromLeft)
			}
			if i >= 1 && g.inGap(o+1) {
				emit(a+sl, lo-sl, i, j, FromAbove)
			}
			if g.m.Mode == Local {
				emit(a+1, lo-1, i, j, FromDiag) // a path starts here
			}
		} else if _, _, ok := g.inGrid(t-1, o); ok {
			emit(a, lo, 0, 0, srcOne) // carry α of t−1 for the FromDiag of t+1
		} else if g.m.Mode == SemiGlobal && o == t+1 {
			emit(a-1, lo+1, 0, 0, srcOne) // the one for (0, t+1), from offset t
		} else if g.m.Mode == SemiGlobal && o == -(t+1) {
			emit(a+1, lo-1, 0, 0, srcOne) // the one for (t+1, 0), from offset −t
		}
		if g.m.Mode != Local {
			continue
		}
		s := a + 1 // the start slot
		switch ao := max(o, -o); {
		case ao <= t && g.lastDiag(o) > t:
			emit(s, lo, 0, 0, srcOne) // keep it
		case ao == t+1 && o > 0:
			emit(s-sl, lo+sl, 0, 0, srcOne) // born from offset o−1
		case ao == t+1 && o < 0:
			emit(s+sl, lo-sl, 0, 0, srcOne) // born from offset o+1
		}
	}
}

// borderStart reports whether a path may start at (i, j) of the first row
// or column by a FromDiag move from a one in its own α slot: (0, 0) in
// global mode, every such cell in semi-global mode. (Local mode starts from
// its start slots.)
func (g *grid) borderStart(i, j int) bool {
	switch g.m.Mode {
	case Global:
		return i == 0 && j == 0
	case SemiGlobal:
		return i == 0 || j == 0
	}
	return false
}

// window returns the rows of each step that hold any entry.
func (g *grid) window() *bandop.Window {
	w := &bandop.Window{Lo: make([]int, g.steps), Hi: make([]int, g.steps)}
	for t := range g.steps {
		lo, hi := g.size, 0
		g.entries(t, func(r, _, _, _, _ int) {
			lo, hi = min(lo, r), max(hi, r+1)
		})
		if lo >= hi {
			lo, hi = 0, 0
		}
		w.Lo[t], w.Hi[t] = lo, hi
	}
	return w
}

// start returns v₀, (batch, size): the one at offset 0's α slot (global
// and semi-global; the FromDiag move into (0, 0) starts from it) or start
// slot (local).
func (g *grid) start(dt tensor.Dtype) *tensor.Dense {
	s := g.m.Semiring
	v := make([]float64, g.batch*g.size)
	at := g.slots * (-g.omin)
	if g.m.Mode == Local {
		at++
	}
	for b := range g.batch {
		row := v[b*g.size : (b+1)*g.size]
		for k := range row {
			row[k] = s.Zero()
		}
		row[at] = s.One()
	}
	if dt == tensor.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(g.batch, g.size), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(g.batch, g.size), tensor.WithBacking(v))
}

// lengthsOf reads and checks the lengths input, (batch, 2) of tensor.Int.
func (g *grid) lengthsOf(op string, v gorgonia.Value) (lenX, lenY []int, err error) {
	return readLengths(op, v, g.batch, g.n, g.mm)
}

// gapOK returns, for a global model with a gap, whether cell (i, j) of an
// item of lengths lx, ly is within the band around its end diagonal.
func (g *grid) gapOK(i, j, lx, ly int) bool {
	if !g.m.Gapped || g.m.Mode != Global {
		return true
	}
	d, o := ly-lx, j-i
	return o >= min(0, d)-g.m.MaxGap && o <= max(0, d)+g.m.MaxGap
}

// Lengths returns the lengths input of LogPartitionLengths, to bind with
// gorgonia.Let: a (batch, 2) tensor of int holding lenX[b], lenY[b] in
// row b.
func Lengths(lenX, lenY []int) (*tensor.Dense, error) {
	if len(lenX) != len(lenY) {
		return nil, errorf(ErrLength, "Lengths", "%d lengths of x, %d of y", len(lenX), len(lenY))
	}
	v := make([]int, 2*len(lenX))
	for b := range lenX {
		v[2*b], v[2*b+1] = lenX[b], lenY[b]
	}
	return tensor.New(tensor.WithShape(len(lenX), 2), tensor.WithBacking(v)), nil
}

// fullLengths returns the lengths tensor of items that fill the grid, or
// of lenX and lenY where given (nil meaning N or M for every item).
func (g *grid) fullLengths(op string, lenX, lenY []int) (*tensor.Dense, error) {
	lx, err := lengths(op, "lenX", lenX, g.batch, g.n)
	if err != nil {
		return nil, err
	}
	ly, err := lengths(op, "lenY", lenY, g.batch, g.mm)
	if err != nil {
		return nil, err
	}
	return Lengths(lx, ly)
}

// layoutOp lays potentials out as the scan's step matrices: inputs θ and
// the lengths (which only a global model with a gap reads), output the
// band storage (steps·batch, size, width) with the semiring's zero in every
// other slot of the rows of the grid's window. Rows outside the window are
// left as they are: the scan (and its gradient) never reads them.
type layoutOp struct {
	g   *grid
	dt  tensor.Dtype
	buf kept
}

// kept is an Op's output buffer that outlives a run of the graph. The step
// storage, the states and their gradients are internal to an alignment's
// nodes, so no caller reads a run's value after the next run starts, and
// fresh memory costs more than the scan itself at these sizes. A kept
// buffer is zeroed when made; an Op that keeps one writes, on every run,
// every element that the run may read or make non-zero (no other Op writes
// into an Op's output).
type kept struct{ t *tensor.Dense }

func (k *kept) get(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	if k.t == nil || k.t.Dtype() != dt || !k.t.Shape().Eq(shape) {
		k.t = tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	}
	return k.t
}

func (op *layoutOp) String() string {
	return fmt.Sprintf("align.Layout{%v, θ%v, %v}", op.g.m, op.g.thetaShape(), op.dt)
}
func (op *layoutOp) Arity() int                { return 2 }
func (op *layoutOp) ReturnsPtr() bool          { return false }
func (op *layoutOp) CallsExtern() bool         { return callsExtern }
func (op *layoutOp) OverwritesInput() int      { return -1 }
func (op *layoutOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *layoutOp) Hashcode() uint32          { return hashOf(op) }
func (op *layoutOp) DiffWRT(inputs int) []bool { return []bool{true, false} }

func (op *layoutOp) Type() hm.Type {
	return hm.NewFnType(gorgonia.TensorType{Dims: 4, Of: op.dt}, gorgonia.TensorType{Dims: 2, Of: tensor.Int}, gorgonia.TensorType{Dims: 3, Of: op.dt})
}

func (op *layoutOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.g.stepShape(), nil
}

func hashOf(op fmt.Stringer) uint32 {
	h := fnv.New32a()
	fmt.Fprint(h, op.String())
	return h.Sum32()
}

// inputs returns θ (contiguous) and the lengths of an Op's inputs.
func (g *grid) inputs(op string, dt tensor.Dtype, vals []gorgonia.Value) (*tensor.Dense, []int, []int, error) {
	if len(vals) < 2 {
		return nil, nil, nil, errorf(ErrValue, op, "got %d inputs, want θ and the lengths", len(vals))
	}
	th, ok := vals[0].(*tensor.Dense)
	if !ok || th.Dtype() != dt || !th.Shape().Eq(g.thetaShape()) {
		return nil, nil, nil, errorf(ErrValue, op, "potentials are %v, want %v of shape %v", describe(vals[0]), dt, g.thetaShape())
	}
	lx, ly, err := g.lengthsOf(op, vals[1])
	if err != nil {
		return nil, nil, nil, err
	}
	return contiguous(th), lx, ly, nil
}

func describe(v gorgonia.Value) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%v of shape %v", v.Dtype(), v.Shape())
}

func (op *layoutOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	th, lx, ly, err := op.g.inputs(op.g.op, op.dt, vals)
	if err != nil {
		return nil, err
	}
	out := op.buf.get(op.dt, op.g.stepShape())
	switch op.dt {
	case tensor.Float32:
		layoutForward(op.g, out.Data().([]float32), th.Data().([]float32), lx, ly)
	default:
		layoutForward(op.g, out.Data().([]float64), th.Data().([]float64), lx, ly)
	}
	return out, nil
}

func layoutForward[T float32 | float64](g *grid, a, th []T, lx, ly []int) {
	zero, one := T(g.m.Semiring.Zero()), T(g.m.Semiring.One())
	per, cells, w := g.size*g.width(), g.n*g.mm*3, g.width()
	gapped := g.m.Gapped && g.m.Mode == Global
	// The semiring's zero in the window's rows (rows outside it are never
	// read) and its ones, step by step; then the potentials, tile by tile.
	// Both loops write disjoint slots: a step its own matrices, a tile row
	// its own potentials (each sits in one step).
	forItems(g.steps, g.batch*g.size, func(t int) {
		for b := range g.batch {
			mat := a[(t*g.batch+b)*per : (t*g.batch+b+1)*per]
			rows := mat[g.win.Lo[t]*w : g.win.Hi[t]*w]
			for k := range rows {
				rows[k] = zero
			}
			for _, e := range g.ent[t] {
				if e.src == srcOne {
					mat[e.at] = one
				}
			}
		}
	})
	forItems(len(g.tileRows)-1, g.batch*g.mm*tile, func(r int) {
		ents := g.tiled[g.tileRows[r]:g.tileRows[r+1]]
		for b := range g.batch {
			th := th[b*cells : (b+1)*cells]
			for _, e := range ents {
				if !gapped || g.srcInGap(e.src, lx[b], ly[b]) {
					a[(int(e.t)*g.batch+b)*per+int(e.at)] = th[e.src]
				}
			}
		}
	})
}

// srcInGap reports whether a path of an item of lengths lx, ly under a
// global model's gap may score potential src: its cell and the cell its
// move comes from must both be within the gap. A cell outside the gap holds
// the semiring's zero, and the zero ⊗ NaN is NaN, so a potential whose move
// comes from outside must not reach the step matrix at all.
func (g *grid) srcInGap(src int32, lx, ly int) bool {
	cell, c := int(src)/3, int(src)%3
	i, j := cell/g.mm, cell%g.mm
	return g.gapOK(i, j, lx, ly) && g.gapOK(i-moves[c].di, j-moves[c].dj, lx, ly)
}

func (op *layoutOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	d, err := gorgonia.ApplyOp(&layoutGradOp{layoutOp{g: op.g, dt: op.dt}}, inputs[1], grad)
	if err != nil {
		return nil, wrap(op.g.op, err)
	}
	return gorgonia.Nodes{d, nil}, nil
}

// layoutGradOp is the adjoint of layoutOp: from the lengths and the
// gradient of the step storage it returns the gradient of θ, the sum of the
// one or two slots that hold each potential. Its output is the caller's
// gradient (the marginals), a fresh value of each run.
type layoutGradOp struct{ layoutOp }

func (op *layoutGradOp) String() string {
	return fmt.Sprintf("align.LayoutGrad{%v, θ%v, %v}", op.g.m, op.g.thetaShape(), op.dt)
}
func (op *layoutGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *layoutGradOp) Hashcode() uint32      { return hashOf(op) }

func (op *layoutGradOp) Type() hm.Type {
	return hm.NewFnType(gorgonia.TensorType{Dims: 2, Of: tensor.Int}, gorgonia.TensorType{Dims: 3, Of: op.dt}, gorgonia.TensorType{Dims: 4, Of: op.dt})
}

func (op *layoutGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.g.thetaShape(), nil
}

func (op *layoutGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.g.op
	if len(vals) != 2 {
		return nil, errorf(ErrValue, name, "got %d inputs, want 2", len(vals))
	}
	lx, ly, err := op.g.lengthsOf(name, vals[0])
	if err != nil {
		return nil, err
	}
	da, ok := vals[1].(*tensor.Dense)
	if !ok || da.Dtype() != op.dt || !da.Shape().Eq(op.g.stepShape()) {
		return nil, errorf(ErrValue, name, "gradient is %v, want %v of shape %v", describe(vals[1]), op.dt, op.g.stepShape())
	}
	da = contiguous(da)
	out := tensor.New(tensor.Of(op.dt), tensor.WithShape(op.g.thetaShape()...))
	switch op.dt {
	case tensor.Float32:
		layoutBackward(op.g, out.Data().([]float32), da.Data().([]float32), lx, ly)
	default:
		layoutBackward(op.g, out.Data().([]float64), da.Data().([]float64), lx, ly)
	}
	return out, nil
}

func layoutBackward[T float32 | float64](g *grid, dth, da []T, lx, ly []int) {
	per, cells := g.size*g.width(), g.n*g.mm*3
	gapped := g.m.Gapped && g.m.Mode == Global
	forItems(len(g.tileRows)-1, g.batch*g.mm*tile, func(r int) {
		ents := g.tiled[g.tileRows[r]:g.tileRows[r+1]]
		for b := range g.batch {
			dth := dth[b*cells : (b+1)*cells]
			for _, e := range ents {
				if !gapped || g.srcInGap(e.src, lx[b], ly[b]) {
					dth[e.src] += da[(int(e.t)*g.batch+b)*per+int(e.at)]
				}
			}
		}
	})
}
