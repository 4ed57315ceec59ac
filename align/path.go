package align

import (
	"fmt"
	"hash"
	"sort"
	"strings"

	"github.com/chewxy/hm"
	"github.com/genband/genband/align/internal/lattice"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A Path is one batch item's alignment: its steps in order from the first
// cell to the last. Each step's Move is the channel of the potentials it
// scores, and the score of a path is the sum of θ[I, J, Move] over its
// steps.
//
// Under the linear model the first step's Move is FromDiag (the start
// scores θ[I, J, FromDiag]); every later step enters its cell from the
// previous step's cell by its Move: FromLeft from (I, J−1), FromDiag from
// (I−1, J−1), FromAbove from (I−1, J).
//
// Under the affine model (Model.Affine) the first step's Move is Match; a
// later step's Move also says the state the path is in: Match enters
// (I, J) from (I−1, J−1) (out of any state), OpenLeft and ExtendLeft from
// (I, J−1), OpenAbove and ExtendAbove from (I−1, J). ExtendLeft must follow
// a step from the left (OpenLeft or ExtendLeft), OpenLeft any other step
// (with NoTurns, not a step from above); likewise from above.
type Path []Step

// A Step is one cell (I, J) of a path and the channel Move by which the
// path enters it (FromLeft, FromDiag or FromAbove under the linear model;
// Match … ExtendAbove under the affine one).
type Step struct{ I, J, Move int }

// String writes s as its cell and move under the linear model, e.g.
// "(3,4)FromDiag", or "(3,4)Move(4)" past its channels. A step does not
// know its model: Model.Describe names an affine path's moves.
func (s Step) String() string {
	return fmt.Sprintf("(%d,%d)%s", s.I, s.J, moveName(lattice.Linear, s.Move))
}

// Describe writes p as String writes its steps, naming each move as a
// channel of m: "(0,0)Match (0,1)OpenLeft (1,2)Match" under Affine.
func (m Model) Describe(p Path) string {
	var b strings.Builder
	for k, s := range p {
		if k > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "(%d,%d)%s", s.I, s.J, moveName(m.top(), s.Move))
	}
	return b.String()
}

// moveName names channel c of t, or Move(c) past its channels.
func moveName(t *lattice.Topology, c int) string {
	if c >= 0 && c < t.Channels {
		return t.ChannelName(c)
	}
	return fmt.Sprintf("Move(%d)", c)
}

// A PathError reports where a path breaks: a bad first or last cell, a
// move that does not follow from the previous step's cell (or, affine,
// from its state), or a cell outside the item's lattice (negative, past a
// length, or outside the gap band). Its kind is ErrPath: errors.Is(err,
// ErrPath) holds for every PathError.
type PathError struct {
	Op   string // the function called, e.g. "Mask"
	Item int    // the batch item
	Step int    // the index of the step where the path breaks
	Msg  string // what is wrong there
}

func (e *PathError) Error() string {
	return fmt.Sprintf("align.%s: item %d, step %d: %s", e.Op, e.Item, e.Step, e.Msg)
}

// Is reports whether target is ErrPath, the kind of every PathError.
func (e *PathError) Is(target error) bool { return target == ErrPath }

// channelName names channel c of the linear model's potentials (the
// tests' messages; the package's own name the channel of the model at
// hand, Topology.ChannelName).
func channelName(c int) string { return lattice.Linear.ChannelName(c) }

// checkPath returns the index of the step where p breaks and what is wrong,
// or −1 and "" when p is a path of l: the engine's Check.
func checkPath(l *lattice.Lattice, p Path) (int, string) {
	return l.Check(len(p), func(k int) (int, int, int) { return p[k].I, p[k].J, p[k].Move })
}

// checkModel checks a model for the cell-by-cell functions: the package's
// one check, although they read only its mode and gap.
func (m Model) checkModel(op string) error { return m.check(op) }

// checkLog refuses a model whose semiring is not Log, for the functions
// of the Log distribution over paths.
func (m Model) checkLog(op string) error {
	if err := m.checkModel(op); err != nil {
		return err
	}
	if m.Semiring != Log {
		return errorf(ErrSemiring, op, "the distribution over paths is the Log semiring's; the model's semiring is %v", m.Semiring)
	}
	return nil
}

