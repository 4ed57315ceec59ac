//go:build cuda

package align

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/internal/cudatest"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// These tests need a GPU: a cuda-tagged binary exits at start-up without
// one (build/gpu/run.sh runs them). TestCUDAAlignOps runs every Op of an
// alignment graph, forward and backward, alone on the GPU on the CPU's
// inputs; TestCUDAAlignGraph runs a whole graph — θ and the lengths to log
// Z and the marginals by gorgonia.Grad, as a Program does — in one
// TapeMachine on the GPU, twice with other potentials and lengths.
//
// Under the cuda tag every Op of the Linear graph is a CUDADoer, so a
// TapeMachine runs them all on the GPU: the CPU reference here calls each
// Op's Do directly (cudaCPUEval).

// cudaAlignModels are the models of the GPU tests: every semiring, global,
// local and semi-global, with and without a gap.
func cudaAlignModels() []Model {
	var ms []Model
	for _, s := range []bandop.Semiring{Real, Log, Max} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 1} {
				m := Model{Semiring: s, Mode: mode}
				if gap >= 0 {
					m.Gapped, m.MaxGap = true, gap
				}
				ms = append(ms, m)
			}
		}
	}
	return ms
}

// cudaProblem is θ and ragged lengths for model m, with NaN past the
// lengths (and, for Max, distinct scores: the best path is unique, so that
// the GPU's order of the local sums cannot pick another on a tie).
func cudaProblem(rng *rand.Rand, m Model, dt tensor.Dtype, batch, n, mm int) (*tensor.Dense, *tensor.Dense) {
	p := randomProblem(rng, batch, n, mm, true)
	for x := range p.theta {
		if m.Semiring == Real {
			p.theta[x] = 0.5 + rng.Float64()
		}
	}
	th := p.tensor(tensor.Float64)
	poisonPast(th, p)
	lv, err := Lengths(p.lenX, p.lenY)
	if err != nil {
		panic(err)
	}
	if dt == tensor.Float32 {
		return cudaFloat32(th), lv
	}
	return th, lv
}

// cudaFloat32 converts th (float64) to float32.
func cudaFloat32(th *tensor.Dense) *tensor.Dense {
	d := th.Data().([]float64)
	f := make([]float32, len(d))
	for i, x := range d {
		f[i] = float32(x)
	}
	return tensor.New(tensor.WithShape(th.Shape()...), tensor.WithBacking(f))
}

// cudaAlignGraph is an alignment graph: θ and the lengths as inputs, log Z
// (of dtype zdt) through the Linear strategy's builder, the cost Σ log Z
// and its gradient with respect to θ.
type cudaAlignGraph struct {
	g             *gorgonia.ExprGraph
	theta, length *gorgonia.Node
	z, cost, grad *gorgonia.Node
}

func newCUDAAlignGraph(t testing.TB, m Model, th, lv *tensor.Dense, zdt tensor.Dtype) cudaAlignGraph {
	var c cudaAlignGraph
	c.g = gorgonia.NewGraph()
	c.theta = gorgonia.NewTensor(c.g, th.Dtype(), 4, gorgonia.WithShape(th.Shape()...), gorgonia.WithValue(th), gorgonia.WithName("theta"))
	c.length = gorgonia.NewTensor(c.g, tensor.Int, 2, gorgonia.WithShape(lv.Shape()...), gorgonia.WithValue(lv), gorgonia.WithName("lengths"))
	gr, err := newGrid("test", m, th.Shape())
	if err != nil {
		t.Fatal(err)
	}
	if c.z, err = gr.logPartition("test", c.theta, c.length, zdt); err != nil {
		t.Fatal(err)
	}
	if c.cost, err = gorgonia.Sum(c.z); err != nil {
		t.Fatal(err)
	}
	grads, err := gorgonia.Grad(c.cost, c.theta)
	if err != nil {
		t.Fatal(err)
	}
	c.grad = grads[0]
	return c
}

func cudaAlignTol(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 2e-4
	}
	return 1e-9
}

// cudaAlignOpTypes are the Op types TestCUDAAlignOps must run on the GPU.
var cudaAlignOpTypes = []gorgonia.Op{(*cellsOp)(nil), (*cellsGradOp)(nil), (*endOp)(nil), (*endGradOp)(nil)}

