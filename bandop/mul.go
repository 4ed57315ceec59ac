package bandop

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Mul returns the semiring product C = A ⊗ B of each pair of matrices,
// C[i,j] = ⊕_k A[i,k] ⊗ B[k,j], with band (A.Lower+B.Lower, A.Upper+B.Upper)
// and the semiring's zero as fill. Both fills must be that zero.
func (a *Banded) Mul(b *Banded, s Semiring) (*Banded, error) {
	la, lb, lc, err := mulLayouts(a.operand, b.operand, s)
	if err != nil {
		return nil, err
	}
	c := alloc(lc.dt, lc.batch, lc.n, lc.lower, lc.upper, lc.fill)
	switch lc.dt {
	case tensor.Float32:
		mulForward(s, storage[float32](c), storage[float32](a), storage[float32](b), la, lb, lc)
	case tensor.Float64:
		mulForward(s, storage[float64](c), storage[float64](a), storage[float64](b), la, lb, lc)
	}
	return c, nil
}

// Mul adds the semiring product a ⊗ b to the graph (see Banded.Mul). Its
// gradient with respect to both operands is defined.
func Mul(a, b *Node, s Semiring) (*Node, error) {
	la, lb, lc, err := mulLayouts(
		func(op, name string) (layout, error) { return a.layout(op, name) },
		func(op, name string) (layout, error) { return b.layout(op, name) }, s)
	if err != nil {
		return nil, err
	}
	out, err := gorgonia.ApplyOp(&mulOp{s: s, a: la, b: lb}, a.Node, b.Node)
	if err != nil {
		return nil, errorf("Mul", "%v", err)
	}
	return banded(out, lc), nil
}

func mulLayouts(aOp, bOp func(op, name string) (layout, error), s Semiring) (la, lb, lc layout, err error) {
	const op = "Mul"
	if err = checkSemiring(op, s); err != nil {
		return
	}
	if la, err = aOp(op, "A"); err != nil {
		return
	}
	if lb, err = bOp(op, "B"); err != nil {
		return
	}
	if err = sameShape(op, la, lb, "A", "B"); err != nil {
		return
	}
	if err = zeroFill(op, s, la, "A"); err != nil {
		return
	}
	if err = zeroFill(op, s, lb, "B"); err != nil {
		return
	}
	lc = mulResult(la, lb, s)
	return
}

func mulResult(la, lb layout, s Semiring) layout {
	return layout{batch: la.batch, n: la.n, lower: la.lower + lb.lower, upper: la.upper + lb.upper, fill: s.Zero(), dt: la.dt}
}

// mulForward computes c = a ⊗ b. In band coordinates the product of row i is
// a one-dimensional convolution: slot kc of C's row i gathers slot ka of A's
// row i times slot kc−ka of B's row k = i+ka−A.lower, so every inner loop
// below runs over contiguous slots of one B row and one C row.
func mulForward[T float](s Semiring, c, a, b []T, la, lb, lc layout) {
	wa, wb, wc, n := la.width(), lb.width(), lc.width(), la.n
	rows := la.batch * n
	parallelFor(rows, rows*wa*wb, func(lo, hi int) {
		var m []T
		if s == Log {
			m = make([]T, wc)
		}
		for r := lo; r < hi; r++ {
			bat, i := r/n, r%n
			arow := a[r*wa : (r+1)*wa]
			crow := c[r*wc : (r+1)*wc]
			clo, chi := validSlots(i, n, lc.lower, wc)
			kaLo, kaHi := validSlots(i, n, la.lower, wa)
			switch s {
			case Real:
				clear(crow)
			default:
				fillSlice(crow, T(math.Inf(-1)))
			}
			if s == Log {
				fillSlice(m, T(math.Inf(-1)))
			}
			// Pass 1: Real accumulates; Max and Log take the maximum.
			for ka := kaLo; ka < kaHi; ka++ {
				k := i + ka - la.lower
				brow := b[(bat*n+k)*wb : (bat*n+k+1)*wb]
				kbLo, kbHi := max(0, clo-ka), min(wb, chi-ka)
				if kbLo >= kbHi {
					continue
				}
				av := arow[ka]
				dst := crow[ka+kbLo : ka+kbHi]
				src := brow[kbLo:kbHi]
				switch s {
				case Real:
					for x, bv := range src {
						dst[x] += av * bv
					}
				case Max:
					for x, bv := range src {
						if v := av + bv; v > dst[x] {
							dst[x] = v
						}
					}
				case Log:
					mm := m[ka+kbLo : ka+kbHi]
					for x, bv := range src {
						if v := av + bv; v > mm[x] {
							mm[x] = v
						}
					}
				}
			}
			if s != Log {
				if s == Real {
					fillSlice(crow[:clo], T(lc.fill))
					fillSlice(crow[chi:], T(lc.fill))
				}
				continue
			}
			// Pass 2: sum exp(term − max). A max of ±Inf is shifted by 0
			// instead, which makes an all −Inf sum come out as exp(−Inf) = 0
			// (so log 0 = −Inf) and a +Inf term as +Inf, never Inf − Inf.
			for x := clo; x < chi; x++ {
				if math.IsInf(float64(m[x]), 0) {
					m[x] = 0
				}
				crow[x] = 0
			}
			for ka := kaLo; ka < kaHi; ka++ {
				k := i + ka - la.lower
				brow := b[(bat*n+k)*wb : (bat*n+k+1)*wb]
				kbLo, kbHi := max(0, clo-ka), min(wb, chi-ka)
				if kbLo >= kbHi {
					continue
				}
				av := arow[ka]
				dst := crow[ka+kbLo : ka+kbHi]
				mm := m[ka+kbLo : ka+kbHi]
				src := brow[kbLo:kbHi]
				for x, bv := range src {
					dst[x] += expT(av + bv - mm[x])
				}
			}
			for x := clo; x < chi; x++ {
				crow[x] = m[x] + T(math.Log(float64(crow[x])))
			}
		}
	})
}

