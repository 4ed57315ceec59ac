package errkind

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
)

// machineError has the shape of the errors of Gorgonia's machines: an
// error with an Err method and no Unwrap.
type machineError struct{ err error }

func (m machineError) Error() string { return "PC 3. Failed to execute instruction: " + m.err.Error() }
func (m machineError) Err() error    { return m.err }

// TestErrorf: the message, the kind and the cause of an *Error made by
// Errorf, with one %w, two, or none.
func TestErrorf(t *testing.T) {
	other := errors.New("other")
	for _, c := range []struct {
		name   string
		err    *Error
		text   string
		kind   error
		causes []error // reachable through errors.Is
		unwrap error   // what errors.Unwrap returns, when it is comparable
	}{
		{"no cause", Errorf("bandop", Shape, "Mul", "n %d and %d", 3, 4), "bandop.Mul: n 3 and 4", Shape, nil, nil},
		{"one cause", Errorf("align", Device, "Marginals", "launch: %w", io.ErrUnexpectedEOF),
			"align.Marginals: launch: unexpected EOF", Device, []error{io.ErrUnexpectedEOF}, io.ErrUnexpectedEOF},
		{"two causes", Errorf("genmul", Graph, "LogMatMul", "%w and %w", io.EOF, other),
			"genmul.LogMatMul: EOF and other", Graph, []error{io.EOF, other}, nil},
		{"no kind", Errorf("bandop", nil, "Mul", "plain"), "bandop.Mul: plain", nil, nil, nil},
		{"kernel", func() *Error {
			e := Errorf("cudaops", Launch, "Launch.Check", "empty launch")
			e.Kernel = "k_f32"
			return e
		}(), "cudaops.Launch.Check: k_f32: empty launch", Launch, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.err.Error(); got != c.text {
				t.Errorf("Error() = %q, want %q", got, c.text)
			}
			for _, k := range []Kind{Nil, Shape, Length, Size, Graph, Device, Launch} {
				if errors.Is(c.err, k) != (c.kind == error(k)) {
					t.Errorf("errors.Is(err, %v) = %v, kind %v", k, !(c.kind == error(k)), c.kind)
				}
			}
			for _, cause := range c.causes {
				if !errors.Is(c.err, cause) {
					t.Errorf("cause %v lost", cause)
				}
			}
			if len(c.causes) == 0 && c.err.Err != nil {
				t.Errorf("cause %v, want none", c.err.Err)
			}
			if c.unwrap != nil && errors.Unwrap(c.err) != c.unwrap {
				t.Errorf("Unwrap = %v, want %v", errors.Unwrap(c.err), c.unwrap)
			}
		})
	}
}

// TestCause: Cause finds the first *Error through Unwrap, a joined error
// and a machine's Err method, and returns err itself without one.
func TestCause(t *testing.T) {
	inner := Errorf("align", Length, "LogPartitionLengths", "lenX[1] = 7")
	outer := Errorf("bandop", nil, "Mul", "building: %w", inner)
	plain := errors.New("plain")
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"nil", nil, nil},
		{"an *Error", inner, inner},
		{"the outer *Error", outer, outer},
		{"fmt wrapper", fmt.Errorf("run: %w", inner), inner},
		{"machine", machineError{inner}, inner},
		{"machine in a wrapper", fmt.Errorf("RunAll: %w", machineError{fmt.Errorf("node: %w", inner)}), inner},
		{"joined", errors.Join(plain, machineError{inner}), inner},
		{"none", plain, nil},
		{"none, behind a machine", fmt.Errorf("x: %w", machineError{plain}), plain},
		{"none, behind two", machineError{fmt.Errorf("y: %w", machineError{plain})}, plain},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := c.want
			if want == nil {
				want = c.err
			}
			if got := Cause(c.err); got != want {
				t.Errorf("Cause = %v, want %v", got, want)
			}
		})
	}
}