// CheckPaths returns nil when paths[b] is a path of item b under m for
// every item, with lengths as in LogPartition (nil means N or M; the
// lengths are checked against n and mm, the potentials' N and M). Otherwise
// it returns a *PathError for the first item and step where a path breaks,
// or an *Error for bad arguments.
func (m Model) CheckPaths(paths []Path, n, mm int, lenX, lenY []int) error {
	const op = "CheckPaths"
	if err := m.checkModel(op); err != nil {
		return err
	}
	if n < 1 || mm < 1 {
		return errorf(ErrShape, op, "N = %d and M = %d, want both at least 1", n, mm)
	}
	lx, ly, err := pathLengths(op, len(paths), n, mm, lenX, lenY)
	if err != nil {
		return err
	}
	return m.checkPaths(op, paths, lx, ly)
}

func (m Model) checkPaths(op string, paths []Path, lx, ly []int) error {
	for b, p := range paths {
		if k, msg := checkPath(m.lat(lx[b], ly[b]), p); k >= 0 {
			return &PathError{Op: op, Item: b, Step: k, Msg: msg}
		}
	}
	return nil
}

// pathLengths checks the lengths of batch items of at most n and mm.
func pathLengths(op string, batch, n, mm int, lenX, lenY []int) ([]int, []int, error) {
	if batch < 1 {
		return nil, nil, errorf(ErrShape, op, "no paths (batch 0)")
	}
	lx, err := lengths(op, "lenX", lenX, batch, n)
	if err != nil {
		return nil, nil, err
	}
	ly, err := lengths(op, "lenY", lenY, batch, mm)
	if err != nil {
		return nil, nil, err
	}
	return lx, ly, nil
}

// thetaShape checks the shape of potentials or a mask of m,
// (batch, N, M, m.Channels()) with batch, N and M at least 1 and at most
// bandop.MaxElements elements in all, and returns batch, N and M.
func (m Model) thetaShape(op, what string, shape tensor.Shape) (batch, n, mm int, err error) {
	if c := m.Channels(); shape.Dims() != 4 || shape[3] != c {
		return 0, 0, 0, errorf(ErrShape, op, "%s have shape %v, want (batch, N, M, %d) for the %s model", what, shape, c, m.top().Name)
	}
	if shape[0] < 1 || shape[1] < 1 || shape[2] < 1 {
		return 0, 0, 0, errorf(ErrShape, op, "%s have shape %v, want batch, N and M at least 1", what, shape)
	}
	if err := checkSize(op, what, shape...); err != nil {
		return 0, 0, 0, err
	}
	return shape[0], shape[1], shape[2], nil
}

// Mask returns the 0/1 mask of paths: a tensor of shape (batch, N, M, C)
// (shape, the potentials' shape, C = m.Channels()) and dtype dt (Float64
// or Float32), 1 at
// [b, I, J, Move] for every step of paths[b] and 0 elsewhere, so that the
// score of paths[b] is Σ θ⊙mask over item b (see MaskScore). The paths
// are checked first as in CheckPaths (a *PathError says where one breaks).
func (m Model) Mask(paths []Path, shape tensor.Shape, dt tensor.Dtype, lenX, lenY []int) (*tensor.Dense, error) {
	const op = "Mask"
	if err := m.checkModel(op); err != nil {
		return nil, err
	}
	if dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, errorf(ErrDtype, op, "dtype %v, want float64 or float32", dt)
	}
	batch, n, mm, err := m.thetaShape(op, "potentials", shape)
	if err != nil {
		return nil, err
	}
	if len(paths) != batch {
		return nil, errorf(ErrShape, op, "%d paths for batch %d", len(paths), batch)
	}
	lx, ly, err := pathLengths(op, batch, n, mm, lenX, lenY)
	if err != nil {
		return nil, err
	}
	if err := m.checkPaths(op, paths, lx, ly); err != nil {
		return nil, err
	}
	nc := m.Channels()
	size := batch * n * mm * nc
	at := func(b int, s Step) int { return ((b*n+s.I)*mm+s.J)*nc + s.Move }
	if dt == tensor.Float32 {
		v := make([]float32, size)
		for b, p := range paths {
			for _, s := range p {
				v[at(b, s)] = 1
			}
		}
		return tensor.New(tensor.WithShape(batch, n, mm, nc), tensor.WithBacking(v)), nil
	}
	v := make([]float64, size)
	for b, p := range paths {
		for _, s := range p {
			v[at(b, s)] = 1
		}
	}
	return tensor.New(tensor.WithShape(batch, n, mm, nc), tensor.WithBacking(v)), nil
}

