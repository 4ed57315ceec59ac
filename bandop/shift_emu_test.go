//go:build !cuda

package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
)

// TestShiftEmu runs shift_fwd under the emulator, through the launches of
// Reband, RowShift and ColShift, and compares it with shiftForward for the
// shift bandop builds (rowShift, colShift, a Reband shift) and for that
// shift's adjoint (the gradient's Op, fill 0), launched as the inverse op:
// Reband back, RowShift(−t), ColShift(−t). Shifts reach past n on both
// sides; bands are every ewBands, sizes every ewSizes.
func TestShiftEmu(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testShiftEmu[float32](t) })
	t.Run("f64", func(t *testing.T) { testShiftEmu[float64](t) })
}

func testShiftEmu[T float](t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 82))
	dt := ewDtype[T]()
	var drawn []int // the shifts drawn so far
	for _, sz := range ewSizes {
		for _, band := range ewBands {
			batch, n := sz[0], sz[1]
			fill := ewFills([]float64{0, math.Inf(-1), 0.75})[0]
			in := ewLayout[T](batch, n, band[0], band[1], fill)
			a := ewBanded[T](rng, Real, in)
			l, u := in.lower, in.upper
			// One shift a case: alternately anywhere in [−n−1, n+1] and
			// within ±2.
			ts := []int{rng.IntN(2*n+3) - n - 1}
			if len(drawn)%2 == 1 {
				ts[0] = rng.IntN(5) - 2
			}
			drawn = append(drawn, ts[0])

			type shiftCase struct {
				name     string
				s        shift
				fwd, adj cudaops.Launch
			}
			var cases []shiftCase
			for _, tt := range ts {
				if s, err := rowShift("RowShift", in, tt); err == nil {
					cases = append(cases, shiftCase{fmt.Sprintf("RowShift(%d)", tt), s,
						cudaops.RowShiftForward(dt, batch, n, l, u, tt, fill),
						cudaops.RowShiftForward(dt, batch, n, l-tt, u+tt, -tt, 0)})
				}
				if s, err := colShift("ColShift", in, tt); err == nil {
					cases = append(cases, shiftCase{fmt.Sprintf("ColShift(%d)", tt), s,
						cudaops.ColShiftForward(dt, batch, n, l, u, tt, fill),
						cudaops.ColShiftForward(dt, batch, n, l+tt, u-tt, -tt, 0)})
				}
			}
			l2 := rng.IntN(9) - 3
			u2 := rng.IntN(7) - l2 // width 1 to 7
			cases = append(cases, shiftCase{fmt.Sprintf("Reband(%d,%d)", l2, u2), shift{in: in, out: withBand(in, l2, u2)},
				cudaops.RebandForward(dt, batch, n, l, u, l2, u2, fill),
				cudaops.RebandForward(dt, batch, n, l2, u2, l, u, 0)})

			for _, c := range cases {
				name := fmt.Sprintf("b%d_n%d/%v/fill%v/%s", batch, n, band, fill, c.name)
				want := make([]T, batch*n*c.s.out.width())
				shiftForward(want, a, c.s)
				got := make([]T, len(want))
				ewRun(t, c.fwd, got, a)
				if ewNaNCount(want) > 0 {
					t.Fatalf("%s: the CPU shift has NaN: the test's inputs are wrong", name)
				}
				if err := ewCompare(got, want, 0); err != nil {
					t.Fatalf("%s: %v", name, err)
				}

				adj := c.s.adjoint()
				g := ewGrad[T](rng, adj.in)
				wantG := make([]T, len(a))
				shiftForward(wantG, g, adj)
				gotG := make([]T, len(a))
				ewRun(t, c.adj, gotG, g)
				if err := ewCompare(gotG, wantG, 0); err != nil {
					t.Fatalf("%s gradient: %v", name, err)
				}
			}
		}
	}
}
