//go:build cuda

package bandop

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/genband/genband/internal/cudatest"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// These tests need a GPU: a cuda-tagged binary exits at start-up without
// one. Each builds a graph with the public API (forward ops, a scalar cost,
// gorgonia.Grad), evaluates it on the CPU with every Op's Do, then runs
// every bandop Op of the graph, forward and backward, alone on the GPU
// (its CUDADo, through a TapeMachine) on the CPU values of its inputs, and
// compares. TestCUDAGraph runs a whole graph on the GPU.

// cudaGraph is a graph to test: its cost and the inputs it is
// differentiated with respect to.
type cudaGraph struct {
	name string
	g    *gorgonia.ExprGraph
	cost *gorgonia.Node
	wrt  gorgonia.Nodes
}

// cudaBuilders make the graphs whose ops are tested; each uses one op
// family and a cost that reaches every output entry.
var cudaBuilders = []struct {
	name  string
	build func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph
}{
	{"Mul", func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph {
		g := gorgonia.NewGraph()
		a := cudaInput(t, g, rng, s, dt, batch, n, 2, 1, "A")
		b := cudaInput(t, g, rng, s, dt, batch, n, 0, 3, "B")
		c := must(Mul(a, b, s))
		return cudaGraph{g: g, cost: cudaCost(t, c, s), wrt: gorgonia.Nodes{a.Node, b.Node}}
	}},
	{"MulNegativeBands", func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph {
		g := gorgonia.NewGraph()
		a := cudaInput(t, g, rng, s, dt, batch, n, -1, 3, "A")
		b := cudaInput(t, g, rng, s, dt, batch, n, 4, -2, "B")
		c := must(Mul(a, b, s))
		return cudaGraph{g: g, cost: cudaCost(t, c, s), wrt: gorgonia.Nodes{a.Node, b.Node}}
	}},
	{"DenseRoundTrip", func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph {
		g := gorgonia.NewGraph()
		a := cudaInput(t, g, rng, s, dt, batch, n, 1, 2, "A")
		d := must(ToDense(a))
		b := must(FromDenseNode(d, 2, 0, a.Fill()))
		return cudaGraph{g: g, cost: cudaCost(t, b, s), wrt: gorgonia.Nodes{a.Node}}
	}},
	{"PlusTimes", func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph {
		g := gorgonia.NewGraph()
		a := cudaInput(t, g, rng, s, dt, batch, n, 1, 2, "A")
		b := cudaInput(t, g, rng, s, dt, batch, n, 3, 0, "B")
		c := cudaInput(t, g, rng, s, dt, batch, n, 2, 2, "C")
		p := must(Plus(a, b, s))
		q := must(Times(p, c, s))
		return cudaGraph{g: g, cost: cudaCost(t, q, s), wrt: gorgonia.Nodes{a.Node, b.Node, c.Node}}
	}},
	{"VecMulMulVec", func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph {
		g := gorgonia.NewGraph()
		a := cudaInput(t, g, rng, s, dt, batch, n, 2, 1, "A")
		v := cudaVector(g, rng, dt, batch, n, "v")
		w := cudaVector(g, rng, dt, batch, n, "w")
		r := must(VecMul(v, a, s))
		q := must(MulVec(a, w, s))
		rq := gorgonia.Must(gorgonia.Add(gorgonia.Must(gorgonia.Sum(r)), gorgonia.Must(gorgonia.Sum(q))))
		return cudaGraph{g: g, cost: rq, wrt: gorgonia.Nodes{a.Node, v, w}}
	}},
	{"Transpose", func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph {
		g := gorgonia.NewGraph()
		a := cudaInput(t, g, rng, s, dt, batch, n, 2, -1, "A")
		c := must(Transpose(a))
		return cudaGraph{g: g, cost: cudaCost(t, c, s), wrt: gorgonia.Nodes{a.Node}}
	}},
	{"Reband", func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph {
		// Drops A's upper diagonals and adds lower ones of fill.
		g := gorgonia.NewGraph()
		a := cudaInput(t, g, rng, s, dt, batch, n, 1, 2, "A")
		c := must(Reband(a, 3, 0))
		return cudaGraph{g: g, cost: cudaCost(t, c, s), wrt: gorgonia.Nodes{a.Node}}
	}},
	{"RowShift", func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph {
		g := gorgonia.NewGraph()
		a := cudaInput(t, g, rng, s, dt, batch, n, 1, 2, "A")
		b := cudaInput(t, g, rng, s, dt, batch, n, 0, 1, "B")
		c := must(Plus(must(RowShift(a, 2)), must(RowShift(b, -1)), s))
		return cudaGraph{g: g, cost: cudaCost(t, c, s), wrt: gorgonia.Nodes{a.Node, b.Node}}
	}},
	{"ColShift", func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph {
		g := gorgonia.NewGraph()
		a := cudaInput(t, g, rng, s, dt, batch, n, 1, 2, "A")
		b := cudaInput(t, g, rng, s, dt, batch, n, 2, 0, "B")
		c := must(Plus(must(ColShift(a, 1)), must(ColShift(b, -2)), s))
		return cudaGraph{g: g, cost: cudaCost(t, c, s), wrt: gorgonia.Nodes{a.Node, b.Node}}
	}},
	{"Gather", func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph {
		// A map that reads some inputs several times, some never, and two
		// constants; its gradient is the scatter.
		g := gorgonia.NewGraph()
		x := cudaVector(g, rng, dt, batch, n, "x")
		m := &GatherMap{In: tensor.Shape{batch, n}, Out: tensor.Shape{batch*n + 3}, Consts: []float64{0, 1.5}}
		m.Index = make([]int32, batch*n+3)
		for e := range m.Index {
			m.Index[e] = int32(rng.IntN(batch*n+2)) - 2
		}
		y := must(Gather(x, m))
		return cudaGraph{g: g, cost: gorgonia.Must(gorgonia.Sum(y)), wrt: gorgonia.Nodes{x}}
	}},
	{"Scan", func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph {
		// Three steps of batch items: the window holds every row of the
		// first step, the rows from n/3 of the second, none of the third.
		const steps = 3
		g := gorgonia.NewGraph()
		a := cudaInput(t, g, rng, s, dt, steps*batch, n, 1, 2, "A")
		v := cudaVector(g, rng, dt, batch, n, "v0")
		w := &Window{Lo: []int{0, n / 3, n / 2}, Hi: []int{n, n, n / 2}}
		last := must(Scan(v, a, s, w))
		return cudaGraph{g: g, cost: gorgonia.Must(gorgonia.Sum(last)), wrt: gorgonia.Nodes{a.Node, v}}
	}},
	{"ScanStates", func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph {
		// Every state reaches the cost, through a band off the diagonal.
		const steps = 2
		g := gorgonia.NewGraph()
		a := cudaInput(t, g, rng, s, dt, steps*batch, n, -1, 2, "A")
		v := cudaVector(g, rng, dt, batch, n, "v0")
		states := must(ScanStates(v, a, s, nil))
		return cudaGraph{g: g, cost: gorgonia.Must(gorgonia.Sum(states)), wrt: gorgonia.Nodes{a.Node, v}}
	}},
	{"SumMulTransposeRowShift", func(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) cudaGraph {
		// Sum(Mul(Transpose(A), RowShift(B, 1))): the shape ops' gradients
		// flow through Mul's backward Ops.
		g := gorgonia.NewGraph()
		a := cudaInput(t, g, rng, s, dt, batch, n, 1, 2, "A")
		b := cudaInput(t, g, rng, s, dt, batch, n, 2, 1, "B")
		c := must(Mul(must(Transpose(a)), must(RowShift(b, 1)), s))
		return cudaGraph{g: g, cost: cudaCost(t, c, s), wrt: gorgonia.Nodes{a.Node, b.Node}}
	}},
}

