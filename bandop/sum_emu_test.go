//go:build !cuda

package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
)

// TestSumEmu runs sum_fwd and sum_bwd under the emulator and compares them
// with sumForward and sumBackward: each of ewBands in turn, every ewSizes plus sizes
// whose matrices have more slots than a block has threads, every semiring.
// Matrix 0 of a batch is all −Inf under Log and Max (its sum is −Inf and
// its gradient 0); Max draws small integers, so the first-maximum rule of
// the gradient is exercised on ties.
func TestSumEmu(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testSumEmu[float32](t) })
	t.Run("f64", func(t *testing.T) { testSumEmu[float64](t) })
}

func testSumEmu[T float](t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	dt := ewDtype[T]()
	sizes := append([][2]int{{2, 40}, {3, 70}, {1, 300}}, ewSizes...)
	ties, turn := 0, 0
	for _, sz := range sizes {
		for _, s := range ewSemirings {
			for j := 0; j < 3; j++ {
				band := ewBands[turn%len(ewBands)] // each band in turn
				turn++
				batch, n := sz[0], sz[1]
				if n >= 40 {
					// Several slots a thread: a thread's own first
					// maximum must be its first in storage order.
					band = [2]int{5, 9}
				}
				if n >= 300 {
					if j > 0 {
						continue // one case a semiring: it is slow to emulate
					}
					band = [2]int{120, 100} // past 65536 slots: 512 threads
				}
				name := fmt.Sprintf("%v/b%d_n%d/%v", s, batch, n, band)
				l := ewLayout[T](batch, n, band[0], band[1], s.Zero())
				a := ewBanded[T](rng, s, l)
				if s != Real && batch > 1 {
					for x := 0; x < n*l.width(); x++ {
						if a[x] == a[x] { // padding stays NaN
							a[x] = T(math.Inf(-1))
						}
					}
				}

				want := make([]T, batch)
				sumForward(s, want, a, l)
				got := make([]T, batch)
				ewRun(t, cudaops.SumForward(dt, cudaops.Semiring(s), batch, n, l.lower, l.upper), got, a)
				if ewNaNCount(want) > 0 {
					t.Fatalf("%s: the CPU sum has NaN: the test's inputs are wrong", name)
				}
				// An ⊕ of the matrix's valid slots; a Real sum has the
				// scale Σ|a|.
				terms := 0
				for i := range n {
					lo, hi := validSlots(i, n, l.lower, l.width())
					terms += max(hi-lo, 0)
				}
				var scale []T
				if s == Real {
					scale = make([]T, batch)
					sumForward(Real, scale, emuAbs(a), l)
				}
				if err := ewCompareScaled(got, want, emuTol[T](terms), scale); err != nil {
					t.Fatalf("%s forward: %v", name, err)
				}

				dr := make([]T, batch)
				for b := range dr {
					dr[b] = T(rng.Float64() + 0.5)
				}
				if batch > 2 {
					dr[1] = 0 // a zero upstream gradient gives a zero gradient
				}
				wantG := make([]T, len(a))
				sumBackward(s, wantG, a, want, dr, l)
				gotG := make([]T, len(a))
				ewRun(t, cudaops.SumBackward(dt, cudaops.Semiring(s), batch, n, l.lower, l.upper), gotG, a, want, dr)
				if ewNaNCount(wantG) > 0 {
					t.Fatalf("%s: the CPU gradient has NaN: the test's inputs are wrong", name)
				}
				if err := ewCompare(gotG, wantG, emuTol[T](1)); err != nil {
					t.Fatalf("%s backward: %v", name, err)
				}
				if s == Max {
					ties += sumMaxTies(a, want, l)
				}
			}
		}
	}
	if ties == 0 {
		t.Fatal("no Max sum had a tie: the first-maximum rule was not exercised")
	}
}

// sumMaxTies counts the matrices of a whose finite maximum r[b] is held by
// more than one valid slot.
func sumMaxTies[T float](a, r []T, l layout) int {
	w, ties := l.width(), 0
	for b := 0; b < l.batch; b++ {
		if math.IsInf(float64(r[b]), 0) {
			continue
		}
		c := 0
		for i := 0; i < l.n; i++ {
			lo, hi := validSlots(i, l.n, l.lower, w)
			for k := lo; k < hi; k++ {
				if a[(b*l.n+i)*w+k] == r[b] {
					c++
				}
			}
		}
		if c > 1 {
			ties++
		}
	}
	return ties
}