// TestCUDAAlignOps runs every align and bandop Op of alignment graphs
// (LogPartitionLengths, log Z in θ's dtype, and its gradient) on the GPU on
// the CPU's values of its inputs and compares it with its CPU Do: every
// model of cudaAlignModels, both dtypes, N < M and N > M, ragged lengths
// with NaN past them. The cells' gradient on the GPU computes its weights
// again; on the CPU it takes those its forward kept.
func TestCUDAAlignOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	shapes := [][3]int{{3, 5, 7}, {4, 9, 4}}
	seen := map[string]bool{}
	for _, m := range cudaAlignModels() {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			for _, sh := range shapes {
				t.Run(emuName(m, dt, sh), func(t *testing.T) {
					th, lv := cudaProblem(rng, m, dt, sh[0], sh[1], sh[2])
					c := newCUDAAlignGraph(t, m, th, lv, dt)
					vals, err := cudatest.CPUEval(c.g)
					if err != nil {
						t.Fatal(err)
					}
					var ops []gorgonia.Op
					var ins [][]gorgonia.Value
					var want []gorgonia.Value
					for _, n := range c.g.AllNodes() {
						op := n.Op()
						if op == nil || !(strings.HasPrefix(op.String(), "align.") || strings.HasPrefix(op.String(), "bandop.")) {
							continue
						}
						if _, ok := op.(gorgonia.CUDADoer); !ok {
							t.Errorf("%v is not a gorgonia.CUDADoer", op)
							continue
						}
						seen[fmt.Sprintf("%T", op)] = true
						var in []gorgonia.Value
						for _, ch := range cudatest.Children(n) {
							in = append(in, vals[ch])
						}
						ops, ins, want = append(ops, op), append(ins, in), append(want, vals[n])
					}
					got, err := cudatest.Apply(ops, ins)
					if err != nil {
						t.Fatalf("on the GPU: %v", err)
					}
					for k, op := range ops {
						if d := cudatest.Compare(got[k], want[k], cudaAlignTol(dt)); d != "" {
							t.Errorf("%v: GPU and CPU differ: %s", op, d)
						}
					}
				})
			}
		}
	}
	if f := flag.Lookup("test.run"); f != nil && strings.Contains(f.Value.String(), "/") {
		return
	}
	for _, op := range cudaAlignOpTypes {
		if name := fmt.Sprintf("%T", op); !seen[name] {
			t.Errorf("no graph ran %s on the GPU", name)
		}
	}
	t.Logf("Op types run on the GPU: %v", seen)
}

// TestCUDAAlignGraph runs the graph of a Program — θ and the lengths as
// inputs, log Z in float64, gorgonia.Grad of Σ log Z — in one TapeMachine
// on the GPU, for every model of cudaAlignModels and both dtypes, then
// again on other potentials and lengths bound with gorgonia.Let (the graph
// and its machine built once), and compares log Z and the marginals with
// the CPU's Do of every Op.
func TestCUDAAlignGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 82))
	const batch, n, mm = 5, 8, 11
	for _, m := range cudaAlignModels() {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			t.Run(fmt.Sprintf("%v/%v", m, dt), func(t *testing.T) {
				th, lv := cudaProblem(rng, m, dt, batch, n, mm)
				c := newCUDAAlignGraph(t, m, th, lv, tensor.Float64)
				var gotZ, gotGrad gorgonia.Value
				gorgonia.Read(c.z, &gotZ)
				gorgonia.Read(c.grad, &gotGrad)
				vm := gorgonia.NewTapeMachine(c.g)
				defer vm.Close()
				for run := range 2 {
					if run > 0 {
						th, lv = cudaProblem(rng, m, dt, batch, n, mm)
						if err := gorgonia.Let(c.theta, th); err != nil {
							t.Fatal(err)
						}
						if err := gorgonia.Let(c.length, lv); err != nil {
							t.Fatal(err)
						}
					}
					want, err := cudatest.CPUEval(c.g)
					if err != nil {
						t.Fatal(err)
					}
					gotZ, gotGrad = nil, nil
					vm.Reset()
					if err := vm.RunAll(); err != nil {
						t.Fatalf("run %d: %v", run, err)
					}
					if gotZ == nil || gotGrad == nil {
						t.Fatalf("run %d: log Z or the marginals not read back", run)
					}
					if d := cudatest.Compare(gotZ, want[c.z], 1e-9); d != "" {
						t.Errorf("run %d: log Z: GPU and CPU differ: %s", run, d)
					}
					if d := cudatest.Compare(gotGrad, want[c.grad], cudaAlignTol(dt)); d != "" {
						t.Errorf("run %d: marginals: GPU and CPU differ: %s", run, d)
					}
					if marg := float64s(gotGrad); m.Semiring != Real {
						for k, x := range marg {
							if !(x >= -1e-4 && x <= 1+1e-4) {
								t.Fatalf("run %d: marginal %d = %v, outside [0, 1]", run, k, x)
							}
						}
					}
				}
			})
		}
	}
}