// PathsFromMask returns the path of every item of mask, a 0/1 tensor of
// shape (batch, N, M, m.Channels()) and dtype Float64 or Float32 such as Mask
// returns: the steps [b, I, J, Move] where the mask is 1, ordered by I+J
// (which grows along any path). An element other than 0 or 1 is an
// *Error naming it; ones that do not form a path of the item under m
// (with the lengths as in LogPartition) give a *PathError saying where the
// path breaks, as in CheckPaths. mask is not modified.
func (m Model) PathsFromMask(mask *tensor.Dense, lenX, lenY []int) ([]Path, error) {
	const op = "PathsFromMask"
	if err := m.checkModel(op); err != nil {
		return nil, err
	}
	if mask == nil {
		return nil, errorf(ErrNil, op, "nil mask")
	}
	batch, n, mm, err := m.thetaShape(op, "mask", mask.Shape())
	if err != nil {
		return nil, err
	}
	lx, ly, err := pathLengths(op, batch, n, mm, lenX, lenY)
	if err != nil {
		return nil, err
	}
	vals, err := denseFloat64s(op, "mask", mask)
	if err != nil {
		return nil, err
	}
	return m.pathsFromMask(op, vals, batch, n, mm, lx, ly)
}

// pathsFromMask is PathsFromMask of a mask's elements, batch·n·mm·C of
// them (C = m.Channels()), for checked lengths, with errors naming op.
func (m Model) pathsFromMask(op string, vals []float64, batch, n, mm int, lx, ly []int) ([]Path, error) {
	top := m.top()
	nc := top.Channels
	paths := make([]Path, batch)
	for b := range batch {
		for i := range n {
			for j := range mm {
				for c := range nc {
					switch v := vals[((b*n+i)*mm+j)*nc+c]; v {
					case 0:
					case 1:
						paths[b] = append(paths[b], Step{i, j, c})
					default:
						return nil, errorf(ErrPath, op, "item %d: mask[%d, %d, %d, %s] is %v, want 0 or 1", b, b, i, j, top.ChannelName(c), v)
					}
				}
			}
		}
		// Row-major order already sorts steps of distinct I+J except
		// where a later row holds an earlier anti-diagonal.
		sort.SliceStable(paths[b], func(x, y int) bool {
			return paths[b][x].I+paths[b][x].J < paths[b][y].I+paths[b][y].J
		})
	}
	if err := m.checkPaths(op, paths, lx, ly); err != nil {
		return nil, err
	}
	return paths, nil
}

// denseFloat64s returns the elements of a Float64 or Float32 tensor as
// float64, without copying a contiguous Float64 tensor (callers only read
// it).
func denseFloat64s(op, what string, t *tensor.Dense) ([]float64, error) {
	t = contiguous(t)
	switch d := t.Data().(type) {
	case []float64:
		return d, nil
	case []float32:
		out := make([]float64, len(d))
		for k, x := range d {
			out[k] = float64(x)
		}
		return out, nil
	}
	return nil, errorf(ErrDtype, op, "%s have dtype %v, want float64 or float32", what, t.Dtype())
}

// Scores returns the score of paths[b] under theta, (batch, N, M, C) of
// Float64 or Float32 (C = m.Channels()), for every item b: the sum in float64 of
// θ[b, I, J, Move] over its steps, from the first to the last (the path's
// weight under the Log and Max semirings). The paths are checked as in
// CheckPaths, and a NaN or +Inf potential that a path of an item may use
// is an error naming the item and the cell; −Inf gives the score −Inf. The
// semiring and strategy of m are not used. theta is not modified.
func (m Model) Scores(theta *tensor.Dense, paths []Path, lenX, lenY []int) ([]float64, error) {
	const op = "Scores"
	if err := m.checkModel(op); err != nil {
		return nil, err
	}
	in, err := m.pathItems(op, theta, paths, lenX, lenY)
	if err != nil {
		return nil, err
	}
	out := make([]float64, in.batch)
	for b, p := range paths {
		if err := in.checkFinite(op, b, m.lat(in.lenX[b], in.lenY[b])); err != nil {
			return nil, err
		}
		for _, s := range p {
			out[b] += in.at(b, s.I, s.J, s.Move)
		}
	}
	return out, nil
}

