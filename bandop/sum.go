package bandop

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Sum returns the semiring sum ⊕ of every in-band entry of each matrix, a
// tensor of shape (batch). Entries outside the band are the fill, the
// semiring's zero, and add nothing; a matrix with no entry in its band sums
// to that zero. a's fill must be the semiring's zero.
func (a *Banded) Sum(s Semiring) (*tensor.Dense, error) {
	la, err := sumLayout(a.operand, s)
	if err != nil {
		return nil, err
	}
	r := newDense(la.dt, tensor.Shape{la.batch}, 0)
	switch la.dt {
	case tensor.Float32:
		sumForward(s, r.Data().([]float32), storage[float32](a), la)
	default:
		sumForward(s, r.Data().([]float64), storage[float64](a), la)
	}
	return r, nil
}

// Sum adds the semiring sum of every entry of each matrix of a to the graph
// (see Banded.Sum): a node of shape (batch). Its gradient is defined.
func Sum(a *Node, s Semiring) (*gorgonia.Node, error) {
	la, err := sumLayout(func(op, n string) (layout, error) { return a.layout(op, n) }, s)
	if err != nil {
		return nil, err
	}
	out, err := gorgonia.ApplyOp(&sumOp{s: s, a: la}, a.Node)
	if err != nil {
		return nil, wrapGraph("Sum", err)
	}
	return out, nil
}

func sumLayout(aOp func(op, name string) (layout, error), s Semiring) (layout, error) {
	const op = "Sum"
	if err := checkSemiring(op, s); err != nil {
		return layout{}, err
	}
	la, err := aOp(op, "A")
	if err != nil {
		return layout{}, err
	}
	return la, zeroFill(op, s, la, "A")
}

// sumForward computes r[b] = ⊕ of matrix b's valid slots. Log takes the
// maximum first and sums exp(x − max); an infinite maximum is the result
// itself, which avoids Inf − Inf.
func sumForward[T float](s Semiring, r, a []T, l layout) {
	body := func(lo, hi int) {
		for b := lo; b < hi; b++ {
			r[b] = sumMatrix(s, a, b, l)
		}
	}
	if work := l.batch * l.n * l.width(); work < minParallelWork {
		body(0, l.batch)
		return
	}
	parallelFor(l.batch, l.batch*l.n*l.width(), body)
}

func sumMatrix[T float](s Semiring, a []T, b int, l layout) T {
	n, w := l.n, l.width()
	// each calls f on the valid slots of matrix b's rows, in row-major order
	// of the dense matrix.
	each := func(f func(row []T)) {
		for i := 0; i < n; i++ {
			lo, hi := validSlots(i, n, l.lower, w)
			if lo < hi {
				f(a[(b*n+i)*w+lo : (b*n+i)*w+hi])
			}
		}
	}
	switch s {
	case Real:
		var acc T
		each(func(row []T) {
			for _, x := range row {
				acc += x
			}
		})
		return acc
	case Max:
		acc := T(math.Inf(-1))
		each(func(row []T) {
			for _, x := range row {
				acc = max(acc, x)
			}
		})
		return acc
	}
	m := T(math.Inf(-1))
	each(func(row []T) {
		for _, x := range row {
			m = max(m, x)
		}
	})
	if math.IsInf(float64(m), 0) || m != m {
		return m
	}
	mf, sum := float64(m), 0.0
	each(func(row []T) {
		for _, x := range row {
			sum += math.Exp(float64(x) - mf)
		}
	})
	return T(mf + math.Log(sum))
}

