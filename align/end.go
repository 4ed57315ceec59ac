package align

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// endOp reads log Z of every item out of α at run time: the ⊕ of α over
// the states of the end cell (lenX−1, lenY−1) in global mode, over every
// state of every allowed cell within the lengths in local mode, and of
// every allowed cell of the last row (lenX−1) or column (lenY−1) in
// semi-global mode. Inputs: α, float64 (batch, S·N·M) in the grid's
// skewed order, and the lengths; output (batch) of dtype dt, summed in
// float64 and rounded once.
type endOp struct {
	g  *grid
	dt tensor.Dtype
}

// gradOp returns a gradient Op of op with a workspace of its own (see
// endWork): each gradient node writes into memory of its own.
func (op *endOp) gradOp() *endGradOp {
	return &endGradOp{endOp: endOp{g: op.g, dt: op.dt}, ws: new(endWork)}
}

func (op *endOp) String() string {
	return fmt.Sprintf("align.End{%v, θ%v, %v}", op.g.m, op.g.thetaShape(), op.dt)
}
func (op *endOp) Arity() int                { return 2 }
func (op *endOp) ReturnsPtr() bool          { return false }
func (op *endOp) CallsExtern() bool         { return callsExtern }
func (op *endOp) OverwritesInput() int      { return -1 }
func (op *endOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *endOp) Hashcode() uint32          { return hashOf(op) }
func (op *endOp) DiffWRT(inputs int) []bool { return []bool{true, false} }

func (op *endOp) Type() hm.Type {
	return hm.NewFnType(gorgonia.TensorType{Dims: 2, Of: tensor.Float64}, gorgonia.TensorType{Dims: 2, Of: tensor.Int}, gorgonia.TensorType{Dims: 1, Of: op.dt})
}

func (op *endOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.batch}, nil
}

// alphaOf returns α and the lengths of an Op's inputs.
func (g *grid) alphaOf(op string, vals []gorgonia.Value) ([]float64, []int, []int, error) {
	if len(vals) < 2 {
		return nil, nil, nil, errorf(ErrValue, op, "got %d inputs, want α and the lengths", len(vals))
	}
	a, err := g.cellValues(op, "α", vals[0])
	if err != nil {
		return nil, nil, nil, err
	}
	lx, ly, err := g.lengthsOf(op, vals[1])
	if err != nil {
		return nil, nil, nil, err
	}
	return a, lx, ly, nil
}

// ends calls f with the index in α of every end state of item b, in the
// order of lattice.Ends: the cells row by row, the states of a cell in
// order (a linear cell has one).
func (g *grid) ends(b, lx, ly int, f func(at int)) {
	l := g.m.lat(lx, ly)
	per := g.n * g.mm
	at := func(i, j int) {
		k := g.at(b, i, j)
		for s := range g.states {
			f(k + s*per)
		}
	}
	switch g.m.Mode {
	case Global:
		at(lx-1, ly-1)
	case SemiGlobal:
		// The last column of rows 0 … lx−2, then the last row.
		for i := range lx - 1 {
			if l.Valid(i, ly-1) {
				at(i, ly-1)
			}
		}
		jlo, jhi := l.Cols(lx - 1)
		for j := jlo; j <= jhi; j++ {
			at(lx-1, j)
		}
	default:
		for i := range lx {
			jlo, jhi := l.Cols(i)
			for j := jlo; j <= jhi; j++ {
				at(i, j)
			}
		}
	}
}

// total returns the ⊕ of the ends of item b, in float64. A NaN end makes
// it NaN in every semiring (Max included: the builtin max keeps NaN, where
// Semiring.Plus would drop it).
func (g *grid) total(alpha []float64, b, lx, ly int) float64 {
	s := g.m.Semiring
	acc := s.Zero()
	switch s {
	case Log:
		m := math.Inf(-1)
		g.ends(b, lx, ly, func(at int) { m = max(m, alpha[at]) })
		if math.IsInf(m, 0) || m != m {
			return m
		}
		var sum float64
		g.ends(b, lx, ly, func(at int) { sum += math.Exp(alpha[at] - m) })
		return m + math.Log(sum)
	case Max:
		g.ends(b, lx, ly, func(at int) { acc = max(acc, alpha[at]) })
	default:
		g.ends(b, lx, ly, func(at int) { acc += alpha[at] })
	}
	return acc
}

func (op *endOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	alpha, lx, ly, err := op.g.alphaOf(op.g.op, vals)
	if err != nil {
		return nil, err
	}
	z := make([]float64, op.g.batch)
	for b := range z {
		z[b] = op.g.total(alpha, b, lx[b], ly[b])
	}
	if op.dt == tensor.Float32 {
		f := make([]float32, len(z))
		for b, x := range z {
			f[b] = float32(x)
		}
		return tensor.New(tensor.WithShape(op.g.batch), tensor.WithBacking(f)), nil
	}
	return tensor.New(tensor.WithShape(op.g.batch), tensor.WithBacking(z)), nil
}

