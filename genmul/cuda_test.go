//go:build cuda

package genmul

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/genband/genband/internal/cudatest"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// These tests need a GPU (a cuda-tagged binary exits at start-up without
// one). TestCUDAOps builds graphs with the public API (each product with
// gorgonia.Grad, and LogMatMulGradNode differentiated again), evaluates
// them on the CPU with every Op's Do, then runs every genmul Op of the
// graphs alone on the GPU (its CUDADo, through a TapeMachine) on the CPU
// values of its inputs, and compares. TestCUDAGraph runs whole graphs on
// the GPU against the eager functions.

var cudaShapes = [][4]int{{1, 1, 1, 1}, {2, 3, 17, 5}, {1, 70, 33, 65}, {2, 130, 20, 129}}

func cudaGraphs(t *testing.T, rng *rand.Rand, dt tensor.Dtype, s [4]int) map[string]*gorgonia.ExprGraph {
	batch, n, k, m := s[0], s[1], s[2], s[3]
	out := map[string]*gorgonia.ExprGraph{}
	for _, p := range products {
		g := gorgonia.NewGraph()
		r := newRefCase(rng, p, dt, batch, n, k, m, true)
		a, b := r.tensors()
		na := gorgonia.NodeFromAny(g, a, gorgonia.WithName("A"))
		nb := gorgonia.NodeFromAny(g, b, gorgonia.WithName("B"))
		var c *gorgonia.Node
		var err error
		switch p {
		case logProd:
			c, err = LogMatMulNode(na, nb)
		case maxProd:
			c, err = MaxMatMulNode(na, nb)
		case prodMaxProd:
			c, err = ProdMaxMatMulNode(na, nb)
		case sampleProd:
			c, err = SampleMatMulNode(na, nb, rand.NewPCG(1, 2))
		}
		if err != nil {
			t.Fatal(err)
		}
		w := gorgonia.NewConstant(toDense(dt, []int{batch, n, m}, upstream(rng, dt, batch*n*m)))
		cost := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(c, w))))
		if _, err := gorgonia.Grad(cost, na, nb); err != nil {
			t.Fatal(err)
		}
		out[p.String()] = g
	}
	// Second derivatives: a cost of LogMatMulGradNode's dA and dB.
	g := gorgonia.NewGraph()
	r := newRefCase(rng, logProd, dt, batch, n, k, m, true)
	a, b := r.tensors()
	na := gorgonia.NodeFromAny(g, a, gorgonia.WithName("A"))
	nb := gorgonia.NodeFromAny(g, b, gorgonia.WithName("B"))
	ndc := gorgonia.NodeFromAny(g, toDense(dt, []int{batch, n, m}, upstream(rng, dt, batch*n*m)), gorgonia.WithName("dC"))
	da, db, err := LogMatMulGradNode(na, nb, ndc)
	if err != nil {
		t.Fatal(err)
	}
	cost := gorgonia.Must(gorgonia.Add(gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Square(da)))), gorgonia.Must(gorgonia.Sum(db))))
	if _, err := gorgonia.Grad(cost, na, nb, ndc); err != nil {
		t.Fatal(err)
	}
	out["LogMatMulGradNode"] = g
	return out
}

func cudaTol(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 1e-4
	}
	return 1e-10
}

// cudaClose compares two float tensors to tol, or two int32 selections
// allowing up to allowed differences.
func cudaClose(got, want gorgonia.Value, tol float64, allowed int) string {
	if !got.Shape().Eq(want.Shape()) || got.Dtype() != want.Dtype() {
		return fmt.Sprintf("got %v %v, want %v %v", got.Shape(), got.Dtype(), want.Shape(), want.Dtype())
	}
	if ws, ok := want.Data().([]int32); ok {
		gs := got.Data().([]int32)
		diff := 0
		for i := range ws {
			if gs[i] != ws[i] {
				diff++
			}
		}
		if diff > allowed {
			return fmt.Sprintf("%d of %d selections differ", diff, len(ws))
		}
		return ""
	}
	if err := compare(cudatest.Floats(got), cudatest.Floats(want), tol); err != nil {
		return err.Error()
	}
	return ""
}

// cudaGraphRun is graphRun on the GPU: cost = Σ W ⊙ f(A, B), gradients by
// gorgonia.Grad, the values read back with gorgonia.Read.
func cudaGraphRun(t *testing.T, f func(a, b *gorgonia.Node) (*gorgonia.Node, error), a, b, w *tensor.Dense) (c, da, db []float64) {
	t.Helper()
	g := gorgonia.NewGraph()
	na := gorgonia.NodeFromAny(g, a.Clone(), gorgonia.WithName("A"))
	nb := gorgonia.NodeFromAny(g, b.Clone(), gorgonia.WithName("B"))
	nw := gorgonia.NewConstant(w.Clone(), gorgonia.WithName("W"))
	nc, err := f(na, nb)
	if err != nil {
		t.Fatal(err)
	}
	cost := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(nc, nw))))
	gs, err := gorgonia.Grad(cost, na, nb)
	if err != nil {
		t.Fatal(err)
	}
	var vc, va, vb gorgonia.Value
	gorgonia.Read(nc, &vc)
	gorgonia.Read(gs[0], &va)
	gorgonia.Read(gs[1], &vb)
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if vc == nil || va == nil || vb == nil {
		t.Fatal("nothing read back")
	}
	return cudatest.Floats(vc), cudatest.Floats(va), cudatest.Floats(vb)
}

func TestCUDAOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	seen := map[string]bool{}
	for _, dt := range dtypes {
		for _, s := range cudaShapes {
			for name, g := range cudaGraphs(t, rng, dt, s) {
				t.Run(fmt.Sprintf("%s/%v/%v", name, dt, s), func(t *testing.T) {
					vals, err := cudatest.CPUEval(g)
					if err != nil {
						t.Fatal(err)
					}
					var ops []gorgonia.Op
					var ins [][]gorgonia.Value
					var want []gorgonia.Value
					for _, n := range g.AllNodes() {
						op := n.Op()
						if op == nil || !strings.HasPrefix(op.String(), "genmul.") {
							continue
						}
						if _, ok := op.(gorgonia.CUDADoer); !ok {
							t.Errorf("%v is not a gorgonia.CUDADoer", op)
							continue
						}
						seen[fmt.Sprintf("%T", op)] = true
						var in []gorgonia.Value
						for _, c := range cudatest.Children(n) {
							in = append(in, vals[c])
						}
						w := vals[n]
						if dr, ok := op.(*drawOp); ok {
							// The same seed on both sides.
							cpu := &drawOp{d: dr.d, sample: newSampler(rand.NewPCG(5, 5))}
							var err error
							if w, err = cpu.Do(in...); err != nil {
								t.Fatal(err)
							}
							op = &drawOp{d: dr.d, sample: newSampler(rand.NewPCG(5, 5))}
						}
						ops, ins, want = append(ops, op), append(ins, in), append(want, w)
					}
					got, err := cudatest.Apply(ops, ins)
					if err != nil {
						t.Fatalf("on the GPU: %v", err)
					}
					for k, op := range ops {
						allowed := 0
						if _, ok := op.(*drawOp); ok {
							allowed = max(1, want[k].Shape().TotalSize()/200)
						}
						if d := cudaClose(got[k], want[k], cudaTol(dt), allowed); d != "" {
							t.Errorf("%v: %s", op, d)
						}
					}
				})
			}
		}
	}
	for _, op := range []gorgonia.Op{(*fwdOp)(nil), (*logGradBothOp)(nil), (*partOp)(nil), (*logGradOp)(nil), (*logGrad2Op)(nil), (*logExpectOp)(nil), (*selectOp)(nil), (*drawOp)(nil), (*routeOp)(nil)} {
		if !seen[fmt.Sprintf("%T", op)] {
			t.Errorf("no graph tested %T", op)
		}
	}
}

// TestCUDAGraph runs each product's forward and gradient graph on the GPU
// (every genmul Op by its CUDADo) and compares with the eager CPU
// functions; Sample's draws are checked for mass: Σ dA and Σ dB equal Σ dC
// over outputs that are not −Inf.
func TestCUDAGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, p := range products {
		for _, dt := range dtypes {
			r := newRefCase(rng, p, dt, 3, 40, 50, 60, true)
			a, b := r.tensors()
			w := toDense(dt, []int{3, 40, 60}, upstream(rng, dt, 3*40*60))
			var f func(a, b *gorgonia.Node) (*gorgonia.Node, error)
			switch p {
			case logProd:
				f = LogMatMulNode
			case maxProd:
				f = MaxMatMulNode
			case prodMaxProd:
				f = ProdMaxMatMulNode
			case sampleProd:
				f = func(a, b *gorgonia.Node) (*gorgonia.Node, error) { return SampleMatMulNode(a, b, rand.NewPCG(3, 4)) }
			}
			c, da, db := cudaGraphRun(t, f, a, b, w)
			wantC, err := eagerFn(p)(a, b)
			if err != nil {
				t.Fatal(err)
			}
			if err := compare(c, floats(t, wantC), cudaTol(dt)); err != nil {
				t.Errorf("%v %v: C %v", p, dt, err)
			}
			if p == sampleProd {
				checkSampled(t, r, floats(t, wantC), floats(t, w), da, db)
				continue
			}
			wa, wb, err := gradFn(p)(a, b, w)
			if err != nil {
				t.Fatal(err)
			}
			if err := compare(da, floats(t, wa), cudaTol(dt)); err != nil {
				t.Errorf("%v %v: dA %v", p, dt, err)
			}
			if err := compare(db, floats(t, wb), cudaTol(dt)); err != nil {
				t.Errorf("%v %v: dB %v", p, dt, err)
			}
		}
	}
}
