package align

import (
	"errors"
	"math"

	"github.com/genband/genband/align/internal/lattice"
	"github.com/genband/genband/internal/errkind"
	"gorgonia.org/tensor"
)

// The kinds of error of this package. Every error a function of this
// package returns is an *Error or a *PathError, and errors.Is(err, ErrShape)
// reports whether its kind is ErrShape, and so on. The kinds this package
// shares with bandop, genmul and cudaops are the very same values:
// align.ErrShape is bandop.ErrShape.
var (
	ErrNil      error = errkind.Nil      // a nil potentials tensor or node, lengths, mask, random source or *Program
	ErrShape    error = errkind.Shape    // potentials not (batch, N, M, the model's channels), operands of different shapes or graphs, a count of paths, draws or k that does not fit
	ErrDtype    error = errkind.Dtype    // not Float32 or Float64 (lengths: not Int), or operands of different dtypes
	ErrSemiring error = errkind.Semiring // not Real, Log or Max, or not Log where only the Log distribution is defined
	ErrLength   error = errkind.Length   // a length below 1 or past N or M, or a number of lengths other than the batch
	ErrSize     error = errkind.Size     // a result or internal buffer of more than bandop.MaxElements elements, or sizes that overflow an int
	ErrValue    error = errkind.Value    // an Op's input value that is not a *tensor.Dense of the dtype and shape it was built for
	ErrGraph    error = errkind.Graph    // Gorgonia refused to build, differentiate or run the graph (the cause is wrapped)
	ErrDevice   error = errkind.Device   // the CUDA launch failed (cuda builds; the cause is wrapped)
	ErrBusy     error = errkind.Busy     // a *Program or graph used by another goroutine while it runs

	// The kinds of this package alone.
	ErrMode      error = errkind.Kind("bad mode or strategy") // an unknown Mode or Strategy, or a Strategy that cannot do what was asked
	ErrGap       error = errkind.Kind("bad gap")              // a negative MaxGap
	ErrPotential error = errkind.Kind("bad potential")        // a NaN or +Inf potential that a path may use, or an item whose every path scores −Inf where a distribution is needed
	ErrPath      error = errkind.Kind("not a path")           // a path that breaks (*PathError), or a mask element other than 0 or 1
	ErrClosed    error = errkind.Kind("closed program")       // a method of a *Program after Close
)

// An Error reports bad input to a function of this package, or a failure
// below it: Pkg is "align", Op the function the caller called (e.g.
// "LogPartition" or "Program.Marginals"); Kind classifies the problem
// (errors.Is(err, ErrShape) tests it); Err, when not nil, is the cause,
// which errors.Is and errors.As reach through Unwrap. It is the error type
// of every genband package (bandop.Error is the same type), so errors.As
// with an *Error finds the first genband error of a chain; its Pkg says
// whose. An Op's failure during a run of a graph reaches the caller of
// RunAll inside Gorgonia's error, which has no Unwrap: bandop.Cause finds
// it there.
type Error = errkind.Error

// pkgName is the prefix of this package's error messages.
const pkgName = "align"

// errorf returns an *Error of kind and op whose message is
// fmt.Sprintf(format, args...); a %w verb wraps its argument as the cause.
func errorf(kind error, op, format string, args ...any) error {
	return errkind.Errorf(pkgName, kind, op, format, args...)
}

// wrap returns err, an error of a function this package called, as an
// error of op: of the kind of the genband error inside err when there is
// one (a bandop error, or one of this package's Ops failing in a run,
// which Gorgonia's machines hide behind an Err method), with that error as
// its cause, else of kind ErrGraph (Gorgonia's own) with err as its cause.
// When the cause is an error of this package its message is kept without
// its prefix, so that the text names only op.
func wrap(op string, err error) error { return wrapAs(op, err, ErrGraph) }

// wrapAs is wrap with the kind fallback for a cause of no kind.
func wrapAs(op string, err, fallback error) error {
	// A *PathError (an Op's mask that is not a path) has its kind by its
	// Is method, not as an *Error's Kind.
	if errors.Is(errkind.Cause(err), ErrPath) {
		fallback = ErrPath
	}
	return errkind.Wrap(pkgName, op, err, fallback)
}

// checkSize returns an error of kind ErrSize, naming op and what, when the
// product of dims (each ≥ 0) is more than bandop.MaxElements.
func checkSize(op, what string, dims ...int) error {
	return errkind.CheckSize(pkgName, op, what, dims...)
}

// badValue reports whether a potential that a path may use is NaN or +Inf.
func badValue(v float64) bool { return !(v <= math.MaxFloat64) }

// checkFinite returns an error of kind ErrPotential, naming op, the item
// b, the cell, the channel and what ("θ", "p" or "q"), for the first NaN
// or +Inf potential in th (one item's potentials, (n, mm, channels of l's
// model)) that some path of the lattice l may use (lattice.Used): a channel
// of a cell that an open option of the model scores. It is the one check of
// every eager function; potentials no path may use are not read.
func checkFinite[T float32 | float64](op, what string, th []T, mm, b int, l *lattice.Lattice) error {
	nc := l.Top.Channels
	for i := range l.LenX {
		jlo, jhi := l.Cols(i)
		for j := jlo; j <= jhi; j++ {
			cell := th[(i*mm+j)*nc : (i*mm+j+1)*nc]
			for c, x := range cell {
				if v := float64(x); badValue(v) && l.Used(i, j, c) {
					return errorf(ErrPotential, op, "item %d: potential %s[%d, %d, %d, %s] is %v, want a finite value or −Inf",
						b, what, b, i, j, l.Top.ChannelName(c), v)
				}
			}
		}
	}
	return nil
}

// checkFiniteDense is checkFinite on item b of t, contiguous potentials
// (batch, N, M, channels) of Float64 or Float32.
func checkFiniteDense(op, what string, t *tensor.Dense, b int, l *lattice.Lattice) error {
	sh := t.Shape()
	per := sh[1] * sh[2] * sh[3]
	switch d := t.Data().(type) {
	case []float64:
		return checkFinite(op, what, d[b*per:(b+1)*per], sh[2], b, l)
	case []float32:
		return checkFinite(op, what, d[b*per:(b+1)*per], sh[2], b, l)
	}
	return nil
}
