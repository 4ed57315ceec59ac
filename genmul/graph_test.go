package genmul

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// graphRun builds cost = Σ W ⊙ f(A, B) on fresh nodes holding a and b (W
// holding w), differentiates it with respect to A and B, runs the graph
// runs times on one TapeMachine and returns C, dA and dB of every run.
func graphRun(t *testing.T, f func(a, b *gorgonia.Node) (*gorgonia.Node, error), a, b, w *tensor.Dense, runs int) (c, da, db []*tensor.Dense) {
	t.Helper()
	g := gorgonia.NewGraph()
	na := gorgonia.NodeFromAny(g, a.Clone(), gorgonia.WithName("A"))
	nb := gorgonia.NodeFromAny(g, b.Clone(), gorgonia.WithName("B"))
	nw := gorgonia.NewConstant(w.Clone(), gorgonia.WithName("W"))
	nc, err := f(na, nb)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := gorgonia.HadamardProd(nc, nw)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := gorgonia.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := gorgonia.Grad(cost, na, nb)
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	for range runs {
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		c = append(c, nc.Value().(*tensor.Dense).Clone().(*tensor.Dense))
		da = append(da, gs[0].Value().(*tensor.Dense).Clone().(*tensor.Dense))
		db = append(db, gs[1].Value().(*tensor.Dense).Clone().(*tensor.Dense))
		m.Reset()
	}
	return c, da, db
}

// TestGraph checks each product's node and its gradient by gorgonia.Grad
// against the eager functions, bit for bit, for both dtypes: for Sample
// with a source seeded like the eager call's, whose first draw the graph's
// first run must repeat, and whose later runs draw anew.
func TestGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, p := range products {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%v/%v", p, dt), func(t *testing.T) {
				r := newRefCase(rng, p, dt, 2, 5, 7, 6, true)
				a, b := r.tensors()
				w := toDense(dt, []int{2, 5, 6}, upstream(rng, dt, 2*5*6))
				a0, b0 := a.Clone().(*tensor.Dense), b.Clone().(*tensor.Dense)
				var f func(a, b *gorgonia.Node) (*gorgonia.Node, error)
				switch p {
				case logProd:
					f = LogMatMulNode
				case maxProd:
					f = MaxMatMulNode
				case prodMaxProd:
					f = ProdMaxMatMulNode
				case sampleProd:
					f = func(a, b *gorgonia.Node) (*gorgonia.Node, error) { return SampleMatMulNode(a, b, rand.NewPCG(11, 12)) }
				}
				runs := 1
				if p == sampleProd {
					runs = 3
				}
				c, da, db := graphRun(t, f, a, b, w, runs)
				wantC, err := eagerFn(p)(a, b)
				if err != nil {
					t.Fatal(err)
				}
				var wantA, wantB *tensor.Dense
				if p == sampleProd {
					wantA, wantB, err = SampleMatMulGrad(a, b, w, rand.NewPCG(11, 12))
				} else {
					wantA, wantB, err = gradFn(p)(a, b, w)
				}
				if err != nil {
					t.Fatal(err)
				}
				if !sameBits(c[0], wantC) || !sameBits(da[0], wantA) || !sameBits(db[0], wantB) {
					t.Errorf("graph and eager differ:\nC %v\nwant %v\ndA %v\nwant %v\ndB %v\nwant %v", c[0], wantC, da[0], wantA, db[0], wantB)
				}
				if p == sampleProd {
					if sameBits(da[1], da[0]) && sameBits(da[2], da[0]) {
						t.Errorf("three runs drew the same gradient")
					}
					for x := range da {
						checkSampled(t, r, floats(t, c[x]), floats(t, w), floats(t, da[x]), floats(t, db[x]))
					}
				}
				if !sameBits(a, a0) || !sameBits(b, b0) {
					t.Errorf("inputs modified")
				}
			})
		}
	}
}

// TestGradNode checks LogMatMulGradNode's values against LogMatMulGrad.
func TestGradNode(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, dt := range dtypes {
		r := newRefCase(rng, logProd, dt, 2, 3, 4, 5, true)
		a, b := r.tensors()
		dc := toDense(dt, []int{2, 3, 5}, upstream(rng, dt, 30))
		g := gorgonia.NewGraph()
		na := gorgonia.NodeFromAny(g, a, gorgonia.WithName("A"))
		nb := gorgonia.NodeFromAny(g, b, gorgonia.WithName("B"))
		ndc := gorgonia.NodeFromAny(g, dc, gorgonia.WithName("dC"))
		ga, gb, err := LogMatMulGradNode(na, nb, ndc)
		if err != nil {
			t.Fatal(err)
		}
		m := gorgonia.NewTapeMachine(g)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		wa, wb, err := LogMatMulGrad(a, b, dc)
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(ga.Value().(*tensor.Dense), wa) || !sameBits(gb.Value().(*tensor.Dense), wb) {
			t.Errorf("%v: LogMatMulGradNode differs from LogMatMulGrad", dt)
		}
		m.Close()
	}
}

// TestOpIdentity checks that every Op's Type is fresh on each call and
// that its hash tells apart every parameter: product, dtype, shapes, the
// operand differentiated, and the sample source and node.
func TestOpIdentity(t *testing.T) {
	d := dims{batch: 2, n: 3, k: 4, m: 5, dt: tensor.Float64}
	d32 := d
	d32.dt = tensor.Float32
	dk := d
	dk.k = 6
	dm := d
	dm.m = 6
	src := rand.NewPCG(1, 2)
	s1, s2, s3 := newSampler(src), newSampler(src), newSampler(rand.NewPCG(1, 2))
	ops := []gorgonia.Op{
		&fwdOp{p: logProd, d: d}, &fwdOp{p: maxProd, d: d}, &fwdOp{p: prodMaxProd, d: d},
		&fwdOp{p: sampleProd, d: d, sample: s1}, &fwdOp{p: sampleProd, d: d, sample: s2}, &fwdOp{p: sampleProd, d: d, sample: s3},
		&fwdOp{p: logProd, d: d32}, &fwdOp{p: logProd, d: dk}, &fwdOp{p: logProd, d: dm},
		&logGradOp{d: d, wrt: 0}, &logGradOp{d: d, wrt: 1}, &logGradOp{d: d32, wrt: 0},
		&logGradBothOp{d: d}, &logGradBothOp{d: d32}, &logGradBothOp{d: dk},
		&partOp{d: d, wrt: 0}, &partOp{d: d, wrt: 1}, &partOp{d: dm, wrt: 1},
		&logGrad2Op{d: d, wrt: 0}, &logGrad2Op{d: d, wrt: 1},
		&logExpectOp{d: d, wrt: 0}, &logExpectOp{d: d, wrt: 1},
		&selectOp{p: maxProd, d: d}, &selectOp{p: prodMaxProd, d: d}, &selectOp{p: maxProd, d: d32},
		&drawOp{d: d, sample: s1}, &drawOp{d: d, sample: s2},
		&routeOp{p: maxProd, d: d, wrt: 0}, &routeOp{p: maxProd, d: d, wrt: 1}, &routeOp{p: prodMaxProd, d: d, wrt: 0},
		&routeOp{p: sampleProd, d: d, wrt: 0}, &routeOp{p: maxProd, d: dk, wrt: 0},
	}
	seen := map[string]int{}
	for i, op := range ops {
		if op.Type() == op.Type() {
			t.Errorf("%v: Type returns a shared value", op)
		}
		s := op.String()
		if j, ok := seen[s]; ok {
			t.Errorf("ops %d and %d hash alike: %s", j, i, s)
		}
		seen[s] = i
	}
}
