package bandop

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Softmax returns the softmax of each row of each matrix of a over the
// row's in-band entries: y[i,j] = e^a[i,j] / Σ_j' e^a[i,j'], the sum over
// the band. Entries outside the band are absent, as if −Inf, whatever a's
// fill, and padding is never read; the result has a's band and fill 0. A
// row whose entries are all −Inf is all 0 (it has no distribution), and
// its gradient is 0; a NaN or +Inf entry makes its row NaN.
func (a *Banded) Softmax() (*Banded, error) { return softmaxEager("Softmax", a, false) }

// LogSoftmax returns the log of a.Softmax(), computed without forming it:
// y[i,j] = a[i,j] − log Σ_j' e^a[i,j'] over the band. The result has a's
// band and fill −Inf. A row whose entries are all −Inf is all −Inf, and its
// gradient is 0.
func (a *Banded) LogSoftmax() (*Banded, error) { return softmaxEager("LogSoftmax", a, true) }

// Softmax adds a's row-wise softmax to the graph (see Banded.Softmax). Its
// gradient is defined: dA = Y ∘ (dY − Σ_row Y·dY) over the band, 0 in the
// padding and on rows whose entries are all −Inf.
func Softmax(a *Node) (*Node, error) { return softmaxGraph("Softmax", a, false) }

// LogSoftmax adds a's row-wise log-softmax to the graph (see
// Banded.LogSoftmax). Its gradient is defined: dA = dY − e^Y·Σ_row dY over
// the band, 0 in the padding and on rows whose entries are all −Inf.
func LogSoftmax(a *Node) (*Node, error) { return softmaxGraph("LogSoftmax", a, true) }

// softmaxResult is the layout of the softmax of a: its band, fill 0 (−Inf
// for the log-softmax).
func softmaxResult(l layout, log bool) layout {
	l.fill = 0
	if log {
		l.fill = math.Inf(-1)
	}
	return l
}

func softmaxEager(op string, a *Banded, log bool) (*Banded, error) {
	la, err := a.operand(op, "A")
	if err != nil {
		return nil, err
	}
	lc := softmaxResult(la, log)
	c := newBanded(lc, 0) // the kernel writes every slot
	switch la.dt {
	case tensor.Float32:
		softmaxForward(log, storage[float32](c), storage[float32](a), la)
	default:
		softmaxForward(log, storage[float64](c), storage[float64](a), la)
	}
	return c, nil
}

func softmaxGraph(name string, a *Node, log bool) (*Node, error) {
	la, err := a.layout(name, "A")
	if err != nil {
		return nil, err
	}
	out, err := gorgonia.ApplyOp(&softmaxOp{log: log, a: la}, a.Node)
	if err != nil {
		return nil, wrapGraph(name, err)
	}
	return banded(out, softmaxResult(la, log)), nil
}

// softmaxForward writes y = the (log-)softmax of each row of a, padding
// included (0 or −Inf). The maximum entry is subtracted before the exps, so
// none overflows.
func softmaxForward[T float](log bool, y, a []T, l layout) {
	rows, w := l.batch*l.n, l.width()
	fill := T(softmaxResult(l, log).fill)
	parallelFor(rows, rows*w, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x, yr := a[r*w:(r+1)*w], y[r*w:(r+1)*w]
			kLo, kHi := validSlots(r%l.n, l.n, l.lower, w)
			fillSlice(yr, fill)
			if kLo >= kHi {
				continue
			}
			x, yr = x[kLo:kHi], yr[kLo:kHi]
			m := T(math.Inf(-1))
			for _, v := range x {
				m = max(m, v)
			}
			if math.IsInf(float64(m), -1) {
				continue // no distribution: the fill, 0 or −Inf
			}
			copy(yr, x)
			expShift(yr, m)
			var sum float64
			for _, e := range yr {
				sum += float64(e)
			}
			if log {
				ls := T(log64(sum))
				for k, v := range x {
					yr[k] = v - m - ls
				}
				continue
			}
			inv := T(1 / sum)
			for k := range yr {
				yr[k] *= inv
			}
		}
	})
}