// TestKindOf: the kind is the first classified *Error's, beyond an
// unclassified one and a machine's wrapper; none without an *Error.
func TestKindOf(t *testing.T) {
	length := Errorf("align", Length, "LogPartitionLengths", "lenX[1] = 7")
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"nil", nil, nil},
		{"plain", io.EOF, nil},
		{"own", length, Length},
		{"outer wins", Errorf("align", Graph, "Grad", "%w", length), Graph},
		{"beyond an unclassified", Errorf("bandop", nil, "Mul", "%w", machineError{length}), Length},
		{"machine", fmt.Errorf("RunAll: %w", machineError{length}), Length},
		{"unclassified only", Errorf("bandop", nil, "Mul", "plain"), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := KindOf(c.err); got != c.want {
				t.Errorf("KindOf = %v, want %v", got, c.want)
			}
		})
	}
}

// TestWrap: the kind, cause and message of Wrap's error for a cause of the
// same package, of another, inside a machine's error, and of no genband
// error at all.
func TestWrap(t *testing.T) {
	own := Errorf("align", Length, "LogPartitionLengths", "lenX[1] = 7")
	bandop := Errorf("bandop", Band, "Mul", "band too wide")
	plain := errors.New("gorgonia says no")
	for _, c := range []struct {
		name  string
		err   error
		kind  error
		cause error
		text  string
	}{
		{"own package", own, Length, own, "align.Program.Marginals: lenX[1] = 7"},
		{"another package", bandop, Band, bandop, "align.Program.Marginals: bandop.Mul: band too wide"},
		{"inside a machine", fmt.Errorf("RunAll: %w", machineError{fmt.Errorf("node: %w", own)}), Length, own,
			"align.Program.Marginals: lenX[1] = 7"},
		{"machine's own", machineError{plain}, Graph, plain, "align.Program.Marginals: gorgonia says no"},
		{"wrapped", fmt.Errorf("building: %w", own), Length, nil, "align.Program.Marginals: building: align.LogPartitionLengths: lenX[1] = 7"},
		{"plain", plain, Graph, plain, "align.Program.Marginals: gorgonia says no"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Wrap("align", "Program.Marginals", c.err, Graph)
			var e *Error
			if !errors.As(err, &e) || e.Pkg != "align" || e.Op != "Program.Marginals" {
				t.Fatalf("%v: not an *Error of align's Program.Marginals", err)
			}
			cause := c.cause
			if cause == nil {
				cause = c.err
			}
			if e.Kind != c.kind || e.Err != cause || err.Error() != c.text {
				t.Errorf("kind %v, cause %v, text %q; want %v, %v, %q", e.Kind, e.Err, err, c.kind, c.cause, c.text)
			}
		})
	}
	if err := Wrap("align", "Program.Marginals", nil, Graph); err != nil {
		t.Errorf("Wrap(nil) = %v", err)
	}
}

// TestCheckSize: sizes within MaxElements pass; a negative size, a product
// past it, and one that would overflow an int are errors of kind Size that
// print only the caller's numbers.
func TestCheckSize(t *testing.T) {
	for _, c := range []struct {
		name string
		dims []int
		want string // in the message; empty for no error
	}{
		{"at the limit", []int{1 << 15, 1 << 16}, ""},
		{"a zero", []int{0, math.MaxInt / 2, math.MaxInt / 2}, ""},
		{"past the limit", []int{1 << 15, 1<<16 + 1}, "has more than 2^31 elements"},
		{"overflow", []int{math.MaxInt / 2, math.MaxInt / 2}, fmt.Sprintf("[%d %d] has more than 2^31", math.MaxInt/2, math.MaxInt/2)},
		{"negative", []int{2, -1}, "negative size in [2 -1]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckSize("bandop", "Filled", "the result", c.dims...)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case c.want != "" && (!errors.Is(err, Size) || !strings.HasPrefix(fmt.Sprint(err), "bandop.Filled: the result") ||
				!strings.Contains(fmt.Sprint(err), c.want)):
				t.Errorf("error %v, want one of kind Size with %q", err, c.want)
			}
		})
	}
}