// pathItems reads theta and the lengths for op, and checks that paths holds
// one path of every item, each a path of its item's lattice.
func (m Model) pathItems(op string, theta *tensor.Dense, paths []Path, lenX, lenY []int) (*items, error) {
	in, err := m.newItems(op, theta, lenX, lenY)
	if err != nil {
		return nil, err
	}
	if len(paths) != in.batch {
		return nil, errorf(ErrShape, op, "%d paths for batch %d", len(paths), in.batch)
	}
	if err := m.checkPaths(op, paths, in.lenX, in.lenY); err != nil {
		return nil, err
	}
	return in, nil
}

// items holds the checked inputs of the cell-by-cell functions: the
// potentials in float64 and every item's lengths.
type items struct {
	th           []float64 // (batch, n, mm, nc), read only
	batch, n, mm int
	nc           int // the model's channels, m.Channels()
	lenX, lenY   []int
}

func (m Model) newItems(op string, theta *tensor.Dense, lenX, lenY []int) (*items, error) {
	if theta == nil {
		return nil, errorf(ErrNil, op, "nil potentials")
	}
	if dt := theta.Dtype(); dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, errorf(ErrDtype, op, "potentials have dtype %v, want float64 or float32", dt)
	}
	batch, n, mm, err := m.thetaShape(op, "potentials", theta.Shape())
	if err != nil {
		return nil, err
	}
	in := &items{batch: batch, n: n, mm: mm, nc: m.Channels()}
	if in.lenX, in.lenY, err = pathLengths(op, batch, n, mm, lenX, lenY); err != nil {
		return nil, err
	}
	if in.th, err = denseFloat64s(op, "potentials", theta); err != nil {
		return nil, err
	}
	return in, nil
}

// at returns θ[b, i, j, c].
func (in *items) at(b, i, j, c int) float64 { return in.th[((b*in.n+i)*in.mm+j)*in.nc+c] }

// checkFinite refuses a NaN or +Inf potential that some path of item b's
// lattice l may use (see checkFinite).
func (in *items) checkFinite(op string, b int, l *lattice.Lattice) error {
	per := in.n * in.mm * in.nc
	return checkFinite(op, "θ", in.th[b*per:(b+1)*per], in.mm, b, l)
}

// MaskScore adds the score Σ θ⊙mask of every batch item to theta's graph:
// theta and mask are nodes of the same shape (batch, N, M, C), C = 3 or 5
// (the linear or the affine model's channels), and the same dtype
// (Float64 or Float32), and the result has shape (batch) and that dtype,
// summed in float64. With mask a path's 0/1 mask (Model.Mask, bound with
// gorgonia.Let before each run, or BestMask's result) it is the path's
// score. Elements where the mask is 0 add nothing whatever θ holds there
// (−Inf, or NaN past a length); elsewhere the node keeps IEEE semantics (a
// NaN potential under the mask makes the item's score NaN, and the run
// reports no error).
//
// The gradient with respect to theta is the mask times the output's
// gradient; the mask gets none. The Op allocates its output and never
// writes into the value of theta or of mask, unlike a product of Gorgonia's
// elementwise Ops (HadamardMul), which may write θ⊙mask into θ's value
// when θ is not read again.
func MaskScore(theta, mask *gorgonia.Node) (*gorgonia.Node, error) {
	return maskScore("MaskScore", theta, mask, nil, nil)
}

