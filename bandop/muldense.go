package bandop

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/genband/genband/internal/fastexp"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MulDense returns R = A ⊗ V for each matrix A of a and the matching
// (n, d) matrix of v: R[b,i,t] = ⊕_j A_b[i,j] ⊗ V[b,j,t]. v must have shape
// (batch, n, d) with a's batch and n, d ≥ 1, and a's dtype; a's fill must
// be the semiring's zero. The result has shape (batch, n, d). Column t of R
// is a.MulVec of column t of V: MulVec is the case d = 1, and both follow
// the same rules (terms in ascending j, a Log or Max result of −Inf for a
// row with no term). v may be a view or have a pending transpose (t.T()):
// it is read as its materialized value; neither a nor v is modified.
func (a *Banded) MulDense(v *tensor.Dense, s Semiring) (*tensor.Dense, error) {
	const op = "MulDense"
	if v == nil {
		return nil, kindErrorf(ErrNil, op, "V is nil")
	}
	la, d, err := mulDenseLayout(op, a.operand, v.Dtype(), v.Shape(), s)
	if err != nil {
		return nil, err
	}
	vd := contiguous(v)
	r := newDense(la.dt, tensor.Shape{la.batch, la.n, d}, 0)
	switch la.dt {
	case tensor.Float32:
		denseForward(s, vecRight, r.Data().([]float32), storage[float32](a), vd.Data().([]float32), la, d)
	default:
		denseForward(s, vecRight, r.Data().([]float64), storage[float64](a), vd.Data().([]float64), la, d)
	}
	return r, nil
}

// MulDense adds the product a ⊗ v of banded a (batch, n, n) and dense v
// (batch, n, d) to the graph (see Banded.MulDense). Its gradient with
// respect to both operands is defined, with MulVec's rules: a term whose
// incoming gradient is 0 adds nothing, a Log or Max result of −Inf passes
// no gradient, and Max gives it to the first maximal term only.
func MulDense(a *Node, v *gorgonia.Node, s Semiring) (*gorgonia.Node, error) {
	const name = "MulDense"
	if v == nil {
		return nil, kindErrorf(ErrNil, name, "V is nil")
	}
	la, d, err := mulDenseLayout(name, func(op, n string) (layout, error) { return a.layout(op, n) }, v.Dtype(), v.Shape(), s)
	if err != nil {
		return nil, err
	}
	out, err := gorgonia.ApplyOp(&mulDenseOp{s: s, a: la, d: d}, a.Node, v)
	if err != nil {
		return nil, wrapGraph(name, err)
	}
	return out, nil
}

// mulDenseLayout checks the operands of MulDense and returns A's layout and
// V's number of columns d.
func mulDenseLayout(op string, aOp func(op, name string) (layout, error), vdt tensor.Dtype, vs tensor.Shape, s Semiring) (layout, int, error) {
	if err := checkSemiring(op, s); err != nil {
		return layout{}, 0, err
	}
	la, err := aOp(op, "A")
	if err != nil {
		return layout{}, 0, err
	}
	if err := zeroFill(op, s, la, "A"); err != nil {
		return layout{}, 0, err
	}
	if vdt != la.dt {
		return layout{}, 0, kindErrorf(ErrDtype, op, "V has dtype %v, A has %v", vdt, la.dt)
	}
	if vs.Dims() != 3 || vs[0] != la.batch || vs[1] != la.n || vs[2] < 1 {
		return layout{}, 0, kindErrorf(ErrShape, op, "V has shape %v, want (%d, %d, d ≥ 1): A's batch and n", vs, la.batch, la.n)
	}
	if err := checkSize(op, "the result", la.batch, la.n, vs[2]); err != nil {
		return layout{}, 0, err
	}
	return la, vs[2], nil
}

// denseSpan returns the terms of output row x of matrix b of a product with
// d columns, as vecSpanRow (side vecRight: A ⊗ V, along row x of A) or
// vecSpanCol (vecLeft: Aᵀ ⊗ V, down column x of A) give them for one: cnt
// terms A[a0+t·aStep] ⊗ V's row v0+t.
func denseSpan(side vecSide, b, x int, l layout) (v0, a0, aStep, cnt int) {
	if side == vecLeft {
		return vecSpanCol(b, x, l.n, l.lower, l.upper)
	}
	return vecSpanRow(b, x, l.n, l.lower, l.upper)
}

