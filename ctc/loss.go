package ctc

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Loss adds the connectionist temporal classification loss to the graph,
// a drop-in for gorgonia.CTCLoss: the same arguments, shapes, blank class
// and reductions, on bandop's scan in the Log semiring.
//
// logProbs is (T, batch, classes) of Float32 or Float64: frame t of item
// b's log probability of each class, class 0 the blank (Blank changes
// it). targets are Int, either padded, (batch, L), item b's labels first
// in its row, or concatenated, (N), the items' labels one after another.
// inputLengths and targetLengths are Int, (batch): each item's frames
// (1 to T) and labels (0 to L; for 1-D targets they add up to at most N).
// They are values of the run, not of the graph: one graph serves every
// batch of its shapes. The result is a scalar of logProbs' dtype: with
// gorgonia.ReductionSum, Σ_b −log p_b; with gorgonia.ReductionMean,
// (1/batch) Σ_b −log p_b / max(1, L_b), where p_b is the probability of
// item b's labels, the sum over every path through its extended label
// sequence (a blank before, between and after the labels; a repeated
// label needs a blank between its two frames).
//
// Its gradient with respect to logProbs (gorgonia.Grad) is the derivative
// of the loss whatever produced logProbs: −(weight of b)·γ_t(c), γ the
// expected number of frame t's paths through states of class c. It
// differs from gorgonia.CTCLoss's, exp(logProbs) − γ, which is the
// derivative of a loss taken behind a log-softmax (the softmax's own
// gradient folded in), with Sum reduction only (it ignores Mean's
// weights), and −Inf on frames past an item's input length, where the
// true derivative, ours, is 0. Compose Loss with gorgonia's or bandop's
// LogSoftmax to get the same gradient at the softmax's input. The values
// are gorgonia's, except that its value for an empty target (L_b = 0) has
// the wrong sign (+log p where the loss is −log p), and that its input
// length 0 panics where ours is an error.
//
// An item whose labels cannot fit its frames (too few frames for its
// labels and the blanks its repeats need) has p = 0: its loss is +Inf and
// its gradient 0, so the other items still train, rather than an error
// that would fail the whole batch (gorgonia.CTCLoss's value is the same;
// PyTorch's zero_infinity option reports 0 instead). Bad arguments are
// errors of this package, never panics: at build time, shapes and dtypes;
// at run time (through RunAll, see bandop.Cause), an input length outside
// [1, T], a negative target length or one past the targets, a label
// outside the classes or equal to the blank (kind ErrLength).
//
// The scan's states are float64 whatever the dtype, and its Ops keep their
// buffers from run to run (bandop.ReuseBuffers): run the graph on one
// machine at a time. The gradient with respect to logProbs is such a
// buffer too: its value is good until the graph's next run (copy it to
// keep it longer). Loss builds no label-length cap: S = 2L + 1 states of
// any L that fits memory. For 1-D targets see MaxTargetLength.
func Loss(logProbs, targets, inputLengths, targetLengths *gorgonia.Node, reduction gorgonia.Reduction, opts ...Option) (*gorgonia.Node, error) {
	const name = "Loss"
	if reduction != gorgonia.ReductionMean && reduction != gorgonia.ReductionSum {
		return nil, errorf(ErrReduction, name, "reduction %d is neither ReductionMean nor ReductionSum", reduction)
	}
	f, err := newForm(name, logProbs, targets, inputLengths, targetLengths, makeOptions(opts))
	if err != nil {
		return nil, err
	}
	_, states, err := scanGraph(name, f, logProbs, targets, inputLengths, targetLengths, bandop.Log)
	if err != nil {
		return nil, err
	}
	return lossOf(name, f, states, targetLengths, reduction)
}

// scanGraph adds the step matrices and the scan's states in semiring s.
func scanGraph(name string, f form, logProbs, targets, inputLengths, targetLengths *gorgonia.Node, s bandop.Semiring) (*gorgonia.Node, *gorgonia.Node, error) {
	steps, err := gorgonia.ApplyOp(&stepsOp{form: f, name: name}, logProbs, targets, inputLengths, targetLengths)
	if err != nil {
		return nil, nil, wrap(name, err)
	}
	states, err := scanStates(name, f, steps, s)
	if err != nil {
		return nil, nil, err
	}
	return steps, states, nil
}

