package gradtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/genmul"
	"gorgonia.org/gorgonia"
)

// genmulCases are the shapes (batch, n, k, m) of the genmul checks: all
// ones, a single inner term, a single row or column, batch > 1.
var genmulCases = []struct{ batch, n, k, m int }{
	{1, 1, 1, 1},
	{2, 3, 4, 5},
	{1, 2, 1, 3},
	{2, 1, 5, 1},
	{1, 4, 3, 2},
}

// TestGradGenmul checks the gradients of LogMatMul, MaxMatMul and
// ProdMaxMatMul by finite differences, with and without −Inf entries
// (about a third of A's and B's for Log and Max, outputs of only −Inf
// terms among them). SampleMatMul's gradient is random: its distribution
// is tested in package genmul.
func TestGradGenmul(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	prods := []struct {
		name string
		f    func(a, b *gorgonia.Node) (*gorgonia.Node, error)
		zero bool // −Inf entries make sense
	}{
		{"LogMatMul", genmul.LogMatMulNode, true},
		{"MaxMatMul", genmul.MaxMatMulNode, true},
		{"ProdMaxMatMul", genmul.ProdMaxMatMulNode, false},
	}
	for _, c := range genmulCases {
		for _, p := range prods {
			for _, sp := range []bool{false, true} {
				if sp && !p.zero {
					continue
				}
				name := fmt.Sprintf("%s/b%d_n%d_k%d_m%d/sparse=%v", p.name, c.batch, c.n, c.k, c.m, sp)
				t.Run(name, func(t *testing.T) {
					a := denseOp(rng, bandop.Log, "A", c.batch, c.n, c.k)
					b := denseOp(rng, bandop.Log, "B", c.batch, c.k, c.m)
					if sp {
						a, b = sparse(rng, a, math.Inf(-1)), sparse(rng, b, math.Inf(-1))
					}
					check(t, gradCase{
						name:      name,
						in:        []operand{a, b},
						f:         func(x []arg) (output, error) { return denseOut(p.f(x[0].N, x[1].N)) },
						allZeroOK: sp && c.k*min(c.n, c.m) <= 2,
					})
				})
			}
		}
	}
}

// TestGradGenmulSecond checks LogMatMul's second derivatives: the gradient
// of a weighted sum of LogMatMulGradNode's dA (and, separately, of its dB)
// with respect to A, B and dC, by finite differences of that gradient.
func TestGradGenmulSecond(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 2))
	for _, c := range genmulCases {
		for wrt, name := range []string{"dA", "dB"} {
			for _, sp := range []bool{false, true} {
				name := fmt.Sprintf("LogMatMulGrad/%s/b%d_n%d_k%d_m%d/sparse=%v", name, c.batch, c.n, c.k, c.m, sp)
				t.Run(name, func(t *testing.T) {
					a := denseOp(rng, bandop.Log, "A", c.batch, c.n, c.k)
					b := denseOp(rng, bandop.Log, "B", c.batch, c.k, c.m)
					if sp {
						a, b = sparse(rng, a, math.Inf(-1)), sparse(rng, b, math.Inf(-1))
					}
					dc := denseOp(rng, bandop.Real, "dC", c.batch, c.n, c.m)
					check(t, gradCase{
						name: name,
						in:   []operand{a, b, dc},
						f: func(x []arg) (output, error) {
							da, db, err := genmul.LogMatMulGradNode(x[0].N, x[1].N, x[2].N)
							if wrt == 1 {
								return denseOut(db, err)
							}
							return denseOut(da, err)
						},
						allZeroOK: sp && c.k*min(c.n, c.m) <= 2,
					})
				})
			}
		}
	}
}