// denseForward computes r = A ⊗ V (side vecRight) or Aᵀ ⊗ V (vecLeft) for
// V of d columns: each output row gathers its terms, each term a row of V,
// so rows run in parallel and the inner loops run along rows of V and R.
// Real sums in ascending j, Max takes the builtin max (NaN wins), Log takes
// the maximum first and sums exp(term − max), as vecDot does for d = 1.
func denseForward[T float](s Semiring, side vecSide, r, a, v []T, l layout, d int) {
	rows := l.batch * l.n
	parallelFor(rows, rows*l.width()*d, func(lo, hi int) {
		switch s {
		case Real:
			denseRowsReal(side, r, a, v, l, d, false, false, lo, hi)
		case Max:
			denseRowsMax(side, r, a, v, l, d, lo, hi)
		default:
			denseRowsLog(side, r, a, v, l, d, lo, hi)
		}
	})
}

// denseRowsReal computes rows [lo, hi) of the Real product. skipA leaves out
// terms whose entry of A is 0 and skipV those whose element of V is 0,
// whatever the other factor: the gradients pass the incoming gradient as A
// or V, and a term whose incoming gradient is 0 adds nothing, not 0·Inf.
// Without them (the other factor finite, where 0 times it is 0 anyway) an
// output row is one matrix-vector product: the terms' rows of V are
// consecutive rows.
func denseRowsReal[T float](side vecSide, r, a, v []T, l layout, d int, skipA, skipV bool, lo, hi int) {
	n := l.n
	var col []T // a column of A, gathered: gonum's strided kernels are slow
	if side == vecLeft {
		col = make([]T, l.width())
	}
	for o := lo; o < hi; o++ {
		v0, a0, step, cnt := denseSpan(side, o/n, o%n, l)
		rr := r[o*d : (o+1)*d]
		if !skipA && !skipV {
			if cnt == 0 {
				clear(rr)
				continue
			}
			x := a[a0:]
			if step != 1 {
				x = col[:cnt]
				for t := range x {
					x[t] = a[a0+t*step]
				}
			}
			gemv(true, cnt, d, v[v0*d:(v0+cnt)*d], x, 1, rr)
			continue
		}
		clear(rr)
		for t := 0; t < cnt; t++ {
			av := a[a0+t*step]
			if skipA && av == 0 {
				continue
			}
			vr := v[(v0+t)*d : (v0+t+1)*d]
			vr = vr[:len(rr)]
			if skipV {
				for x, vv := range vr {
					if vv != 0 {
						rr[x] += av * vv
					}
				}
				continue
			}
			for x, vv := range vr {
				rr[x] += av * vv
			}
		}
	}
}

// gemv overwrites y with M·x (trans false: y[i] = Σ_c M[i,c]·x[c·incX]) or
// Mᵀ·x (trans true: y[c] = Σ_i x[i·incX]·M[i,c], added row by row in
// ascending i) for the rows×cols matrix M of row stride cols: gonum's
// assembly kernels, several times faster than a Go loop on float32.
func gemv[T float](trans bool, rows, cols int, m, x []T, incX int, y []T) {
	tA, ny := blas.NoTrans, rows
	if trans {
		tA, ny = blas.Trans, cols
	}
	switch mm := any(m).(type) {
	case []float32:
		gonum.Implementation{}.Sgemv(tA, rows, cols, 1, mm, cols, any(x).([]float32), incX, 0, any(y).([]float32)[:ny], 1)
	case []float64:
		gonum.Implementation{}.Dgemv(tA, rows, cols, 1, mm, cols, any(x).([]float64), incX, 0, any(y).([]float64)[:ny], 1)
	}
}

func denseRowsMax[T float](side vecSide, r, a, v []T, l layout, d, lo, hi int) {
	n := l.n
	for o := lo; o < hi; o++ {
		v0, a0, step, cnt := denseSpan(side, o/n, o%n, l)
		rr := r[o*d : (o+1)*d]
		fillSlice(rr, T(math.Inf(-1)))
		for t := 0; t < cnt; t++ {
			av := a[a0+t*step]
			vr := v[(v0+t)*d : (v0+t+1)*d]
			vr = vr[:len(rr)]
			for x, vv := range vr {
				rr[x] = max(rr[x], av+vv)
			}
		}
	}
}

