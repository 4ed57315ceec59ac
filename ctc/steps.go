package ctc

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/genband/genband/internal/errkind"
	"github.com/genband/genband/internal/parallel"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// stepsOp builds the step matrices of the scan from logProbs: inputs
// logProbs, targets, inputLengths and targetLengths; output the band
// storage (lower 0, upper 2) of T·batch matrices of S×S, step-major
// (matrix t·batch + b is frame t of item b), in logProbs' dtype. Slot k of
// row r is the move from state r to state r+k at frame t: the frame's log
// probability of state r+k's class where the move is allowed (k = 2 only
// into a label that differs from the one before it), −Inf elsewhere and
// into the states past the item's 2L+1. Past the item's input length a
// frame carries every state to itself at log 1 = 0, so that the last state
// of the scan is the item's state after its last frame. An item whose
// labels do not fit the states gets no move at all.
//
// The output is a buffer the Op keeps from run to run (every element is
// written each run), which only the scan's Ops read: fresh memory each run
// would cost more in page faults than the gather itself.
//
// name is the public function that built the Op (Loss, AlignMask or
// Posteriors), which its errors name: a caller never sees the Op itself.
// It is left out of the hash, since it does not change what the Op
// computes: the steps of a Loss and an AlignMask of the same inputs in
// one graph may then be one node, named by the first.
type stepsOp struct {
	form
	name string
	keep kept
}

// kept is an Op's output buffer that outlives a run, claimed while a Do
// writes it (a run of the same graph on another machine then fails with
// ErrBusy). A nil *kept gives fresh memory.
type kept struct {
	t   *tensor.Dense
	use errkind.Claim
}

// get returns the buffer, zeroed when made, and a release function.
func (k *kept) get(name string, dt tensor.Dtype, shape tensor.Shape) (*tensor.Dense, func(), error) {
	if k == nil {
		return tensor.New(tensor.Of(dt), tensor.WithShape(shape...)), func() {}, nil
	}
	if err := k.use.Take(pkgName, name); err != nil {
		return nil, nil, err
	}
	if k.t == nil {
		k.t = tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	}
	return k.t, k.use.Release, nil
}

func (op *stepsOp) String() string            { return "ctc.Steps{" + op.form.String() + "}" }
func (op *stepsOp) Arity() int                { return 4 }
func (op *stepsOp) ReturnsPtr() bool          { return false }
func (op *stepsOp) CallsExtern() bool         { return callsExtern }
func (op *stepsOp) OverwritesInput() int      { return -1 }
func (op *stepsOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *stepsOp) Hashcode() uint32          { return hashOf(op) }
func (op *stepsOp) DiffWRT(inputs int) []bool { return []bool{true, false, false, false} }

func (op *stepsOp) Type() hm.Type {
	return hm.NewFnType(op.lpType(), op.targetsType(), op.lengthsType(), op.lengthsType(), gorgonia.TensorType{Dims: 3, Of: op.dt})
}

func (op *stepsOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) { return op.stepShape(), nil }

func hashOf(s fmt.Stringer) uint32 {
	h := fnv.New32a()
	fmt.Fprint(h, s.String())
	return h.Sum32()
}

func (op *stepsOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.name
	if len(vals) != 4 {
		return nil, errorf(ErrValue, name, "got %d inputs, want 4", len(vals))
	}
	lp, err := floats(name, "logProbs", vals[0], op.dt, op.lpShape())
	if err != nil {
		return nil, err
	}
	bt, err := parse(name, op.form, vals[1], vals[2], vals[3])
	if err != nil {
		return nil, err
	}
	out, release, err := op.keep.get(name, op.dt, op.stepShape())
	if err != nil {
		return nil, err
	}
	defer release()
	switch d := out.Data().(type) {
	case []float32:
		buildSteps(op.form, bt, d, lp.Data().([]float32))
	case []float64:
		buildSteps(op.form, bt, d, lp.Data().([]float64))
	}
	return out, nil
}

// buildSteps writes the step matrices (see stepsOp) into a, every slot.
// The matrices run in storage order, frame by frame, so that logProbs and
// a are read and written as two streams (an item at a time would jump a
// batch of rows between frames, and wait on memory for each gather).
func buildSteps[T float32 | float64](f form, bt *batch, a, lp []T) {
	s := f.states()
	per := s * 3
	cls, skip := bt.allExtended(f)
	parallel.For(f.t*f.batch, f.t*f.batch*per, func(lo, hi int) {
		for m := lo; m < hi; m++ {
			b := m % f.batch
			row := lp[m*f.cls : (m+1)*f.cls]
			if m/f.batch < bt.inLen[b] {
				_ = touch(row)
			}
			fillStep(m/f.batch < bt.inLen[b], cls[b], skip[b], row, a[m*per:(m+1)*per], 0, s)
		}
	})
}

