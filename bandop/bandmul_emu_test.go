//go:build !cuda

package bandop

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
)

func TestBandMulEmu(t *testing.T) {
	testBandMulEmu[float64](t)
	testBandMulEmu[float32](t)
}

// testBandMulEmu checks BandMul, forward and both gradients, against the
// CPU, with NaN in the padding of the incoming gradient.
func testBandMulEmu[T float](t *testing.T) {
	cdt, tdt := ewDtype[T](), ewTensorDtype[T]()
	rng := rand.New(rand.NewPCG(19, 10+uint64(cdt)))
	for _, sh := range attnEmuShapes {
		batch, n, d := sh[0], sh[1], sh[4]
		lc := layout{batch: batch, n: n, lower: sh[2], upper: sh[3], dt: tdt}
		name := fmt.Sprintf("%v/%v", cdt, sh)
		q := emuDenseOperand[T](rng, Real, batch*n*d)
		k := emuDenseOperand[T](rng, Real, batch*n*d)
		want := make([]T, batch*n*lc.width())
		bandMulForward(want, q, k, lc, d)
		got := mxRun(t, cudaops.BandMulForward(cdt, batch, n, lc.lower, lc.upper, d), len(want), q, k)
		scale := make([]T, len(want))
		bandMulForward(scale, emuAbs(q), emuAbs(k), lc, d)
		if err := mxCompare(Real, got, want, d, scale); err != nil {
			t.Errorf("%s forward: %v", name, err)
		}
		dc := mxBand[T](rng, Real, lc) // NaN padding
		for wrt := 0; wrt < 2; wrt++ {
			gwant := make([]T, len(q))
			bandMulBackward(wrt, gwant, q, k, dc, lc, d)
			ggot := mxRun(t, cudaops.BandMulBackward(cdt, wrt, batch, n, lc.lower, lc.upper, d), len(q), q, k, dc)
			gscale := make([]T, len(q))
			bandMulBackward(wrt, gscale, emuAbs(q), emuAbs(k), emuAbs(dc), lc, d)
			if err := mxCompare(Real, ggot, gwant, lc.width(), gscale); err != nil {
				t.Errorf("%s backward wrt %d: %v", name, wrt, err)
			}
		}
	}
}
