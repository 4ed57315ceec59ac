package bandop

import (
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestGraphMulSmoke(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dt := range dtypes {
		g := gorgonia.NewGraph()
		av := randomFor(t, rng, Real, dt, 2, 5, 1, 2)
		bv := randomFor(t, rng, Real, dt, 2, 5, 2, 0)
		a, _ := NewNode(g, av, "A")
		b, _ := NewNode(g, bv, "B")
		c, err := Mul(a, b, Real)
		if err != nil {
			t.Fatal(err)
		}
		d, err := ToDense(c)
		if err != nil {
			t.Fatal(err)
		}
		cost := gorgonia.Must(gorgonia.Sum(d))
		grads, err := gorgonia.Grad(cost, a.Node, b.Node)
		if err != nil {
			t.Fatal(err)
		}
		m := gorgonia.NewTapeMachine(g)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		m.Close()
		cv, _ := c.Banded()
		checkDense(t, cv, refMul(Real, denseOf(av), denseOf(bv)), tolFor(dt))
		// d/dA[i,k] of Σ C = Σ_j B[k,j]: the row sums of B.
		ga := grads[0].Value().(*tensor.Dense)
		t.Log(ga.Shape(), grads[1].Value().Shape())
		gad, _ := New(ga, 1, 2, 0)
		db := denseOf(bv)
		for i := 0; i < 5; i++ {
			for k := 0; k < 5; k++ {
				if !av.InBand(i, k) {
					continue
				}
				want := 0.0
				for j := 0; j < 5; j++ {
					want += db[0][k][j]
				}
				if !closeTo(gad.At(0, i, k), want, tolFor(dt)) {
					t.Errorf("dA[0][%d][%d] = %v, want %v", i, k, gad.At(0, i, k), want)
				}
			}
		}
	}
}
