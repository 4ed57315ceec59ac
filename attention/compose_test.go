package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// composed is sliding-window attention built from bandop's steps, each of
// which keeps its (n, w) result: Softmax(BandMul(scale·q, k)) then
// MulDense with v.
func composed(q, k, v *gorgonia.Node, lower, upper int, scale float64) (*gorgonia.Node, error) {
	var s *gorgonia.Node
	var err error
	if q.Dtype() == tensor.Float32 {
		s = gorgonia.NewConstant(float32(scale))
	} else {
		s = gorgonia.NewConstant(scale)
	}
	qs, err := gorgonia.Mul(q, s)
	if err != nil {
		return nil, err
	}
	a, err := bandop.BandMulNode(qs, k, lower, upper)
	if err != nil {
		return nil, err
	}
	p, err := bandop.Softmax(a)
	if err != nil {
		return nil, err
	}
	return bandop.MulDense(p, v, bandop.Real)
}

// TestBandedMatchesComposition checks that Banded gives the numbers, output
// and gradients, of the same attention composed of bandop's BandMul,
// Softmax and MulDense.
func TestBandedMatchesComposition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	type band struct{ lower, upper int }
	for _, n := range []int{1, 3, 17} {
		for _, bd := range []band{{0, 0}, {2, 0}, {1, 3}, {-1, 2}, {4, -2}, {n - 1, n - 1}, {n + 2, n + 3}} {
			for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
				name := fmt.Sprintf("n%d/band[%d,%d]/%v", n, bd.lower, bd.upper, dt)
				const batch, d = 2, 5
				sh := tensor.Shape{batch, n, d}
				vals := make([][]float64, 4)
				for i := range vals {
					vals[i] = randoms(rng, sh.TotalSize())
				}
				var res [2][4][]float64
				for w, build := range []func(q, k, v *gorgonia.Node) (*gorgonia.Node, error){
					func(q, k, v *gorgonia.Node) (*gorgonia.Node, error) {
						return Banded(q, k, v, bd.lower, bd.upper, 0.6)
					},
					func(q, k, v *gorgonia.Node) (*gorgonia.Node, error) {
						return composed(q, k, v, bd.lower, bd.upper, 0.6)
					},
				} {
					g := gorgonia.NewGraph()
					var in []*gorgonia.Node
					for i, x := range vals {
						in = append(in, gorgonia.NewTensor(g, dt, 3, gorgonia.WithShape(sh...), gorgonia.WithValue(tensorOf(dt, sh, x)), gorgonia.WithName(fmt.Sprint("x", i))))
					}
					out, err := build(in[0], in[1], in[2])
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					prod, err := gorgonia.HadamardProd(out, in[3])
					if err != nil {
						t.Fatal(err)
					}
					cost, err := gorgonia.Sum(prod)
					if err != nil {
						t.Fatal(err)
					}
					gs, err := gorgonia.Grad(cost, in[:3]...)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					m := gorgonia.NewTapeMachine(g)
					if err := m.RunAll(); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					m.Close()
					res[w] = [4][]float64{floats(t, out.Value()), floats(t, gs[0].Value()), floats(t, gs[1].Value()), floats(t, gs[2].Value())}
				}
				tol := 1e-12
				if dt == tensor.Float32 {
					tol = 1e-5
				}
				for x, what := range []string{"out", "dq", "dk", "dv"} {
					for i := range res[0][x] {
						a, b := res[0][x][i], res[1][x][i]
						if !(math.Abs(a-b) <= tol*(1+math.Abs(b))) {
							t.Fatalf("%s: %s[%d] = %v fused, %v composed", name, what, i, a, b)
						}
					}
				}
			}
		}
	}
}
