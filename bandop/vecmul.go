package bandop

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// VecMul returns the row vectors r = v ⊗ A of each matrix A of a,
// r[b,j] = ⊕_i v[b,i] ⊗ A_b[i,j]. v must have shape (batch, n) and a's
// dtype; a's fill must be the semiring's zero. The result has shape
// (batch, n).
func (a *Banded) VecMul(v *tensor.Dense, s Semiring) (*tensor.Dense, error) {
	return vecEager(vecLeft, a, v, s)
}

// VecMul adds the row-vector product v ⊗ a to the graph (see Banded.VecMul);
// v has shape (batch, n). Its gradient with respect to both operands is
// defined.
func VecMul(v *gorgonia.Node, a *Node, s Semiring) (*gorgonia.Node, error) {
	return vecGraph(vecLeft, v, a, s)
}

// vecSide says which vector product a kernel or Op computes: the row
// vector v ⊗ A (VecMul) walks down A's columns, the column vector A ⊗ v
// (MulVec) along its rows.
type vecSide uint8

const (
	vecLeft  vecSide = iota // VecMul: v ⊗ A, inputs (v, A)
	vecRight                // MulVec: A ⊗ v, inputs (A, v)
)

// String returns the product's function name, for errors and Op names.
func (side vecSide) String() string {
	if side == vecLeft {
		return "VecMul"
	}
	return "MulVec"
}

// vecOperand says which operand a vector product's gradient is taken with
// respect to.
type vecOperand uint8

const (
	gradA vecOperand = iota // the banded matrix
	gradV                   // the vector
)

// vecGradOperand is the operand that input wrt of a vector Op is, the
// vector being input vIn.
func vecGradOperand(wrt, vIn int) vecOperand {
	if wrt == vIn {
		return gradV
	}
	return gradA
}

// vecLayout checks the operands of VecMul or MulVec and returns A's layout.
func vecLayout(op string, aOp func(op, name string) (layout, error), vdt tensor.Dtype, vs tensor.Shape, s Semiring) (layout, error) {
	if err := checkSemiring(op, s); err != nil {
		return layout{}, err
	}
	la, err := aOp(op, "A")
	if err != nil {
		return layout{}, err
	}
	if err := zeroFill(op, s, la, "A"); err != nil {
		return layout{}, err
	}
	if vdt != la.dt {
		return layout{}, kindErrorf(ErrDtype, op, "v has dtype %v, A has %v", vdt, la.dt)
	}
	if vs.Dims() != 2 || vs[0] != la.batch || vs[1] != la.n {
		return layout{}, kindErrorf(ErrShape, op, "v has shape %v, want (%d, %d): A's batch and n", vs, la.batch, la.n)
	}
	return la, nil
}

func vecEager(side vecSide, a *Banded, v *tensor.Dense, s Semiring) (*tensor.Dense, error) {
	op := side.String()
	if v == nil {
		return nil, kindErrorf(ErrNil, op, "v is nil")
	}
	la, err := vecLayout(op, a.operand, v.Dtype(), v.Shape(), s)
	if err != nil {
		return nil, err
	}
	vd := contiguous(v)
	r := newDense(la.dt, tensor.Shape{la.batch, la.n}, 0)
	switch la.dt {
	case tensor.Float32:
		vecForward(s, side, r.Data().([]float32), vd.Data().([]float32), storage[float32](a), la)
	default:
		vecForward(s, side, r.Data().([]float64), vd.Data().([]float64), storage[float64](a), la)
	}
	return r, nil
}

func vecGraph(side vecSide, v *gorgonia.Node, a *Node, s Semiring) (*gorgonia.Node, error) {
	name := side.String()
	if v == nil {
		return nil, kindErrorf(ErrNil, name, "v is nil")
	}
	la, err := vecLayout(name, func(op, n string) (layout, error) { return a.layout(op, n) }, v.Dtype(), v.Shape(), s)
	if err != nil {
		return nil, err
	}
	op := &vecOp{s: s, a: la, side: side}
	var out *gorgonia.Node
	if side == vecLeft {
		out, err = gorgonia.ApplyOp(op, v, a.Node)
	} else {
		out, err = gorgonia.ApplyOp(op, a.Node, v)
	}
	if err != nil {
		return nil, wrapGraph(name, err)
	}
	return out, nil
}