// denseRowsLog shifts each output row by one bound, mulRowsLog's way: the
// largest A term plus the largest entry of its row of V, so that the sums
// are one vector exp per term (expAcc over the row) with no pass for each
// output's maximum; outputs far below the bound are summed again with
// their own maximum (denseSlotLog), and a row whose bound is not finite
// takes the two-pass kernel (denseRowLogExact).
func denseRowsLog[T float](side vecSide, r, a, v []T, l layout, d, lo, hi int) {
	n := l.n
	m := make([]T, d)
	lg := make([]float64, d)
	redo := make([]int, 0, d)
	// vmax[j] is the largest entry of V's row j, found when first needed.
	vmax := make([]T, l.batch*n)
	have := make([]bool, l.batch*n)
	for o := lo; o < hi; o++ {
		v0, a0, step, cnt := denseSpan(side, o/n, o%n, l)
		rr := r[o*d : (o+1)*d]
		bound := T(math.Inf(-1))
		for t := 0; t < cnt; t++ {
			j := v0 + t
			if !have[j] {
				vmax[j], have[j] = maxSum(v[j*d:(j+1)*d], nil), true
			}
			bound = max(bound, a[a0+t*step]+vmax[j])
		}
		if math.IsInf(float64(bound), 0) || math.IsNaN(float64(bound)) {
			denseRowLogExact(rr, a, v, m, v0, a0, step, cnt)
			continue
		}
		fillSlice(m, bound)
		clear(rr)
		for t := 0; t < cnt; t++ {
			expAcc(rr, v[(v0+t)*d:(v0+t+1)*d], m, a[a0+t*step])
		}
		redo = logRowFinish(rr, bound, lg, redo)
		for _, x := range redo {
			rr[x] = denseSlotLog(a, v, x, d, v0, a0, step, cnt)
		}
	}
}

// denseSlotLog returns output x of a row of MulDense's Log product, shifted
// by its own maximum: the terms a[a0+t·step] + V[v0+t, x].
func denseSlotLog[T float](a, v []T, x, d, v0, a0, step, cnt int) T {
	mx := T(math.Inf(-1))
	for t := 0; t < cnt; t++ {
		mx = max(mx, a[a0+t*step]+v[(v0+t)*d+x])
	}
	if math.IsInf(float64(mx), -1) {
		return mx
	}
	var sum T
	for t := 0; t < cnt; t++ {
		sum += expT(a[a0+t*step] + v[(v0+t)*d+x] - mx)
	}
	return mx + T(log64(float64(sum)))
}

// denseRowLogExact takes each output's maximum term first, in the output
// row rr itself, then sums exp(term − max) into m, scratch of rr's length.
// A maximum of ±Inf is shifted by 0 instead, which makes an all −Inf sum
// come out as log 0 = −Inf and a +Inf term as +Inf, never Inf − Inf
// (mulRowLogExact's rule).
func denseRowLogExact[T float](rr, a, v, sum []T, v0, a0, step, cnt int) {
	d := len(rr)
	m := rr
	fillSlice(m, T(math.Inf(-1)))
	for t := 0; t < cnt; t++ {
		av := a[a0+t*step]
		vr := v[(v0+t)*d : (v0+t+1)*d]
		vr = vr[:len(m)]
		for x, vv := range vr {
			m[x] = max(m[x], av+vv)
		}
	}
	for x, mv := range m {
		if math.IsInf(float64(mv), 0) {
			m[x] = 0
		}
	}
	clear(sum)
	for t := 0; t < cnt; t++ {
		expAcc(sum, v[(v0+t)*d:(v0+t+1)*d], m, a[a0+t*step])
	}
	for x, sv := range sum {
		m[x] += T(log64(float64(sv)))
	}
}

// bandDots computes rows [lo, hi) of c = the band of Q·Kᵀ (layout l): slot k
// of row i is Σ_t Q[i,t]·K[j,t], j = i+k−lower, and padding gets 0. skipQ
// leaves out terms whose element of Q is 0, whatever K's: the gradient of
// MulDense with respect to A passes the incoming gradient as Q. Without it
// a row is one matrix-vector product: its slots' rows of K are consecutive.
func bandDots[T float](c, q, k []T, l layout, d int, skipQ bool, lo, hi int) {
	n, w, lower := l.n, l.width(), l.lower
	for r := lo; r < hi; r++ {
		i := r % n
		crow := c[r*w : (r+1)*w]
		clear(crow)
		kLo, kHi := validSlots(i, n, lower, w)
		if kLo >= kHi {
			continue
		}
		qr := q[r*d : (r+1)*d]
		j0 := r + kLo - lower // K's first row, in the same matrix as r
		if !skipQ {
			gemv(false, kHi-kLo, d, k[j0*d:(j0+kHi-kLo)*d], qr, 1, crow[kLo:kHi])
			continue
		}
		for s := kLo; s < kHi; s++ {
			kr := k[(j0+s-kLo)*d : (j0+s-kLo+1)*d]
			kr = kr[:len(qr)]
			var acc T
			for x, qv := range qr {
				if qv != 0 {
					acc += qv * kr[x]
				}
			}
			crow[s] = acc
		}
	}
}

