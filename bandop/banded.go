package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"

	densex "github.com/genband/genband/internal/dense"
	"gorgonia.org/tensor"
)

// float is the element type of banded storage.
type float interface{ ~float32 | ~float64 }

// Banded is a batch of n×n banded matrices. See the package documentation
// for the storage layout. The zero value is not usable: an operation given
// one returns an ErrNil error, and its accessors (Batch, N, Dtype, InBand,
// At, Clone, String) panic. Build one with New, FromDense, Zeros, Filled or
// Random.
type Banded struct {
	lower, upper int
	fill         float64
	data         *tensor.Dense // (batch, n, lower+upper+1), contiguous, never a view
}

// layout is what every operation checks of an operand, whether it is a value
// or a graph node.
type layout struct {
	batch, n     int
	lower, upper int
	fill         float64
	dt           tensor.Dtype
}

func (l layout) width() int { return l.lower + l.upper + 1 }

func (l layout) shape() tensor.Shape { return tensor.Shape{l.batch, l.n, l.width()} }

// New returns the batch of banded matrices stored in data, which must have
// shape (batch, n, lower+upper+1) and dtype Float32 or Float64. The values of
// data are copied; padding slots (those whose column falls outside [0, n))
// are set to fill in the copy, whatever data holds there. data may be a
// view or have a pending transpose (t.T()): it is read as its materialized
// value, and never modified.
func New(data *tensor.Dense, lower, upper int, fill float64) (*Banded, error) {
	return newFrom("New", data, lower, upper, fill)
}

// newFrom is New for the function op the caller called.
func newFrom(op string, data *tensor.Dense, lower, upper int, fill float64) (*Banded, error) {
	if data == nil {
		return nil, kindErrorf(ErrNil, op, "nil data")
	}
	if err := checkDtype(op, "data", data.Dtype()); err != nil {
		return nil, err
	}
	if err := checkBand(op, lower, upper); err != nil {
		return nil, err
	}
	s := data.Shape()
	if s.Dims() != 3 {
		return nil, kindErrorf(ErrShape, op, "data has shape %v, want rank 3 (batch, n, lower+upper+1)", s)
	}
	if s[0] < 1 || s[1] < 1 {
		return nil, kindErrorf(ErrShape, op, "data has shape %v, want batch ≥ 1 and n ≥ 1", s)
	}
	if w := lower + upper + 1; s[2] != w {
		return nil, kindErrorf(ErrBand, op, "data has %d band slots per row, band (%d, %d) needs %d", s[2], lower, upper, w)
	}
	l := layout{batch: s[0], n: s[1], lower: lower, upper: upper, fill: fill, dt: data.Dtype()}
	if err := checkSize(op, "data", s[0], s[1], s[2]); err != nil {
		return nil, err
	}
	a := newBanded(l, 0)
	src := contiguous(data)
	switch d := a.data.Data().(type) {
	case []float64:
		copy(d, src.Data().([]float64))
	case []float32:
		copy(d, src.Data().([]float32))
	}
	a.padFill()
	return a, nil
}

// Zeros returns a batch of banded matrices whose entries, inside the band and
// out, are all 0: the zero of the Real semiring.
func Zeros(dt tensor.Dtype, batch, n, lower, upper int) (*Banded, error) {
	return filled("Zeros", dt, batch, n, lower, upper, 0)
}

// Filled returns a batch of banded matrices with fill as their fill and as
// every in-band entry: with fill = Semiring.Zero() it is that semiring's zero
// matrix.
func Filled(dt tensor.Dtype, batch, n, lower, upper int, fill float64) (*Banded, error) {
	return filled("Filled", dt, batch, n, lower, upper, fill)
}

// filled is Filled for op, the function the caller called.
func filled(op string, dt tensor.Dtype, batch, n, lower, upper int, fill float64) (*Banded, error) {
	l := layout{batch: batch, n: n, lower: lower, upper: upper, fill: fill, dt: dt}
	if err := checkNew(op, l); err != nil {
		return nil, err
	}
	return newBanded(l, fill), nil
}

// Random returns a batch of banded matrices whose in-band entries are drawn
// uniformly from [0, 1) by rng, for tests and examples. rng is a
// math/rand/v2 *rand.Rand (go doc shows only *rand.Rand), not math/rand's.
func Random(rng *rand.Rand, dt tensor.Dtype, batch, n, lower, upper int, fill float64) (*Banded, error) {
	l := layout{batch: batch, n: n, lower: lower, upper: upper, fill: fill, dt: dt}
	if err := checkNew("Random", l); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, kindErrorf(ErrNil, "Random", "nil rng")
	}
	a := newBanded(l, 0)
	switch d := a.data.Data().(type) {
	case []float64:
		for i := range d {
			d[i] = rng.Float64()
		}
	case []float32:
		for i := range d {
			d[i] = rng.Float32()
		}
	}
	a.padFill()
	return a, nil
}

// checkNew checks the layout of a new value: dtype, sizes, band and the
// size of its storage.
func checkNew(op string, l layout) error {
	if err := checkDtype(op, "dtype", l.dt); err != nil {
		return err
	}
	if l.batch < 1 || l.n < 1 {
		return kindErrorf(ErrShape, op, "batch %d, n %d: both must be at least 1", l.batch, l.n)
	}
	return checkResult(op, l)
}

