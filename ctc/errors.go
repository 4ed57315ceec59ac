package ctc

import "github.com/genband/genband/internal/errkind"

// The kinds of error of this package: every error a function of this
// package returns, and every error a run of its Ops reports, is an *Error,
// and errors.Is(err, ErrShape) reports whether its kind is ErrShape, and so
// on. They are the very values of bandop and align (ctc.ErrShape is
// bandop.ErrShape).
var (
	ErrNil    error = errkind.Nil    // a nil node or tensor
	ErrShape  error = errkind.Shape  // logProbs not (T, batch, classes), targets not (batch, L) or (N), lengths not (batch), nodes of different graphs
	ErrDtype  error = errkind.Dtype  // logProbs not Float32 or Float64, targets or lengths not Int
	ErrLength error = errkind.Length // an input length outside [1, T], a target length below 0 or past the targets, a label outside the classes or equal to the blank, a blank index outside the classes
	ErrSize   error = errkind.Size   // a result or internal buffer of more than bandop.MaxElements elements
	ErrValue  error = errkind.Value  // an Op's input value that is not the *tensor.Dense it was built for
	ErrGraph  error = errkind.Graph  // Gorgonia refused to build, differentiate or run the graph (the cause is wrapped)
	ErrBusy   error = errkind.Busy   // a graph's Ops at work in another run (a graph runs on one machine at a time)

	// The kind of this package alone.
	ErrReduction error = errkind.Kind("bad reduction") // a gorgonia.Reduction other than ReductionMean and ReductionSum
)

// An Error reports bad input to a function of this package or a failure in
// a run of its Ops; it is the error type of every genband package
// (bandop.Error and align.Error are the same type). An Op's failure during
// a run reaches the caller of RunAll inside Gorgonia's error, which has no
// Unwrap: bandop.Cause finds it there.
type Error = errkind.Error

// pkgName is the prefix of this package's error messages.
const pkgName = "ctc"

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
