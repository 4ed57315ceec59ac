package bandop

import (
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// big40 is 2^40 where an int is 64 bits and the largest int where it is 32:
// a size far past MaxElements that still compiles on every GOARCH.
const big40 = min(1<<40, math.MaxInt)

// TestErrorKinds makes real failing calls and checks what a caller can do
// with the error: errors.Is finds its kind, errors.As finds the *Error
// with the function the caller called as Op, and no number in the message
// is one that overflowed (every integer printed is a number the caller
// passed, a size or the band limit).
func TestErrorKinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 12))
	small := must(Random(rng, tensor.Float32, 2, 4, 1, 1, 0))
	logA := must(Random(rng, tensor.Float64, 1, 3, 1, 0, math.Inf(-1)))
	// Bands of width 1 at the limit, far off the diagonal: cheap to hold,
	// but their product's band, (2^25, −2^25), is beyond the limit.
	edge := must(Filled(tensor.Float32, 1, 2, bandLimit, -bandLimit, 0))
	wide := must(Filled(tensor.Float32, 1, 1<<16, 0, 0, 0)) // its dense form has 2^32 entries
	g := gorgonia.NewGraph()
	noValue := must(Wrap(gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(1, 3, 2), gorgonia.WithName("x")), 1, 0, 0))

	cases := []struct {
		name string
		kind error
		op   string
		call func() error
	}{
		{"Filled batch 2^40", ErrSize, "Filled", func() error {
			_, err := Filled(tensor.Float64, big40, 1, 0, 0, 0)
			return err
		}},
		{"Filled n 2^32", ErrSize, "Filled", func() error {
			_, err := Filled(tensor.Float64, 1, min(1<<32, math.MaxInt), 0, 0, 0)
			return err
		}},
		{"Zeros product overflows", ErrSize, "Zeros", func() error {
			_, err := Zeros(tensor.Float32, big40, big40, 1, 1)
			return err
		}},
		{"Random batch 2^40", ErrSize, "Random", func() error {
			_, err := Random(rng, tensor.Float32, big40, 2, 0, 0, 0)
			return err
		}},
		{"Reband too wide", ErrSize, "Reband", func() error {
			_, err := must(Filled(tensor.Float32, 64, 64, 0, 0, 0)).Reband(bandLimit, bandLimit)
			return err
		}},
		{"BandPad too wide", ErrSize, "BandPad", func() error {
			_, err := must(Filled(tensor.Float32, 64, 64, 0, 0, 0)).BandPad(bandLimit)
			return err
		}},
		{"ToDense 2^32 entries", ErrSize, "ToDense", func() error {
			_, err := wide.ToDense()
			return err
		}},
		{"Gather map of 2^80 elements", ErrSize, "Gather", func() error {
			m := &GatherMap{In: tensor.Shape{big40, big40}, Out: tensor.Shape{1}, Index: []int32{0}}
			_, err := m.Gather(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{1})))
			return err
		}},
		{"Mul beyond the band limit", ErrBand, "Mul", func() error {
			_, err := edge.Mul(edge, Real)
			return err
		}},
		{"RowShift MaxInt", ErrBand, "RowShift", func() error { _, err := small.RowShift(math.MaxInt); return err }},
		{"RowShift MinInt", ErrBand, "RowShift", func() error { _, err := small.RowShift(math.MinInt); return err }},
		{"ColShift MaxInt", ErrBand, "ColShift", func() error { _, err := small.ColShift(math.MaxInt); return err }},
		{"BandShift MinInt", ErrBand, "BandShift", func() error { _, err := small.BandShift(math.MinInt); return err }},
		{"BandPad MaxInt", ErrBand, "BandPad", func() error { _, err := small.BandPad(math.MaxInt); return err }},
		{"Filled band MaxInt", ErrBand, "Filled", func() error {
			_, err := Filled(tensor.Float64, 1, 2, math.MaxInt, math.MaxInt, 0)
			return err
		}},
		{"Mul unknown semiring", ErrSemiring, "Mul", func() error { _, err := small.Mul(small, Semiring(7)); return err }},
		{"Plus fill", ErrFill, "Plus", func() error { _, err := small.Plus(small, Log); return err }},
		{"Times dtype", ErrDtype, "Times", func() error { _, err := small.Times(logA, Real); return err }},
		{"VecMul shape", ErrShape, "VecMul", func() error {
			_, err := logA.VecMul(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(make([]float64, 6))), Log)
			return err
		}},
		{"Sum nil", ErrNil, "Sum", func() error { _, err := (*Banded)(nil).Sum(Real); return err }},
		{"Gather index", ErrLength, "Gather", func() error {
			m := &GatherMap{In: tensor.Shape{2}, Out: tensor.Shape{1}, Index: []int32{2}}
			_, err := m.Gather(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2})))
			return err
		}},
		{"Scatter names itself", ErrShape, "Scatter", func() error {
			m := &GatherMap{In: tensor.Shape{2}, Out: tensor.Shape{1}, Index: []int32{1}}
			_, err := m.Scatter(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2})))
			return err
		}},
		{"Node.Banded before running", ErrValue, "Node.Banded", func() error { _, err := noValue.Banded(); return err }},
		{"FromDenseNode names itself", ErrShape, "FromDenseNode", func() error {
			_, err := FromDenseNode(gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(1, 2, 3), gorgonia.WithName("d")), 0, 0, 0)
			return err
		}},
		{"Zip panic", ErrPanic, "Zip", func() error {
			_, err := Zip(small, small, func(x, y float64) float64 { panic("boom") })
			return err
		}},
		{"Banded.Scan v0 nil", ErrNil, "Scan", func() error { _, err := logA.Scan(nil, Log, nil); return err }},
		{"Banded.Scan v0 dtype", ErrDtype, "Scan", func() error {
			_, err := logA.Scan(tensor.New(tensor.WithShape(1, 3), tensor.Of(tensor.Float32)), Log, nil)
			return err
		}},
		{"Banded.Scan v0 shape", ErrShape, "Scan", func() error {
			_, err := logA.Scan(tensor.New(tensor.WithShape(1, 4), tensor.Of(tensor.Float64)), Log, nil)
			return err
		}},
		{"Banded.Scan window", ErrLength, "Scan", func() error {
			_, err := logA.Scan(tensor.New(tensor.WithShape(1, 3), tensor.Of(tensor.Float64)), Log, &Window{Lo: []int{0}, Hi: []int{4}})
			return err
		}},
	}
	number := regexp.MustCompile(`-?\d+`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if !errors.Is(err, c.kind) {
				t.Errorf("errors.Is(%q, %v) is false", err, c.kind)
			}
			for _, k := range allKinds {
				if k != c.kind && errors.Is(err, k) {
					t.Errorf("error %q is also of kind %v", err, k)
				}
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%q (%T) is not a *bandop.Error", err, err)
			}
			if e.Op != c.op || e.Msg == "" || !strings.HasPrefix(err.Error(), "bandop."+c.op+": ") {
				t.Errorf("error %q: Op %q, Msg %q; want Op %q and a message", err, e.Op, e.Msg, c.op)
			}
			for _, s := range number.FindAllString(err.Error(), -1) {
				x, perr := strconv.ParseInt(s, 10, 64)
				if perr != nil || (x != math.MaxInt && x != math.MinInt && (x > 1<<42 || x < -(1<<42))) {
					t.Errorf("error %q prints %s, not a number the caller passed or a size", err, s)
				}
			}
		})
	}
}

