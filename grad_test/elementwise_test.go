package gradtest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
)

func TestGradPlus(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, c := range pairCases {
		for _, s := range semirings {
			name := fmt.Sprintf("Plus/%v/b%d_n%d_(%d,%d)x(%d,%d)", s, c.batch, c.n, c.l1, c.u1, c.l2, c.u2)
			t.Run(name, func(t *testing.T) {
				check(t, gradCase{
					name: name,
					in: []operand{
						band(rng, s, "A", c.batch, c.n, c.l1, c.u1, s.Zero()),
						band(rng, s, "B", c.batch, c.n, c.l2, c.u2, s.Zero()),
					},
					f: func(a []arg) (output, error) { return bandOut(bandop.Plus(a[0].B, a[1].B, s)) },
				})
			})
		}
	}
}

// timesCases have bands that intersect (Times of disjoint bands is an
// error).
var timesCases = []struct {
	batch, n, l1, u1, l2, u2 int
}{
	{1, 1, 0, 0, 0, 0},
	{2, 4, 1, 1, 0, 2},
	{1, 5, 6, 5, 2, 7},
	{2, 6, -1, 3, 2, 1},
	{1, 6, 2, 0, 1, 2},
}

func TestGradTimes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range timesCases {
		for _, s := range semirings {
			name := fmt.Sprintf("Times/%v/b%d_n%d_(%d,%d)x(%d,%d)", s, c.batch, c.n, c.l1, c.u1, c.l2, c.u2)
			t.Run(name, func(t *testing.T) {
				check(t, gradCase{
					name: name,
					in: []operand{
						band(rng, s, "A", c.batch, c.n, c.l1, c.u1, s.Zero()),
						band(rng, s, "B", c.batch, c.n, c.l2, c.u2, s.Zero()),
					},
					f: func(a []arg) (output, error) { return bandOut(bandop.Times(a[0].B, a[1].B, s)) },
				})
			})
		}
	}
}
