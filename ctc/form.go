package ctc

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"github.com/genband/genband/internal/dense"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// form is what the Ops of one loss or alignment are built for: the
// dtype and sizes of logProbs (T frames, batch items, classes), the
// targets' shape (2-D padded or 1-D concatenated), the blank class, and
// lmax, the most labels an item's states hold (S = 2·lmax + 1 states).
type form struct {
	dt            tensor.Dtype
	t, batch, cls int
	targets       tensor.Shape
	blank         int
	lmax          int
	capped        bool // lmax is MaxTargetLength's (1-D targets), not the padded width or T
}

func (f form) String() string {
	return fmt.Sprintf("(%d, %d, %d) %v, targets %v, blank %d, lmax %d/%t", f.t, f.batch, f.cls, f.dt, f.targets, f.blank, f.lmax, f.capped)
}

// states is S, the number of states of the extended label sequence.
func (f form) states() int { return 2*f.lmax + 1 }

func (f form) lpShape() tensor.Shape     { return tensor.Shape{f.t, f.batch, f.cls} }
func (f form) stepShape() tensor.Shape   { return tensor.Shape{f.t * f.batch, f.states(), 3} }
func (f form) statesShape() tensor.Shape { return tensor.Shape{f.t + 1, f.batch, f.states()} }
func (f form) maskShape() tensor.Shape   { return tensor.Shape{f.batch, f.t, f.lmax} }

func (f form) lpType() hm.Type { return gorgonia.TensorType{Dims: 3, Of: f.dt} }
func (f form) targetsType() hm.Type {
	return gorgonia.TensorType{Dims: f.targets.Dims(), Of: tensor.Int}
}
func (f form) lengthsType() hm.Type { return gorgonia.TensorType{Dims: 1, Of: tensor.Int} }
func (f form) statesType() hm.Type  { return gorgonia.TensorType{Dims: 3, Of: tensor.Float64} }

// newForm checks the four nodes of Loss (or Align) and returns their form.
func newForm(op string, logProbs, targets, inputLengths, targetLengths *gorgonia.Node, o options) (form, error) {
	for i, n := range []*gorgonia.Node{logProbs, targets, inputLengths, targetLengths} {
		if n == nil {
			return form{}, errorf(ErrNil, op, "%s is nil", argNames[i])
		}
	}
	g := logProbs.Graph()
	for i, n := range []*gorgonia.Node{targets, inputLengths, targetLengths} {
		if n.Graph() != g {
			return form{}, errorf(ErrShape, op, "%s is of another graph than logProbs", argNames[i+1])
		}
	}
	return checkForm(op, logProbs.Dtype(), logProbs.Shape(), targets.Dtype(), targets.Shape(),
		[2]tensor.Dtype{inputLengths.Dtype(), targetLengths.Dtype()}, [2]tensor.Shape{inputLengths.Shape(), targetLengths.Shape()}, o)
}

var argNames = [4]string{"logProbs", "targets", "inputLengths", "targetLengths"}

// checkForm checks the dtypes and shapes of the four arguments.
func checkForm(op string, dt tensor.Dtype, lp tensor.Shape, tdt tensor.Dtype, ts tensor.Shape, ldt [2]tensor.Dtype, ls [2]tensor.Shape, o options) (form, error) {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return form{}, errorf(ErrDtype, op, "logProbs has dtype %v, want Float32 or Float64", dt)
	}
	if lp.Dims() != 3 || lp.TotalSize() < 1 {
		return form{}, errorf(ErrShape, op, "logProbs has shape %v, want (T, batch, classes), none 0", lp)
	}
	f := form{dt: dt, t: lp[0], batch: lp[1], cls: lp[2], targets: ts.Clone(), blank: o.blank}
	if tdt != tensor.Int {
		return form{}, errorf(ErrDtype, op, "targets have dtype %v, want Int", tdt)
	}
	for i := range 2 {
		if ldt[i] != tensor.Int {
			return form{}, errorf(ErrDtype, op, "%s have dtype %v, want Int", argNames[i+2], ldt[i])
		}
		if ls[i].Dims() != 1 || ls[i][0] != f.batch {
			return form{}, errorf(ErrShape, op, "%s have shape %v, want (%d): logProbs' batch", argNames[i+2], ls[i], f.batch)
		}
	}
	switch {
	case ts.Dims() == 2 && ts[0] == f.batch && ts[1] >= 1:
		f.lmax = ts[1]
	case ts.Dims() == 1 && ts[0] >= 1:
		// Concatenated targets: an item holds at most all of them, and
		// never more labels than frames (the loss is then +Inf).
		f.lmax = min(ts[0], f.t)
		if o.maxTarget > 0 && o.maxTarget < f.lmax {
			f.lmax, f.capped = o.maxTarget, true
		}
	default:
		return form{}, errorf(ErrShape, op, "targets have shape %v, want (%d, L) padded or (N) concatenated, L and N ≥ 1", ts, f.batch)
	}
	if f.blank < 0 || f.blank >= f.cls {
		return form{}, errorf(ErrLength, op, "blank index %d is outside the %d classes", f.blank, f.cls)
	}
	if err := checkSize(op, "the step matrices", f.t, f.batch, f.states(), 3); err != nil {
		return form{}, err
	}
	if err := checkSize(op, "the states", f.t+1, f.batch, f.states()); err != nil {
		return form{}, err
	}
	return f, nil
}

// A batch is the run-time part of a loss: each item's input length, target
// length and labels (a slice of the targets), checked.
type batch struct {
	inLen, tgtLen []int
	labels        [][]int
	fits          []bool // the item's labels fit the states (else its loss is +Inf)
}

