package align

import (
	"fmt"
	"hash"
	"math"
	"runtime"

	"github.com/chewxy/hm"
	"github.com/genband/genband/align/internal/lattice"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file computes the entropy of a model's distribution over paths, and
// the cross-entropy and KL divergence between the distributions of two
// potentials, with exact gradients.
//
// Let p be the Log distribution of θp: p(path) = exp(s(path) − log Z),
// s(path) the sum of the potentials the path uses. Then
//
//	H(p)     = −Σ p log p            = log Z_p − E_p[s_p]
//	KL(p‖q)  =  Σ p (log p − log q)  = log Z_q − log Z_p + E_p[s_p − s_q]
//	CE(p, q) = −Σ p log q            = H(p) + KL(p‖q)
//
// They are computed by the first-order expectation semiring (Li and Eisner,
// 2009) in a numerically stable form, over the model's lattice
// (align/internal/lattice): every state of every cell (one per cell with
// linear gaps; match, gap from the left and gap from above with Affine)
// and the options into it, a path's start or a move from a state of a
// neighbouring cell, each scoring one potential. A prefix of a path that
// ends in a state entered it by exactly one option, so a forward pass
// keeps, per state v: α, the log-sum of the scores of the prefixes that
// end in v; the probability w_o that such a prefix entered v by option o,
// which the log-sum-exp yields for free; and A, the entropy of the
// distribution of those prefixes,
//
//	A(v) = Σ_o w_o (A(src_o) − log w_o),   log w_o = α(src_o) + θ_o − α(v),
//
// (A and α of a start's source are 0) and, given q, the same for q (α_q,
// v_o) and K, the KL divergence between the prefix distributions of p and
// q: K(v) = Σ_o w_o (K(src_o) + log w_o − log v_o). The end states give H
// and KL the same way, with weights exp(α(end) − log Z). Every term is a
// probability times a difference of log-probabilities, so no large scores
// cancel.
//
// The gradient follows from ∂p(path)/∂θ(f) = p(path)(n_f(path) − μ(f)),
// n_f the number of times the path reads f: ∂E_p[g]/∂θp(f) is the sum,
// over the options o that read f, of μ_o (E_p[g | o] − E_p[g]), where μ_o
// is the probability that a path takes o. Splitting a path at o into an
// independent prefix and suffix, E_p[log p | o] = log μ_o − A(src_o) −
// B(v), B the entropy of the suffixes from the state v that o enters. A backward pass in probability space gives γ(v), the
// probability that a path visits v, from the forward weights alone
// (γ(v) = ω(v) + Σ γ(u) w_o(u) over the options o from v into a later
// state u, ω its end probability), and with it T = γ(B − log γ) and U,
// the like quantity for KL, by sums of products: the backward pass takes
// no exp or log but one exp per end state. Then, with x = log w_o and
// y = log v_o of an option o into v,
//
//	∂H/∂θp(f)  = Σ_o w_o (T(v) − γ(v)(x − A(src_o) + H))
//	∂KL/∂θp(f) = Σ_o w_o (U(v) + γ(v)(K(src_o) + x − y − KL))
//	∂KL/∂θq(f) = ∂CE/∂θq(f) = μ_q(f) − μ_p(f)
//
// over the options o that read f, and ∂CE/∂θp = ∂H/∂θp + ∂KL/∂θp.
//
// Potentials of −Inf make some options impossible under p or q. An
// option that p's prefixes take and q forbids (v_o = 0 with w_o > 0, also
// where q reaches the state by no option at all) makes K +Inf. That K is
// harmless where no path of p goes on from the state (γ = 0): the
// backward pass skips such states and options, which add nothing to the
// gradient, and KL stays finite. Where a path of p does go on, KL is
// +Inf for every finite θp, so its gradient with respect to θp is NaN;
// with respect to θq the formula still holds (the −Inf terms of
// E_p[s_q] do not move with the finite potentials of q). An end state
// counts for μ_q wherever q reaches it, whether p does or not.
//
// entropy_dp.go holds the two passes.

// divergence says which quantity an expectation Op computes.
type divergence int

const (
	divEntropy divergence = iota
	divCrossEntropy
	divKL
)

func (d divergence) String() string {
	switch d {
	case divEntropy:
		return "Entropy"
	case divCrossEntropy:
		return "CrossEntropy"
	case divKL:
		return "KL"
	}
	return fmt.Sprintf("divergence(%d)", int(d))
}

// expectation is the setting of one expectation computation: model, which
// quantity, the potentials' padded shape and dtype.
type expectation struct {
	m            Model
	div          divergence
	batch, n, mm int
	dt           tensor.Dtype
	lay          *expLayout // where the forward states keep each state's fields
}

// The totals of an item, after its cells.
const (
	tZp = iota // log Z_p
	tH         // H(p)
	tZq        // log Z_q
	tKL        // KL(p‖q)
	totals
)

func (e *expectation) withQ() bool { return e.div != divEntropy }

// fields is the number of float64 kept per cell.
func (e *expectation) fields() int {
	if e.withQ() {
		return 2 * e.lay.pf
	}
	return e.lay.pf
}

// perItem is the length of an item's forward states: its cells, then its
// totals.
func (e *expectation) perItem() int { return e.n*e.mm*e.fields() + totals }

func (e *expectation) statesShape() tensor.Shape { return tensor.Shape{e.batch, e.perItem()} }
func (e *expectation) thetaShape() tensor.Shape {
	return tensor.Shape{e.batch, e.n, e.mm, e.m.Channels()}
}

func (e *expectation) String() string {
	return fmt.Sprintf("%v{%v, θ%v, %v}", e.div, e.m, e.thetaShape(), e.dt)
}

// value returns the quantity of item b from its totals.
func (e *expectation) value(tot []float64) float64 {
	switch e.div {
	case divEntropy:
		return tot[tH]
	case divKL:
		return tot[tKL]
	}
	return tot[tH] + tot[tKL]
}

// newExpectation checks the model and the shape of the potentials.
func (m Model) newExpectation(op string, div divergence, shape tensor.Shape, dt tensor.Dtype) (*expectation, error) {
	if dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, errorf(ErrDtype, op, "potentials have dtype %v, want float64 or float32", dt)
	}
	batch, n, mm, err := m.checkShape(op, shape)
	if err != nil {
		return nil, err
	}
	if m.Semiring != Log {
		return nil, errorf(ErrSemiring, op, "defined for the Log semiring only, not %v", m.Semiring)
	}
	e := &expectation{m: m, div: div, batch: batch, n: n, mm: mm, dt: dt, lay: expLayouts[m.top()]}
	// thetaShape bounds n·mm·channels, so n·mm·fields + totals does not
	// overflow.
	if err := checkSize(op, "the forward states of these potentials", batch, n*mm*e.fields()+totals); err != nil {
		return nil, err
	}
	return e, nil
}

