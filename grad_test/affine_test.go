package gradtest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/align"
	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestAlignAffineLogZ checks the gradient of the affine model's log Z (Log)
// and Z (Real) with respect to its five channels of potentials against
// central differences: every mode, turns allowed and forbidden, with and
// without a gap, ragged lengths.
func TestAlignAffineLogZ(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 23))
	shape := tensor.Shape{2, 4, 5, 5}
	lenX, lenY := []int{4, 3}, []int{5, 2}
	w := []float64{0.7, -1.3}
	for _, s := range []bandop.Semiring{align.Log, align.Real} {
		for _, mode := range []align.Mode{align.Global, align.Local, align.SemiGlobal} {
			for _, gapped := range []bool{false, true} {
				for _, noTurns := range []bool{false, true} {
					m := align.Model{Semiring: s, Mode: mode, Gapped: gapped, MaxGap: 1, Affine: true, NoTurns: noTurns}
					x := make([]float64, shape.TotalSize())
					for i := range x {
						x[i] = rng.Float64()*2 - 1
						if s == align.Real {
							x[i] = math.Exp(x[i] / 2)
						}
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
}