// sumBackward computes the gradient g of Σ dr·r with respect to a: dr for
// Real, dr·exp(x − r) for Log (0 where r is −Inf), and for Max dr on the
// first valid slot in row-major order that equals r (none where r is −Inf).
// g is 0 in the padding, and everywhere for a dr of 0.
func sumBackward[T float](s Semiring, g, a, r, dr []T, l layout) {
	n, w := l.n, l.width()
	// Each matrix's gradient is its own: matrices run in parallel.
	body := func(b0, b1 int) {
		for b := b0; b < b1; b++ {
			d, rv := dr[b], r[b]
			if d == 0 || (s != Real && math.IsInf(float64(rv), -1)) {
				continue
			}
			done := false
			for i := 0; i < n && !done; i++ {
				lo, hi := validSlots(i, n, l.lower, w)
				for x := (b*n+i)*w + lo; x < (b*n+i)*w+hi; x++ {
					switch s {
					case Real:
						g[x] = d
					case Log:
						g[x] = d * T(math.Exp(float64(a[x])-float64(rv)))
					default:
						if a[x] == rv {
							g[x] = d
							done = true
						}
					}
					if done {
						break
					}
				}
			}
		}
	}
	if work := l.batch * n * w; work < minParallelWork {
		body(0, l.batch)
		return
	}
	parallelFor(l.batch, l.batch*n*w, body)
}

// sumOp is the Gorgonia Op of Sum.
type sumOp struct {
	opBase
	s Semiring
	a layout
}

func (op *sumOp) String() string {
	return fmt.Sprintf("bandop.Sum{%v, A(%d,%d), %v}", op.s, op.a.lower, op.a.upper, op.a.dt)
}
func (op *sumOp) Arity() int                { return 1 }
func (op *sumOp) Type() hm.Type             { return fnType(op.a.dt, 3, 1) }
func (op *sumOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *sumOp) Hashcode() uint32          { return hashcode(op) }
func (op *sumOp) DiffWRT(inputs int) []bool { return []bool{true} }

func (op *sumOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.a.batch}, nil
}

func (op *sumOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "Sum"
	if err := checkArity(name, vals, 1); err != nil {
		return nil, err
	}
	a, err := input(name, vals, 0, op.a.dt, op.a.shape())
	if err != nil {
		return nil, err
	}
	r := newDense(op.a.dt, tensor.Shape{op.a.batch}, 0)
	switch op.a.dt {
	case tensor.Float32:
		sumForward(op.s, r.Data().([]float32), a.Data().([]float32), op.a)
	default:
		sumForward(op.s, r.Data().([]float64), a.Data().([]float64), op.a)
	}
	return r, nil
}

func (op *sumOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 1 {
		return nil, kindErrorf(ErrShape, "Sum", "SymDiff got %d inputs, want 1", len(inputs))
	}
	g, err := gorgonia.ApplyOp(&sumGradOp{sumOp: *op}, inputs[0], output, grad)
	if err != nil {
		return nil, wrapGraph("Sum", err)
	}
	return gorgonia.Nodes{g}, nil
}

// sumGradOp is the backward Op of Sum: from (A, r, dr) it returns the
// gradient with respect to A, in band storage.
type sumGradOp struct {
	sumOp
}

func (op *sumGradOp) String() string {
	return fmt.Sprintf("bandop.SumGrad{%v, A(%d,%d), %v}", op.s, op.a.lower, op.a.upper, op.a.dt)
}
func (op *sumGradOp) Arity() int            { return 3 }
func (op *sumGradOp) Type() hm.Type         { return fnType(op.a.dt, 3, 1, 1, 3) }
func (op *sumGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *sumGradOp) Hashcode() uint32      { return hashcode(op) }

func (op *sumGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.a.shape(), nil
}

func (op *sumGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "SumGrad"
	if err := checkArity(name, vals, 3); err != nil {
		return nil, err
	}
	a, err := input(name, vals, 0, op.a.dt, op.a.shape())
	if err != nil {
		return nil, err
	}
	r, err := input(name, vals, 1, op.a.dt, tensor.Shape{op.a.batch})
	if err != nil {
		return nil, err
	}
	dr, err := input(name, vals, 2, op.a.dt, tensor.Shape{op.a.batch})
	if err != nil {
		return nil, err
	}
	g := newDense(op.a.dt, op.a.shape(), 0)
	switch op.a.dt {
	case tensor.Float32:
		sumBackward(op.s, g.Data().([]float32), a.Data().([]float32), r.Data().([]float32), dr.Data().([]float32), op.a)
	default:
		sumBackward(op.s, g.Data().([]float64), a.Data().([]float64), r.Data().([]float64), dr.Data().([]float64), op.a)
	}
	return g, nil
}
