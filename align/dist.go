package align

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/genband/genband/align/internal/lattice"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// An alignment model over potentials θ with lengths is also a distribution
// over each item's paths: a path p has probability exp(score(p) − log Z)
// under the Log semiring, where score(p) is the sum of θ along p and log Z
// the Log partition (LogPartition, Marginals). This file holds the
// log-probabilities of given paths and the best path's mask in a graph;
// kbest.go the best paths, sample.go exact samples.
//
// What is defined where:
//   - LogProb, LogProbNode and Sample are the Log distribution's: they refuse a
//     model whose Semiring is Real or Max.
//   - BestPaths, KBest and BestMask are the Max semiring's (the best
//     scores), whatever the model's semiring.
//   - Both models (linear and Affine), every mode (Global, Local,
//     SemiGlobal) and MaxGap are supported by the eager functions, which
//     run over one item's lattice in float64 (LogProb and Sample
//     anti-diagonal by anti-diagonal, lattice.LogForward) and ignore the
//     strategy; the graph node LogProbNode needs the Linear strategy (it is
//     built on LogPartitionLengths).

// logForward is the Log forward pass of one item (lattice.LogForward):
// alpha[l.Index(s, i, j)] is the log of the summed weight of the path
// prefixes ending in state s of cell (i, j), and with tables cum holds the
// sampling tables of every (state, cell), l.Top.CumWidth() entries each
// from l.CumIndex(s, i, j) (see lattice.LogForward).
type logForward struct {
	l     *lattice.Lattice
	alpha []float64
	cum   []float64
	logZ  float64
}

// logForwards checks the inputs of LogProb and Sample and runs the Log
// forward pass of every item; an item whose every path scores −Inf has no
// distribution and is an error. Without tables only logZ is kept (alpha
// and cum are nil).
func (m Model) logForwards(op string, in *items, tables bool) ([]*logForward, error) {
	fs := make([]*logForward, in.batch)
	var w lattice.LogWork
	nc := m.Channels()
	per := in.n * in.mm * nc
	for b := range in.batch {
		l := m.lat(in.lenX[b], in.lenY[b])
		if err := in.checkFinite(op, b, l); err != nil {
			return nil, err
		}
		f := &logForward{l: l}
		if tables {
			f.alpha, f.cum = make([]float64, l.Size()), make([]float64, l.Size()*l.Top.CumWidth())
		}
		th := lattice.Theta[float64]{D: in.th[b*per : (b+1)*per], Width: in.mm, Channels: nc}
		f.logZ = lattice.LogForward(&w, l, th, f.alpha, f.cum)
		if math.IsInf(f.logZ, -1) {
			return nil, errorf(ErrPotential, op, "item %d: every path scores −Inf, so its paths have no distribution", b)
		}
		fs[b] = f
	}
	return fs, nil
}

// LogProb returns the log-probability of paths[b] under the Log
// distribution of item b for every item: its score (see Scores) minus the
// item's log Z, computed in float64 by a forward pass over the item's
// cells. theta is (batch, N, M, m.Channels()) of Float64 or Float32 (3
// channels, or 5 with Affine) and is not modified; the lengths are as in LogPartition; every mode and MaxGap is
// supported and the strategy is not used. m.Semiring must be Log.
//
// The paths are checked as in CheckPaths (a *PathError says where one
// breaks). A NaN or +Inf potential that a path of an item may use is an
// error naming the item and the cell, and so is an item whose every path
// scores −Inf (it has no distribution).
func (m Model) LogProb(theta *tensor.Dense, paths []Path, lenX, lenY []int) ([]float64, error) {
	const op = "LogProb"
	if err := m.checkLog(op); err != nil {
		return nil, err
	}
	in, err := m.pathItems(op, theta, paths, lenX, lenY)
	if err != nil {
		return nil, err
	}
	fs, err := m.logForwards(op, in, false)
	if err != nil {
		return nil, err
	}
	out := make([]float64, in.batch)
	for b, p := range paths {
		var s float64
		for _, st := range p {
			s += in.at(b, st.I, st.J, st.Move)
		}
		out[b] = s - fs[b].logZ
	}
	return out, nil
}

// LogProbNode adds to theta's graph the log-probability of the paths whose 0/1
// mask is mask (Model.Mask) under the Log distribution of every item:
// MaskScore(theta, mask) − LogPartitionLengths(theta, lengths), shape
// (batch) in theta's dtype. theta and mask are nodes of shape
// (batch, N, M, m.Channels()) and the same dtype; lengths is the (batch, 2) Int node
// of LogPartitionLengths. Bind mask and lengths with gorgonia.Let before
// each run, like theta. gorgonia.Grad of its sum gives mask − marginals
// with respect to theta, the gradient of a conditional random field's
// log-likelihood. It needs the Log semiring and the Linear strategy. A run
// fails with an error of kind ErrPath, naming the item and what breaks,
// when a mask is not the 0/1 mask of a path of its item (build it with
// Model.Mask). The node keeps IEEE semantics in θ, as LogPartition and
// MaskScore do: a NaN or +Inf potential that a path may use makes the
// item's result NaN or ±Inf, and the run reports no error.
func (m Model) LogProbNode(theta, mask, lengths *gorgonia.Node) (*gorgonia.Node, error) {
	const op = "LogProbNode"
	if err := m.checkLog(op); err != nil {
		return nil, err
	}
	if m.Strategy != Linear {
		return nil, errorf(ErrMode, op, "the %v strategy takes the lengths when the graph is built: use Linear", m.Strategy)
	}
	z, err := m.logPartitionLengths(op, theta, lengths)
	if err != nil {
		return nil, err
	}
	score, err := maskScore(op, theta, mask, &m, lengths)
	if err != nil {
		return nil, err
	}
	lp, err := gorgonia.Sub(score, z)
	if err != nil {
		return nil, wrap(op, err)
	}
	return lp, nil
}