// vecSpanCol and vecSpanRow return the terms of output x of matrix b:
// cnt products v[v0+t] ⊗ a[a0+t·aStep]. Both products reduce to this one
// form, so they share their kernels: VecMul's output j walks down column j
// of A (a step of Width−1 slots from row to row, vecSpanCol), MulVec's
// output i along row i (vecSpanRow). They are small enough to be inlined
// into the kernels' loops.
func vecSpanCol(b, j, n, lower, upper int) (v0, a0, aStep, cnt int) {
	iLo, iHi := max(0, j-upper), min(n-1, j+lower)
	w := lower + upper + 1
	if iHi < iLo {
		return 0, 0, 0, 0
	}
	return b*n + iLo, (b*n+iLo)*w + j - iLo + lower, w - 1, iHi - iLo + 1
}

func vecSpanRow(b, i, n, lower, upper int) (v0, a0, aStep, cnt int) {
	w := lower + upper + 1
	kLo, kHi := max(0, lower-i), min(w, lower-i+n)
	if kHi < kLo {
		return 0, 0, 0, 0
	}
	return b*n + i + kLo - lower, (b*n+i)*w + kLo, 1, kHi - kLo
}

// vecForward computes r for VecMul or MulVec, as side says. The alignment scan
// calls it on small operands thousands of times, so small work runs without
// a closure or goroutine.
func vecForward[T float](s Semiring, side vecSide, r, v, a []T, l layout) {
	outs := l.batch * l.n
	if work := outs * l.width(); work < minParallelWork {
		vecRows(s, side, r, v, a, l, 0, outs)
		return
	}
	parallelFor(outs, outs*l.width(), func(lo, hi int) { vecRows(s, side, r, v, a, l, lo, hi) })
}

func vecRows[T float](s Semiring, side vecSide, r, v, a []T, l layout, lo, hi int) {
	// b and x follow o without a division per output: the alignment scan's
	// outputs have three terms each, so the division would be a fair share.
	n, lower, upper := l.n, l.lower, l.upper
	b, x := lo/n, lo%n
	for o := lo; o < hi; o++ {
		var v0, a0, step, cnt int
		if side == vecLeft {
			v0, a0, step, cnt = vecSpanCol(b, x, n, lower, upper)
		} else {
			v0, a0, step, cnt = vecSpanRow(b, x, n, lower, upper)
		}
		r[o] = vecDot(s, v, a, v0, a0, step, cnt)
		if x++; x == n {
			b, x = b+1, 0
		}
	}
}

// vecDot returns ⊕_t v[v0+t] ⊗ a[a0+t·step] over cnt terms, the semiring's
// zero when cnt is 0. Log takes the maximum first and sums exp(term − max),
// so no exp overflows; an infinite maximum is the result itself (all terms
// −Inf, or one +Inf), which avoids Inf − Inf.
func vecDot[T float](s Semiring, v, a []T, v0, a0, step, cnt int) T {
	if cnt == 0 {
		return T(s.Zero())
	}
	vs := v[v0 : v0+cnt]
	switch s {
	case Real:
		var acc T
		for t, x := range vs {
			acc += x * a[a0+t*step]
		}
		return acc
	case Max:
		acc := T(math.Inf(-1))
		for t, x := range vs {
			acc = max(acc, x+a[a0+t*step])
		}
		return acc
	}
	var buf [vecBuf]T
	if cnt <= vecBuf {
		terms := buf[:cnt]
		m := T(math.Inf(-1))
		for t, x := range vs {
			terms[t] = x + a[a0+t*step]
			m = max(m, terms[t])
		}
		if math.IsInf(float64(m), 0) || m != m {
			return m
		}
		expShift(terms, m)
		var sum float64
		for _, e := range terms {
			sum += float64(e)
		}
		return T(float64(m) + logSum(sum))
	}
	m := T(math.Inf(-1))
	for t, x := range vs {
		m = max(m, x+a[a0+t*step])
	}
	if math.IsInf(float64(m), 0) || m != m {
		return m
	}
	// Longer sums take the buffer a chunk at a time: one vector exp per
	// term without a buffer the length of the sum.
	var sum float64
	for c0 := 0; c0 < cnt; c0 += vecBuf {
		terms := buf[:min(vecBuf, cnt-c0)]
		for t := range terms {
			terms[t] = vs[c0+t] + a[a0+(c0+t)*step]
		}
		expShift(terms, m)
		for _, e := range terms {
			sum += float64(e)
		}
	}
	// The maximal term's weight is exactly 1, so sum ≥ 1 (logSum's domain).
	return T(float64(m) + logSum(sum))
}

