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

// Emulation tests of the Mul family's kernels (mul.cu, vecmul.cu): each
// runs the kernel source on the CPU under cudaops/emu with the launch the
// cuda glue uses, and compares its whole output, padding included, with
// bandop's CPU forward or backward. Inputs hold NaN in every padding slot;
// outputs start as mxSentinel, so a kernel that skips an element shows
// (the emulator itself catches accesses out of bounds and writes into
// inputs).

const (
	mxSentinel = -98765.25
	mxGuard    = 64
)

// mxBand returns band storage of layout l for semiring s: random valid
// slots, NaN padding, and for Log and Max one row of each matrix all −Inf.
func mxBand[T float](rng *rand.Rand, s Semiring, l layout) []T {
	w := l.width()
	d := make([]T, l.batch*l.n*w)
	for r := 0; r < l.batch*l.n; r++ {
		lo, hi := validSlots(r%l.n, l.n, l.lower, w)
		for k := 0; k < w; k++ {
			d[r*w+k] = T(math.NaN())
			if k >= lo && k < hi {
				d[r*w+k] = T(ewValue(rng, s))
			}
		}
	}
	if s != Real {
		for b := 0; b < l.batch; b++ {
			r := b*l.n + rng.IntN(l.n)
			lo, hi := validSlots(r%l.n, l.n, l.lower, w)
			for k := lo; k < hi; k++ {
				d[r*w+k] = T(math.Inf(-1))
			}
		}
	}
	return d
}

// mxGrad returns an upstream gradient of the given length: values in
// [−1, 1) with some exact zeros, NaN in the padding of layout l when l is a
// band (its width > 0).
func mxGrad[T float](rng *rand.Rand, size int, l layout) []T {
	d := make([]T, size)
	for i := range d {
		if rng.IntN(6) != 0 {
			d[i] = T(rng.Float64()*2 - 1)
		}
	}
	if w := l.width(); l.n > 0 && size == l.batch*l.n*w {
		for r := 0; r < l.batch*l.n; r++ {
			lo, hi := validSlots(r%l.n, l.n, l.lower, w)
			for k := 0; k < w; k++ {
				if k < lo || k >= hi {
					d[r*w+k] = T(math.NaN())
				}
			}
		}
	}
	return d
}

// mxRun runs l under the emulator on an output of size elements, filled
// with mxSentinel beforehand, and the inputs. (The emulator puts every
// buffer between guards and checks them, and the inputs, itself.)
func mxRun[T float](t *testing.T, l cudaops.Launch, size int, ins ...[]T) []T {
	t.Helper()
	out := make([]T, size)
	for i := range out {
		out[i] = mxSentinel
	}
	bufs := []any{out}
	for _, in := range ins {
		bufs = append(bufs, in)
	}
	if err := emu.Run(l, bufs...); err != nil {
		t.Fatalf("%s: %v", l.Kernel, err)
	}
	return out
}

// mxCompare checks got against want element by element: Max exactly, the
// other semirings to emuTol(terms), where each result is an ⊕ of at most
// terms terms, relative to max(1, |want|, scale[i]) (scale nil: max(1,
// |want|)); infinities and the padding exactly.
func mxCompare[T float](s Semiring, got, want []T, terms int, scale []T) error {
	tol := emuTol[T](terms)
	if s == Max {
		tol = 0
	}
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if g == mxSentinel {
			return fmt.Errorf("element %d not written (want %v)", i, w)
		}
		if math.IsNaN(g) || math.IsNaN(w) {
			if math.IsNaN(g) != math.IsNaN(w) {
				return fmt.Errorf("element %d: %v, want %v", i, g, w)
			}
			continue
		}
		if math.IsInf(w, 0) || tol == 0 {
			if g != w {
				return fmt.Errorf("element %d: %v, want exactly %v", i, g, w)
			}
			continue
		}
		sc := math.Max(1, math.Abs(w))
		if scale != nil {
			sc = math.Max(sc, float64(scale[i]))
		}
		if math.Abs(g-w) > tol*sc {
			return fmt.Errorf("element %d: %v, want %v (difference %.3g, tolerance %.3g for %d terms)", i, g, w, math.Abs(g-w), tol*sc, terms)
		}
	}
	return nil
}