// cudaOpTypes are the Op types that TestCUDAOps must run on the GPU.
var cudaOpTypes = []gorgonia.Op{
	&binOp{spec: mulSpec}, &binGradOp{binOp: binOp{spec: mulSpec}},
	(*vecOp)(nil), (*vecGradOp)(nil),
	&binOp{spec: plusSpec}, &binGradOp{binOp: binOp{spec: plusSpec}},
	&binOp{spec: timesSpec}, &binGradOp{binOp: binOp{spec: timesSpec}},
	(*sumOp)(nil), (*sumGradOp)(nil),
	(*fromDenseOp)(nil), (*toDenseOp)(nil),
	(*transposeOp)(nil), (*shiftOp)(nil),
	(*gatherOp)(nil),
	(*scanOp)(nil), (*scanGradOp)(nil), (*scanLastOp)(nil), (*scanLastGradOp)(nil),
}

// cudaInput is a random banded input node with NaN in its padding.
func cudaInput(t *testing.T, g *gorgonia.ExprGraph, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n, lower, upper int, name string) *Node {
	a := randomFor(t, rng, s, dt, batch, n, lower, upper)
	node, err := NewNode(g, a, name)
	if err != nil {
		t.Fatal(err)
	}
	return node
}

func cudaVector(g *gorgonia.ExprGraph, rng *rand.Rand, dt tensor.Dtype, batch, n int, name string) *gorgonia.Node {
	v := newDense(dt, tensor.Shape{batch, n}, 0)
	for i := 0; i < batch*n; i++ {
		x := rng.Float64()*4 - 2
		if dt == tensor.Float32 {
			v.Data().([]float32)[i] = float32(x)
		} else {
			v.Data().([]float64)[i] = x
		}
	}
	return gorgonia.NewMatrix(g, dt, gorgonia.WithShape(batch, n), gorgonia.WithValue(v), gorgonia.WithName(name))
}

// cudaCost is the scalar Σ_b Sum(c)[b]: it reaches every in-band entry of c.
func cudaCost(t *testing.T, c *Node, s Semiring) *gorgonia.Node {
	r, err := Sum(c, s)
	if err != nil {
		t.Fatal(err)
	}
	return gorgonia.Must(gorgonia.Sum(r))
}

