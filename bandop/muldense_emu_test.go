//go:build !cuda

package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/cudaops/emu"
)

// attnEmuShapes are (batch, n, lower, upper, d): n = 1, the zero band,
// negative limits, asymmetric bands, bands wider than n, d = 1 and d > 1,
// and sizes over one block of 256 outputs.
var attnEmuShapes = [][5]int{
	{1, 1, 0, 0, 1},
	{2, 1, 2, 1, 3},
	{1, 5, 0, 0, 2},
	{3, 6, 1, 1, 1},
	{2, 7, 2, 0, 4},
	{1, 8, -1, 3, 3},
	{2, 5, 3, -2, 2},
	{1, 4, 6, 7, 5},
	{2, 70, 4, 9, 3},
}

// emuDenseOperand returns a (batch, n, d) operand for s: Log and Max meet
// −Inf and ties (ewValue).
func emuDenseOperand[T float](rng *rand.Rand, s Semiring, size int) []T {
	v := make([]T, size)
	for i := range v {
		v[i] = T(ewValue(rng, s))
	}
	return v
}

func TestMulDenseEmu(t *testing.T) {
	testMulDenseEmu[float64](t)
	testMulDenseEmu[float32](t)
}

// testMulDenseEmu checks MulDense, forward and both gradients, against the
// CPU.
func testMulDenseEmu[T float](t *testing.T) {
	cdt, tdt := ewDtype[T](), ewTensorDtype[T]()
	rng := rand.New(rand.NewPCG(19, uint64(cdt)))
	for _, sh := range attnEmuShapes {
		batch, n, d := sh[0], sh[1], sh[4]
		for _, s := range []Semiring{Real, Log, Max} {
			la := layout{batch: batch, n: n, lower: sh[2], upper: sh[3], fill: s.Zero(), dt: tdt}
			name := fmt.Sprintf("%v/%v/%v", cdt, s, sh)
			a := mxBand[T](rng, s, la)
			v := emuDenseOperand[T](rng, s, batch*n*d)
			want := make([]T, batch*n*d)
			denseForward(s, vecRight, want, a, v, la, d)
			cs := cudaops.Semiring(s)
			got := mxRun(t, cudaops.MulDenseForward(cdt, cs, batch, n, la.lower, la.upper, d), len(want), a, v)
			var scale []T
			if s == Real {
				scale = make([]T, len(want))
				denseForward(Real, vecRight, scale, emuAbs(a), emuAbs(v), la, d)
			}
			if err := mxCompare(s, got, want, la.width(), scale); err != nil {
				t.Errorf("%s forward: %v", name, err)
			}
			dr := mxGrad[T](rng, len(want), layout{})
			for wrt := 0; wrt < 2; wrt++ {
				size, terms := len(a), d
				if wrt == 1 {
					size, terms = len(v), la.width()
				}
				op := vecGradOperand(wrt, 1)
				gwant := make([]T, size)
				mulDenseBackward(s, op, gwant, a, v, want, dr, la, d)
				ggot := mxRun(t, cudaops.MulDenseBackward(cdt, cs, wrt, batch, n, la.lower, la.upper, d), size, a, v, want, dr)
				gscale := make([]T, size)
				if s == Real {
					mulDenseBackward(Real, op, gscale, emuAbs(a), emuAbs(v), want, emuAbs(dr), la, d)
				} else {
					mulDenseBackward(s, op, gscale, a, v, want, emuAbs(dr), la, d)
				}
				if err := mxCompare(s, ggot, gwant, terms, gscale); err != nil {
					t.Errorf("%s backward wrt %d: %v", name, wrt, err)
				}
			}
		}
	}
}

// Max gives the gradient to the first maximal term of each output when all
// terms tie, as the CPU does, and not to the others.
func TestMulDenseEmuMaxTies(t *testing.T) {
	const batch, n, d = 2, 7, 3
	la := layout{batch: batch, n: n, lower: 2, upper: 3, fill: math.Inf(-1), dt: ewTensorDtype[float64]()}
	a, v := make([]float64, batch*n*la.width()), make([]float64, batch*n*d)
	dr := make([]float64, batch*n*d)
	for i := range dr {
		dr[i] = float64(i%5) + 1
	}
	r := make([]float64, batch*n*d)
	denseForward(Max, vecRight, r, a, v, la, d)
	for wrt := 0; wrt < 2; wrt++ {
		size := len(a)
		if wrt == 1 {
			size = len(v)
		}
		want := make([]float64, size)
		mulDenseBackward(Max, vecGradOperand(wrt, 1), want, a, v, r, dr, la, d)
		got := mxRun(t, cudaops.MulDenseBackward(cudaops.Float64, cudaops.Max, wrt, batch, n, la.lower, la.upper, d), size, a, v, r, dr)
		if err := mxCompare(Max, got, want, 0, nil); err != nil {
			t.Errorf("wrt %d: %v", wrt, err)
		}
		zeros := 0
		for _, g := range got {
			if g == 0 {
				zeros++
			}
		}
		if zeros == 0 || zeros == len(got) {
			t.Errorf("wrt %d: %d of %d gradient entries are 0, want some but not all", wrt, zeros, len(got))
		}
	}
}

// Every kernel the attention ops' constructors name is in the PTX; a wrong
// wrt or an empty size does not launch.
func TestAttentionKernelsExist(t *testing.T) {
	have := map[string]bool{}
	for _, k := range cudaops.Kernels() {
		have[k] = true
	}
	for _, dt := range []cudaops.Dtype{cudaops.Float32, cudaops.Float64} {
		ls := []cudaops.Launch{
			cudaops.BandMulForward(dt, 1, 4, 1, 1, 2),
			cudaops.MulDenseForward(dt, cudaops.Log, 1, 4, 1, 1, 2),
			cudaops.SoftmaxForward(dt, false, 1, 4, 1, 1),
			cudaops.SoftmaxBackward(dt, true, 1, 4, 1, 1),
		}
		for wrt := 0; wrt < 2; wrt++ {
			ls = append(ls, cudaops.BandMulBackward(dt, wrt, 1, 4, 1, 1, 2), cudaops.MulDenseBackward(dt, cudaops.Log, wrt, 1, 4, 1, 1, 2))
		}
		for _, l := range ls {
			if !have[l.Kernel] {
				t.Errorf("kernel %s is not in the PTX", l.Kernel)
			}
		}
	}
	if err := emu.Run(cudaops.MulDenseBackward(cudaops.Float64, cudaops.Log, 2, 1, 4, 1, 1, 2)); err == nil {
		t.Errorf("MulDenseBackward with wrt 2 launched")
	}
	if err := emu.Run(cudaops.BandMulBackward(cudaops.Float64, 2, 1, 4, 1, 1, 2)); err == nil {
		t.Errorf("BandMulBackward with wrt 2 launched")
	}
	for _, l := range []cudaops.Launch{
		cudaops.MulDenseForward(cudaops.Float64, cudaops.Log, 1, 4, 1, 1, 0),
		cudaops.BandMulForward(cudaops.Float64, 1, 0, 1, 1, 2),
		cudaops.SoftmaxForward(cudaops.Float64, false, 0, 4, 1, 1),
	} {
		if err := l.Check(); err == nil {
			t.Errorf("%s with an empty size passes Check", l.Kernel)
		}
	}
}
