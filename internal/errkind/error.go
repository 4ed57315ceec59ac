package errkind

import (
	"errors"
	"fmt"
	"math"
)

// MaxElements is the most elements one result of genband may hold: 2^31,
// 16 GiB of float64, where an int is 64 bits; on 32-bit platforms, where
// no slice can be that long, math.MaxInt32 (the min keeps the constant
// within an int everywhere). bandop.MaxElements and genmul.MaxElements are
// this value; a size beyond it is an error of kind Size rather than an
// attempt to allocate it, which catches a batch or n mistaken by orders of
// magnitude before it exhausts memory.
const MaxElements = min(1<<31, math.MaxInt)

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
// as an *Error of pkg and op whose cause is err; or, when err holds a
// genband error (or any error) only behind a Gorgonia machine's wrapper,
// whose cause is Cause(err), so that errors.Is and errors.As reach it. Its
// kind is the cause's own (KindOf), else fallback: Gorgonia's own errors
// have none. When the cause is an *Error of pkg its message is kept
// without its prefix, so that the text names op alone. Wrap(pkg, op, nil,
// fallback) is nil.
func Wrap(pkg, op string, err, fallback error) error {
	if err == nil {
		return nil
	}
	cause := err
	var e *Error
	if !errors.As(err, &e) {
		cause = Cause(err)
	}
	msg := cause.Error()
	if e, ok := cause.(*Error); ok && e.Pkg == pkg {
		msg = e.Msg
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

// Cause returns the first *Error in err's chain: the chain errors.As
// follows (Unwrap, either form) and also the Err method of the errors of
// Gorgonia's machines, which have no Unwrap, and behind which their RunAll
// returns an Op's failure. With no *Error, it returns the error behind the
// last such wrapper, from which errors.Is and errors.As reach the rest
// (a *PathError of package align, for instance), or err itself when there
// is no wrapper. Cause(nil) is nil.
func Cause(err error) error {
	if e := find(err, 0); e != nil {
		return e
	}
	for range maxDepth {
		b := behind(err, 0)
		if b == nil {
			break
		}
		err = b
	}
	return err
}

// maxDepth bounds the walks along a chain, in case one loops.
const maxDepth = 100

// find returns the first *Error of err's chain in depth-first order,
// through Unwrap and Err methods, nil when there is none.
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

// behind returns what the first error with an Err method in err's chain
// (through Unwrap) holds, nil when there is none or it holds nil.
func behind(err error, depth int) error {
	if err == nil || depth > maxDepth {
		return nil
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return behind(u.Unwrap(), depth+1)
	case interface{ Unwrap() []error }:
		for _, c := range u.Unwrap() {
			if b := behind(c, depth+1); b != nil {
				return b
			}
		}
	case interface{ Err() error }:
		return u.Err()
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