// vecBuf is the length of the buffer on the stack through which vecDot and
// vecDotGrad take their terms, a chunk at a time, so that the exps run in
// one vector loop (expShift) without a call each.
const vecBuf = 64

// vecBackward computes the gradient g of Σ dr·r with respect to v (wrt =
// gradV) or to A (gradA), given r bit for bit as the forward computed it (Max finds its
// first maximal term as the first equal to r). Outputs of one matrix add
// into the same gradient entries, so only matrices run in parallel. A term
// with dr = 0 adds nothing, nor does a term of weight 0 by definition (a
// Log or Max sum that is −Inf, a Max term not the first maximal one),
// whatever the other factor, so an infinite dr makes no NaN elsewhere.
func vecBackward[T float](s Semiring, side vecSide, wrt vecOperand, g, v, a, r, dr []T, l layout) {
	body := func(lo, hi int) {
		n, lower, upper := l.n, l.lower, l.upper
		for b := lo; b < hi; b++ {
			for x := 0; x < n; x++ {
				o := b*n + x
				d := dr[o]
				if d == 0 {
					continue
				}
				var v0, a0, step, cnt int
				if side == vecLeft {
					v0, a0, step, cnt = vecSpanCol(b, x, n, lower, upper)
				} else {
					v0, a0, step, cnt = vecSpanRow(b, x, n, lower, upper)
				}
				vecDotGrad(s, wrt, g, v, a, r[o], d, v0, a0, step, cnt)
			}
		}
	}
	if work := l.batch * l.n * l.width(); work < minParallelWork {
		body(0, l.batch)
		return
	}
	parallelFor(l.batch, l.batch*l.n*l.width(), body)
}

// vecDotGrad adds d times the gradient of vecDot's result rv with respect to
// its v terms (wrt = gradV) or a terms (gradA) into g.
func vecDotGrad[T float](s Semiring, wrt vecOperand, g, v, a []T, rv, d T, v0, a0, step, cnt int) {
	if cnt == 0 || (s != Real && math.IsInf(float64(rv), -1)) {
		return
	}
	vs := v[v0 : v0+cnt]
	add := func(t int, x T) {
		if wrt == gradV {
			g[v0+t] += x
		} else {
			g[a0+t*step] += x
		}
	}
	switch s {
	case Real:
		for t, x := range vs {
			if wrt == gradV {
				g[v0+t] += d * a[a0+t*step]
			} else {
				g[a0+t*step] += d * x
			}
		}
	case Max:
		for t, x := range vs {
			if x+a[a0+t*step] == rv {
				add(t, d)
				return
			}
		}
	default:
		var buf [vecBuf]T
		for c0 := 0; c0 < cnt; c0 += vecBuf {
			w := buf[:min(vecBuf, cnt-c0)]
			for t := range w {
				w[t] = vs[c0+t] + a[a0+(c0+t)*step]
			}
			expShift(w, rv)
			for t, e := range w {
				add(c0+t, d*e)
			}
		}
	}
}

// vecOp is the Gorgonia Op of VecMul (side vecLeft: inputs v, A) and of
// MulVec (vecRight: inputs A, v); the two differ only in which way the
// kernel walks A.
type vecOp struct {
	opBase
	s    Semiring
	a    layout // A's layout; v has shape (batch, n)
	side vecSide
}

func (op *vecOp) String() string {
	return fmt.Sprintf("bandop.%s{%v, A(%d,%d), %v}", op.side.String(), op.s, op.a.lower, op.a.upper, op.a.dt)
}
func (op *vecOp) Arity() int                { return 2 }
func (op *vecOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *vecOp) Hashcode() uint32          { return hashcode(op) }
func (op *vecOp) DiffWRT(inputs int) []bool { return []bool{true, true} }