// BestMask adds to theta's graph the 0/1 mask of every item's best path
// (the path of BestPaths), of theta's shape (batch, N, M, m.Channels())
// and dtype: MaskScore(theta, BestMask(theta, lengths)) is the best score, whose
// gradient with respect to theta is the mask. lengths is the (batch, 2)
// Int node of LogPartitionLengths. The mask itself has no gradient (it is
// piecewise constant in θ): gorgonia.Grad treats it as a constant. Every
// mode and MaxGap is supported; the semiring and strategy of m are not
// used. A run fails with an error naming the item and the cell when a
// potential that a path may use is NaN or +Inf; an item whose every path
// scores −Inf gets a zero mask.
func (m Model) BestMask(theta, lengths *gorgonia.Node) (*gorgonia.Node, error) {
	const op = "BestMask"
	if err := m.checkModel(op); err != nil {
		return nil, err
	}
	if err := checkThetaNode(op, "potentials", theta); err != nil {
		return nil, err
	}
	batch, _, _, err := m.thetaShape(op, "potentials", theta.Shape())
	if err != nil {
		return nil, err
	}
	if err := checkLengthsNode(op, lengths, batch); err != nil {
		return nil, err
	}
	mm := m
	mm.Semiring, mm.Strategy = Max, Linear // not used: one Op for any
	mask, err := gorgonia.ApplyOp(&bestMaskOp{m: mm, shape: theta.Shape().Clone(), dt: theta.Dtype()}, theta, lengths)
	if err != nil {
		return nil, wrap(op, err)
	}
	return mask, nil
}

// bestMaskOp is BestMask: inputs θ and the lengths, output the best
// paths' mask.
type bestMaskOp struct {
	m     Model
	shape tensor.Shape
	dt    tensor.Dtype
}

func (op *bestMaskOp) String() string {
	return fmt.Sprintf("align.BestMask{%v, θ%v, %v}", op.m, op.shape, op.dt)
}
func (op *bestMaskOp) Arity() int                { return 2 }
func (op *bestMaskOp) ReturnsPtr() bool          { return false }
func (op *bestMaskOp) CallsExtern() bool         { return false }
func (op *bestMaskOp) OverwritesInput() int      { return -1 }
func (op *bestMaskOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *bestMaskOp) Hashcode() uint32          { return hashOf(op) }
func (op *bestMaskOp) DiffWRT(inputs int) []bool { return []bool{false, false} }

func (op *bestMaskOp) Type() hm.Type {
	return hm.NewFnType(gorgonia.TensorType{Dims: 4, Of: op.dt}, gorgonia.TensorType{Dims: 2, Of: tensor.Int}, gorgonia.TensorType{Dims: 4, Of: op.dt})
}

func (op *bestMaskOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}

func (op *bestMaskOp) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, errorf(ErrGraph, "BestMask", "the best path's mask has no gradient")
}

func (op *bestMaskOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "BestMask"
	if len(vals) != 2 {
		return nil, errorf(ErrValue, name, "got %d inputs, want 2", len(vals))
	}
	th, err := operand(name, vals, 0, op.dt, op.shape)
	if err != nil {
		return nil, err
	}
	batch, n, mm := op.shape[0], op.shape[1], op.shape[2]
	lx, ly, err := readLengths(name, vals[1], batch, n, mm)
	if err != nil {
		return nil, err
	}
	in, err := op.m.newItems(name, th, lx, ly)
	if err != nil {
		return nil, err
	}
	vs, err := op.m.viterbiItems(name, in)
	if err != nil {
		return nil, err
	}
	out := tensor.New(tensor.Of(op.dt), tensor.WithShape(op.shape...))
	for b, v := range vs {
		p, _ := v.kbest(1)
		if len(p) == 0 {
			continue
		}
		for _, s := range p[0] {
			k := ((b*n+s.I)*mm+s.J)*op.shape[3] + s.Move
			switch d := out.Data().(type) {
			case []float64:
				d[k] = 1
			case []float32:
				d[k] = 1
			}
		}
	}
	return out, nil
}

// readLengths reads a (batch, 2) Int lengths value, an Op's input, and
// checks it against N and M.
func readLengths(op string, v gorgonia.Value, batch, n, mm int) ([]int, []int, error) {
	d, ok := v.(*tensor.Dense)
	if !ok || d.Dtype() != tensor.Int || !d.Shape().Eq(tensor.Shape{batch, 2}) {
		return nil, nil, errorf(ErrValue, op, "lengths are %v, want int of shape (%d, 2)", describe(v), batch)
	}
	x := contiguous(d).Data().([]int)
	lx, ly := make([]int, batch), make([]int, batch)
	for b := range batch {
		lx[b], ly[b] = x[2*b], x[2*b+1]
	}
	if _, err := lengths(op, "lenX", lx, batch, n); err != nil {
		return nil, nil, err
	}
	if _, err := lengths(op, "lenY", ly, batch, mm); err != nil {
		return nil, nil, err
	}
	return lx, ly, nil
}
