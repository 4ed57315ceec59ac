package gradtest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
)

func TestGradVecMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	for _, c := range singleCases {
		for _, s := range semirings {
			for _, sp := range []bool{false, true} {
				name := fmt.Sprintf("VecMul/%v/b%d_n%d_(%d,%d)_sparse%v", s, c.batch, c.n, c.l, c.u, sp)
				t.Run(name, func(t *testing.T) {
					a := band(rng, s, "A", c.batch, c.n, c.l, c.u, s.Zero())
					if sp {
						a = sparse(rng, a, s.Zero())
					}
					check(t, gradCase{
						name: name,
						in:   []operand{denseOp(rng, s, "v", c.batch, c.n), a},
						f:    func(a []arg) (output, error) { return denseOut(bandop.VecMul(a[0].N, a[1].B, s)) },
						// A sparse 1×1 matrix may hold only the zero.
						allZeroOK: sp && c.n == 1,
					})
				})
			}
		}
	}
}

func TestGradMulVec(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 2))
	for _, c := range singleCases {
		for _, s := range semirings {
			for _, sp := range []bool{false, true} {
				name := fmt.Sprintf("MulVec/%v/b%d_n%d_(%d,%d)_sparse%v", s, c.batch, c.n, c.l, c.u, sp)
				t.Run(name, func(t *testing.T) {
					a := band(rng, s, "A", c.batch, c.n, c.l, c.u, s.Zero())
					if sp {
						a = sparse(rng, a, s.Zero())
					}
					check(t, gradCase{
						name: name,
						in:   []operand{a, denseOp(rng, s, "v", c.batch, c.n)},
						f:    func(a []arg) (output, error) { return denseOut(bandop.MulVec(a[0].B, a[1].N, s)) },
						// A sparse 1×1 matrix may hold only the zero.
						allZeroOK: sp && c.n == 1,
					})
				})
			}
		}
	}
}

func TestGradSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, c := range singleCases {
		for _, s := range semirings {
			for _, sp := range []bool{false, true} {
				name := fmt.Sprintf("Sum/%v/b%d_n%d_(%d,%d)_sparse%v", s, c.batch, c.n, c.l, c.u, sp)
				t.Run(name, func(t *testing.T) {
					a := band(rng, s, "A", c.batch, c.n, c.l, c.u, s.Zero())
					if sp {
						a = sparse(rng, a, s.Zero())
					}
					check(t, gradCase{
						name: name,
						in:   []operand{a},
						f:    func(a []arg) (output, error) { return denseOut(bandop.Sum(a[0].B, s)) },
						// A sparse 1×1 matrix may hold only the zero.
						allZeroOK: sp && c.n == 1,
					})
				})
			}
		}
	}
}