// allFinite reports whether no element of x is ±Inf or NaN: then a factor
// of 0 makes a product of 0, and the Real gradients need not test for it.
func allFinite[T float](x []T) bool {
	for _, v := range x {
		if v-v != 0 {
			return false
		}
	}
	return true
}

// mulDenseBackward computes the gradient g of Σ dr·r with respect to A
// (wrt = gradA, band storage with 0 in the padding) or V (gradV) of
// r = A ⊗ V, given r bit for bit as the forward computed it. Every gradient
// row gathers its own terms, so rows run in parallel. The rules are
// vecBackward's for each column: a term with dr = 0 adds nothing, nor does
// a term of weight 0 by definition (a Log or Max result of −Inf, a Max term
// not the first maximal one), whatever the other factor.
func mulDenseBackward[T float](s Semiring, wrt vecOperand, g, a, v, r, dr []T, l layout, d int) {
	rows := l.batch * l.n
	work := rows * l.width() * d
	if s == Real {
		if wrt == gradA {
			skip := !allFinite(v)
			parallelFor(rows, work, func(lo, hi int) { bandDots(g, dr, v, l, d, skip, lo, hi) })
			return
		}
		skip := !allFinite(a)
		parallelFor(rows, work, func(lo, hi int) { denseRowsReal(vecLeft, g, a, dr, l, d, false, skip, lo, hi) })
		return
	}
	var first []int32
	if s == Max {
		first = make([]int32, rows*d)
		parallelFor(rows, work, func(lo, hi int) { denseFirstMax(first, a, v, r, l, d, lo, hi) })
	} else {
		// Every term's weight is one vector exp (Dot, AccW), unless some
		// result is +Inf or NaN (logGradInputs, mulBackward's rule).
		drs, rs, ok := logGradInputs(dr, r, rows, d)
		dr = drs
		if ok {
			parallelFor(rows, work, func(lo, hi int) {
				if wrt == gradA {
					denseGradRowsALog(g, a, v, rs, dr, l, d, lo, hi)
				} else {
					denseGradRowsVLog(g, a, v, rs, dr, l, d, lo, hi)
				}
			})
			return
		}
	}
	parallelFor(rows, work, func(lo, hi int) {
		if wrt == gradA {
			denseGradRowsA(s, g, a, v, r, dr, first, l, d, lo, hi)
		} else {
			denseGradRowsV(s, g, a, v, r, dr, first, l, d, lo, hi)
		}
	})
}

// denseFirstMax sets first[i*d+x] to the slot of A's row i of the first term
// of output (i, x) equal to r there, the maximum the forward took of the
// same sums; −2 where r is −Inf, −1 where no term equals r (NaN).
func denseFirstMax[T float](first []int32, a, v, r []T, l layout, d, lo, hi int) {
	n, w := l.n, l.width()
	for o := lo; o < hi; o++ {
		v0, a0, _, cnt := vecSpanRow(o/n, o%n, n, l.lower, l.upper)
		fr, rr := first[o*d:(o+1)*d], r[o*d:(o+1)*d]
		for x, rv := range rr {
			fr[x] = -1
			if math.IsInf(float64(rv), -1) {
				fr[x] = -2
			}
		}
		k0 := a0 - o*w // the slot of the first term
		for t := 0; t < cnt; t++ {
			av := a[a0+t]
			vr := v[(v0+t)*d : (v0+t+1)*d]
			vr = vr[:len(rr)]
			for x, vv := range vr {
				if av+vv == rr[x] && fr[x] == -1 {
					fr[x] = int32(k0 + t)
				}
			}
		}
	}
}

