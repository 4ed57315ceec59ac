//go:build !cuda

package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/cudaops/emu"
	"gorgonia.org/tensor"
)

// Helpers of the emulation tests (ewValue and the dtype helpers serve the
// Mul and VecMul tests too), chiefly of the element-per-thread kernels (plus,
// times, sum, dense, transpose, shift): each test runs a kernel's source
// under the CPU emulator with the launch the cuda glue uses and compares
// its whole output, padding included, with bandop's CPU function. Inputs
// hold NaN in every padding slot, so a kernel that reads padding shows; the
// output starts as ewSentinel, so a kernel that skips an element shows.

// ewSentinel is what every output element holds before a kernel runs: a
// value no kernel computes from the tests' inputs.
const ewSentinel = 12345.5

// ewBands are the bands the tests combine: the zero band, a tridiagonal
// one, asymmetric ones, negative limits on either side and bands wider than
// every n the tests use.
var ewBands = [][2]int{{0, 0}, {1, 1}, {2, 0}, {0, 3}, {-1, 2}, {3, -2}, {-3, 4}, {7, 1}, {2, 9}}

// ewSizes are the (batch, n) the tests use: n = 1, small and odd n, and a
// batch above 1.
var ewSizes = [][2]int{{1, 1}, {2, 1}, {1, 4}, {3, 5}, {2, 9}}

// ewDtype is the cudaops dtype of T.
func ewDtype[T float]() cudaops.Dtype {
	var z T
	if _, ok := any(z).(float32); ok {
		return cudaops.Float32
	}
	return cudaops.Float64
}

// ewTensorDtype is the tensor dtype of T.
func ewTensorDtype[T float]() tensor.Dtype {
	if ewDtype[T]() == cudaops.Float32 {
		return tensor.Float32
	}
	return tensor.Float64
}

// ewLayout is the layout of a (batch, n) operand with band (lower, upper),
// dtype T and fill fill.
func ewLayout[T float](batch, n, lower, upper int, fill float64) layout {
	return layout{batch: batch, n: n, lower: lower, upper: upper, fill: fill, dt: ewTensorDtype[T]()}
}

// ewValue draws one in-band entry for semiring s: Real values in [−1, 1)
// with some exact zeros; Log values around 0 with some −Inf; Max small
// integers (many ties) with some −Inf.
func ewValue(rng *rand.Rand, s Semiring) float64 {
	switch s {
	case Log:
		if rng.IntN(6) == 0 {
			return math.Inf(-1)
		}
		return rng.NormFloat64() * 2
	case Max:
		if rng.IntN(6) == 0 {
			return math.Inf(-1)
		}
		return float64(rng.IntN(3))
	}
	if rng.IntN(8) == 0 {
		return 0
	}
	return rng.Float64()*2 - 1
}

// ewBanded returns random band storage of layout l for semiring s: NaN in
// every padding slot, and for Log and Max the whole of row 0 of the last
// matrix −Inf, so a row (and for n = 1 a matrix) of only −Inf is covered.
func ewBanded[T float](rng *rand.Rand, s Semiring, l layout) []T {
	w := l.width()
	d := make([]T, l.batch*l.n*w)
	for r := 0; r < l.batch*l.n; r++ {
		i := r % l.n
		lo, hi := validSlots(i, l.n, l.lower, w)
		for k := 0; k < w; k++ {
			v := math.NaN()
			if k >= lo && k < hi {
				v = ewValue(rng, s)
				if s != Real && r == (l.batch-1)*l.n {
					v = math.Inf(-1)
				}
			}
			d[r*w+k] = T(v)
		}
	}
	return d
}

// ewPoison returns a copy of band storage d of layout l with NaN in every
// padding slot.
func ewPoison[T float](d []T, l layout) []T {
	out := append([]T(nil), d...)
	w := l.width()
	for r := 0; r < l.batch*l.n; r++ {
		lo, hi := validSlots(r%l.n, l.n, l.lower, w)
		for k := 0; k < w; k++ {
			if k < lo || k >= hi {
				out[r*w+k] = T(math.NaN())
			}
		}
	}
	return out
}

// ewRun runs l under the emulator with out (first) and ins as its buffers,
// after filling out with ewSentinel. No buffer may be empty.
func ewRun[T float](t *testing.T, l cudaops.Launch, out []T, ins ...[]T) {
	t.Helper()
	for i := range out {
		out[i] = T(ewSentinel)
	}
	bufs := []any{out}
	for _, in := range ins {
		bufs = append(bufs, in)
	}
	if err := emu.Run(l, bufs...); err != nil {
		t.Fatalf("emu.Run(%s): %v", l.Kernel, err)
	}
}