// maskScore is MaskScore, its errors naming op. With paths it also takes
// the lengths node and fails a run where a mask is not a path of its item
// under *paths (LogProbNode).
func maskScore(op string, theta, mask *gorgonia.Node, paths *Model, lengths *gorgonia.Node) (*gorgonia.Node, error) {
	if err := checkThetaNode(op, "potentials", theta); err != nil {
		return nil, err
	}
	if mask == nil {
		return nil, errorf(ErrNil, op, "nil mask")
	}
	// MaskScore has no model: the potentials' last dimension says which.
	m := Model{Affine: theta.Shape().Dims() == 4 && theta.Shape()[3] == lattice.Affine(false).Channels}
	if paths != nil {
		m = *paths
	}
	if _, _, _, err := m.thetaShape(op, "potentials", theta.Shape()); err != nil {
		return nil, err
	}
	dt := theta.Dtype()
	if mask.Dtype() != dt {
		return nil, errorf(ErrDtype, op, "mask has dtype %v, want the potentials' %v", mask.Dtype(), dt)
	}
	if !mask.Shape().Eq(theta.Shape()) {
		return nil, errorf(ErrShape, op, "mask has shape %v, want the potentials' %v", mask.Shape(), theta.Shape())
	}
	sop := &scoreOp{op: op, shape: theta.Shape().Clone(), dt: dt, paths: paths}
	inputs := []*gorgonia.Node{theta, mask}
	if paths != nil {
		inputs = append(inputs, lengths)
	}
	z, err := gorgonia.ApplyOp(sop, inputs...)
	if err != nil {
		return nil, wrap(op, err)
	}
	return z, nil
}

// scoreOp is MaskScore: inputs θ and the mask, output Σ θ⊙mask per item.
// With paths (LogProbNode's score) it takes the lengths as a third input and
// fails the run with an ErrPath error where a mask is not a path of its
// item under *paths.
type scoreOp struct {
	op    string       // the function that built it, which its errors name (not part of its hash)
	shape tensor.Shape // (batch, N, M, C)
	dt    tensor.Dtype
	paths *Model
}

func (op *scoreOp) String() string {
	if op.paths != nil {
		return fmt.Sprintf("align.MaskScore{θ%v, %v, paths of %v}", op.shape, op.dt, *op.paths)
	}
	return fmt.Sprintf("align.MaskScore{θ%v, %v}", op.shape, op.dt)
}

func (op *scoreOp) Arity() int {
	if op.paths != nil {
		return 3
	}
	return 2
}
func (op *scoreOp) ReturnsPtr() bool          { return false }
func (op *scoreOp) CallsExtern() bool         { return false }
func (op *scoreOp) OverwritesInput() int      { return -1 }
func (op *scoreOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *scoreOp) Hashcode() uint32          { return hashOf(op) }
func (op *scoreOp) DiffWRT(inputs int) []bool { return []bool{true, false, false}[:op.Arity()] }

func (op *scoreOp) Type() hm.Type {
	t4, out := gorgonia.TensorType{Dims: 4, Of: op.dt}, gorgonia.TensorType{Dims: 1, Of: op.dt}
	if op.paths != nil {
		return hm.NewFnType(t4, t4, gorgonia.TensorType{Dims: 2, Of: tensor.Int}, out)
	}
	return hm.NewFnType(t4, t4, out)
}

func (op *scoreOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.shape[0]}, nil
}

// operand returns input k of an Op as a contiguous tensor of the given
// dtype and shape.
func operand(op string, vals []gorgonia.Value, k int, dt tensor.Dtype, shape tensor.Shape) (*tensor.Dense, error) {
	if k >= len(vals) {
		return nil, errorf(ErrValue, op, "got %d inputs, want at least %d", len(vals), k+1)
	}
	d, ok := vals[k].(*tensor.Dense)
	if !ok || d.Dtype() != dt || !d.Shape().Eq(shape) {
		return nil, errorf(ErrValue, op, "input %d is %v, want %v of shape %v", k, describe(vals[k]), dt, shape)
	}
	return contiguous(d), nil
}

