package ctc

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/genband/genband/bandop"
	"github.com/genband/genband/internal/dense"
	"github.com/genband/genband/internal/parallel"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// AlignMask adds the forced alignment of each item to the graph: the best
// path through its extended label sequence (the Max semiring on Loss's
// scan: the path of the highest Σ_t logProbs[t, b, class of its state]),
// as a 0/1 mask of logProbs' dtype, (batch, T, L) with L the most labels
// an item holds (the padded targets' width; for 1-D targets the smaller of
// N and T, or MaxTargetLength): mask[b, t, j] = 1 where the path spends
// frame t on label j. Frames it spends on a blank, frames past the item's
// input length, and every frame of an item with no path (labels that do
// not fit, or every path of score −Inf) are 0 in every label. Of several
// best paths it takes the one that enters each state from the lowest
// predecessor. The arguments are Loss's; the mask has no gradient.
func AlignMask(logProbs, targets, inputLengths, targetLengths *gorgonia.Node, opts ...Option) (*gorgonia.Node, error) {
	const name = "AlignMask"
	f, err := newForm(name, logProbs, targets, inputLengths, targetLengths, makeOptions(opts))
	if err != nil {
		return nil, err
	}
	a, states, err := scanGraph(name, f, logProbs, targets, inputLengths, targetLengths, bandop.Max)
	if err != nil {
		return nil, err
	}
	out, err := gorgonia.ApplyOp(&alignOp{f}, a, states, targets, inputLengths, targetLengths)
	if err != nil {
		return nil, wrap(name, err)
	}
	return out, nil
}

// alignOp traces the best paths back through the Max scan's states:
// inputs the step matrices, the states, targets, inputLengths and
// targetLengths; output the mask of AlignMask, a fresh value of each run.
type alignOp struct{ form }

func (op *alignOp) String() string            { return "ctc.AlignMask{" + op.form.String() + "}" }
func (op *alignOp) Arity() int                { return 5 }
func (op *alignOp) ReturnsPtr() bool          { return false }
func (op *alignOp) CallsExtern() bool         { return false }
func (op *alignOp) OverwritesInput() int      { return -1 }
func (op *alignOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *alignOp) Hashcode() uint32          { return hashOf(op) }
func (op *alignOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }

func (op *alignOp) Type() hm.Type {
	return hm.NewFnType(gorgonia.TensorType{Dims: 3, Of: op.dt}, op.statesType(), op.targetsType(), op.lengthsType(), op.lengthsType(),
		gorgonia.TensorType{Dims: 3, Of: op.dt})
}

func (op *alignOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) { return op.maskShape(), nil }

func (op *alignOp) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, errorf(ErrGraph, "AlignMask", "a forced alignment has no gradient")
}

func (op *alignOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "AlignMask"
	if len(vals) != 5 {
		return nil, errorf(ErrValue, name, "got %d inputs, want 5", len(vals))
	}
	a, err := floats(name, "the step matrices", vals[0], op.dt, op.stepShape())
	if err != nil {
		return nil, err
	}
	st, err := floats(name, "the states", vals[1], tensor.Float64, op.statesShape())
	if err != nil {
		return nil, err
	}
	bt, err := parse(name, op.form, vals[2], vals[3], vals[4])
	if err != nil {
		return nil, err
	}
	out := tensor.New(tensor.Of(op.dt), tensor.WithShape(op.maskShape()...))
	switch d := out.Data().(type) {
	case []float32:
		backtrack(op.form, bt, d, a.Data().([]float32), st.Data().([]float64))
	case []float64:
		backtrack(op.form, bt, d, a.Data().([]float64), st.Data().([]float64))
	}
	return out, nil
}

// backtrack writes each item's best path into mask (zero), from the end
// state of the higher score back to state 0, entering each state from its
// best predecessor (the lowest of equal ones) as the Max scan scored it.
func backtrack[T float32 | float64](f form, bt *batch, mask, a []T, states []float64) {
	s := f.states()
	per := s * 3
	parallel.For(f.batch, f.t*f.batch*3, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			if !bt.fits[b] {
				continue
			}
			tb, l := bt.inLen[b], bt.tgtLen[b]
			state := func(t, c int) float64 { return states[(t*f.batch+b)*s+c] }
			c := 0
			if l > 0 {
				c = 2*l - 1
				if state(tb, 2*l) > state(tb, c) {
					c = 2 * l
				}
			}
			if !(state(tb, c) > negInf) {
				continue
			}
			for t := tb - 1; t >= 0; t-- {
				if c%2 == 1 {
					mask[(b*f.t+t)*f.lmax+c/2] = 1
				}
				mat := a[(t*f.batch+b)*per:]
				best, from := negInf, c
				for r := max(0, c-2); r <= c; r++ {
					if x := state(t, r) + float64(mat[r*3+c-r]); x > best {
						best, from = x, r
					}
				}
				c = from
			}
		}
	})
}

// A Span is the frames [Start, End) that a forced alignment spends on one
// label: label Label (its index in the item's target), of class Class.
type Span struct {
	Label, Class int
	Start, End   int
}