// emuTol is the tolerance, relative to the result's scale (see
// ewCompareScaled), of a result that the kernel and the CPU each compute
// from terms terms (a sum, a logsumexp, a dot product; 1 for an
// elementwise result), in different orders (the kernel in strides and as a
// tree, the CPU in sequence) and with different rounding (the GPU's fused
// multiply-adds and __expf, which the emulator reproduces; the CPU's Go
// arithmetic). It grows with the number of terms as the error of a sum
// does: Higham and Mary's probabilistic bound for a sum of n terms in any
// order, λ·√n·u relative to the sum of the terms' magnitudes, for each of
// the two orders (λ = 6: a result beyond it has odds below 1e-7), plus 16
// units of roundoff for the elementwise functions around the sum (exp,
// log, log1p, the final ⊗). A larger operation therefore gets a larger
// tolerance, so that a size that passes here cannot fail on a GPU merely
// because it is larger.
func emuTol[T float](terms int) float64 {
	u := 0x1p-53
	if ewDtype[T]() == cudaops.Float32 {
		u = 0x1p-24
	}
	return u * (2*6*math.Sqrt(float64(max(terms, 1))) + 16)
}

// emuAbs returns |x| elementwise (NaN stays NaN): inputs for the CPU
// function that gives a result's scale, the ⊕ of the magnitudes of its
// terms.
func emuAbs[T float](x []T) []T {
	out := make([]T, len(x))
	for i, v := range x {
		out[i] = T(math.Abs(float64(v)))
	}
	return out
}

// ewCompare reports the first element where got and want differ by more
// than tol relative to max(1, |want|). NaN matches only NaN and an infinity
// only the same infinity.
func ewCompare[T float](got, want []T, tol float64) error {
	return ewCompareScaled(got, want, tol, nil)
}

// ewCompareScaled is ewCompare with the tolerance relative to max(1,
// |want|, scale[i]) (scale nil: max(1, |want|)); the scale of a sum is the
// sum of its terms' magnitudes, which bounds its rounding error where
// |want| does not (cancellation).
func ewCompareScaled[T float](got, want []T, tol float64, scale []T) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d elements, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if g == ewSentinel && w != ewSentinel {
			return fmt.Errorf("element %d not written (want %v)", i, w)
		}
		switch {
		case math.IsNaN(w) || math.IsNaN(g):
			if math.IsNaN(w) != math.IsNaN(g) {
				return fmt.Errorf("element %d: got %v, want %v", i, g, w)
			}
		case math.IsInf(w, 0) || math.IsInf(g, 0):
			if g != w {
				return fmt.Errorf("element %d: got %v, want %v", i, g, w)
			}
		default:
			sc := math.Max(1, math.Abs(w))
			if scale != nil {
				sc = math.Max(sc, float64(scale[i]))
			}
			if math.Abs(g-w) > tol*sc {
				return fmt.Errorf("element %d: got %v, want %v (difference %.3g, tolerance %.3g)", i, g, w, math.Abs(g-w), tol*sc)
			}
		}
	}
	return nil
}

// ewNaNCount counts the NaN elements of d: tests use it to make sure a
// result of comparing NaN with NaN is not all they check.
func ewNaNCount[T float](d []T) int {
	c := 0
	for _, x := range d {
		if x != x {
			c++
		}
	}
	return c
}

// ewGrad returns a random upstream gradient of layout l: values in [−1, 1)
// with some exact zeros (a zero must give a zero gradient even against an
// infinite operand), NaN in the padding.
func ewGrad[T float](rng *rand.Rand, l layout) []T {
	return ewBanded[T](rng, Real, l)
}

// ewSemirings are the semirings every elementwise test runs.
var ewSemirings = []Semiring{Real, Log, Max}

// ewPairsPer is the number of band pairs a two-operand test draws for each
// size and semiring: the tests draw pairs rather than take all 81 (chosen
// when an emulated launch cost milliseconds; it now costs tens of
// microseconds).
const ewPairsPer = 4

// ewPairs draws k pairs of ewBands.
func ewPairs(rng *rand.Rand, k int) [][2][2]int {
	ps := make([][2][2]int, k)
	for i := range ps {
		ps[i] = [2][2]int{ewBands[rng.IntN(len(ewBands))], ewBands[rng.IntN(len(ewBands))]}
	}
	return ps
}

