package align

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// big40 is 2^40 where an int is 64 bits and the largest int where it is 32:
// a size far past MaxElements that still compiles on every GOARCH.
const big40 = min(1<<40, math.MaxInt)

// runError has the shape of the errors of Gorgonia's machines: the Op's
// error behind an Err method, and no Unwrap.
type runError struct{ err error }

func (r runError) Error() string { return r.err.Error() }
func (r runError) Err() error    { return r.err }

// allKinds are the kinds of this package's errors.
var allKinds = []error{ErrNil, ErrShape, ErrDtype, ErrSemiring, ErrLength, ErrSize, ErrValue, ErrGraph, ErrDevice,
	ErrMode, ErrGap, ErrPotential, ErrPath, ErrClosed}

// TestErrorKinds makes real failing calls of every exported function and
// checks what a caller can do with the error: errors.Is finds its kind and
// no other, errors.As finds the *Error (or *PathError) whose Op is the
// function the caller called, the message starts "align.<Op>: ", and no
// integer in it is one that overflowed (every one printed is a number the
// caller passed, a size, or an index).
func TestErrorKinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 82))
	p := randomProblem(rng, 2, 3, 4, false)
	th := p.tensor(tensor.Float64)
	withAt := func(k int, v float64) *tensor.Dense {
		d := th.Clone().(*tensor.Dense)
		setAt(d, k, v)
		return d
	}
	at := func(b, i, j, c int) int { return ((b*3+i)*4+j)*3 + c }
	nan := withAt(at(1, 1, 1, FromDiag), math.NaN()) // used by every mode
	inf := withAt(at(0, 2, 3, FromLeft), math.Inf(1))
	ninf := th.Clone().(*tensor.Dense)
	for k := range 36 {
		setAt(ninf, 36+k, math.Inf(-1)) // item 1: no path of finite score
	}
	// A global path of each item of lengths (3, 4).
	path := Path{{0, 0, FromDiag}, {1, 1, FromDiag}, {2, 2, FromDiag}, {2, 3, FromLeft}}
	paths := []Path{path, path}
	broken := []Path{path, {{0, 0, FromDiag}, {2, 2, FromDiag}}}
	mask, err := Model{}.Mask(paths, th.Shape(), tensor.Float64, nil, nil)
	must(t, err)
	two := mask.Clone().(*tensor.Dense)
	setAt(two, at(1, 0, 0, FromDiag), 2)
	ints := tensor.New(tensor.WithShape(2, 3, 4, 3), tensor.WithBacking(make([]int, 72)))
	rank3 := tensor.New(tensor.WithShape(3, 4, 3), tensor.WithBacking(make([]float64, 36)))

	g := gorgonia.NewGraph()
	node := func(dt tensor.Dtype, name string, shape ...int) *gorgonia.Node {
		return gorgonia.NewTensor(g, dt, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name))
	}
	thN, thN32, maskN := node(tensor.Float64, "th", 2, 3, 4, 3), node(tensor.Float32, "th32", 2, 3, 4, 3), node(tensor.Float64, "mask", 2, 3, 4, 3)
	lnN, lnF, ln3 := node(tensor.Int, "ln", 2, 2), node(tensor.Float64, "lnf", 2, 2), node(tensor.Int, "ln3", 3, 2)
	intN, matN, thN5 := node(tensor.Int, "ints", 2, 3, 4, 3), node(tensor.Float64, "mat", 2, 3), node(tensor.Float64, "th5", 2, 3, 5, 3)
	hugeN := node(tensor.Float64, "huge", 1<<20, 1<<20, 1<<20, 3)
	other := gorgonia.NewGraph()
	lnOther := gorgonia.NewTensor(other, tensor.Int, 2, gorgonia.WithShape(2, 2), gorgonia.WithName("ln"))
	maskOther := gorgonia.NewTensor(other, tensor.Float64, 4, gorgonia.WithShape(2, 3, 4, 3), gorgonia.WithName("mask"))
	constTh := gorgonia.NewConstant(th)

	pr, err := Model{}.Compile(th.Shape(), tensor.Float64, nil, nil)
	must(t, err)
	defer pr.Close()
	closed, err := Model{}.Compile(th.Shape(), tensor.Float64, nil, nil)
	must(t, err)
	closed.Close()
	deep, err := Model{Strategy: LogDepth}.Compile(th.Shape(), tensor.Float64, nil, nil)
	must(t, err)
	defer deep.Close()

	log, max := Model{}, Model{Semiring: Max}
	r := rand.New(rand.NewPCG(1, 2))
	type nodeResult = func() (*gorgonia.Node, error)
	nodeErr := func(f nodeResult) func() error { return func() error { _, err := f(); return err } }
	cases := []struct {
		name string
		kind error
		op   string
		call func() error
	}{
		// Marginals, Compile and Program.
		{"Marginals nil", ErrNil, "Marginals", func() error { _, err := log.Marginals(nil, nil, nil); return err }},
		{"Marginals rank", ErrShape, "Marginals", func() error { _, err := log.Marginals(rank3, nil, nil); return err }},
		{"Marginals dtype", ErrDtype, "Marginals", func() error { _, err := log.Marginals(ints, nil, nil); return err }},
		{"Marginals semiring", ErrSemiring, "Marginals", func() error { _, err := Model{Semiring: 9}.Marginals(th, nil, nil); return err }},
		{"Marginals mode", ErrMode, "Marginals", func() error { _, err := Model{Mode: 3}.Marginals(th, nil, nil); return err }},
		{"Marginals strategy", ErrMode, "Marginals", func() error { _, err := Model{Strategy: 7}.Marginals(th, nil, nil); return err }},
		{"Marginals gap", ErrGap, "Marginals", func() error {
			_, err := Model{Gapped: true, MaxGap: -1}.Marginals(th, nil, nil)
			return err
		}},
		{"Marginals length", ErrLength, "Marginals", func() error { _, err := log.Marginals(th, []int{1, 4}, nil); return err }},
		{"Marginals length count", ErrLength, "Marginals", func() error { _, err := log.Marginals(th, nil, []int{4}); return err }},
		{"Marginals NaN", ErrPotential, "Marginals", func() error { _, err := log.Marginals(nan, nil, nil); return err }},
		{"Marginals +Inf", ErrPotential, "Marginals", func() error { _, err := log.Marginals(inf, nil, nil); return err }},
		{"Marginals LogDepth NaN", ErrPotential, "Marginals", func() error {
			_, err := Model{Strategy: LogDepth, Mode: Local}.Marginals(nan, nil, nil)
			return err
		}},
		{"Compile dtype", ErrDtype, "Compile", func() error { _, err := log.Compile(th.Shape(), tensor.Int, nil, nil); return err }},
		{"Compile size", ErrSize, "Compile", func() error {
			_, err := log.Compile(tensor.Shape{1 << 20, 1 << 20, 1 << 20, 3}, tensor.Float64, nil, nil)
			return err
		}},
		{"Compile overflow", ErrSize, "Compile", func() error {
			_, err := log.Compile(tensor.Shape{big40, big40, big40, 3}, tensor.Float64, nil, nil)
			return err
		}},
		{"Compile LogDepth size", ErrSize, "Compile", func() error {
			_, err := Model{Strategy: LogDepth}.Compile(tensor.Shape{1, 1 << 14, 1 << 14, 3}, tensor.Float64, nil, nil)
			return err
		}},
		{"Compile length", ErrLength, "Compile", func() error { _, err := log.Compile(th.Shape(), tensor.Float64, []int{0, 1}, nil); return err }},
		{"Program.Marginals nil", ErrNil, "Program.Marginals", func() error { _, err := (*Program)(nil).Marginals(th); return err }},
		{"Program.Marginals zero", ErrNil, "Program.Marginals", func() error { _, err := (&Program{}).Marginals(th); return err }},
		{"Program.Marginals closed", ErrClosed, "Program.Marginals", func() error { _, err := closed.Marginals(th); return err }},
		{"Program.Marginals shape", ErrShape, "Program.Marginals", func() error {
			_, err := pr.Marginals(randomProblem(rng, 1, 3, 4, false).tensor(tensor.Float64))
			return err
		}},
		{"Program.Marginals dtype", ErrDtype, "Program.Marginals", func() error { _, err := pr.Marginals(p.tensor(tensor.Float32)); return err }},
		{"Program.Marginals NaN", ErrPotential, "Program.Marginals", func() error { _, err := pr.Marginals(nan); return err }},
		{"Program.Marginals LogDepth +Inf", ErrPotential, "Program.Marginals", func() error { _, err := deep.Marginals(inf); return err }},
		{"Program.MarginalsLengths nil", ErrNil, "Program.MarginalsLengths", func() error {
			_, err := (*Program)(nil).MarginalsLengths(th, nil, nil)
			return err
		}},
		{"Program.MarginalsLengths closed", ErrClosed, "Program.MarginalsLengths", func() error {
			_, err := closed.MarginalsLengths(th, nil, nil)
			return err
		}},
		{"Program.MarginalsLengths LogDepth", ErrMode, "Program.MarginalsLengths", func() error {
			_, err := deep.MarginalsLengths(th, nil, nil)
			return err
		}},
		{"Program.MarginalsLengths length", ErrLength, "Program.MarginalsLengths", func() error {
			_, err := pr.MarginalsLengths(th, nil, []int{5, 1})
			return err
		}},
		{"Program.MarginalsLengths NaN", ErrPotential, "Program.MarginalsLengths", func() error {
			_, err := pr.MarginalsLengths(nan, nil, nil)
			return err
		}},

		// Graph builders.
		{"LogPartition nil", ErrNil, "LogPartition", nodeErr(func() (*gorgonia.Node, error) { return log.LogPartition(nil, nil, nil) })},
		{"LogPartition dtype", ErrDtype, "LogPartition", nodeErr(func() (*gorgonia.Node, error) { return log.LogPartition(intN, nil, nil) })},
		{"LogPartition shape", ErrShape, "LogPartition", nodeErr(func() (*gorgonia.Node, error) { return log.LogPartition(matN, nil, nil) })},
		{"LogPartition constant", ErrGraph, "LogPartition", nodeErr(func() (*gorgonia.Node, error) {
			return Model{Strategy: LogDepth}.LogPartition(constTh, nil, nil)
		})},
		{"LogPartition size", ErrSize, "LogPartition", nodeErr(func() (*gorgonia.Node, error) { return log.LogPartition(hugeN, nil, nil) })},
		{"LogPartition length", ErrLength, "LogPartition", nodeErr(func() (*gorgonia.Node, error) {
			return log.LogPartition(thN, []int{3, 9}, nil)
		})},
		{"LogPartition LogDepth length", ErrLength, "LogPartition", nodeErr(func() (*gorgonia.Node, error) {
			return Model{Strategy: LogDepth}.LogPartition(thN, nil, []int{0, 1})
		})},
		{"LogPartitionLengths nil lengths", ErrNil, "LogPartitionLengths", nodeErr(func() (*gorgonia.Node, error) {
			return log.LogPartitionLengths(thN, nil)
		})},
		{"LogPartitionLengths lengths dtype", ErrDtype, "LogPartitionLengths", nodeErr(func() (*gorgonia.Node, error) {
			return log.LogPartitionLengths(thN, lnF)
		})},
		{"LogPartitionLengths lengths shape", ErrShape, "LogPartitionLengths", nodeErr(func() (*gorgonia.Node, error) {
			return log.LogPartitionLengths(thN, ln3)
		})},
		{"LogPartitionLengths strategy", ErrMode, "LogPartitionLengths", nodeErr(func() (*gorgonia.Node, error) {
			return Model{Strategy: LogDepth}.LogPartitionLengths(thN, lnN)
		})},
		{"LogPartitionLengths graphs", ErrGraph, "LogPartitionLengths", nodeErr(func() (*gorgonia.Node, error) {
			return log.LogPartitionLengths(thN, lnOther)
		})},
		{"MaskScore nil", ErrNil, "MaskScore", nodeErr(func() (*gorgonia.Node, error) { return MaskScore(thN, nil) })},
		{"MaskScore dtype", ErrDtype, "MaskScore", nodeErr(func() (*gorgonia.Node, error) { return MaskScore(thN, thN32) })},
		{"MaskScore shape", ErrShape, "MaskScore", nodeErr(func() (*gorgonia.Node, error) { return MaskScore(thN, thN5) })},
		{"MaskScore graphs", ErrGraph, "MaskScore", nodeErr(func() (*gorgonia.Node, error) { return MaskScore(thN, maskOther) })},
		{"LogProbNode nil", ErrNil, "LogProbNode", nodeErr(func() (*gorgonia.Node, error) { return log.LogProbNode(nil, maskN, lnN) })},
		{"LogProbNode semiring", ErrSemiring, "LogProbNode", nodeErr(func() (*gorgonia.Node, error) { return max.LogProbNode(thN, maskN, lnN) })},
		{"LogProbNode strategy", ErrMode, "LogProbNode", nodeErr(func() (*gorgonia.Node, error) {
			return Model{Strategy: LogDepth}.LogProbNode(thN, maskN, lnN)
		})},
		{"LogProbNode lengths", ErrDtype, "LogProbNode", nodeErr(func() (*gorgonia.Node, error) { return log.LogProbNode(thN, maskN, lnF) })},
		{"BestMask mode", ErrMode, "BestMask", nodeErr(func() (*gorgonia.Node, error) { return Model{Mode: 5}.BestMask(thN, lnN) })},
		{"BestMask lengths", ErrShape, "BestMask", nodeErr(func() (*gorgonia.Node, error) { return log.BestMask(thN, ln3) })},
		{"EntropyNode semiring", ErrSemiring, "EntropyNode", nodeErr(func() (*gorgonia.Node, error) { return max.EntropyNode(thN, lnN) })},
		{"EntropyNode nil lengths", ErrNil, "EntropyNode", nodeErr(func() (*gorgonia.Node, error) { return log.EntropyNode(thN, nil) })},
		{"CrossEntropyNode nil q", ErrNil, "CrossEntropyNode", nodeErr(func() (*gorgonia.Node, error) { return log.CrossEntropyNode(thN, nil, lnN) })},
		{"CrossEntropyNode q dtype", ErrDtype, "CrossEntropyNode", nodeErr(func() (*gorgonia.Node, error) { return log.CrossEntropyNode(thN, thN32, lnN) })},
		{"KLNode q shape", ErrShape, "KLNode", nodeErr(func() (*gorgonia.Node, error) { return log.KLNode(thN, thN5, lnN) })},
		{"KLNode graphs", ErrGraph, "KLNode", nodeErr(func() (*gorgonia.Node, error) { return log.KLNode(thN, maskOther, lnN) })},

		// Eager functions of the distribution.
		{"Lengths", ErrLength, "Lengths", func() error { _, err := Lengths([]int{1, 2}, []int{1}); return err }},
		{"BestPaths nil", ErrNil, "BestPaths", func() error { _, _, err := log.BestPaths(nil, nil, nil); return err }},
		{"BestPaths mode", ErrMode, "BestPaths", func() error { _, _, err := Model{Mode: 4}.BestPaths(th, nil, nil); return err }},
		{"BestPaths NaN", ErrPotential, "BestPaths", func() error { _, _, err := log.BestPaths(nan, nil, nil); return err }},
		{"KBest k", ErrShape, "KBest", func() error { _, _, err := log.KBest(th, 0, nil, nil); return err }},
		{"KBest +Inf", ErrPotential, "KBest", func() error { _, _, err := log.KBest(inf, 2, nil, nil); return err }},
		{"Sample semiring", ErrSemiring, "Sample", func() error { _, err := max.Sample(th, 1, r, nil, nil); return err }},
		{"Sample rng", ErrNil, "Sample", func() error { _, err := log.Sample(th, 1, nil, nil, nil); return err }},
		{"Sample n", ErrShape, "Sample", func() error { _, err := log.Sample(th, 0, r, nil, nil); return err }},
		{"Sample size", ErrSize, "Sample", func() error { _, err := log.Sample(th, big40, r, nil, nil); return err }},
		{"Sample no path", ErrPotential, "Sample", func() error { _, err := log.Sample(ninf, 1, r, nil, nil); return err }},
		{"Sample NaN", ErrPotential, "Sample", func() error { _, err := log.Sample(nan, 1, r, nil, nil); return err }},
		{"LogProb path", ErrPath, "LogProb", func() error { _, err := log.LogProb(th, broken, nil, nil); return err }},
		{"LogProb count", ErrShape, "LogProb", func() error { _, err := log.LogProb(th, paths[:1], nil, nil); return err }},
		{"LogProb NaN", ErrPotential, "LogProb", func() error { _, err := log.LogProb(nan, paths, nil, nil); return err }},
		{"Scores NaN off the path", ErrPotential, "Scores", func() error {
			_, err := log.Scores(withAt(at(1, 2, 0, FromAbove), math.NaN()), paths, nil, nil)
			return err
		}},
		{"Scores gap", ErrGap, "Scores", func() error {
			_, err := Model{Gapped: true, MaxGap: -2}.Scores(th, paths, nil, nil)
			return err
		}},
		{"CheckPaths path", ErrPath, "CheckPaths", func() error { return log.CheckPaths(broken, 3, 4, nil, nil) }},
		{"CheckPaths N", ErrShape, "CheckPaths", func() error { return log.CheckPaths(paths, 0, 4, nil, nil) }},
		{"CheckPaths length", ErrLength, "CheckPaths", func() error { return log.CheckPaths(paths, 3, 4, []int{3, 4}, nil) }},
		{"Mask dtype", ErrDtype, "Mask", func() error { _, err := log.Mask(paths, th.Shape(), tensor.Int, nil, nil); return err }},
		{"Mask size", ErrSize, "Mask", func() error {
			_, err := log.Mask(paths, tensor.Shape{2, big40, big40, 3}, tensor.Float64, nil, nil)
			return err
		}},
		{"Mask path", ErrPath, "Mask", func() error { _, err := log.Mask(broken, th.Shape(), tensor.Float64, nil, nil); return err }},
		{"PathsFromMask nil", ErrNil, "PathsFromMask", func() error { _, err := log.PathsFromMask(nil, nil, nil); return err }},
		{"PathsFromMask element", ErrPath, "PathsFromMask", func() error { _, err := log.PathsFromMask(two, nil, nil); return err }},
		{"Entropy NaN", ErrPotential, "Entropy", func() error { _, err := log.Entropy(nan, nil, nil); return err }},
		{"Entropy length", ErrLength, "Entropy", func() error { _, err := log.Entropy(th, []int{4, 1}, nil); return err }},
		{"CrossEntropy q NaN", ErrPotential, "CrossEntropy", func() error { _, err := log.CrossEntropy(th, nan, nil, nil); return err }},
		{"CrossEntropy shapes", ErrShape, "CrossEntropy", func() error {
			_, err := log.CrossEntropy(th, randomProblem(rng, 2, 3, 5, false).tensor(tensor.Float64), nil, nil)
			return err
		}},
		{"KL dtype", ErrDtype, "KL", func() error { _, err := log.KL(th, p.tensor(tensor.Float32), nil, nil); return err }},
		{"KL no path", ErrPotential, "KL", func() error { _, err := log.KL(th, ninf, nil, nil); return err }},
		{"KL semiring", ErrSemiring, "KL", func() error { _, err := Model{Semiring: Real}.KL(th, th, nil, nil); return err }},
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
			var op string
			var ae *Error
			var pe *PathError
			switch {
			case errors.As(err, &ae):
				op = ae.Op
				if ae.Msg == "" {
					t.Errorf("error %q has no message", err)
				}
			case errors.As(err, &pe):
				op = pe.Op
			default:
				t.Fatalf("%q (%T) is neither an *align.Error nor a *PathError", err, err)
			}
			if op != c.op || !strings.HasPrefix(err.Error(), "align."+c.op+": ") {
				t.Errorf("error %q: Op %q; want Op %q and the prefix align.%s: ", err, op, c.op, c.op)
			}
			for _, s := range number.FindAllString(err.Error(), -1) {
				if x, perr := strconv.ParseInt(s, 10, 64); perr != nil || x > 1<<42 || x < -(1<<42) {
					t.Errorf("error %q prints %s, not a number the caller passed or a size", err, s)
				}
			}
		})
	}
}