// mulBackward computes the gradient g of Σ dc·c with respect to a (wrt = 0)
// or b (wrt = 1). Each gradient row gathers its terms, so rows are
// independent and run in parallel: for A, row i reads C's row i; for B, row
// k reads the rows i = k+A.lower−ka of C that used it.
func mulBackward[T float](s Semiring, wrt int, g, a, b, c, dc []T, la, lb, lc layout) {
	wa, wb, wc, n := la.width(), lb.width(), lc.width(), la.n
	rows := la.batch * n
	// first[r*wc+kc] is the ka of the first maximal term of output slot kc
	// of row r, for Max; −1 where there is none.
	var first []int32
	if s == Max {
		first = make([]int32, rows*wc)
		parallelFor(rows, rows*wa*wb, func(lo, hi int) {
			best := make([]T, wc)
			for r := lo; r < hi; r++ {
				bat, i := r/n, r%n
				fr := first[r*wc : (r+1)*wc]
				for x := range fr {
					fr[x] = -1
				}
				fillSlice(best, T(math.Inf(-1)))
				clo, chi := validSlots(i, n, lc.lower, wc)
				kaLo, kaHi := validSlots(i, n, la.lower, wa)
				for ka := kaLo; ka < kaHi; ka++ {
					k := i + ka - la.lower
					brow := b[(bat*n+k)*wb : (bat*n+k+1)*wb]
					av := a[r*wa+ka]
					for kb := max(0, clo-ka); kb < min(wb, chi-ka); kb++ {
						// Strictly greater keeps the first maximal term; an
						// all −Inf slot keeps −1 and gets no gradient.
						if v := av + brow[kb]; v > best[ka+kb] {
							best[ka+kb] = v
							fr[ka+kb] = int32(ka)
						}
					}
				}
			}
		})
	}
	// weight returns ∂c[r, kc] / ∂(term ka, kb): the semiring's gradient of ⊕
	// times the derivative of ⊗ with respect to the operand wanted.
	weight := func(r, ka, kb, kc int, av, bv T) T {
		switch s {
		case Real:
			if wrt == 0 {
				return bv
			}
			return av
		case Log:
			cv := c[r*wc+kc]
			if math.IsInf(float64(cv), -1) {
				return 0
			}
			return expT(av + bv - cv)
		default:
			if int(first[r*wc+kc]) == ka {
				return 1
			}
			return 0
		}
	}
	if wrt == 0 {
		parallelFor(rows, rows*wa*wb, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				bat, i := r/n, r%n
				grow := g[r*wa : (r+1)*wa]
				clear(grow)
				clo, chi := validSlots(i, n, lc.lower, wc)
				kaLo, kaHi := validSlots(i, n, la.lower, wa)
				for ka := kaLo; ka < kaHi; ka++ {
					k := i + ka - la.lower
					brow := b[(bat*n+k)*wb : (bat*n+k+1)*wb]
					av := a[r*wa+ka]
					var sum T
					for kb := max(0, clo-ka); kb < min(wb, chi-ka); kb++ {
						kc := ka + kb
						if d := dc[r*wc+kc]; d != 0 {
							sum += d * weight(r, ka, kb, kc, av, brow[kb])
						}
					}
					grow[ka] = sum
				}
			}
		})
		return
	}
	parallelFor(rows, rows*wa*wb, func(lo, hi int) {
		for rk := lo; rk < hi; rk++ {
			bat, k := rk/n, rk%n
			grow := g[rk*wb : (rk+1)*wb]
			clear(grow)
			kbLo, kbHi := validSlots(k, n, lb.lower, wb)
			for kb := kbLo; kb < kbHi; kb++ {
				bv := b[rk*wb+kb]
				var sum T
				// Row i uses B[k, ·] through its slot ka = k − i + A.lower.
				for ka := 0; ka < wa; ka++ {
					i := k + la.lower - ka
					if i < 0 || i >= n {
						continue
					}
					r := bat*n + i
					kc := ka + kb
					if d := dc[r*wc+kc]; d != 0 {
						sum += d * weight(r, ka, kb, kc, a[r*wa+ka], bv)
					}
				}
				grow[kb] = sum
			}
		}
	})
}