// ewFillTurn rotates the fill that ewFills picks.
var ewFillTurn int

// ewFills returns one of fills, a different one on each call: each case of
// the single-operand tests runs with one fill, and the cases together cover
// them all, at a third of the emulator time.
func ewFills(fills []float64) []float64 {
	ewFillTurn++
	return fills[ewFillTurn%len(fills) : ewFillTurn%len(fills)+1]
}

// TestEmuOneBlock runs each element-per-thread kernel with the grid its
// constructor chooses and with one, two and three blocks, which must then
// loop over every element (or matrix, or tile): the loops that free these
// kernels from any grid limit on the batch, and on large outputs spread
// each thread's index divisions over several elements. All runs must agree
// bit for bit.
func TestEmuOneBlock(t *testing.T) {
	t.Run("f64", func(t *testing.T) { testEmuOneBlock[float64](t) })
	t.Run("f32", func(t *testing.T) { testEmuOneBlock[float32](t) })
}

func testEmuOneBlock[T float](t *testing.T) {
	rng := rand.New(rand.NewPCG(91, 92))
	const batch, n = 3, 40
	la := ewLayout[T](batch, n, 5, 3, math.Inf(-1))
	lb := ewLayout[T](batch, n, 2, 7, math.Inf(-1))
	lc := plusResult(la, lb, Log)
	a, b := ewBanded[T](rng, Log, la), ewBanded[T](rng, Log, lb)
	c, dc := ewBanded[T](rng, Log, lc), ewGrad[T](rng, lc)
	r, dr := []T{0.5, -1, 2}, []T{1, 0.5, 2}
	d := ewBanded[T](rng, Real, ewLayout[T](batch, n, n-1, 0, 0)) // (batch, n, n)
	dt := ewDtype[T]()
	cases := []struct {
		l   cudaops.Launch
		out int
		ins [][]T
	}{
		{cudaops.PlusForward(dt, cudaops.Log, batch, n, 5, 3, 2, 7), len(c), [][]T{a, b}},
		{cudaops.PlusBackward(dt, cudaops.Log, 0, batch, n, 5, 3, 2, 7), len(a), [][]T{a, b, c, dc}},
		{cudaops.PlusBackward(dt, cudaops.Log, 1, batch, n, 5, 3, 2, 7), len(b), [][]T{a, b, c, dc}},
		{cudaops.TimesForward(dt, cudaops.Max, batch, n, 5, 3, 2, 7), batch * n * 6, [][]T{a, b}},
		{cudaops.TimesBackward(dt, cudaops.Real, 0, batch, n, 5, 3, 2, 7), len(a), [][]T{a, b, c, dc}},
		{cudaops.TimesBackward(dt, cudaops.Log, 1, batch, n, 5, 3, 2, 7), len(b), [][]T{a, b, c, dc}},
		{cudaops.SumForward(dt, cudaops.Log, batch, n, 5, 3), batch, [][]T{a}},
		{cudaops.SumBackward(dt, cudaops.Max, batch, n, 5, 3), len(a), [][]T{a, r, dr}},
		{cudaops.FromDenseForward(dt, batch, n, 5, 3, 0), len(a), [][]T{d}},
		{cudaops.ToDenseForward(dt, batch, n, 5, 3, 0), len(d), [][]T{a}},
		{cudaops.TransposeForward(dt, batch, n, 5, 3, 0), len(a), [][]T{a}},
		{cudaops.TransposeForward(dt, batch, n, 2, 1, 0), batch * n * 4, [][]T{a[:batch*n*4]}}, // narrow: one thread a slot
		{cudaops.RowShiftForward(dt, batch, n, 5, 3, 2, 0), len(a), [][]T{a}},
	}
	for _, cs := range cases {
		if cs.l.Grid[0] < 2 {
			t.Fatalf("%s: the constructor's grid %v has one block: the case tests nothing", cs.l.Kernel, cs.l.Grid)
		}
		want := make([]T, cs.out)
		ewRun(t, cs.l, want, cs.ins...)
		// One block walks every element; two and three walk with strides
		// (512, 768) past a whole matrix (360 slots), which moves the row
		// within the matrix by more than a step.
		for _, blocks := range []uint{1, 2, 3} {
			few := cs.l
			few.Grid = [3]uint{blocks, 1, 1}
			got := make([]T, cs.out)
			ewRun(t, few, got, cs.ins...)
			if err := ewCompare(got, want, 0); err != nil {
				t.Errorf("%s with %d blocks: %v", cs.l.Kernel, blocks, err)
			}
		}
	}
}