// run fills the forward states of items lo … hi−1 (item b's at
// st[(b−lo)·perItem:]).
func (e *expectation) run(tp, tq *tensor.Dense, lx, ly []int, lo, hi int, st []float64) {
	per := e.perItem()
	cells := e.n * e.mm * e.m.Channels()
	forItems(hi-lo, e.n*e.mm*16, func(k int) {
		b := lo + k
		l := e.m.lat(lx[b], ly[b])
		s := st[k*per : (k+1)*per]
		sc := newExpScratch(e.lay, l.LenX, min(l.LenX, l.LenY))
		switch p := tp.Data().(type) {
		case []float64:
			var q []float64
			if tq != nil {
				q = tq.Data().([]float64)[b*cells : (b+1)*cells]
			}
			expForward(e.lay, l, e.mm, clean(l, e.mm, p[b*cells:(b+1)*cells]), clean(l, e.mm, q), s, sc)
		case []float32:
			var q []float32
			if tq != nil {
				q = tq.Data().([]float32)[b*cells : (b+1)*cells]
			}
			expForward(e.lay, l, e.mm, clean(l, e.mm, p[b*cells:(b+1)*cells]), clean(l, e.mm, q), s, sc)
		}
	})
}

// clean is an item's potentials d (rows of mm cells) as the passes must
// read them: with a NaN or +Inf that no path uses set to −Inf
// (lattice.Clean), in a copy when there is one. nil stays nil.
func clean[T float32 | float64](l *lattice.Lattice, mm int, d []T) []T {
	if d == nil {
		return nil
	}
	return lattice.Clean(l, false, lattice.Theta[T]{D: d, Width: mm, Channels: l.Top.Channels}, new([]T)).D
}