// scanStates adds the scan's states in semiring s over the step matrices
// a, from state 0 of each item.
func scanStates(name string, f form, steps *gorgonia.Node, s bandop.Semiring) (*gorgonia.Node, error) {
	a, err := bandop.Wrap(steps, 0, 2, negInf)
	if err != nil {
		return nil, wrap(name, err)
	}
	w := f.window()
	// Every use of the states (finalOp, AlignMask's trace, which has no
	// gradient) reads only the last.
	states, err := bandop.ScanStates(startState(f), a, s, &bandop.Window{Lo: w[0], Hi: w[1]}, bandop.ReuseBuffers(), bandop.GradientAtEnd())
	if err != nil {
		return nil, wrap(name, err)
	}
	return states, nil
}

// startState is the scan's v0, a constant (batch, S) of logProbs' dtype.
func startState(f form) *gorgonia.Node {
	// Every path starts in state 0 before the first frame; its first move
	// (to state 0 or 1) takes the first frame's class.
	start := make([]float64, f.batch*f.states())
	for k := range start {
		if k%f.states() != 0 {
			start[k] = negInf
		}
	}
	v0 := tensor.New(tensor.Of(f.dt), tensor.WithShape(f.batch, f.states()))
	switch d := v0.Data().(type) {
	case []float32:
		for k, x := range start {
			d[k] = float32(x)
		}
	case []float64:
		copy(d, start)
	}
	return gorgonia.NewConstant(v0)
}

// itemLogP returns log p of item b from the last state of the scan, last
// (batch, S), with the two final states' weights in that sum (0 where p is
// 0 or the item does not fit).
func itemLogP(f form, last []float64, b, l int) (lp, w1, w2 float64, i1, i2 int) {
	s := f.states()
	if l > f.lmax {
		return negInf, 0, 0, 0, 0
	}
	if l == 0 {
		x := last[b*s]
		if math.IsInf(x, -1) {
			return x, 0, 0, b * s, b * s
		}
		return x, 1, 0, b * s, b * s
	}
	i1, i2 = b*s+2*l-1, b*s+2*l
	x, y := last[i1], last[i2]
	m := max(x, y)
	if math.IsInf(m, -1) {
		return m, 0, 0, i1, i2
	}
	sum := math.Exp(x-m) + math.Exp(y-m)
	lp = m + math.Log(sum)
	return lp, math.Exp(x - lp), math.Exp(y - lp), i1, i2
}

// weight is item b's weight in the reduction.
func weight(red gorgonia.Reduction, batch, l int) float64 {
	if red == gorgonia.ReductionSum {
		return 1
	}
	return 1 / float64(max(1, l)) / float64(batch)
}

// lossOf adds the loss in reduction red of the scan's states: each item's
// log p from its last state (finalOp), then their weighted sum (lossOp).
func lossOf(name string, f form, states, targetLengths *gorgonia.Node, red gorgonia.Reduction) (*gorgonia.Node, error) {
	lp, err := gorgonia.ApplyOp(&finalOp{form: f}, states, targetLengths)
	if err != nil {
		return nil, wrap(name, err)
	}
	out, err := gorgonia.ApplyOp(&lossOp{form: f, reduction: red}, lp, targetLengths)
	if err != nil {
		return nil, wrap(name, err)
	}
	return out, nil
}

// finalOp takes each item's log p out of the scan's states (itemLogP):
// inputs the states and targetLengths; output (batch) float64. Under the
// cuda build tag it runs on the GPU (kernel ctc_final), so that of the
// states only these batch values reach the host, for lossOp.
type finalOp struct {
	form
}

func (op *finalOp) String() string            { return fmt.Sprintf("ctc.Final{%v}", op.form) }
func (op *finalOp) Arity() int                { return 2 }
func (op *finalOp) ReturnsPtr() bool          { return false }
func (op *finalOp) CallsExtern() bool         { return callsExtern }
func (op *finalOp) OverwritesInput() int      { return -1 }
func (op *finalOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *finalOp) Hashcode() uint32          { return hashOf(op) }
func (op *finalOp) DiffWRT(inputs int) []bool { return []bool{true, false} }

func (op *finalOp) Type() hm.Type {
	return hm.NewFnType(op.statesType(), op.lengthsType(), op.itemsType())
}

func (op *finalOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.batch}, nil
}