func checkDtype(op, what string, dt tensor.Dtype) error {
	if dt != tensor.Float64 && dt != tensor.Float32 {
		return kindErrorf(ErrDtype, op, "%s has dtype %v, want float64 or float32", what, dt)
	}
	return nil
}

// checkBand checks that the band (lower, upper) is within ±bandLimit and has
// width at least 1. The range is tested first, so that the width it prints
// cannot have overflowed.
func checkBand(op string, lower, upper int) error {
	if lower > bandLimit || upper > bandLimit || lower < -bandLimit || upper < -bandLimit {
		return kindErrorf(ErrBand, op, "band (lower %d, upper %d) is out of range ±%d", lower, upper, bandLimit)
	}
	if lower+upper+1 < 1 {
		return kindErrorf(ErrBand, op, "band (lower %d, upper %d) has width %d, want at least 1", lower, upper, lower+upper+1)
	}
	return nil
}

// newBanded returns a Banded of layout l whose every slot, padding
// included, holds init: l.fill where padding is left as it is, anything
// (0 costs nothing) where a kernel then writes every slot. It does not
// validate: l must have passed checkResult.
func newBanded(l layout, init float64) *Banded {
	return &Banded{lower: l.lower, upper: l.upper, fill: l.fill, data: newDense(l.dt, l.shape(), init)}
}

// contiguous is the module's one rule for reading a tensor as a row-major
// slice (a view, a pending transpose: see dense.Contiguous).
var contiguous = densex.Contiguous

// padFill writes the fill into every padding slot of a.
func (a *Banded) padFill() {
	switch d := a.data.Data().(type) {
	case []float64:
		padFill(d, a.layout())
	case []float32:
		padFill(d, a.layout())
	}
}

func padFill[T float](d []T, l layout) {
	w, fill := l.width(), T(l.fill)
	for b := 0; b < l.batch; b++ {
		for i := 0; i < l.n; i++ {
			row := d[(b*l.n+i)*w : (b*l.n+i+1)*w]
			lo, hi := validSlots(i, l.n, l.lower, w)
			for k := 0; k < lo; k++ {
				row[k] = fill
			}
			for k := hi; k < w; k++ {
				row[k] = fill
			}
		}
	}
}

// validSlots returns the range [lo, hi) of band slots of row i whose column
// i+k−lower lies in [0, n); it is empty (lo ≥ hi) when none does.
func validSlots(i, n, lower, w int) (lo, hi int) {
	lo, hi = lower-i, lower-i+n
	if lo < 0 {
		lo = 0
	}
	if lo > w {
		lo = w
	}
	if hi > w {
		hi = w
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

func (a *Banded) layout() layout {
	s := a.data.Shape()
	return layout{batch: s[0], n: s[1], lower: a.lower, upper: a.upper, fill: a.fill, dt: a.data.Dtype()}
}

// Batch returns the number of matrices.
func (a *Banded) Batch() int { return a.data.Shape()[0] }

// N returns the order n of each n×n matrix.
func (a *Banded) N() int { return a.data.Shape()[1] }

// Lower returns the number of sub-diagonals in the band (possibly negative).
func (a *Banded) Lower() int { return a.lower }

// Upper returns the number of super-diagonals in the band (possibly negative).
func (a *Banded) Upper() int { return a.upper }

// Width returns the number of band slots per row, Lower+Upper+1.
func (a *Banded) Width() int { return a.lower + a.upper + 1 }

// Fill returns the value of every entry outside the band.
func (a *Banded) Fill() float64 { return a.fill }

// Dtype returns the element type, Float32 or Float64.
func (a *Banded) Dtype() tensor.Dtype { return a.data.Dtype() }

// Data returns the band storage, of shape (Batch, N, Width). It is shared
// with a: writing to it changes a.
func (a *Banded) Data() *tensor.Dense { return a.data }

// InBand reports whether entry (i, j) of each matrix is stored in the band.
func (a *Banded) InBand(i, j int) bool {
	n := a.N()
	return i >= 0 && i < n && j >= 0 && j < n && j-i >= -a.lower && j-i <= a.upper
}

// At returns entry (i, j) of matrix b: the stored value inside the band, the
// fill outside it. It panics when b, i or j is out of range, like indexing.
func (a *Banded) At(b, i, j int) float64 {
	n := a.N()
	if b < 0 || b >= a.Batch() || i < 0 || i >= n || j < 0 || j >= n {
		panic(fmt.Sprintf("bandop: At(%d, %d, %d) out of range for batch %d, n %d", b, i, j, a.Batch(), n))
	}
	if !a.InBand(i, j) {
		return a.fill
	}
	idx := (b*n+i)*a.Width() + j - i + a.lower
	switch d := a.data.Data().(type) {
	case []float32:
		return float64(d[idx])
	case []float64:
		return d[idx]
	}
	return math.NaN()
}

// Clone returns a deep copy of a.
func (a *Banded) Clone() *Banded {
	return &Banded{lower: a.lower, upper: a.upper, fill: a.fill, data: a.data.Clone().(*tensor.Dense)}
}

// String describes a's shape and band, not its values.
func (a *Banded) String() string {
	return fmt.Sprintf("Banded{batch %d, n %d, lower %d, upper %d, fill %v, %v}",
		a.Batch(), a.N(), a.lower, a.upper, a.fill, a.Dtype())
}

// storage returns a's slots as a []T; T must match a's dtype.
func storage[T float](a *Banded) []T { return a.data.Data().([]T) }