// TestErrorCauses: a wrapped cause stays reachable. Zip's recovered panic
// is a *PanicError with the panic value and the stack that shows f; a
// runtime error inside f is reachable as a runtime.Error; kindErrorf's %w
// keeps its operand for errors.Is.
func TestErrorCauses(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a := must(Random(rng, tensor.Float64, 1, 3, 1, 1, 0))
	var table []float64
	cases := []struct {
		name  string
		f     func(x, y float64) float64
		value string // the panic value, printed
	}{
		{"string", func(x, y float64) float64 { panic("boom") }, "boom"},
		{"runtime error", func(x, y float64) float64 { return table[int(x+y)+5] }, "index out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Zip(a, a, c.f)
			var pe *PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("%v: no *PanicError", err)
			}
			if !strings.Contains(pe.Error(), c.value) || !strings.Contains(err.Error(), c.value) {
				t.Errorf("panic value %v, error %q; want %q in both", pe.Value, err, c.value)
			}
			if !strings.Contains(string(pe.Stack), "TestErrorCauses") {
				t.Errorf("the stack does not show the panicking function:\n%s", pe.Stack)
			}
			var re runtime.Error
			if isRuntime := errors.As(err, &re); isRuntime != (c.name == "runtime error") {
				t.Errorf("errors.As(err, runtime.Error) = %v", isRuntime)
			}
		})
	}
	err := kindErrorf(ErrDevice, "Mul", "launch: %w", io.ErrUnexpectedEOF)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err, ErrDevice) || errors.Unwrap(err) != io.ErrUnexpectedEOF {
		t.Errorf("%v: the cause or the kind is lost", err)
	}
	if err := errorf("Mul", "plain"); hasKind(err) || errors.Unwrap(err) != nil {
		t.Errorf("errorf gave a kind or a cause: %v", err)
	}
}
