package genmul

import (
	"math"

	"github.com/genband/genband/internal/dense"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// dims are the sizes of one product: A is (batch, n, k), B (batch, k, m) and
// C (batch, n, m), all of dtype dt.
type dims struct {
	batch, n, k, m int
	dt             tensor.Dtype
}

func (d dims) aShape() tensor.Shape { return tensor.Shape{d.batch, d.n, d.k} }
func (d dims) bShape() tensor.Shape { return tensor.Shape{d.batch, d.k, d.m} }
func (d dims) cShape() tensor.Shape { return tensor.Shape{d.batch, d.n, d.m} }

// terms is the number of inner terms (b, i, k, j): the work of a product.
// checkDims has made sure it fits an int.
func (d dims) terms() int { return d.batch * d.n * d.k * d.m }

// maxElems bounds the elements of one operand or result, so that its size
// in bytes fits an int; maxTerms bounds batch·n·k·m, so that loop counters
// and work estimates do not overflow.
const (
	maxElems = math.MaxInt / 16
	maxTerms = math.MaxInt / 4
)

// operand is what the checks need of an input: a value or a node.
type operand struct {
	name  string // "A", "B", "dC"
	isNil bool
	dt    tensor.Dtype
	shape tensor.Shape
}

func tensorOperand(name string, t *tensor.Dense) operand {
	if t == nil {
		return operand{name: name, isNil: true}
	}
	return operand{name: name, dt: t.Dtype(), shape: t.Shape()}
}

func nodeOperand(name string, n *gorgonia.Node) operand {
	if n == nil {
		return operand{name: name, isNil: true}
	}
	return operand{name: name, dt: n.Dtype(), shape: n.Shape()}
}

// check3 checks that o is a rank-3 float32 or float64 operand with every
// size at least 1; want names its axes for the message.
func check3(op string, o operand, want string) error {
	if o.isNil {
		return errorf(ErrNil, op, "%s is nil", o.name)
	}
	if o.dt != tensor.Float32 && o.dt != tensor.Float64 {
		return errorf(ErrDtype, op, "%s has dtype %v, want float32 or float64", o.name, o.dt)
	}
	if o.shape.Dims() != 3 {
		return errorf(ErrShape, op, "%s has shape %v, want rank 3 %s", o.name, o.shape, want)
	}
	for _, s := range o.shape {
		if s < 1 {
			return errorf(ErrShape, op, "%s has shape %v, want every size at least 1", o.name, o.shape)
		}
	}
	return nil
}

// checkPair checks the operands A (batch, n, k) and B (batch, k, m) of a
// product and returns its dims.
func checkPair(op string, a, b operand) (dims, error) {
	if err := check3(op, a, "(batch, n, k)"); err != nil {
		return dims{}, err
	}
	if err := check3(op, b, "(batch, k, m)"); err != nil {
		return dims{}, err
	}
	if a.dt != b.dt {
		return dims{}, errorf(ErrDtype, op, "dtype mismatch: A is %v, B is %v", a.dt, b.dt)
	}
	if a.shape[0] != b.shape[0] {
		return dims{}, errorf(ErrShape, op, "batch mismatch: A %v has batch %d, B %v has batch %d", a.shape, a.shape[0], b.shape, b.shape[0])
	}
	if a.shape[2] != b.shape[1] {
		return dims{}, errorf(ErrShape, op, "inner size mismatch: A %v is (batch, n, k) with k = %d, B %v is (batch, k, m) with k = %d", a.shape, a.shape[2], b.shape, b.shape[1])
	}
	d := dims{batch: a.shape[0], n: a.shape[1], k: a.shape[2], m: b.shape[2], dt: a.dt}
	if !fits(maxElems, d.batch, d.n, d.k) || !fits(maxElems, d.batch, d.k, d.m) || !fits(maxElems, d.batch, d.n, d.m) || !fits(maxTerms, d.batch, d.n, d.k, d.m) {
		return dims{}, errorf(ErrSize, op, "sizes (batch %d, n %d, k %d, m %d) too large: the product overflows", d.batch, d.n, d.k, d.m)
	}
	if !fits(MaxElements, d.batch, d.n, d.m) {
		return dims{}, errorf(ErrSize, op, "result C of sizes (batch %d, n %d, m %d) has more than 2^31 elements (MaxElements)", d.batch, d.n, d.m)
	}
	if d.k > math.MaxInt32 {
		return dims{}, errorf(ErrSize, op, "inner size k = %d is too large (at most %d)", d.k, math.MaxInt32)
	}
	return d, nil
}

// checkGrad checks the upstream gradient dC of a product of dims d.
func checkGrad(op string, d dims, dc operand) error {
	if dc.isNil {
		return errorf(ErrNil, op, "%s is nil", dc.name)
	}
	if dc.dt != d.dt {
		return errorf(ErrDtype, op, "dtype mismatch: %s is %v, A and B are %v", dc.name, dc.dt, d.dt)
	}
	if !dc.shape.Eq(d.cShape()) {
		return errorf(ErrShape, op, "%s has shape %v, want the product's shape %v (batch, n, m)", dc.name, dc.shape, d.cShape())
	}
	return nil
}

// fits reports whether the product of the sizes, all positive, is at most
// limit.
func fits(limit int, sizes ...int) bool {
	p := 1
	for _, s := range sizes {
		if s > limit/p {
			return false
		}
		p *= s
	}
	return true
}

// contiguous is the module's one rule for reading a tensor as a row-major
// slice (a view, a pending transpose: see dense.Contiguous).
var contiguous = dense.Contiguous