// grad returns the gradient of Σ_b d[b]·quantity[b] with respect to θp
// (wrtQ false) or θq, a fresh tensor of θ's shape and dtype.
func (e *expectation) grad(tp, tq *tensor.Dense, lx, ly []int, st, d []float64, wrtQ bool) *tensor.Dense {
	out := tensor.New(tensor.Of(e.dt), tensor.WithShape(e.thetaShape()...))
	per := e.perItem()
	cells := e.n * e.mm * e.m.Channels()
	forItems(e.batch, e.n*e.mm*8, func(b int) {
		if d[b] == 0 {
			return
		}
		l := e.m.lat(lx[b], ly[b])
		s := st[b*per : (b+1)*per]
		rows := make([]float64, 2*bFields*e.lay.top.States*e.mm)
		switch p := tp.Data().(type) {
		case []float64:
			var q []float64
			if tq != nil {
				q = tq.Data().([]float64)[b*cells : (b+1)*cells]
			}
			expBackward(e, l, clean(l, e.mm, p[b*cells:(b+1)*cells]), clean(l, e.mm, q), s, d[b], wrtQ, rows, out.Data().([]float64)[b*cells:(b+1)*cells])
		case []float32:
			var q []float32
			if tq != nil {
				q = tq.Data().([]float32)[b*cells : (b+1)*cells]
			}
			expBackward(e, l, clean(l, e.mm, p[b*cells:(b+1)*cells]), clean(l, e.mm, q), s, d[b], wrtQ, rows, out.Data().([]float32)[b*cells:(b+1)*cells])
		}
	})
	return out
}

// EntropyNode adds to theta's graph the entropy H(p) = −Σ p(path) log p(path)
// of every batch item's distribution over paths, shape (batch) in theta's
// dtype. theta holds the potentials, (batch, N, M, 3) of Float64 or
// Float32 (batch, N, M, 5 with Affine: the channels Match … ExtendAbove),
// and lengths the lengths as LogPartitionLengths takes them: a (batch, 2)
// node of tensor.Int (see Lengths), bound at run time, so one graph serves
// any lengths. The model's Semiring must be Log; every Mode and MaxGap,
// linear and affine gaps (with or without turns) are supported, and the
// Strategy is not used.
//
// gorgonia.Grad differentiates the result exactly with respect to theta.
// Potentials no path may read (past a length, outside the gap, or a
// channel no open move of the cell scores) are never read (NaN there
// changes nothing) and get a zero gradient. The node keeps IEEE
// semantics: a NaN or +Inf potential that a path reads makes that item
// NaN, and an item whose paths all score −Inf has entropy NaN and a
// zero gradient. The computation runs in float64 on the CPU, whatever the
// dtype; it keeps its forward states between runs, so run one graph on one
// machine at a time.
func (m Model) EntropyNode(theta, lengths *gorgonia.Node) (*gorgonia.Node, error) {
	return m.expectNode("EntropyNode", divEntropy, theta, nil, lengths)
}

// CrossEntropyNode adds to the graph the cross-entropy
// CE(p, q) = −Σ p(path) log q(path) of every batch item, where p is the
// distribution of potentials p and q that of q, of the same shape and
// dtype; shape (batch) in their dtype. Lengths, model and semantics are
// those of EntropyNode; gorgonia.Grad differentiates it exactly with respect
// to both p and q, which is μq − μp with respect to q (the marginals of q
// minus those of p, Model.Marginals).
//
// It is +Inf where q gives no weight to a path that p does: where a
// potential of −Inf in q lies on a path of positive probability under p,
// whether it forbids one move or leaves a cell that p reaches out of q's
// reach. CE is then +Inf for every finite change of θp, so its gradient
// with respect to p is NaN at every potential a path of the item may use
// (and 0 at the others); its gradient with respect to q is still μq − μp,
// finite. An item whose paths all score −Inf under p, or under q, has no
// distribution there: its value is NaN and its gradient 0 with respect to
// both p and q. (The gradients are scaled by the output's gradient; an
// item whose output gradient is 0 gets a zero gradient in every case.)
func (m Model) CrossEntropyNode(p, q, lengths *gorgonia.Node) (*gorgonia.Node, error) {
	return m.expectNode("CrossEntropyNode", divCrossEntropy, p, q, lengths)
}

