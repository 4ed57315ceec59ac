package align

import (
	"fmt"
	"hash/fnv"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// grid is the shape and model behind the Linear strategy's Ops (cellsOp,
// endOp and their gradients), for potentials of shape (batch, N, M, C),
// C the model's channels (3, or 5 for the affine model). It never depends
// on the items' lengths, which are an input of each run, so one graph
// serves every batch of that shape.
//
// α, its gradient and the weights hold an item's cells in skewed order,
// anti-diagonal by anti-diagonal and row by row within one: cell (i, j) is
// element base[i+j] + i of a plane of N·M, so that the cells of an
// anti-diagonal, which the loops take together, and the cells they read
// lie side by side in memory. α has a plane per state of the model (one
// for linear gaps; match, left gap, above gap for affine gaps): state s of
// cell (i, j) of item b is element b·S·N·M + s·N·M + base[i+j] + i.
type grid struct {
	op               string // the function that built it, which its Ops' errors name
	m                Model
	batch, n, mm     int
	states, channels int   // of the model: S planes of α, C channels of θ
	base             []int // N+M−1 anti-diagonals
}

func newGrid(op string, m Model, shape tensor.Shape) (*grid, error) {
	batch, n, mm, err := m.checkShape(op, shape)
	if err != nil {
		return nil, err
	}
	top := m.top()
	g := &grid{op: op, m: m, batch: batch, n: n, mm: mm, states: top.States, channels: top.Channels, base: make([]int, n+mm-1)}
	// thetaShape bounds batch·n·mm·channels; the weights hold up to 4 a
	// cell (linear) or 10 (affine), α up to 3.
	if err := checkSize(op, "the weights of these potentials", batch, n, mm, g.terms()); err != nil {
		return nil, err
	}
	// Anti-diagonal t holds rows max(0, t−(M−1)) … min(N−1, t).
	at := 0
	for t := range g.base {
		lo, hi := max(0, t-(mm-1)), min(n-1, t)
		g.base[t] = at - lo
		at += hi - lo + 1
	}
	return g, nil
}

// at returns the index of cell (i, j) of item b in α, in its first state
// (the linear model's only one).
func (g *grid) at(b, i, j int) int { return b*g.states*g.n*g.mm + g.base[i+j] + i }

// atState returns the index of state s of cell (i, j) of item b in α.
func (g *grid) atState(b, s, i, j int) int { return g.at(b, i, j) + s*g.n*g.mm }

func (g *grid) thetaShape() tensor.Shape { return tensor.Shape{g.batch, g.n, g.mm, g.channels} }

// cellsShape is the shape of α and its gradient: (batch, S·N·M).
func (g *grid) cellsShape() tensor.Shape { return tensor.Shape{g.batch, g.states * g.n * g.mm} }

// weightsShape is the shape of the Log and Max weights cellsOp keeps.
func (g *grid) weightsShape() tensor.Shape { return tensor.Shape{g.batch, g.n * g.mm, g.terms()} }

// lengthsOf reads and checks the lengths input, (batch, 2) of tensor.Int.
func (g *grid) lengthsOf(op string, v gorgonia.Value) (lenX, lenY []int, err error) {
	return readLengths(op, v, g.batch, g.n, g.mm)
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

// kept is an Op's output buffer that outlives a run of the graph. α, its
// gradient and the weights are internal to an alignment's nodes, so no
// caller reads a run's value after the next run starts, and fresh memory
// costs more than the cells' arithmetic at these sizes. A kept
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