// denseWeights sets ws[x] to the weight of term A[i,k] ⊗ V[j,x] in output
// (i, x): exp(A + V − r) for Log (Inf or NaN where r is −Inf, but dr is 0
// there), for Max 1 on the first maximal term and 0 elsewhere.
func denseWeights[T float](s Semiring, ws, vr, rr []T, fr []int32, av T, k int) {
	if s == Log {
		clear(ws)
		expAcc(ws, vr, rr, av)
		return
	}
	for x, f := range fr {
		ws[x] = 0
		if int(f) == k {
			ws[x] = 1
		}
	}
}

// denseGradRowsA computes rows [lo, hi) of the Log or Max gradient with
// respect to A: slot k of row i is Σ_x dr[i,x]·weight.
func denseGradRowsA[T float](s Semiring, g, a, v, r, dr []T, first []int32, l layout, d, lo, hi int) {
	n, w := l.n, l.width()
	ws := make([]T, d)
	for o := lo; o < hi; o++ {
		grow := g[o*w : (o+1)*w]
		clear(grow)
		v0, a0, _, cnt := vecSpanRow(o/n, o%n, n, l.lower, l.upper)
		k0 := a0 - o*w
		rr, dd := r[o*d:(o+1)*d], dr[o*d:(o+1)*d]
		var fr []int32
		if first != nil {
			fr = first[o*d : (o+1)*d]
		}
		for t := 0; t < cnt; t++ {
			denseWeights(s, ws, v[(v0+t)*d:(v0+t+1)*d], rr, fr, a[a0+t], k0+t)
			var acc T
			for x, dv := range dd {
				if dv != 0 && ws[x] != 0 {
					acc += dv * ws[x]
				}
			}
			grow[k0+t] = acc
		}
	}
}

// denseGradRowsALog is denseGradRowsA for Log, given logGradInputs' dr
// and r: each slot is a Dot of a row of dr with its weights.
func denseGradRowsALog[T float](g, a, v, r, dr []T, l layout, d, lo, hi int) {
	n, w := l.n, l.width()
	for o := lo; o < hi; o++ {
		grow := g[o*w : (o+1)*w]
		clear(grow)
		v0, a0, _, cnt := vecSpanRow(o/n, o%n, n, l.lower, l.upper)
		k0 := a0 - o*w
		rr, dd := r[o*d:(o+1)*d], dr[o*d:(o+1)*d]
		for t := 0; t < cnt; t++ {
			grow[k0+t] = fastexp.Dot(dd, v[(v0+t)*d:(v0+t+1)*d], rr, a[a0+t])
		}
	}
}

// denseGradRowsVLog is denseGradRowsV for Log, given logGradInputs' dr
// and r: each term adds a row of dr times its weights (AccW).
func denseGradRowsVLog[T float](g, a, v, r, dr []T, l layout, d, lo, hi int) {
	n := l.n
	for o := lo; o < hi; o++ {
		gr := g[o*d : (o+1)*d]
		clear(gr)
		vr := v[o*d : (o+1)*d]
		i0, a0, step, cnt := vecSpanCol(o/n, o%n, n, l.lower, l.upper)
		for t := 0; t < cnt; t++ {
			i := i0 + t
			fastexp.AccW(gr, dr[i*d:(i+1)*d], vr, r[i*d:(i+1)*d], a[a0+t*step])
		}
	}
}

// denseGradRowsV computes rows [lo, hi) of the Log or Max gradient with
// respect to V: row j gathers, for each row i whose band holds column j
// (ascending i, MulVec's order), dr[i,x]·weight.
func denseGradRowsV[T float](s Semiring, g, a, v, r, dr []T, first []int32, l layout, d, lo, hi int) {
	n, w := l.n, l.width()
	ws := make([]T, d)
	for o := lo; o < hi; o++ {
		gr := g[o*d : (o+1)*d]
		clear(gr)
		vr := v[o*d : (o+1)*d]
		i0, a0, step, cnt := vecSpanCol(o/n, o%n, n, l.lower, l.upper)
		for t := 0; t < cnt; t++ {
			i, ai := i0+t, a0+t*step // A's row (batch included) and slot index
			rr, dd := r[i*d:(i+1)*d], dr[i*d:(i+1)*d]
			var fr []int32
			if first != nil {
				fr = first[i*d : (i+1)*d]
			}
			denseWeights(s, ws, vr, rr, fr, a[ai], ai-i*w)
			for x, dv := range dd {
				if dv != 0 && ws[x] != 0 {
					gr[x] += dv * ws[x]
				}
			}
		}
	}
}