// extended returns item b's extended label sequence: the class of each
// of its 2L+1 states (the blank at even states, label (c−1)/2 at odd c),
// and for each state whether a path may enter it from two states before,
// past a blank (only a label that differs from the one before it).
func (bt *batch) extended(f form, b int) (cls []int32, skip []bool) {
	lab := bt.labels[b]
	cls = make([]int32, 2*len(lab)+1)
	skip = make([]bool, len(cls))
	for c := range cls {
		cls[c] = int32(f.blank)
		if c%2 == 1 {
			cls[c] = int32(lab[c/2])
			skip[c] = c >= 3 && lab[c/2] != lab[c/2-1]
		}
	}
	return cls, skip
}

// allExtended returns extended of every item that fits, and nothing for
// an item that does not (it has no states a path may enter).
func (bt *batch) allExtended(f form) (cls [][]int32, skip [][]bool) {
	cls, skip = make([][]int32, f.batch), make([][]bool, f.batch)
	for b := range f.batch {
		if bt.fits[b] {
			cls[b], skip[b] = bt.extended(f, b)
		}
	}
	return cls, skip
}

// ints returns the Int value v of shape want, contiguous.
func ints(op, what string, v gorgonia.Value, want tensor.Shape) ([]int, error) {
	d, ok := v.(*tensor.Dense)
	if !ok || d.Dtype() != tensor.Int || !d.Shape().Eq(want) {
		return nil, errorf(ErrValue, op, "%s are %s, want Int of shape %v", what, describe(v), want)
	}
	return dense.Contiguous(d).Data().([]int), nil
}

// floats returns v, of dtype dt and shape want, contiguous.
func floats(op, what string, v gorgonia.Value, dt tensor.Dtype, want tensor.Shape) (*tensor.Dense, error) {
	d, ok := v.(*tensor.Dense)
	if !ok || d.Dtype() != dt || !d.Shape().Eq(want) {
		return nil, errorf(ErrValue, op, "%s is %s, want %v of shape %v", what, describe(v), dt, want)
	}
	return dense.Contiguous(d), nil
}

func describe(v gorgonia.Value) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%v of shape %v", v.Dtype(), v.Shape())
}

// parse checks the run-time inputs: targets, inputLengths and
// targetLengths (nil inputLengths: not read, every item's is T). Every
// input length must lie in [1, T]; every target length in [0, lmax] (2-D
// targets) or, with 1-D targets, the lengths must add up to at most N, and
// one past lmax is an error only where lmax is MaxTargetLength's and the
// item has enough frames (else the item cannot fit and its loss is +Inf).
// Every label an item uses must be a class other than the blank.
func parse(op string, f form, targets, inputLengths, targetLengths gorgonia.Value) (*batch, error) {
	tg, err := ints(op, "targets", targets, f.targets)
	if err != nil {
		return nil, err
	}
	tl, err := ints(op, "targetLengths", targetLengths, tensor.Shape{f.batch})
	if err != nil {
		return nil, err
	}
	bt := &batch{inLen: make([]int, f.batch), tgtLen: append([]int(nil), tl...), labels: make([][]int, f.batch), fits: make([]bool, f.batch)}
	if inputLengths == nil {
		for b := range bt.inLen {
			bt.inLen[b] = f.t
		}
	} else {
		il, err := ints(op, "inputLengths", inputLengths, tensor.Shape{f.batch})
		if err != nil {
			return nil, err
		}
		for b, x := range il {
			if x < 1 || x > f.t {
				return nil, errorf(ErrLength, op, "item %d has input length %d, want 1 ≤ length ≤ T = %d", b, x, f.t)
			}
		}
		copy(bt.inLen, il)
	}
	pos := 0
	for b, l := range tl {
		if l < 0 {
			return nil, errorf(ErrLength, op, "item %d has target length %d, want ≥ 0", b, l)
		}
		var lab []int
		if f.targets.Dims() == 2 {
			if l > f.targets[1] {
				return nil, errorf(ErrLength, op, "item %d has target length %d, past the targets' %d columns", b, l, f.targets[1])
			}
			lab = tg[b*f.targets[1] : b*f.targets[1]+l]
		} else {
			if l > f.targets[0]-pos {
				return nil, errorf(ErrLength, op, "the target lengths of items 0…%d add up to %d, past the %d targets", b, pos+l, f.targets[0])
			}
			lab = tg[pos : pos+l]
			pos += l
		}
		bt.fits[b] = l <= f.lmax
		if !bt.fits[b] && f.capped && l <= bt.inLen[b] {
			return nil, errorf(ErrLength, op, "item %d has target length %d, past MaxTargetLength %d", b, l, f.lmax)
		}
		for j, c := range lab {
			if c < 0 || c >= f.cls || c == f.blank {
				return nil, errorf(ErrLength, op, "item %d: label %d is %d, want a class in [0, %d) other than the blank %d", b, j, c, f.cls, f.blank)
			}
		}
		bt.labels[b] = lab
	}
	return bt, nil
}

// window is the scan's window: before frame t, a path has reached at most
// state 2t−1 (state 0 before the first), so step t reads rows [0, 2t) only.
func (f form) window() [2][]int {
	lo, hi := make([]int, f.t), make([]int, f.t)
	for t := range hi {
		hi[t] = min(f.states(), max(1, 2*t))
	}
	return [2][]int{lo, hi}
}

var negInf = math.Inf(-1)
