package align

import (
	"errors"
	"fmt"
	"math"

	"github.com/genband/genband/bandop"
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
	ErrShape    error = errkind.Shape    // potentials not (batch, N, M, 3), operands of different shapes or graphs, a count of paths, draws or k that does not fit
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
// below it. Op is the function the caller called; Kind classifies the
// problem (errors.Is(err, ErrShape) tests it); Err, when not nil, is the
// cause, which errors.Is and errors.As reach through Unwrap.
type Error struct {
	Op   string // the function the caller called, e.g. "LogPartition" or "Program.Marginals"
	Kind error  // ErrShape, ErrLength, …
	Msg  string // what is wrong, including the cause's message
	Err  error  // the cause, or nil
}

func (e *Error) Error() string { return "align." + e.Op + ": " + e.Msg }

// Unwrap returns the cause, nil when there is none.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return e.Kind != nil && e.Kind == target }

// errorf returns an *Error of kind and op whose message is
// fmt.Sprintf(format, args...); a %w verb wraps its argument as the cause.
func errorf(kind error, op, format string, args ...any) error {
	w := fmt.Errorf(format, args...)
	e := &Error{Op: op, Kind: kind, Msg: w.Error()}
	switch u := w.(type) {
	case interface{ Unwrap() error }:
		e.Err = u.Unwrap()
	case interface{ Unwrap() []error }:
		e.Err = w
	}
	return e
}

// sharedKinds are the kinds an error from below (bandop, Gorgonia running
// an Op of this package) may carry, in the order wrap looks for them.
var sharedKinds = []error{ErrNil, ErrShape, ErrDtype, ErrSemiring, ErrLength, ErrSize, ErrValue, ErrDevice, ErrBusy,
	ErrMode, ErrGap, ErrPotential, ErrPath, ErrClosed, errkind.Band, errkind.Fill, errkind.Launch, errkind.Panic}

// wrap returns err, an error of a function this package called, as an
// error of op with err as its cause: of err's own kind when it has one (a
// bandop error, or one of this package's Ops failing in a run), else of
// kind ErrGraph (Gorgonia's own). When the cause is an *Error of this
// package its message is kept without its prefix, so that the text names
// only op.
func wrap(op string, err error) error { return wrapAs(op, err, ErrGraph) }

// wrapAs is wrap with the kind fallback for a cause of no known kind.
func wrapAs(op string, err, fallback error) error {
	if err == nil {
		return nil
	}
	msg, cause := err.Error(), err
	var ae *Error
	if errors.As(err, &ae) && ae == err {
		msg = ae.Msg
	}
	// Gorgonia's VMs return an Op's failure inside an error that has no
	// Unwrap, only Err: take the cause from there, so that errors.Is and
	// errors.As reach the Op's own error.
	if v, ok := err.(interface{ Err() error }); ok && v.Err() != nil {
		cause = v.Err()
	}
	kind := fallback
	for _, k := range sharedKinds {
		if errors.Is(cause, k) {
			kind = k
			break
		}
	}
	return &Error{Op: op, Kind: kind, Msg: msg, Err: cause}
}

// checkSize returns an error of kind ErrSize, naming op and what, when the
// product of dims (each ≥ 0) is more than bandop.MaxElements. It computes
// nothing that can overflow and prints only the caller's numbers.
func checkSize(op, what string, dims ...int) error {
	p := 1
	for _, d := range dims {
		if d < 0 {
			return errorf(ErrSize, op, "%s has a negative size in %v", what, dims)
		}
		if d != 0 && p > bandop.MaxElements/d {
			return errorf(ErrSize, op, "%s (sizes %v) would hold more than 2^31 elements (bandop.MaxElements)", what, dims)
		}
		p *= d
	}
	return nil
}

// badValue reports whether a potential that a path may use is NaN or +Inf.
func badValue(v float64) bool { return !(v <= math.MaxFloat64) }

// checkFinite returns an error of kind ErrPotential, naming op, the item
// b, the cell and what ("θ", "p" or "q"), for the first NaN or +Inf
// potential in th (one item's potentials, (n, mm, 3)) that a path of the
// lattice l may use: θ[i, j, c] of a cell of l whose move comes from a cell
// of l, or θ[s, FromDiag] of a start cell s. It is the one check of every
// eager function; potentials no path may use are not read.
func checkFinite[T float32 | float64](op, what string, th []T, mm, b int, l lattice) error {
	for i := range l.lenX {
		jlo, jhi := l.cols(i)
		for j := jlo; j <= jhi; j++ {
			cell := th[(i*mm+j)*3 : (i*mm+j)*3+3]
			for c := range 3 {
				v := float64(cell[c])
				if !badValue(v) {
					continue
				}
				if l.valid(i-moves[c].di, j-moves[c].dj) || (c == FromDiag && l.start(i, j)) {
					return errorf(ErrPotential, op, "item %d: potential %s[%d, %d, %d, %s] is %v, want a finite value or −Inf",
						b, what, b, i, j, channelName(c), v)
				}
			}
		}
	}
	return nil
}

// checkFiniteDense is checkFinite on item b of t, contiguous potentials
// (batch, N, M, 3) of Float64 or Float32.
func checkFiniteDense(op, what string, t *tensor.Dense, b int, l lattice) error {
	sh := t.Shape()
	per := sh[1] * sh[2] * 3
	switch d := t.Data().(type) {
	case []float64:
		return checkFinite(op, what, d[b*per:(b+1)*per], sh[2], b, l)
	case []float32:
		return checkFinite(op, what, d[b*per:(b+1)*per], sh[2], b, l)
	}
	return nil
}
