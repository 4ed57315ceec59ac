package gradtest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
)

// TestGradComposite checks graphs that chain several ops, so that gradients
// pass from one op's backward into another's and add up where an operand is
// used more than once.
func TestGradComposite(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 1))
	for _, s := range semirings {
		// Sum(Plus(Mul(A, B), Times(A, B))) through ToDense and
		// FromDenseNode: A and B each reach the cost along two paths.
		name := fmt.Sprintf("Composite/SumPlusMulTimes/%v", s)
		t.Run(name, func(t *testing.T) {
			check(t, gradCase{
				name: name,
				in: []operand{
					band(rng, s, "A", 2, 6, 1, 1, s.Zero()),
					band(rng, s, "B", 2, 6, 0, 2, s.Zero()),
				},
				f: func(a []arg) (output, error) {
					ab, err := bandop.Mul(a[0].B, a[1].B, s)
					if err != nil {
						return output{}, err
					}
					tm, err := bandop.Times(a[0].B, a[1].B, s)
					if err != nil {
						return output{}, err
					}
					p, err := bandop.Plus(ab, tm, s)
					if err != nil {
						return output{}, err
					}
					d, err := bandop.ToDense(p)
					if err != nil {
						return output{}, err
					}
					q, err := bandop.FromDenseNode(d, p.Lower(), p.Upper(), p.Fill())
					if err != nil {
						return output{}, err
					}
					return denseOut(bandop.Sum(q, s))
				},
			})
		})
		// MulVec(A, VecMul(v, A)): a chain of vector steps, the shape of the
		// alignment scans.
		name = fmt.Sprintf("Composite/VecChain/%v", s)
		t.Run(name, func(t *testing.T) {
			check(t, gradCase{
				name: name,
				in: []operand{
					denseOp(rng, s, "v", 2, 5),
					band(rng, s, "A", 2, 5, 1, 1, s.Zero()),
				},
				f: func(a []arg) (output, error) {
					u, err := bandop.VecMul(a[0].N, a[1].B, s)
					if err != nil {
						return output{}, err
					}
					return denseOut(bandop.MulVec(a[1].B, u, s))
				},
			})
		})
	}
}
