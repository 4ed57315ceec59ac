package gradtest

import (
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/align"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// alignLogZ builds Σ_b w[b]·log Z_b of θ for the model and returns the
// graph's potentials node and the cost.
func alignLogZ(m align.Model, shape tensor.Shape, x []float64, w []float64, lenX, lenY []int) (*gorgonia.Node, *gorgonia.Node, error) {
	g := gorgonia.NewGraph()
	th := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(shape...), gorgonia.WithName("theta"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), x...)))))
	z, err := m.LogPartition(th, lenX, lenY)
	if err != nil {
		return nil, nil, err
	}
	cost, err := WeightedSum(z, w, nil)
	return th, cost, err
}

// TestAlignLogZ checks the gradient of log Z with respect to the potentials
// against central differences, for both strategies, global and local, with
// ragged lengths and with a gap.
func TestAlignLogZ(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	shape := tensor.Shape{2, 4, 5, 3}
	lenX, lenY := []int{4, 3}, []int{5, 2}
	w := []float64{0.7, -1.3}
	for _, st := range []align.Strategy{align.Linear, align.LogDepth} {
		for _, mode := range []align.Mode{align.Global, align.Local} {
			for _, gapped := range []bool{false, true} {
				m := align.Model{Semiring: align.Log, Mode: mode, Strategy: st, Gapped: gapped, MaxGap: 1}
				x := make([]float64, shape.TotalSize())
				for i := range x {
					x[i] = rng.Float64()*2 - 1
				}
				th, cost, err := alignLogZ(m, shape, x, w, lenX, lenY)
				if err != nil {
					t.Fatal(err)
				}
				grads, err := gorgonia.Grad(cost, th)
				if err != nil {
					t.Fatal(err)
				}
				vm := gorgonia.NewTapeMachine(cost.Graph())
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				vm.Close()
				got := append([]float64(nil), grads[0].Value().(*tensor.Dense).Data().([]float64)...)
				f := func(x []float64) (float64, error) {
					_, c, err := alignLogZ(m, shape, x, w, lenX, lenY)
					if err != nil {
						return 0, err
					}
					vm := gorgonia.NewTapeMachine(c.Graph())
					defer vm.Close()
					if err := vm.RunAll(); err != nil {
						return 0, err
					}
					return c.Value().Data().(float64), nil
				}
				want, err := CentralDiff(f, x, nil, 1e-6)
				if err != nil {
					t.Fatal(err)
				}
				if i, e := Compare(got, want); e > 1e-7 {
					t.Errorf("%v: gradient element %d is %v, finite difference %v (error %.3g)", m, i, got[i], want[i], e)
				}
			}
		}
	}
}
