package cudaops

import (
	"fmt"

	"github.com/genband/genband/internal/errkind"
)

// The kinds of error of this package: errors.Is(err, ErrLaunch) reports
// whether err is of kind ErrLaunch. They are shared with packages bandop
// and genmul (through which most launches run): bandop.ErrDevice is
// ErrDevice.
var (
	ErrLaunch error = errkind.Launch // a launch that cannot run: empty or oversized grid or block, too much shared memory, a scalar of the wrong type, no such kernel
	ErrDevice error = errkind.Device // the CUDA driver failed (the cause is wrapped)
)

// An Error reports a launch that cannot run or a driver failure. Op is the
// function the caller called, Kernel the kernel concerned (empty when
// none is), Kind ErrLaunch or ErrDevice, and Err the driver's error, when
// there is one, which errors.Is and errors.As reach through Unwrap.
type Error struct {
	Op     string // e.g. "Launch.Check", "Device.Run", "OpenDevice"
	Kernel string // e.g. "mul_fwd_f32"
	Kind   error
	Msg    string // what is wrong, including the cause's message
	Err    error  // the cause, or nil
}

func (e *Error) Error() string {
	if e.Kernel == "" {
		return "cudaops." + e.Op + ": " + e.Msg
	}
	return "cudaops." + e.Op + ": " + e.Kernel + ": " + e.Msg
}

// Unwrap returns the cause, nil when there is none.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return e.Kind != nil && e.Kind == target }

// errorf returns an *Error; a %w verb in format wraps its argument as the
// cause.
func errorf(kind error, op, kernel, format string, args ...any) error {
	w := fmt.Errorf(format, args...)
	e := &Error{Op: op, Kernel: kernel, Kind: kind, Msg: w.Error()}
	if u, ok := w.(interface{ Unwrap() error }); ok {
		e.Err = u.Unwrap()
	}
	return e
}
