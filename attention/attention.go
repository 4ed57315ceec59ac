package attention

import (
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// An Option changes what Banded builds.
type Option func(*config)

type config struct {
	lengths *gorgonia.Node
	set     bool // WithLengths was given (a nil node is then an error)
}

// WithLengths makes Banded attend within the first lengths[b] positions of
// item b of a padded batch: lengths is a node of dtype tensor.Int and shape
// (batch), bound at run time like any input, so that one graph serves
// batches of any lengths. Keys at positions ≥ lengths[b] are excluded from
// every window of item b, and its query rows at positions ≥ lengths[b]
// output 0 and pass no gradient back (their rows of dq are 0, and they add
// nothing to dk and dv). A length may be 0 (the item outputs 0); one
// below 0 or past n makes the run fail with an error of kind ErrLength
// naming the item (on the GPU, in cuda builds, where the lengths are not
// read on the host, it is clamped to [0, n] instead).
func WithLengths(lengths *gorgonia.Node) Option {
	return func(c *config) { c.lengths, c.set = lengths, true }
}

// Banded returns the sliding-window attention of queries q over keys k and
// values v, each of shape (batch, n, d) with heads folded into the batch:
//
//	out[b, i] = Σ_j softmax_j(scale · q[b, i]·k[b, j]) · v[b, j]
//
// over the keys j of row i's window, 0 ≤ j < n and −lower ≤ j − i ≤ upper
// (lower keys before i, upper after: upper = 0 is causal attention).
// lower and upper may be negative, as long as lower + upper ≥ 0 (a
// window of at least one offset), and may reach past n, where the window is
// cut at the ends. A query row whose window holds no key (near the ends,
// when lower or upper is negative, or past its item's length) outputs 0,
// and its gradient is 0.
//
// The result is one node of q's dtype (Float32 or Float64) and shape,
// differentiable with respect to q, k and v by gorgonia.Grad: the forward
// keeps only the log-sum-exp of each row, and the backward recomputes the
// scores of each window (see the package doc). The work is in proportion
// to batch · n · (lower + upper + 1) · d, run in parallel over the rows.
//
// Errors are *Error values: ErrNil for a nil node, ErrShape for q, k and v
// not of one shape (batch, n, d) with every size ≥ 1 or of different
// graphs, ErrDtype for dtypes other than all Float32 or all Float64,
// ErrBand for lower + upper < 0, ErrSize for q, k and v of more than
// bandop.MaxElements/3 elements, and with WithLengths, ErrNil, ErrShape
// and ErrDtype for a lengths node that is nil, not (batch) or not
// tensor.Int.
// Banded never modifies its inputs.
func Banded(q, k, v *gorgonia.Node, lower, upper int, scale float64, opts ...Option) (*gorgonia.Node, error) {
	const op = "Banded"
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	f, err := newForm(op, q, k, v, lower, upper, scale)
	if err != nil {
		return nil, err
	}
	in := []*gorgonia.Node{q, k, v}
	if c.set {
		if err := checkLengths(op, c.lengths, q, f.batch); err != nil {
			return nil, err
		}
		f.lengths = true
		in = append(in, c.lengths)
	}
	out, err := gorgonia.ApplyOp(&fwdOp{form: f}, in...)
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// newForm checks q, k and v and the band, and returns the form of the Op:
// the band clamped to [−n, n] on each side, which changes no window.
func newForm(op string, q, k, v *gorgonia.Node, lower, upper int, scale float64) (form, error) {
	names := []string{"q", "k", "v"}
	for i, x := range []*gorgonia.Node{q, k, v} {
		if x == nil {
			return form{}, errorf(ErrNil, op, "nil %s", names[i])
		}
	}
	dt := q.Dtype()
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return form{}, errorf(ErrDtype, op, "q has dtype %v, want float32 or float64", dt)
	}
	sh := q.Shape()
	if sh.Dims() != 3 || sh[0] < 1 || sh[1] < 1 || sh[2] < 1 {
		return form{}, errorf(ErrShape, op, "q has shape %v, want (batch, n, d) of sizes ≥ 1", sh)
	}
	for i, x := range []*gorgonia.Node{k, v} {
		if x.Dtype() != dt {
			return form{}, errorf(ErrDtype, op, "%s has dtype %v, q %v: want one dtype", names[i+1], x.Dtype(), dt)
		}
		if !x.Shape().Eq(sh) {
			return form{}, errorf(ErrShape, op, "%s has shape %v, q %v: want one shape (batch, n, d)", names[i+1], x.Shape(), sh)
		}
		if x.Graph() != q.Graph() {
			return form{}, errorf(ErrShape, op, "%s belongs to another graph than q", names[i+1])
		}
	}
	// Both negative, or of opposite signs (whose sum cannot overflow) and a
	// negative sum.
	if lower < 0 && upper < 0 || (lower < 0) != (upper < 0) && lower+upper < 0 {
		return form{}, errorf(ErrBand, op, "lower %d + upper %d < 0: the window holds no offset", lower, upper)
	}
	// The gradient Op's output stacks dq, dk and dv.
	if err := checkSize(op, "the gradients of q, k and v", 3, sh[0], sh[1], sh[2]); err != nil {
		return form{}, err
	}
	n := sh[1]
	return form{
		dt: dt, batch: sh[0], n: n, d: sh[2],
		lower: max(-n, min(n, lower)), upper: max(-n, min(n, upper)),
		scale: scale,
	}, nil
}

// checkLengths checks the lengths node of batch items: (batch) of
// tensor.Int, of q's graph.
func checkLengths(op string, lengths, q *gorgonia.Node, batch int) error {
	if lengths == nil {
		return errorf(ErrNil, op, "nil lengths")
	}
	if lengths.Dtype() != tensor.Int {
		return errorf(ErrDtype, op, "lengths have dtype %v, want int", lengths.Dtype())
	}
	if sh := lengths.Shape(); sh.Dims() != 1 || sh[0] != batch {
		return errorf(ErrShape, op, "lengths have shape %v, want (%d): one per item", sh, batch)
	}
	if lengths.Graph() != q.Graph() {
		return errorf(ErrShape, op, "lengths belong to another graph than q")
	}
	return nil
}
