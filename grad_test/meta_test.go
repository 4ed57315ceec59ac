package gradtest

import (
	"fmt"
	"hash"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// These tests check the checker: it must pass a correct gradient and catch
// a wrong value, a nonzero padding gradient and a gradient that changes
// between runs.

func TestCentralDiff(t *testing.T) {
	x := []float64{1, -2, 3}
	f := func(x []float64) (float64, error) { return x[0]*x[0]*x[0] + math.Sin(x[1]) + 5*x[2], nil }
	g, err := CentralDiff(f, x, []bool{true, true, false}, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{3, math.Cos(-2), 0}
	if i, e := Compare(g, want); e > 1e-8 {
		t.Errorf("gradient %v, want %v (element %d, error %g)", g, want, i, e)
	}
	if x[0] != 1 || x[1] != -2 || x[2] != 3 {
		t.Errorf("x not restored: %v", x)
	}
	if _, err := CentralDiff(f, x, []bool{true}, 1e-5); err == nil {
		t.Error("no error for a short perturb mask")
	}
	if _, err := CentralDiff(f, x, nil, 0); err == nil {
		t.Error("no error for a zero step")
	}
}

func TestRelErr(t *testing.T) {
	for _, c := range []struct{ a, b, want float64 }{
		{1, 1, 0}, {0, 1e-7, 1e-7}, {100, 101, 1.0 / 101}, {math.NaN(), 0, math.Inf(1)}, {math.Inf(-1), math.Inf(-1), 0},
	} {
		if got := RelErr(c.a, c.b); math.Abs(got-c.want) > 1e-15 && got != c.want {
			t.Errorf("RelErr(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestBandSlots(t *testing.T) {
	// n = 3, band (1, 0): row 0 has slot 0 (column −1) as padding.
	got := BandSlots(1, 3, 1, 0)
	want := []bool{false, true, true, true, true, true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("BandSlots(1, 3, 1, 0) = %v, want %v", got, want)
	}
	// Band (−1, 2) of n = 2: only entry (0, 1) exists.
	got = BandSlots(1, 2, -1, 2)
	want = []bool{true, false, false, false}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("BandSlots(1, 2, -1, 2) = %v, want %v", got, want)
	}
}

// recorder collects a check's failures instead of failing the test.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(f string, a ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(f, a...))
}
func (r *recorder) Fatalf(f string, a ...any) { r.Errorf(f, a...); runtime.Goexit() }
func (r *recorder) Fatal(a ...any)            { r.msgs = append(r.msgs, fmt.Sprint(a...)); runtime.Goexit() }

func runCheck(t *testing.T, c gradCase) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(r, c)
	}()
	<-done
	return r.msgs
}

// elemOp is a test Op on band storage: y = scale·x, whose SymDiff returns
// bad(dy) through elemGradOp, with the padding mask at hand.
type elemOp struct {
	scale float64
	bad   func(x, dy []float64, keep []bool) []float64
	shape tensor.Shape
	dt    tensor.Dtype
	keep  []bool
	tag   string
}

func (op *elemOp) Arity() int { return 1 }
func (op *elemOp) Type() hm.Type {
	return hm.NewFnType(gorgonia.TensorType{Dims: 3, Of: op.dt}, gorgonia.TensorType{Dims: 3, Of: op.dt})
}
func (op *elemOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}
func (op *elemOp) ReturnsPtr() bool      { return false }
func (op *elemOp) CallsExtern() bool     { return false }
func (op *elemOp) OverwritesInput() int  { return -1 }
func (op *elemOp) String() string        { return "elem" + op.tag }
func (op *elemOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op *elemOp) Hashcode() uint32      { return hashOf(op) }
func (op *elemOp) DiffWRT(int) []bool    { return []bool{true} }
func (op *elemOp) Do(v ...gorgonia.Value) (gorgonia.Value, error) {
	x, err := floats(v[0], op.dt, op.shape)
	if err != nil {
		return nil, err
	}
	for i := range x {
		x[i] *= op.scale
	}
	return toTensor(op.dt, op.shape, x), nil
}
func (op *elemOp) SymDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	g, err := gorgonia.ApplyOp(&elemGradOp{op}, in[0], grad)
	return gorgonia.Nodes{g}, err
}

type elemGradOp struct{ f *elemOp }

func (op *elemGradOp) Arity() int { return 2 }
func (op *elemGradOp) Type() hm.Type {
	t := func() hm.Type { return gorgonia.TensorType{Dims: 3, Of: op.f.dt} }
	return hm.NewFnType(t(), t(), t())
}
func (op *elemGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.f.shape.Clone(), nil
}
func (op *elemGradOp) ReturnsPtr() bool      { return false }
func (op *elemGradOp) CallsExtern() bool     { return false }
func (op *elemGradOp) OverwritesInput() int  { return -1 }
func (op *elemGradOp) String() string        { return "elemGrad" + op.f.tag }
func (op *elemGradOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op *elemGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *elemGradOp) Do(v ...gorgonia.Value) (gorgonia.Value, error) {
	x, err := floats(v[0], op.f.dt, op.f.shape)
	if err != nil {
		return nil, err
	}
	dy, err := floats(v[1], op.f.dt, op.f.shape)
	if err != nil {
		return nil, err
	}
	return toTensor(op.f.dt, op.f.shape, op.f.bad(x, dy, op.f.keep)), nil
}

func TestCheckerCatches(t *testing.T) {
	calls := 0
	for _, c := range []struct {
		name string
		bwd  func(x, dy []float64, keep []bool) []float64
		want string // "" for a correct gradient
	}{
		{"correct", func(x, dy []float64, keep []bool) []float64 {
			g := make([]float64, len(dy))
			for i := range g {
				if keep[i] {
					g[i] = 2 * dy[i]
				}
			}
			return g
		}, ""},
		{"wrong value", func(x, dy []float64, keep []bool) []float64 {
			g := make([]float64, len(dy))
			for i := range g {
				if keep[i] {
					g[i] = dy[i]
				}
			}
			return g
		}, "finite differences"},
		{"padding", func(x, dy []float64, keep []bool) []float64 {
			g := make([]float64, len(dy))
			for i := range g {
				g[i] = 2 * dy[i]
				if !keep[i] {
					g[i] = 1
				}
			}
			return g
		}, "padding"},
		{"accumulates", func(x, dy []float64, keep []bool) []float64 {
			calls++
			g := make([]float64, len(dy))
			for i := range g {
				if keep[i] {
					g[i] = 2*dy[i] + float64(calls)
				}
			}
			return g
		}, "changed between runs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 5))
			in := band(rng, 0, "A", 2, 4, 1, 2, 0)
			msgs := runCheck(t, gradCase{
				name: "meta/" + c.name,
				in:   []operand{in},
				f: func(a []arg) (output, error) {
					op := &elemOp{scale: 2, bad: c.bwd, shape: in.shape, dt: a[0].N.Dtype(), keep: in.slots(), tag: c.name + a[0].N.Dtype().String()}
					n, err := gorgonia.ApplyOp(op, a[0].N)
					if err != nil {
						return output{}, err
					}
					return output{node: n, keep: in.slots()}, nil
				},
			})
			joined := strings.Join(msgs, "\n")
			if c.want == "" && len(msgs) > 0 {
				t.Errorf("correct gradient rejected:\n%s", joined)
			}
			if c.want != "" && !strings.Contains(joined, c.want) {
				t.Errorf("want a failure mentioning %q, got:\n%s", c.want, joined)
			}
		})
	}
}