func (op *vecOp) Type() hm.Type {
	if op.side == vecLeft {
		return fnType(op.a.dt, 2, 3, 2)
	}
	return fnType(op.a.dt, 3, 2, 2)
}

func (op *vecOp) vShape() tensor.Shape { return tensor.Shape{op.a.batch, op.a.n} }

// vIn returns the input position of v; A is the other one.
func (op *vecOp) vIn() int {
	if op.side == vecLeft {
		return 0
	}
	return 1
}

func (op *vecOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.vShape(), nil
}

// operands returns v and A from an Op's inputs.
func (op *vecOp) operands(name string, vals []gorgonia.Value) (v, a *tensor.Dense, err error) {
	if v, err = input(name, vals, op.vIn(), op.a.dt, op.vShape()); err != nil {
		return
	}
	a, err = input(name, vals, 1-op.vIn(), op.a.dt, op.a.shape())
	return
}

func (op *vecOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.side.String()
	if err := checkArity(name, vals, 2); err != nil {
		return nil, err
	}
	v, a, err := op.operands(name, vals)
	if err != nil {
		return nil, err
	}
	r := newDense(op.a.dt, op.vShape(), 0)
	switch op.a.dt {
	case tensor.Float32:
		vecForward(op.s, op.side, r.Data().([]float32), v.Data().([]float32), a.Data().([]float32), op.a)
	default:
		vecForward(op.s, op.side, r.Data().([]float64), v.Data().([]float64), a.Data().([]float64), op.a)
	}
	return r, nil
}

func (op *vecOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, kindErrorf(ErrShape, op.side.String(), "SymDiff got %d inputs, want 2", len(inputs))
	}
	var gs gorgonia.Nodes
	for wrt := 0; wrt < 2; wrt++ {
		g, err := gorgonia.ApplyOp(&vecGradOp{vecOp: *op, wrt: wrt}, inputs[0], inputs[1], output, grad)
		if err != nil {
			return nil, wrapGraph(op.side.String(), err)
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// vecGradOp is the backward Op of VecMul and MulVec: from the forward's two
// inputs (in the forward's order), r and dr it returns the gradient with
// respect to input wrt.
type vecGradOp struct {
	vecOp
	wrt int
}

func (op *vecGradOp) name() string { return op.side.String() + "Grad" }

func (op *vecGradOp) String() string {
	return fmt.Sprintf("bandop.%s{wrt %d, %v, A(%d,%d), %v}", op.name(), op.wrt, op.s, op.a.lower, op.a.upper, op.a.dt)
}
func (op *vecGradOp) Arity() int            { return 4 }
func (op *vecGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *vecGradOp) Hashcode() uint32      { return hashcode(op) }

func (op *vecGradOp) Type() hm.Type {
	out := 3
	if op.wrt == op.vIn() {
		out = 2
	}
	if op.side == vecLeft {
		return fnType(op.a.dt, 2, 3, 2, 2, out)
	}
	return fnType(op.a.dt, 3, 2, 2, 2, out)
}

func (op *vecGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if op.wrt == op.vIn() {
		return op.vShape(), nil
	}
	return op.a.shape(), nil
}

func (op *vecGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.name()
	if err := checkArity(name, vals, 4); err != nil {
		return nil, err
	}
	v, a, err := op.vecOp.operands(name, vals)
	if err != nil {
		return nil, err
	}
	r, err := input(name, vals, 2, op.a.dt, op.vShape())
	if err != nil {
		return nil, err
	}
	dr, err := input(name, vals, 3, op.a.dt, op.vShape())
	if err != nil {
		return nil, err
	}
	shape, _ := op.InferShape()
	g := newDense(op.a.dt, shape, 0)
	wrt := vecGradOperand(op.wrt, op.vIn())
	switch op.a.dt {
	case tensor.Float32:
		vecBackward(op.s, op.side, wrt, g.Data().([]float32), v.Data().([]float32), a.Data().([]float32), r.Data().([]float32), dr.Data().([]float32), op.a)
	default:
		vecBackward(op.s, op.side, wrt, g.Data().([]float64), v.Data().([]float64), a.Data().([]float64), r.Data().([]float64), dr.Data().([]float64), op.a)
	}
	return g, nil
}