// fillStep writes rows [lo, hi) of one step matrix, mat, of an item whose
// extended labels are cb with skips sk, from row, the frame's log
// probabilities: within the item's input length (in), row r moves to r,
// r+1 and, past a blank, r+2 at the log probability of the destination's
// class (−Inf past the item's states); past it, each state carries itself
// at log 1 = 0.
func fillStep[T float32 | float64](in bool, cb []int32, sk []bool, row, mat []T, lo, hi int) {
	ninf := T(negInf)
	if !in {
		for r := lo; r < hi; r++ {
			mat[3*r], mat[3*r+1], mat[3*r+2] = 0, ninf, ninf
		}
		return
	}
	// Slot 0 of row r is state r's emission; slots 1 and 2 are those of
	// the next rows, read back where this call wrote them.
	ns := len(cb)
	for r := lo; r < min(hi, ns); r++ {
		mat[3*r] = row[cb[r]]
	}
	for r := max(lo, ns); r < hi; r++ {
		mat[3*r] = ninf
	}
	for r := lo; r < hi; r++ {
		x1, x2 := ninf, ninf
		if c := r + 1; c < ns {
			if c < hi {
				x1 = mat[3*c]
			} else {
				x1 = row[cb[c]]
			}
		}
		if c := r + 2; c < ns && sk[c] {
			if c < hi {
				x2 = mat[3*c]
			} else {
				x2 = row[cb[c]]
			}
		}
		mat[3*r+1], mat[3*r+2] = x1, x2
	}
}

func (op *stepsOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 4 {
		return nil, errorf(ErrGraph, op.name, "SymDiff got %d inputs, want 4", len(inputs))
	}
	g, err := gorgonia.ApplyOp(&stepsGradOp{form: op.form, name: op.name}, inputs[1], inputs[2], inputs[3], grad)
	if err != nil {
		return nil, wrap(op.name, err)
	}
	return gorgonia.Nodes{g, nil, nil, nil}, nil
}

// stepsGradOp is the adjoint of stepsOp's gather: inputs targets,
// inputLengths, targetLengths and the gradient of the step matrices;
// output the gradient with respect to logProbs, (T, batch, classes). Each
// entry of frame t gathers the gradient of the (at most three) moves into
// every state of its class; frames past an item's input length and classes
// of no state get 0. The output is a buffer the Op keeps from run to run
// (every element is written each run), as Gorgonia's own Ops write their
// previous run's value again: the value of a run is good until the graph's
// next run, and fresh memory each run (zeroed by the allocator, then
// faulted in page by page) would cost several times the scatter itself.
// name is its stepsOp's, which its errors name (left out of the hash, as
// there).
type stepsGradOp struct {
	form
	name string
	keep kept
}

func (op *stepsGradOp) String() string            { return "ctc.StepsGrad{" + op.form.String() + "}" }
func (op *stepsGradOp) Arity() int                { return 4 }
func (op *stepsGradOp) ReturnsPtr() bool          { return false }
func (op *stepsGradOp) CallsExtern() bool         { return callsExtern }
func (op *stepsGradOp) OverwritesInput() int      { return -1 }
func (op *stepsGradOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *stepsGradOp) Hashcode() uint32          { return hashOf(op) }
func (op *stepsGradOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }

func (op *stepsGradOp) Type() hm.Type {
	t := gorgonia.TensorType{Dims: 3, Of: op.dt}
	return hm.NewFnType(op.targetsType(), op.lengthsType(), op.lengthsType(), t, op.lpType())
}

func (op *stepsGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.lpShape(), nil
}

func (op *stepsGradOp) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, errorf(ErrGraph, op.name, "the gradient of the gradient (a second derivative) is not implemented")
}

func (op *stepsGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.name
	if len(vals) != 4 {
		return nil, errorf(ErrValue, name, "got %d inputs, want 4", len(vals))
	}
	bt, err := parse(name, op.form, vals[0], vals[1], vals[2])
	if err != nil {
		return nil, err
	}
	da, err := floats(name, "the steps' gradient", vals[3], op.dt, op.stepShape())
	if err != nil {
		return nil, err
	}
	out, release, err := op.keep.get(name, op.dt, op.lpShape())
	if err != nil {
		return nil, err
	}
	defer release()
	switch d := out.Data().(type) {
	case []float32:
		gatherGrad(op.form, bt, d, da.Data().([]float32))
	case []float64:
		gatherGrad(op.form, bt, d, da.Data().([]float64))
	}
	return out, nil
}

// gatherGrad writes into dlp the gradient of every move of da summed into
// the class of its destination, frame by frame in storage order (see
// buildSteps): each row is cleared, in order, and then added into at
// random, in the processor's cache.
func gatherGrad[T float32 | float64](f form, bt *batch, dlp, da []T) {
	per := f.states() * 3
	cls, skip := bt.allExtended(f)
	parallel.For(f.t*f.batch, f.t*f.batch*per, func(lo, hi int) {
		for m := lo; m < hi; m++ {
			b := m % f.batch
			scatterStep(m/f.batch < bt.inLen[b], cls[b], skip[b], dlp[m*f.cls:(m+1)*f.cls], da[m*per:(m+1)*per])
		}
	})
}

// scatterStep writes into row, the gradient of one frame's log
// probabilities, the gradient of the moves of its step matrix, mat, of an
// item whose extended labels are cb with skips sk: the row is cleared, in
// order, and then each state's moves in are added to its class at random,
// in the processor's cache; past the item's input length (!in) it stays 0.
func scatterStep[T float32 | float64](in bool, cb []int32, sk []bool, row, mat []T) {
	clear(row)
	if !in || len(cb) == 0 {
		return
	}
	row[cb[0]] += mat[0]
	for c := 1; c < len(cb); c++ {
		g := mat[c*3] + mat[(c-1)*3+1]
		if sk[c] {
			g += mat[(c-2)*3+2]
		}
		row[cb[c]] += g
	}
}

// touch reads one element of every cache line of row in order, so that the
// hardware prefetcher streams the row in before a gather reads it at
// random (each random read would otherwise wait on memory). Go's compiler
// keeps loops whose result is unused.
func touch[T float32 | float64](row []T) T {
	var x T
	for k := 0; k < len(row); k += 8 {
		x += row[k]
	}
	return x
}