// KLNode adds to the graph the Kullback–Leibler divergence
// KL(p‖q) = Σ p(path) (log p(path) − log q(path)) = CE(p, q) − H(p) of
// every batch item, shape (batch) in the dtype of p and q. It is 0 when
// p and q define the same distribution, and otherwise positive. Lengths,
// model and semantics are those of EntropyNode; gorgonia.Grad differentiates
// it exactly with respect to both p and q (μq − μp with respect to q, as
// for CrossEntropyNode). It is +Inf, or NaN, exactly where CrossEntropyNode is,
// and its gradients there are those CrossEntropyNode documents: with respect
// to p, NaN at every potential a path may use where it is +Inf; with
// respect to q, μq − μp; with respect to both, 0 where p or q has no path.
func (m Model) KLNode(p, q, lengths *gorgonia.Node) (*gorgonia.Node, error) {
	return m.expectNode("KLNode", divKL, p, q, lengths)
}

func (m Model) expectNode(op string, div divergence, p, q, lengths *gorgonia.Node) (*gorgonia.Node, error) {
	if err := checkThetaNode(op, "potentials", p); err != nil {
		return nil, err
	}
	if div != divEntropy {
		if err := checkThetaNode(op, "potentials q", q); err != nil {
			return nil, err
		}
		if q.Dtype() != p.Dtype() {
			return nil, errorf(ErrDtype, op, "potentials q have dtype %v, p %v: want the same", q.Dtype(), p.Dtype())
		}
		if !q.Shape().Eq(p.Shape()) {
			return nil, errorf(ErrShape, op, "potentials q have shape %v, p %v: want the same", q.Shape(), p.Shape())
		}
	}
	e, err := m.newExpectation(op, div, p.Shape(), p.Dtype())
	if err != nil {
		return nil, err
	}
	if err := checkLengthsNode(op, lengths, e.batch); err != nil {
		return nil, err
	}
	in := gorgonia.Nodes{p}
	if q != nil {
		in = append(in, q)
	}
	in = append(in, lengths)
	st, err := gorgonia.ApplyOp(&expectOp{e: e}, in...)
	if err != nil {
		return nil, wrap(op, err)
	}
	v, err := gorgonia.ApplyOp(&expectValueOp{e: e}, append(in, st)...)
	if err != nil {
		return nil, wrap(op, err)
	}
	return v, nil
}

