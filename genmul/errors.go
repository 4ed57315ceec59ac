package genmul

import "github.com/genband/genband/internal/errkind"

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
// may have: 2^31, 16 GiB of float64, bandop.MaxElements. C can be far
// larger than its operands (n and m large, k small), so a product beyond
// it returns an error of kind ErrSize instead of trying to allocate it.
const MaxElements = errkind.MaxElements

// An Error reports bad input to an operation of this package (a nil
// operand, a wrong rank or dtype, sizes that do not match or overflow) or
// a failure below it: Pkg is "genmul", Op the function the caller called
// (e.g. "LogMatMul"); Kind classifies the problem (errors.Is(err,
// ErrShape)); Err, when not nil, is the cause, which errors.Is and
// errors.As reach through Unwrap. It is the error type of every genband
// package (bandop.Error is the same type); bandop.Cause finds it inside
// the error of a Gorgonia machine's RunAll.
type Error = errkind.Error

// errorf returns an *Error of op and kind whose message is
// fmt.Sprintf(format, args...): a %w verb wraps a cause.
func errorf(kind error, op, format string, args ...any) error {
	return errkind.Errorf("genmul", kind, op, format, args...)
}
