package attention

import "github.com/genband/genband/internal/errkind"

// The kinds of error of this package: every error Banded returns, and
// every error a run of its Ops reports, is an *Error, and errors.Is(err,
// ErrShape) reports whether its kind is ErrShape, and so on. They are the
// very values of bandop and align (attention.ErrShape is bandop.ErrShape).
var (
	ErrNil    error = errkind.Nil    // a nil q, k, v or lengths node
	ErrShape  error = errkind.Shape  // q, k, v not (batch, n, d) alike, lengths not (batch), or nodes of different graphs
	ErrDtype  error = errkind.Dtype  // q, k, v not all Float32 or all Float64, lengths not Int
	ErrBand   error = errkind.Band   // lower + upper < 0: a window that holds no offset
	ErrLength error = errkind.Length // a length below 0 or past n
	ErrSize   error = errkind.Size   // a result of more than bandop.MaxElements elements
	ErrValue  error = errkind.Value  // an Op's input value that is not the *tensor.Dense it was built for
	ErrGraph  error = errkind.Graph  // Gorgonia refused to add or differentiate an Op (the cause is wrapped)
	ErrDevice error = errkind.Device // the CUDA launch failed (cuda builds; the cause is wrapped)
)

// An Error reports bad input to Banded or a failure in a run of its Ops;
// it is the error type of every genband package (align.Error and
// bandop.Error are the same type).
type Error = errkind.Error

// pkgName is the prefix of this package's error messages.
const pkgName = "attention"

// errorf returns an *Error of kind and op whose message is
// fmt.Sprintf(format, args...); a %w verb wraps its argument as the cause.
func errorf(kind error, op, format string, args ...any) error {
	return errkind.Errorf(pkgName, kind, op, format, args...)
}

// wrap returns err, the error of Gorgonia or of a genband function this
// package called, as an error of op, of the cause's kind or else ErrGraph.
func wrap(op string, err error) error { return errkind.Wrap(pkgName, op, err, ErrGraph) }

// checkSize returns an error of kind ErrSize, naming op and what, when the
// product of dims is more than errkind.MaxElements.
func checkSize(op, what string, dims ...int) error {
	return errkind.CheckSize(pkgName, op, what, dims...)
}
