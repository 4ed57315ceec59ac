package bandop

import (
	"fmt"
	"runtime/debug"

	"github.com/genband/genband/internal/errkind"
)

// The kinds of error of this package. Every error a function of this package
// returns is an *Error; errors.Is(err, ErrShape) reports whether its kind is
// ErrShape, and so on. The kinds are shared with packages genmul and
// cudaops: genmul.ErrShape is the same value as ErrShape.
var (
	ErrNil      error = errkind.Nil      // a nil operand, graph, map, function or rng
	ErrShape    error = errkind.Shape    // rank, batch, n, shape or number of inputs that do not match
	ErrBand     error = errkind.Band     // a band of width < 1, beyond ±2^24, or a shift that leaves it
	ErrDtype    error = errkind.Dtype    // not Float32 or Float64, or operands of different dtypes
	ErrSemiring error = errkind.Semiring // not Real, Log or Max
	ErrFill     error = errkind.Fill     // an operand of a semiring op whose fill is not the semiring's zero
	ErrLength   error = errkind.Length   // a gather index or a scan window out of range
	ErrSize     error = errkind.Size     // a result of more than MaxElements elements, or a size that overflows an int
	ErrValue    error = errkind.Value    // a node without a value, or a value that is not a *tensor.Dense
	ErrGraph    error = errkind.Graph    // Gorgonia refused the Op (the cause is wrapped)
	ErrPanic    error = errkind.Panic    // a function the caller passed in panicked (the cause is a *PanicError)
	ErrDevice   error = errkind.Device   // the CUDA launch failed (the cause is wrapped)
	ErrBusy     error = errkind.Busy     // an Op's workspace in use by another run of the same graph
)

// MaxElements is the most elements one result of this package may hold:
// 2^31, 16 GiB of float64. A function whose result would be larger returns
// an error of kind ErrSize instead of trying to allocate it; the limit
// catches a batch or n that is mistaken by orders of magnitude before it
// exhausts memory.
const MaxElements = errkind.MaxElements

// bandLimit is the largest |Lower| and |Upper| of any band: it keeps band
// arithmetic (sums of two bands, a band plus a shift of the same range)
// far from overflow.
const bandLimit = 1 << 24

// An Error reports bad input to a function of this package, or a failure
// below it: Pkg is "bandop", Op the function the caller called (e.g. "Mul"
// or "Node.Banded"); Kind classifies the problem (errors.Is(err, ErrShape)
// tests it); Err, when not nil, is the cause, which errors.Is and
// errors.As reach through Unwrap. It is the error type of every genband
// package (align.Error and genmul.Error are the same type), so errors.As
// with an *Error finds the first genband error of a chain, whichever
// package's; its Pkg says whose.
type Error = errkind.Error

// pkgName is the prefix of this package's error messages.
const pkgName = "bandop"

// Cause returns the genband error inside err, an error that a Gorgonia
// machine's RunAll returned, so that errors.Is(Cause(err), ErrLength) and
// errors.As(Cause(err), &e) with e an *Error see the failure of an Op of
// this package (or of align, genmul or cudaops) during the run: Gorgonia
// wraps it in an error with no Unwrap. It returns the first *Error of
// err's chain, following Unwrap and Gorgonia's Err methods, and err itself
// when there is none (nil for nil). An error that a function of genband
// returned is its own cause.
func Cause(err error) error { return errkind.Cause(err) }

// A PanicError is the cause of an error of kind ErrPanic: a function the
// caller passed in (Zip's f) panicked. It holds the panic value and the
// stack of the panicking goroutine at the point of recovery.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // runtime/debug.Stack() in the deferred recover
}

func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v", p.Value) }

// Unwrap returns the panic value when it is an error (a runtime error, for
// instance), so that errors.As reaches it.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// newPanicError returns the PanicError of the value p that recover returned;
// it must be called in the deferred function itself, where the stack still
// shows the panic.
func newPanicError(p any) *PanicError { return &PanicError{Value: p, Stack: debug.Stack()} }

// errorf returns an *Error of op with no kind. Every call site in this
// package is meant to move to kindErrorf; it stays so that code not yet
// converted compiles. A %w verb wraps a cause.
func errorf(op, format string, args ...any) error {
	return kindErrorf(nil, op, format, args...)
}

// kindErrorf returns an *Error of op and kind whose message is
// fmt.Sprintf(format, args...); a %w verb in format wraps its argument as
// the cause (with several, the cause is the joint wrapper).
func kindErrorf(kind error, op, format string, args ...any) error {
	return errkind.Errorf(pkgName, kind, op, format, args...)
}

// wrapGraph returns the error of Gorgonia's refusal err to add the Op of op
// to a graph, with err as its cause.
func wrapGraph(op string, err error) error { return kindErrorf(ErrGraph, op, "%w", err) }

// checkSize returns an error of kind ErrSize, naming op and what, when the
// product of dims (each ≥ 0) is more than MaxElements.
func checkSize(op, what string, dims ...int) error {
	return errkind.CheckSize(pkgName, op, what, dims...)
}

// checkResult checks a result's layout: its band within the limits and its
// storage within MaxElements.
func checkResult(op string, l layout) error {
	if err := checkBand(op, l.lower, l.upper); err != nil {
		return err
	}
	return checkSize(op, "the result", l.batch, l.n, l.width())
}