// inputs reads and checks the potentials and lengths of an expectation
// Op's inputs: θp, θq (with q), the lengths.
func (e *expectation) inputs(op string, vals []gorgonia.Value) (tp, tq *tensor.Dense, lx, ly []int, err error) {
	k := 0
	theta := func() (*tensor.Dense, error) {
		t, ok := vals[k].(*tensor.Dense)
		if !ok || t.Dtype() != e.dt || !t.Shape().Eq(e.thetaShape()) {
			return nil, errorf(ErrValue, op, "potentials are %v, want %v of shape %v", describe(vals[k]), e.dt, e.thetaShape())
		}
		k++
		return contiguous(t), nil
	}
	if len(vals) < e.arity() {
		return nil, nil, nil, nil, errorf(ErrValue, op, "got %d inputs, want at least %d", len(vals), e.arity())
	}
	if tp, err = theta(); err != nil {
		return nil, nil, nil, nil, err
	}
	if e.withQ() {
		if tq, err = theta(); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	lx, ly, err = readLengths(op, vals[k], e.batch, e.n, e.mm)
	return tp, tq, lx, ly, err
}

// arity is the number of inputs of the forward Op: the potentials and the
// lengths.
func (e *expectation) arity() int {
	if e.withQ() {
		return 3
	}
	return 2
}

func (e *expectation) inTypes() []hm.Type {
	ts := []hm.Type{gorgonia.TensorType{Dims: 4, Of: e.dt}}
	if e.withQ() {
		ts = append(ts, gorgonia.TensorType{Dims: 4, Of: e.dt})
	}
	return append(ts, gorgonia.TensorType{Dims: 2, Of: tensor.Int})
}

// expectOp runs the forward pass: inputs θp, θq (CrossEntropy and KL) and
// the lengths; output the float64 forward states of every item, (batch,
// perItem), kept between runs (see kept). It is not differentiable itself:
// expectValueOp reads its totals and routes the gradient to the
// potentials. Every Do holds the buffer while it runs (inUse): a Do that
// finds it held, by a run of the same graph on another machine, returns an
// error of kind ErrBusy rather than write over the states that run is
// computing.
type expectOp struct {
	e   *expectation
	buf kept
	use inUse
}

// String names the states, which depend on whether there is a q but not
// on which quantity is read from them: CrossEntropy and KL of the same
// potentials share one forward pass.
func (op *expectOp) String() string {
	q := ""
	if op.e.withQ() {
		q = ", q"
	}
	return fmt.Sprintf("align.ExpectStates{%v, θ%v, %v%s}", op.e.m, op.e.thetaShape(), op.e.dt, q)
}

func (op *expectOp) Arity() int                { return op.e.arity() }
func (op *expectOp) ReturnsPtr() bool          { return false }
func (op *expectOp) CallsExtern() bool         { return false }
func (op *expectOp) OverwritesInput() int      { return -1 }
func (op *expectOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *expectOp) Hashcode() uint32          { return hashOf(op) }
func (op *expectOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }

func (op *expectOp) Type() hm.Type {
	return hm.NewFnType(append(op.e.inTypes(), gorgonia.TensorType{Dims: 2, Of: tensor.Float64})...)
}

func (op *expectOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.e.statesShape(), nil
}

func (op *expectOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, errorf(ErrGraph, op.e.div.String(), "the forward states are not differentiated")
}

func (op *expectOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.e.div.String()
	tp, tq, lx, ly, err := op.e.inputs(name, vals)
	if err != nil {
		return nil, err
	}
	if err := op.use.claim(name); err != nil {
		return nil, err
	}
	defer op.use.release()
	out := op.buf.get(tensor.Float64, op.e.statesShape())
	op.e.run(tp, tq, lx, ly, 0, op.e.batch, out.Data().([]float64))
	return out, nil
}

// expectValueOp reads the quantity of every item from the forward states:
// inputs θp, θq (with q), the lengths and the states; output (batch) in
// θ's dtype. Only the states are read; the potentials are inputs so that
// the gradient reaches them.
type expectValueOp struct{ e *expectation }

func (op *expectValueOp) String() string        { return "align.ExpectValue" + op.e.String() }
func (op *expectValueOp) Arity() int            { return op.e.arity() + 1 }
func (op *expectValueOp) ReturnsPtr() bool      { return false }
func (op *expectValueOp) CallsExtern() bool     { return false }
func (op *expectValueOp) OverwritesInput() int  { return -1 }
func (op *expectValueOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *expectValueOp) Hashcode() uint32      { return hashOf(op) }

func (op *expectValueOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	for k := 0; k < op.e.arity()-1 && k < inputs; k++ {
		d[k] = true
	}
	return d
}

func (op *expectValueOp) Type() hm.Type {
	ts := append(op.e.inTypes(), gorgonia.TensorType{Dims: 2, Of: tensor.Float64}, gorgonia.TensorType{Dims: 1, Of: op.e.dt})
	return hm.NewFnType(ts...)
}

func (op *expectValueOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.e.batch}, nil
}