// TestErrorCauses: the errors of a run and of the functions align calls
// keep their causes. A run of a graph whose lengths are out of range fails
// in Gorgonia's VM with an error that still has the kind and names the
// function that built the node; Gorgonia's refusal of an Op is the cause of
// an ErrGraph error; errorf's %w keeps its operand.
func TestErrorCauses(t *testing.T) {
	g := gorgonia.NewGraph()
	th := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(2, 3, 4, 3), gorgonia.WithName("th"))
	ln := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(2, 2), gorgonia.WithName("ln"))
	z, err := Model{}.LogPartitionLengths(th, ln)
	must(t, err)
	_, err = Model{}.EntropyNode(th, ln)
	must(t, err)
	cost, err := gorgonia.Sum(z)
	must(t, err)
	_, err = gorgonia.Grad(cost, th)
	must(t, err)
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	theta := randomProblem(rand.New(rand.NewPCG(3, 4)), 2, 3, 4, false).tensor(tensor.Float64)
	must(t, gorgonia.Let(th, theta))
	lv, err := Lengths([]int{3, 7}, []int{4, 4})
	must(t, err)
	must(t, gorgonia.Let(ln, lv))
	// Gorgonia's TapeMachine hides the Op's error behind an Err method.
	err = vm.RunAll()
	var vmErr interface{ Err() error }
	if !errors.As(err, &vmErr) {
		t.Fatalf("run error %v (%T) has no Err method", err, err)
	}
	var ae *Error
	switch cause := vmErr.Err(); {
	case !errors.Is(cause, ErrLength):
		t.Errorf("run error %q is not of kind ErrLength", cause)
	case !errors.As(cause, &ae) || (ae.Op != "LogPartitionLengths" && ae.Op != "EntropyNode"):
		t.Errorf("run error %q: no *Error naming LogPartitionLengths or EntropyNode", cause)
	}
	// bandop.Cause finds it without knowing Gorgonia's wrapper.
	if cause := bandop.Cause(err); !errors.Is(cause, ErrLength) || !errors.As(cause, &ae) || ae != cause || ae.Pkg != "align" {
		t.Errorf("bandop.Cause(%q) = %q: not align's error of kind ErrLength", err, cause)
	}
	// wrap, as Program's methods use it on their VM's errors, reaches it,
	// and its text is the Op's, without Gorgonia's instruction.
	if w := wrap("Program.Marginals", err); !errors.Is(w, ErrLength) || !errors.As(w, &ae) || !strings.HasPrefix(w.Error(), "align.Program.Marginals: lenX[1] = 7") {
		t.Errorf("wrapped run error %q lost its kind or cause", w)
	}
	// A *PathError of an Op in a run keeps its kind ErrPath through wrap.
	perr := &PathError{Op: "MaskScore", Item: 1, Step: 2, Msg: "a step missing"}
	var pe *PathError
	if w := wrap("Program.Marginals", runError{fmt.Errorf("PC 4: %w", perr)}); !errors.Is(w, ErrPath) || !errors.As(w, &pe) || errors.Is(w, ErrGraph) {
		t.Errorf("wrapped run error %q lost the kind or the *PathError", w)
	}

	// Gorgonia's refusal is the cause.
	other := gorgonia.NewGraph()
	lo := gorgonia.NewTensor(other, tensor.Int, 2, gorgonia.WithShape(2, 2), gorgonia.WithName("ln"))
	_, err = Model{}.LogPartitionLengths(th, lo)
	if !errors.Is(err, ErrGraph) || errors.Unwrap(err) == nil {
		t.Errorf("%v: not an ErrGraph error with Gorgonia's as its cause", err)
	}
	// A bandop error keeps its kind and stays reachable.
	berr := wrap("LogPartition", &bandop.Error{Pkg: "bandop", Op: "Mul", Kind: bandop.ErrBand, Msg: "band too wide"})
	var be *bandop.Error
	if !errors.Is(berr, bandop.ErrBand) || !errors.As(berr, &be) || !strings.HasPrefix(berr.Error(), "align.LogPartition: bandop.Mul: ") {
		t.Errorf("%v: the bandop cause or its kind is lost", berr)
	}
	if err := errorf(ErrDevice, "Marginals", "launch: %w", io.ErrUnexpectedEOF); !errors.Is(err, io.ErrUnexpectedEOF) ||
		!errors.Is(err, ErrDevice) || errors.Unwrap(err) != io.ErrUnexpectedEOF {
		t.Errorf("%v: the cause or the kind is lost", err)
	}
	// An align error wrapped again names only the outer function.
	if err := wrap("LogProb", errorf(ErrLength, "LogPartitionLengths", "lenX[0] = 9")); err.Error() != "align.LogProb: lenX[0] = 9" || !errors.Is(err, ErrLength) {
		t.Errorf("rewrapped error %q", err)
	}
}
