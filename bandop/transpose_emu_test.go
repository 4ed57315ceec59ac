//go:build !cuda

package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
)

// TestTransposeEmu runs transpose_fwd under the emulator and compares it
// with transposeForward for every ewBands and ewSizes and for matrices of
// several tiles, both dtypes and
// fills 0 (the gradient's), −Inf and an arbitrary value; then transposes
// back (the gradient's launch: band swapped, fill 0) and checks that the
// valid slots come back unchanged.
func TestTransposeEmu(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testTransposeEmu[float32](t) })
	t.Run("f64", func(t *testing.T) { testTransposeEmu[float64](t) })
}

func testTransposeEmu[T float](t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	dt := ewDtype[T]()
	// (batch, n, lower, upper): ewSizes × ewBands fit one 32×32 tile of
	// the kernel; these need several, partial ones at the edges included.
	cases := [][4]int{{2, 70, 20, 17}, {1, 45, 40, -3}, {3, 33, 1, 33}, {1, 64, -8, 40}}
	for _, sz := range ewSizes {
		for _, band := range ewBands {
			cases = append(cases, [4]int{sz[0], sz[1], band[0], band[1]})
		}
	}
	for _, cs := range cases {
		for _, fill := range ewFills([]float64{0, math.Inf(-1), -0.5}) {
			batch, n, band := cs[0], cs[1], cs[2:]
			name := fmt.Sprintf("b%d_n%d/%v/fill%v", batch, n, band, fill)
			l := ewLayout[T](batch, n, band[0], band[1], fill)
			a := ewBanded[T](rng, Real, l)

			want := make([]T, len(a))
			transposeForward(want, a, l, T(fill))
			got := make([]T, len(a))
			ewRun(t, cudaops.TransposeForward(dt, batch, n, l.lower, l.upper, fill), got, a)
			if ewNaNCount(want) > 0 {
				t.Fatalf("%s: the CPU transpose has NaN: the test's inputs are wrong", name)
			}
			if err := ewCompare(got, want, 0); err != nil {
				t.Fatalf("%s: %v", name, err)
			}

			lt := transposed(l, 0)
			back := make([]T, len(a))
			ewRun(t, cudaops.TransposeForward(dt, batch, n, lt.lower, lt.upper, 0), back, ewPoison(got, lt))
			wantBack := make([]T, len(a))
			transposeForward(wantBack, ewPoison(want, lt), lt, 0)
			if err := ewCompare(back, wantBack, 0); err != nil {
				t.Fatalf("%s transposed back: %v", name, err)
			}
			if err := ewCompare(back, ewZeroPadding(a, l), 0); err != nil {
				t.Fatalf("%s transposed back is not A: %v", name, err)
			}
		}
	}
}

// ewZeroPadding returns a copy of band storage d of layout l with 0 in
// every padding slot.
func ewZeroPadding[T float](d []T, l layout) []T {
	out := ewPoison(d, l)
	for x := range out {
		if out[x] != out[x] {
			out[x] = 0
		}
	}
	return out
}
