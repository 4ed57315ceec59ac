package gradtest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
)

// attnCases are the shapes of the attention ops' checks: n = 1, a band of
// width 1, negative limits, a band wider than n, batch > 1, d ∈ {1, 3}.
var attnCases = []struct{ batch, n, l, u, d int }{
	{1, 1, 0, 0, 1}, {2, 4, 1, 2, 3}, {1, 5, -1, 3, 1}, {1, 3, 5, 4, 3}, {2, 5, 2, -2, 3},
}

func TestGradBandMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1))
	for _, c := range attnCases {
		name := fmt.Sprintf("BandMul/b%d_n%d_(%d,%d)_d%d", c.batch, c.n, c.l, c.u, c.d)
		t.Run(name, func(t *testing.T) {
			check(t, gradCase{
				name: name,
				in: []operand{
					denseOp(rng, bandop.Real, "Q", c.batch, c.n, c.d),
					denseOp(rng, bandop.Real, "K", c.batch, c.n, c.d),
				},
				f: func(a []arg) (output, error) { return bandOut(bandop.BandMulNode(a[0].N, a[1].N, c.l, c.u)) },
			})
		})
	}
}

func TestGradMulDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 2))
	for _, c := range attnCases {
		for _, s := range semirings {
			for _, sp := range []bool{false, true} {
				name := fmt.Sprintf("MulDense/%v/b%d_n%d_(%d,%d)_d%d_sparse%v", s, c.batch, c.n, c.l, c.u, c.d, sp)
				t.Run(name, func(t *testing.T) {
					a := band(rng, s, "A", c.batch, c.n, c.l, c.u, s.Zero())
					if sp {
						a = sparse(rng, a, s.Zero())
					}
					check(t, gradCase{
						name: name,
						in:   []operand{a, denseOp(rng, s, "V", c.batch, c.n, c.d)},
						f:    func(a []arg) (output, error) { return denseOut(bandop.MulDense(a[0].B, a[1].N, s)) },
						// A sparse 1×1 matrix may hold only the zero.
						allZeroOK: sp && c.n == 1,
					})
				})
			}
		}
	}
}

func TestGradSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 3))
	for _, c := range attnCases {
		for _, log := range []bool{false, true} {
			// Softmax also meets −Inf entries (probability 0) and rows of
			// only −Inf; LogSoftmax's outputs there are −Inf, which no
			// finite cost can weigh, so its entries stay finite.
			for _, sp := range []bool{false, true} {
				if log && sp {
					continue
				}
				op, f := "Softmax", bandop.Softmax
				if log {
					op, f = "LogSoftmax", bandop.LogSoftmax
				}
				name := fmt.Sprintf("%s/b%d_n%d_(%d,%d)_sparse%v", op, c.batch, c.n, c.l, c.u, sp)
				t.Run(name, func(t *testing.T) {
					// Any fill: the ops read only the band.
					a := band(rng, bandop.Log, "A", c.batch, c.n, c.l, c.u, 5)
					if sp {
						a = sparse(rng, a, bandop.Log.Zero())
					}
					check(t, gradCase{
						name: name,
						in:   []operand{a},
						f:    func(a []arg) (output, error) { return bandOut(f(a[0].B)) },
						// One entry per row: its softmax is 1 (log 0) whatever it is.
						allZeroOK: c.l+c.u == 0 || c.n == 1 || sp,
					})
				})
			}
		}
	}
}

// The composition of sliding-window attention: softmax(band(Q·Kᵀ))·V.
func TestGradBandAttention(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 4))
	for _, c := range attnCases {
		name := fmt.Sprintf("Attention/b%d_n%d_(%d,%d)_d%d", c.batch, c.n, c.l, c.u, c.d)
		t.Run(name, func(t *testing.T) {
			check(t, gradCase{
				name: name,
				in: []operand{
					denseOp(rng, bandop.Real, "Q", c.batch, c.n, c.d),
					denseOp(rng, bandop.Real, "K", c.batch, c.n, c.d),
					denseOp(rng, bandop.Real, "V", c.batch, c.n, c.d),
				},
				f: func(a []arg) (output, error) {
					s, err := bandop.BandMulNode(a[0].N, a[1].N, c.l, c.u)
					if err != nil {
						return output{}, err
					}
					p, err := bandop.Softmax(s)
					if err != nil {
						return output{}, err
					}
					return denseOut(bandop.MulDense(p, a[2].N, bandop.Real))
				},
			})
		})
	}
}
