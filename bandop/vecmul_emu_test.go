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

// mxVecShapes are (batch, n, lower, upper) of A: n = 1, the zero band,
// negative limits, asymmetric bands, bands wider than n, batch > 1, and
// sizes over one block of 256 outputs.
var mxVecShapes = [][4]int{
	{1, 1, 0, 0},
	{2, 1, 2, 1},
	{1, 5, 0, 0},
	{3, 6, 1, 1},
	{2, 7, 2, 0},
	{1, 8, -1, 3},
	{2, 5, 3, -2},
	{1, 4, 6, 7},
	{2, 150, 4, 9},
}

func TestVecMulEmu(t *testing.T) {
	testVecEmu[float64](t)
	testVecEmu[float32](t)
}

// testVecEmu checks VecMul and MulVec, forward and both gradients, against
// the CPU.
func testVecEmu[T float](t *testing.T) {
	cdt, tdt := ewDtype[T](), ewTensorDtype[T]()
	rng := rand.New(rand.NewPCG(5, uint64(cdt)))
	for _, sh := range mxVecShapes {
		batch, n := sh[0], sh[1]
		for _, s := range []Semiring{Real, Log, Max} {
			for _, side := range []vecSide{vecLeft, vecRight} {
				la := layout{batch: batch, n: n, lower: sh[2], upper: sh[3], fill: s.Zero(), dt: tdt}
				name := fmt.Sprintf("%s/%v/%v/%v", side.String(), cdt, s, sh)
				a := mxBand[T](rng, s, la)
				v := make([]T, batch*n)
				for i := range v {
					v[i] = T(ewValue(rng, s))
				}
				want := make([]T, batch*n)
				vecForward(s, side, want, v, a, la)
				fwd, bwd := cudaops.VecMulForward, cudaops.VecMulBackward
				ins := [][]T{v, a} // the Op's input order
				vIn := 0
				if side == vecRight {
					fwd, bwd = cudaops.MulVecForward, cudaops.MulVecBackward
					ins = [][]T{a, v}
					vIn = 1
				}
				cs := cudaops.Semiring(s)
				got := mxRun(t, fwd(cdt, cs, batch, n, la.lower, la.upper), batch*n, ins...)
				// Each result is an ⊕ of at most the band's width of
				// terms; a Real one has the scale |v|·|A|.
				var scale []T
				if s == Real {
					scale = make([]T, batch*n)
					vecForward(Real, side, scale, emuAbs(v), emuAbs(a), la)
				}
				if err := mxCompare(s, got, want, la.width(), scale); err != nil {
					t.Errorf("%s forward: %v", name, err)
				}
				dr := mxGrad[T](rng, batch*n, layout{})
				for wrt := 0; wrt < 2; wrt++ {
					size := batch * n * la.width()
					if wrt == vIn {
						size = batch * n
					}
					gwant := make([]T, size)
					vecBackward(s, side, vecGradOperand(wrt, vIn), gwant, v, a, want, dr, la)
					ggot := mxRun(t, bwd(cdt, cs, wrt, batch, n, la.lower, la.upper), size, ins[0], ins[1], want, dr)
					gscale := make([]T, size)
					if s == Real {
						vecBackward(Real, side, vecGradOperand(wrt, vIn), gscale, emuAbs(v), emuAbs(a), want, emuAbs(dr), la)
					} else {
						vecBackward(s, side, vecGradOperand(wrt, vIn), gscale, v, a, want, emuAbs(dr), la)
					}
					if err := mxCompare(s, ggot, gwant, la.width(), gscale); err != nil {
						t.Errorf("%s backward wrt %d: %v", name, wrt, err)
					}
				}
			}
		}
	}
}

// Max gives the gradient to the first maximal term of each output when all
// terms tie, as the CPU does, and not to the others.
func TestVecMulEmuMaxTies(t *testing.T) {
	const batch, n = 2, 7
	la := layout{batch: batch, n: n, lower: 2, upper: 3, fill: math.Inf(-1), dt: tensor.Float64}
	a, v := make([]float64, batch*n*la.width()), make([]float64, batch*n)
	dr := make([]float64, batch*n)
	for i := range dr {
		dr[i] = float64(i%5) + 1
	}
	for _, side := range []vecSide{vecLeft, vecRight} {
		r := make([]float64, batch*n)
		vecForward(Max, side, r, v, a, la)
		bwd, ins, vIn := cudaops.VecMulBackward, [][]float64{v, a}, 0
		if side == vecRight {
			bwd, ins, vIn = cudaops.MulVecBackward, [][]float64{a, v}, 1
		}
		for wrt := 0; wrt < 2; wrt++ {
			size := batch * n * la.width()
			if wrt == vIn {
				size = batch * n
			}
			want := make([]float64, size)
			vecBackward(Max, side, vecGradOperand(wrt, vIn), want, v, a, r, dr, la)
			got := mxRun(t, bwd(cudaops.Float64, cudaops.Max, wrt, batch, n, la.lower, la.upper), size, ins[0], ins[1], r, dr)
			if err := mxCompare(Max, got, want, 0, nil); err != nil {
				t.Errorf("%s wrt %d: %v", side.String(), wrt, err)
			}
			zeros := 0
			for _, g := range got {
				if g == 0 {
					zeros++
				}
			}
			if zeros == 0 || zeros == len(got) {
				t.Errorf("%s wrt %d: %d of %d gradient entries are 0, want some but not all", side.String(), wrt, zeros, len(got))
			}
		}
	}
}

// Every kernel the VecMul and MulVec constructors name is in the PTX; a
// wrong wrt or an empty size does not launch.
func TestVecMulKernelsExist(t *testing.T) {
	have := map[string]bool{}
	for _, k := range cudaops.Kernels() {
		have[k] = true
	}
	for _, dt := range []cudaops.Dtype{cudaops.Float32, cudaops.Float64} {
		ls := []cudaops.Launch{cudaops.VecMulForward(dt, cudaops.Log, 1, 4, 1, 1), cudaops.MulVecForward(dt, cudaops.Log, 1, 4, 1, 1)}
		for wrt := 0; wrt < 2; wrt++ {
			ls = append(ls, cudaops.VecMulBackward(dt, cudaops.Log, wrt, 1, 4, 1, 1), cudaops.MulVecBackward(dt, cudaops.Log, wrt, 1, 4, 1, 1))
		}
		for _, l := range ls {
			if !have[l.Kernel] {
				t.Errorf("kernel %s is not in the PTX", l.Kernel)
			}
		}
	}
	if err := emu.Run(cudaops.VecMulBackward(cudaops.Float64, cudaops.Log, 2, 1, 4, 1, 1)); err == nil {
		t.Errorf("VecMulBackward with wrt 2 launched")
	}
	if err := cudaops.MulVecForward(cudaops.Float64, cudaops.Log, 1, 0, 1, 1).Check(); err == nil {
		t.Errorf("MulVecForward with n 0 passes Check")
	}
}
