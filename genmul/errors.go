package genmul

import "fmt"

// An Error reports bad input to an operation of this package: a nil
// operand, a wrong rank or dtype, sizes that do not match or overflow. Err
// describes the problem and may wrap a cause (errors.Is and errors.As see
// it through Unwrap).
type Error struct {
	Op  string // the operation, e.g. "LogMatMul"
	Err error  // what is wrong
}

func (e *Error) Error() string { return "genmul." + e.Op + ": " + e.Err.Error() }

// Unwrap returns the description, and through it any wrapped cause.
func (e *Error) Unwrap() error { return e.Err }

// errorf returns an *Error of op whose description is fmt.Errorf(format,
// args...): a %w verb wraps a cause.
func errorf(op, format string, args ...any) error {
	return &Error{Op: op, Err: fmt.Errorf(format, args...)}
}
