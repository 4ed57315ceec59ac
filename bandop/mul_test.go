package bandop

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestMulDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range bandCases {
		for _, dt := range dtypes {
			for _, s := range semirings {
				t.Run(fmt.Sprintf("%v/%v/b%d_n%d_(%d,%d)x(%d,%d)", s, dt, c.batch, c.n, c.l1, c.u1, c.l2, c.u2), func(t *testing.T) {
					a := randomFor(t, rng, s, dt, c.batch, c.n, c.l1, c.u1)
					b := randomFor(t, rng, s, dt, c.batch, c.n, c.l2, c.u2)
					ac, bc := a.Clone(), b.Clone()
					got, err := a.Mul(b, s)
					if err != nil {
						t.Fatal(err)
					}
					if got.Lower() != c.l1+c.l2 || got.Upper() != c.u1+c.u2 {
						t.Errorf("band (%d,%d), want (%d,%d)", got.Lower(), got.Upper(), c.l1+c.l2, c.u1+c.u2)
					}
					checkDense(t, got, refMul(s, denseOf(a), denseOf(b)), tolFor(dt))
					if !sameBits(a, ac) || !sameBits(b, bc) {
						t.Error("Mul modified an operand")
					}
				})
			}
		}
	}
}