// softmaxBackward writes the gradient dx of Σ dy·y with respect to the
// softmax's input, from y (bit for bit the forward's) and dy. A row with no
// distribution (all of y 0, or −Inf for the log-softmax) gets 0, and so
// does an entry whose probability is 0 in the softmax, whatever dy; a
// term whose dy is 0 adds nothing to a row's sum.
func softmaxBackward[T float](log bool, dx, y, dy []T, l layout) {
	rows, w := l.batch*l.n, l.width()
	parallelFor(rows, rows*w, func(lo, hi int) {
		p := make([]T, w)
		for r := lo; r < hi; r++ {
			yr, dyr, g := y[r*w:(r+1)*w], dy[r*w:(r+1)*w], dx[r*w:(r+1)*w]
			clear(g)
			kLo, kHi := validSlots(r%l.n, l.n, l.lower, w)
			if kLo >= kHi {
				continue
			}
			yr, dyr, g = yr[kLo:kHi], dyr[kLo:kHi], g[kLo:kHi]
			if log {
				pr := p[:len(yr)]
				copy(pr, yr)
				expShift(pr, 0)
				var total, live T
				for k, d := range dyr {
					live = max(live, pr[k])
					if d != 0 {
						total += d
					}
				}
				if live == 0 {
					continue
				}
				for k, d := range dyr {
					if pr[k] == 0 {
						g[k] = d
						continue
					}
					g[k] = d - pr[k]*total
				}
				continue
			}
			var dotp T
			for k, d := range dyr {
				if d != 0 && yr[k] != 0 {
					dotp += d * yr[k]
				}
			}
			for k, d := range dyr {
				if yr[k] != 0 {
					g[k] = yr[k] * (d - dotp)
				}
			}
		}
	})
}

// softmaxOp is the Gorgonia Op of Softmax (log false) and LogSoftmax (log
// true): band storage in, band storage of the same band out.
type softmaxOp struct {
	opBase
	log bool
	a   layout
}

func (op *softmaxOp) name() string {
	if op.log {
		return "LogSoftmax"
	}
	return "Softmax"
}

func (op *softmaxOp) String() string {
	return fmt.Sprintf("bandop.%s{(%d,%d), %v}", op.name(), op.a.lower, op.a.upper, op.a.dt)
}
func (op *softmaxOp) Arity() int                { return 1 }
func (op *softmaxOp) Type() hm.Type             { return fnType(op.a.dt, 3, 3) }
func (op *softmaxOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *softmaxOp) Hashcode() uint32          { return hashcode(op) }
func (op *softmaxOp) DiffWRT(inputs int) []bool { return []bool{true} }

func (op *softmaxOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.a.shape(), nil
}

func (op *softmaxOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.name()
	if err := checkArity(name, vals, 1); err != nil {
		return nil, err
	}
	a, err := input(name, vals, 0, op.a.dt, op.a.shape())
	if err != nil {
		return nil, err
	}
	y := newDense(op.a.dt, op.a.shape(), 0)
	switch op.a.dt {
	case tensor.Float32:
		softmaxForward(op.log, y.Data().([]float32), a.Data().([]float32), op.a)
	default:
		softmaxForward(op.log, y.Data().([]float64), a.Data().([]float64), op.a)
	}
	return y, nil
}

func (op *softmaxOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 1 {
		return nil, kindErrorf(ErrShape, op.name(), "SymDiff got %d inputs, want 1", len(inputs))
	}
	g, err := gorgonia.ApplyOp(&softmaxGradOp{softmaxOp: *op}, output, grad)
	if err != nil {
		return nil, wrapGraph(op.name(), err)
	}
	return gorgonia.Nodes{g}, nil
}

// softmaxGradOp is the backward Op of Softmax and LogSoftmax: from the
// forward's output Y and dY it returns dA, 0 in the padding. The gradient
// needs only Y, so the forward's input is not an input.
type softmaxGradOp struct {
	softmaxOp
}

func (op *softmaxGradOp) String() string {
	return fmt.Sprintf("bandop.%sGrad{(%d,%d), %v}", op.name(), op.a.lower, op.a.upper, op.a.dt)
}
func (op *softmaxGradOp) Arity() int            { return 2 }
func (op *softmaxGradOp) Type() hm.Type         { return fnType(op.a.dt, 3, 3, 3) }
func (op *softmaxGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *softmaxGradOp) Hashcode() uint32      { return hashcode(op) }

func (op *softmaxGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.name() + "Grad"
	if err := checkArity(name, vals, 2); err != nil {
		return nil, err
	}
	y, err := input(name, vals, 0, op.a.dt, op.a.shape())
	if err != nil {
		return nil, err
	}
	dy, err := input(name, vals, 1, op.a.dt, op.a.shape())
	if err != nil {
		return nil, err
	}
	g := newDense(op.a.dt, op.a.shape(), 0)
	switch op.a.dt {
	case tensor.Float32:
		softmaxBackward(op.log, g.Data().([]float32), y.Data().([]float32), dy.Data().([]float32), op.a)
	default:
		softmaxBackward(op.log, g.Data().([]float64), y.Data().([]float64), dy.Data().([]float64), op.a)
	}
	return g, nil
}