// mulDenseOp is the Gorgonia Op of MulDense: inputs A (band storage) and V
// (batch, n, d), output (batch, n, d).
type mulDenseOp struct {
	opBase
	s Semiring
	a layout // A's layout
	d int    // V's columns
}

func (op *mulDenseOp) String() string {
	return fmt.Sprintf("bandop.MulDense{%v, A(%d,%d), d %d, %v}", op.s, op.a.lower, op.a.upper, op.d, op.a.dt)
}
func (op *mulDenseOp) Arity() int                { return 2 }
func (op *mulDenseOp) Type() hm.Type             { return fnType(op.a.dt, 3, 3, 3) }
func (op *mulDenseOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *mulDenseOp) Hashcode() uint32          { return hashcode(op) }
func (op *mulDenseOp) DiffWRT(inputs int) []bool { return []bool{true, true} }

func (op *mulDenseOp) vShape() tensor.Shape { return tensor.Shape{op.a.batch, op.a.n, op.d} }

func (op *mulDenseOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.vShape(), nil
}

// operands returns A and V from an Op's inputs.
func (op *mulDenseOp) operands(name string, vals []gorgonia.Value) (a, v *tensor.Dense, err error) {
	if a, err = input(name, vals, 0, op.a.dt, op.a.shape()); err != nil {
		return
	}
	v, err = input(name, vals, 1, op.a.dt, op.vShape())
	return
}

func (op *mulDenseOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "MulDense"
	if err := checkArity(name, vals, 2); err != nil {
		return nil, err
	}
	a, v, err := op.operands(name, vals)
	if err != nil {
		return nil, err
	}
	r := newDense(op.a.dt, op.vShape(), 0)
	switch op.a.dt {
	case tensor.Float32:
		denseForward(op.s, vecRight, r.Data().([]float32), a.Data().([]float32), v.Data().([]float32), op.a, op.d)
	default:
		denseForward(op.s, vecRight, r.Data().([]float64), a.Data().([]float64), v.Data().([]float64), op.a, op.d)
	}
	return r, nil
}

func (op *mulDenseOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, kindErrorf(ErrShape, "MulDense", "SymDiff got %d inputs, want 2", len(inputs))
	}
	var gs gorgonia.Nodes
	for wrt := 0; wrt < 2; wrt++ {
		g, err := gorgonia.ApplyOp(&mulDenseGradOp{mulDenseOp: *op, wrt: wrt}, inputs[0], inputs[1], output, grad)
		if err != nil {
			return nil, wrapGraph("MulDense", err)
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// mulDenseGradOp is the backward Op of MulDense: from (A, V, R, dR) it
// returns the gradient with respect to A (wrt = 0, A's band storage with 0
// in the padding) or V (wrt = 1).
type mulDenseGradOp struct {
	mulDenseOp
	wrt int
}

func (op *mulDenseGradOp) String() string {
	return fmt.Sprintf("bandop.MulDenseGrad{wrt %d, %v, A(%d,%d), d %d, %v}", op.wrt, op.s, op.a.lower, op.a.upper, op.d, op.a.dt)
}
func (op *mulDenseGradOp) Arity() int            { return 4 }
func (op *mulDenseGradOp) Type() hm.Type         { return fnType(op.a.dt, 3, 3, 3, 3, 3) }
func (op *mulDenseGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *mulDenseGradOp) Hashcode() uint32      { return hashcode(op) }

func (op *mulDenseGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if op.wrt == 1 {
		return op.vShape(), nil
	}
	return op.a.shape(), nil
}

func (op *mulDenseGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "MulDenseGrad"
	if err := checkArity(name, vals, 4); err != nil {
		return nil, err
	}
	a, v, err := op.mulDenseOp.operands(name, vals)
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
	wrt := vecGradOperand(op.wrt, 1)
	switch op.a.dt {
	case tensor.Float32:
		mulDenseBackward(op.s, wrt, g.Data().([]float32), a.Data().([]float32), v.Data().([]float32), r.Data().([]float32), dr.Data().([]float32), op.a, op.d)
	default:
		mulDenseBackward(op.s, wrt, g.Data().([]float64), a.Data().([]float64), v.Data().([]float64), r.Data().([]float64), dr.Data().([]float64), op.a, op.d)
	}
	return g, nil
}
