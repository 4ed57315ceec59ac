//go:build !cuda

package bandop

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
)

// TestTimesEmu runs times_fwd and times_bwd_a/b under the emulator on
// pairs of ewBands whose intersection is not empty, every ewSizes and every
// semiring, and compares them with timesForward and timesBackward, padding
// included.
func TestTimesEmu(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testTimesEmu[float32](t) })
	t.Run("f64", func(t *testing.T) { testTimesEmu[float64](t) })
}

func testTimesEmu[T float](t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	dt := ewDtype[T]()
	pairs := 0
	for _, sz := range ewSizes {
		for _, s := range ewSemirings {
			for _, pair := range ewPairs(rng, ewPairsPer) {
				ba, bb := pair[0], pair[1]
				batch, n := sz[0], sz[1]
				if timesResult(ewLayout[T](batch, n, ba[0], ba[1], 0), ewLayout[T](batch, n, bb[0], bb[1], 0), Real).width() < 1 {
					continue // Times refuses an empty intersection
				}
				pairs++
				{
					name := fmt.Sprintf("%v/b%d_n%d/A%v_B%v", s, batch, n, ba, bb)
					la := ewLayout[T](batch, n, ba[0], ba[1], s.Zero())
					lb := ewLayout[T](batch, n, bb[0], bb[1], s.Zero())
					lc := timesResult(la, lb, s)
					a, b := ewBanded[T](rng, s, la), ewBanded[T](rng, s, lb)

					want := make([]T, batch*n*lc.width())
					timesForward(s, want, a, b, la, lb, lc)
					got := make([]T, len(want))
					ewRun(t, cudaops.TimesForward(dt, cudaops.Semiring(s), batch, n, la.lower, la.upper, lb.lower, lb.upper), got, a, b)
					if ewNaNCount(want) > 0 {
						t.Fatalf("%s: the CPU forward has NaN: the test's inputs are wrong", name)
					}
					if err := ewCompare(got, want, 0); err != nil {
						t.Fatalf("%s forward: %v", name, err)
					}

					c, dc := ewPoison(want, lc), ewGrad[T](rng, lc)
					for wrt, lo := range []layout{la, lb} {
						wantG := make([]T, batch*n*lo.width())
						timesBackward(s, wrt, wantG, a, b, nil, dc, la, lb, lc)
						gotG := make([]T, len(wantG))
						ewRun(t, cudaops.TimesBackward(dt, cudaops.Semiring(s), wrt, batch, n, la.lower, la.upper, lb.lower, lb.upper), gotG, a, b, c, dc)
						if err := ewCompare(gotG, wantG, 0); err != nil {
							t.Fatalf("%s backward wrt %d: %v", name, wrt, err)
						}
					}
				}
			}
		}
	}
	if pairs < len(ewSizes)*len(ewSemirings)*ewPairsPer/2 {
		t.Fatalf("only %d band pairs with a non-empty intersection were drawn", pairs)
	}
}
