package bandop

import "fmt"

// An Error reports bad input to an operation of this package.
type Error struct {
	Op  string // the operation, e.g. "Mul"
	Msg string // what is wrong
}

func (e *Error) Error() string { return "bandop." + e.Op + ": " + e.Msg }

func errorf(op, format string, args ...any) error {
	return &Error{Op: op, Msg: fmt.Sprintf(format, args...)}
}
