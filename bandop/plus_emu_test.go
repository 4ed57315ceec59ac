//go:build !cuda

package bandop

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
)

// TestPlusEmu runs plus_fwd and plus_bwd_a/b under the emulator on drawn
// pairs of ewBands, every ewSizes and every semiring, and compares them with
// plusForward and plusBackward, padding included.
func TestPlusEmu(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testPlusEmu[float32](t) })
	t.Run("f64", func(t *testing.T) { testPlusEmu[float64](t) })
}

func testPlusEmu[T float](t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	dt := ewDtype[T]()
	for _, sz := range ewSizes {
		for _, s := range ewSemirings {
			for _, pair := range ewPairs(rng, ewPairsPer) {
				ba, bb := pair[0], pair[1]
				{
					batch, n := sz[0], sz[1]
					name := fmt.Sprintf("%v/b%d_n%d/A%v_B%v", s, batch, n, ba, bb)
					la := ewLayout[T](batch, n, ba[0], ba[1], s.Zero())
					lb := ewLayout[T](batch, n, bb[0], bb[1], s.Zero())
					lc := plusResult(la, lb, s)
					a, b := ewBanded[T](rng, s, la), ewBanded[T](rng, s, lb)

					want := make([]T, batch*n*lc.width())
					plusForward(s, want, a, b, la, lb, lc)
					got := make([]T, len(want))
					ewRun(t, cudaops.PlusForward(dt, cudaops.Semiring(s), batch, n, la.lower, la.upper, lb.lower, lb.upper), got, a, b)
					if ewNaNCount(want) > 0 {
						t.Fatalf("%s: the CPU forward has NaN: the test's inputs are wrong", name)
					}
					if err := ewCompare(got, want, emuTol[T](2)); err != nil { // x ⊕ y
						t.Fatalf("%s forward: %v", name, err)
					}

					c, dc := ewPoison(want, lc), ewGrad[T](rng, lc)
					for wrt, lo := range []layout{la, lb} {
						wantG := make([]T, batch*n*lo.width())
						plusBackward(s, wrt, wantG, a, b, want, dc, la, lb, lc)
						gotG := make([]T, len(wantG))
						ewRun(t, cudaops.PlusBackward(dt, cudaops.Semiring(s), wrt, batch, n, la.lower, la.upper, lb.lower, lb.upper), gotG, a, b, c, dc)
						if ewNaNCount(wantG) > 0 {
							t.Fatalf("%s: the CPU gradient %d has NaN: the test's inputs are wrong", name, wrt)
						}
						if err := ewCompare(gotG, wantG, emuTol[T](1)); err != nil {
							t.Fatalf("%s backward wrt %d: %v", name, wrt, err)
						}
					}
				}
			}
		}
	}
}
