//go:build !cuda

package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/cudaops"
	"gorgonia.org/tensor"
)

// emuAlpha draws α (batch, N·M) for the ends' kernels: a value (emuValue)
// in every cell within an item's lengths (semi-global: in every end, a
// cell of the last row or column), NaN in every other element, so that
// reading anything but an end shows (a gap's cells outside the lattice
// included). Flavour 1 adds −Inf ends (about one in five, and every end of
// item 1); flavour 2 puts NaN in an end of item 0 and +Inf in an end of
// the last item.
func emuAlpha(rng *rand.Rand, g *grid, lx, ly []int, flavour int) []float64 {
	a := make([]float64, g.cellsShape().TotalSize())
	for i := range a {
		a[i] = math.NaN()
	}
	for b := range g.batch {
		for i := range lx[b] {
			for j := range ly[b] {
				if g.m.Mode == SemiGlobal && i != lx[b]-1 && j != ly[b]-1 {
					continue
				}
				x := emuValue(rng, g.m.Semiring)
				if flavour == 1 && (b == 1 || rng.IntN(5) == 0) {
					x = math.Inf(-1)
				}
				a[g.at(b, i, j)] = x
			}
		}
	}
	if flavour == 2 {
		// end returns an end cell of item b (within the lattice).
		end := func(b int) (int, int) {
			l := g.m.lat(lx[b], ly[b])
			for {
				i, j := rng.IntN(lx[b]), rng.IntN(ly[b])
				switch g.m.Mode {
				case Global:
					i, j = lx[b]-1, ly[b]-1
				case SemiGlobal:
					if rng.IntN(2) == 0 {
						i = lx[b] - 1
					} else {
						j = ly[b] - 1
					}
				}
				if l.End(i, j) {
					return i, j
				}
			}
		}
		b := 0
		i, j := end(b)
		a[g.at(b, i, j)] = math.NaN()
		if b = g.batch - 1; b > 0 {
			i, j = end(b)
			a[g.at(b, i, j)] = math.Inf(1)
		}
	}
	return a
}

// TestEmuEnd runs align_end_fwd and align_end_bwd under the emulator
// against endOp.Do and endGradOp.Do: every semiring, both dtypes of z,
// global, local and semi-global, without a gap and with gaps 0 and 1,
// ragged lengths, N < M and N > M, NaN in every cell of α that is not an
// end, −Inf, +Inf and NaN ends, a dz of 0 for item 0; the constructors' blocks (a block per
// item in local mode, several parts an item in the backward where no
// reduction is needed) and blocks of 32 threads. Global results and Max
// are bit for bit; local Log and Real sums are added in another order
// than the CPU's, and agree within a tolerance that grows with the number
// of cells summed.
func TestEmuEnd(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for _, s := range []bandop.Semiring{Real, Log, Max} {
		for _, m := range emuModels(s) {
			for _, shape := range emuShapes {
				for flavour := range 3 {
					for k, block := range []uint{0, 32} {
						if k == 1 && shape != [3]int{3, 6, 4} {
							continue
						}
						name := fmt.Sprintf("%s/flavour%d/block%d", emuName(m, tensor.Float64, shape), flavour, block)
						t.Run(name, func(t *testing.T) { testEmuEnd[float64](t, rng, m, shape, flavour, block) })
						name = fmt.Sprintf("%s/flavour%d/block%d", emuName(m, tensor.Float32, shape), flavour, block)
						t.Run(name, func(t *testing.T) { testEmuEnd[float32](t, rng, m, shape, flavour, block) })
					}
				}
			}
		}
	}
}