// itemsType is the type of a float64 value per item.
func (f form) itemsType() hm.Type { return gorgonia.TensorType{Dims: 1, Of: tensor.Float64} }

// lastState returns the last state of the scan's states, (batch, S), and
// the target lengths, checked.
func (f form) lastState(name string, states, targetLengths gorgonia.Value) ([]float64, []int, error) {
	st, err := floats(name, "the states", states, tensor.Float64, f.statesShape())
	if err != nil {
		return nil, nil, err
	}
	tl, err := f.lengths(name, targetLengths)
	if err != nil {
		return nil, nil, err
	}
	size := f.batch * f.states()
	return st.Data().([]float64)[f.t*size:], tl, nil
}

// lengths returns the target lengths, checked: none negative.
func (f form) lengths(name string, targetLengths gorgonia.Value) ([]int, error) {
	tl, err := ints(name, "targetLengths", targetLengths, tensor.Shape{f.batch})
	if err != nil {
		return nil, err
	}
	for b, l := range tl {
		if l < 0 {
			return nil, errorf(ErrLength, name, "item %d has target length %d, want ≥ 0", b, l)
		}
	}
	return tl, nil
}

func (op *finalOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "Loss"
	if len(vals) != 2 {
		return nil, errorf(ErrValue, name, "got %d inputs, want 2", len(vals))
	}
	last, tl, err := op.lastState(name, vals[0], vals[1])
	if err != nil {
		return nil, err
	}
	lp := make([]float64, op.batch)
	for b, l := range tl {
		lp[b], _, _, _, _ = itemLogP(op.form, last, b, l)
	}
	return tensor.New(tensor.WithShape(op.batch), tensor.WithBacking(lp)), nil
}

func (op *finalOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, errorf(ErrGraph, "Loss", "SymDiff got %d inputs, want 2", len(inputs))
	}
	g, err := gorgonia.ApplyOp(&finalGradOp{finalOp: *op}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, wrap("Loss", err)
	}
	return gorgonia.Nodes{g, nil}, nil
}

// finalGradOp is the gradient of finalOp with respect to the states:
// inputs the states, targetLengths and the gradient of each item's log p;
// output the float64 gradient of the states, 0 but at the (at most two)
// states of the last that make up each log p, in a buffer it keeps from
// run to run (only the last state is written again), which only the
// scan's gradient reads. An item of p = 0 gets 0. Under the cuda build tag
// it runs on the GPU (kernel ctc_final_bwd), which writes every element.
type finalGradOp struct {
	finalOp
	keep kept
}

func (op *finalGradOp) String() string            { return fmt.Sprintf("ctc.FinalGrad{%v}", op.form) }
func (op *finalGradOp) Arity() int                { return 3 }
func (op *finalGradOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *finalGradOp) Hashcode() uint32          { return hashOf(op) }
func (op *finalGradOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }

func (op *finalGradOp) Type() hm.Type {
	return hm.NewFnType(op.statesType(), op.lengthsType(), op.itemsType(), op.statesType())
}

func (op *finalGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.statesShape(), nil
}

func (op *finalGradOp) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, errorf(ErrGraph, "Loss", "the gradient of the gradient (a second derivative) is not implemented")
}

func (op *finalGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "LossGrad"
	if len(vals) != 3 {
		return nil, errorf(ErrValue, name, "got %d inputs, want 3", len(vals))
	}
	last, tl, err := op.lastState(name, vals[0], vals[1])
	if err != nil {
		return nil, err
	}
	g, err := floats(name, "the gradient of log p", vals[2], tensor.Float64, tensor.Shape{op.batch})
	if err != nil {
		return nil, err
	}
	dlp := g.Data().([]float64)
	out, release, err := op.keep.get(name, tensor.Float64, op.statesShape())
	if err != nil {
		return nil, err
	}
	defer release()
	all := out.Data().([]float64)
	dl := all[len(all)-len(last):]
	clear(dl)
	for b, l := range tl {
		_, w1, w2, i1, i2 := itemLogP(op.form, last, b, l)
		if w1 != 0 {
			dl[i1] += dlp[b] * w1
		}
		if w2 != 0 {
			dl[i2] += dlp[b] * w2
		}
	}
	return out, nil
}

// lossOp reduces each item's log p to the loss: inputs the log p (batch,
// float64) and targetLengths; output a scalar of the form's dtype.
type lossOp struct {
	form
	reduction gorgonia.Reduction
}