func (op *scoreOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.op
	if len(vals) != op.Arity() {
		return nil, errorf(ErrValue, name, "got %d inputs, want %d", len(vals), op.Arity())
	}
	th, err := operand(name, vals, 0, op.dt, op.shape)
	if err != nil {
		return nil, err
	}
	mask, err := operand(name, vals, 1, op.dt, op.shape)
	if err != nil {
		return nil, err
	}
	batch := op.shape[0]
	per := op.shape.TotalSize() / batch
	if op.paths != nil {
		lx, ly, err := readLengths(name, vals[2], batch, op.shape[1], op.shape[2])
		if err != nil {
			return nil, err
		}
		m, err := denseFloat64s(name, "mask", mask)
		if err != nil {
			return nil, err
		}
		if _, err := op.paths.pathsFromMask(name, m, batch, op.shape[1], op.shape[2], lx, ly); err != nil {
			return nil, err
		}
	}
	if op.dt == tensor.Float32 {
		z := maskSums(th.Data().([]float32), mask.Data().([]float32), batch, per)
		f := make([]float32, batch)
		for b, x := range z {
			f[b] = float32(x)
		}
		return tensor.New(tensor.WithShape(batch), tensor.WithBacking(f)), nil
	}
	z := maskSums(th.Data().([]float64), mask.Data().([]float64), batch, per)
	return tensor.New(tensor.WithShape(batch), tensor.WithBacking(z)), nil
}

// maskSums returns Σ θ·mask of each item in float64, skipping the zeros of
// the mask.
func maskSums[T float32 | float64](th, mask []T, batch, per int) []float64 {
	z := make([]float64, batch)
	for b := range batch {
		var s float64
		for k := b * per; k < (b+1)*per; k++ {
			if mask[k] != 0 {
				s += float64(th[k]) * float64(mask[k])
			}
		}
		z[b] = s
	}
	return z
}

func (op *scoreOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, errorf(ErrGraph, op.op, "got %d inputs, want %d", len(inputs), op.Arity())
	}
	d, err := gorgonia.ApplyOp(&scoreGradOp{scoreOp{op: op.op, shape: op.shape, dt: op.dt}}, inputs[1], grad)
	if err != nil {
		return nil, wrap(op.op, err)
	}
	return append(gorgonia.Nodes{d}, make(gorgonia.Nodes, op.Arity()-1)...), nil
}

// scoreGradOp is the gradient of MaskScore with respect to θ: inputs the
// mask and the output's gradient dz (batch), output dz[b]·mask[b] in a new
// tensor.
type scoreGradOp struct{ scoreOp }

func (op *scoreGradOp) String() string {
	return fmt.Sprintf("align.MaskScoreGrad{θ%v, %v}", op.shape, op.dt)
}
func (op *scoreGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *scoreGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *scoreGradOp) DiffWRT(int) []bool    { return []bool{false, false} }

func (op *scoreGradOp) Type() hm.Type {
	return hm.NewFnType(gorgonia.TensorType{Dims: 4, Of: op.dt}, gorgonia.TensorType{Dims: 1, Of: op.dt}, gorgonia.TensorType{Dims: 4, Of: op.dt})
}

func (op *scoreGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}

func (op *scoreGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.op
	if len(vals) != 2 {
		return nil, errorf(ErrValue, name, "got %d inputs, want 2", len(vals))
	}
	mask, err := operand(name, vals, 0, op.dt, op.shape)
	if err != nil {
		return nil, err
	}
	dz, err := operand(name, vals, 1, op.dt, tensor.Shape{op.shape[0]})
	if err != nil {
		return nil, err
	}
	batch := op.shape[0]
	per := op.shape.TotalSize() / batch
	if op.dt == tensor.Float32 {
		out := scaleItems(mask.Data().([]float32), dz.Data().([]float32), batch, per)
		return tensor.New(tensor.WithShape(op.shape...), tensor.WithBacking(out)), nil
	}
	out := scaleItems(mask.Data().([]float64), dz.Data().([]float64), batch, per)
	return tensor.New(tensor.WithShape(op.shape...), tensor.WithBacking(out)), nil
}

func (op *scoreGradOp) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, errorf(ErrGraph, op.op, "no second derivative")
}

// scaleItems returns dz[b]·mask over each item's elements, in a new slice.
func scaleItems[T float32 | float64](mask, dz []T, batch, per int) []T {
	out := make([]T, len(mask))
	for b := range batch {
		d := dz[b]
		for k := b * per; k < (b+1)*per; k++ {
			if mask[k] != 0 {
				out[k] = d * mask[k]
			}
		}
	}
	return out
}