func testEmuEnd[T emuFloat](t *testing.T, rng *rand.Rand, m Model, shape [3]int, flavour int, block uint) {
	dt, cdt := emuDtype[T]()
	g, err := newGrid("test", m, tensor.Shape{shape[0], shape[1], shape[2], 3})
	if err != nil {
		t.Fatal(err)
	}
	lx, ly, lv := emuLengths(rng, g.batch, g.n, g.mm)
	lens := lv.Data().([]int)
	mode, gap := g.kernelModel()
	cs := cudaops.Semiring(m.Semiring)
	st := emuAlpha(rng, g, lx, ly, flavour)
	sv := tensor.New(tensor.WithShape(g.cellsShape()...), tensor.WithBacking(st))
	// A local Log or Real end is a sum of up to N·M terms in float64 (a
	// semi-global one of up to N+M−1), added in another order on the GPU:
	// the tolerance grows with their number (a probabilistic bound, √n·u,
	// with slack), plus the final rounding to float32 where z is float32.
	sumTol := 0.0
	if terms := map[Mode]int{Local: g.n * g.mm, SemiGlobal: g.n + g.mm - 1}[m.Mode]; terms > 0 && m.Semiring != Max {
		sumTol = 0x1p-53 * (12*math.Sqrt(float64(terms)) + 16)
	}
	tol := sumTol
	if tol > 0 && dt == tensor.Float32 {
		tol += 0x1p-24
	}

	op := &endOp{g: g, dt: dt}
	zv, err := op.Do(sv, lv)
	if err != nil {
		t.Fatal(err)
	}
	zwant := zv.Data().([]T)
	z := newEmuOut[T](g.batch)
	emuRun(t, cudaops.AlignEndForward(cdt, cs, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap), block, z.ptr(), emuPtr(st), emuPtr(lens))
	z.check(t, "align_end_fwd")
	if d := diffFloats(z.data(), zwant, tol); d != "" {
		t.Errorf("z: %s", d)
	}

	dz := make([]T, g.batch)
	for b := range dz {
		dz[b] = T(4*rng.Float64() - 2)
	}
	if g.batch > 1 {
		dz[0] = 0
	}
	gop := (&endOp{g: g, dt: dt}).gradOp()
	dv, err := gop.Do(sv, lv, tensor.New(tensor.WithShape(g.batch), tensor.WithBacking(dz)))
	if err != nil {
		t.Fatal(err)
	}
	dwant := dv.Data().([]float64)
	dA := newEmuOut[float64](len(dwant))
	emuRun(t, cudaops.AlignEndBackward(cdt, cs, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap), block,
		dA.ptr(), emuPtr(st), emuPtr(lens), emuPtr(dz))
	dA.check(t, "align_end_bwd")
	// A local or semi-global Log end's weights are e^(s − z): z's error,
	// times |z|, becomes their relative error.
	btol := 0.0
	if m.Mode != Global && m.Semiring == Log {
		zmax := 1.0
		for _, x := range zwant {
			if v := math.Abs(float64(x)); v > zmax && !math.IsInf(v, 0) {
				zmax = v
			}
		}
		btol = 4*sumTol*zmax + 0x1p-53*16
	}
	if d := diffFloats(dA.data(), dwant, btol); d != "" {
		t.Errorf("dα: %s", d)
	}
}

// TestEmuEndBadLengths: lengths out of range, which the CPU Ops refuse,
// give NaN on the GPU: z NaN and the item's whole gradient NaN, the other
// items untouched, and nothing read outside α.
func TestEmuEndBadLengths(t *testing.T) {
	for _, m := range []Model{{Semiring: Log}, {Semiring: Max, Mode: Local}, {Semiring: Log, Mode: Local, Gapped: true, MaxGap: 1},
		{Semiring: Max, Mode: SemiGlobal}, {Semiring: Log, Mode: SemiGlobal, Gapped: true, MaxGap: 1}} {
		t.Run(m.String(), func(t *testing.T) {
			g, err := newGrid("test", m, tensor.Shape{3, 4, 5, 3})
			if err != nil {
				t.Fatal(err)
			}
			mode, gap := g.kernelModel()
			cs := cudaops.Semiring(m.Semiring)
			lens := []int{4, 5, 0, 3, 2, 6} // item 1: lenX 0; item 2: lenY 6 > 5
			st := make([]float64, g.cellsShape().TotalSize())
			z := newEmuOut[float64](g.batch)
			emuRun(t, cudaops.AlignEndForward(cudaops.Float64, cs, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap), 0, z.ptr(), emuPtr(st), emuPtr(lens))
			z.check(t, "align_end_fwd")
			if zz := z.data(); math.IsNaN(zz[0]) || !math.IsNaN(zz[1]) || !math.IsNaN(zz[2]) {
				t.Errorf("z = %v, want a number and two NaN", zz)
			}
			dz := []float64{1, 1, 1}
			dA := newEmuOut[float64](len(st))
			emuRun(t, cudaops.AlignEndBackward(cudaops.Float64, cs, g.batch, g.n, g.mm, cudaops.AlignMode(mode), gap), 0,
				dA.ptr(), emuPtr(st), emuPtr(lens), emuPtr(dz))
			dA.check(t, "align_end_bwd")
			for e, x := range dA.data() {
				if b := e / (g.n * g.mm); (b == 0) == math.IsNaN(x) {
					t.Fatalf("dα element %d (item %d) = %v", e, b, x)
				}
			}
		})
	}
}