// cudaOpKind names op's Go type, and for the two-operand Ops, which share
// their types, the op they compute.
func cudaOpKind(op gorgonia.Op) string {
	switch o := op.(type) {
	case *binOp:
		return "binOp/" + o.spec.name
	case *binGradOp:
		return "binGradOp/" + o.spec.name
	}
	return fmt.Sprintf("%T", op)
}

func isBandop(op gorgonia.Op) bool {
	return op != nil && strings.HasPrefix(op.String(), "bandop.")
}

// TestCUDAOps runs every forward and backward bandop Op of the graphs of
// cudaBuilders on the GPU and compares it with its CPU Do, for every
// semiring, both dtypes, and shapes from n = 1 to a batch of 70 (more rows
// than one block). Each Op must be a gorgonia.CUDADoer.
func TestCUDAOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := [][2]int{{1, 1}, {3, 37}, {70, 9}, {2, 300}}
	if testing.Short() {
		shapes = [][2]int{{3, 37}}
	}
	seen := make(map[string]bool)
	for _, bld := range cudaBuilders {
		for _, s := range []Semiring{Real, Log, Max} {
			for _, dt := range dtypes {
				for _, sh := range shapes {
					name := fmt.Sprintf("%s/%v/%v/batch%d_n%d", bld.name, s, dt, sh[0], sh[1])
					t.Run(name, func(t *testing.T) {
						cg := bld.build(t, rng, s, dt, sh[0], sh[1])
						if _, err := gorgonia.Grad(cg.cost, cg.wrt...); err != nil {
							t.Fatal(err)
						}
						vals, err := cudatest.CPUEval(cg.g)
						if err != nil {
							t.Fatal(err)
						}
						var ops []gorgonia.Op
						var ins [][]gorgonia.Value
						var want []gorgonia.Value
						for _, n := range cg.g.AllNodes() {
							op := n.Op()
							if !isBandop(op) {
								continue
							}
							if _, ok := op.(gorgonia.CUDADoer); !ok {
								t.Errorf("%v is not a gorgonia.CUDADoer", op)
								continue
							}
							seen[cudaOpKind(op)] = true
							var in []gorgonia.Value
							for _, c := range cudatest.Children(n) {
								in = append(in, vals[c])
							}
							ops, ins, want = append(ops, op), append(ins, in), append(want, vals[n])
						}
						got, err := cudatest.Apply(ops, ins)
						if err != nil {
							t.Fatalf("on the GPU: %v", err)
						}
						for k, op := range ops {
							if d := cudatest.Compare(got[k], want[k], gpuTol(dt)); d != "" {
								t.Errorf("%v: GPU and CPU differ: %s", op, d)
							}
						}
					})
				}
			}
		}
	}
	// Every forward and backward Op type of the package must have been
	// among them: a builder that stops reaching an Op would otherwise go
	// unnoticed. (Not when -run picks subtests: then some graphs did not
	// run.)
	if f := flag.Lookup("test.run"); f != nil && strings.Contains(f.Value.String(), "/") {
		return
	}
	for _, op := range cudaOpTypes {
		if name := cudaOpKind(op); !seen[name] {
			t.Errorf("no graph of cudaBuilders ran %s on the GPU", name)
		}
	}
	t.Logf("Op types run on the GPU: %v", seen)
}

// TestCUDAGraph runs log Mul, Sum, gorgonia.Sum and Grad in one TapeMachine
// on the GPU and compares the cost and both gradients with the CPU.
func TestCUDAGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			g := gorgonia.NewGraph()
			a := cudaInput(t, g, rng, Log, dt, 4, 50, 3, 2, "A")
			b := cudaInput(t, g, rng, Log, dt, 4, 50, 1, 4, "B")
			c := must(Mul(a, b, Log))
			cost := cudaCost(t, c, Log)
			grads, err := gorgonia.Grad(cost, a.Node, b.Node)
			if err != nil {
				t.Fatal(err)
			}
			want, err := cudatest.CPUEval(g)
			if err != nil {
				t.Fatal(err)
			}
			var gotCost, gotA, gotB gorgonia.Value
			gorgonia.Read(cost, &gotCost)
			gorgonia.Read(grads[0], &gotA)
			gorgonia.Read(grads[1], &gotB)
			m := gorgonia.NewTapeMachine(g)
			defer m.Close()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			for _, x := range []struct {
				name      string
				got, want gorgonia.Value
			}{{"cost", gotCost, want[cost]}, {"dA", gotA, want[grads[0]]}, {"dB", gotB, want[grads[1]]}} {
				if x.got == nil {
					t.Errorf("%s: nothing read back", x.name)
					continue
				}
				if d := cudatest.Compare(x.got, x.want, gpuTol(dt)); d != "" {
					t.Errorf("%s: GPU and CPU differ: %s", x.name, d)
				}
			}
		})
	}
}
