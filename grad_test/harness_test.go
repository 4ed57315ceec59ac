package gradtest

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the harness shared by the gradient checks: operands with
// poisoned padding, graphs rebuilt for every evaluation, the cost, the
// analytic gradient from fresh TapeMachines, and the comparison.

const (
	step  = 1e-5 // central-difference step
	tol64 = 1e-6 // analytic vs finite differences, float64
	tol32 = 1e-4 // float32 analytic vs float64 analytic
)

// operand is one input of a checked graph: band storage (banded) or a plain
// dense tensor, with its values in float64 and NaN in every padding slot.
type operand struct {
	name         string
	shape        tensor.Shape
	val          []float64
	banded       bool
	lower, upper int
	fill         float64
}

// slots returns which elements are entries (perturbed and compared) rather
// than padding (whose gradient must be exactly 0).
func (o operand) slots() []bool {
	if !o.banded {
		keep := make([]bool, len(o.val))
		for i := range keep {
			keep[i] = true
		}
		return keep
	}
	return BandSlots(o.shape[0], o.shape[1], o.lower, o.upper)
}

// gen draws one value suited to a semiring: Log and Max get spread-out
// values so that Max has no near ties at the step used.
func gen(rng *rand.Rand, s bandop.Semiring) float64 {
	if s == bandop.Real {
		return 2*rng.Float64() - 1
	}
	return 6*rng.Float64() - 3
}

// band returns a banded operand with random entries for s, fill fill and NaN
// padding.
func band(rng *rand.Rand, s bandop.Semiring, name string, batch, n, lower, upper int, fill float64) operand {
	o := operand{name: name, shape: tensor.Shape{batch, n, lower + upper + 1}, banded: true, lower: lower, upper: upper, fill: fill}
	keep := o.slots()
	o.val = make([]float64, len(keep))
	for i, in := range keep {
		if in {
			o.val[i] = gen(rng, s)
		} else {
			o.val[i] = math.NaN()
		}
	}
	return o
}

// sparse sets about a third of o's entries to z (a semiring's zero): Log
// and Max then meet sums whose terms are all −Inf.
func sparse(rng *rand.Rand, o operand, z float64) operand {
	keep := o.slots()
	for i, in := range keep {
		if in && rng.IntN(3) == 0 {
			o.val[i] = z
		}
	}
	return o
}

// denseOp returns a dense operand with random entries for s.
func denseOp(rng *rand.Rand, s bandop.Semiring, name string, shape ...int) operand {
	o := operand{name: name, shape: tensor.Shape(shape)}
	o.val = make([]float64, o.shape.TotalSize())
	for i := range o.val {
		o.val[i] = gen(rng, s)
	}
	return o
}

// arg is an operand as a graph node: B is set for banded operands, N always.
type arg struct {
	B *bandop.Node
	N *gorgonia.Node
}

// output is the node a checked graph ends in and which of its elements the
// cost may see (nil: all of them).
type output struct {
	node *gorgonia.Node
	keep []bool
}

func bandOut(n *bandop.Node, err error) (output, error) {
	if err != nil {
		return output{}, err
	}
	s := n.Shape()
	return output{node: n.Node, keep: BandSlots(s[0], s[1], n.Lower(), n.Upper())}, nil
}

func denseOut(n *gorgonia.Node, err error) (output, error) {
	return output{node: n}, err
}

// gradCase is one graph whose gradient with respect to every operand is
// checked.
type gradCase struct {
	name string
	in   []operand
	f    func(a []arg) (output, error)
	// allZeroOK is set where the gradient is legitimately 0 everywhere
	// (everything shifted or rebanded away).
	allZeroOK bool
}

func toTensor(dt tensor.Dtype, shape tensor.Shape, v []float64) *tensor.Dense {
	if dt == tensor.Float32 {
		s := make([]float32, len(v))
		for i, x := range v {
			s[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(s))
	}
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(append([]float64(nil), v...)))
}

// build makes a new graph of c on the values vals in dtype dt and returns
// the operand nodes and the cost.
func (c *gradCase) build(dt tensor.Dtype, vals [][]float64) (wrt []*gorgonia.Node, cost *gorgonia.Node, err error) {
	g := gorgonia.NewGraph()
	args := make([]arg, len(c.in))
	for i, o := range c.in {
		n := gorgonia.NewTensor(g, dt, o.shape.Dims(), gorgonia.WithShape(o.shape.Clone()...),
			gorgonia.WithName(o.name), gorgonia.WithValue(toTensor(dt, o.shape, vals[i])))
		args[i].N = n
		if o.banded {
			if args[i].B, err = bandop.Wrap(n, o.lower, o.upper, o.fill); err != nil {
				return nil, nil, err
			}
		}
		wrt = append(wrt, n)
	}
	out, err := c.f(args)
	if err != nil {
		return nil, nil, err
	}
	// The weights depend only on the case, so every rebuild sees the same
	// cost.
	h := fnv.New64a()
	h.Write([]byte(c.name))
	rng := rand.New(rand.NewPCG(h.Sum64(), 7))
	w := make([]float64, out.node.Shape().TotalSize())
	for i := range w {
		w[i] = (0.5 + rng.Float64()) * float64(1-2*rng.IntN(2))
	}
	cost, err = WeightedSum(out.node, w, out.keep)
	return wrt, cost, err
}

func (c *gradCase) values() [][]float64 {
	vals := make([][]float64, len(c.in))
	for i, o := range c.in {
		vals[i] = append([]float64(nil), o.val...)
	}
	return vals
}

func scalar(v gorgonia.Value) float64 {
	switch x := v.Data().(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	}
	return math.NaN()
}

