package errkind

import "fmt"

// MaxElements is the most elements one result of genband may hold: 2^31,
// 16 GiB of float64. bandop.MaxElements and genmul.MaxElements are this
// value; a size beyond it is an error of kind Size rather than an attempt
// to allocate it, which catches a batch or n mistaken by orders of
// magnitude before it exhausts memory.
const MaxElements = 1 << 31

// An Error reports bad input to a function of one of genband's packages,
// or a failure below it. Each package names it as its own (bandop.Error,
// align.Error, … are aliases of this type), so errors.As with any of them
// finds the first genband error of a chain, and Pkg tells whose it is.
type Error struct {
	Pkg    string // the package, "bandop", "align", …: the message's prefix
	Op     string // the function the caller called, e.g. "Mul" or "Program.Marginals"
	Kernel string // the CUDA kernel concerned (package cudaops), or empty
	Kind   error  // a Kind, which errors.Is(err, kind) tests; nil for an error not classified
	Msg    string // what is wrong, including the cause's message
	Err    error  // the cause, or nil
}

// Error returns "pkg.Op: Msg", with the kernel after Op when there is one.
func (e *Error) Error() string {
	if e.Kernel != "" {
		return e.Pkg + "." + e.Op + ": " + e.Kernel + ": " + e.Msg
	}
	return e.Pkg + "." + e.Op + ": " + e.Msg
}

// Unwrap returns the cause, nil when there is none.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return e.Kind != nil && e.Kind == target }

// Errorf returns an *Error of pkg, op and kind whose message is
// fmt.Sprintf(format, args...); a %w verb wraps its argument as the cause
// (with several, the cause is the error that joins them).
func Errorf(pkg string, kind error, op, format string, args ...any) *Error {
	w := fmt.Errorf(format, args...)
	e := &Error{Pkg: pkg, Op: op, Kind: kind, Msg: w.Error()}
	switch u := w.(type) {
	case interface{ Unwrap() error }:
		e.Err = u.Unwrap()
	case interface{ Unwrap() []error }:
		e.Err = w
	}
	return e
}

// Wrap returns err, the error of something that pkg's function op called,
// as an *Error of pkg and op. Its cause is Cause(err): the genband error
// inside an error of a Gorgonia machine, so that errors.Is and errors.As
// reach it, else err itself (or, for a machine's error of no genband
// error, what its Err method returns). Its kind is the cause's own, the Kind of the
// first classified *Error of the cause's chain, else fallback (Gorgonia's
// own errors have none). When the cause is an *Error of pkg its message is
// kept without its prefix, so that the text names op alone; Gorgonia's
// wrapping text (the instruction that failed) is dropped with the wrapper.
// Wrap(pkg, op, nil, fallback) is nil.
func Wrap(pkg, op string, err, fallback error) error {
	if err == nil {
		return nil
	}
	cause := Cause(err)
	msg := cause.Error()
	switch e, ok := cause.(*Error); {
	case ok && e.Pkg == pkg:
		msg = e.Msg
	case ok:
	case hasErr(err):
		cause = err.(interface{ Err() error }).Err() // a machine's own failure, under its own text
	}
	kind := fallback
	if k := KindOf(cause); k != nil {
		kind = k
	}
	return &Error{Pkg: pkg, Op: op, Kind: kind, Msg: msg, Err: cause}
}

// KindOf returns the kind of err: the Kind of the first *Error with one
// in its chain (the chain Cause follows), nil when there is none. Kinds
// come from the errors themselves, so no list of kinds is kept in step.
func KindOf(err error) error {
	e := find(err, 0)
	for range maxDepth {
		if e == nil {
			return nil
		}
		if e.Kind != nil {
			return e.Kind
		}
		e = find(e.Err, 0)
	}
	return nil
}

// Cause returns the first *Error in err's chain, or err itself when there
// is none. The chain is what errors.As follows (Unwrap, either form) and
// also the Err method of Gorgonia's machines' errors, which have no Unwrap:
// their RunAll returns an Op's failure only behind Err.
func Cause(err error) error {
	if e := find(err, 0); e != nil {
		return e
	}
	return err
}

// hasErr reports whether err has the Err method of Gorgonia's machines'
// errors and a cause behind it.
func hasErr(err error) bool {
	v, ok := err.(interface{ Err() error })
	return ok && v.Err() != nil
}

// maxDepth bounds find's walk, in case a chain loops.
const maxDepth = 100

// find returns the first *Error of err's chain in depth-first order, nil
// when there is none.
func find(err error, depth int) *Error {
	if err == nil || depth > maxDepth {
		return nil
	}
	if e, ok := err.(*Error); ok {
		return e
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return find(u.Unwrap(), depth+1)
	case interface{ Unwrap() []error }:
		for _, c := range u.Unwrap() {
			if e := find(c, depth+1); e != nil {
				return e
			}
		}
	case interface{ Err() error }:
		return find(u.Err(), depth+1)
	}
	return nil
}

// CheckSize returns an error of pkg, op and kind Size, naming what, when
// the product of dims (each ≥ 0) is more than MaxElements. It computes
// nothing that can overflow and prints only the caller's numbers.
func CheckSize(pkg, op, what string, dims ...int) error {
	p := 1
	for _, d := range dims {
		if d < 0 {
			return Errorf(pkg, Size, op, "%s has a negative size in %v", what, dims)
		}
		if d != 0 && p > MaxElements/d {
			return Errorf(pkg, Size, op, "%s of sizes %v has more than 2^31 elements (bandop.MaxElements)", what, dims)
		}
		p *= d
	}
	return nil
}