// mxMulShapes are (batch, n, la, ua, lb, ub): n = 1, zero bands, negative
// limits, asymmetric bands, bands wider than n, batch > 1, and shapes that
// span several row tiles (16 rows), slot tiles (64 slots) and staging steps
// (16 slots of A for double, 32 for float: the last shape takes two in
// float, so that the staging loop and its reuse barrier run twice there
// too).
var mxMulShapes = [][6]int{
	{1, 1, 0, 0, 0, 0},
	{2, 1, 1, 2, 0, 1},
	{1, 5, 0, 0, 0, 0},
	{3, 6, 1, 1, 1, 1},
	{2, 7, 2, 0, 0, 3},
	{1, 8, -1, 3, 4, -2},
	{2, 5, 3, -2, -1, 2},
	{1, 4, 6, 7, 5, 2},
	{2, 19, 20, 14, 9, 25},
	{1, 21, -3, 19, 2, 1},
	{1, 40, 40, 30, 3, 3}, // 39 slots of A for the first tile: two float staging steps
}

func TestMulEmu(t *testing.T) {
	testMulEmu[float64](t)
	testMulEmu[float32](t)
}

func testMulEmu[T float](t *testing.T) {
	cdt, tdt := ewDtype[T](), ewTensorDtype[T]()
	rng := rand.New(rand.NewPCG(3, uint64(cdt)))
	for _, sh := range mxMulShapes {
		batch, n := sh[0], sh[1]
		for _, s := range []Semiring{Real, Log, Max} {
			la := layout{batch: batch, n: n, lower: sh[2], upper: sh[3], fill: s.Zero(), dt: tdt}
			lb := layout{batch: batch, n: n, lower: sh[4], upper: sh[5], fill: s.Zero(), dt: tdt}
			lc := mulResult(la, lb, s)
			name := fmt.Sprintf("%v/%v/%v", cdt, s, sh)
			a, b := mxBand[T](rng, s, la), mxBand[T](rng, s, lb)
			size := batch * n * lc.width()
			want := make([]T, size)
			mulForward(s, want, a, b, la, lb, lc)
			got := mxRun(t, cudaops.MulForward(cdt, cudaops.Semiring(s), batch, n, la.lower, la.upper, lb.lower, lb.upper), size, a, b)
			// Each slot of C is an ⊕ of at most min(wa, wb) products; a
			// Real one has the scale |A|·|B|.
			terms := min(la.width(), lb.width())
			var scale []T
			if s == Real {
				scale = make([]T, size)
				mulForward(Real, scale, emuAbs(a), emuAbs(b), la, lb, lc)
			}
			if err := mxCompare(s, got, want, terms, scale); err != nil {
				t.Errorf("%s forward: %v", name, err)
			}
			// The backward gets the CPU forward's C, as the Op does, with
			// NaN in its padding like any input.
			c := append([]T(nil), want...)
			for r := 0; r < batch*n; r++ {
				lo, hi := validSlots(r%n, n, lc.lower, lc.width())
				for k := 0; k < lc.width(); k++ {
					if k < lo || k >= hi {
						c[r*lc.width()+k] = T(math.NaN())
					}
				}
			}
			dc := mxGrad[T](rng, size, lc)
			for wrt, lg := range []layout{la, lb} {
				gsize := batch * n * lg.width()
				gwant := make([]T, gsize)
				mulBackward(s, wrt, gwant, a, b, want, mxClean(dc, lc), la, lb, lc)
				ggot := mxRun(t, cudaops.MulBackward(cdt, cudaops.Semiring(s), wrt, batch, n, la.lower, la.upper, lb.lower, lb.upper), gsize, a, b, c, dc)
				// A gradient slot sums over the other operand's band; its
				// scale is the same gradient of |dC| (and of |A|, |B|
				// for Real: it is linear in each).
				gscale := make([]T, gsize)
				if s == Real {
					mulBackward(Real, wrt, gscale, emuAbs(a), emuAbs(b), want, emuAbs(mxClean(dc, lc)), la, lb, lc)
				} else {
					mulBackward(s, wrt, gscale, a, b, want, emuAbs(mxClean(dc, lc)), la, lb, lc)
				}
				if err := mxCompare(s, ggot, gwant, max(la.width(), lb.width()), gscale); err != nil {
					t.Errorf("%s backward wrt %d: %v", name, wrt, err)
				}
			}
		}
	}
}

