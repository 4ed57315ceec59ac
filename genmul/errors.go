package genmul

import (
	"fmt"

	"github.com/genband/genband/internal/errkind"
)

// The kinds of error of this package: errors.Is(err, ErrShape) reports
// whether an error of this package is of kind ErrShape, and so on. They are
// the very values of package bandop's kinds of the same names, so a caller
// of both packages can test either one.
var (
	ErrNil    error = errkind.Nil    // a nil operand or random source
	ErrShape  error = errkind.Shape  // a rank, a size or the number of inputs that does not match, or nodes of different graphs
	ErrDtype  error = errkind.Dtype  // not float32 or float64, or operands of different dtypes
	ErrSize   error = errkind.Size   // a product whose sizes overflow, or a result of more than MaxElements elements
	ErrValue  error = errkind.Value  // an Op input that is not a *tensor.Dense
	ErrGraph  error = errkind.Graph  // Gorgonia refused an Op (the cause is wrapped)
	ErrDevice error = errkind.Device // the CUDA launch failed (the cause is wrapped)
)

// MaxElements is the most elements the result C (batch, n, m) of a product
// may have: 2^31, 16 GiB of float64. C can be far larger than its
// operands (n and m large, k small), so a product beyond it returns an
// error of kind ErrSize instead of trying to allocate it.
const MaxElements = 1 << 31

// An Error reports bad input to an operation of this package: a nil
// operand, a wrong rank or dtype, sizes that do not match or overflow. Err
// describes the problem and may wrap a cause (errors.Is and errors.As see
// it through Unwrap); Kind classifies it (errors.Is(err, ErrShape)).
type Error struct {
	Op   string // the function the caller called, e.g. "LogMatMul"
	Kind error  // ErrShape, ErrDtype, …
	Err  error  // what is wrong
}

func (e *Error) Error() string { return "genmul." + e.Op + ": " + e.Err.Error() }

// Unwrap returns the description, and through it any wrapped cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return e.Kind != nil && e.Kind == target }

// errorf returns an *Error of op and kind whose description is
// fmt.Errorf(format, args...): a %w verb wraps a cause.
func errorf(kind error, op, format string, args ...any) error {
	return &Error{Op: op, Kind: kind, Err: fmt.Errorf(format, args...)}
}
