package bandop

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The test helpers every test file of the package shares: one must, one
// tolerance per comparison, one closeness test, the comparisons of results
// with references (banded, tensor and vector) and the bitwise comparisons.
// Size-derived tolerances of the emulated kernels (emuTol) are separate:
// they depend on the number of terms summed, not only on the dtype.

// must returns v, panicking on err: for building test values and graphs
// whose every step is known to be valid.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// tolFor is the relative tolerance of a CPU result against the float64
// dense reference: a few ulps of the dtype, times the depth of the sums of
// the small test shapes.
func tolFor(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 2e-5
	}
	return 1e-11
}

// gpuTol is the tolerance of a GPU result against the CPU's: the device's
// exp, log and summation order differ from Go's, by ten times tolFor at
// most on the test shapes.
func gpuTol(dt tensor.Dtype) float64 { return 10 * tolFor(dt) }

// closeTo reports whether got and want agree to tol, relative for large
// values; equal infinities agree; NaN never does.
func closeTo(got, want, tol float64) bool {
	if math.IsInf(want, 0) || math.IsInf(got, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// sameBits reports whether a and b have the same band and identical
// storage (NaN equal to NaN of the same bits).
func sameBits(a, b *Banded) bool {
	return a.lower == b.lower && a.upper == b.upper && sameDenseBits(a.data, b.data)
}

// sameDenseBits reports whether a and b have the same shape and dtype and
// identical elements, bit for bit for floats.
func sameDenseBits(a, b *tensor.Dense) bool {
	if !a.Shape().Eq(b.Shape()) || a.Dtype() != b.Dtype() {
		return false
	}
	switch x := a.Data().(type) {
	case []float64:
		y := b.Data().([]float64)
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return false
			}
		}
	case []float32:
		y := b.Data().([]float32)
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
	default: // the wrong dtypes of error tests: compared as text
		return fmt.Sprint(a.Data()) == fmt.Sprint(b.Data())
	}
	return true
}

// checkDense fails t when got's matrices (band and fill alike) differ from
// want, or when a padding slot of got does not hold the fill.
func checkDense(t testing.TB, got *Banded, want dense, tol float64) {
	t.Helper()
	if got.Batch() != len(want) || got.N() != len(want[0]) {
		t.Fatalf("got batch %d, n %d; want %d, %d", got.Batch(), got.N(), len(want), len(want[0]))
	}
	bad := 0
	for b := range want {
		for i := range want[b] {
			for j := range want[b][i] {
				if g := got.At(b, i, j); !closeTo(g, want[b][i][j], tol) {
					if bad++; bad <= 5 {
						t.Errorf("[%d][%d][%d] = %v, want %v", b, i, j, g, want[b][i][j])
					}
				}
			}
		}
	}
	checkPadding(t, got)
}

// checkTensors fails when got and want differ beyond tol.
func checkTensors(t *testing.T, what string, got, want gorgonia.Value, tol float64) {
	t.Helper()
	g, w := floats(got.(*tensor.Dense)), floats(want.(*tensor.Dense))
	if len(g) != len(w) {
		t.Fatalf("%s: %d values, want %d", what, len(g), len(w))
	}
	for i := range g {
		if !closeTo(g[i], w[i], tol) && !(math.IsNaN(g[i]) && math.IsNaN(w[i])) {
			t.Errorf("%s[%d] = %v, want %v", what, i, g[i], w[i])
			return
		}
	}
}

func checkVec(t *testing.T, got *tensor.Dense, want [][]float64, tol float64) {
	t.Helper()
	batch, n := len(want), len(want[0])
	if !got.Shape().Eq(tensor.Shape{batch, n}) {
		t.Fatalf("shape %v, want (%d, %d)", got.Shape(), batch, n)
	}
	g := floats(got)
	bad := 0
	for b := range want {
		for j, w := range want[b] {
			if !closeTo(g[b*n+j], w, tol) {
				if bad++; bad <= 5 {
					t.Errorf("r[%d][%d] = %v, want %v", b, j, g[b*n+j], w)
				}
			}
		}
	}
}