// cost evaluates the cost of c at vals on a fresh graph and machine.
func (c *gradCase) cost(vals [][]float64) (float64, error) {
	_, cost, err := c.build(tensor.Float64, vals)
	if err != nil {
		return 0, err
	}
	m := gorgonia.NewTapeMachine(cost.Graph())
	defer m.Close()
	if err := m.RunAll(); err != nil {
		return 0, err
	}
	return scalar(cost.Value()), nil
}

// grads returns the gradient of the cost with respect to every operand, from
// gorgonia.Grad and a fresh TapeMachine. It fails t when a second fresh
// machine, or the first one reset and run again, gives different bits:
// gradients must not accumulate across runs.
func (c *gradCase) grads(t testing.TB, dt tensor.Dtype, vals [][]float64) [][]float64 {
	t.Helper()
	wrt, cost, err := c.build(dt, vals)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	gs, err := gorgonia.Grad(cost, wrt...)
	if err != nil {
		t.Fatalf("Grad: %v", err)
	}
	read := func() [][]float64 {
		out := make([][]float64, len(gs))
		for i, g := range gs {
			d, ok := g.Value().(*tensor.Dense)
			if !ok {
				t.Fatalf("gradient %d is a %T", i, g.Value())
			}
			if d.Dtype() != dt || !d.Shape().Eq(c.in[i].shape) {
				t.Fatalf("gradient of %s is %v %v, want %v %v", c.in[i].name, d.Dtype(), d.Shape(), dt, c.in[i].shape)
			}
			if out[i], err = Float64s(d); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	m := gorgonia.NewTapeMachine(cost.Graph())
	if err := m.RunAll(); err != nil {
		t.Fatalf("run: %v", err)
	}
	first := read()
	m.Reset()
	if err := m.RunAll(); err != nil {
		t.Fatalf("second run: %v", err)
	}
	again := read()
	m.Close()
	m2 := gorgonia.NewTapeMachine(cost.Graph())
	if err := m2.RunAll(); err != nil {
		t.Fatalf("run on a fresh machine: %v", err)
	}
	fresh := read()
	m2.Close()
	for i := range first {
		for k := range first[i] {
			b := math.Float64bits(first[i][k])
			if math.Float64bits(again[i][k]) != b || math.Float64bits(fresh[i][k]) != b {
				t.Fatalf("gradient of %s[%d] changed between runs: %v, reset %v, fresh machine %v", c.in[i].name, k, first[i][k], again[i][k], fresh[i][k])
			}
		}
	}
	return first
}

// check compares the float64 analytic gradient with central differences on
// every entry slot of every operand, checks that padding slots get exactly
// 0, and compares the float32 gradient with the float64 one on the same
// (rounded) values.
func check(t testing.TB, c gradCase) {
	t.Helper()
	vals := c.values()
	ana := c.grads(t, tensor.Float64, vals)
	nonzero := false
	for k, o := range c.in {
		keep := o.slots()
		// An infinite entry (a semiring zero inside the band) cannot be
		// perturbed; its gradient must still be a number.
		perturb := make([]bool, len(keep))
		for i, in := range keep {
			perturb[i] = in && !math.IsInf(vals[k][i], 0)
		}
		x := append([]float64(nil), vals[k]...)
		num, err := CentralDiff(func(x []float64) (float64, error) {
			v := c.values()
			v[k] = x
			return c.cost(v)
		}, x, perturb, step)
		if err != nil {
			t.Fatalf("cost: %v", err)
		}
		bad := 0
		for i, in := range keep {
			if ana[k][i] != 0 {
				nonzero = true
			}
			if !in {
				if ana[k][i] != 0 {
					if bad++; bad <= 5 {
						t.Errorf("d%s[%d] (padding) = %v, want exactly 0", o.name, i, ana[k][i])
					}
				}
				continue
			}
			if !perturb[i] {
				if math.IsNaN(ana[k][i]) || math.IsInf(ana[k][i], 0) {
					if bad++; bad <= 5 {
						t.Errorf("d%s[%d] (entry %v) = %v, want a finite number", o.name, i, vals[k][i], ana[k][i])
					}
				}
				continue
			}
			if e := RelErr(ana[k][i], num[i]); !(e <= tol64) {
				if bad++; bad <= 5 {
					t.Errorf("d%s[%d] = %.12g, finite differences %.12g (error %.3g)", o.name, i, ana[k][i], num[i], e)
				}
			}
		}
	}
	if !nonzero && !c.allZeroOK {
		t.Errorf("every gradient is 0: the check is vacuous")
	}

	// float32: the same values rounded, against float64 on those values.
	r := c.values()
	for _, v := range r {
		for i := range v {
			v[i] = float64(float32(v[i]))
		}
	}
	ana64 := c.grads(t, tensor.Float64, r)
	ana32 := c.grads(t, tensor.Float32, r)
	for k, o := range c.in {
		keep := o.slots()
		bad := 0
		for i, in := range keep {
			if !in {
				if ana32[k][i] != 0 && bad < 5 {
					bad++
					t.Errorf("float32 d%s[%d] (padding) = %v, want exactly 0", o.name, i, ana32[k][i])
				}
				continue
			}
			if e := RelErr(ana32[k][i], ana64[k][i]); !(e <= tol32) && bad < 5 {
				bad++
				t.Errorf("float32 d%s[%d] = %v, float64 %v (error %.3g)", o.name, i, ana32[k][i], ana64[k][i], e)
			}
		}
	}
}

var semirings = []bandop.Semiring{bandop.Real, bandop.Log, bandop.Max}

// shapeFills are the fills shape ops are checked with: they keep any fill.
var shapeFills = []float64{0, math.Inf(-1)}
