package bandop

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// The test helpers every test file of the package shares: one must, one
// tolerance per comparison, one closeness test and the bitwise comparisons.
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