// states returns the forward states among an Op's inputs.
func (e *expectation) states(op string, v gorgonia.Value) ([]float64, error) {
	s, ok := v.(*tensor.Dense)
	if !ok || s.Dtype() != tensor.Float64 || !s.Shape().Eq(e.statesShape()) {
		return nil, errorf(ErrValue, op, "states are %v, want float64 of shape %v", describe(v), e.statesShape())
	}
	return contiguous(s).Data().([]float64), nil
}

func (op *expectValueOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.e.div.String()
	if len(vals) != op.Arity() {
		return nil, errorf(ErrValue, name, "got %d inputs, want %d", len(vals), op.Arity())
	}
	st, err := op.e.states(name, vals[op.e.arity()])
	if err != nil {
		return nil, err
	}
	per := op.e.perItem()
	v := make([]float64, op.e.batch)
	for b := range v {
		v[b] = op.e.value(st[(b+1)*per-totals : (b+1)*per])
	}
	if op.e.dt == tensor.Float32 {
		f := make([]float32, len(v))
		for b, x := range v {
			f[b] = float32(x)
		}
		return tensor.New(tensor.WithShape(op.e.batch), tensor.WithBacking(f)), nil
	}
	return tensor.New(tensor.WithShape(op.e.batch), tensor.WithBacking(v)), nil
}

func (op *expectValueOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	k := op.e.arity()
	args := append(append(gorgonia.Nodes{}, inputs[:k+1]...), grad)
	out := make(gorgonia.Nodes, len(inputs))
	for wrt := range k - 1 {
		d, err := gorgonia.ApplyOp(&expectGradOp{e: op.e, wrtQ: wrt == 1}, args...)
		if err != nil {
			return nil, wrap(op.e.div.String(), err)
		}
		out[wrt] = d
	}
	return out, nil
}

// expectGradOp is the gradient of expectValueOp with respect to θp (wrtQ
// false) or θq: inputs θp, θq (with q), the lengths, the forward states
// and the gradient of the output, (batch); output a fresh tensor of θ's
// shape and dtype.
type expectGradOp struct {
	e    *expectation
	wrtQ bool
}

func (op *expectGradOp) String() string {
	wrt := "p"
	if op.wrtQ {
		wrt = "q"
	}
	return fmt.Sprintf("align.ExpectGrad%v{wrt θ%s}", op.e, wrt)
}
func (op *expectGradOp) Arity() int            { return op.e.arity() + 2 }
func (op *expectGradOp) ReturnsPtr() bool      { return false }
func (op *expectGradOp) CallsExtern() bool     { return false }
func (op *expectGradOp) OverwritesInput() int  { return -1 }
func (op *expectGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *expectGradOp) Hashcode() uint32      { return hashOf(op) }

func (op *expectGradOp) Type() hm.Type {
	ts := append(op.e.inTypes(), gorgonia.TensorType{Dims: 2, Of: tensor.Float64},
		gorgonia.TensorType{Dims: 1, Of: op.e.dt}, gorgonia.TensorType{Dims: 4, Of: op.e.dt})
	return hm.NewFnType(ts...)
}

func (op *expectGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.e.thetaShape(), nil
}

func (op *expectGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.e.div.String()
	if len(vals) != op.Arity() {
		return nil, errorf(ErrValue, name, "got %d inputs, want %d", len(vals), op.Arity())
	}
	tp, tq, lx, ly, err := op.e.inputs(name, vals)
	if err != nil {
		return nil, err
	}
	k := op.e.arity()
	st, err := op.e.states(name, vals[k])
	if err != nil {
		return nil, err
	}
	dv, ok := vals[k+1].(*tensor.Dense)
	if !ok || dv.Dtype() != op.e.dt || !dv.Shape().Eq(tensor.Shape{op.e.batch}) {
		return nil, errorf(ErrValue, name, "gradient is %v, want %v of shape (%d)", describe(vals[k+1]), op.e.dt, op.e.batch)
	}
	return op.e.grad(tp, tq, lx, ly, st, float64s(dv), op.wrtQ), nil
}