func (op *endOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	d, err := gorgonia.ApplyOp(op.gradOp(), inputs[0], inputs[1], grad)
	if err != nil {
		return nil, wrap(op.g.op, err)
	}
	return gorgonia.Nodes{d, nil}, nil
}

// endGradOp is the gradient of endOp with respect to α: dz times each end
// state's weight in the ⊕ (1 under Real, its softmax weight under Log, 1
// on the first maximal end in lattice.Ends' order and 0 on the others
// under Max; a linear global item has one end, which takes dz).
type endGradOp struct {
	endOp
	ws *endWork // nil: fresh memory each run
}

// An endWork is the memory of an endGradOp's output, kept from run to run
// because the gradient of α is 0 but at the ends, so that a run sets back
// to 0 only the elements the last one wrote instead of clearing (or
// allocating) the whole. Every run returns a value of its own over that
// memory; the memory feeds only cellsGradOp, which does not keep it. Every
// Do holds the workspace while it runs (inUse): a Do that finds it held,
// by a run of the same graph on another machine, returns an error of kind
// ErrBusy rather than write over memory that run is using.
type endWork struct {
	inUse
	grad   []float64 // (batch, N·M) in the grid's skewed order, 0 but at picked; nil before the first run
	picked []int     // the elements of grad the last run wrote
}

// take returns the workspace's memory for an output of size elements, all
// 0: it sets back to 0 what the last run wrote, or allocates the memory on
// the first run (and when the size changes, which a grid's does not).
func (ws *endWork) take(size int) []float64 {
	if len(ws.grad) != size {
		ws.grad, ws.picked = make([]float64, size), ws.picked[:0]
		return ws.grad
	}
	for _, at := range ws.picked {
		ws.grad[at] = 0
	}
	ws.picked = ws.picked[:0]
	return ws.grad
}

func (op *endGradOp) String() string {
	return fmt.Sprintf("align.EndGrad{%v, θ%v, %v}", op.g.m, op.g.thetaShape(), op.dt)
}
func (op *endGradOp) Arity() int            { return 3 }
func (op *endGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *endGradOp) Hashcode() uint32      { return hashOf(op) }

func (op *endGradOp) Type() hm.Type {
	return hm.NewFnType(gorgonia.TensorType{Dims: 2, Of: tensor.Float64}, gorgonia.TensorType{Dims: 2, Of: tensor.Int},
		gorgonia.TensorType{Dims: 1, Of: op.dt}, gorgonia.TensorType{Dims: 2, Of: tensor.Float64})
}

func (op *endGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.g.cellsShape(), nil
}

func (op *endGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.g.op
	if len(vals) != 3 {
		return nil, errorf(ErrValue, name, "got %d inputs, want 3", len(vals))
	}
	alpha, lx, ly, err := op.g.alphaOf(name, vals)
	if err != nil {
		return nil, err
	}
	dzv, ok := vals[2].(*tensor.Dense)
	if !ok || dzv.Dtype() != op.dt || !dzv.Shape().Eq(tensor.Shape{op.g.batch}) {
		return nil, errorf(ErrValue, name, "gradient is %v, want %v of shape (%d)", describe(vals[2]), op.dt, op.g.batch)
	}
	dz := float64s(dzv)
	ws := op.ws
	if ws == nil {
		ws = new(endWork)
	}
	if err := ws.claim(name); err != nil {
		return nil, err
	}
	defer ws.release()
	shape := op.g.cellsShape()
	out := ws.take(shape.TotalSize())
	s := op.g.m.Semiring
	for b := range op.g.batch {
		d := dz[b]
		if d == 0 {
			continue
		}
		switch {
		case op.g.m.Mode == Global && op.g.states == 1 || s == Real:
			op.g.ends(b, lx[b], ly[b], func(at int) {
				out[at] += d
				ws.picked = append(ws.picked, at)
			})
		case s == Max:
			z := op.g.total(alpha, b, lx[b], ly[b])
			if math.IsInf(z, -1) {
				continue
			}
			done := false
			op.g.ends(b, lx[b], ly[b], func(at int) {
				if !done && alpha[at] == z {
					out[at] += d
					ws.picked = append(ws.picked, at)
					done = true
				}
			})
		default:
			z := op.g.total(alpha, b, lx[b], ly[b])
			if math.IsInf(z, -1) {
				continue
			}
			op.g.ends(b, lx[b], ly[b], func(at int) {
				out[at] += d * math.Exp(alpha[at]-z)
				ws.picked = append(ws.picked, at)
			})
		}
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out)), nil
}
