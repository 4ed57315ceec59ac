package gradtest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
)

func TestGradTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 1))
	for _, c := range singleCases {
		for _, fill := range shapeFills {
			name := fmt.Sprintf("Transpose/b%d_n%d_(%d,%d)_fill%v", c.batch, c.n, c.l, c.u, fill)
			t.Run(name, func(t *testing.T) {
				check(t, gradCase{
					name: name,
					in:   []operand{band(rng, bandop.Real, "A", c.batch, c.n, c.l, c.u, fill)},
					f:    func(a []arg) (output, error) { return bandOut(bandop.Transpose(a[0].B)) },
				})
			})
		}
	}
}

func TestGradReband(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range []struct{ batch, n, l, u, l2, u2 int }{
		{1, 1, 0, 0, 1, 1},
		{2, 5, 1, 2, 0, 0},
		{1, 5, 1, 2, 2, 1},
		{1, 5, 1, 2, 3, 4},
		{2, 5, 1, 2, -1, 2},
		{1, 4, 1, 2, 6, 6},
		{1, 6, -1, 3, 1, 1},
		{1, 6, 2, -1, -2, 3}, // no diagonal in common: the gradient is 0
	} {
		for _, fill := range shapeFills {
			name := fmt.Sprintf("Reband/b%d_n%d_(%d,%d)->(%d,%d)_fill%v", c.batch, c.n, c.l, c.u, c.l2, c.u2, fill)
			t.Run(name, func(t *testing.T) {
				check(t, gradCase{
					name:      name,
					in:        []operand{band(rng, bandop.Real, "A", c.batch, c.n, c.l, c.u, fill)},
					f:         func(a []arg) (output, error) { return bandOut(bandop.Reband(a[0].B, c.l2, c.u2)) },
					allZeroOK: c.l2 < -c.u || c.u2 < -c.l,
				})
			})
		}
	}
}

// shiftCases are the shifts checked on a band (1, 2) of n = 5, and on n = 1;
// a shift by n or more moves every entry out of the matrix.
var shiftCases = []struct{ batch, n, l, u, t int }{
	{1, 1, 0, 0, 0},
	{1, 1, 1, 1, 1},
	{2, 5, 1, 2, 0},
	{2, 5, 1, 2, 1},
	{1, 5, 1, 2, -1},
	{1, 5, 1, 2, 3},
	{1, 5, 1, 2, -4},
	{1, 5, -1, 3, 2},
	{1, 5, 1, 2, 5},
}

func TestGradRowShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for _, c := range shiftCases {
		for _, fill := range shapeFills {
			name := fmt.Sprintf("RowShift/b%d_n%d_(%d,%d)_t%d_fill%v", c.batch, c.n, c.l, c.u, c.t, fill)
			t.Run(name, func(t *testing.T) {
				check(t, gradCase{
					name:      name,
					in:        []operand{band(rng, bandop.Real, "A", c.batch, c.n, c.l, c.u, fill)},
					f:         func(a []arg) (output, error) { return bandOut(bandop.RowShift(a[0].B, c.t)) },
					allZeroOK: c.t >= c.n || -c.t >= c.n,
				})
			})
		}
	}
}

func TestGradColShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 4))
	for _, c := range shiftCases {
		for _, fill := range shapeFills {
			name := fmt.Sprintf("ColShift/b%d_n%d_(%d,%d)_t%d_fill%v", c.batch, c.n, c.l, c.u, c.t, fill)
			t.Run(name, func(t *testing.T) {
				check(t, gradCase{
					name:      name,
					in:        []operand{band(rng, bandop.Real, "A", c.batch, c.n, c.l, c.u, fill)},
					f:         func(a []arg) (output, error) { return bandOut(bandop.ColShift(a[0].B, c.t)) },
					allZeroOK: c.t >= c.n || -c.t >= c.n,
				})
			})
		}
	}
}

// TestGradCompositeShape chains shape ops into products:
// Sum(Mul(Transpose(A), RowShift(B, 1))) and
// Plus(Mul(A, B), Times(ColShift(A, 1), Reband(B, 1, 1))) through a dense
// round trip.
func TestGradCompositeShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	for _, s := range semirings {
		// Sum(Mul(Transpose(A), RowShift(B, 1)), s).
		name := fmt.Sprintf("Composite/SumMulTransposeRowShift/%v", s)
		t.Run(name, func(t *testing.T) {
			check(t, gradCase{
				name: name,
				in: []operand{
					band(rng, s, "A", 2, 5, 1, 2, s.Zero()),
					band(rng, s, "B", 2, 5, 2, 0, s.Zero()),
				},
				f: func(a []arg) (output, error) {
					at, err := bandop.Transpose(a[0].B)
					if err != nil {
						return output{}, err
					}
					bs, err := bandop.RowShift(a[1].B, 1)
					if err != nil {
						return output{}, err
					}
					c, err := bandop.Mul(at, bs, s)
					if err != nil {
						return output{}, err
					}
					return denseOut(bandop.Sum(c, s))
				},
			})
		})
		// Plus(Mul(A, B), Times(ColShift(A, 1), Reband(B, 1, 1))) read back
		// through ToDense and FromDenseNode.
		name = fmt.Sprintf("Composite/PlusMulTimesShape/%v", s)
		t.Run(name, func(t *testing.T) {
			check(t, gradCase{
				name: name,
				in: []operand{
					band(rng, s, "A", 1, 6, 1, 1, s.Zero()),
					band(rng, s, "B", 1, 6, 0, 2, s.Zero()),
				},
				f: func(a []arg) (output, error) {
					ab, err := bandop.Mul(a[0].B, a[1].B, s)
					if err != nil {
						return output{}, err
					}
					as, err := bandop.ColShift(a[0].B, 1)
					if err != nil {
						return output{}, err
					}
					br, err := bandop.Reband(a[1].B, 1, 1)
					if err != nil {
						return output{}, err
					}
					tm, err := bandop.Times(as, br, s)
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
					return bandOut(bandop.FromDenseNode(d, p.Lower(), p.Upper(), p.Fill()))
				},
			})
		})
	}
}