// mxClean returns d with 0 in the padding of layout l: the CPU backward's
// upstream gradient (Gorgonia's gradients of band outputs are 0 there),
// while the kernels get NaN there to show they never read it.
func mxClean[T float](d []T, l layout) []T {
	out := append([]T(nil), d...)
	w := l.width()
	for r := 0; r < l.batch*l.n; r++ {
		lo, hi := validSlots(r%l.n, l.n, l.lower, w)
		for k := 0; k < w; k++ {
			if k < lo || k >= hi {
				out[r*w+k] = 0
			}
		}
	}
	return out
}

// Max gives the whole gradient to the first maximal term: with every entry
// equal, each output slot's gradient goes to its smallest ka, exactly as
// the CPU does it.
func TestMulEmuMaxTies(t *testing.T) {
	const batch, n = 2, 9
	la := layout{batch: batch, n: n, lower: 2, upper: 3, fill: math.Inf(-1), dt: tensor.Float64}
	lb := layout{batch: batch, n: n, lower: 1, upper: 4, fill: math.Inf(-1), dt: tensor.Float64}
	lc := mulResult(la, lb, Max)
	a, b := make([]float64, batch*n*la.width()), make([]float64, batch*n*lb.width())
	size := batch * n * lc.width()
	c := make([]float64, size)
	mulForward(Max, c, a, b, la, lb, lc)
	dc := make([]float64, size)
	for i := range dc {
		dc[i] = float64(i%7) + 1
	}
	for wrt, lg := range []layout{la, lb} {
		want := make([]float64, batch*n*lg.width())
		mulBackward(Max, wrt, want, a, b, c, dc, la, lb, lc)
		got := mxRun(t, cudaops.MulBackward(cudaops.Float64, cudaops.Max, wrt, batch, n, la.lower, la.upper, lb.lower, lb.upper), len(want), a, b, c, dc)
		if err := mxCompare(Max, got, want, 0, nil); err != nil {
			t.Errorf("wrt %d: %v", wrt, err)
		}
		// Not every slot gets a share: only the first of the ties does.
		zeros := 0
		for _, g := range got {
			if g == 0 {
				zeros++
			}
		}
		if zeros == 0 || zeros == len(got) {
			t.Errorf("wrt %d: %d of %d gradient slots are 0, want some but not all", wrt, zeros, len(got))
		}
	}
}

// Every kernel a Mul-family constructor names is in the PTX module and in
// the emulator.
func TestMulKernelsExist(t *testing.T) {
	have := map[string]bool{}
	for _, k := range cudaops.Kernels() {
		have[k] = true
	}
	for _, dt := range []cudaops.Dtype{cudaops.Float32, cudaops.Float64} {
		ls := []cudaops.Launch{cudaops.MulForward(dt, cudaops.Log, 1, 4, 1, 1, 1, 1)}
		for wrt := 0; wrt < 2; wrt++ {
			ls = append(ls, cudaops.MulBackward(dt, cudaops.Log, wrt, 1, 4, 1, 1, 1, 1))
		}
		for _, l := range ls {
			if !have[l.Kernel] {
				t.Errorf("kernel %s is not in the PTX", l.Kernel)
			}
			if err := l.Check(); err != nil {
				t.Errorf("%s: %v", l.Kernel, err)
			}
		}
	}
	if err := emu.Run(cudaops.MulBackward(cudaops.Float32, cudaops.Log, 2, 1, 4, 1, 1, 1, 1)); err == nil {
		t.Errorf("MulBackward with wrt 2 launched")
	}
	if err := cudaops.MulForward(cudaops.Float32, cudaops.Log, 0, 4, 1, 1, 1, 1).Check(); err == nil {
		t.Errorf("MulForward with batch 0 passes Check")
	}
}