func (op *lossOp) String() string {
	return fmt.Sprintf("ctc.Loss{%v, reduction %d}", op.form, op.reduction)
}
func (op *lossOp) Arity() int                { return 2 }
func (op *lossOp) ReturnsPtr() bool          { return false }
func (op *lossOp) CallsExtern() bool         { return false }
func (op *lossOp) OverwritesInput() int      { return -1 }
func (op *lossOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *lossOp) Hashcode() uint32          { return hashOf(op) }
func (op *lossOp) DiffWRT(inputs int) []bool { return []bool{true, false} }

func (op *lossOp) Type() hm.Type {
	return hm.NewFnType(op.itemsType(), op.lengthsType(), op.dt)
}

func (op *lossOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}

// items returns the items' log p and the target lengths, checked.
func (op *lossOp) items(name string, lp, targetLengths gorgonia.Value) ([]float64, []int, error) {
	v, err := floats(name, "the items' log p", lp, tensor.Float64, tensor.Shape{op.batch})
	if err != nil {
		return nil, nil, err
	}
	tl, err := op.lengths(name, targetLengths)
	if err != nil {
		return nil, nil, err
	}
	return v.Data().([]float64), tl, nil
}

func (op *lossOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "Loss"
	if len(vals) != 2 {
		return nil, errorf(ErrValue, name, "got %d inputs, want 2", len(vals))
	}
	lp, tl, err := op.items(name, vals[0], vals[1])
	if err != nil {
		return nil, err
	}
	var loss float64
	for b, l := range tl {
		loss -= lp[b] * weight(op.reduction, op.batch, l)
	}
	if op.dt == tensor.Float32 {
		return gorgonia.NewF32(float32(loss)), nil
	}
	return gorgonia.NewF64(loss), nil
}

func (op *lossOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, errorf(ErrGraph, "Loss", "SymDiff got %d inputs, want 2", len(inputs))
	}
	g, err := gorgonia.ApplyOp(&lossGradOp{lossOp: *op}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, wrap("Loss", err)
	}
	return gorgonia.Nodes{g, nil}, nil
}

// lossGradOp is the gradient of lossOp with respect to the items' log p:
// inputs the log p, targetLengths and the loss's gradient; output (batch)
// float64, minus each item's weight times the loss's gradient.
type lossGradOp struct {
	lossOp
}

func (op *lossGradOp) String() string {
	return fmt.Sprintf("ctc.LossGrad{%v, reduction %d}", op.form, op.reduction)
}
func (op *lossGradOp) Arity() int                { return 3 }
func (op *lossGradOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *lossGradOp) Hashcode() uint32          { return hashOf(op) }
func (op *lossGradOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }

func (op *lossGradOp) Type() hm.Type {
	return hm.NewFnType(op.itemsType(), op.lengthsType(), op.dt, op.itemsType())
}

func (op *lossGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.batch}, nil
}

func (op *lossGradOp) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, errorf(ErrGraph, "Loss", "the gradient of the gradient (a second derivative) is not implemented")
}

func (op *lossGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "LossGrad"
	if len(vals) != 3 {
		return nil, errorf(ErrValue, name, "got %d inputs, want 3", len(vals))
	}
	_, tl, err := op.items(name, vals[0], vals[1])
	if err != nil {
		return nil, err
	}
	g, err := scalar(name, vals[2])
	if err != nil {
		return nil, err
	}
	d := make([]float64, op.batch)
	for b, l := range tl {
		d[b] = -g * weight(op.reduction, op.batch, l)
	}
	return tensor.New(tensor.WithShape(op.batch), tensor.WithBacking(d)), nil
}

// scalar reads the scalar gradient of a loss.
func scalar(name string, v gorgonia.Value) (float64, error) {
	switch x := v.(type) {
	case *gorgonia.F64:
		return float64(*x), nil
	case *gorgonia.F32:
		return float64(*x), nil
	case *tensor.Dense:
		if x.Shape().TotalSize() == 1 {
			switch d := x.Data().(type) {
			case float64:
				return d, nil
			case float32:
				return float64(d), nil
			case []float64:
				return d[0], nil
			case []float32:
				return float64(d[0]), nil
			}
		}
	}
	return 0, errorf(ErrValue, name, "the loss's gradient is %s, want a scalar", describe(v))
}
