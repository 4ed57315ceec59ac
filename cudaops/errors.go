package cudaops

import "github.com/genband/genband/internal/errkind"

// The kinds of error of this package: errors.Is(err, ErrLaunch) reports
// whether err is of kind ErrLaunch. They are shared with packages bandop
// and genmul (through which most launches run): bandop.ErrDevice is
// ErrDevice.
var (
	ErrLaunch error = errkind.Launch // a launch that cannot run: empty or oversized grid or block, too much shared memory, a scalar of the wrong type, no such kernel
	ErrDevice error = errkind.Device // the CUDA driver failed (the cause is wrapped)
)

// An Error reports a launch that cannot run or a driver failure: Pkg is
// "cudaops", Op the function the caller called (e.g. "Launch.Check",
// "Device.Run", "OpenDevice"), Kernel the kernel concerned (e.g.
// "mul_fwd_f32"; empty when none is), Kind ErrLaunch or ErrDevice, and Err
// the driver's error, when there is one, which errors.Is and errors.As
// reach through Unwrap. It is the error type of every genband package
// (bandop.Error is the same type).
type Error = errkind.Error

// errorf returns an *Error of kind, op and kernel; a %w verb in format
// wraps its argument as the cause.
func errorf(kind error, op, kernel, format string, args ...any) error {
	e := errkind.Errorf("cudaops", kind, op, format, args...)
	e.Kernel = kernel
	return e
}