// Entropy returns the entropy H(p) = −Σ p(path) log p(path) of every
// batch item's distribution over paths, the value of EntropyNode computed
// without a graph. theta holds the potentials, (batch, N, M, 3), or
// (batch, N, M, 5) with Affine, of Float64 or Float32; lenX and lenY are
// as in LogPartition (nil means N or M for every item). theta is not
// modified. It returns an error naming the item, the cell and the channel
// of the first NaN or +Inf potential a path may read, and for an item
// whose paths all score −Inf (under p or q).
func (m Model) Entropy(theta *tensor.Dense, lenX, lenY []int) ([]float64, error) {
	return m.expectEager("Entropy", divEntropy, theta, nil, lenX, lenY)
}

// CrossEntropy returns the cross-entropy CE(p, q) = −Σ p(path)
// log q(path) of every batch item, the value of CrossEntropyNode computed
// without a graph; p and q must have the same shape and dtype. It is +Inf
// where q gives no weight to a path that p does (see CrossEntropyNode).
// Lengths and errors are as in Entropy: an item whose paths all score
// −Inf under p or under q, where the node gives NaN, is an error naming
// it.
func (m Model) CrossEntropy(p, q *tensor.Dense, lenX, lenY []int) ([]float64, error) {
	return m.expectEager("CrossEntropy", divCrossEntropy, p, q, lenX, lenY)
}

// KL returns the Kullback–Leibler divergence KL(p‖q) of every batch
// item, the value of KLNode computed without a graph; p and q must have the
// same shape and dtype. It is +Inf where q gives no weight to a path that
// p does, and lengths and errors are as in CrossEntropy.
func (m Model) KL(p, q *tensor.Dense, lenX, lenY []int) ([]float64, error) {
	return m.expectEager("KL", divKL, p, q, lenX, lenY)
}

func (m Model) expectEager(op string, div divergence, p, q *tensor.Dense, lenX, lenY []int) ([]float64, error) {
	if p == nil || (div != divEntropy && q == nil) {
		return nil, errorf(ErrNil, op, "nil potentials")
	}
	if q != nil {
		if q.Dtype() != p.Dtype() {
			return nil, errorf(ErrDtype, op, "potentials q have dtype %v, p %v: want the same", q.Dtype(), p.Dtype())
		}
		if !q.Shape().Eq(p.Shape()) {
			return nil, errorf(ErrShape, op, "potentials q have shape %v, p %v: want the same", q.Shape(), p.Shape())
		}
	}
	e, err := m.newExpectation(op, div, p.Shape(), p.Dtype())
	if err != nil {
		return nil, err
	}
	lx, err := lengths(op, "lenX", lenX, e.batch, e.n)
	if err != nil {
		return nil, err
	}
	ly, err := lengths(op, "lenY", lenY, e.batch, e.mm)
	if err != nil {
		return nil, err
	}
	p = contiguous(p)
	if q != nil {
		q = contiguous(q)
	}
	names := []string{"p", "q"}
	if div == divEntropy {
		names[0] = "θ"
	}
	for b := range e.batch {
		l := m.lat(lx[b], ly[b])
		for k, t := range []*tensor.Dense{p, q} {
			if t == nil {
				continue
			}
			if err := checkFiniteDense(op, names[k], t, b, l); err != nil {
				return nil, err
			}
		}
	}
	// The states of a few items at a time: an eager call needs only the
	// totals.
	per := e.perItem()
	chunk := max(1, min(e.batch, runtime.GOMAXPROCS(0)))
	st := make([]float64, chunk*per)
	out := make([]float64, e.batch)
	for lo := 0; lo < e.batch; lo += chunk {
		hi := min(lo+chunk, e.batch)
		e.run(p, q, lx, ly, lo, hi, st)
		for b := lo; b < hi; b++ {
			tot := st[(b-lo+1)*per-totals : (b-lo+1)*per]
			if math.IsInf(tot[tZp], -1) {
				return nil, errorf(ErrPotential, op, "item %d: every path scores −Inf", b)
			}
			if e.withQ() && math.IsInf(tot[tZq], -1) {
				return nil, errorf(ErrPotential, op, "item %d: every path scores −Inf under q", b)
			}
			out[b] = e.value(tot)
		}
	}
	return out, nil
}
