package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestScanLogDiagGrad02 checks that the one-pass gradient step of band
// (0, 2) gives the bits of the diagonal loops: gPrev and every slot of the
// rows' gradient, on random states with −Inf states, zero and NaN
// gradients, for row ranges that reach the last two rows or stop short.
func TestScanLogDiagGrad02(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testScanLogDiagGrad02[float32](t) })
	t.Run("f64", func(t *testing.T) { testScanLogDiagGrad02[float64](t) })
}

func testScanLogDiagGrad02[T float](t *testing.T) {
	defer func() { diagGrad02 = true }()
	rng := rand.New(rand.NewPCG(8, 11))
	for _, c := range []struct{ n, rLo, rHi int }{{1, 0, 1}, {3, 0, 3}, {7, 0, 7}, {7, 2, 5}, {9, 3, 9}, {201, 0, 201}, {201, 40, 120}} {
		t.Run(fmt.Sprintf("%d[%d,%d)", c.n, c.rLo, c.rHi), func(t *testing.T) {
			n := c.n
			vals := func(inf bool) []float64 {
				v := make([]float64, n)
				for i := range v {
					v[i] = 10 * rng.NormFloat64()
					if inf && rng.IntN(6) == 0 {
						v[i] = math.Inf(-1)
					}
				}
				return v
			}
			prev, next, gNext := vals(true), vals(true), vals(false)
			for i := range gNext {
				if rng.IntN(5) == 0 {
					gNext[i] = 0
				}
			}
			gNext[n/2] = math.NaN()
			mat := make([]T, 3*n)
			for i := range mat {
				mat[i] = T(rng.NormFloat64() - 2)
			}
			gp0 := vals(false)
			var out [2][]float64
			var dms [2][]T
			for k, fused := range []bool{false, true} {
				diagGrad02 = fused
				out[k] = append([]float64(nil), gp0...)
				dms[k] = make([]T, 3*n)
				for i := range dms[k] {
					dms[k][i] = T(math.NaN())
				}
				scanLogDiagGrad(out[k], dms[k], gNext, prev, next, mat, make([]float64, 4*n), c.rLo, c.rHi, n, 0, 2)
			}
			for i := range out[0] {
				if math.Float64bits(out[0][i]) != math.Float64bits(out[1][i]) {
					t.Fatalf("gPrev[%d]: %v one pass, %v by diagonals", i, out[1][i], out[0][i])
				}
			}
			for i := range dms[0] {
				a, b := float64(dms[0][i]), float64(dms[1][i])
				if math.Float64bits(a) != math.Float64bits(b) && !(math.IsNaN(a) && math.IsNaN(b)) {
					t.Fatalf("dmat[%d]: %v one pass, %v by diagonals", i, b, a)
				}
			}
		})
	}
}