// TestCUDACellsGradPastSharedMemory: past cudaops.AlignCellsMaxRows rows
// an anti-diagonal, where the gradients the cells' backward keeps no longer
// fit in shared memory, the GPU's gradient keeps them in scratch device
// memory: it runs, and gives the CPU's gradient, for ragged lengths with
// NaN past them, both dtypes, a full lattice (global Log) and a band
// (local Max with a gap), N > M and N < M; and small shapes with the
// scratch forced (cellsGradScratch), on which the shared memory way is
// also run and must agree bit for bit. Only the gradient runs on the GPU,
// on the CPU's values of its inputs.
func TestCUDACellsGradPastSharedMemory(t *testing.T) {
	const r = cudaops.AlignCellsMaxRows + 1
	rng := rand.New(rand.NewPCG(73, 74))
	for _, c := range []struct {
		m     Model
		dt    tensor.Dtype
		shape [3]int
		force bool
	}{
		{Model{Semiring: Log}, tensor.Float64, [3]int{2, r + 7, r}, false},
		{Model{Semiring: Max, Mode: Local, Gapped: true, MaxGap: 3}, tensor.Float32, [3]int{1, r, r + 40}, false},
		{Model{Semiring: Real, Mode: SemiGlobal}, tensor.Float64, [3]int{3, 5, 7}, true},
		{Model{Semiring: Log, Mode: Local, Gapped: true, MaxGap: 1}, tensor.Float32, [3]int{4, 9, 4}, true},
	} {
		t.Run(emuName(c.m, c.dt, c.shape), func(t *testing.T) {
			if !c.force && min(c.shape[1], c.shape[2]) <= cudaops.AlignCellsMaxRows {
				t.Fatalf("shape %v fits in shared memory (AlignCellsMaxRows %d)", c.shape, cudaops.AlignCellsMaxRows)
			}
			th, lv := cudaProblem(rng, c.m, c.dt, c.shape[0], c.shape[1], c.shape[2])
			gr := newCUDAAlignGraph(t, c.m, th, lv, c.dt)
			vals, err := cudatest.CPUEval(gr.g)
			if err != nil {
				t.Fatal(err)
			}
			var ops []gorgonia.Op
			var ins [][]gorgonia.Value
			var want []gorgonia.Value
			for _, n := range gr.g.AllNodes() {
				if _, ok := n.Op().(*cellsGradOp); !ok {
					continue
				}
				var in []gorgonia.Value
				for _, ch := range cudatest.Children(n) {
					in = append(in, vals[ch])
				}
				ops, ins, want = append(ops, n.Op()), append(ins, in), append(want, vals[n])
			}
			if len(ops) != 1 {
				t.Fatalf("the graph has %d cells' gradients, want 1", len(ops))
			}
			cellsGradScratch = c.force
			got, err := cudatest.Apply(ops, ins)
			cellsGradScratch = false
			if err != nil {
				t.Fatalf("on the GPU: %v", err)
			}
			if d := cudatest.Compare(got[0], want[0], cudaAlignTol(c.dt)); d != "" {
				t.Errorf("GPU and CPU differ: %s", d)
			}
			if c.force {
				shared, err := cudatest.Apply(ops, ins)
				if err != nil {
					t.Fatalf("on the GPU, in shared memory: %v", err)
				}
				if d := cudatest.Compare(got[0], shared[0], 0); d != "" {
					t.Errorf("scratch and shared memory differ: %s", d)
				}
			}
			nonzero := 0
			for _, x := range cudatest.Floats(got[0]) {
				if x != 0 {
					nonzero++
				}
			}
			if nonzero == 0 {
				t.Error("the gradient is 0 everywhere: the test compares nothing")
			}
		})
	}
}
