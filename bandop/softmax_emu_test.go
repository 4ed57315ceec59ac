//go:build !cuda

package bandop

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
)

func TestSoftmaxEmu(t *testing.T) {
	testSoftmaxEmu[float64](t)
	testSoftmaxEmu[float32](t)
}

// testSoftmaxEmu checks Softmax and LogSoftmax, forward and gradient,
// against the CPU: inputs with −Inf entries (ewValue's Log values) and a
// row of only −Inf in each matrix, NaN in the padding of every input.
func testSoftmaxEmu[T float](t *testing.T) {
	cdt, tdt := ewDtype[T](), ewTensorDtype[T]()
	rng := rand.New(rand.NewPCG(19, 20+uint64(cdt)))
	for _, sh := range attnEmuShapes {
		batch, n := sh[0], sh[1]
		l := layout{batch: batch, n: n, lower: sh[2], upper: sh[3], fill: 3, dt: tdt}
		w := l.width()
		a := mxBand[T](rng, Log, l)
		for b := 0; b < batch; b++ { // row n/2 of each matrix: only −Inf
			r := b*n + n/2
			lo, hi := validSlots(n/2, n, l.lower, w)
			for k := lo; k < hi; k++ {
				a[r*w+k] = T(Log.Zero())
			}
		}
		for _, log := range []bool{false, true} {
			name := fmt.Sprintf("%v/log%v/%v", cdt, log, sh)
			want := make([]T, len(a))
			softmaxForward(log, want, a, l)
			got := mxRun(t, cudaops.SoftmaxForward(cdt, log, batch, n, l.lower, l.upper), len(a), a)
			if err := mxCompare(Log, got, want, w, nil); err != nil {
				t.Errorf("%s forward: %v", name, err)
			}
			dy := mxGrad[T](rng, len(a), l) // NaN padding
			gwant := make([]T, len(a))
			softmaxBackward(log, gwant, want, dy, l)
			ggot := mxRun(t, cudaops.SoftmaxBackward(cdt, log, batch, n, l.lower, l.upper), len(a), want, dy)
			gscale := make([]T, len(a))
			softmaxBackward(log, gscale, want, emuAbs(dy), l)
			for i := range gscale { // |dy| + |y·Σ|: the terms' magnitude
				gscale[i] = emuAbs(gscale)[i] + 2*emuAbs(dy)[i]
			}
			if err := mxCompare(Log, ggot, gwant, w, gscale); err != nil {
				t.Errorf("%s backward: %v", name, err)
			}
		}
	}
}
