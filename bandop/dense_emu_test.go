//go:build !cuda

package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
)

// TestDenseEmu runs fromdense_fwd and todense_fwd under the emulator and
// compares them with fromDense and toDense for every ewBands and ewSizes,
// both dtypes, and fills 0 (the gradients' fill), −Inf and an arbitrary
// value. Dense entries outside the band are NaN: FromDense must ignore them.
func TestDenseEmu(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testDenseEmu[float32](t) })
	t.Run("f64", func(t *testing.T) { testDenseEmu[float64](t) })
}

func testDenseEmu[T float](t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	dt := ewDtype[T]()
	for _, sz := range ewSizes {
		for _, band := range ewBands {
			for _, fill := range ewFills([]float64{0, math.Inf(-1), 0.25}) {
				batch, n := sz[0], sz[1]
				name := fmt.Sprintf("b%d_n%d/%v/fill%v", batch, n, band, fill)
				l := ewLayout[T](batch, n, band[0], band[1], fill)
				w := l.width()

				d := make([]T, batch*n*n)
				for x := range d {
					i, j := x/n%n, x%n
					if k := j - i + l.lower; k >= 0 && k < w {
						d[x] = T(rng.NormFloat64())
					} else {
						d[x] = T(math.NaN())
					}
				}
				want := make([]T, batch*n*w)
				fillSlice(want, T(fill))
				fromDense(want, d, l)
				got := make([]T, len(want))
				ewRun(t, cudaops.FromDenseForward(dt, batch, n, l.lower, l.upper, fill), got, d)
				if ewNaNCount(want) > 0 {
					t.Fatalf("%s: the CPU FromDense has NaN: the test's inputs are wrong", name)
				}
				if err := ewCompare(got, want, 0); err != nil {
					t.Fatalf("%s FromDense: %v", name, err)
				}

				a := ewBanded[T](rng, Real, l)
				wantD := make([]T, batch*n*n)
				toDense(wantD, a, l, T(fill))
				gotD := make([]T, len(wantD))
				ewRun(t, cudaops.ToDenseForward(dt, batch, n, l.lower, l.upper, fill), gotD, a)
				if ewNaNCount(wantD) > 0 {
					t.Fatalf("%s: the CPU ToDense has NaN: the test's inputs are wrong", name)
				}
				if err := ewCompare(gotD, wantD, 0); err != nil {
					t.Fatalf("%s ToDense: %v", name, err)
				}
			}
		}
	}
}
