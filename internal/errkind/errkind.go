// Package errkind holds the one error type of genband's packages and the
// kinds of error they share. Each package names the type as its own
// (bandop.Error, align.Error, … are aliases of Error) and exports the kinds
// that apply to it under its own names (bandop.ErrShape, genmul.ErrShape,
// …) as the very same values, so that errors.Is(err, bandop.ErrShape) also
// matches a shape error of genmul.
package errkind

// A Kind classifies an error: an *Error reports errors.Is true for its
// Kind. A Kind is comparable and never changes, so it
// works as an errors.Is target.
type Kind string

// Error returns the kind's short description.
func (k Kind) Error() string { return string(k) }

// The kinds. Each names a class of bad input or failure, not one message.
const (
	Nil      Kind = "nil argument"                    // a nil operand, graph, map, function or source
	Shape    Kind = "shape mismatch"                  // rank, batch, n, k, m or the number of inputs
	Band     Kind = "bad band"                        // a band of width < 1 or beyond the limit
	Dtype    Kind = "bad dtype"                       // not float32 or float64, or operands that differ
	Semiring Kind = "bad semiring"                    // an unknown semiring
	Fill     Kind = "fill is not the semiring's zero" // an operand of a semiring op
	Length   Kind = "length or index out of range"    // lengths, windows, gather indices
	Size     Kind = "size beyond the limit"           // a result too large to allocate, or a size that overflows
	Value    Kind = "missing or unusable value"       // a node without a value, a value of the wrong Go type
	Graph    Kind = "graph error"                     // Gorgonia refused to add or differentiate an Op
	Panic    Kind = "panic in a caller's function"    // recovered at the API boundary
	Launch   Kind = "kernel launch cannot run"        // geometry, shared memory or argument types
	Device   Kind = "device error"                    // the CUDA driver or Gorgonia's CUDA engine failed
	Busy     Kind = "busy"                            // a graph or Program already running in another goroutine
)