// Align returns the forced alignment of each item (see AlignMask) at once:
// for item b, the spans of its labels in order, one per label, or nil
// where the item has no path (labels that cannot fit its frames, or every
// path of score −Inf) or no labels. The arguments are Loss's as values
// (contiguous or not); none is modified.
func Align(logProbs, targets, inputLengths, targetLengths *tensor.Dense, opts ...Option) ([][]Span, error) {
	const name = "Align"
	g, nodes, err := eagerNodes(name, logProbs, targets, inputLengths, targetLengths)
	if err != nil {
		return nil, err
	}
	mask, err := AlignMask(nodes[0], nodes[1], nodes[2], nodes[3], opts...)
	if err != nil {
		return nil, wrap(name, err)
	}
	if err := run(name, g); err != nil {
		return nil, err
	}
	f, err := newForm(name, nodes[0], nodes[1], nodes[2], nodes[3], makeOptions(opts))
	if err != nil {
		return nil, err
	}
	bt, err := parse(name, f, nodes[1].Value(), nodes[2].Value(), nodes[3].Value())
	if err != nil {
		return nil, err
	}
	m := asFloats(mask.Value())
	spans := make([][]Span, f.batch)
	for b := range f.batch {
		if !bt.fits[b] || bt.tgtLen[b] == 0 {
			continue
		}
		var sp []Span
		for j, cls := range bt.labels[b] {
			s := Span{Label: j, Class: cls, Start: -1}
			for t := range bt.inLen[b] {
				if m[(b*f.t+t)*f.lmax+j] != 0 {
					if s.Start < 0 {
						s.Start = t
					}
					s.End = t + 1
				}
			}
			if s.Start < 0 {
				sp = nil // no path
				break
			}
			sp = append(sp, s)
		}
		spans[b] = sp
	}
	return spans, nil
}

// Posteriors returns, for each item, frame and state of its extended label
// sequence, the probability that a path of its labels is in that state at
// that frame (the soft alignment that Loss's gradient is made of): a
// float64 tensor (batch, T, S), S = 2L + 1 with L as in AlignMask, state
// 2j+1 label j and the even states the blanks before, between and after
// the labels. Each row of an item's frames sums to 1; frames past its
// input length, states past its 2L_b + 1 and every frame of an item of p
// = 0 are 0. The arguments are Loss's as values; none is modified.
func Posteriors(logProbs, targets, inputLengths, targetLengths *tensor.Dense, opts ...Option) (*tensor.Dense, error) {
	const name = "Posteriors"
	_, nodes, err := eagerNodes(name, logProbs, targets, inputLengths, targetLengths)
	if err != nil {
		return nil, err
	}
	f, err := newForm(name, nodes[0], nodes[1], nodes[2], nodes[3], makeOptions(opts))
	if err != nil {
		return nil, err
	}
	// The step matrices are an input of a graph of their own, so that
	// gorgonia.Grad reaches them.
	av, err := (&stepsOp{form: f, name: name}).Do(nodes[0].Value(), nodes[1].Value(), nodes[2].Value(), nodes[3].Value())
	if err != nil {
		return nil, wrap(name, err)
	}
	bt, err := parse(name, f, nodes[1].Value(), nodes[2].Value(), nodes[3].Value())
	if err != nil {
		return nil, err
	}
	sg := gorgonia.NewGraph()
	an := gorgonia.NewTensor(sg, f.dt, 3, gorgonia.WithShape(f.stepShape()...), gorgonia.WithName("steps"), gorgonia.WithValue(av))
	tl := gorgonia.NewTensor(sg, tensor.Int, 1, gorgonia.WithShape(f.batch), gorgonia.WithName("targetLengths"), gorgonia.WithValue(nodes[3].Value()))
	states, err := scanStates(name, f, an, bandop.Log)
	if err != nil {
		return nil, err
	}
	cost, err := lossOf(name, f, states, tl, gorgonia.ReductionSum)
	if err != nil {
		return nil, err
	}
	grads, err := gorgonia.Grad(cost, an)
	if err != nil {
		return nil, wrap(name, err)
	}
	if err := run(name, sg); err != nil {
		return nil, err
	}
	// The gradient of −log p with respect to a move is minus the
	// probability that a path takes it: a state's occupancy at frame t is
	// the sum over the moves into it.
	da := asFloats(grads[0].Value())
	s := f.states()
	post := make([]float64, f.batch*f.t*s)
	for b := range f.batch {
		for t := range bt.inLen[b] {
			mat := da[(t*f.batch+b)*s*3:]
			row := post[(b*f.t+t)*s : (b*f.t+t+1)*s]
			for c := range row {
				x := mat[c*3]
				if c >= 1 {
					x += mat[(c-1)*3+1]
				}
				if c >= 2 {
					x += mat[(c-2)*3+2]
				}
				row[c] = -x + 0 // −0 reads as 0
			}
		}
	}
	return tensor.New(tensor.WithShape(f.batch, f.t, s), tensor.WithBacking(post)), nil
}

// eagerNodes checks the eager functions' tensors and adds them to a new
// graph as named input nodes holding contiguous copies (the graph's Ops
// never write into their inputs, but the caller's tensors stay out of it).
func eagerNodes(name string, ts ...*tensor.Dense) (*gorgonia.ExprGraph, [4]*gorgonia.Node, error) {
	var nodes [4]*gorgonia.Node
	g := gorgonia.NewGraph()
	for i, t := range ts {
		if t == nil {
			return nil, nodes, errorf(ErrNil, name, "%s is nil", argNames[i])
		}
		c := dense.Contiguous(t)
		if c == t {
			c = t.Clone().(*tensor.Dense)
		}
		nodes[i] = gorgonia.NewTensor(g, c.Dtype(), c.Dims(), gorgonia.WithShape(c.Shape()...), gorgonia.WithName(argNames[i]), gorgonia.WithValue(c))
	}
	return g, nodes, nil
}

// run runs g once on a TapeMachine.
func run(name string, g *gorgonia.ExprGraph) error {
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		return wrap(name, err)
	}
	return nil
}

// asFloats returns a float value's elements as float64.
func asFloats(v gorgonia.Value) []float64 {
	switch d := v.Data().(type) {
	case []float64:
		return d
	case []float32:
		r := make([]float64, len(d))
		for i, x := range d {
			r[i] = float64(x)
		}
		return r
	}
	return nil
}