func fillSlice[T float](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

// mulOp is the Gorgonia Op of Mul.
type mulOp struct {
	opBase
	s    Semiring
	a, b layout // operands' layouts; batch and n are checked again in Do
}

func (op *mulOp) String() string {
	return fmt.Sprintf("bandop.Mul{%v, A(%d,%d), B(%d,%d), %v}", op.s, op.a.lower, op.a.upper, op.b.lower, op.b.upper, op.a.dt)
}
func (op *mulOp) Arity() int                { return 2 }
func (op *mulOp) Type() hm.Type             { return fnType(op.a.dt, 3, 3, 3) }
func (op *mulOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *mulOp) Hashcode() uint32          { return hashcode(op) }
func (op *mulOp) DiffWRT(inputs int) []bool { return []bool{true, true} }

func (op *mulOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return mulResult(op.a, op.b, op.s).shape(), nil
}

func (op *mulOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "Mul"
	if err := checkArity(name, vals, 2); err != nil {
		return nil, err
	}
	a, err := input(name, vals, 0, op.a.dt, op.a.shape())
	if err != nil {
		return nil, err
	}
	b, err := input(name, vals, 1, op.b.dt, op.b.shape())
	if err != nil {
		return nil, err
	}
	lc := mulResult(op.a, op.b, op.s)
	c := newDense(lc.dt, lc.shape(), 0)
	switch lc.dt {
	case tensor.Float32:
		mulForward(op.s, c.Data().([]float32), a.Data().([]float32), b.Data().([]float32), op.a, op.b, lc)
	default:
		mulForward(op.s, c.Data().([]float64), a.Data().([]float64), b.Data().([]float64), op.a, op.b, lc)
	}
	return c, nil
}

func (op *mulOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, errorf("Mul", "SymDiff got %d inputs, want 2", len(inputs))
	}
	ga, err := gorgonia.ApplyOp(&mulGradOp{mulOp: *op, wrt: 0}, inputs[0], inputs[1], output, grad)
	if err != nil {
		return nil, err
	}
	gb, err := gorgonia.ApplyOp(&mulGradOp{mulOp: *op, wrt: 1}, inputs[0], inputs[1], output, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{ga, gb}, nil
}

// mulGradOp is the backward Op of Mul: from (A, B, C, dC) it returns the
// gradient with respect to A (wrt = 0) or B (wrt = 1), in band storage.
type mulGradOp struct {
	mulOp
	wrt int
}

func (op *mulGradOp) String() string {
	return fmt.Sprintf("bandop.MulGrad{wrt %d, %v, A(%d,%d), B(%d,%d), %v}", op.wrt, op.s, op.a.lower, op.a.upper, op.b.lower, op.b.upper, op.a.dt)
}
func (op *mulGradOp) Arity() int            { return 4 }
func (op *mulGradOp) Type() hm.Type         { return fnType(op.a.dt, 3, 3, 3, 3, 3) }
func (op *mulGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *mulGradOp) Hashcode() uint32      { return hashcode(op) }

func (op *mulGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if op.wrt == 0 {
		return op.a.shape(), nil
	}
	return op.b.shape(), nil
}

func (op *mulGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "MulGrad"
	if err := checkArity(name, vals, 4); err != nil {
		return nil, err
	}
	lc := mulResult(op.a, op.b, op.s)
	a, err := input(name, vals, 0, op.a.dt, op.a.shape())
	if err != nil {
		return nil, err
	}
	b, err := input(name, vals, 1, op.b.dt, op.b.shape())
	if err != nil {
		return nil, err
	}
	c, err := input(name, vals, 2, lc.dt, lc.shape())
	if err != nil {
		return nil, err
	}
	dc, err := input(name, vals, 3, lc.dt, lc.shape())
	if err != nil {
		return nil, err
	}
	shape, _ := op.InferShape()
	g := newDense(lc.dt, shape, 0)
	switch lc.dt {
	case tensor.Float32:
		mulBackward(op.s, op.wrt, g.Data().([]float32), a.Data().([]float32), b.Data().([]float32), c.Data().([]float32), dc.Data().([]float32), op.a, op.b, lc)
	default:
		mulBackward(op.s, op.wrt, g.Data().([]float64), a.Data().([]float64), b.Data().([]float64), c.Data().([]float64), dc.Data().([]float64), op.a, op.b, lc)
	}
	return g, nil
}
